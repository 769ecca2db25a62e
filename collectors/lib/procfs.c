/* Parsers of /proc/stat, /proc/meminfo, /proc/<pid>/stat and sysfs CPU
 * lists, and the pread helpers that re-read such files: see procfs.h. The
 * parsers work on a cursor bounded by the input's length and never look for
 * a NUL, so the fuzz target can feed them raw bytes. */
#include "collectors/lib/procfs.h"

#include "collectors/lib/scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the cursor stands at the end of a field: a blank or the end. */
static bool at_field_end(const struct scan *c)
{
	return c->p == c->end || scan_is_blank(*c->p) || *c->p == '\n';
}

/* Reads a number that must end at a field end. */
static int parse_field_u64(struct scan *c, uint64_t *out)
{
	int err = scan_digits(c, out);

	if (err == 0 && !at_field_end(c))
		err = -EINVAL;
	return err;
}

/* Whether the word is "cpuN" for a decimal N. */
static bool word_is_cpu_n(const struct scan *w)
{
	const char *q;

	if (w->end - w->p < 4 || memcmp(w->p, "cpu", 3) != 0)
		return false;
	for (q = w->p + 3; q < w->end; q++)
		if (!scan_is_digit(*q))
			return false;
	return true;
}

/* Parses the values of the aggregate "cpu" line (after the word). */
static int parse_cpu_line(struct scan *line, struct procfs_stat *st)
{
	unsigned n = 0;

	for (;;) {
		uint64_t v;
		int err;

		scan_skip_blanks(line);
		if (line->p == line->end)
			break;
		err = parse_field_u64(line, &v);
		if (err < 0)
			return err;
		/* Fields a newer kernel may append are checked, not kept. */
		if (n < PROCFS_CPU_NMODES)
			st->ticks[n] = v;
		if (n < UINT32_MAX)
			n++;
	}
	if (n < 4)
		return -EINVAL;
	st->nmodes = n < PROCFS_CPU_NMODES ? n : PROCFS_CPU_NMODES;
	return 0;
}

/* Parses the value of the "btime" line (after the word). */
static int parse_btime_line(struct scan *line, struct procfs_stat *st)
{
	int err;

	scan_skip_blanks(line);
	err = parse_field_u64(line, &st->btime);
	if (err < 0)
		return err;
	scan_skip_blanks(line);
	if (line->p != line->end)
		return -EINVAL;
	st->have_btime = true;
	return 0;
}

int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out)
{
	struct scan rest = {buf, buf + len};
	struct scan line, word;
	struct procfs_stat st;
	bool have_cpu = false;
	int err;

	memset(&st, 0, sizeof(st));
	while (scan_next_line(&rest, &line)) {
		scan_next_word(&line, &word);
		if (scan_word_is(&word, "cpu")) {
			if (have_cpu)
				return -EINVAL;
			err = parse_cpu_line(&line, &st);
			if (err < 0)
				return err;
			have_cpu = true;
		} else if (word_is_cpu_n(&word)) {
			st.ncpus++;
		} else if (scan_word_is(&word, "btime")) {
			err = parse_btime_line(&line, &st);
			if (err < 0)
				return err;
		}
	}
	if (!have_cpu)
		return -EINVAL;
	*out = st;
	return 0;
}

static const char *const mem_names[PROCFS_MEM_NFIELDS] = {
    [PROCFS_MEM_TOTAL] = "MemTotal",
    [PROCFS_MEM_FREE] = "MemFree",
    [PROCFS_MEM_AVAILABLE] = "MemAvailable",
    [PROCFS_MEM_BUFFERS] = "Buffers",
    [PROCFS_MEM_CACHED] = "Cached",
    [PROCFS_MEM_SWAP_TOTAL] = "SwapTotal",
    [PROCFS_MEM_SWAP_FREE] = "SwapFree",
};

/* Parses "   1234 kB" (the rest of a meminfo line after the ':') into
 * bytes. */
static int parse_kb_value(struct scan *line, uint64_t *bytes)
{
	uint64_t kb;
	int err;

	scan_skip_blanks(line);
	err = parse_field_u64(line, &kb);
	if (err < 0)
		return err;
	scan_skip_blanks(line);
	if (line->end - line->p < 2 || memcmp(line->p, "kB", 2) != 0)
		return -EINVAL;
	line->p += 2;
	scan_skip_blanks(line);
	if (line->p != line->end)
		return -EINVAL;
	if (kb > UINT64_MAX / 1024)
		return -ERANGE;
	*bytes = kb * 1024;
	return 0;
}

int procfs_parse_meminfo(const char *buf, size_t len,
			 struct procfs_meminfo *out)
{
	struct scan rest = {buf, buf + len};
	struct scan line, key;
	struct procfs_meminfo mi;
	const char *colon;
	int err;

	memset(&mi, 0, sizeof(mi));
	while (scan_next_line(&rest, &line)) {
		if (line.p == line.end)
			continue;
		colon = memchr(line.p, ':', (size_t)(line.end - line.p));
		if (!colon)
			return -EINVAL;
		key.p = line.p;
		key.end = colon;
		line.p = colon + 1;
		for (int f = 0; f < PROCFS_MEM_NFIELDS; f++) {
			if (!scan_word_is(&key, mem_names[f]))
				continue;
			err = parse_kb_value(&line, &mi.bytes[f]);
			if (err < 0)
				return err;
			mi.present |= 1u << f;
			break;
		}
	}
	*out = mi;
	return 0;
}

