/* Pure parsers of the /proc and /sys files that the host and process
 * collectors read (fuzzed: they take a buffer and its length, never assume a
 * terminating NUL and never read past the length), and the pread helpers
 * that read those files again through descriptors kept open. */
#ifndef VIRTMETER_PROCFS_H
#define VIRTMETER_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The CPU modes of the aggregate "cpu" line of /proc/stat, in file order. */
enum procfs_cpu_mode {
	PROCFS_CPU_USER,
	PROCFS_CPU_NICE,
	PROCFS_CPU_SYSTEM,
	PROCFS_CPU_IDLE,
	PROCFS_CPU_IOWAIT,
	PROCFS_CPU_IRQ,
	PROCFS_CPU_SOFTIRQ,
	PROCFS_CPU_STEAL,
	PROCFS_CPU_GUEST,
	PROCFS_CPU_GUEST_NICE,
	PROCFS_CPU_NMODES
};

/* What procfs_parse_stat extracts from /proc/stat. */
struct procfs_stat {
	/* Host-wide time per mode in USER_HZ ticks. Linux counts guest time
	 * in user as well, and guest_nice in nice. Modes that an older kernel
	 * does not print are 0. */
	uint64_t ticks[PROCFS_CPU_NMODES];
	unsigned nmodes; /* modes present on the "cpu" line (4 or more) */
	unsigned ncpus;	 /* number of "cpuN" lines */
	uint64_t btime;	 /* boot time, seconds since the epoch */
	bool have_btime;
};

/* The /proc/meminfo fields that procfs_parse_meminfo extracts. */
enum procfs_mem_field {
	PROCFS_MEM_TOTAL,      /* MemTotal */
	PROCFS_MEM_FREE,       /* MemFree */
	PROCFS_MEM_AVAILABLE,  /* MemAvailable */
	PROCFS_MEM_BUFFERS,    /* Buffers */
	PROCFS_MEM_CACHED,     /* Cached */
	PROCFS_MEM_SWAP_TOTAL, /* SwapTotal */
	PROCFS_MEM_SWAP_FREE,  /* SwapFree */
	PROCFS_MEM_NFIELDS
};

/* What procfs_parse_meminfo extracts: bytes per field, and a bit
 * (1u << field) in present for each field that the file had. */
struct procfs_meminfo {
	uint64_t bytes[PROCFS_MEM_NFIELDS];
	uint32_t present;
};

/* What procfs_parse_pid_stat extracts from /proc/<pid>/stat. */
struct procfs_pid_stat {
	uint64_t utime;	    /* user CPU time, USER_HZ ticks */
	uint64_t stime;	    /* system CPU time, USER_HZ ticks */
	uint64_t starttime; /* start, USER_HZ ticks after boot */
	uint64_t vsize;	    /* virtual memory size, bytes */
	uint64_t rss;	    /* resident set size, pages */
};

/* Parses the text of /proc/stat (len bytes at buf, no NUL needed) into out:
 * the aggregate "cpu" line, the number of "cpuN" lines and btime. Lines it
 * does not know are skipped. Returns 0; -EINVAL if the "cpu" line is
 * missing, has fewer than 4 values or a malformed one, or a known line is
 * malformed; -ERANGE if a value does not fit in 64 bits. out is filled only
 * on success. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out);

/* Parses the text of /proc/meminfo (len bytes at buf, no NUL needed) into
 * out, converting kB to bytes. A missing field only leaves its bit clear in
 * out->present. Returns 0; -EINVAL if a line has no ':' or a wanted field is
 * malformed or not in kB; -ERANGE if a value overflows 64 bits in bytes. out
 * is filled only on success. */
int procfs_parse_meminfo(const char *buf, size_t len,
			 struct procfs_meminfo *out);

/* Parses the text of /proc/<pid>/stat (len bytes at buf, no NUL needed).
 * The command name may hold spaces and parentheses, so it ends at the last
 * ')'. Returns 0; -EINVAL if the text is truncated before the rss field or a
 * field is malformed; -ERANGE if a value does not fit in 64 bits. out is
 * filled only on success. */
int procfs_parse_pid_stat(const char *buf, size_t len,
			  struct procfs_pid_stat *out);

/* Counts the CPUs of a sysfs CPU list such as "0-3,5,7-8\n" (7 CPUs; len
 * bytes at buf, no NUL needed; an empty list counts 0). Ranges must
 * ascend without overlap, as the kernel prints them. Returns 0 with the
 * count in *count; -EINVAL for a malformed list (such as "3-1"); -ERANGE
 * for a CPU number above UINT32_MAX - 1. */
int procfs_parse_cpu_list(const char *buf, size_t len, unsigned *count);

/* More CPUs than any host has; a list naming more is refused. */
#define PROCFS_MAX_CPUS 8192

/* Parses the same kind of list into the CPU numbers, in increasing order,
 * in cpus (room for max entries), and their count in *n (an empty list is
 * valid). Returns 0; -EINVAL for a malformed list; -ERANGE when a CPU
 * number is PROCFS_MAX_CPUS or more, or when the list holds more than max
 * CPUs. On error *n and cpus are left in an unspecified state. */
int procfs_parse_cpus(const char *buf, size_t len, int *cpus, size_t max,
		      size_t *n);

/* Reads the whole file behind fd from offset 0 into buf (cap bytes), with
 * pread so that one descriptor can be read again every cycle (procfs and
 * sysfs regenerate the text for a read at offset 0). Does not add a NUL.
 * Returns the length read; -EFBIG if the file is longer than cap bytes; or
 * the negative errno of pread. */
ssize_t procfs_read_fd(int fd, char *buf, size_t cap);

/* Like procfs_read_fd, but into the heap buffer *buf of *cap bytes (both
 * may start as NULL and 0), which it replaces by a larger one, doubling up
 * to max bytes, while the file does not fit. *buf stays owned by the caller,
 * who frees it with free() whatever the result. Returns the length read,
 * -EFBIG if the file is longer than max, -ENOMEM, or the negative errno of
 * pread. */
ssize_t procfs_read_fd_grow(int fd, char **buf, size_t *cap, size_t max);

#endif
