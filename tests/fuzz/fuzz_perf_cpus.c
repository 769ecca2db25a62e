/* Fuzz target for the online-CPU list parser that the perf collector uses (procfs_parse_cpus):
 * every input goes to it as raw bytes, with a roomy and a tight output
 * array, and the promised invariants are checked. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "collectors/lib/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The CPUs must be strictly increasing and below PROCFS_MAX_CPUS. */
static void check(const int *cpus, size_t n, size_t max)
{
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (cpus[i] < 0 || cpus[i] >= PROCFS_MAX_CPUS)
			abort();
		if (i > 0 && cpus[i] <= cpus[i - 1])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int cpus[PROCFS_MAX_CPUS];
	const size_t caps[] = {PROCFS_MAX_CPUS, 4};
	size_t n;
	int err;

	for (size_t c = 0; c < 2; c++) {
		n = 0;
		err = procfs_parse_cpus((const char *)data, size, cpus,
					  caps[c], &n);
		if (err == 0)
			check(cpus, n, caps[c]);
		else if (err != -EINVAL && err != -ERANGE)
			abort();
	}
	return 0;
}
