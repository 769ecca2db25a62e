/* Tests of the energy model's host source and idle power
 * (collectors/model/source.c, learn.c through the collector): which zones
 * of which meter make the host's energy, the estimate without a meter,
 * learning idle power (also at full utilisation), keeping it across
 * restarts, and a corrupt state file. The inputs are model_inputs.c's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"
#include "tests/unit/model_inputs.h"

static void saturated_host_is_learned_at_full_utilisation(void **st)
{
	struct harness *h;
	struct snap_set *s;
	double e = 0, busy = 0, idle = 0;

	(void)st;
	mi_forget_learned();
	h = mi_start(NULL);
	/* Every third interval the host is saturated, and its busy time reads
	 * a hair above its total (the two come from different counters). */
	for (int k = 0; k <= 70; k++) {
		double u = k % 3 ? 0.1 + 0.1 * (k % 7) : 1.0, c[] = {busy};

		mi_host(mi_base + DT * k, busy, idle);
		mi_meter(mi_base + DT * k, e);
		mi_cgroups(mi_base + DT * k, 1, c, NULL);
		harness_release(harness_cycle(h));
		busy += 4 * DT * u + (u == 1.0 ? 1e-9 : 0);
		idle += u == 1.0 ? 0 : 4 * DT * (1 - u);
		e += (25 + 50 * u) * DT;
	}
	s = harness_cycle(h);
	/* 70 intervals attributed, every one learned. */
	assert_true(harness_one(s, "virtmeter_host_idle_power_samples", NULL) == 70);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	harness_release(s);
	harness_stop(h);
	mi_forget_learned();
	mi_base += DT * 71 + 100;
}

/* One zone of a power set: its labels and its counter at the two reads. */
struct zone_row {
	const char *meter, *source, *zone, *kind, *part_of;
	double j0, j1;
};

/* Two cycles with the power set of rows (read 0 then 1), the host and one
 * container; returns the second cycle's set. */
static struct snap_set *two_reads(struct harness *h, const struct zone_row *z,
				  size_t n)
{
	const double c0[] = {10}, c1[] = {12};

	for (int k = 0; k < 2; k++) {
		struct snap_set *p = mi_new_set(mi_base + k * DT);

		for (size_t i = 0; i < n; i++)
			snap_add(p, mi_fam("virtmeter_energy_joules"),
				 k ? z[i].j1 : z[i].j0, z[i].meter, z[i].source,
				 z[i].zone, z[i].kind, z[i].part_of);
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(z[i].meter, z[i - 1].meter))
				snap_add(p, mi_fam("virtmeter_meter_last_sample_"
						"timestamp_seconds"),
					 mi_base + k * DT, z[i].meter, z[i].source);
		mi_host(mi_base + k * DT, 100 + 4 * k, 1000 + 6 * k);
		mi_publish("power", p);
		mi_cgroups(mi_base + k * DT, 1, k ? c1 : c0, NULL);
		if (k == 0)
			harness_release(harness_cycle(h));
	}
	return harness_cycle(h);
}

/* The host's energy is the sum of the chosen meter's zones that no other
 * contains (part_of ""): RAPL without psys gives packages + DRAM, never
 * core or uncore; hwmon its socket, not the cores in it; a wall meter
 * wins over both; a meter named whole gives its outermost zones. */
static void source_sums_the_zones_no_other_contains(void **st)
{
	static const struct zone_row rapl[] = {
		{"rapl", "rapl", "package-0", "package", "", 1000, 1100},
		{"rapl", "rapl", "package-0/core", "core", "package-0", 500, 580},
		{"rapl", "rapl", "package-0/uncore", "uncore", "package-0", 10, 15},
		{"rapl", "rapl", "package-0/dram", "dram", "", 200, 250},
		{"hwmon", "hwmon", "amd/Esocket0", "socket", "", 0, 70},
		{"hwmon", "hwmon", "amd/Ecore000", "core", "amd/Esocket0", 0, 30},
		{"pdu", "exec", "outlet3", "wall", "", 0, 400},
	};
	const struct harness_setting named[] = {{"host-meter", "hwmon"},
						{NULL, NULL}};
	const struct {
		size_t first, n;
		const struct harness_setting *set;
		const char *zone;
		double joules;
	} cases[] = {
		{0, 4, NULL, "package-0+package-0/dram", 150},
		{4, 2, NULL, "amd/Esocket0", 70},
		{0, 7, NULL, "outlet3", 400},
		{0, 7, named, "amd/Esocket0", 70},
	};

	(void)st;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct harness *h = mi_start(cases[c].set);
		struct snap_set *s = two_reads(h, rapl + cases[c].first, cases[c].n);

		assert_true(harness_one(s, "virtmeter_host_power_source_info",
					"zone", cases[c].zone, NULL) == 1);
		HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL),
			     cases[c].joules);
		harness_release(s);
		harness_stop(h);
		mi_base += 100;
	}
}

