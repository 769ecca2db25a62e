/* The process collector: the standard Prometheus process metrics of
 * virtmeter itself (CPU time, memory, file descriptors, start time). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter/api/collector.h"
#include "collectors/lib/procfs.h"

/* These are facts about this very process, so they always come from the
 * real /proc, never from env->procfs (which may point at a fixture tree or
 * at a host's /proc mounted elsewhere). */
#define SELF_PROCFS "/proc"

#define PROCESS_READ_MAX (4u << 20)

static const struct snap_family fam_cpu = {
    .name = "process_cpu_seconds",
    .help = "Total user and system CPU time spent in seconds.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {NULL},
};

static const struct snap_family fam_rss = {
    .name = "process_resident_memory_bytes",
    .help = "Resident memory size in bytes.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_vsize = {
    .name = "process_virtual_memory_bytes",
    .help = "Virtual memory size in bytes.",
    .type = SNAP_GAUGE,
    .unit = "bytes",
    .labels = {NULL},
};

static const struct snap_family fam_open_fds = {
    .name = "process_open_fds",
    .help = "Number of open file descriptors.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family fam_max_fds = {
    .name = "process_max_fds",
    .help = "Maximum number of open file descriptors.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family fam_start_time = {
    .name = "process_start_time_seconds",
    .help = "Start time of the process since the Unix epoch in seconds.",
    .type = SNAP_GAUGE,
    .unit = "seconds",
    .labels = {NULL},
};

static const struct snap_family *const process_families[] = {
    &fam_cpu,	  &fam_rss,	   &fam_vsize, &fam_open_fds,
    &fam_max_fds, &fam_start_time, NULL,
};

struct process_state {
	int stat_fd; /* /proc/self/stat */
	DIR *fd_dir; /* /proc/self/fd, rewound every cycle */
	double ticks_per_second;
	double page_size;
	uint64_t btime; /* host boot time, read once */
	char buf[4096]; /* /proc/self/stat: one line of 52 numbers */
};

/* Reads btime from /proc/stat once. Returns 0 or a negative errno. */
static int read_btime(uint64_t *btime)
{
	struct procfs_stat ps;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int fd, err;

	fd = open(SELF_PROCFS "/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = procfs_read_fd_grow(fd, &buf, &cap, PROCESS_READ_MAX);
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	err = procfs_parse_stat(buf, (size_t)n, &ps);
	if (err == 0 && !ps.have_btime)
		err = -ENODATA;
	if (err == 0)
		*btime = ps.btime;
out:
	free(buf);
	close(fd);
	return err;
}

static void process_fini(void *state)
{
	struct process_state *st = state;

	if (!st)
		return;
	if (st->stat_fd >= 0)
		close(st->stat_fd);
	if (st->fd_dir)
		closedir(st->fd_dir);
	free(st);
}

static int process_init(const struct collector_env *env, void **state)
{
	struct process_state *st;
	long hz = sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	const char *what;
	int err;

	(void)env; /* see SELF_PROCFS */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->stat_fd = -1;
	what = "sysconf(_SC_CLK_TCK or _SC_PAGESIZE)";
	err = -EINVAL;
	if (hz <= 0 || page <= 0)
		goto out;
	st->ticks_per_second = (double)hz;
	st->page_size = (double)page;
	what = SELF_PROCFS "/stat";
	err = read_btime(&st->btime);
	if (err < 0)
		goto out;
	what = SELF_PROCFS "/self/stat";
	st->stat_fd = open(what, O_RDONLY | O_CLOEXEC);
	if (st->stat_fd < 0) {
		err = -errno;
		goto out;
	}
	what = SELF_PROCFS "/self/fd";
	st->fd_dir = opendir(what);
	if (!st->fd_dir) {
		err = -errno;
		goto out;
	}
	*state = st;
	st = NULL;
out:
	if (err < 0)
		collector_error("cannot use %s: %s", what, strerror(-err));
	process_fini(st);
	return err;
}

/* Counts the entries of /proc/self/fd, including the directory's own
 * descriptor, which stays open for the life of the collector. Since Linux
 * 6.2 the directory's size is that count, which saves listing thousands of
 * descriptors (the cgroup collector keeps a dozen per container); older
 * kernels say 0 and the directory is listed. */
static int count_open_fds(DIR *dir, unsigned *count)
{
	struct dirent *e;
	struct stat sb;
	unsigned n = 0;

	if (fstat(dirfd(dir), &sb) == 0 && sb.st_size > 0 &&
	    sb.st_size < (off_t)UINT_MAX) {
		*count = (unsigned)sb.st_size;
		return 0;
	}
	rewinddir(dir);
	errno = 0;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	if (errno != 0)
		return -errno;
	*count = n;
	return 0;
}

static int process_collect(void *state, struct snap_set *out)
{
	struct process_state *st = state;
	struct procfs_pid_stat ps;
	struct rlimit rl;
	unsigned nfds = 0;
	ssize_t n;
	int err;

	n = procfs_read_fd(st->stat_fd, st->buf, sizeof(st->buf));
	if (n < 0)
		return (int)n;
	err = procfs_parse_pid_stat(st->buf, (size_t)n, &ps);
	if (err < 0)
		return err;
	err = count_open_fds(st->fd_dir, &nfds);
	if (err < 0)
		return err;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;

	snap_add0(out, &fam_cpu,
		  ((double)ps.utime + (double)ps.stime) / st->ticks_per_second);
	snap_add0(out, &fam_rss, (double)ps.rss * st->page_size);
	snap_add0(out, &fam_vsize, (double)ps.vsize);
	snap_add0(out, &fam_open_fds, (double)nfds);
	snap_add0(out, &fam_max_fds, (double)rl.rlim_cur);
	snap_add0(out, &fam_start_time,
		  (double)st->btime +
		      (double)ps.starttime / st->ticks_per_second);
	return out->err;
}

const struct collector process_collector = {
    .name = "process",
    .help = "virtmeter's own process: CPU, memory, file descriptors",
    .default_enabled = true,
    .interval_ms = 5000,
    .timeout_ms = 10000,
    .families = process_families,
    .init = process_init,
    .collect = process_collect,
    .fini = process_fini,
};
