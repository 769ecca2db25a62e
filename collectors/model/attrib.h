/* The arithmetic of the energy model, free of any source: counters read at
 * their own moments and interpolated to the model's, the host's energy
 * split into idle and dynamic parts, the estimate that stands in for a
 * missing meter, shares by weight, reserved weights, the virtualization
 * overhead of a VM and the test for a nearly idle workload. Pure functions
 * of their arguments, so that unit tests can check each by hand. */
#ifndef VIRTMETER_MODEL_ATTRIB_H
#define VIRTMETER_MODEL_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>

/* Readings of one counter kept for interpolation: 15 s of a meter read
 * every second, the longest wait past an interval's end (max_gap). */
#define SERIES_LEN 16

/* A counter's last SERIES_LEN readings (Unix time, value), oldest first,
 * and its value at the end of the last interval (series_mark), which is
 * the start of the next one however long that lasts. */
struct series {
	double t[SERIES_LEN];
	double v[SERIES_LEN];
	unsigned n;
	double mark_t, mark_v;
	double reset_t; /* time of the first reading after the last reset */
};

/* Adds the reading (t, v). A reading not later than the last one is
 * ignored; a value below the last one (the counter was reset) starts the
 * series over and is remembered, so that no interval spans the reset.
 * Non-finite readings are ignored. */
void series_push(struct series *s, double t, double v);

/* The counter's value at time t: linear between the two readings around t,
 * or up to slack seconds past the last one along the last two readings'
 * slope. NaN when t lies before the first reading or more than slack past
 * the last, or when the readings around t are more than max_gap seconds
 * apart (a gap is never bridged). */
double series_at(const struct series *s, double t, double max_gap,
		 double slack);

/* Keeps the value at t as the start of the next interval: NaN when it is
 * unknown or would be extrapolated past the last reading (the next
 * interval then interpolates its start once a later reading exists). */
void series_mark(struct series *s, double t, double max_gap, double slack);

/* The counter's increase from t0 to t1: from the value series_mark kept
 * at t0 if there is one, else interpolated, to the value at t1. NaN when
 * either end is unknown or the counter went down in between. */
double series_since(const struct series *s, double t0, double t1,
		    double max_gap, double slack);

/* Time of the last reading, or 0 for an empty series. */
double series_last_t(const struct series *s);

/* Seconds between the last two readings, or 0 with fewer than two. */
double series_spacing(const struct series *s);

/* The host's energy e (joules) over dt seconds with idle power p_idle
 * watts: *idle = min(e, p_idle * dt) and *dynamic = e - *idle, so neither
 * is ever negative and a meter that reads below idle puts all of e in
 * idle. */
void attrib_host_split(double e, double p_idle, double dt, double *idle,
		       double *dynamic);

/* The linear power estimate: p_idle + (p_max - p_idle) * util, with util
 * clamped to [0, 1]. */
double attrib_estimate_watts(double p_idle, double p_max, double util);

/* Splits e over n parts by their weights w (negative or non-finite weights
 * count as 0): part i gets e * w[i] / max(whole, sum of w). whole is the
 * weight of everything that could have used e (the host's busy CPU time,
 * its cycles), so what the parts did not use stays with the host. Returns
 * that remainder, e minus the sum of out, never negative. */
double attrib_split(double e, const double *w, double *out, size_t n,
		    double whole);

/* The weight of a workload's reservation on the host: the mean of its
 * shares of the host's CPUs and memory (each clamped to [0, 1]; an
 * unknown host size counts as no share). */
double attrib_reserved_weight(double vcpus, double mem_bytes,
			      double host_cpus, double host_mem_bytes);

/* The share of a VM's CPU time that is virtualization overhead over an
 * interval, from the increases of its guest (vCPU) time and of its whole
 * CPU time: 1 - guest / total, clamped to [0, 1]; 0 when total is not
 * positive or either is not finite. */
double attrib_overhead_share(double guest, double total);

/* Whether a workload that used cpu_s CPU seconds over dt seconds was
 * nearly idle: it reserves vcpus > 0 CPUs and used less than threshold
 * (a fraction) of them. */
bool attrib_nearly_idle(double cpu_s, double dt, double vcpus,
			double threshold);

/* |parts - measured| / measured, the relative error of an attribution (0
 * when both are 0, 1 when only measured is 0). */
double attrib_error_ratio(double parts, double measured);

#endif
