/* The host collector: host-wide CPU time per mode, online CPUs, boot time
 * and memory, read from <procfs>/stat, <procfs>/meminfo and
 * <sysfs>/devices/system/cpu/online through descriptors opened once at init
 * and re-read with pread every cycle. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/api/collector.h"
#include "collectors/lib/procfs.h"
#include "exporter/api/log.h"

/* /proc/stat grows with CPUs and interrupts; no real host comes near. */
#define HOST_READ_MAX (4u << 20)

static const struct snap_family fam_cpu_seconds = {
    .name = "virtmeter_host_cpu_seconds",
    .help = "Seconds the host's CPUs spent in each mode, from /proc/stat "
	    "(user and nice include the time spent running guests).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"mode", NULL},
};

static const struct snap_family fam_cpu_guest_seconds = {
    .name = "virtmeter_host_cpu_guest_seconds",
    .help = "Seconds the host's CPUs spent running guest vCPUs, by the "
	    "guest's niceness (already counted in the user and nice modes "
	    "of virtmeter_host_cpu_seconds).",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"mode", NULL},
};

static const struct snap_family fam_cpus = {
    .name = "virtmeter_host_cpus",
    .help = "Number of online CPUs of the host.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family fam_boot_time = {
    .name = "virtmeter_host_boot_time_seconds",
    .help = "Time the host booted, in seconds since the Unix epoch.",
    .type = SNAP_GAUGE,
    .unit = "seconds",
    .labels = {NULL},
};

