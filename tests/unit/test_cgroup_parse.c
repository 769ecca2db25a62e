/* Tests of the cgroup file parsers (collectors/cgroup/parse.c; the I/O
 * ones are in test_cgroup_parse_io.c) on the kernel's real formats (v1, v2 and a hybrid host's), and on truncated,
 * overflowing, repeated and malformed inputs. Every input is copied into a
 * heap block of its exact length, so that reading past it trips ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/cgroup/parse.h"
#include "tests/unit/exact.h"
#include "exporter/api/base.h"

/* Captured on a hybrid host: v1 cpu.stat of a cgroup with a CFS quota that
 * throttled a busy loop. */
static const char v1_cpu_stat[] = "nr_periods 35\n"
				  "nr_throttled 35\n"
				  "throttled_time 3458913819\n"
				  "nr_bursts 0\n"
				  "burst_time 0\n";

/* cgroup2 cpu.stat with the cpu controller enabled (Linux 6.x). */
static const char v2_cpu_stat[] = "usage_usec 8325402\n"
				  "user_usec 6104211\n"
				  "system_usec 2221191\n"
				  "nice_usec 0\n"
				  "core_sched.force_idle_usec 0\n"
				  "nr_periods 4120\n"
				  "nr_throttled 311\n"
				  "throttled_usec 15230442\n"
				  "nr_bursts 2\n"
				  "burst_usec 7000\n";

/* v1 memory.stat of a root memory cgroup (captured). */
static const char v1_memory_stat[] =
    "cache 9392128\n"
    "rss 6074368\n"
    "rss_huge 0\n"
    "shmem 9166848\n"
    "mapped_file 7659520\n"
    "dirty 8192\n"
    "writeback 0\n"
    "workingset_refault_anon 0\n"
    "workingset_refault_file 2216\n"
    "swap 0\n"
    "swapcached 0\n"
    "pgpgin 42038\n"
    "pgpgout 38262\n"
    "pgfault 77171\n"
    "pgmajfault 0\n"
    "inactive_anon 0\n"
    "active_anon 1531904\n"
    "inactive_file 16384\n"
    "active_file 208896\n"
    "unevictable 13709312\n"
    "hierarchical_memory_limit 9223372036854771712\n"
    "hierarchical_memsw_limit 9223372036854771712\n"
    "total_cache 586809344\n"
    "total_rss 43782144\n"
    "total_rss_huge 0\n"
    "total_shmem 9166848\n"
    "total_mapped_file 27676672\n"
    "total_dirty 106496\n"
    "total_writeback 0\n"
    "total_workingset_refault_anon 0\n"
    "total_workingset_refault_file 975113\n"
    "total_swap 0\n"
    "total_swapcached 0\n"
    "total_pgpgin 19636577\n"
    "total_pgpgout 19491830\n"
    "total_pgfault 26802684\n"
    "total_pgmajfault 7639\n"
    "total_inactive_anon 37552128\n"
    "total_active_anon 1605632\n"
    "total_inactive_file 139784192\n"
    "total_active_file 437858304\n"
    "total_unevictable 13709312\n";

/* cgroup2 memory.stat as Linux 6.x prints it (shortened in the middle). */
static const char v2_memory_stat[] = "anon 1859584\n"
				     "file 9691136\n"
				     "kernel 1048576\n"
				     "kernel_stack 65536\n"
				     "pagetables 180224\n"
				     "sec_pagetables 0\n"
				     "percpu 9952\n"
				     "sock 0\n"
				     "vmalloc 8192\n"
				     "shmem 4096\n"
				     "zswap 0\n"
				     "zswapped 0\n"
				     "file_mapped 4325376\n"
				     "file_dirty 0\n"
				     "file_writeback 0\n"
				     "swapcached 0\n"
				     "anon_thp 0\n"
				     "file_thp 0\n"
				     "shmem_thp 0\n"
				     "inactive_anon 1855488\n"
				     "active_anon 8192\n"
				     "inactive_file 6205440\n"
				     "active_file 3481600\n"
				     "unevictable 0\n"
				     "slab_reclaimable 451832\n"
				     "slab_unreclaimable 315640\n"
				     "slab 767472\n"
				     "workingset_refault_anon 0\n"
				     "pgfault 6342\n"
				     "pgmajfault 58\n"
				     "thp_swpout_fallback 0\n";

static const char *const kv_keys[] = {"a", "bb", "c"};

