/* Scaling of grouped perf_event reads (see perf_scale.h). */
#include "collectors/perf/scale.h"

#include <errno.h>

int perf_scale_group(const uint64_t *buf, size_t nwords, size_t nev,
		     uint64_t *prev, double *delta, struct perf_times *times)
{
	uint64_t en, run, d_en, d_run;
	double scale;

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
	scale = d_run ? (double)d_en / (double)d_run : 0.0;
	for (size_t i = 0; i < nev; i++) {
		uint64_t v = buf[3 + i], p = prev[2 + i];

		delta[i] = v >= p ? (double)(v - p) * scale : 0.0;
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
