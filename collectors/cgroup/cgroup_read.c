/* Reading one cgroup's figures for the cgroup collector: the choice of
 * hierarchy per figure, descriptors kept open between cycles, and the
 * conversion of the kernel's units to seconds and bytes. */
#include "collectors/cgroup/cgroup_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"

/* memory.stat of v1 is the longest file read here, a few kilobytes. */
#define CGR_READ_MAX (1u << 20)

#define USEC 1e6
#define NSEC 1e9

/* The files watched (see fwatch.h), each with its note at the same index
 * of cgr_files.notes: a limit changes only when written, and cgroup2's
 * memory.events raises an event when a counter moves. */
static const unsigned char watched[] = {CGR_MEM_LIMIT, CGR_MEM_EVENTS,
					CGR_CPU_QUOTA, CGR_CPU_PERIOD};

void cgr_files_init(struct cgr_files *f)
{
	for (int i = 0; i < CGR_NFILES; i++)
		f->fd[i] = -1;
	f->memory_v1 = false;
	f->cpu_v1 = false;
	f->open = false;
	f->fw = NULL;
	f->notes = NULL;
}

void cgr_close(struct cgr_files *f)
{
	if (f->notes) {
		for (size_t k = 0; k < ARRAY_SIZE(watched); k++)
			cg_fwatch_remove(f->fw, &f->notes[k]);
		free(f->notes);
		f->notes = NULL;
	}
	for (int i = 0; i < CGR_NFILES; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
	f->open = false;
}

/* Opens name in cgroup rel of hierarchy h into *fd, leaving it -1 when the
 * file cannot be opened (absent, or the cgroup going away). */
static void open_one(const struct cg_layout *l, enum cg_hier h,
		     const char *rel, const char *name, int *fd)
{
	char dir[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX];
	char path[sizeof(dir) + 64];
	int n;

	*fd = -1;
	if (cg_layout_path(l, h, rel, dir, sizeof(dir)) < 0)
		return;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		*fd = -1;
}

/* Whether controller c (a CG_HIER_* bit) is to be read from the cgroup2
 * tree for a cgroup found in the hierarchies of mask. */
static bool use_v2(const struct cg_layout *l, unsigned mask, enum cg_hier c)
{
	return (mask & (1u << CG_HIER_UNIFIED)) &&
	       (l->v2_controllers & (1u << c));
}

/* Opens the memory files, from cgroup2 or v1. */
static void open_memory(const struct cg_layout *l, unsigned mask,
			const char *rel, struct cgr_files *f)
{
	if (use_v2(l, mask, CG_HIER_MEMORY)) {
		open_one(l, CG_HIER_UNIFIED, rel, "memory.current",
			 &f->fd[CGR_MEM_USAGE]);
		open_one(l, CG_HIER_UNIFIED, rel, "memory.stat",
			 &f->fd[CGR_MEM_STAT]);
		open_one(l, CG_HIER_UNIFIED, rel, "memory.max",
			 &f->fd[CGR_MEM_LIMIT]);
		open_one(l, CG_HIER_UNIFIED, rel, "memory.swap.current",
			 &f->fd[CGR_MEM_SWAP]);
		open_one(l, CG_HIER_UNIFIED, rel, "memory.events",
			 &f->fd[CGR_MEM_EVENTS]);
	} else if (mask & (1u << CG_HIER_MEMORY)) {
		f->memory_v1 = true;
		open_one(l, CG_HIER_MEMORY, rel, "memory.usage_in_bytes",
			 &f->fd[CGR_MEM_USAGE]);
		open_one(l, CG_HIER_MEMORY, rel, "memory.stat",
			 &f->fd[CGR_MEM_STAT]);
		open_one(l, CG_HIER_MEMORY, rel, "memory.limit_in_bytes",
			 &f->fd[CGR_MEM_LIMIT]);
		open_one(l, CG_HIER_MEMORY, rel, "memory.memsw.usage_in_bytes",
			 &f->fd[CGR_MEM_SWAP]);
		open_one(l, CG_HIER_MEMORY, rel, "memory.oom_control",
			 &f->fd[CGR_MEM_EVENTS]);
	}
}

/* Opens the CFS bandwidth limit's files: cpu.max from the cgroup2 tree
 * when the cpu controller is there, else the v1 cpu hierarchy's quota and
 * period. */
static void open_cpu_quota(const struct cg_layout *l, unsigned mask,
			   const char *rel, struct cgr_files *f)
{
	if (use_v2(l, mask, CG_HIER_CPU)) {
		open_one(l, CG_HIER_UNIFIED, rel, "cpu.max",
			 &f->fd[CGR_CPU_QUOTA]);
	} else if (mask & (1u << CG_HIER_CPU)) {
		f->cpu_v1 = true;
		open_one(l, CG_HIER_CPU, rel, "cpu.cfs_quota_us",
			 &f->fd[CGR_CPU_QUOTA]);
		open_one(l, CG_HIER_CPU, rel, "cpu.cfs_period_us",
			 &f->fd[CGR_CPU_PERIOD]);
	}
}

/* Opens the CPU, I/O, pids and PSI files. */
static void open_others(const struct cg_layout *l, unsigned mask,
			const char *rel, struct cgr_files *f)
{
	const unsigned unified = 1u << CG_HIER_UNIFIED;

	/* A VM on a hybrid host has no cpuacct cgroup: its CPU time is in the
	 * cgroup2 tree's cpu.stat, which every cgroup2 directory has. */
	if (mask & (1u << CG_HIER_CPUACCT)) {
		open_one(l, CG_HIER_CPUACCT, rel, "cpuacct.stat",
			 &f->fd[CGR_CPUACCT_STAT]);
		open_one(l, CG_HIER_CPUACCT, rel, "cpuacct.usage",
			 &f->fd[CGR_CPUACCT_USAGE]);
	} else if (mask & unified)
		open_one(l, CG_HIER_UNIFIED, rel, "cpu.stat",
			 &f->fd[CGR_CPU_STAT_V2]);
	if (mask & (1u << CG_HIER_CPU))
		open_one(l, CG_HIER_CPU, rel, "cpu.stat",
			 &f->fd[CGR_CPU_STAT_V1]);
	if (use_v2(l, mask, CG_HIER_BLKIO)) {
		open_one(l, CG_HIER_UNIFIED, rel, "io.stat",
			 &f->fd[CGR_IO_STAT]);
	} else if (mask & (1u << CG_HIER_BLKIO)) {
		open_one(l, CG_HIER_BLKIO, rel,
			 "blkio.throttle.io_service_bytes",
			 &f->fd[CGR_BLKIO_BYTES]);
		open_one(l, CG_HIER_BLKIO, rel, "blkio.throttle.io_serviced",
			 &f->fd[CGR_BLKIO_IOS]);
	}
	if (use_v2(l, mask, CG_HIER_PIDS))
		open_one(l, CG_HIER_UNIFIED, rel, "pids.current",
			 &f->fd[CGR_PIDS]);
	else if (mask & (1u << CG_HIER_PIDS))
		open_one(l, CG_HIER_PIDS, rel, "pids.current",
			 &f->fd[CGR_PIDS]);
	if (mask & unified) {
		open_one(l, CG_HIER_UNIFIED, rel, "cpu.pressure",
			 &f->fd[CGR_PSI_CPU]);
		open_one(l, CG_HIER_UNIFIED, rel, "memory.pressure",
			 &f->fd[CGR_PSI_MEM]);
		open_one(l, CG_HIER_UNIFIED, rel, "io.pressure",
			 &f->fd[CGR_PSI_IO]);
	}
}

/* Watches the files of watched[] that f has open in fw, except v1's
 * memory.oom_control, which raises no event for an OOM kill (it is read
 * every time). Without memory for the notes all are read every time. */
static void watch_files(struct cg_fwatch *fw, struct cgr_files *f)
{
	size_t k, n = 0;

	for (k = 0; k < ARRAY_SIZE(watched); k++)
		n += f->fd[watched[k]] >= 0;
	if (!fw || n == 0)
		return;
	f->notes = calloc(ARRAY_SIZE(watched), sizeof(*f->notes));
	if (!f->notes)
		return;
	f->fw = fw;
	for (k = 0; k < ARRAY_SIZE(watched); k++) {
		int fd = f->fd[watched[k]];

		if (watched[k] == CGR_MEM_EVENTS && f->memory_v1)
			fd = -1;
		cg_fwatch_add(fw, fd, &f->notes[k]);
	}
}

/* The watch note of file i of f, or NULL. */
static struct cg_fnote *note_of(const struct cgr_files *f, int i)
{
	if (!f->notes)
		return NULL;
	for (size_t k = 0; k < ARRAY_SIZE(watched); k++)
		if (watched[k] == i)
			return &f->notes[k];
	return NULL;
}

bool cgr_watched_changed(const struct cgr_files *f)
{
	if (!f->notes)
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(watched); k++)
		if (f->notes[k].wd >= 0 && f->notes[k].changed)
			return true;
	return false;
}

