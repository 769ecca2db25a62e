/* Tests of the /proc and sysfs parsers (collectors/lib/procfs.c) on real
 * formats, truncated, overflowing and malformed inputs; of the pread
 * helpers; and of the host and process collectors end to end, the host one
 * on a fixture tree written to a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exporter/api/collector.h"
#include "collectors/lib/procfs.h"
#include "exporter/api/log.h"
#include "tests/unit/harness.h"
#include "exporter/api/base.h"

extern const struct collector host_collector;
extern const struct collector process_collector;

/* A 2-CPU /proc/stat as Linux 6.x prints it (intr line shortened). */
static const char stat_2cpu[] =
	"cpu  4068 0 4031 471622 411 0 138 0 0 0\n"
	"cpu0 1468 0 1618 237091 16 0 60 0 0 0\n"
	"cpu1 2600 0 2412 234530 394 0 77 0 0 0\n"
	"intr 191106 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 8\n"
	"ctxt 321880\n"
	"btime 1795637028\n"
	"processes 4817\n"
	"procs_running 3\n"
	"procs_blocked 0\n"
	"softirq 168514 0 31372 4 2255 35107 0 3 67112 0 32661\n";

static const char meminfo_full[] =
	"MemTotal:       24683620 kB\n"
	"MemFree:        24498432 kB\n"
	"MemAvailable:   24414248 kB\n"
	"Buffers:            2000 kB\n"
	"Cached:            30436 kB\n"
	"SwapCached:            0 kB\n"
	"Active:            20344 kB\n"
	"Inactive:          35952 kB\n"
	"Active(anon):       1552 kB\n"
	"Inactive(anon):    31272 kB\n"
	"Unevictable:       11404 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2097000 kB\n"
	"Dirty:               952 kB\n"
	"CommitLimit:    12341808 kB\n"
	"VmallocTotal:   34359738367 kB\n"
	"HugePages_Total:       0\n"
	"HugePages_Free:        0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap2M:    25128960 kB\n";

/* A /proc/<pid>/stat whose command name holds ") (", spaces and digits. */
static const char self_stat_paren[] =
	"4818 (a) (b 1 2) R 4808 4808 2749 0 -1 4194304 100 0 0 0 37 12 0 0 "
	"20 0 1 0 240532 3133440 360 18446744073709551615 94791791816704 "
	"94791791836585 140720341044368 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
	"94791791852592 94791791854208 94792796004352 140720341047741 "
	"140720341047761 140720341047761 140720341049323 0\n";

/* Copies s without its NUL into a heap block of exactly its length, so
 * that a parser reading one byte too far touches memory it does not own
 * (caught under ASan). The caller frees the block. */
static char *exact(const char *s, size_t *len)
{
	char *p;

	*len = strlen(s);
	p = malloc(*len ? *len : 1);
	assert_non_null(p);
	memcpy(p, s, *len);
	return p;
}

static int stat_of(const char *s, struct procfs_stat *st)
{
	size_t len;
	char *p = exact(s, &len);
	int err = procfs_parse_stat(p, len, st);

	free(p);
	return err;
}

static int meminfo_of(const char *s, struct procfs_meminfo *mi)
{
	size_t len;
	char *p = exact(s, &len);
	int err = procfs_parse_meminfo(p, len, mi);

	free(p);
	return err;
}

static int pid_stat_of(const char *s, struct procfs_pid_stat *ps)
{
	size_t len;
	char *p = exact(s, &len);
	int err = procfs_parse_pid_stat(p, len, ps);

	free(p);
	return err;
}

static int cpu_list_of(const char *s, unsigned *count)
{
	size_t len;
	char *p = exact(s, &len);
	int err = procfs_parse_cpu_list(p, len, count);

	free(p);
	return err;
}

/* ---- /proc/stat ------------------------------------------------------ */

