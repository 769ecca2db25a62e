/* Grouped perf_event reads turned into scaled increases: the pure
 * arithmetic of the perf collector, with no descriptor in sight, so that
 * multiplexing, never-scheduled groups and counters that go backwards are
 * unit-tested with hand-made buffers. */
#ifndef VIRTMETER_PERF_SCALE_H
#define VIRTMETER_PERF_SCALE_H

#include <stddef.h>
#include <stdint.h>

/* A read() of a group leader opened with PERF_FORMAT_GROUP |
 * PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING gives
 * nr, time_enabled, time_running, then nr values: this many u64 words. */
#define PERF_GROUP_WORDS(nev) (3 + (nev))

/* What the previous read of one group left: PERF_PREV_WORDS(nev) words,
 * time_enabled, time_running, then the nev raw values. All zero before the
 * first read of a freshly opened group. */
#define PERF_PREV_WORDS(nev) (2 + (nev))

/* The time deltas of one read, summed by the caller over CPUs to give the
 * scaling ratio. */
struct perf_times {
	uint64_t enabled; /* ns the group was enabled since the last read */
	uint64_t running; /* ns it was on the PMU (at most enabled) */
};

/* Turns one group read (nwords u64 words at buf) of nev events into the
 * increase of each event since the previous read, scaled for
 * multiplexing: delta[i] = raw increase * enabled / running over the
 * interval, in whole events (whole nanoseconds for a clock), so that the
 * sums stay integers and a clock becomes seconds exactly, once. prev
 * (PERF_PREV_WORDS(nev) words, see above) is updated to this read. Rules,
 * so that a counter exported as a sum never goes backwards:
 *   - running equal to enabled (no multiplexing, every clock): delta is
 *     the raw increase, exactly;
 *   - running below enabled: the scaled increase, computed in double (no
 *     product overflows), rounded to the nearest integer and saturated at
 *     UINT64_MAX;
 *   - running 0 over the interval (never scheduled, or a cgroup whose
 *     tasks did not run on that CPU): every delta is 0;
 *   - times or a value smaller than in prev (a reset or a bogus read): the
 *     delta of what went backwards is 0 and prev is re-based on this read;
 *   - running above enabled is clamped to enabled.
 * Returns 0, or -EINVAL when the buffer is shorter than
 * PERF_GROUP_WORDS(nev) or its nr is not nev (prev and the outputs are then
 * untouched). */
int perf_scale_group(const uint64_t *buf, size_t nwords, size_t nev,
		     uint64_t *prev, uint64_t *delta, struct perf_times *times);

/* The scaling ratio running / enabled of the summed times t, between 0
 * and 1; last when nothing was enabled in the interval (an idle cgroup
 * keeps its last ratio, 1 at first). */
double perf_scale_ratio(const struct perf_times *t, double last);

#endif
