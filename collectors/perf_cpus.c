/* The sysfs online-CPU list parser (see perf_cpus.h). */
#include "collectors/perf_cpus.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "collectors/scan.h"

/* Reads one "a" or "a-b" item into *first and *last. Returns 0, -EINVAL
 * or -ERANGE. */
static int parse_item(struct scan *c, uint64_t *first, uint64_t *last)
{
	int err = scan_digits(c, first);

	if (err < 0)
		return err;
	*last = *first;
	if (c->p < c->end && *c->p == '-') {
		c->p++;
		err = scan_digits(c, last);
		if (err < 0)
			return err;
	}
	if (*first >= PERF_MAX_CPUS || *last >= PERF_MAX_CPUS)
		return -ERANGE;
	if (*last < *first)
		return -EINVAL;
	return 0;
}

int perf_parse_cpu_list(const char *buf, size_t len, int *cpus, size_t max,
			size_t *n)
{
	struct scan c = {buf, buf + len};
	uint64_t first, last, next_min = 0;
	size_t count = 0;
	int err;

	while (c.end > c.p && (scan_is_blank(c.end[-1]) || c.end[-1] == '\n'))
		c.end--;
	while (c.p < c.end) {
		err = parse_item(&c, &first, &last);
		if (err < 0)
			return err;
		/* The kernel prints ranges in order and never overlapping. */
		if (first < next_min)
			return -EINVAL;
		if (last - first + 1 > max - count)
			return -ERANGE;
		for (uint64_t cpu = first; cpu <= last; cpu++)
			cpus[count++] = (int)cpu;
		next_min = last + 1;
		if (c.p == c.end)
			break;
		if (*c.p != ',')
			return -EINVAL;
		c.p++;
		if (c.p == c.end)
			return -EINVAL;
	}
	*n = count;
	return 0;
}