static int kv_of(const char *s, uint64_t *vals, uint64_t *present)
{
	char *p = exact_n(s, strlen(s));
	int err = cg_parse_kv(p, strlen(s), kv_keys, 3, vals, present);

	free(p);
	return err;
}

/* Declares NAME_of(s, out), which runs parser on an exact copy of s. */
#define EXACT_OF(name, parser, type)                                           \
	static int name##_of(const char *s, type *out)                         \
	{                                                                      \
		size_t n = strlen(s);                                          \
		char *p = exact_n(s, n);                                       \
		int err = parser(p, n, out);                                   \
                                                                               \
		free(p);                                                       \
		return err;                                                    \
	}

EXACT_OF(cpu2, cg_parse_cpu_stat_v2, struct cg_cpu_stat_v2)
EXACT_OF(cpu1, cg_parse_cpu_stat_v1, struct cg_cpu_stat_v1)
EXACT_OF(cpuacct, cg_parse_cpuacct_stat_v1, struct cg_cpuacct_stat)
EXACT_OF(mem, cg_parse_memory_stat, struct cg_memory_stat)
EXACT_OF(memev, cg_parse_memory_events, struct cg_memory_events)
EXACT_OF(value, cg_parse_u64_or_max, struct cg_value)
EXACT_OF(psi, cg_parse_pressure, struct cg_pressure)
EXACT_OF(cpumax, cg_parse_cpu_max, struct cg_cpu_quota)
EXACT_OF(cfsq, cg_parse_cfs_quota_v1, struct cg_value)
EXACT_OF(cfsp, cg_parse_cfs_period_v1, uint64_t)

/* The CPUs of cpu.max text s, or -1 when it parses as unlimited. */
static double cpus_of_max(const char *s)
{
	struct cg_cpu_quota q;
	double cpus = -2;

	assert_int_equal(cpumax_of(s, &q), 0);
	if (q.unlimited) {
		assert_int_equal(cg_cpu_quota_cpus(&q, &cpus), -ENODATA);
		assert_true(cpus == -2); /* untouched */
		return -1;
	}
	assert_int_equal(cg_cpu_quota_cpus(&q, &cpus), 0);
	return cpus;
}

/* ---- cg_parse_kv --------------------------------------------------- */

static void kv_fills_wanted_keys_and_present_bits(void **unused)
{
	uint64_t v[3] = {9, 9, 9}, present = 0;

	assert_int_equal(
	    kv_of("c 3\nzz 7\na 18446744073709551615\n", v, &present), 0);
	assert_true(v[0] == UINT64_MAX);
	assert_true(v[1] == 0); /* absent: set to 0 */
	assert_true(v[2] == 3);
	assert_true(present == (CG_BIT(0) | CG_BIT(2)));
}

static void kv_ignores_unknown_keys_whatever_their_values(void **unused)
{
	uint64_t v[3], present;

	assert_int_equal(kv_of("junk not-a-number\r\nb 5\naa 1x\n\nbb 2\n"
			       "a\xff 0\n",
			       v, &present),
			 0);
	/* "b", "aa" and "a\xff" are not "bb" or "a": whole names only. */
	assert_true(present == CG_BIT(1));
	assert_true(v[1] == 2);
}

static void kv_accepts_empty_input_with_nothing_present(void **unused)
{
	uint64_t v[3] = {9, 9, 9}, present = 9;

	assert_int_equal(cg_parse_kv("", 0, kv_keys, 3, v, &present), 0);
	assert_true(present == 0);
	assert_true(v[0] == 0 && v[1] == 0 && v[2] == 0);
}

static void kv_rejects_malformed_wanted_values(void **unused)
{
	static const char *const bad[] = {
	    "a\n",     "a \n",	   "a x\n",   "a 12x\n",   "a -1\n",   "a +1\n",
	    "a 1 2\n", "a 0x10\n", "a 1.5\n", "bb 1\na\n", "a 12\r\n",
	};
	uint64_t v[3], present;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(kv_of(bad[i], v, &present), -EINVAL);
}

static void kv_reports_overflow_as_erange(void **unused)
{
	uint64_t v[3], present;

	assert_int_equal(kv_of("a 18446744073709551616\n", v, &present),
			 -ERANGE);
	assert_int_equal(kv_of("a 99999999999999999999\n", v, &present),
			 -ERANGE);
	assert_int_equal(kv_of("a 0000000000000000000000001\n", v, &present),
			 0);
	assert_true(v[0] == 1);
	/* An unknown key's value is not read, so it cannot overflow. */
	assert_int_equal(kv_of("x 99999999999999999999\n", v, &present), 0);
}

