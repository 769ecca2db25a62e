/* The model's arithmetic: interpolation, splits, the estimate and the
 * overhead share. See attrib.h and docs/attribution.md. */
#include "collectors/model/attrib.h"

#include <math.h>
#include <string.h>

void series_push(struct series *s, double t, double v)
{
	if (!isfinite(t) || !isfinite(v))
		return;
	if (s->n > 0) {
		if (t <= s->t[s->n - 1])
			return;
		if (v < s->v[s->n - 1]) {
			s->n = 0;
			s->reset_t = t;
		}
	}
	if (s->n == SERIES_LEN) {
		memmove(s->t, s->t + 1, (SERIES_LEN - 1) * sizeof(s->t[0]));
		memmove(s->v, s->v + 1, (SERIES_LEN - 1) * sizeof(s->v[0]));
		s->n--;
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
}

/* The value at t on the segment from reading i to reading i + 1. */
static double on_segment(const struct series *s, unsigned i, double t)
{
	double span = s->t[i + 1] - s->t[i];

	return s->v[i] + (s->v[i + 1] - s->v[i]) * (t - s->t[i]) / span;
}

double series_at(const struct series *s, double t, double max_gap,
		 double slack)
{
	unsigned last;

	if (s->n == 0 || !isfinite(t) || t < s->t[0])
		return NAN;
	last = s->n - 1;
	if (t == s->t[last])
		return s->v[last];
	if (t > s->t[last]) {
		if (t - s->t[last] > slack || s->n < 2 ||
		    s->t[last] - s->t[last - 1] > max_gap)
			return NAN;
		return on_segment(s, last - 1, t);
	}
	for (unsigned i = 0; i < last; i++) {
		if (t > s->t[i + 1])
			continue;
		if (s->t[i + 1] - s->t[i] > max_gap)
			return NAN;
		return on_segment(s, i, t);
	}
	return NAN;
}

void series_mark(struct series *s, double t, double max_gap, double slack)
{
	s->mark_t = t;
	/* A value extrapolated past the last reading is a guess: the next
	 * interval takes its start from the readings around it instead, so
	 * that an error at a change of slope is not carried into it. */
	s->mark_v = s->n && t <= s->t[s->n - 1] ? series_at(s, t, max_gap, slack)
						 : NAN;
}

double series_since(const struct series *s, double t0, double t1,
		    double max_gap, double slack)
{
	double a = s->mark_t == t0 && isfinite(s->mark_v) ?
			   s->mark_v :
			   series_at(s, t0, max_gap, slack);
	double b = series_at(s, t1, max_gap, slack);

	/* Across a reset the two ends belong to different counters. */
	if (s->reset_t > t0)
		return NAN;
	return isfinite(a) && isfinite(b) && b >= a ? b - a : NAN;
}

double series_last_t(const struct series *s)
{
	return s->n ? s->t[s->n - 1] : 0;
}

double series_spacing(const struct series *s)
{
	return s->n >= 2 ? s->t[s->n - 1] - s->t[s->n - 2] : 0;
}

void attrib_host_split(double e, double p_idle, double dt, double *idle,
		       double *dynamic)
{
	double floor_e = p_idle > 0 && dt > 0 ? p_idle * dt : 0;

	if (!(e > 0)) {
		*idle = 0;
		*dynamic = 0;
		return;
	}
	*idle = e < floor_e ? e : floor_e;
	*dynamic = e - *idle;
}

double attrib_estimate_watts(double p_idle, double p_max, double util)
{
	if (!(util > 0))
		util = 0;
	if (util > 1)
		util = 1;
	return p_idle + (p_max - p_idle) * util;
}

double attrib_split(double e, const double *w, double *out, size_t n,
		    double whole)
{
	double sum = 0, given = 0, rest;

	for (size_t i = 0; i < n; i++)
		if (isfinite(w[i]) && w[i] > 0)
			sum += w[i];
	if (!(whole > sum))
		whole = sum;
	for (size_t i = 0; i < n; i++) {
		out[i] = whole > 0 && isfinite(w[i]) && w[i] > 0 ?
				 e * (w[i] / whole) : 0;
		given += out[i];
	}
	rest = e - given;
	/* Rounding may leave -1 ulp when the parts take everything. */
	return rest > 0 ? rest : 0;
}

/* x / whole clamped to [0, 1]; 0 when whole is not positive. */
static double share_of(double x, double whole)
{
	double r;

	if (!(whole > 0) || !(x > 0))
		return 0;
	r = x / whole;
	return r > 1 ? 1 : r;
}

double attrib_reserved_weight(double vcpus, double mem_bytes,
			      double host_cpus, double host_mem_bytes)
{
	return (share_of(vcpus, host_cpus) +
		share_of(mem_bytes, host_mem_bytes)) / 2;
}

double attrib_overhead_share(double guest, double total)
{
	double r;

	if (!isfinite(guest) || !isfinite(total) || !(total > 0))
		return 0;
	r = 1 - guest / total;
	if (r < 0)
		return 0;
	return r > 1 ? 1 : r;
}

bool attrib_nearly_idle(double cpu_s, double dt, double vcpus,
			double threshold)
{
	if (!(vcpus > 0) || !(dt > 0) || !isfinite(cpu_s))
		return false;
	return cpu_s < threshold * vcpus * dt;
}

double attrib_error_ratio(double parts, double measured)
{
	if (measured == 0)
		return parts == 0 ? 0 : 1;
	return fabs(parts - measured) / fabs(measured);
}
