/* Pure parsers of the cgroup v1 and v2 files that the cgroup collector
 * reads (fuzzed: each takes a buffer and its length, never assumes a
 * terminating NUL and never reads past the length). They return the
 * kernel's raw values in the kernel's units; converting to base units is the
 * collector's job.
 *
 * Rules shared by every parser here:
 * - Fields are separated by runs of spaces or tabs, and blanks may end a
 *   line (the kernel writes "8:0 \n" in io.stat for a device without
 *   stats). Any other byte where a number should end, '\r' included, makes
 *   the number malformed. Empty lines are skipped.
 * - Numbers are unsigned decimals (no sign: v1's "-1" for no CPU quota is
 *   a word of its own); one above UINT64_MAX is -ERANGE. A malformed
 *   number, or a value the parser keeps that the text gives twice (the
 *   kernel never repeats one), is -EINVAL.
 * - Unknown keys, lines and fields are ignored, so that values a newer
 *   kernel adds do not break parsing.
 * - Results are written only on success, except the device arrays of the
 *   io parsers (see there). */
#ifndef VIRTMETER_CGROUP_PARSE_H
#define VIRTMETER_CGROUP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most keys that one cg_parse_kv call can look for (one present bit each). */
#define CG_KV_MAX 64

/* The present bit of key index k. */
#define CG_BIT(k) (UINT64_C(1) << (k))

/* Parses a flat-keyed file, lines of "KEY VALUE\n", looking for the nkeys
 * non-empty names of keys (len bytes at buf, no NUL needed). Key keys[i]
 * fills values[i] and sets CG_BIT(i) in *present; values of keys the text
 * lacks are set to 0. Lines of other keys are skipped unread. Returns 0;
 * -EINVAL if nkeys > CG_KV_MAX, or a wanted key has no value, a malformed
 * one, something after it, or appears twice; -ERANGE if a wanted value
 * overflows 64 bits. values (nkeys slots) and *present are written only on
 * success. */
int cg_parse_kv(const char *buf, size_t len, const char *const *keys,
		size_t nkeys, uint64_t *values, uint64_t *present);

/* Keys of the cgroup2 cpu.stat (microseconds and counts). The first three
 * are always there; the cpu controller adds the throttling ones, newer
 * kernels the burst ones. */
enum cg_cpu_v2_key {
	CG_CPU_V2_USAGE_USEC,	  /* usage_usec */
	CG_CPU_V2_USER_USEC,	  /* user_usec */
	CG_CPU_V2_SYSTEM_USEC,	  /* system_usec */
	CG_CPU_V2_NR_PERIODS,	  /* nr_periods */
	CG_CPU_V2_NR_THROTTLED,	  /* nr_throttled */
	CG_CPU_V2_THROTTLED_USEC, /* throttled_usec */
	CG_CPU_V2_NR_BURSTS,	  /* nr_bursts */
	CG_CPU_V2_BURST_USEC,	  /* burst_usec */
	CG_CPU_V2_NKEYS
};

struct cg_cpu_stat_v2 {
	uint64_t val[CG_CPU_V2_NKEYS];
	uint64_t present; /* CG_BIT(key) per key found */
};

/* Parses the cgroup2 cpu.stat ("usage_usec 2649916000\n..."). Returns 0,
 * or as cg_parse_kv, or -EINVAL if usage_usec, user_usec or system_usec is
 * missing. out is written only on success. */
int cg_parse_cpu_stat_v2(const char *buf, size_t len,
			 struct cg_cpu_stat_v2 *out);

/* Keys of the cgroup v1 cpu controller's cpu.stat (CFS bandwidth): counts
 * and nanoseconds. Only newer kernels print the burst ones. */
enum cg_cpu_v1_key {
	CG_CPU_V1_NR_PERIODS,	  /* nr_periods */
	CG_CPU_V1_NR_THROTTLED,	  /* nr_throttled */
	CG_CPU_V1_THROTTLED_TIME, /* throttled_time, ns */
	CG_CPU_V1_NR_BURSTS,	  /* nr_bursts */
	CG_CPU_V1_BURST_TIME,	  /* burst_time, ns */
	CG_CPU_V1_NKEYS
};

struct cg_cpu_stat_v1 {
	uint64_t val[CG_CPU_V1_NKEYS];
	uint64_t present;
};