static void kv_rejects_a_wanted_key_given_twice(void **unused)
{
	uint64_t v[3], present;

	assert_int_equal(kv_of("a 1\nbb 2\na 1\n", v, &present), -EINVAL);
	/* Unknown keys are not tracked. */
	assert_int_equal(kv_of("x 1\nx 2\na 3\n", v, &present), 0);
	assert_true(v[0] == 3);
}

static void kv_allows_blanks_between_and_after_fields(void **unused)
{
	uint64_t v[3], present;

	assert_int_equal(kv_of("a\t 7 \t\nbb  8 \n", v, &present), 0);
	assert_true(v[0] == 7 && v[1] == 8);
	/* The key must start the line. */
	assert_int_equal(kv_of(" a 7\n", v, &present), 0);
	assert_true(present == 0);
}

static void kv_stops_at_len_without_nul(void **unused)
{
	const char text[] = "a 12345\nbb 6";
	uint64_t v[3], present;

	assert_int_equal(cg_parse_kv(text, 4, kv_keys, 3, v, &present), 0);
	assert_true(v[0] == 12);
	assert_true(present == CG_BIT(0));
}

static void kv_leaves_output_untouched_on_error(void **unused)
{
	uint64_t v[3] = {5, 6, 7}, present = 8;

	assert_int_equal(kv_of("a 1\nbb 2\nc x\n", v, &present), -EINVAL);
	assert_true(v[0] == 5 && v[1] == 6 && v[2] == 7 && present == 8);
}

static void kv_refuses_more_keys_than_present_bits(void **unused)
{
	const char *keys[CG_KV_MAX + 1];
	uint64_t v[CG_KV_MAX + 1], present;

	for (size_t i = 0; i <= CG_KV_MAX; i++)
		keys[i] = "k";
	assert_int_equal(
	    cg_parse_kv("k 1\n", 4, keys, CG_KV_MAX + 1, v, &present), -EINVAL);
	assert_int_equal(cg_parse_kv("k 1\n", 4, keys, CG_KV_MAX, v, &present),
			 0);
}

/* ---- cpu.stat and cpuacct.stat ---------------------------------------- */

static void cpu_stat_v2_reads_kernel_text(void **unused)
{
	struct cg_cpu_stat_v2 st;

	assert_int_equal(cpu2_of(v2_cpu_stat, &st), 0);
	assert_true(st.val[CG_CPU_V2_USAGE_USEC] == 8325402);
	assert_true(st.val[CG_CPU_V2_USER_USEC] == 6104211);
	assert_true(st.val[CG_CPU_V2_SYSTEM_USEC] == 2221191);
	assert_true(st.val[CG_CPU_V2_NR_PERIODS] == 4120);
	assert_true(st.val[CG_CPU_V2_NR_THROTTLED] == 311);
	assert_true(st.val[CG_CPU_V2_THROTTLED_USEC] == 15230442);
	assert_true(st.val[CG_CPU_V2_NR_BURSTS] == 2);
	assert_true(st.val[CG_CPU_V2_BURST_USEC] == 7000);
	assert_true(st.present == CG_BIT(CG_CPU_V2_NKEYS) - 1);
}

static void cpu_stat_v2_without_cpu_controller_has_usage_only(void **unused)
{
	struct cg_cpu_stat_v2 st;

	/* A hybrid host's unified root: no cpu controller on cgroup2. */
	assert_int_equal(cpu2_of("usage_usec 3057528000\nuser_usec "
				 "1981712000\nsystem_usec 1075816000\n"
				 "nice_usec 0\n",
				 &st),
			 0);
	assert_true(st.present == 7);
	assert_true(st.val[CG_CPU_V2_SYSTEM_USEC] == 1075816000);
	assert_true(st.val[CG_CPU_V2_NR_THROTTLED] == 0);
}

static void cpu_stat_v2_requires_usage_user_and_system(void **unused)
{
	struct cg_cpu_stat_v2 st;

	assert_int_equal(cpu2_of("", &st), -EINVAL);
	assert_int_equal(cpu2_of(v1_cpu_stat, &st), -EINVAL);
	/* Truncated after the key, before the value, inside the third key. */
	assert_int_equal(cpu2_of("usage_usec 8325402\nuser_usec ", &st),
			 -EINVAL);
	assert_int_equal(
	    cpu2_of("usage_usec 8325402\nuser_usec 6104211\nsys", &st),
	    -EINVAL);
	assert_int_equal(cpu2_of("usage_usec 83", &st), -EINVAL);
}