int cgr_open(const struct cg_layout *l, const char *rel, struct cg_fwatch *fw,
	     struct cgr_files *f)
{
	unsigned mask = 0;
	int err;

	cgr_files_init(f);
	err = cg_layout_locate(l, rel, &mask);
	if (err < 0)
		return err;
	if (mask == 0)
		return -ENOENT;
	open_memory(l, mask, rel, f);
	open_others(l, mask, rel, f);
	open_cpu_quota(l, mask, rel, f);
	for (int i = 0; i < CGR_NFILES; i++)
		if (f->fd[i] >= 0) {
			f->open = true;
			watch_files(fw, f);
			return 0;
		}
	return -ENOENT;
}

/* Reads the whole of fd from offset 0 into *buf with one pread: a read
 * that leaves room in the buffer has the whole file. Every cgroup file is
 * a single-record seq_file: the kernel formats all of it before copying,
 * so a short read is the end (and a regular file of a fixture tree ends
 * the same way). A full buffer is grown and the file read again. This
 * halves the system calls of reading until pread returns 0, and system
 * calls are most of a cycle's cost. Returns the length or -errno. */
static ssize_t read_whole(int fd, char **buf, size_t *cap)
{
	ssize_t n;
	char *p;

	for (;;) {
		if (*cap == 0) {
			p = realloc(*buf, 4096);
			if (!p)
				return -ENOMEM;
			*buf = p;
			*cap = 4096;
		}
		n = pread(fd, *buf, *cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n < *cap)
			return n;
		if (*cap >= CGR_READ_MAX)
			return -EFBIG;
		p = realloc(*buf, *cap * 2);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap *= 2;
	}
}

