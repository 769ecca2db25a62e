/* The smallest helpers that any file of virtmeter may use: the element
 * count of an array, the two clocks read as numbers, nanoseconds as
 * seconds, and a deadline on a clock. One definition each, so that no
 * file writes its own. */
#ifndef VIRTMETER_API_BASE_H
#define VIRTMETER_API_BASE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* The number of elements of the array a (not of a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in seconds: for intervals, deadlines and ages. */
static inline double clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CLOCK_MONOTONIC in nanoseconds, for exact comparisons. */
static inline int64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Integer nanoseconds as seconds, converted once: the double nearest the
 * exact quotient, which the exposition writes as the exact decimal
 * (494544000 -> 0.494544) up to 2^53 ns (104 days). Sums and differences of
 * times are to be made on the nanoseconds, before this, never on its
 * results: 0.1 + 0.2 is not 0.3 in double. */
static inline double clock_ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* CLOCK_REALTIME in seconds since the Unix epoch: for timestamps that
 * are exported. */
static inline double clock_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The time ms milliseconds from now on clock clk, as the struct timespec
 * that pthread_cond_timedwait and pthread_timedjoin_np take. */
static inline struct timespec clock_deadline(clockid_t clk, unsigned ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Names the calling thread PREFIX NAME, cut to the kernel's 15
 * characters: what top -H, ps -L and perf show for it. */
static inline void thread_name(const char *prefix, const char *name)
{
	char buf[16];
	size_t n = 0;

	for (const char *s = prefix; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = *s;
	for (const char *s = name; *s && n < sizeof(buf) - 1; s++)
		buf[n++] = *s;
	buf[n] = '\0';
	pthread_setname_np(pthread_self(), buf);
}

#endif