static void cpu_stat_v2_rejects_crlf_and_overflow(void **unused)
{
	struct cg_cpu_stat_v2 st;

	assert_int_equal(
	    cpu2_of("usage_usec 1\r\nuser_usec 2\r\nsystem_usec 3\r\n", &st),
	    -EINVAL);
	assert_int_equal(cpu2_of("usage_usec 184467440737095516150\nuser_usec "
				 "1\nsystem_usec 1\n",
				 &st),
			 -ERANGE);
}

static void cpu_stat_v1_reads_throttling_in_ns(void **unused)
{
	struct cg_cpu_stat_v1 st;

	assert_int_equal(cpu1_of(v1_cpu_stat, &st), 0);
	assert_true(st.val[CG_CPU_V1_NR_PERIODS] == 35);
	assert_true(st.val[CG_CPU_V1_NR_THROTTLED] == 35);
	assert_true(st.val[CG_CPU_V1_THROTTLED_TIME] == 3458913819);
	assert_true(st.present == CG_BIT(CG_CPU_V1_NKEYS) - 1);
	/* An older kernel without the burst keys. */
	assert_int_equal(
	    cpu1_of("nr_periods 1\nnr_throttled 0\nthrottled_time 0\n", &st),
	    0);
	assert_true(st.present == 7);
}

static void cpu_stat_v1_requires_its_three_keys(void **unused)
{
	struct cg_cpu_stat_v1 st;

	assert_int_equal(cpu1_of("nr_periods 1\nnr_throttled 0\n", &st),
			 -EINVAL);
	assert_int_equal(cpu1_of(v2_cpu_stat, &st), -EINVAL);
	assert_int_equal(cpu1_of("nr_periods 1\nnr_periods 1\nnr_throttled "
				 "0\nthrottled_time 0\n",
				 &st),
			 -EINVAL);
}

static void cpuacct_stat_reads_user_and_system_ticks(void **unused)
{
	struct cg_cpuacct_stat st;

	assert_int_equal(cpuacct_of("user 177010\nsystem 90390\n", &st), 0);
	assert_true(st.val[CG_CPUACCT_USER] == 177010);
	assert_true(st.val[CG_CPUACCT_SYSTEM] == 90390);
	assert_int_equal(cpuacct_of("user 10 \nsystem 20\t\n", &st), 0);
	assert_true(st.val[CG_CPUACCT_SYSTEM] == 20);
	assert_int_equal(cpuacct_of("user 177010\nsys", &st), -EINVAL);
	assert_int_equal(cpuacct_of("user 1\nsystem x\n", &st), -EINVAL);
}

/* ---- memory.stat and memory.events -------------------------------------- */

static void memory_stat_reads_v2_keys(void **unused)
{
	struct cg_memory_stat ms;

	assert_int_equal(mem_of(v2_memory_stat, &ms), 0);
	assert_true(ms.val[CG_MEM_ANON] == 1859584);
	assert_true(ms.val[CG_MEM_FILE] == 9691136);
	assert_true(ms.val[CG_MEM_KERNEL] == 1048576);
	assert_true(ms.val[CG_MEM_SLAB] == 767472);
	assert_true(ms.val[CG_MEM_SHMEM] == 4096);
	assert_true(ms.val[CG_MEM_FILE_MAPPED] == 4325376);
	assert_true(ms.val[CG_MEM_INACTIVE_FILE] == 6205440);
	assert_true(ms.val[CG_MEM_ACTIVE_FILE] == 3481600);
	assert_true(ms.val[CG_MEM_PGMAJFAULT] == 58);
	assert_true(ms.present & CG_BIT(CG_MEM_ANON_THP));
	assert_false(ms.present & CG_BIT(CG_MEM_CACHE));
	assert_false(ms.present & CG_BIT(CG_MEM_TOTAL_INACTIVE_FILE));
	assert_true(ms.val[CG_MEM_RSS] == 0);
}