/* Figures of cpuacct.stat, cpu.stat (both versions). */
static void parse_cpu(int i, const char *b, size_t n, double hz,
		      struct cgr_stats *s)
{
	struct cg_cpu_stat_v2 v2;
	struct cg_cpu_stat_v1 v1;
	struct cg_cpuacct_stat acct;
	const uint64_t thr = CG_BIT(CG_CPU_V2_NR_PERIODS) |
			     CG_BIT(CG_CPU_V2_NR_THROTTLED) |
			     CG_BIT(CG_CPU_V2_THROTTLED_USEC);

	if (i == CGR_CPUACCT_STAT && cg_parse_cpuacct_stat_v1(b, n, &acct) == 0) {
		s->user_s = (double)acct.val[CG_CPUACCT_USER] / hz;
		s->system_s = (double)acct.val[CG_CPUACCT_SYSTEM] / hz;
		s->present |= CGR_HAVE_CPU;
	} else if (i == CGR_CPU_STAT_V2 && cg_parse_cpu_stat_v2(b, n, &v2) == 0) {
		s->user_s = (double)v2.val[CG_CPU_V2_USER_USEC] / USEC;
		s->system_s = (double)v2.val[CG_CPU_V2_SYSTEM_USEC] / USEC;
		s->probe = v2.val[CG_CPU_V2_USAGE_USEC];
		s->present |= CGR_HAVE_CPU | CGR_HAVE_PROBE;
		if ((v2.present & thr) == thr) {
			s->periods = (double)v2.val[CG_CPU_V2_NR_PERIODS];
			s->throttled_periods =
			    (double)v2.val[CG_CPU_V2_NR_THROTTLED];
			s->throttled_s =
			    (double)v2.val[CG_CPU_V2_THROTTLED_USEC] / USEC;
			s->present |= CGR_HAVE_THROTTLE;
		}
	} else if (i == CGR_CPU_STAT_V1 && cg_parse_cpu_stat_v1(b, n, &v1) == 0) {
		s->periods = (double)v1.val[CG_CPU_V1_NR_PERIODS];
		s->throttled_periods = (double)v1.val[CG_CPU_V1_NR_THROTTLED];
		s->throttled_s = (double)v1.val[CG_CPU_V1_THROTTLED_TIME] / NSEC;
		s->present |= CGR_HAVE_THROTTLE;
	}
}

