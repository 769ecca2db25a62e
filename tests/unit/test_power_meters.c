/* Tests of the built-in meters on the sysfs fixture tree
 * (tests/fixtures/power/sysfs: two packages with sub-zones, psys, an mmio
 * copy, hwmon power and energy channels) and on trees made here (RAPL
 * without psys, an hwmon device with two sockets): every zone read, each
 * with its kind and the zone that contains it; of a meter's thread: a read
 * that hangs makes the meter down at its timeout without blocking anyone
 * who looks at it; and of the power collector: every family carries the
 * meter's identifying labels, power and energy their kind and part_of. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "collectors/power/meter.h"
#include "collectors/power/meter_run.h"
#include "exporter/api/collector.h"
#include "exporter/api/log.h"
#include "exporter/api/snapshot.h"
#include "tests/unit/harness.h"

extern const struct collector power_collector;

static char sysfs[PATH_MAX];

static int setup(void **st)
{
	const char *src = getenv("top_srcdir");

	(void)st;
	snprintf(sysfs, sizeof(sysfs), "%s/tests/fixtures/power/sysfs", src ? src : ".");
	return 0;
}

static const struct virtmeter_reading *find(const struct virtmeter_reading *r,
					    int n, const char *zone)
{
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].zone, zone) == 0)
			return &r[i];
	return NULL;
}

static void rapl_reads_every_zone_with_its_range(void **st)
{
	const struct meter_args a = {.name = "rapl", .sysfs = sysfs};
	struct virtmeter_reading r[METER_MAX_ZONES];
	char err[METER_ERR_MAX] = "";
	const struct virtmeter_reading *z;
	void *state = NULL;
	int n;

	(void)st;
	assert_int_equal(meter_rapl_ops.open(&a, &state, err), 0);
	memset(r, 0, sizeof(r));
	n = meter_rapl_ops.read(state, r, METER_MAX_ZONES, err);
	assert_int_equal(n, 8); /* not the intel-rapl-mmio copy */
	z = find(r, n, "package-0");
	assert_non_null(z);
	assert_int_equal(z->have, VIRTMETER_HAVE_JOULES);
	assert_true(z->joules == 72091.312345);
	assert_true(z->joules_range == 262143.32885);
	z = find(r, n, "package-0/dram");
	assert_non_null(z);
	assert_true(z->joules_range == 65712.999613);
	assert_non_null(find(r, n, "package-0/core"));
	assert_non_null(find(r, n, "package-0/uncore"));
	assert_non_null(find(r, n, "package-1/dram"));
	assert_non_null(find(r, n, "psys"));
	meter_rapl_ops.close(state);
	assert_true(meter_rapl_present(sysfs));
}

/* Asserts that zone of the open meter (ops, state) has kind and part_of. */
static void assert_zone(const struct meter_ops *ops, void *state,
			const char *zone, const char *kind, const char *part_of)
{
	char k[METER_KIND_MAX] = "?", p[VIRTMETER_ZONE_MAX] = "?";

	ops->describe(state, zone, k, p);
	if (strcmp(k, kind) || strcmp(p, part_of))
		fail_msg("zone %s: kind '%s' part_of '%s', expected '%s' '%s'",
			 zone, k, p, kind, part_of);
}

/* psys holds the packages and DRAM; core and uncore are in their package,
 * DRAM is not (its energy is not the package's). */
static void rapl_zones_say_their_kind_and_what_contains_them(void **st)
{
	const struct meter_args a = {.name = "rapl", .sysfs = sysfs};
	char err[METER_ERR_MAX] = "";
	void *state = NULL;

	(void)st;
	assert_int_equal(meter_rapl_ops.open(&a, &state, err), 0);
	assert_zone(&meter_rapl_ops, state, "psys", "psys", "");
	assert_zone(&meter_rapl_ops, state, "package-0", "package", "psys");
	assert_zone(&meter_rapl_ops, state, "package-1", "package", "psys");
	assert_zone(&meter_rapl_ops, state, "package-0/dram", "dram", "psys");
	assert_zone(&meter_rapl_ops, state, "package-1/dram", "dram", "psys");
	assert_zone(&meter_rapl_ops, state, "package-0/core", "core", "package-0");
	assert_zone(&meter_rapl_ops, state, "package-0/uncore", "uncore",
		    "package-0");
	assert_zone(&meter_rapl_ops, state, "package-1/core", "core", "package-1");
	assert_zone(&meter_rapl_ops, state, "nonesuch", "", "");
	meter_rapl_ops.close(state);
}

static char tree[] = "/tmp/test_power_meters_XXXXXX";