static void memory_stat_reads_v1_keys_and_totals(void **unused)
{
	struct cg_memory_stat ms;

	assert_int_equal(mem_of(v1_memory_stat, &ms), 0);
	assert_true(ms.val[CG_MEM_CACHE] == 9392128);
	assert_true(ms.val[CG_MEM_RSS] == 6074368);
	assert_true(ms.val[CG_MEM_MAPPED_FILE] == 7659520);
	assert_true(ms.val[CG_MEM_INACTIVE_FILE] == 16384);
	assert_true(ms.val[CG_MEM_HIERARCHICAL_MEMORY_LIMIT] ==
		    UINT64_C(9223372036854771712));
	assert_true(ms.val[CG_MEM_TOTAL_CACHE] == 586809344);
	assert_true(ms.val[CG_MEM_TOTAL_RSS] == 43782144);
	assert_true(ms.val[CG_MEM_TOTAL_SWAP] == 0);
	assert_true(ms.present & CG_BIT(CG_MEM_TOTAL_SWAP));
	assert_true(ms.val[CG_MEM_TOTAL_INACTIVE_FILE] == 139784192);
	assert_true(ms.val[CG_MEM_TOTAL_PGMAJFAULT] == 7639);
	assert_false(ms.present & CG_BIT(CG_MEM_ANON));
	assert_false(ms.present & CG_BIT(CG_MEM_KERNEL));
}

static void memory_stat_requires_anon_and_file_or_cache_and_rss(void **unused)
{
	struct cg_memory_stat ms;

	assert_int_equal(mem_of("", &ms), -EINVAL);
	assert_int_equal(mem_of("anon 1\n", &ms), -EINVAL);
	assert_int_equal(mem_of("anon_thp 5\nfile_mapped 3\n", &ms), -EINVAL);
	assert_int_equal(mem_of("file 1\nanon 2\n", &ms), 0);
	assert_int_equal(mem_of("rss 2\ncache 1\n", &ms), 0);
	/* Truncated in the middle of the second line. */
	assert_int_equal(mem_of("anon 1859584\nfil", &ms), -EINVAL);
	assert_int_equal(mem_of("anon 1859584\nfile 9691136\nkernel x", &ms),
			 -EINVAL);
}

static void memory_stat_leaves_output_untouched_on_error(void **unused)
{
	struct cg_memory_stat ms, before;

	memset(&ms, 0x5a, sizeof(ms));
	before = ms;
	assert_int_equal(mem_of("anon 1\nfile 2\nfile 2\n", &ms), -EINVAL);
	assert_int_equal(mem_of("anon 1\nfile 99999999999999999999\n", &ms),
			 -ERANGE);
	assert_memory_equal(&ms, &before, sizeof(ms));
}

static void memory_events_reads_v2_and_v1_oom_counts(void **unused)
{
	struct cg_memory_events ev;

	assert_int_equal(memev_of("low 0\nhigh 4\nmax 12\noom 1\noom_kill 1\n"
				  "oom_group_kill 0\n",
				  &ev),
			 0);
	assert_true(ev.val[CG_MEMEV_HIGH] == 4);
	assert_true(ev.val[CG_MEMEV_MAX] == 12);
	assert_true(ev.val[CG_MEMEV_OOM_KILL] == 1);
	/* low through oom_group_kill: the v1-only keys stay clear. */
	assert_true(ev.present == CG_BIT(CG_MEMEV_OOM_KILL_DISABLE) - 1);
	assert_int_equal(
	    memev_of("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", &ev), 0);
	assert_true(ev.val[CG_MEMEV_OOM_KILL] == 3);
	assert_false(ev.present & CG_BIT(CG_MEMEV_OOM));
}

static void memory_events_rejects_text_without_any_key(void **unused)
{
	struct cg_memory_events ev;

	assert_int_equal(memev_of("", &ev), -EINVAL);
	assert_int_equal(memev_of("unknown 1\n", &ev), -EINVAL);
	assert_int_equal(memev_of("oom_kill 1\noom_kill 2\n", &ev), -EINVAL);
}

/* ---- single values ------------------------------------------------------- */

static void value_reads_a_number_with_or_without_newline(void **unused)
{
	struct cg_value v;

	assert_int_equal(value_of("630489088\n", &v), 0);
	assert_true(v.value == 630489088);
	assert_false(v.unlimited);
	assert_int_equal(value_of("0", &v), 0);
	assert_true(v.value == 0);
	assert_int_equal(value_of("12 \t\n", &v), 0);
	assert_true(v.value == 12);
}

