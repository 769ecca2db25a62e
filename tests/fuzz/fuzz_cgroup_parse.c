/* Fuzz target for the cgroup file parsers of collectors/cgroup/parse.c:
 * every input goes to each parser as raw bytes (no NUL terminator), and the
 * invariants that parse.h promises are checked: the error codes, present
 * bits only for known keys, required keys on success, outputs untouched on
 * error, the device arrays' count, order and bounds, and a CPU quota's
 * non-zero period. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/cgroup/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Devices kept in the small and the large run of an io parser. */
#define SMALL 2
#define LARGE 64

static void check_err(int err)
{
	if (err != 0 && err != -EINVAL && err != -ERANGE)
		abort();
}

/* Checks a struct result: on error it must still hold the fill byte. */
static void check_untouched(int err, const void *p, size_t n)
{
	const unsigned char *b = p;

	check_err(err);
	if (err == 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0xa5)
			abort();
}

static void fuzz_kv(const char *buf, size_t size)
{
	static const char *const keys[] = {"a", "usage_usec", "total_rss",
					   "x y"};
	uint64_t vals[4], present = 0xa5a5a5a5a5a5a5a5;
	int err;

	memset(vals, 0xa5, sizeof(vals));
	err = cg_parse_kv(buf, size, keys, 4, vals, &present);
	check_untouched(err, vals, sizeof(vals));
	/* A key with a blank can never match a line's first word. */
	if (err == 0 && (present >> 3) != 0)
		abort();
	for (int k = 0; err == 0 && k < 4; k++)
		if (!(present & CG_BIT(k)) && vals[k] != 0)
			abort();
}

/* Runs every flat-keyed wrapper; each must leave out untouched on error
 * and keep present within its keys and required keys. */
static void fuzz_wrappers(const char *buf, size_t size)
{
	struct cg_cpu_stat_v2 c2;
	struct cg_cpu_stat_v1 c1;
	struct cg_cpuacct_stat ca;
	struct cg_memory_stat ms;
	struct cg_memory_events me;
	const uint64_t mv2 = CG_BIT(CG_MEM_ANON) | CG_BIT(CG_MEM_FILE);
	const uint64_t mv1 = CG_BIT(CG_MEM_CACHE) | CG_BIT(CG_MEM_RSS);
	int err;

	memset(&c2, 0xa5, sizeof(c2));
	err = cg_parse_cpu_stat_v2(buf, size, &c2);
	check_untouched(err, &c2, sizeof(c2));
	if (err == 0 &&
	    ((c2.present >> CG_CPU_V2_NKEYS) != 0 || (c2.present & 7) != 7))
		abort();

	memset(&c1, 0xa5, sizeof(c1));
	err = cg_parse_cpu_stat_v1(buf, size, &c1);
	check_untouched(err, &c1, sizeof(c1));
	if (err == 0 &&
	    ((c1.present >> CG_CPU_V1_NKEYS) != 0 || (c1.present & 7) != 7))
		abort();

	memset(&ca, 0xa5, sizeof(ca));
	err = cg_parse_cpuacct_stat_v1(buf, size, &ca);
	check_untouched(err, &ca, sizeof(ca));
	if (err == 0 && ca.present != 3)
		abort();

	memset(&ms, 0xa5, sizeof(ms));
	err = cg_parse_memory_stat(buf, size, &ms);
	check_untouched(err, &ms, sizeof(ms));
	if (err == 0 &&
	    ((ms.present >> CG_MEM_NKEYS) != 0 ||
	     ((ms.present & mv2) != mv2 && (ms.present & mv1) != mv1)))
		abort();

	memset(&me, 0xa5, sizeof(me));
	err = cg_parse_memory_events(buf, size, &me);
	check_untouched(err, &me, sizeof(me));
	if (err == 0 &&
	    (me.present == 0 || (me.present >> CG_MEMEV_NKEYS) != 0))
		abort();
}

static void fuzz_single(const char *buf, size_t size)
{
	struct cg_value v;
	struct cg_pressure pr;
	int err;

	memset(&v, 0xa5, sizeof(v));
	err = cg_parse_u64_or_max(buf, size, &v);
	check_untouched(err, &v, sizeof(v));
	if (err == 0 && v.unlimited != (v.value >= CG_UNLIMITED_MIN))
		abort();
	/* The kernel's own text must always parse. */
	if (size == 4 && memcmp(buf, "max\n", 4) == 0 &&
	    (err != 0 || v.value != UINT64_MAX))
		abort();

	memset(&pr, 0xa5, sizeof(pr));
	err = cg_parse_pressure(buf, size, &pr);
	check_untouched(err, &pr, sizeof(pr));
	if (err == 0 && !pr.has_full && pr.full_total_us != 0)
		abort();
}

/* Runs the CFS bandwidth limit's parsers: a parsed cpu.max has a period
 * and divides into CPUs unless unlimited; a v1 quota keeps cg_value's
 * rule; a v1 period is never 0. */