/* Writes text into the file rel under tree, making its directories. */
static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (char *p = path + strlen(tree) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh empty tree for one test. */
static int tree_setup(void **st)
{
	(void)st;
	snprintf(tree, sizeof(tree), "/tmp/test_power_meters_XXXXXX");
	return mkdtemp(tree) ? 0 : -1;
}

static int tree_teardown(void **st)
{
	(void)st;
	return nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Without psys nothing holds a package or its DRAM: those are the zones
 * to sum (part_of ""), never core. */
static void rapl_without_psys_leaves_packages_and_dram_outside(void **st)
{
	const struct meter_args a = {.name = "rapl", .sysfs = tree};
	char err[METER_ERR_MAX] = "";
	void *state = NULL;

	(void)st;
	put("class/powercap/intel-rapl:0/name", "package-0\n");
	put("class/powercap/intel-rapl:0/energy_uj", "1000\n");
	put("class/powercap/intel-rapl:0:0/name", "core\n");
	put("class/powercap/intel-rapl:0:0/energy_uj", "500\n");
	put("class/powercap/intel-rapl:0:1/name", "dram\n");
	put("class/powercap/intel-rapl:0:1/energy_uj", "100\n");
	assert_int_equal(meter_rapl_ops.open(&a, &state, err), 0);
	assert_zone(&meter_rapl_ops, state, "package-0", "package", "");
	assert_zone(&meter_rapl_ops, state, "package-0/dram", "dram", "");
	assert_zone(&meter_rapl_ops, state, "package-0/core", "core", "package-0");
	meter_rapl_ops.close(state);
}

/* amd_energy's cores on a two-socket host: each in the socket of its CPU
 * as the topology says (interleaved here), the first socket when the
 * topology is silent; a core channel of a device without sockets is in
 * nothing. */
static void hwmon_cores_sit_in_the_socket_of_their_cpu(void **st)
{
	const struct meter_args a = {.name = "hwmon", .sysfs = tree};
	static const char *const labels[] = {"Ecore000", "Ecore001", "Ecore002",
					     "Ecore003", "Esocket0", "Esocket1"};
	char rel[128], err[METER_ERR_MAX] = "";
	void *state = NULL;

	(void)st;
	put("class/hwmon/hwmon0/name", "amd_energy\n");
	for (size_t i = 0; i < 6; i++) {
		snprintf(rel, sizeof(rel), "class/hwmon/hwmon0/energy%zu_input", i + 1);
		put(rel, "1000000\n");
		snprintf(rel, sizeof(rel), "class/hwmon/hwmon0/energy%zu_label", i + 1);
		put(rel, labels[i]);
	}
	put("class/hwmon/hwmon1/name", "zenpower\n");
	put("class/hwmon/hwmon1/power1_input", "1000000\n");
	put("class/hwmon/hwmon1/power1_label", "SVI2_P_Core\n");
	put("devices/system/cpu/cpu0/topology/physical_package_id", "0\n");
	put("devices/system/cpu/cpu1/topology/physical_package_id", "1\n");
	put("devices/system/cpu/cpu2/topology/physical_package_id", "1\n");
	assert_int_equal(meter_hwmon_ops.open(&a, &state, err), 0);
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Esocket0", "socket", "");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Esocket1", "socket", "");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Ecore000", "core",
		    "amd_energy/Esocket0");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Ecore001", "core",
		    "amd_energy/Esocket1");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Ecore002", "core",
		    "amd_energy/Esocket1");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Ecore003", "core",
		    "amd_energy/Esocket0");
	assert_zone(&meter_hwmon_ops, state, "zenpower/SVI2_P_Core", "core", "");
	meter_hwmon_ops.close(state);
}

static void rapl_without_zones_names_the_directory(void **st)
{
	const struct meter_args a = {.name = "rapl", .sysfs = "/nonexistent"};
	char err[METER_ERR_MAX] = "";
	void *state = NULL;

	(void)st;
	assert_int_equal(meter_rapl_ops.open(&a, &state, err), -ENOENT);
	assert_non_null(strstr(err, "no RAPL zone under /nonexistent/class/powercap"));
	assert_false(meter_rapl_present("/nonexistent"));
}