static void value_flags_max_and_v1_huge_limits_as_unlimited(void **unused)
{
	struct cg_value v;

	assert_int_equal(value_of("max\n", &v), 0);
	assert_true(v.unlimited);
	assert_true(v.value == UINT64_MAX);
	assert_int_equal(value_of("9223372036854771712\n", &v), 0);
	assert_true(v.unlimited);
	assert_true(v.value == UINT64_C(9223372036854771712));
	assert_int_equal(value_of("4611686018427387904\n", &v), 0); /* 2^62 */
	assert_true(v.unlimited);
	assert_int_equal(value_of("4611686018427387903\n", &v), 0);
	assert_false(v.unlimited);
	assert_int_equal(value_of("18446744073709551615\n", &v), 0);
	assert_true(v.unlimited);
}

static void value_rejects_anything_else(void **unused)
{
	static const char *const bad[] = {
	    "",	     "\n",    " 12\n",	 "12\n\n", "12 34\n",	  "12\r\n",
	    "-1\n",  "+1\n",  "0x10\n",	 "maxx\n", "max 1\n",	  "MAX\n",
	    "1.5\n", "12\n3", "max\n\n", "\n12",   "unlimited\n",
	};
	struct cg_value v;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(value_of(bad[i], &v), -EINVAL);
}

static void value_reports_overflow_and_leaves_output_untouched(void **unused)
{
	struct cg_value v = {.value = 77, .unlimited = false};

	assert_int_equal(value_of("18446744073709551616\n", &v), -ERANGE);
	assert_int_equal(value_of("99999999999999999999\n", &v), -ERANGE);
	assert_int_equal(value_of("ma", &v), -EINVAL);
	assert_true(v.value == 77);
	assert_false(v.unlimited);
}

static void value_stops_at_len_without_nul(void **unused)
{
	struct cg_value v;

	assert_int_equal(cg_parse_u64_or_max("1234\n", 2, &v), 0);
	assert_true(v.value == 12);
	assert_int_equal(cg_parse_u64_or_max("maxi", 3, &v), 0);
	assert_true(v.unlimited);
}

/* ---- CPU quota --------------------------------------------------------- */

static void cpu_max_gives_quota_over_period_in_cpus(void **unused)
{
	struct cg_cpu_quota q;

	assert_int_equal(cpumax_of("200000 100000\n", &q), 0);
	assert_true(q.quota_us == 200000 && q.period_us == 100000);
	assert_false(q.unlimited);
	assert_true(cpus_of_max("200000 100000\n") == 2.0);
	assert_true(cpus_of_max("50000 100000\n") == 0.5);
	assert_true(cpus_of_max("150000 100000") == 1.5); /* no newline */
	assert_true(cpus_of_max("100000 50000 \t\n") == 2.0);
	assert_true(cpus_of_max("1000 100000\n") == 0.01);
	assert_true(cpus_of_max("0 100000\n") == 0.0);
}

static void cpu_max_unlimited_has_no_cpus(void **unused)
{
	struct cg_cpu_quota q;

	assert_int_equal(cpumax_of("max 100000\n", &q), 0);
	assert_true(q.unlimited);
	assert_true(q.quota_us == UINT64_MAX);
	assert_true(q.period_us == 100000);
	assert_true(cpus_of_max("max 100000\n") == -1);
	assert_true(cpus_of_max("max\t250000") == -1);
}

static void cpu_max_rejects_garbage_and_a_zero_period(void **unused)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "max\n", /* the kernel always prints the period */
	    "200000\n",
	    "200000 0\n", /* zero period */
	    "max 0\n",
	    " 200000 100000\n",
	    "-1 100000\n",
	    "200000 -1\n",
	    "200000 100000 1\n",
	    "200000 100000\r\n",
	    "200000 100000\n\n",
	    "200000 max\n",
	    "MAX 100000\n",
	    "maxx 100000\n",
	    "1.5 100000\n",
	    "0x10 100000\n",
	    "200000,100000\n",
	    "\n200000 100000",
	};
	struct cg_cpu_quota q = {.quota_us = 7, .period_us = 8};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(cpumax_of(bad[i], &q), -EINVAL);
	assert_true(q.quota_us == 7 && q.period_us == 8);
}

static void cpu_max_reports_overflow_as_erange(void **unused)
{
	struct cg_cpu_quota q = {.quota_us = 7, .period_us = 8};

	assert_int_equal(cpumax_of("18446744073709551616 100000\n", &q),
			 -ERANGE);
	assert_int_equal(cpumax_of("max 18446744073709551616\n", &q), -ERANGE);
	assert_int_equal(cpumax_of("200000 99999999999999999999\n", &q),
			 -ERANGE);
	assert_true(q.quota_us == 7 && q.period_us == 8);
	assert_int_equal(cpumax_of("18446744073709551615 1\n", &q), 0);
	assert_true(q.quota_us == UINT64_MAX && !q.unlimited);
}

