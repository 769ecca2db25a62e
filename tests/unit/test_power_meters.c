/* Tests of the built-in meters on the sysfs fixture tree
 * (tests/fixtures/power/sysfs: two packages with sub-zones, psys, an mmio
 * copy, hwmon power and energy channels), and of a meter's thread: a read
 * that hangs makes the meter down at its timeout without blocking anyone
 * who looks at it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/power/meter.h"
#include "collectors/power/meter_run.h"
#include "exporter/api/log.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rapl_reads_every_zone_with_its_range),
		cmocka_unit_test(rapl_without_zones_names_the_directory),
		cmocka_unit_test(hwmon_reads_power_and_energy_channels_by_label),
		cmocka_unit_test(hung_read_takes_meter_down_without_blocking),
		cmocka_unit_test(timing_defaults_follow_interval_and_timeout),
	};

	log_setup(LOG_LVL_ERROR, LOG_FMT_LOGFMT);
	return cmocka_run_group_tests(tests, setup, NULL);
}