static void hwmon_reads_power_and_energy_channels_by_label(void **st)
{
	const struct meter_args a = {.name = "hwmon", .sysfs = sysfs};
	struct virtmeter_reading r[METER_MAX_ZONES];
	char err[METER_ERR_MAX] = "";
	const struct virtmeter_reading *z;
	void *state = NULL;
	int n;

	(void)st;
	assert_int_equal(meter_hwmon_ops.open(&a, &state, err), 0);
	memset(r, 0, sizeof(r));
	n = meter_hwmon_ops.read(state, r, METER_MAX_ZONES, err);
	assert_int_equal(n, 5);
	z = find(r, n, "legacy_meter/power1"); /* in hwmon4/device/ */
	assert_non_null(z);
	assert_true(z->watts == 55);
	z = find(r, n, "power_meter/power1");
	assert_non_null(z);
	assert_int_equal(z->have, VIRTMETER_HAVE_WATTS);
	assert_true(z->watts == 187);
	z = find(r, n, "ina226/power1");
	assert_non_null(z);
	assert_true(z->watts == 4.5); /* power1_input, not power1_average */
	z = find(r, n, "amd_energy/Esocket0");
	assert_non_null(z);
	assert_int_equal(z->have, VIRTMETER_HAVE_JOULES);
	assert_true(z->joules == 9800);
	assert_non_null(find(r, n, "amd_energy/Ecore000"));
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Esocket0", "socket", "");
	assert_zone(&meter_hwmon_ops, state, "amd_energy/Ecore000", "core",
		    "amd_energy/Esocket0");
	assert_zone(&meter_hwmon_ops, state, "power_meter/power1", "sensor", "");
	meter_hwmon_ops.close(state);
	assert_true(meter_hwmon_present(sysfs));
	assert_false(meter_hwmon_present("/nonexistent"));
}

/* A fake meter whose second read blocks until released. */
static pthread_mutex_t hang_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hang_cond = PTHREAD_COND_INITIALIZER;
static bool released;
static int reads;

static int fake_open(const struct meter_args *a, void **state, char *err)
{
	(void)a;
	(void)err;
	*state = NULL;
	return 0;
}

static int fake_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err)
{
	(void)state;
	(void)max;
	(void)err;
	pthread_mutex_lock(&hang_lock);
	if (reads++ > 0)
		while (!released)
			pthread_cond_wait(&hang_cond, &hang_lock);
	pthread_mutex_unlock(&hang_lock);
	snprintf(out[0].zone, sizeof(out[0].zone), "main");
	out[0].have = VIRTMETER_HAVE_WATTS;
	out[0].watts = 10;
	return 1;
}

static void fake_close(void *state)
{
	(void)state;
}

