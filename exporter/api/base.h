/* The smallest helpers that any file of virtmeter may use: the element
 * count of an array, and the two clocks read as numbers. One definition
 * each, so that no file writes its own. */
#ifndef VIRTMETER_API_BASE_H
#define VIRTMETER_API_BASE_H

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

/* CLOCK_REALTIME in seconds since the Unix epoch: for timestamps that
 * are exported. */
static inline double clock_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
