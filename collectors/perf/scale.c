/* Scaling of grouped perf_event reads (see perf_scale.h). */
#include "collectors/perf/scale.h"

#include <errno.h>

/* raw * num / den rounded to the nearest integer, saturated at
 * UINT64_MAX (den > 0, num > den). In double, so that no product
 * overflows: the quotient is an estimate of what the PMU did not see. */
static uint64_t scale_up(uint64_t raw, uint64_t num, uint64_t den)
{
	double v = (double)raw * ((double)num / (double)den) + 0.5;

	return v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
}

int perf_scale_group(const uint64_t *buf, size_t nwords, size_t nev,
		     uint64_t *prev, uint64_t *delta, struct perf_times *times)
{
	uint64_t en, run, d_en, d_run;

	if (nwords < PERF_GROUP_WORDS(nev) || buf[0] != nev)
		return -EINVAL;
	en = buf[1];
	run = buf[2];
	if (en < prev[0] || run < prev[1]) {
		/* Times never go back on one descriptor: re-base. */
		d_en = 0;
		d_run = 0;
	} else {
		d_en = en - prev[0];
		d_run = run - prev[1];
	}
	if (d_run > d_en)
		d_run = d_en;
	for (size_t i = 0; i < nev; i++) {
		uint64_t v = buf[3 + i], p = prev[2 + i];

		if (v < p || d_run == 0)
			delta[i] = 0;
		else if (d_run == d_en)
			delta[i] = v - p; /* not multiplexed: exact */
		else
			delta[i] = scale_up(v - p, d_en, d_run);
		prev[2 + i] = v;
	}
	prev[0] = en;
	prev[1] = run;
	times->enabled = d_en;
	times->running = d_run;
	return 0;
}

double perf_scale_ratio(const struct perf_times *t, double last)
{
	if (t->enabled == 0)
		return last;
	if (t->running >= t->enabled)
		return 1.0;
	return (double)t->running / (double)t->enabled;
}