static void stat_reads_aggregate_cpu_line_cpu_count_and_btime(void **unused)
{
	static const uint64_t want[PROCFS_CPU_NMODES] = {
		4068, 0, 4031, 471622, 411, 0, 138, 0, 0, 0};
	struct procfs_stat st;

	assert_int_equal(stat_of(stat_2cpu, &st), 0);
	for (int m = 0; m < PROCFS_CPU_NMODES; m++)
		assert_true(st.ticks[m] == want[m]);
	assert_int_equal(st.nmodes, 10);
	assert_int_equal(st.ncpus, 2);
	assert_true(st.have_btime);
	assert_true(st.btime == 1795637028);
}

static void stat_keeps_guest_columns_apart(void **unused)
{
	struct procfs_stat st;

	assert_int_equal(stat_of("cpu 10 20 30 40 50 60 70 80 7 3\n", &st), 0);
	assert_true(st.ticks[PROCFS_CPU_USER] == 10);
	assert_true(st.ticks[PROCFS_CPU_STEAL] == 80);
	assert_true(st.ticks[PROCFS_CPU_GUEST] == 7);
	assert_true(st.ticks[PROCFS_CPU_GUEST_NICE] == 3);
	assert_int_equal(st.ncpus, 0);
	assert_false(st.have_btime);
}

static void stat_accepts_old_kernels_with_four_modes(void **unused)
{
	struct procfs_stat st;

	assert_int_equal(stat_of("cpu 1 2 3 4\ncpu0 1 2 3 4\nbtime 7\n", &st),
			 0);
	assert_int_equal(st.nmodes, 4);
	assert_true(st.ticks[PROCFS_CPU_IDLE] == 4);
	assert_true(st.ticks[PROCFS_CPU_IOWAIT] == 0);
	assert_int_equal(st.ncpus, 1);
}

static void stat_ignores_columns_a_newer_kernel_adds(void **unused)
{
	struct procfs_stat st;

	assert_int_equal(stat_of("cpu 1 2 3 4 5 6 7 8 9 10 11 12\n", &st), 0);
	assert_int_equal(st.nmodes, PROCFS_CPU_NMODES);
	assert_true(st.ticks[PROCFS_CPU_GUEST_NICE] == 10);
}

static void stat_stops_at_len_without_nul(void **unused)
{
	const char text[] = "cpu 1 2 3 4 5 6";
	struct procfs_stat st;

	/* Only "cpu 1 2 3 4" is inside len: the "5" must not be read. */
	assert_int_equal(procfs_parse_stat(text, 11, &st), 0);
	assert_int_equal(st.nmodes, 4);
	assert_true(st.ticks[PROCFS_CPU_IDLE] == 4);
	assert_true(st.ticks[PROCFS_CPU_IOWAIT] == 0);
}

