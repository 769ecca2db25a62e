/* Reading one cgroup's figures for the cgroup collector: which file of
 * which hierarchy holds each figure (cgroup2, v1 or both on a hybrid host),
 * descriptors opened once and re-read every cycle (the limits only after
 * inotify reports a write), and the figures in base units. Containers
 * and the host-side view of VMs share it. */
#ifndef VIRTMETER_CGROUP_READ_H
#define VIRTMETER_CGROUP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/lib/batch_read.h"
#include "collectors/cgroup/fwatch.h"
#include "collectors/lib/cgroup_layout.h"
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
	CGR_CPU_QUOTA,	   /* cpu.max / cpu.cfs_quota_us */
	CGR_CPU_PERIOD,	   /* cpu.cfs_period_us (cgroup2's is in cpu.max) */
	CGR_NFILES
};

/* Open descriptors of one cgroup's files; -1 where a file is absent. */
struct cgr_files {
	int fd[CGR_NFILES];
	bool memory_v1; /* the memory files are v1's */
	bool cpu_v1;	/* the CPU quota files are v1's */
	bool open;	/* cgr_open succeeded and nothing vanished since */
	/* The memory and CPU limit files, and cgroup2's memory.events,
	 * watched (see fwatch.h); NULL when they are read every time. */
	struct cg_fwatch *fw;
	struct cg_fnote *notes; /* one per watched file, see cgroup_read.c */
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
	CGR_HAVE_CFS_QUOTA = 1 << 12,  /* cfs.quota_us and cfs.unlimited */
	CGR_HAVE_CFS_PERIOD = 1 << 13, /* cfs.period_us */
	CGR_HAVE_QUOTA = 1 << 14,      /* quota_cpus: a limit is set */
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
	/* The CFS bandwidth limit as read, its quota from cpu.max or
	 * cpu.cfs_quota_us, its period from cpu.max or cpu.cfs_period_us;
	 * quota_cpus is their ratio. */
	struct cg_cpu_quota cfs;
	double quota_cpus;
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
 * do not exist stay -1. With fw (may be NULL), the memory limit, the CPU
 * quota files and cgroup2's memory.events are watched there and read only
 * after they changed.
 * Returns 0; -ENOENT if the cgroup exists in no hierarchy or no file could
 * be opened (f is then all closed). */
int cgr_open(const struct cg_layout *l, const char *rel, struct cg_fwatch *fw,
	     struct cgr_files *f);

/* Closes every open descriptor of f and drops its watches. */
void cgr_close(struct cgr_files *f);

/* Whether inotify reported a write to one of f's watched files (a limit,
 * memory.events) that no read has taken yet: the cgroup is then to be
 * read in full even if idle. Files read every time do not count. */
bool cgr_watched_changed(const struct cgr_files *f);

/* How many cgroups one batch holds: a caller queues at most that many
 * between two runs (more are left out). */
#define CGR_BATCH 16

/* Reads of up to CGR_BATCH cgroups, handed to the kernel together (see
 * collectors/lib/batch_read.h): a cycle queues the CPU time counter of a few
 * cgroups, runs, then queues the other files of those that were not idle
 * and runs again. */
struct cgr_batch {
	struct batch_reader br;
	double hz; /* USER_HZ, for cpuacct.stat */
	size_t nreads, ngroups;
	struct br_read req[CGR_BATCH * CGR_NFILES];
	unsigned char file[CGR_BATCH * CGR_NFILES]; /* enum cgr_file */
	unsigned char group[CGR_BATCH * CGR_NFILES];
	struct cgr_group {
		struct cgr_files *f;
		struct cgr_stats *s;
		const struct cgr_stats *last; /* where carried figures come from */
		unsigned carried; /* files not read: bits of enum cgr_file */
		bool rest;	 /* derive the combined figures after */
		bool ticks_probe; /* the probe is cpuacct.stat */
	} groups[CGR_BATCH];
	double files_read; /* since cgr_batch_init */
	char *arena;	/* each read's buffer, about 16 KiB a cgroup */
	size_t slot_off[CGR_NFILES]; /* where each file's slot starts */
	size_t group_len;	     /* the arena of one cgroup */
	char *buf;	/* a file longer than its slot is read again here */
	size_t cap;
};

/* Prepares b: with an io_uring when use_ring and the kernel allows it
 * (b->br.why_not says why not otherwise). Returns 0 or -ENOMEM. */
int cgr_batch_init(struct cgr_batch *b, double ticks_per_s, bool use_ring);

/* Frees what cgr_batch_init and cgr_batch_run allocated. */
void cgr_batch_fini(struct cgr_batch *b);

/* Clears *out and queues the read of f's CPU time counter into it:
 * cpu.stat of cgroup2 (whose CPU figures it also fills), else
 * cpuacct.usage, else cpuacct.stat. out->probe gets the counter
 * (CGR_HAVE_PROBE); it moves whenever a task of the cgroup ran. */
void cgr_queue_probe(struct cgr_batch *b, struct cgr_files *f,
		     struct cgr_stats *out);

/* Queues the read of every other open file of f into *out (as left by
 * cgr_queue_probe and cgr_batch_run). A watched file that has not changed
 * is not read: its figures are carried over from last, the cgroup's
 * previous full read (NULL: every file is read). */
void cgr_queue_rest(struct cgr_batch *b, struct cgr_files *f,
		    struct cgr_stats *out, const struct cgr_stats *last);

/* Reads every queued file and parses it into its cgroup's figures, then
 * empties b. A file that fails to parse only leaves its figures out; a
 * file that vanished (the cgroup is being removed) closes its cgroup's
 * files (f->open false: cgr_open tries again next time). Returns 0 or
 * -ENOMEM. */
int cgr_batch_run(struct cgr_batch *b);

#endif