/* Field numbers of /proc/<pid>/stat (proc(5)), counted from 1 = pid. */
enum {
	PID_STAT_STATE = 3,
	PID_STAT_UTIME = 14,
	PID_STAT_STIME = 15,
	PID_STAT_STARTTIME = 22,
	PID_STAT_VSIZE = 23,
	PID_STAT_RSS = 24,
};

/* Where field number f of /proc/<pid>/stat goes in out, or NULL if the
 * parser does not keep it. */
static uint64_t *pid_stat_slot(struct procfs_pid_stat *out, int f)
{
	switch (f) {
	case PID_STAT_UTIME:
		return &out->utime;
	case PID_STAT_STIME:
		return &out->stime;
	case PID_STAT_STARTTIME:
		return &out->starttime;
	case PID_STAT_VSIZE:
		return &out->vsize;
	case PID_STAT_RSS:
		return &out->rss;
	default:
		return NULL;
	}
}

int procfs_parse_pid_stat(const char *buf, size_t len,
			  struct procfs_pid_stat *out)
{
	struct scan c = {buf, buf + len};
	struct scan word;
	struct procfs_pid_stat ps;
	const char *rparen;
	uint64_t pid;
	int err;

	err = scan_digits(&c, &pid);
	if (err < 0)
		return err;
	if (c.end - c.p < 2 || memcmp(c.p, " (", 2) != 0)
		return -EINVAL;
	c.p += 2;
	/* The command name is free text: only the last ')' ends it. */
	rparen = NULL;
	for (const char *q = c.end; q > c.p; q--) {
		if (q[-1] == ')') {
			rparen = q - 1;
			break;
		}
	}
	if (!rparen)
		return -EINVAL;
	c.p = rparen + 1;
	memset(&ps, 0, sizeof(ps));
	for (int f = PID_STAT_STATE; f <= PID_STAT_RSS; f++) {
		uint64_t *slot = pid_stat_slot(&ps, f);

		if (c.p == c.end || *c.p != ' ')
			return -EINVAL;
		c.p++;
		if (slot) {
			err = parse_field_u64(&c, slot);
			if (err < 0)
				return err;
			continue;
		}
		scan_next_word(&c, &word);
		if (word.p == word.end)
			return -EINVAL;
	}
	*out = ps;
	return 0;
}

/* Calls range(first, last, arg) for each item "a" or "a-b" of a sysfs CPU
 * list, in order; CPU numbers must be below limit. Returns 0, what range
 * returned if negative, -EINVAL for a malformed list or -ERANGE. */
static int cpulist_walk(const char *buf, size_t len, uint64_t limit,
			int (*range)(uint64_t first, uint64_t last, void *arg),
			void *arg)
{
	struct scan c = {buf, buf + len};
	uint64_t first, last, next_min = 0;
	int err;

	while (c.end > c.p && (scan_is_blank(c.end[-1]) || c.end[-1] == '\n'))
		c.end--;
	while (c.p < c.end) {
		err = scan_digits(&c, &first);
		if (err < 0)
			return err;
		last = first;
		if (c.p < c.end && *c.p == '-') {
			c.p++;
			err = scan_digits(&c, &last);
			if (err < 0)
				return err;
		}
		if (first >= limit || last >= limit)
			return -ERANGE;
		/* The kernel prints ranges in order, never overlapping. */
		if (last < first || first < next_min)
			return -EINVAL;
		err = range(first, last, arg);
		if (err < 0)
			return err;
		next_min = last + 1;
		if (c.p == c.end)
			break;
		if (*c.p != ',')
			return -EINVAL;
		c.p++;
		/* A trailing ',' leaves nothing to parse: malformed. */
		if (c.p == c.end)
			return -EINVAL;
	}
	return 0;
}

static int count_range(uint64_t first, uint64_t last, void *arg)
{
	*(uint64_t *)arg += last - first + 1;
	return 0;
}

int procfs_parse_cpu_list(const char *buf, size_t len, unsigned *count)
{
	uint64_t total = 0;
	int err = cpulist_walk(buf, len, UINT32_MAX, count_range, &total);

	if (err < 0)
		return err;
	*count = (unsigned)total;
	return 0;
}

struct cpu_array {
	int *cpus;
	size_t max, n;
};

static int list_range(uint64_t first, uint64_t last, void *arg)
{
	struct cpu_array *a = arg;

	if (last - first + 1 > a->max - a->n)
		return -ERANGE;
	for (uint64_t cpu = first; cpu <= last; cpu++)
		a->cpus[a->n++] = (int)cpu;
	return 0;
}

int procfs_parse_cpus(const char *buf, size_t len, int *cpus, size_t max,
		      size_t *n)
{
	struct cpu_array a = {cpus, max, 0};
	int err = cpulist_walk(buf, len, PROCFS_MAX_CPUS, list_range, &a);

	if (err < 0)
		return err;
	*n = a.n;
	return 0;
}

ssize_t procfs_read_fd(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char probe;
	ssize_t n;

	for (;;) {
		/* A full buffer may hold the whole file or only its start:
		 * one more byte tells which. */
		if (len == cap)
			n = pread(fd, &probe, 1, (off_t)len);
		else
			n = pread(fd, buf + len, cap - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return (ssize_t)len;
		if (len == cap)
			return -EFBIG;
		len += (size_t)n;
	}
}

ssize_t procfs_read_fd_grow(int fd, char **buf, size_t *cap, size_t max)
{
	ssize_t n;
	size_t want;
	char *p;

	for (;;) {
		n = procfs_read_fd(fd, *buf, *cap);
		if (n != -EFBIG || *cap >= max)
			return n;
		want = *cap ? *cap : 2048;
		want = want > max / 2 ? max : want * 2;
		p = realloc(*buf, want);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = want;
	}
}