/* The first of keys a and b that memory.stat had, else 0. */
static uint64_t mem_pick(const struct cg_memory_stat *m, int a, int b)
{
	if (m->present & CG_BIT(a))
		return m->val[a];
	return m->present & CG_BIT(b) ? m->val[b] : 0;
}

/* Figures of memory.stat, given usage for the working set. */
static void parse_mem_stat(const char *b, size_t n, bool v1,
			   struct cgr_stats *s)
{
	struct cg_memory_stat m;
	uint64_t inactive;

	if (cg_parse_memory_stat(b, n, &m) < 0)
		return;
	if (v1) {
		s->rss = (double)mem_pick(&m, CG_MEM_TOTAL_RSS, CG_MEM_RSS);
		s->cache = (double)mem_pick(&m, CG_MEM_TOTAL_CACHE, CG_MEM_CACHE);
		inactive = mem_pick(&m, CG_MEM_TOTAL_INACTIVE_FILE,
				    CG_MEM_INACTIVE_FILE);
	} else {
		s->rss = (double)m.val[CG_MEM_ANON];
		s->cache = (double)m.val[CG_MEM_FILE];
		inactive = m.val[CG_MEM_INACTIVE_FILE];
	}
	s->working_set = (double)inactive; /* subtracted in cgr_read */
	s->present |= CGR_HAVE_MEM_STAT;
}

/* Figures of the single-value and event files. */
static void parse_value(int i, const char *b, size_t n, struct cgr_stats *s)
{
	struct cg_value v;
	struct cg_memory_events ev;

	if (i == CGR_MEM_EVENTS) {
		if (cg_parse_memory_events(b, n, &ev) == 0 &&
		    (ev.present & CG_BIT(CG_MEMEV_OOM_KILL))) {
			s->oom_kills = (double)ev.val[CG_MEMEV_OOM_KILL];
			s->present |= CGR_HAVE_OOM;
		}
		return;
	}
	if (cg_parse_u64_or_max(b, n, &v) < 0)
		return;
	if (i == CGR_CPUACCT_USAGE && !v.unlimited) {
		s->probe = v.value;
		s->present |= CGR_HAVE_PROBE;
	} else if (i == CGR_MEM_USAGE) {
		s->mem_usage = (double)v.value;
		s->present |= CGR_HAVE_MEM;
	} else if (i == CGR_MEM_LIMIT && !v.unlimited) {
		s->limit = (double)v.value;
		s->present |= CGR_HAVE_LIMIT;
	} else if (i == CGR_MEM_SWAP && !v.unlimited) {
		s->swap = (double)v.value; /* v1: memsw, fixed in cgr_read */
		s->present |= CGR_HAVE_SWAP;
	} else if (i == CGR_PIDS) {
		s->pids = (double)v.value;
		s->present |= CGR_HAVE_PIDS;
	}
}

/* Figures of the CFS bandwidth limit's files: cpu.max (both halves), or
 * v1's quota and period, each alone; derive() takes their ratio. */