/* Parses the v1 cpu.stat ("nr_periods 0\nnr_throttled 0\nthrottled_time
 * 0\n..."). Returns 0, or as cg_parse_kv, or -EINVAL if nr_periods,
 * nr_throttled or throttled_time is missing. out is written only on
 * success. */
int cg_parse_cpu_stat_v1(const char *buf, size_t len,
			 struct cg_cpu_stat_v1 *out);

/* Keys of the v1 cpuacct.stat, in USER_HZ ticks. */
enum cg_cpuacct_key {
	CG_CPUACCT_USER,   /* user */
	CG_CPUACCT_SYSTEM, /* system */
	CG_CPUACCT_NKEYS
};

struct cg_cpuacct_stat {
	uint64_t val[CG_CPUACCT_NKEYS];
	uint64_t present;
};

/* Parses the v1 cpuacct.stat ("user 177010\nsystem 90390\n"). Returns 0,
 * or as cg_parse_kv, or -EINVAL if user or system is missing. out is
 * written only on success. */
int cg_parse_cpuacct_stat_v1(const char *buf, size_t len,
			     struct cg_cpuacct_stat *out);

/* Keys of memory.stat, cgroup2's and v1's in one table: bytes unless
 * noted. Both versions print the LRU keys under the same names. The v1
 * total_* keys cover the cgroup and its descendants (cgroup2's keys always
 * do). Usage is not here: it is memory.current (v2) or
 * memory.usage_in_bytes (v1), read with cg_parse_u64_or_max. */
enum cg_mem_key {
	/* cgroup2 only */
	CG_MEM_ANON,	       /* anon */
	CG_MEM_FILE,	       /* file */
	CG_MEM_KERNEL,	       /* kernel (newer kernels) */
	CG_MEM_KERNEL_STACK,   /* kernel_stack */
	CG_MEM_SLAB,	       /* slab */
	CG_MEM_SOCK,	       /* sock */
	CG_MEM_FILE_MAPPED,    /* file_mapped */
	CG_MEM_FILE_DIRTY,     /* file_dirty */
	CG_MEM_FILE_WRITEBACK, /* file_writeback */
	CG_MEM_ANON_THP,       /* anon_thp */
	/* both */
	CG_MEM_SHMEM,	      /* shmem */
	CG_MEM_INACTIVE_ANON, /* inactive_anon */
	CG_MEM_ACTIVE_ANON,   /* active_anon */
	CG_MEM_INACTIVE_FILE, /* inactive_file */
	CG_MEM_ACTIVE_FILE,   /* active_file */
	CG_MEM_UNEVICTABLE,   /* unevictable */
	CG_MEM_PGFAULT,	      /* pgfault, a count */
	CG_MEM_PGMAJFAULT,    /* pgmajfault, a count */
	/* v1 only */
	CG_MEM_CACHE,			  /* cache */
	CG_MEM_RSS,			  /* rss */
	CG_MEM_RSS_HUGE,		  /* rss_huge */
	CG_MEM_MAPPED_FILE,		  /* mapped_file */
	CG_MEM_DIRTY,			  /* dirty */
	CG_MEM_WRITEBACK,		  /* writeback */
	CG_MEM_SWAP,			  /* swap */
	CG_MEM_HIERARCHICAL_MEMORY_LIMIT, /* hierarchical_memory_limit */
	CG_MEM_HIERARCHICAL_MEMSW_LIMIT,  /* hierarchical_memsw_limit */
	CG_MEM_TOTAL_CACHE,		  /* total_cache */
	CG_MEM_TOTAL_RSS,		  /* total_rss */
	CG_MEM_TOTAL_RSS_HUGE,		  /* total_rss_huge */
	CG_MEM_TOTAL_SHMEM,		  /* total_shmem */
	CG_MEM_TOTAL_MAPPED_FILE,	  /* total_mapped_file */
	CG_MEM_TOTAL_DIRTY,		  /* total_dirty */
	CG_MEM_TOTAL_WRITEBACK,		  /* total_writeback */
	CG_MEM_TOTAL_SWAP,		  /* total_swap */
	CG_MEM_TOTAL_INACTIVE_ANON,	  /* total_inactive_anon */
	CG_MEM_TOTAL_ACTIVE_ANON,	  /* total_active_anon */
	CG_MEM_TOTAL_INACTIVE_FILE,	  /* total_inactive_file */
	CG_MEM_TOTAL_ACTIVE_FILE,	  /* total_active_file */
	CG_MEM_TOTAL_UNEVICTABLE,	  /* total_unevictable */
	CG_MEM_TOTAL_PGFAULT,		  /* total_pgfault, a count */
	CG_MEM_TOTAL_PGMAJFAULT,	  /* total_pgmajfault, a count */
	CG_MEM_NKEYS
};