static const struct snap_family fam_mem_total = {
    .name = "virtmeter_host_memory_total_bytes",
    .help = "Usable RAM of the host in bytes (MemTotal).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_mem_free = {
    .name = "virtmeter_host_memory_free_bytes",
    .help = "RAM of the host left unused, in bytes (MemFree).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_mem_available = {
    .name = "virtmeter_host_memory_available_bytes",
    .help = "RAM of the host available to new work without swapping, in "
	    "bytes (MemAvailable).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_mem_buffers = {
    .name = "virtmeter_host_memory_buffers_bytes",
    .help = "RAM of the host used for block device buffers, in bytes "
	    "(Buffers).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_mem_cached = {
    .name = "virtmeter_host_memory_cached_bytes",
    .help = "RAM of the host used by the page cache, in bytes (Cached).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_swap_total = {
    .name = "virtmeter_host_swap_total_bytes",
    .help = "Swap space of the host in bytes (SwapTotal).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_swap_free = {
    .name = "virtmeter_host_swap_free_bytes",
    .help = "Unused swap space of the host in bytes (SwapFree).",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

/* The family of each /proc/meminfo field, in enum procfs_mem_field order. */
static const struct snap_family *const mem_fams[PROCFS_MEM_NFIELDS] = {
    [PROCFS_MEM_TOTAL] = &fam_mem_total,
    [PROCFS_MEM_FREE] = &fam_mem_free,
    [PROCFS_MEM_AVAILABLE] = &fam_mem_available,
    [PROCFS_MEM_BUFFERS] = &fam_mem_buffers,
    [PROCFS_MEM_CACHED] = &fam_mem_cached,
    [PROCFS_MEM_SWAP_TOTAL] = &fam_swap_total,
    [PROCFS_MEM_SWAP_FREE] = &fam_swap_free,
};

/* The "mode" label of each tick counter up to steal. */
static const char *const cpu_modes[PROCFS_CPU_GUEST] = {
    [PROCFS_CPU_USER] = "user",	      [PROCFS_CPU_NICE] = "nice",
    [PROCFS_CPU_SYSTEM] = "system",   [PROCFS_CPU_IDLE] = "idle",
    [PROCFS_CPU_IOWAIT] = "iowait",   [PROCFS_CPU_IRQ] = "irq",
    [PROCFS_CPU_SOFTIRQ] = "softirq", [PROCFS_CPU_STEAL] = "steal",
};

static const struct snap_family *const host_families[] = {
    &fam_cpu_seconds,	&fam_cpu_guest_seconds, &fam_cpus,
    &fam_boot_time,	&fam_mem_total,		&fam_mem_free,
    &fam_mem_available, &fam_mem_buffers,	&fam_mem_cached,
    &fam_swap_total,	&fam_swap_free,		NULL,
};

struct host_state {
	int stat_fd;
	int meminfo_fd;
	int online_fd; /* -1 when the sysfs file is absent */
	double ticks_per_second;
	char *buf; /* read buffer, grown on demand up to HOST_READ_MAX */
	size_t cap;
};

/* Opens root/rel read-only into *fd. Returns 0 or a negative errno; path
 * receives the full name for the caller's log line. */
static int open_under(const char *root, const char *rel, char *path,
		      size_t size, int *fd)
{
	int n = snprintf(path, size, "%s/%s", root, rel);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	return 0;
}

static void host_fini(void *state)
{
	struct host_state *st = state;

	if (!st)
		return;
	if (st->stat_fd >= 0)
		close(st->stat_fd);
	if (st->meminfo_fd >= 0)
		close(st->meminfo_fd);
	if (st->online_fd >= 0)
		close(st->online_fd);
	free(st->buf);
	free(st);
}

static int host_init(const struct collector_env *env, void **state)
{
	char path[PATH_MAX];
	struct host_state *st;
	long hz = sysconf(_SC_CLK_TCK);
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->stat_fd = st->meminfo_fd = st->online_fd = -1;
	if (hz <= 0) {
		err = -EINVAL;
		collector_error("sysconf(_SC_CLK_TCK) returned %ld", hz);
		goto out;
	}
	st->ticks_per_second = (double)hz;
	err = open_under(env->procfs, "stat", path, sizeof(path), &st->stat_fd);
	if (err == 0)
		err = open_under(env->procfs, "meminfo", path, sizeof(path),
				 &st->meminfo_fd);
	if (err < 0) {
		collector_error("cannot open %s: %s", path, strerror(-err));
		goto out;
	}
	/* Optional: without it, the cpuN lines of /proc/stat are counted. */
	err = open_under(env->sysfs, "devices/system/cpu/online", path,
			 sizeof(path), &st->online_fd);
	if (err < 0)
		log_debug("host: no %s (%s), counting cpuN lines of stat", path,
			  strerror(-err));
	err = 0;
	*state = st;
	st = NULL;
out:
	host_fini(st);
	return err;
}

/* Reads the file behind fd into the state's buffer. Returns the length or a
 * negative errno. */
static ssize_t host_read(struct host_state *st, int fd)
{
	return procfs_read_fd_grow(fd, &st->buf, &st->cap, HOST_READ_MAX);
}

/* Counts online CPUs from sysfs, or from stat's cpuN lines when the sysfs
 * file is absent or lists none. */
static int host_online_cpus(struct host_state *st, const struct procfs_stat *ps,
			    unsigned *count)
{
	ssize_t n;
	int err;

	*count = 0;
	if (st->online_fd >= 0) {
		n = host_read(st, st->online_fd);
		if (n < 0)
			return (int)n;
		err = procfs_parse_cpu_list(st->buf, (size_t)n, count);
		if (err < 0)
			return err;
	}
	if (*count == 0)
		*count = ps->ncpus;
	return 0;
}

static int host_collect(void *state, struct snap_set *out)
{
	struct host_state *st = state;
	struct procfs_stat ps;
	struct procfs_meminfo mi;
	unsigned ncpus;
	double hz = st->ticks_per_second;
	ssize_t n;
	int err;

	/* Read and parse everything before adding a sample, so that a failed
	 * cycle adds nothing. */
	n = host_read(st, st->stat_fd);
	if (n < 0)
		return (int)n;
	err = procfs_parse_stat(st->buf, (size_t)n, &ps);
	if (err < 0)
		return err;
	n = host_read(st, st->meminfo_fd);
	if (n < 0)
		return (int)n;
	err = procfs_parse_meminfo(st->buf, (size_t)n, &mi);
	if (err < 0)
		return err;
	if (mi.present == 0)
		return -EINVAL;
	err = host_online_cpus(st, &ps, &ncpus);
	if (err < 0)
		return err;

	for (int m = 0; m < PROCFS_CPU_GUEST; m++)
		snap_add(out, &fam_cpu_seconds, (double)ps.ticks[m] / hz,
			 cpu_modes[m]);
	snap_add(out, &fam_cpu_guest_seconds,
		 (double)ps.ticks[PROCFS_CPU_GUEST] / hz, "user");
	snap_add(out, &fam_cpu_guest_seconds,
		 (double)ps.ticks[PROCFS_CPU_GUEST_NICE] / hz, "nice");
	snap_add0(out, &fam_cpus, (double)ncpus);
	if (ps.have_btime)
		snap_add0(out, &fam_boot_time, (double)ps.btime);
	for (int f = 0; f < PROCFS_MEM_NFIELDS; f++)
		if (mi.present & (1u << f))
			snap_add0(out, mem_fams[f], (double)mi.bytes[f]);
	return out->err;
}

const struct collector host_collector = {
    .name = "host",
    .help = "host CPU time per mode, online CPUs, boot time and memory "
	    "from /proc and /sys",
    .default_enabled = true,
    .interval_ms = 5000,
    .timeout_ms = 10000,
    .families = host_families,
    .init = host_init,
    .collect = host_collect,
    .fini = host_fini,
};