static void cpu_max_stops_at_len_without_nul(void **unused)
{
	struct cg_cpu_quota q;

	/* "200000 100000" of a longer buffer: the trailing 9 is not read. */
	assert_int_equal(cg_parse_cpu_max("200000 1000009", 13, &q), 0);
	assert_true(q.period_us == 100000);
	assert_int_equal(cg_parse_cpu_max("200000 1000009", 7, &q), -EINVAL);
}

static void cfs_quota_v1_reads_microseconds_or_minus_one(void **unused)
{
	struct cg_value v;

	assert_int_equal(cfsq_of("50000\n", &v), 0);
	assert_true(v.value == 50000);
	assert_false(v.unlimited);
	assert_int_equal(cfsq_of("-1\n", &v), 0);
	assert_true(v.unlimited);
	assert_true(v.value == UINT64_MAX);
	assert_int_equal(cfsq_of("-1", &v), 0);
	assert_true(v.unlimited);
	assert_int_equal(cfsq_of("150000 \n", &v), 0);
	assert_true(v.value == 150000);
}

static void cfs_quota_v1_rejects_garbage_and_other_negatives(void **unused)
{
	static const char *const bad[] = {
	    "",	    "\n",     "-2\n",  "-10\n", "-1x\n",  "--1\n",
	    "-\n",  "+1\n",   "max\n", "1 2\n", "-1\n\n", "-1\r\n",
	    " 5\n", "0x10\n", "1.5\n", "-01\n", "\n-1",
	};
	struct cg_value v = {.value = 77};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(cfsq_of(bad[i], &v), -EINVAL);
	assert_int_equal(cfsq_of("18446744073709551616\n", &v), -ERANGE);
	assert_true(v.value == 77);
}

static void cfs_period_v1_rejects_zero_garbage_and_overflow(void **unused)
{
	static const char *const bad[] = {
	    "",	     "\n",	   "0\n",   "0",	  "-1\n",
	    "max\n", "100000 1\n", "1e5\n", "100000\r\n",
	};
	uint64_t p = 77;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(cfsp_of(bad[i], &p), -EINVAL);
	assert_int_equal(cfsp_of("18446744073709551616\n", &p), -ERANGE);
	assert_true(p == 77);
	assert_int_equal(cfsp_of("100000\n", &p), 0);
	assert_true(p == 100000);
	assert_int_equal(cfsp_of("1000", &p), 0);
	assert_true(p == 1000);
}

static void quota_cpus_refuses_unlimited_and_zero_period(void **unused)
{
	struct cg_cpu_quota q = {.quota_us = 50000, .period_us = 100000};
	double cpus = -2;

	assert_int_equal(cg_cpu_quota_cpus(&q, &cpus), 0);
	assert_true(cpus == 0.5);
	q.period_us = 0;
	cpus = -2;
	assert_int_equal(cg_cpu_quota_cpus(&q, &cpus), -EINVAL);
	q = (struct cg_cpu_quota){
	    .quota_us = UINT64_MAX, .period_us = 100000, .unlimited = true};
	assert_int_equal(cg_cpu_quota_cpus(&q, &cpus), -ENODATA);
	assert_true(cpus == -2);
}

/* ---- pressure ---------------------------------------------------------- */

static void pressure_reads_some_and_full_totals(void **unused)
{
	struct cg_pressure pr;

	assert_int_equal(psi_of("some avg10=8.59 avg60=12.99 avg300=26.02 "
				"total=434054011\nfull avg10=0.00 avg60=0.00 "
				"avg300=0.00 total=16882349\n",
				&pr),
			 0);
	assert_true(pr.some_total_us == 434054011);
	assert_true(pr.full_total_us == 16882349);
	assert_true(pr.has_full);
}

static void pressure_without_full_line_says_so(void **unused)
{
	struct cg_pressure pr;

	assert_int_equal(
	    psi_of("some avg10=0.00 avg60=0.00 avg300=0.00 total=1520\n", &pr),
	    0);
	assert_true(pr.some_total_us == 1520);
	assert_false(pr.has_full);
	assert_true(pr.full_total_us == 0);
}

static void pressure_ignores_avg_values_and_unknown_lines(void **unused)
{
	struct cg_pressure pr;

	assert_int_equal(psi_of("other 1 2\nfull total=3 avg10=?\nsome "
				"total=4 x=\n",
				&pr),
			 0);
	assert_true(pr.some_total_us == 4 && pr.full_total_us == 3);
}

