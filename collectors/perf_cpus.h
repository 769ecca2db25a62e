/* The online-CPU list of sysfs ("0-3,5\n") as a sorted array of CPU
 * numbers: the set of CPUs the perf collector opens its event groups on.
 * A pure parser over a buffer, fuzzed. */
#ifndef VIRTMETER_PERF_CPUS_H
#define VIRTMETER_PERF_CPUS_H

#include <stddef.h>

/* More CPUs than any host has; a list naming more is refused. */
#define PERF_MAX_CPUS 8192

/* Parses the len bytes at buf (no NUL needed) as a kernel CPU list:
 * comma-separated numbers and ranges "a-b" in increasing order, with
 * optional trailing blanks and newline. Writes the CPU numbers in
 * increasing order to cpus (room for max entries) and their count to *n.
 * An empty list is valid (*n = 0). Returns 0; -EINVAL for malformed text
 * (ranges out of order or overlapping, a trailing comma); -ERANGE when a
 * CPU number is PERF_MAX_CPUS or more, or when the list holds more than
 * max CPUs. On error *n and cpus are left in an unspecified state. */
int perf_parse_cpu_list(const char *buf, size_t len, int *cpus, size_t max,
			size_t *n);

#endif