static void estimate_stands_in_without_a_meter(void **st)
{
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = mi_start(NULL);
	struct snap_set *s;

	(void)st;
	/* The model waits a moment for a meter before it estimates. */
	usleep((unsigned)(3.2e6));
	mi_host(mi_base, 100, 1000);
	mi_cgroups(mi_base, 1, c0, NULL);
	harness_release(harness_cycle(h));
	mi_host(mi_base + DT, 104, 1006);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	s = harness_cycle(h);
	/* 4 CPUs: 2.96 W idle, 14 W full; utilisation 0.4: 7.376 W. */
	HARNESS_NEAR(harness_one(s, "virtmeter_host_power_watts", "source",
				 "estimate", NULL), 7.376);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "estimate", NULL), 2.96);
	/* Dynamic 36.88 - 14.8 = 22.08 J; a used 2 of 4 busy CPU s. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_energy_joules", "id", "a",
				 "component", "dynamic", "source", "estimate",
				 NULL), 11.04);
	assert_true(harness_one(s, "virtmeter_host_power_source_info", "source",
				"estimate", NULL) == 1);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void estimate_can_be_turned_off(void **st)
{
	const struct harness_setting set[] = {{"estimate", "false"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	usleep((unsigned)(3.2e6));
	mi_host(mi_base, 100, 1000);
	mi_cgroups(mi_base, 1, c0, NULL);
	harness_release(harness_cycle(h));
	mi_host(mi_base + DT, 104, 1006);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	s = harness_cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_none(s, "virtmeter_host_power_source_info", NULL);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void idle_power_is_learned_and_kept_across_restarts(void **st)
{
	struct harness *h;
	struct snap_set *s;
	double e = 0, busy = 0, idle = 0;

	(void)st;
	mi_forget_learned();
	h = mi_start(NULL);
	/* 80 intervals of 5 s at utilisations from 0.1 to 0.9; the meter
	 * reads 25 W + 50 W x utilisation. */
	for (int k = 0; k <= 80; k++) {
		double u = 0.1 + 0.1 * (k % 9), c[] = {busy};

		mi_host(mi_base + DT * k, busy, idle);
		mi_meter(mi_base + DT * k, e);
		mi_cgroups(mi_base + DT * k, 1, c, NULL);
		harness_release(harness_cycle(h));
		busy += 4 * DT * u;
		idle += 4 * DT * (1 - u);
		e += (25 + 50 * u) * DT;
	}
	s = harness_cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	assert_true(harness_one(s, "virtmeter_host_idle_power_samples", NULL) >= 60);
	harness_release(s);
	harness_stop(h);

	/* A new start reads the state the stop saved. */
	mi_base += DT * 81;
	h = mi_start(NULL);
	{
		const double c0[] = {0}, c1[] = {1};

		mi_host(mi_base, 0, 0);
		mi_meter(mi_base, 0);
		mi_cgroups(mi_base, 1, c0, NULL);
		harness_release(harness_cycle(h));
		/* On the learned line: 0.2 busy, 35 W. */
		mi_host(mi_base + DT, 4, 16);
		mi_meter(mi_base + DT, 175);
		mi_cgroups(mi_base + DT, 1, c1, NULL);
		s = harness_cycle(h);
	}
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void corrupt_state_file_is_ignored(void **st)
{
	char path[sizeof(mi_storage) + 32];
	struct harness *h;
	struct snap_set *s;
	FILE *f;

	(void)st;
	snprintf(path, sizeof(path), "%s/idle-power.state", mi_storage);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a state file\n", f);
	fclose(f);
	h = mi_start(NULL);
	s = mi_basic(h, NULL);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "estimate", NULL), 2.96);
	harness_release(s);
	harness_stop(h);
	unlink(path);
	mi_base += 100;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(saturated_host_is_learned_at_full_utilisation),
		cmocka_unit_test(source_sums_the_zones_no_other_contains),
		cmocka_unit_test(estimate_stands_in_without_a_meter),
		cmocka_unit_test(estimate_can_be_turned_off),
		cmocka_unit_test(idle_power_is_learned_and_kept_across_restarts),
		cmocka_unit_test(corrupt_state_file_is_ignored),
	};
	int rc;

	if (mi_init())
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mi_done();
	return rc;
}