static void fuzz_quota(const char *buf, size_t size)
{
	struct cg_cpu_quota q;
	struct cg_value v;
	uint64_t period;
	double cpus = -1;
	int err;

	memset(&q, 0xa5, sizeof(q));
	err = cg_parse_cpu_max(buf, size, &q);
	check_untouched(err, &q, sizeof(q));
	if (err == 0) {
		if (q.period_us == 0 ||
		    (q.unlimited && q.quota_us != UINT64_MAX))
			abort();
		err = cg_cpu_quota_cpus(&q, &cpus);
		if (q.unlimited ? err != -ENODATA || cpus != -1
				: err != 0 || !(cpus >= 0))
			abort();
	}
	/* The kernel's own text must always parse. */
	if (size == 11 && memcmp(buf, "max 100000\n", 11) == 0 &&
	    (cg_parse_cpu_max(buf, size, &q) != 0 || !q.unlimited))
		abort();

	memset(&v, 0xa5, sizeof(v));
	err = cg_parse_cfs_quota_v1(buf, size, &v);
	check_untouched(err, &v, sizeof(v));
	if (err == 0 && v.unlimited != (v.value >= CG_UNLIMITED_MIN))
		abort();
	if (size == 3 && memcmp(buf, "-1\n", 3) == 0 &&
	    (err != 0 || !v.unlimited))
		abort();

	memset(&period, 0xa5, sizeof(period));
	err = cg_parse_cfs_period_v1(buf, size, &period);
	check_untouched(err, &period, sizeof(period));
	if (err == 0 && period == 0)
		abort();
}

/* Checks one successful run of an io parser that kept max devices and
 * returned n: stored devices are distinct, their present bits within
 * allowed, absent counters 0, and the slots after them untouched. */
static void check_devs(int n, const struct cg_io_dev *d, size_t max,
		       unsigned allowed)
{
	const struct cg_io_dev *e;
	size_t kept = (size_t)n < max ? (size_t)n : max;
	const unsigned char *b;

	for (size_t i = 0; i < kept; i++) {
		e = &d[i];
		if ((e->present & ~allowed) != 0 ||
		    (!(e->present & CG_IO_RBYTES) && e->rbytes != 0) ||
		    (!(e->present & CG_IO_WBYTES) && e->wbytes != 0) ||
		    (!(e->present & CG_IO_RIOS) && e->rios != 0) ||
		    (!(e->present & CG_IO_WIOS) && e->wios != 0))
			abort();
		for (size_t j = 0; j < i; j++)
			if (d[j].major == e->major && d[j].minor == e->minor)
				abort();
	}
	b = (const unsigned char *)(d + kept);
	for (size_t i = 0; i < (max - kept) * sizeof(*d); i++)
		if (b[i] != 0xa5)
			abort();
}

/* Runs an io parser (unit < 0: io.stat, else blkio with that unit) with
 * room for SMALL, then LARGE devices, then none, and checks that they
 * agree: an error with less room is an error with more; otherwise both
 * tell whether more than SMALL devices exist, and the first SMALL match. */
static void fuzz_io(const char *buf, size_t size, int unit, unsigned allowed)
{
	static struct cg_io_dev small[SMALL], large[LARGE];
	int ns, nl, n0;

	memset(small, 0xa5, sizeof(small));
	memset(large, 0xa5, sizeof(large));
	if (unit < 0) {
		ns = cg_parse_io_stat_v2(buf, size, small, SMALL);
		nl = cg_parse_io_stat_v2(buf, size, large, LARGE);
		n0 = cg_parse_io_stat_v2(buf, size, NULL, 0);
	} else {
		ns = cg_parse_blkio_v1(buf, size, unit, small, SMALL);
		nl = cg_parse_blkio_v1(buf, size, unit, large, LARGE);
		n0 = cg_parse_blkio_v1(buf, size, unit, NULL, 0);
	}
	if (ns < 0)
		check_err(ns);
	if (nl < 0)
		check_err(nl);
	if (n0 < 0)
		check_err(n0);
	if ((ns < 0 && nl >= 0) || (n0 < 0 && ns >= 0))
		abort();
	if (nl < 0 || ns < 0)
		return;
	check_devs(ns, small, SMALL, allowed);
	check_devs(nl, large, LARGE, allowed);
	if ((ns > SMALL) != (nl > SMALL) || (n0 > 0) != (nl > 0))
		abort();
	for (int i = 0; i < SMALL && i < ns; i++)
		if (memcmp(&small[i], &large[i], sizeof(small[i])) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fuzz_kv(buf, size);
	fuzz_wrappers(buf, size);
	fuzz_single(buf, size);
	fuzz_quota(buf, size);
	fuzz_io(buf, size, -1, 0xf);
	fuzz_io(buf, size, CG_BLKIO_BYTES, CG_IO_RBYTES | CG_IO_WBYTES);
	fuzz_io(buf, size, CG_BLKIO_IOS, CG_IO_RIOS | CG_IO_WIOS);
	return 0;
}
