/* Reading one cgroup's figures for the cgroup collector: which file of
 * which hierarchy holds each figure (cgroup2, v1 or both on a hybrid host),
 * descriptors opened once and re-read with pread every cycle, and the
 * figures in base units. Containers and the host-side view of VMs share
 * it. */
#ifndef VIRTMETER_CGROUP_READ_H
#define VIRTMETER_CGROUP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/cgroup/layout.h"
#include "collectors/cgroup/parse.h"

/* The files that cgr_open may keep open for one cgroup. */
enum cgr_file {
	CGR_CPU_STAT_V2,   /* unified cpu.stat */
	CGR_CPU_STAT_V1,   /* cpu hierarchy cpu.stat (CFS throttling) */
	CGR_CPUACCT_STAT,  /* cpuacct.stat */
	CGR_MEM_USAGE,	   /* memory.current / memory.usage_in_bytes */
	CGR_MEM_STAT,	   /* memory.stat */
	CGR_MEM_LIMIT,	   /* memory.max / memory.limit_in_bytes */
	CGR_MEM_SWAP,	   /* memory.swap.current / memsw.usage_in_bytes */
	CGR_MEM_EVENTS,	   /* memory.events / memory.oom_control */
	CGR_IO_STAT,	   /* io.stat */
	CGR_BLKIO_BYTES,   /* blkio.throttle.io_service_bytes */
	CGR_BLKIO_IOS,	   /* blkio.throttle.io_serviced */
	CGR_PIDS,	   /* pids.current */
	CGR_PSI_CPU,	   /* cpu.pressure */
	CGR_PSI_MEM,	   /* memory.pressure */
	CGR_PSI_IO,	   /* io.pressure */
	CGR_CPUACCT_USAGE, /* cpuacct.usage: the v1 probe (nanoseconds) */
	CGR_NFILES
};

/* Open descriptors of one cgroup's files; -1 where a file is absent. */
struct cgr_files {
	int fd[CGR_NFILES];
	bool memory_v1; /* the memory files are v1's */
	bool open;	/* cgr_open succeeded and nothing vanished since */
};

/* Most block devices kept per cgroup. */
#define CGR_MAX_DEVS 64

/* Bits of cgr_stats.present. */
enum {
	CGR_HAVE_CPU = 1 << 0,
	CGR_HAVE_THROTTLE = 1 << 1,
	CGR_HAVE_MEM = 1 << 2,
	CGR_HAVE_MEM_STAT = 1 << 3,
	CGR_HAVE_LIMIT = 1 << 4,
	CGR_HAVE_SWAP = 1 << 5,
	CGR_HAVE_OOM = 1 << 6,
	CGR_HAVE_PIDS = 1 << 7,
	CGR_HAVE_PSI_CPU = 1 << 8,
	CGR_HAVE_PSI_MEM = 1 << 9,
	CGR_HAVE_PSI_IO = 1 << 10,
	CGR_HAVE_PROBE = 1 << 11,
};

/* One cycle's figures of a cgroup in base units (seconds, bytes). */
struct cgr_stats {
	unsigned present; /* CGR_HAVE_* */
	double user_s, system_s;
	double throttled_s;
	double throttled_periods, periods;
	double mem_usage, working_set, rss, cache, swap, limit;
	double oom_kills;
	double pids;
	struct cg_pressure psi[3]; /* cpu, memory, io */
	/* The finest CPU time counter the cgroup has (usage_usec of cpu.stat,
	 * cpuacct.usage, else the ticks of cpuacct.stat), in its own unit:
	 * it moves whenever a task of the cgroup ran. */
	uint64_t probe;
	size_t nio;
	struct cg_io_dev io[CGR_MAX_DEVS]; /* last: copies keep io[0..nio) */
};

/* Marks every descriptor of f closed (-1). */
void cgr_files_init(struct cgr_files *f);

/* Opens the files of cgroup rel (relative to each hierarchy's root) that
 * layout l gives it: each figure from the cgroup2 tree where its
 * controller is there (cpu.stat and PSI whenever the cgroup is in the
 * unified tree and has no cpuacct), else from the v1 hierarchy. Files that
 * do not exist stay -1. Returns 0; -ENOENT if the cgroup exists in no
 * hierarchy or no file could be opened (f is then all closed). */
int cgr_open(const struct cg_layout *l, const char *rel, struct cgr_files *f);

/* Closes every open descriptor of f. */
void cgr_close(struct cgr_files *f);

/* Reads and parses every open file of f into *out, with *buf (*cap bytes;
 * both may start NULL and 0; the caller frees *buf) as the read buffer.
 * ticks_per_s is USER_HZ. A file that fails to parse only leaves its
 * figures out. Returns 0; -ENOENT when a file vanished (the cgroup is being
 * removed: f is then closed for cgr_open to try again); -ENOMEM. */
int cgr_read(struct cgr_files *f, double ticks_per_s, char **buf,
	     size_t *cap, struct cgr_stats *out);

/* cgr_read in two steps, for a caller that skips the second when the
 * first shows the cgroup idle: cgr_read_probe clears *out and reads the
 * CPU time counter into out->probe (CGR_HAVE_PROBE; on cgroup2 this is
 * cpu.stat, whose CPU figures it also fills), and cgr_read_rest reads
 * every other file. Same returns as cgr_read. */
int cgr_read_probe(struct cgr_files *f, double ticks_per_s, char **buf,
		   size_t *cap, struct cgr_stats *out);
int cgr_read_rest(struct cgr_files *f, double ticks_per_s, char **buf,
		  size_t *cap, struct cgr_stats *out);

#endif