static void pressure_rejects_missing_repeated_or_bad_totals(void **unused)
{
	static const char *const bad[] = {
	    "",
	    "full avg10=0.00 total=5\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 tot",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
	    "some total=1 total=1\n",
	    "some total=1\nsome total=1\n",
	    "some total=1\nfull total=1\nfull total=1\n",
	    "some total=1\nfull avg10=0.00\n",
	    "some avg10 total=1\n",
	    "some total=12x\n",
	    "some total=1\r\n",
	    "some total=-1\n",
	};
	struct cg_pressure pr = {.some_total_us = 9};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(psi_of(bad[i], &pr), -EINVAL);
	assert_true(pr.some_total_us == 9);
	assert_int_equal(psi_of("some total=18446744073709551616\n", &pr),
			 -ERANGE);
	assert_int_equal(psi_of("some total=18446744073709551615\n", &pr), 0);
	assert_true(pr.some_total_us == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kv_fills_wanted_keys_and_present_bits),
	    cmocka_unit_test(kv_ignores_unknown_keys_whatever_their_values),
	    cmocka_unit_test(kv_accepts_empty_input_with_nothing_present),
	    cmocka_unit_test(kv_rejects_malformed_wanted_values),
	    cmocka_unit_test(kv_reports_overflow_as_erange),
	    cmocka_unit_test(kv_rejects_a_wanted_key_given_twice),
	    cmocka_unit_test(kv_allows_blanks_between_and_after_fields),
	    cmocka_unit_test(kv_stops_at_len_without_nul),
	    cmocka_unit_test(kv_leaves_output_untouched_on_error),
	    cmocka_unit_test(kv_refuses_more_keys_than_present_bits),
	    cmocka_unit_test(cpu_stat_v2_reads_kernel_text),
	    cmocka_unit_test(cpu_stat_v2_without_cpu_controller_has_usage_only),
	    cmocka_unit_test(cpu_stat_v2_requires_usage_user_and_system),
	    cmocka_unit_test(cpu_stat_v2_rejects_crlf_and_overflow),
	    cmocka_unit_test(cpu_stat_v1_reads_throttling_in_ns),
	    cmocka_unit_test(cpu_stat_v1_requires_its_three_keys),
	    cmocka_unit_test(cpuacct_stat_reads_user_and_system_ticks),
	    cmocka_unit_test(memory_stat_reads_v2_keys),
	    cmocka_unit_test(memory_stat_reads_v1_keys_and_totals),
	    cmocka_unit_test(
		memory_stat_requires_anon_and_file_or_cache_and_rss),
	    cmocka_unit_test(memory_stat_leaves_output_untouched_on_error),
	    cmocka_unit_test(memory_events_reads_v2_and_v1_oom_counts),
	    cmocka_unit_test(memory_events_rejects_text_without_any_key),
	    cmocka_unit_test(value_reads_a_number_with_or_without_newline),
	    cmocka_unit_test(value_flags_max_and_v1_huge_limits_as_unlimited),
	    cmocka_unit_test(value_rejects_anything_else),
	    cmocka_unit_test(
		value_reports_overflow_and_leaves_output_untouched),
	    cmocka_unit_test(value_stops_at_len_without_nul),
	    cmocka_unit_test(cpu_max_gives_quota_over_period_in_cpus),
	    cmocka_unit_test(cpu_max_unlimited_has_no_cpus),
	    cmocka_unit_test(cpu_max_rejects_garbage_and_a_zero_period),
	    cmocka_unit_test(cpu_max_reports_overflow_as_erange),
	    cmocka_unit_test(cpu_max_stops_at_len_without_nul),
	    cmocka_unit_test(cfs_quota_v1_reads_microseconds_or_minus_one),
	    cmocka_unit_test(cfs_quota_v1_rejects_garbage_and_other_negatives),
	    cmocka_unit_test(cfs_period_v1_rejects_zero_garbage_and_overflow),
	    cmocka_unit_test(quota_cpus_refuses_unlimited_and_zero_period),
	    cmocka_unit_test(pressure_reads_some_and_full_totals),
	    cmocka_unit_test(pressure_without_full_line_says_so),
	    cmocka_unit_test(pressure_ignores_avg_values_and_unknown_lines),
	    cmocka_unit_test(pressure_rejects_missing_repeated_or_bad_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
