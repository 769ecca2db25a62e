/* Fuzz target for the /proc and sysfs parsers of collectors/lib/procfs.c: every
 * input goes to each parser as raw bytes (no NUL terminator), and the
 * invariants their results promise are checked. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "collectors/lib/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct procfs_stat st;
	struct procfs_meminfo mi;
	struct procfs_pid_stat ps;
	unsigned ncpus;
	int err;

	err = procfs_parse_stat(buf, size, &st);
	if (err == 0 && (st.nmodes < 4 || st.nmodes > PROCFS_CPU_NMODES))
		abort();
	if (err != 0 && err != -EINVAL && err != -ERANGE)
		abort();

	err = procfs_parse_meminfo(buf, size, &mi);
	if (err == 0 && (mi.present >> PROCFS_MEM_NFIELDS) != 0)
		abort();
	if (err != 0 && err != -EINVAL && err != -ERANGE)
		abort();

	err = procfs_parse_pid_stat(buf, size, &ps);
	if (err != 0 && err != -EINVAL && err != -ERANGE)
		abort();

	err = procfs_parse_cpu_list(buf, size, &ncpus);
	/* An empty list names no CPU. */
	if (err == 0 && size == 0 && ncpus != 0)
		abort();
	if (err != 0 && err != -EINVAL && err != -ERANGE)
		abort();
	return 0;
}