static void stat_rejects_missing_truncated_or_garbage_cpu_line(void **unused)
{
	struct procfs_stat st;

	assert_int_equal(stat_of("", &st), -EINVAL);
	assert_int_equal(stat_of("intr 1\nbtime 5\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu0 1 2 3 4\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu  4068 0 40", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 x 4\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3 4x\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3 -4\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3 4\ncpu 1 2 3 4\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3 4\nbtime\n", &st), -EINVAL);
	assert_int_equal(stat_of("cpu 1 2 3 4\nbtime 12 13\n", &st), -EINVAL);
}

static void stat_reports_overflow_as_erange(void **unused)
{
	struct procfs_stat st;

	assert_int_equal(stat_of("cpu 18446744073709551615 0 0 0\n", &st), 0);
	assert_true(st.ticks[PROCFS_CPU_USER] == UINT64_MAX);
	assert_int_equal(stat_of("cpu 18446744073709551616 0 0 0\n", &st),
			 -ERANGE);
	assert_int_equal(stat_of("cpu 99999999999999999999 0 0 0\n", &st),
			 -ERANGE);
	assert_int_equal(stat_of("cpu 1 2 3 4\nbtime 99999999999999999999\n",
				 &st),
			 -ERANGE);
}

/* ---- /proc/meminfo --------------------------------------------------- */

static void meminfo_reads_wanted_fields_in_bytes(void **unused)
{
	struct procfs_meminfo mi;

	assert_int_equal(meminfo_of(meminfo_full, &mi), 0);
	assert_int_equal(mi.present, (1u << PROCFS_MEM_NFIELDS) - 1);
	assert_true(mi.bytes[PROCFS_MEM_TOTAL] == 24683620ull * 1024);
	assert_true(mi.bytes[PROCFS_MEM_FREE] == 24498432ull * 1024);
	assert_true(mi.bytes[PROCFS_MEM_AVAILABLE] == 24414248ull * 1024);
	assert_true(mi.bytes[PROCFS_MEM_BUFFERS] == 2000ull * 1024);
	/* "Cached" only: "SwapCached" comes first and must not match. */
	assert_true(mi.bytes[PROCFS_MEM_CACHED] == 30436ull * 1024);
	assert_true(mi.bytes[PROCFS_MEM_SWAP_TOTAL] == 2097148ull * 1024);
	assert_true(mi.bytes[PROCFS_MEM_SWAP_FREE] == 2097000ull * 1024);
}

static void meminfo_flags_missing_fields(void **unused)
{
	struct procfs_meminfo mi;

	assert_int_equal(meminfo_of("MemTotal: 1000 kB\nMemFree: 10 kB\n"
				    "Shmem: 3 kB\n",
				    &mi),
			 0);
	assert_int_equal(mi.present,
			 (1u << PROCFS_MEM_TOTAL) | (1u << PROCFS_MEM_FREE));
	assert_true(mi.bytes[PROCFS_MEM_TOTAL] == 1024000);
	assert_true(mi.bytes[PROCFS_MEM_AVAILABLE] == 0);
	assert_int_equal(meminfo_of("", &mi), 0);
	assert_int_equal(mi.present, 0);
}

static void meminfo_matches_whole_names_only(void **unused)
{
	struct procfs_meminfo mi;

	assert_int_equal(meminfo_of("MemTotalX: 5 kB\nMemTota: 6 kB\n", &mi),
			 0);
	assert_int_equal(mi.present, 0);
}

static void meminfo_rejects_garbage_and_wrong_units(void **unused)
{
	struct procfs_meminfo mi;

	assert_int_equal(meminfo_of("hello world\n", &mi), -EINVAL);
	assert_int_equal(meminfo_of("MemTotal: abc kB\n", &mi), -EINVAL);
	assert_int_equal(meminfo_of("MemTotal: 5 MB\n", &mi), -EINVAL);
	assert_int_equal(meminfo_of("MemTotal: 5\n", &mi), -EINVAL);
	assert_int_equal(meminfo_of("MemTotal: 5 kB extra\n", &mi), -EINVAL);
	assert_int_equal(meminfo_of("MemTotal:       246836", &mi), -EINVAL);
}

static void meminfo_reports_overflow_as_erange(void **unused)
{
	struct procfs_meminfo mi;

	/* 2^54 kB is 2^64 bytes: one past what 64 bits hold. */
	assert_int_equal(meminfo_of("MemTotal: 18014398509481984 kB\n", &mi),
			 -ERANGE);
	assert_int_equal(meminfo_of("MemTotal: 18014398509481983 kB\n", &mi),
			 0);
	assert_int_equal(meminfo_of("MemFree: 99999999999999999999 kB\n", &mi),
			 -ERANGE);
}

/* ---- /proc/<pid>/stat ------------------------------------------------ */

static void pid_stat_reads_fields_after_last_paren(void **unused)
{
	struct procfs_pid_stat ps;

	assert_int_equal(pid_stat_of(self_stat_paren, &ps), 0);
	assert_true(ps.utime == 37);
	assert_true(ps.stime == 12);
	assert_true(ps.starttime == 240532);
	assert_true(ps.vsize == 3133440);
	assert_true(ps.rss == 360);
}

static void pid_stat_rejects_truncated_input(void **unused)
{
	struct procfs_pid_stat ps;
	size_t cut = strlen(self_stat_paren);
	const char *rss = strstr(self_stat_paren, " 360 ");

	assert_non_null(rss);
	/* Ending right after rss is enough; any shorter cut is not. */
	assert_int_equal(procfs_parse_pid_stat(self_stat_paren,
					       (size_t)(rss - self_stat_paren) + 4,
					       &ps),
			 0);
	assert_true(ps.rss == 360);
	for (cut = (size_t)(rss - self_stat_paren); cut > 0; cut--) {
		char *p = malloc(cut);

		assert_non_null(p);
		memcpy(p, self_stat_paren, cut);
		assert_int_not_equal(procfs_parse_pid_stat(p, cut, &ps), 0);
		free(p);
	}
}

static void pid_stat_rejects_garbage(void **unused)
{
	struct procfs_pid_stat ps;

	assert_int_equal(pid_stat_of("", &ps), -EINVAL);
	assert_int_equal(pid_stat_of("hello", &ps), -EINVAL);
	assert_int_equal(pid_stat_of("12 (no close paren R 1 2 3", &ps),
			 -EINVAL);
	assert_int_equal(pid_stat_of("12 x) R 1 2 3", &ps), -EINVAL);
	assert_int_equal(pid_stat_of("12 (sh) R 1 1 1 0 -1 0 0 0 0 0 x 1 0 0 "
				     "20 0 1 0 5 6 7 ",
				     &ps),
			 -EINVAL);
}

static void pid_stat_reports_overflow_as_erange(void **unused)
{
	struct procfs_pid_stat ps;

	assert_int_equal(pid_stat_of("12 (sh) R 1 1 1 0 -1 0 0 0 0 0 "
				     "99999999999999999999 1 0 0 20 0 1 0 5 "
				     "6 7 ",
				     &ps),
			 -ERANGE);
	assert_int_equal(pid_stat_of("12 (sh) R 1 1 1 0 -1 0 0 0 0 0 "
				     "18446744073709551615 1 0 0 20 0 1 0 5 "
				     "6 7 ",
				     &ps),
			 0);
	assert_true(ps.utime == UINT64_MAX);
	assert_true(ps.rss == 7);
}

/* ---- CPU lists ------------------------------------------------------- */

static void cpu_list_counts_kernel_formats(void **unused)
{
	static const struct {
		const char *text;
		unsigned count;
	} cases[] = {
		{"0\n", 1},        {"0-1\n", 2},   {"0-3,5,7-8\n", 7},
		{"0-3,5,7-8", 7},  {"", 0},        {"\n", 0},
		{"4-4\n", 1},      {"0-4294967294\n", 4294967295u},
	};
	unsigned n;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		n = 12345;
		assert_int_equal(cpu_list_of(cases[i].text, &n), 0);
		assert_int_equal(n, cases[i].count);
	}
}

static void cpu_list_rejects_malformed_lists(void **unused)
{
	static const char *const bad[] = {
		"3-1\n", "0,\n", ",0\n", "0-\n", "-1\n", "0--1\n", "a\n",
		"0 1\n", "0-3,2\n", "1,1\n", "0-1:1/2\n", "0\n\n1\n",
	};
	unsigned n;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (cpu_list_of(bad[i], &n) != -EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(cpu_list_of("0-4294967295\n", &n), -ERANGE);
	assert_int_equal(cpu_list_of("99999999999999999999\n", &n), -ERANGE);
}

/* ---- pread helpers --------------------------------------------------- */

static char tmp_root[256];

/* Writes text to root/rel in place (same inode, as procfs keeps it). */
static void write_file(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) <
		    sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int open_rel(const char *root, const char *rel)
{
	char path[512];
	int fd;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) <
		    sizeof(path));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void read_fd_rereads_from_offset_zero_and_detects_overflow(void **unused)
{
	char buf[8];
	int fd;

	write_file(tmp_root, "f", "12345");
	fd = open_rel(tmp_root, "f");
	assert_int_equal(procfs_read_fd(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "12345", 5);
	write_file(tmp_root, "f", "abcdefgh");
	/* Exactly the buffer's size fits; one byte more does not. */
	assert_int_equal(procfs_read_fd(fd, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	write_file(tmp_root, "f", "abcdefghi");
	assert_int_equal(procfs_read_fd(fd, buf, sizeof(buf)), -EFBIG);
	close(fd);
	assert_int_equal(procfs_read_fd(-1, buf, sizeof(buf)), -EBADF);
}

static void read_fd_grow_enlarges_buffer_up_to_max(void **unused)
{
	char text[5001];
	char *buf = NULL;
	size_t cap = 0;
	int fd;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	write_file(tmp_root, "big", text);
	fd = open_rel(tmp_root, "big");
	assert_int_equal(procfs_read_fd_grow(fd, &buf, &cap, 1 << 20), 5000);
	assert_true(cap >= 5000);
	assert_memory_equal(buf, text, 5000);
	assert_int_equal(procfs_read_fd_grow(fd, &buf, &cap, 4096), 5000);
	free(buf);
	buf = NULL;
	cap = 0;
	assert_int_equal(procfs_read_fd_grow(fd, &buf, &cap, 4096), -EFBIG);
	assert_true(cap <= 4096);
	free(buf);
	close(fd);
}

/* ---- collectors ------------------------------------------------------ */

static char proc_dir[300], sys_dir[300];

/* Writes a fixture tree: proc/stat, proc/meminfo and, if online is not
 * NULL, sys/devices/system/cpu/online. */
static void make_fixture(const char *stat, const char *online)
{
	char path[512];

	write_file(proc_dir, "stat", stat);
	write_file(proc_dir, "meminfo", meminfo_full);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/online", sys_dir);
	unlink(path);
	if (online)
		write_file(sys_dir, "devices/system/cpu/online", online);
}

/* Starts collector c on the fixture tree; returns init's result. */
static int start_on_fixture(const struct collector *c, struct harness **h)
{
	const struct harness_opts opts = {.procfs = proc_dir,
					  .sysfs = sys_dir};

	return harness_try_start(c, &opts, h);
}

/* The value of the one sample of the host CPU family fam in mode. */
static double cpu_mode(const struct snap_set *set, const char *fam,
		       const char *mode)
{
	return harness_one(set, fam, "mode", mode, NULL);
}

static void host_collects_fixture_and_rereads_it_each_cycle(void **unused)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	const char *cpu = "virtmeter_host_cpu_seconds";
	const char *guest = "virtmeter_host_cpu_guest_seconds";
	struct snap_set *set;
	struct harness *h;

	make_fixture("cpu  4068 5 4031 471622 411 3 138 9 70 2\n"
		     "cpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\n"
		     "cpu2 1 0 0 0 0 0 0 0 0 0\nbtime 1795637028\n",
		     "0-3,5,7-8\n");
	assert_int_equal(start_on_fixture(&host_collector, &h), 0);
	set = harness_cycle(h);
	HARNESS_NEAR(cpu_mode(set, cpu, "user"), 4068 / hz);
	HARNESS_NEAR(cpu_mode(set, cpu, "nice"), 5 / hz);
	HARNESS_NEAR(cpu_mode(set, cpu, "idle"), 471622 / hz);
	HARNESS_NEAR(cpu_mode(set, cpu, "irq"), 3 / hz);
	HARNESS_NEAR(cpu_mode(set, cpu, "steal"), 9 / hz);
	HARNESS_NEAR(cpu_mode(set, guest, "user"), 70 / hz);
	HARNESS_NEAR(cpu_mode(set, guest, "nice"), 2 / hz);
	assert_int_equal(harness_count(set, cpu, NULL), 8);
	assert_int_equal(harness_count(set, guest, NULL), 2);
	/* sysfs says 7 CPUs are online, though stat lists 3 cpuN lines. */
	HARNESS_NEAR(harness_one(set, "virtmeter_host_cpus", NULL), 7);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_boot_time_seconds", NULL),
		     1795637028);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_memory_total_bytes",
				 NULL),
		     24683620.0 * 1024);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_memory_available_bytes",
				 NULL),
		     24414248.0 * 1024);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_memory_cached_bytes",
				 NULL),
		     30436.0 * 1024);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_swap_free_bytes", NULL),
		     2097000.0 * 1024);
	harness_release(set);

	/* The kept descriptors must see new contents, not a cached read. */
	write_file(proc_dir, "stat", "cpu  5000 5 4031 471700 411 3 138 9 70 2\n"
				     "btime 1795637028\n");
	write_file(sys_dir, "devices/system/cpu/online", "0-1\n");
	set = harness_cycle(h);
	HARNESS_NEAR(cpu_mode(set, cpu, "user"), 5000 / hz);
	HARNESS_NEAR(cpu_mode(set, cpu, "idle"), 471700 / hz);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_cpus", NULL), 2);
	harness_release(set);

	/* A broken file fails the cycle instead of emitting zeros. */
	write_file(proc_dir, "stat", "cpu 1 2\n");
	assert_true(harness_try_cycle(h, NULL) < 0);
	harness_stop(h);
}