struct cg_memory_stat {
	uint64_t val[CG_MEM_NKEYS];
	uint64_t present;
};

/* Parses memory.stat of either version. Which one it was shows in
 * present: cgroup2 always prints anon and file, v1 cache and rss. Returns
 * 0, or as cg_parse_kv, or -EINVAL if neither pair is there. out is
 * written only on success. */
int cg_parse_memory_stat(const char *buf, size_t len,
			 struct cg_memory_stat *out);

/* Keys of cgroup2's memory.events and memory.events.local (event counts),
 * and of v1's memory.oom_control, which shares oom_kill. */
enum cg_memev_key {
	CG_MEMEV_LOW,		   /* low */
	CG_MEMEV_HIGH,		   /* high */
	CG_MEMEV_MAX,		   /* max */
	CG_MEMEV_OOM,		   /* oom */
	CG_MEMEV_OOM_KILL,	   /* oom_kill (v1: newer kernels) */
	CG_MEMEV_OOM_GROUP_KILL,   /* oom_group_kill (newer kernels) */
	CG_MEMEV_OOM_KILL_DISABLE, /* oom_kill_disable (v1), 0 or 1 */
	CG_MEMEV_UNDER_OOM,	   /* under_oom (v1), 0 or 1 */
	CG_MEMEV_NKEYS
};

struct cg_memory_events {
	uint64_t val[CG_MEMEV_NKEYS];
	uint64_t present;
};

/* Parses memory.events, memory.events.local or v1 memory.oom_control
 * ("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"). Returns 0, or as
 * cg_parse_kv, or -EINVAL if no key is there. out is written only on
 * success. */
int cg_parse_memory_events(const char *buf, size_t len,
			   struct cg_memory_events *out);

/* Values from this one up mean "no limit": v1 prints an unlimited
 * memory.limit_in_bytes as PAGE_COUNTER_MAX pages in bytes, such as
 * 9223372036854771712. */
#define CG_UNLIMITED_MIN (UINT64_C(1) << 62)

/* A single-value file. */
struct cg_value {
	uint64_t value; /* UINT64_MAX for "max" */
	bool unlimited; /* "max", or value >= CG_UNLIMITED_MIN */
};

/* Parses a file of one number or "max", such as memory.current,
 * memory.max, memory.swap.current, pids.current, pids.max (v2),
 * memory.usage_in_bytes, memory.limit_in_bytes,
 * memory.memsw.usage_in_bytes, cpuacct.usage (ns) (v1): the value, blanks
 * and one '\n' at most. Returns 0; -EINVAL if the text is empty or holds
 * anything else; -ERANGE if the number overflows 64 bits. out is written
 * only on success. */
int cg_parse_u64_or_max(const char *buf, size_t len, struct cg_value *out);

/* A CFS bandwidth limit: the cgroup's tasks may run quota_us of CPU time
 * per period_us, quota_us / period_us CPUs' worth. */
struct cg_cpu_quota {
	uint64_t quota_us;  /* UINT64_MAX when unlimited */
	uint64_t period_us; /* never 0 */
	bool unlimited;	    /* "max" in cpu.max */
};

/* Parses cgroup2's cpu.max, "QUOTA PERIOD" or "max PERIOD" in
 * microseconds ("200000 100000\n" is 2 CPUs, "max 100000\n" no limit),
 * blanks and one '\n' at most. Returns 0; -EINVAL if a field is missing or
 * malformed, the period is 0, or anything follows the period; -ERANGE if a
 * number overflows 64 bits. out is written only on success. */
int cg_parse_cpu_max(const char *buf, size_t len, struct cg_cpu_quota *out);

/* Parses v1's cpu.cfs_quota_us: microseconds per period, or -1 for no
 * limit (the only negative value the kernel prints), blanks and one '\n'
 * at most. -1 gives value UINT64_MAX and unlimited; a number is unlimited
 * as for cg_parse_u64_or_max. Returns 0; -EINVAL for anything else (another
 * negative number, "max", empty text); -ERANGE if the number overflows 64
 * bits. out is written only on success. */
int cg_parse_cfs_quota_v1(const char *buf, size_t len, struct cg_value *out);