static void parse_quota(const struct cgr_files *f, int i, const char *b,
			size_t n, struct cgr_stats *s)
{
	struct cg_value v;

	if (i == CGR_CPU_PERIOD) {
		if (cg_parse_cfs_period_v1(b, n, &s->cfs.period_us) == 0)
			s->present |= CGR_HAVE_CFS_PERIOD;
	} else if (!f->cpu_v1) {
		if (cg_parse_cpu_max(b, n, &s->cfs) == 0)
			s->present |= CGR_HAVE_CFS_QUOTA | CGR_HAVE_CFS_PERIOD;
	} else if (cg_parse_cfs_quota_v1(b, n, &v) == 0) {
		s->cfs.quota_us = v.value;
		s->cfs.unlimited = v.unlimited;
		s->present |= CGR_HAVE_CFS_QUOTA;
	}
}

/* Merges the v1 operation counts in ios[0..nios) into s->io. */
static void merge_ios(struct cgr_stats *s, const struct cg_io_dev *ios,
		      size_t nios)
{
	for (size_t k = 0; k < nios; k++) {
		size_t j = 0;

		while (j < s->nio && (s->io[j].major != ios[k].major ||
				      s->io[j].minor != ios[k].minor))
			j++;
		if (j == s->nio) {
			if (s->nio == CGR_MAX_DEVS)
				continue;
			s->io[s->nio++] = ios[k];
			continue;
		}
		s->io[j].rios = ios[k].rios;
		s->io[j].wios = ios[k].wios;
		s->io[j].present |= ios[k].present;
	}
}

/* Figures of io.stat and the v1 blkio files. */
static void parse_io(int i, const char *b, size_t n, struct cgr_stats *s)
{
	struct cg_io_dev ios[CGR_MAX_DEVS];
	int r;

	if (i == CGR_IO_STAT) {
		r = cg_parse_io_stat_v2(b, n, s->io, CGR_MAX_DEVS);
		s->nio = r < 0 ? 0 : (size_t)r;
	} else if (i == CGR_BLKIO_BYTES) {
		r = cg_parse_blkio_v1(b, n, CG_BLKIO_BYTES, s->io,
				      CGR_MAX_DEVS);
		s->nio = r < 0 ? 0 : (size_t)r;
	} else {
		r = cg_parse_blkio_v1(b, n, CG_BLKIO_IOS, ios, CGR_MAX_DEVS);
		if (r > 0)
			merge_ios(s, ios, (size_t)r > CGR_MAX_DEVS ?
						CGR_MAX_DEVS : (size_t)r);
	}
	if (s->nio > CGR_MAX_DEVS)
		s->nio = CGR_MAX_DEVS;
}

/* Parses the text of file i into s. */
static void parse_file(const struct cgr_files *f, int i, const char *b,
		       size_t n, double hz, struct cgr_stats *s)
{
	switch (i) {
	case CGR_CPU_STAT_V2:
	case CGR_CPU_STAT_V1:
	case CGR_CPUACCT_STAT:
		parse_cpu(i, b, n, hz, s);
		break;
	case CGR_MEM_STAT:
		parse_mem_stat(b, n, f->memory_v1, s);
		break;
	case CGR_IO_STAT:
	case CGR_BLKIO_BYTES:
	case CGR_BLKIO_IOS:
		parse_io(i, b, n, s);
		break;
	case CGR_CPU_QUOTA:
	case CGR_CPU_PERIOD:
		parse_quota(f, i, b, n, s);
		break;
	case CGR_PSI_CPU:
	case CGR_PSI_MEM:
	case CGR_PSI_IO:
		if (cg_parse_pressure(b, n, &s->psi[i - CGR_PSI_CPU]) == 0)
			s->present |= CGR_HAVE_PSI_CPU << (i - CGR_PSI_CPU);
		break;
	default:
		parse_value(i, b, n, s);
	}
}

/* Derives the CPU quota, working set and v1 swap, which combine several
 * files. */