static void host_counts_cpu_lines_without_sysfs_online(void **unused)
{
	struct snap_set *set;
	struct harness *h;

	make_fixture(stat_2cpu, NULL);
	assert_int_equal(start_on_fixture(&host_collector, &h), 0);
	set = harness_cycle(h);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_cpus", NULL), 2);
	harness_release(set);
	harness_stop(h);
}

static void host_skips_missing_meminfo_fields(void **unused)
{
	struct snap_set *set;
	struct harness *h;

	make_fixture(stat_2cpu, "0-1\n");
	write_file(proc_dir, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\n");
	assert_int_equal(start_on_fixture(&host_collector, &h), 0);
	set = harness_cycle(h);
	HARNESS_NEAR(harness_one(set, "virtmeter_host_memory_free_bytes", NULL),
		     10240);
	harness_none(set, "virtmeter_host_memory_available_bytes", NULL);
	harness_none(set, "virtmeter_host_swap_total_bytes", NULL);
	harness_release(set);
	harness_stop(h);
}

static void host_init_fails_without_proc_stat(void **unused)
{
	char path[512];
	struct harness *h;

	make_fixture(stat_2cpu, "0-1\n");
	snprintf(path, sizeof(path), "%s/stat", proc_dir);
	assert_int_equal(unlink(path), 0);
	/* The harness also fails the test if init left a state behind. */
	assert_int_equal(start_on_fixture(&host_collector, &h), -ENOENT);
	assert_null(h);
}

static void host_lists_every_family_it_emits(void **unused)
{
	struct snap_set *set;
	struct harness *h;
	size_t listed = 0;

	make_fixture(stat_2cpu, "0-1\n");
	assert_int_equal(start_on_fixture(&host_collector, &h), 0);
	set = harness_cycle(h);
	while (host_collector.families[listed])
		listed++;
	for (size_t f = 0; f < set->nfams; f++) {
		size_t i;

		for (i = 0; i < listed; i++)
			if (host_collector.families[i] == set->fams[f].desc)
				break;
		assert_true(i < listed);
	}
	assert_int_equal(set->nfams, listed);
	harness_release(set);
	harness_stop(h);
}

static void process_reports_own_fds_limits_and_start(void **unused)
{
	struct snap_set *set;
	struct harness *h;
	struct rlimit rl;
	double fds, start;
	int extra;

	assert_int_equal(start_on_fixture(&process_collector, &h), 0);
	set = harness_cycle(h);
	fds = harness_one(set, "process_open_fds", NULL);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	HARNESS_NEAR(harness_one(set, "process_max_fds", NULL),
		     (double)rl.rlim_cur);
	assert_true(harness_one(set, "process_resident_memory_bytes", NULL) >
		    0);
	assert_true(harness_one(set, "process_virtual_memory_bytes", NULL) >=
		    harness_one(set, "process_resident_memory_bytes", NULL));
	assert_true(harness_one(set, "process_cpu_seconds", NULL) >= 0);
	/* This test process started moments ago. */
	start = harness_one(set, "process_start_time_seconds", NULL);
	assert_true(fabs(start - (double)time(NULL)) < 600);
	harness_release(set);

	extra = open("/dev/null", O_RDONLY);
	assert_true(extra >= 0);
	set = harness_cycle(h);
	HARNESS_NEAR(harness_one(set, "process_open_fds", NULL), fds + 1);
	harness_release(set);
	close(extra);
	harness_stop(h);
}

/* ---- setup ----------------------------------------------------------- */

static int make_dir(const char *root, const char *rel, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s/%s", root, rel) >= size)
		return -1;
	return mkdir(out, 0700);
}

static int setup_tree(void **unused)
{
	const char *tmp = getenv("TMPDIR");
	char scratch[300];

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(tmp_root, sizeof(tmp_root),
			     "%s/test_procfs.XXXXXX", tmp) >= sizeof(tmp_root))
		return -1;
	if (!mkdtemp(tmp_root))
		return -1;
	if (make_dir(tmp_root, "proc", proc_dir, sizeof(proc_dir)) < 0 ||
	    make_dir(tmp_root, "sys", sys_dir, sizeof(sys_dir)) < 0 ||
	    make_dir(sys_dir, "devices", scratch, sizeof(scratch)) < 0 ||
	    make_dir(sys_dir, "devices/system", scratch, sizeof(scratch)) < 0 ||
	    make_dir(sys_dir, "devices/system/cpu", scratch, sizeof(scratch)) < 0)
		return -1;
	return 0;
}