/* Parses v1's cpu.cfs_period_us: a number of microseconds above 0,
 * blanks and one '\n' at most. Returns 0; -EINVAL for 0 or anything but a
 * number; -ERANGE if it overflows 64 bits. *out is written only on
 * success. */
int cg_parse_cfs_period_v1(const char *buf, size_t len, uint64_t *out);

/* The CPUs that limit q allows, quota_us / period_us, into *cpus. Returns
 * 0; -ENODATA when q is unlimited; -EINVAL when its period is 0. */
int cg_cpu_quota_cpus(const struct cg_cpu_quota *q, double *cpus);

/* Bits of cg_io_dev.present. */
enum {
	CG_IO_RBYTES = 1 << 0,
	CG_IO_WBYTES = 1 << 1,
	CG_IO_RIOS = 1 << 2,
	CG_IO_WIOS = 1 << 3,
};

/* One block device's I/O counters: bytes and operations since the cgroup
 * was created. Counters the file lacked are 0 with their bit clear. */
struct cg_io_dev {
	uint32_t major;
	uint32_t minor;
	uint64_t rbytes;
	uint64_t wbytes;
	uint64_t rios;
	uint64_t wios;
	unsigned present; /* CG_IO_* */
};

/* Parses cgroup2's io.stat, a line per device: "MAJ:MIN" then NAME=VALUE
 * fields in any order ("8:16 rbytes=1459200 wbytes=314773504 rios=192
 * wios=353 dbytes=0 dios=0"). Other fields (dbytes, dios, and the
 * io.latency and io.cost ones) are ignored whatever their value. A device
 * line without fields gives an entry with present 0.
 *
 * Devices fill out[0..max) in order of first appearance (out may be NULL
 * when max is 0); a device on several lines is one entry. Returns the
 * number of devices in the file, which is more than max exactly when some
 * did not fit, so truncation is never silent. Devices that did not fit are
 * still checked for syntax, but not for fields repeated across lines, and
 * one is counted again if named again after another device (which the
 * kernel never does). Errors: -EINVAL for a line that does not start
 * with "MAJ:MIN", a field without '=', a malformed value of a kept field or
 * one given twice for a device; -ERANGE for a number that overflows (64
 * bits for values, 32 for MAJ and MIN) or a count above INT_MAX. On error
 * out[0..max) may have been overwritten; on success entries from the returned
 * count on are untouched. */
int cg_parse_io_stat_v2(const char *buf, size_t len, struct cg_io_dev *out,
			size_t max);

/* What a v1 blkio file counts. */
enum cg_blkio_unit {
	CG_BLKIO_BYTES, /* io_service_bytes: Read/Write go to rbytes/wbytes */
	CG_BLKIO_IOS,	/* io_serviced: Read/Write go to rios/wios */
};

/* Parses a v1 blkio rwstat file (blkio.throttle.io_service_bytes,
 * blkio.throttle.io_serviced, their _recursive and bfq variants, the old
 * cfq blkio.io_service_bytes): lines "MAJ:MIN OP N" with OP Read, Write,
 * Sync, Async, Discard or Total, and last a line "Total N". Only Read and
 * Write are kept, into the two counters unit selects. Devices fill out as
 * for cg_parse_io_stat_v2, with the same return values, and -EINVAL also
 * when the "Total N" line is missing or not last (so that a truncated
 * file is caught), or unit is unknown. */
int cg_parse_blkio_v1(const char *buf, size_t len, enum cg_blkio_unit unit,
		      struct cg_io_dev *out, size_t max);

/* The cumulative stall times of a PSI file. */
struct cg_pressure {
	uint64_t some_total_us; /* some task stalled, microseconds */
	uint64_t full_total_us; /* all tasks stalled; 0 without has_full */
	bool has_full;
};

/* Parses cpu.pressure, memory.pressure or io.pressure ("some avg10=0.00
 * avg60=0.00 avg300=0.00 total=18674870\nfull avg10=... total=16882349\n";
 * only newer kernels print the "full" line of cpu.pressure). Only the
 * total= fields are kept. Returns 0; -EINVAL if the "some" line is missing,
 * a some or full line appears twice, lacks total=, has total= twice or
 * malformed, or a field without '='; -ERANGE if a total overflows. out is
 * written only on success. */
int cg_parse_pressure(const char *buf, size_t len, struct cg_pressure *out);

#endif