static void derive(const struct cgr_files *f, struct cgr_stats *s)
{
	const unsigned cfs = CGR_HAVE_CFS_QUOTA | CGR_HAVE_CFS_PERIOD;
	double inactive = s->working_set;

	if ((s->present & cfs) == cfs &&
	    cg_cpu_quota_cpus(&s->cfs, &s->quota_cpus) == 0)
		s->present |= CGR_HAVE_QUOTA;

	s->working_set = 0;
	if (!(s->present & CGR_HAVE_MEM)) {
		s->present &= ~(unsigned)(CGR_HAVE_MEM_STAT | CGR_HAVE_SWAP);
		return;
	}
	if (s->present & CGR_HAVE_MEM_STAT)
		s->working_set = s->mem_usage > inactive
				     ? s->mem_usage - inactive : 0;
	if (f->memory_v1 && (s->present & CGR_HAVE_SWAP))
		s->swap = s->swap > s->mem_usage ? s->swap - s->mem_usage : 0;
}

/* The file that cgr_read_probe reads, or -1: cpu.stat of cgroup2 (which
 * also has the CPU figures), else cpuacct.usage, else cpuacct.stat. */
static int probe_file(const struct cgr_files *f)
{
	static const int order[] = {CGR_CPU_STAT_V2, CGR_CPUACCT_USAGE,
				    CGR_CPUACCT_STAT};

	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		if (f->fd[order[k]] >= 0)
			return order[k];
	return -1;
}

/* The buffer of each file in a batch, in bytes: long enough for the
 * file on any host seen so far; a longer one is read again (read_whole). */
static size_t slot_size(int i)
{
	switch (i) {
	case CGR_MEM_STAT: /* v1 with the total_ keys: about 2 KiB */
		return 4096;
	case CGR_IO_STAT: /* about 100 bytes a device */
	case CGR_BLKIO_BYTES:
	case CGR_BLKIO_IOS:
		return 2048;
	case CGR_CPU_QUOTA: /* two numbers at most, 42 bytes */
	case CGR_CPU_PERIOD:
		return 64;
	default: /* a value or a few lines */
		return 512;
	}
}

int cgr_batch_init(struct cgr_batch *b, double ticks_per_s, bool use_ring)
{
	memset(b, 0, sizeof(*b));
	b->hz = ticks_per_s;
	for (int i = 0; i < CGR_NFILES; i++) {
		b->slot_off[i] = b->group_len;
		b->group_len += slot_size(i);
	}
	b->arena = malloc(CGR_BATCH * b->group_len);
	if (!b->arena)
		return -ENOMEM;
	br_init(&b->br, use_ring);
	return 0;
}

void cgr_batch_fini(struct cgr_batch *b)
{
	br_fini(&b->br);
	free(b->arena);
	free(b->buf);
	b->arena = b->buf = NULL;
}

/* Starts a group for f and out; returns it, or NULL if b is full. */
static struct cgr_group *add_group(struct cgr_batch *b, struct cgr_files *f,
				   struct cgr_stats *out, bool rest)
{
	struct cgr_group *g;

	if (b->ngroups >= CGR_BATCH)
		return NULL;
	g = &b->groups[b->ngroups++];
	*g = (struct cgr_group){.f = f, .s = out, .rest = rest};
	return g;
}

/* Queues file i of the last group, in that group's part of the arena. */
static void add_read(struct cgr_batch *b, int i)
{
	size_t k = b->nreads++, g = b->ngroups - 1;
	const struct cgr_files *f = b->groups[g].f;

	b->req[k] = (struct br_read){
	    .fd = f->fd[i],
	    .buf = b->arena + g * b->group_len + b->slot_off[i],
	    .cap = slot_size(i)};
	b->file[k] = (unsigned char)i;
	b->group[k] = (unsigned char)g;
}

void cgr_queue_probe(struct cgr_batch *b, struct cgr_files *f,
		     struct cgr_stats *out)
{
	int i = probe_file(f);
	struct cgr_group *g;

	memset(out, 0, sizeof(*out));
	g = i >= 0 ? add_group(b, f, out, false) : NULL;
	if (!g)
		return;
	g->ticks_probe = i == CGR_CPUACCT_STAT;
	add_read(b, i);
}

