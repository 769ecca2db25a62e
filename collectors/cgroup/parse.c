/* Parsers of cgroup v1 and v2 files: see parse.h. Every parser walks a
 * cursor bounded by the input's length and never looks for a NUL, so the
 * fuzz target can feed them raw bytes. */
#include "collectors/cgroup/parse.h"

#include "collectors/lib/scan.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Reads a decimal number that must end at a blank or the cursor's end.
 * Returns 0, -EINVAL or -ERANGE. */
static int parse_u64(struct scan *c, uint64_t *out)
{
	uint64_t v;
	int err = scan_digits(c, &v);

	if (err < 0)
		return err;
	if (c->p < c->end && !scan_is_blank(*c->p))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Checks that only blanks are left on the line. */
static int expect_eol(struct scan *line)
{
	scan_skip_blanks(line);
	return line->p == line->end ? 0 : -EINVAL;
}

/* Reads the next NAME=VALUE field of line into name and value. Returns 1
 * for a field, 0 at the end of the line, -EINVAL for a field without '='. */
static int next_field(struct scan *line, struct scan *name,
		      struct scan *value)
{
	struct scan w;
	const char *eq;

	scan_skip_blanks(line);
	if (line->p == line->end)
		return 0;
	scan_next_word(line, &w);
	eq = memchr(w.p, '=', (size_t)(w.end - w.p));
	if (!eq)
		return -EINVAL;
	name->p = w.p;
	name->end = eq;
	value->p = eq + 1;
	value->end = w.end;
	return 1;
}

/* The index of word in names[0..n), or n when it is not there. */
static size_t find_name(const struct scan *word, const char *const *names,
			size_t n)
{
	size_t len = (size_t)(word->end - word->p), i;

	/* The first byte rules out most names before any length is taken:
	 * memory.stat has some forty lines to match against as many keys. */
	for (i = 0; i < n && len > 0; i++)
		if (names[i][0] == word->p[0] &&
		    strnlen(names[i], len + 1) == len &&
		    memcmp(names[i], word->p, len) == 0)
			break;
	return len > 0 ? i : n;
}

int cg_parse_kv(const char *buf, size_t len, const char *const *keys,
		size_t nkeys, uint64_t *values, uint64_t *present)
{
	struct scan rest = {buf, buf + len};
	struct scan line, word;
	uint64_t vals[CG_KV_MAX] = {0};
	uint64_t seen = 0;
	size_t k;
	int err;

	if (nkeys > CG_KV_MAX)
		return -EINVAL;
	while (scan_next_line(&rest, &line)) {
		scan_next_word(&line, &word);
		if (word.p == word.end)
			continue;
		k = find_name(&word, keys, nkeys);
		if (k == nkeys)
			continue;
		if (seen & CG_BIT(k))
			return -EINVAL;
		scan_skip_blanks(&line);
		err = parse_u64(&line, &vals[k]);
		if (err == 0)
			err = expect_eol(&line);
		if (err < 0)
			return err;
		seen |= CG_BIT(k);
	}
	if (nkeys > 0)
		memcpy(values, vals, nkeys * sizeof(*values));
	*present = seen;
	return 0;
}

/* Runs cg_parse_kv for a typed wrapper, which succeeds when the text has
 * at least one of the keys and all those of need_a or all those of need_b.
 * val and *present are written only on success. */
static int parse_kv_typed(const char *buf, size_t len, const char *const *keys,
			  size_t nkeys, uint64_t need_a, uint64_t need_b,
			  uint64_t *val, uint64_t *present)
{
	uint64_t tmp[CG_KV_MAX], got;
	int err = cg_parse_kv(buf, len, keys, nkeys, tmp, &got);

	if (err < 0)
		return err;
	if (got == 0 || ((got & need_a) != need_a && (got & need_b) != need_b))
		return -EINVAL;
	memcpy(val, tmp, nkeys * sizeof(*val));
	*present = got;
	return 0;
}

static const char *const cpu_v2_keys[CG_CPU_V2_NKEYS] = {
    [CG_CPU_V2_USAGE_USEC] = "usage_usec",
    [CG_CPU_V2_USER_USEC] = "user_usec",
    [CG_CPU_V2_SYSTEM_USEC] = "system_usec",
    [CG_CPU_V2_NR_PERIODS] = "nr_periods",
    [CG_CPU_V2_NR_THROTTLED] = "nr_throttled",
    [CG_CPU_V2_THROTTLED_USEC] = "throttled_usec",
    [CG_CPU_V2_NR_BURSTS] = "nr_bursts",
    [CG_CPU_V2_BURST_USEC] = "burst_usec",
};

int cg_parse_cpu_stat_v2(const char *buf, size_t len,
			 struct cg_cpu_stat_v2 *out)
{
	const uint64_t need = CG_BIT(CG_CPU_V2_USAGE_USEC) |
			      CG_BIT(CG_CPU_V2_USER_USEC) |
			      CG_BIT(CG_CPU_V2_SYSTEM_USEC);

	return parse_kv_typed(buf, len, cpu_v2_keys, CG_CPU_V2_NKEYS, need,
			      need, out->val, &out->present);
}

static const char *const cpu_v1_keys[CG_CPU_V1_NKEYS] = {
    [CG_CPU_V1_NR_PERIODS] = "nr_periods",
    [CG_CPU_V1_NR_THROTTLED] = "nr_throttled",
    [CG_CPU_V1_THROTTLED_TIME] = "throttled_time",
    [CG_CPU_V1_NR_BURSTS] = "nr_bursts",
    [CG_CPU_V1_BURST_TIME] = "burst_time",
};

int cg_parse_cpu_stat_v1(const char *buf, size_t len,
			 struct cg_cpu_stat_v1 *out)
{
	const uint64_t need = CG_BIT(CG_CPU_V1_NR_PERIODS) |
			      CG_BIT(CG_CPU_V1_NR_THROTTLED) |
			      CG_BIT(CG_CPU_V1_THROTTLED_TIME);

	return parse_kv_typed(buf, len, cpu_v1_keys, CG_CPU_V1_NKEYS, need,
			      need, out->val, &out->present);
}

static const char *const cpuacct_keys[CG_CPUACCT_NKEYS] = {
    [CG_CPUACCT_USER] = "user",
    [CG_CPUACCT_SYSTEM] = "system",
};

int cg_parse_cpuacct_stat_v1(const char *buf, size_t len,
			     struct cg_cpuacct_stat *out)
{
	const uint64_t need =
	    CG_BIT(CG_CPUACCT_USER) | CG_BIT(CG_CPUACCT_SYSTEM);

	return parse_kv_typed(buf, len, cpuacct_keys, CG_CPUACCT_NKEYS, need,
			      need, out->val, &out->present);
}

static const char *const mem_keys[CG_MEM_NKEYS] = {
    [CG_MEM_ANON] = "anon",
    [CG_MEM_FILE] = "file",
    [CG_MEM_KERNEL] = "kernel",
    [CG_MEM_KERNEL_STACK] = "kernel_stack",
    [CG_MEM_SLAB] = "slab",
    [CG_MEM_SOCK] = "sock",
    [CG_MEM_FILE_MAPPED] = "file_mapped",
    [CG_MEM_FILE_DIRTY] = "file_dirty",
    [CG_MEM_FILE_WRITEBACK] = "file_writeback",
    [CG_MEM_ANON_THP] = "anon_thp",
    [CG_MEM_SHMEM] = "shmem",
    [CG_MEM_INACTIVE_ANON] = "inactive_anon",
    [CG_MEM_ACTIVE_ANON] = "active_anon",
    [CG_MEM_INACTIVE_FILE] = "inactive_file",
    [CG_MEM_ACTIVE_FILE] = "active_file",
    [CG_MEM_UNEVICTABLE] = "unevictable",
    [CG_MEM_PGFAULT] = "pgfault",
    [CG_MEM_PGMAJFAULT] = "pgmajfault",
    [CG_MEM_CACHE] = "cache",
    [CG_MEM_RSS] = "rss",
    [CG_MEM_RSS_HUGE] = "rss_huge",
    [CG_MEM_MAPPED_FILE] = "mapped_file",
    [CG_MEM_DIRTY] = "dirty",
    [CG_MEM_WRITEBACK] = "writeback",
    [CG_MEM_SWAP] = "swap",
    [CG_MEM_HIERARCHICAL_MEMORY_LIMIT] = "hierarchical_memory_limit",
    [CG_MEM_HIERARCHICAL_MEMSW_LIMIT] = "hierarchical_memsw_limit",
    [CG_MEM_TOTAL_CACHE] = "total_cache",
    [CG_MEM_TOTAL_RSS] = "total_rss",
    [CG_MEM_TOTAL_RSS_HUGE] = "total_rss_huge",
    [CG_MEM_TOTAL_SHMEM] = "total_shmem",
    [CG_MEM_TOTAL_MAPPED_FILE] = "total_mapped_file",
    [CG_MEM_TOTAL_DIRTY] = "total_dirty",
    [CG_MEM_TOTAL_WRITEBACK] = "total_writeback",
    [CG_MEM_TOTAL_SWAP] = "total_swap",
    [CG_MEM_TOTAL_INACTIVE_ANON] = "total_inactive_anon",
    [CG_MEM_TOTAL_ACTIVE_ANON] = "total_active_anon",
    [CG_MEM_TOTAL_INACTIVE_FILE] = "total_inactive_file",
    [CG_MEM_TOTAL_ACTIVE_FILE] = "total_active_file",
    [CG_MEM_TOTAL_UNEVICTABLE] = "total_unevictable",
    [CG_MEM_TOTAL_PGFAULT] = "total_pgfault",
    [CG_MEM_TOTAL_PGMAJFAULT] = "total_pgmajfault",
};

int cg_parse_memory_stat(const char *buf, size_t len,
			 struct cg_memory_stat *out)
{
	return parse_kv_typed(buf, len, mem_keys, CG_MEM_NKEYS,
			      CG_BIT(CG_MEM_ANON) | CG_BIT(CG_MEM_FILE),
			      CG_BIT(CG_MEM_CACHE) | CG_BIT(CG_MEM_RSS),
			      out->val, &out->present);
}

static const char *const memev_keys[CG_MEMEV_NKEYS] = {
    [CG_MEMEV_LOW] = "low",
    [CG_MEMEV_HIGH] = "high",
    [CG_MEMEV_MAX] = "max",
    [CG_MEMEV_OOM] = "oom",
    [CG_MEMEV_OOM_KILL] = "oom_kill",
    [CG_MEMEV_OOM_GROUP_KILL] = "oom_group_kill",
    [CG_MEMEV_OOM_KILL_DISABLE] = "oom_kill_disable",
    [CG_MEMEV_UNDER_OOM] = "under_oom",
};

int cg_parse_memory_events(const char *buf, size_t len,
			   struct cg_memory_events *out)
{
	return parse_kv_typed(buf, len, memev_keys, CG_MEMEV_NKEYS, 0, 0,
			      out->val, &out->present);
}

/* The text of a one-value file without its final '\n' (one at most: a
 * second one is left to fail as a stray byte). */
static struct scan one_line(const char *buf, size_t len)
{
	struct scan c = {buf, buf + len};

	if (c.p < c.end && c.end[-1] == '\n')
		c.end--;
	return c;
}

/* A number, or the word none that stands for no limit (UINT64_MAX, and
 * *is_none set): "max" in cgroup2 files, "-1" in v1's cpu.cfs_quota_us.
 * Leaves c after it. */
static int parse_u64_or(struct scan *c, const char *none, uint64_t *out,
			bool *is_none)
{
	struct scan word;

	scan_next_word(c, &word);
	*is_none = scan_word_is(&word, none);
	if (*is_none) {
		*out = UINT64_MAX;
		return 0;
	}
	c->p = word.p;
	return parse_u64(c, out);
}

/* A one-line limit file: a number or the word none, and nothing else. */
static int parse_limit(const char *buf, size_t len, const char *none,
		       struct cg_value *out)
{
	struct scan c = one_line(buf, len);
	struct cg_value v;
	bool is_none;
	int err = parse_u64_or(&c, none, &v.value, &is_none);

	if (err < 0)
		return err;
	if (expect_eol(&c) < 0)
		return -EINVAL;
	v.unlimited = v.value >= CG_UNLIMITED_MIN;
	*out = v;
	return 0;
}

int cg_parse_u64_or_max(const char *buf, size_t len, struct cg_value *out)
{
	return parse_limit(buf, len, "max", out);
}

int cg_parse_cpu_max(const char *buf, size_t len, struct cg_cpu_quota *out)
{
	struct scan c = one_line(buf, len);
	struct cg_cpu_quota q;
	int err = parse_u64_or(&c, "max", &q.quota_us, &q.unlimited);

	if (err < 0)
		return err;
	scan_skip_blanks(&c);
	err = parse_u64(&c, &q.period_us);
	if (err < 0)
		return err;
	/* The kernel refuses a period under 1 ms: 0 is no text of its own,
	 * and would divide by zero. */
	if (q.period_us == 0 || expect_eol(&c) < 0)
		return -EINVAL;
	*out = q;
	return 0;
}

int cg_parse_cfs_quota_v1(const char *buf, size_t len, struct cg_value *out)
{
	return parse_limit(buf, len, "-1", out);
}

int cg_parse_cfs_period_v1(const char *buf, size_t len, uint64_t *out)
{
	struct scan c = one_line(buf, len);
	uint64_t v;
	int err = parse_u64(&c, &v);

	if (err < 0)
		return err;
	if (v == 0 || expect_eol(&c) < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int cg_cpu_quota_cpus(const struct cg_cpu_quota *q, double *cpus)
{
	if (q->unlimited)
		return -ENODATA;
	if (q->period_us == 0)
		return -EINVAL;
	*cpus = (double)q->quota_us / (double)q->period_us;
	return 0;
}

/* Reads "MAJ:MIN" (the whole of word) into *major and *minor. Returns 0,
 * -EINVAL or -ERANGE. */
static int parse_devno(struct scan word, uint32_t *major, uint32_t *minor)
{
	uint64_t ma, mi;
	int err;

	err = scan_digits(&word, &ma);
	if (err < 0)
		return err;
	if (word.p == word.end || *word.p != ':')
		return -EINVAL;
	word.p++;
	err = scan_digits(&word, &mi);
	if (err < 0)
		return err;
	if (word.p != word.end)
		return -EINVAL;
	if (ma > UINT32_MAX || mi > UINT32_MAX)
		return -ERANGE;
	*major = (uint32_t)ma;
	*minor = (uint32_t)mi;
	return 0;
}

/* The devices found so far: n stored in out[0..max), total counted. A
 * device that does not fit is counted once per run of lines naming it. */
struct dev_table {
	struct cg_io_dev *out;
	size_t max;
	size_t n;
	int total;
	bool spilled; /* the last device seen did not fit ... */
	uint32_t spill_major, spill_minor; /* ... and was this one */
};

/* Finds or adds device major:minor; *dev is NULL when it did not fit.
 * Returns 0, or -ERANGE when the count would overflow an int. */
static int dev_lookup(struct dev_table *t, uint32_t major, uint32_t minor,
		      struct cg_io_dev **dev)
{
	size_t i;

	*dev = NULL;
	/* Newest first: a v1 file names one device on consecutive lines. */
	for (i = t->n; i > 0; i--) {
		if (t->out[i - 1].major == major &&
		    t->out[i - 1].minor == minor) {
			*dev = &t->out[i - 1];
			t->spilled = false;
			return 0;
		}
	}
	if (t->n == t->max && t->spilled && t->spill_major == major &&
	    t->spill_minor == minor)
		return 0;
	if (t->total == INT_MAX)
		return -ERANGE;
	t->total++;
	if (t->n == t->max) {
		t->spilled = true;
		t->spill_major = major;
		t->spill_minor = minor;
		return 0;
	}
	t->spilled = false;
	*dev = &t->out[t->n++];
	memset(*dev, 0, sizeof(**dev));
	(*dev)->major = major;
	(*dev)->minor = minor;
	return 0;
}

/* Stores v as counter i (0 rbytes, 1 wbytes, 2 rios, 3 wios, the order of
 * the CG_IO_* bits) of dev (NULL: a device that did not fit), unless this
 * line (*line_seen) or an earlier one already gave it. */
static int io_store(struct cg_io_dev *dev, unsigned i, uint64_t v,
		    unsigned *line_seen)
{
	const unsigned bit = 1u << i;

	if (*line_seen & bit)
		return -EINVAL;
	*line_seen |= bit;
	if (!dev)
		return 0;
	if (dev->present & bit)
		return -EINVAL;
	uint64_t *const slot[] = {&dev->rbytes, &dev->wbytes, &dev->rios,
				  &dev->wios};
	dev->present |= bit;
	*slot[i] = v;
	return 0;
}

static const char *const io_v2_names[] = {"rbytes", "wbytes", "rios", "wios"};

/* Parses one io.stat line (device, then fields) into t. */
static int io_v2_line(struct scan *line, struct dev_table *t)
{
	struct scan word, name, value;
	struct cg_io_dev *dev;
	uint32_t major, minor;
	unsigned seen = 0;
	uint64_t v;
	size_t i;
	int err;

	scan_next_word(line, &word);
	err = parse_devno(word, &major, &minor);
	if (err == 0)
		err = dev_lookup(t, major, minor, &dev);
	if (err < 0)
		return err;
	for (;;) {
		err = next_field(line, &name, &value);
		if (err <= 0)
			return err;
		i = find_name(&name, io_v2_names, 4);
		if (i == 4)
			continue;
		err = parse_u64(&value, &v);
		if (err == 0)
			err = io_store(dev, (unsigned)i, v, &seen);
		if (err < 0)
			return err;
	}
}

int cg_parse_io_stat_v2(const char *buf, size_t len, struct cg_io_dev *out,
			size_t max)
{
	struct scan rest = {buf, buf + len};
	struct scan line;
	struct dev_table t = {.out = out, .max = out ? max : 0};
	int err;

	while (scan_next_line(&rest, &line)) {
		scan_skip_blanks(&line);
		if (line.p == line.end)
			continue;
		err = io_v2_line(&line, &t);
		if (err < 0)
			return err;
	}
	return t.total;
}

/* Parses one "MAJ:MIN OP N" line of a v1 blkio file into t. */
static int blkio_v1_line(struct scan *line, struct scan *devword,
			 enum cg_blkio_unit unit, struct dev_table *t)
{
	const unsigned first = unit == CG_BLKIO_BYTES ? 0 : 2;
	struct scan op;
	struct cg_io_dev *dev;
	uint32_t major, minor;
	unsigned seen = 0;
	uint64_t v;
	int err;

	err = parse_devno(*devword, &major, &minor);
	if (err < 0)
		return err;
	scan_skip_blanks(line);
	scan_next_word(line, &op);
	scan_skip_blanks(line);
	err = parse_u64(line, &v);
	if (err == 0)
		err = expect_eol(line);
	if (err == 0)
		err = dev_lookup(t, major, minor, &dev);
	if (err < 0)
		return err;
	if (scan_word_is(&op, "Read"))
		return io_store(dev, first, v, &seen);
	if (scan_word_is(&op, "Write"))
		return io_store(dev, first + 1, v, &seen);
	return 0;
}

int cg_parse_blkio_v1(const char *buf, size_t len, enum cg_blkio_unit unit,
		      struct cg_io_dev *out, size_t max)
{
	struct scan rest = {buf, buf + len};
	struct scan line, word;
	struct dev_table t = {.out = out, .max = out ? max : 0};
	bool have_total = false;
	uint64_t v;
	int err;

	if (unit != CG_BLKIO_BYTES && unit != CG_BLKIO_IOS)
		return -EINVAL;
	while (scan_next_line(&rest, &line)) {
		scan_skip_blanks(&line);
		if (line.p == line.end)
			continue;
		/* Nothing may follow the file's last line, "Total N". */
		if (have_total)
			return -EINVAL;
		scan_next_word(&line, &word);
		if (scan_word_is(&word, "Total")) {
			scan_skip_blanks(&line);
			err = parse_u64(&line, &v);
			if (err == 0)
				err = expect_eol(&line);
			have_total = true;
		} else {
			err = blkio_v1_line(&line, &word, unit, &t);
		}
		if (err < 0)
			return err;
	}
	return have_total ? t.total : -EINVAL;
}

/* Reads the total= field of a PSI line (after its first word). */
static int psi_total(struct scan *line, uint64_t *total)
{
	struct scan name, value;
	bool have = false;
	int err;

	for (;;) {
		err = next_field(line, &name, &value);
		if (err <= 0)
			break;
		if (!scan_word_is(&name, "total"))
			continue;
		if (have)
			return -EINVAL;
		err = parse_u64(&value, total);
		if (err < 0)
			return err;
		have = true;
	}
	if (err < 0)
		return err;
	return have ? 0 : -EINVAL;
}

int cg_parse_pressure(const char *buf, size_t len, struct cg_pressure *out)
{
	struct scan rest = {buf, buf + len};
	struct scan line, word;
	uint64_t totals[2] = {0, 0};
	bool seen[2] = {false, false};
	int i, err;

	while (scan_next_line(&rest, &line)) {
		scan_next_word(&line, &word);
		if (scan_word_is(&word, "some"))
			i = 0;
		else if (scan_word_is(&word, "full"))
			i = 1;
		else
			continue;
		if (seen[i])
			return -EINVAL;
		err = psi_total(&line, &totals[i]);
		if (err < 0)
			return err;
		seen[i] = true;
	}
	if (!seen[0])
		return -EINVAL;
	out->some_total_us = totals[0];
	out->full_total_us = totals[1];
	out->has_full = seen[1];
	return 0;
}