static const struct meter_ops fake_ops = {
	.source = "fake", .open = fake_open, .read = fake_read, .close = fake_close,
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hung_read_takes_meter_down_without_blocking(void **st)
{
	struct meter_config cm = {.interval_ms = 50, .timeout_ms = 200};
	struct meter_view *v = malloc(sizeof(*v));
	struct meter_run *m = NULL;
	struct timespec deadline;
	double t0;

	(void)st;
	assert_non_null(v);
	assert_int_equal(meter_run_start("fake", &fake_ops, &cm, NULL, &m), 0);
	usleep(120 * 1000); /* first read done, second one hanging */
	meter_run_view(m, mono(), v);
	assert_true(v->up);
	assert_true(v->last_sample > 0);
	assert_int_equal(v->nzones, 1);
	assert_string_equal(v->zones[0].name, "main");
	usleep(300 * 1000);
	t0 = mono();
	meter_run_view(m, mono(), v);
	assert_true(mono() - t0 < 0.05); /* a look never waits for the read */
	assert_false(v->up);
	assert_string_equal(v->source, "fake");
	pthread_mutex_lock(&hang_lock);
	released = true;
	pthread_cond_broadcast(&hang_cond);
	pthread_mutex_unlock(&hang_lock);
	usleep(120 * 1000);
	meter_run_view(m, mono(), v);
	assert_true(v->up);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	meter_run_stop(m, &deadline);
	free(v);
}

static void timing_defaults_follow_interval_and_timeout(void **st)
{
	struct meter_config cm = {.interval_ms = 3000, .timeout_ms = 1000};
	unsigned i, t, g;

	(void)st;
	meter_timing(NULL, &i, &t, &g);
	assert_int_equal(i, METER_DEFAULT_INTERVAL_MS);
	assert_int_equal(t, METER_DEFAULT_TIMEOUT_MS);
	assert_int_equal(g, 2 * METER_DEFAULT_TIMEOUT_MS);
	meter_timing(&cm, &i, &t, &g);
	assert_int_equal(g, 15000);
	cm.max_gap_ms = 4000;
	meter_timing(&cm, &i, &t, &g);
	assert_int_equal(g, 4000);
}

#ifdef HAVE_LIBYAML
/* Runs cycles of h (at most about 5 s) until meter has read twice; the
 * last set, which the caller releases. */
static struct snap_set *cycle_until_read(struct harness *h, const char *meter,
					 const char *source)
{
	struct snap_set *s = NULL;
	double first = 0;

	for (int i = 0; i < 100; i++) {
		double t;

		harness_release(s);
		s = harness_cycle(h);
		t = harness_count(s, "virtmeter_meter_last_sample_timestamp_seconds",
				  "meter", meter, NULL)
			    ? harness_one(s, "virtmeter_meter_last_sample_timestamp_seconds",
					  "meter", meter, "source", source, NULL)
			    : 0;
		if (t > 0 && first == 0)
			first = t;
		if (t > first)
			return s;
		usleep(50 * 1000);
	}
	fail_msg("meter %s did not read twice within 5 s", meter);
	return s;
}

/* The collector's families on RAPL and two exec meters (one with a
 * configured kind): power and energy say the zone's kind and container,
 * volts and amperes are per zone, every family names meter and source. */
static void collector_labels_every_power_family(void **st)
{
	const char *src = getenv("top_srcdir");
	char yaml[1024];
	struct harness_opts o = {.sysfs = sysfs, .yaml = yaml};
	struct harness *h;
	struct snap_set *s;

	(void)st;
	snprintf(yaml, sizeof(yaml),
		 "meters:\n"
		 "  - {name: rapl, type: rapl, interval: 100ms}\n"
		 "  - {name: pdu, type: exec, interval: 100ms, kind: outlet,\n"
		 "     command: [/bin/sh, %s/tests/fixtures/power/exec-meter.sh, good]}\n"
		 "  - {name: plug, type: exec, interval: 100ms,\n"
		 "     command: [/bin/sh, %s/tests/fixtures/power/exec-meter.sh, good]}\n",
		 src ? src : ".", src ? src : ".");
	h = harness_start(&power_collector, &o);
	s = cycle_until_read(h, "rapl", "rapl");
	harness_release(s);
	s = cycle_until_read(h, "pdu", "exec");
	harness_release(s);
	s = cycle_until_read(h, "plug", "exec");
	assert_true(harness_one(s, "virtmeter_power_watts", "meter", "rapl",
				"source", "rapl", "zone", "package-0/core",
				"kind", "core", "part_of", "package-0", NULL) >= 0);
	assert_true(harness_one(s, "virtmeter_energy_joules", "meter", "rapl",
				"zone", "psys", "kind", "psys", "part_of", "",
				NULL) >= 0);
	assert_int_equal(harness_count(s, "virtmeter_energy_joules", "meter",
				       "rapl", "part_of", "", NULL), 1);
	assert_int_equal(harness_count(s, "virtmeter_power_watts", "meter",
				       "rapl", "part_of", "psys", NULL), 4);
	assert_true(harness_one(s, "virtmeter_power_watts", "meter", "pdu",
				"source", "exec", "zone", "outlet3", "kind",
				"outlet", "part_of", "", NULL) == 20);
	assert_true(harness_one(s, "virtmeter_power_watts", "meter", "plug",
				"zone", "", "kind", "wall", "part_of", "",
				NULL) == 123.4);
	assert_true(harness_one(s, "virtmeter_meter_voltage_volts", "meter",
				"pdu", "source", "exec", "zone", "", NULL) == 230.1);
	assert_true(harness_one(s, "virtmeter_meter_current_amperes", "meter",
				"pdu", "source", "exec", "zone", "", NULL) == 0.54);
	harness_none(s, "virtmeter_meter_voltage_volts", "zone", "outlet3", NULL);
	assert_true(harness_one(s, "virtmeter_meter_up", "meter", "plug",
				"source", "exec", NULL) == 1);
	harness_release(s);
	harness_stop(h);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rapl_reads_every_zone_with_its_range),
		cmocka_unit_test(rapl_zones_say_their_kind_and_what_contains_them),
		cmocka_unit_test_setup_teardown(
			rapl_without_psys_leaves_packages_and_dram_outside,
			tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(
			hwmon_cores_sit_in_the_socket_of_their_cpu, tree_setup,
			tree_teardown),
		cmocka_unit_test(rapl_without_zones_names_the_directory),
		cmocka_unit_test(hwmon_reads_power_and_energy_channels_by_label),
		cmocka_unit_test(hung_read_takes_meter_down_without_blocking),
		cmocka_unit_test(timing_defaults_follow_interval_and_timeout),
#ifdef HAVE_LIBYAML
		cmocka_unit_test(collector_labels_every_power_family),
#endif
	};

	log_setup(LOG_LVL_ERROR, LOG_FMT_LOGFMT);
	return cmocka_run_group_tests(tests, setup, NULL);
}