void cgr_queue_rest(struct cgr_batch *b, struct cgr_files *f,
		    struct cgr_stats *out, const struct cgr_stats *last)
{
	int probe = probe_file(f);
	struct cgr_group *g;

	if (!f->open)
		return;
	g = add_group(b, f, out, true);
	if (!g)
		return;
	g->last = last;
	for (int i = 0; i < CGR_NFILES; i++) {
		struct cg_fnote *note = note_of(f, i);

		if (i == probe || f->fd[i] < 0)
			continue;
		if (last && !cg_fnote_due(note)) {
			g->carried |= 1u << i;
			continue;
		}
		/* Cleared before the read: a change during it comes as an
		 * event after, and the next cycle reads again. */
		if (note)
			note->changed = false;
		add_read(b, i);
	}
}

/* Copies the figures of the files of g that were not read from g->last. */
static void carry(const struct cgr_group *g)
{
	struct cgr_stats *s = g->s;

	if (g->carried & (1u << CGR_MEM_LIMIT)) {
		s->limit = g->last->limit;
		s->present |= g->last->present & CGR_HAVE_LIMIT;
	}
	if (g->carried & (1u << CGR_MEM_EVENTS)) {
		s->oom_kills = g->last->oom_kills;
		s->present |= g->last->present & CGR_HAVE_OOM;
	}
	if (g->carried & (1u << CGR_CPU_QUOTA)) {
		s->cfs.quota_us = g->last->cfs.quota_us;
		s->cfs.unlimited = g->last->cfs.unlimited;
		s->present |= g->last->present & CGR_HAVE_CFS_QUOTA;
	}
	/* cgroup2's period is cpu.max's second half. */
	if (g->carried &
	    (1u << (g->f->cpu_v1 ? CGR_CPU_PERIOD : CGR_CPU_QUOTA))) {
		s->cfs.period_us = g->last->cfs.period_us;
		s->present |= g->last->present & CGR_HAVE_CFS_PERIOD;
	}
}

/* The text of read k of b: its slot, or (when the file filled its slot)
 * the whole file read again into b->buf. Returns the length, or -errno
 * (-ENOENT when the file vanished). */
static ssize_t take_read(struct cgr_batch *b, size_t k, const char **text)
{
	const struct br_read *r = &b->req[k];
	ssize_t n = r->res;

	*text = r->buf;
	if (n >= 0 && (size_t)n == r->cap) {
		n = read_whole(r->fd, &b->buf, &b->cap);
		*text = b->buf;
	}
	if (n == -ENODEV || n == -ENOENT || n == -ESTALE)
		return -ENOENT;
	return n;
}

int cgr_batch_run(struct cgr_batch *b)
{
	int err = 0;

	br_run(&b->br, b->req, b->nreads);
	for (size_t k = 0; k < b->nreads; k++) {
		struct cgr_group *g = &b->groups[b->group[k]];
		const char *text;
		ssize_t n;

		if (!g->f->open)
			continue;
		n = take_read(b, k, &text);
		if (n < 0 && n != -ENOENT && note_of(g->f, b->file[k]))
			note_of(g->f, b->file[k])->changed = true;
		if (n == -ENOENT)
			cgr_close(g->f);
		else if (n == -ENOMEM)
			err = -ENOMEM;
		else if (n < 0)
			log_debug("cgroup: read error on a cgroup file: %s",
				  strerror((int)-n));
		else if (n > 0)
			parse_file(g->f, b->file[k], text, (size_t)n, b->hz,
				   g->s);
	}
	for (size_t j = 0; j < b->ngroups; j++) {
		struct cgr_group *g = &b->groups[j];

		if (g->ticks_probe && (g->s->present & CGR_HAVE_CPU)) {
			g->s->probe = (uint64_t)((g->s->user_s + g->s->system_s) *
						 b->hz + 0.5);
			g->s->present |= CGR_HAVE_PROBE;
		}
		if (g->rest && g->f->open) {
			carry(g);
			derive(g->f, g->s);
		}
	}
	b->files_read += (double)b->nreads;
	b->nreads = b->ngroups = 0;
	return err;
}