static int teardown_tree(void **unused)
{
	static const char *const files[] = {
		"f", "big", "proc/stat", "proc/meminfo",
		"sys/devices/system/cpu/online"};
	static const char *const dirs[] = {
		"sys/devices/system/cpu", "sys/devices/system", "sys/devices",
		"sys", "proc", ""};
	char path[512];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_root, files[i]);
		unlink(path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_root, dirs[i]);
		if (rmdir(path) < 0)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stat_reads_aggregate_cpu_line_cpu_count_and_btime),
		cmocka_unit_test(stat_keeps_guest_columns_apart),
		cmocka_unit_test(stat_accepts_old_kernels_with_four_modes),
		cmocka_unit_test(stat_ignores_columns_a_newer_kernel_adds),
		cmocka_unit_test(stat_stops_at_len_without_nul),
		cmocka_unit_test(stat_rejects_missing_truncated_or_garbage_cpu_line),
		cmocka_unit_test(stat_reports_overflow_as_erange),
		cmocka_unit_test(meminfo_reads_wanted_fields_in_bytes),
		cmocka_unit_test(meminfo_flags_missing_fields),
		cmocka_unit_test(meminfo_matches_whole_names_only),
		cmocka_unit_test(meminfo_rejects_garbage_and_wrong_units),
		cmocka_unit_test(meminfo_reports_overflow_as_erange),
		cmocka_unit_test(pid_stat_reads_fields_after_last_paren),
		cmocka_unit_test(pid_stat_rejects_truncated_input),
		cmocka_unit_test(pid_stat_rejects_garbage),
		cmocka_unit_test(pid_stat_reports_overflow_as_erange),
		cmocka_unit_test(cpu_list_counts_kernel_formats),
		cmocka_unit_test(cpu_list_rejects_malformed_lists),
		cmocka_unit_test(read_fd_rereads_from_offset_zero_and_detects_overflow),
		cmocka_unit_test(read_fd_grow_enlarges_buffer_up_to_max),
		cmocka_unit_test(host_collects_fixture_and_rereads_it_each_cycle),
		cmocka_unit_test(host_counts_cpu_lines_without_sysfs_online),
		cmocka_unit_test(host_skips_missing_meminfo_fields),
		cmocka_unit_test(host_init_fails_without_proc_stat),
		cmocka_unit_test(host_lists_every_family_it_emits),
		cmocka_unit_test(process_reports_own_fds_limits_and_start),
	};

	/* Keep TAP output clean of the expected init-failure warning. */
	log_setup(LOG_LVL_ERROR, LOG_FMT_LOGFMT);
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
