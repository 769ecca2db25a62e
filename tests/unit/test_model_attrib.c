/* Tests of the energy model's arithmetic (collectors/model/attrib.c) over
 * cases computed by hand: interpolation of counters read at their own
 * moments, gaps and resets never bridged, the idle/dynamic split (a meter
 * below idle included), shares that conserve energy to the joule, the
 * reserved weights, the estimate, the overhead share and idle waste. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "collectors/model/attrib.h"
#include "tests/unit/harness.h"

#define GAP 15.0
#define SLACK 0.25

static void series_interpolates_between_readings(void **st)
{
	struct series s = {0};

	(void)st;
	series_push(&s, 100, 1000);
	series_push(&s, 101, 1030);
	series_push(&s, 102, 1050);
	HARNESS_NEAR(series_at(&s, 100.5, GAP, SLACK), 1015);
	HARNESS_NEAR(series_at(&s, 101.25, GAP, SLACK), 1035);
	HARNESS_NEAR(series_at(&s, 102, GAP, SLACK), 1050);
	HARNESS_NEAR(series_at(&s, 100, GAP, SLACK), 1000);
}

static void series_extrapolates_only_within_slack(void **st)
{
	struct series s = {0};

	(void)st;
	series_push(&s, 100, 0);
	series_push(&s, 101, 10);
	HARNESS_NEAR(series_at(&s, 101.2, GAP, SLACK), 12);
	assert_true(isnan(series_at(&s, 101.3, GAP, SLACK)));
	assert_true(isnan(series_at(&s, 99.9, GAP, SLACK)));
}

static void series_never_bridges_a_gap(void **st)
{
	struct series s = {0};

	(void)st;
	series_push(&s, 100, 0);
	series_push(&s, 101, 10);
	series_push(&s, 120, 200); /* 19 s without a reading */
	series_push(&s, 121, 210);
	assert_true(isnan(series_at(&s, 110, GAP, SLACK)));
	HARNESS_NEAR(series_at(&s, 120.5, GAP, SLACK), 205);
	HARNESS_NEAR(series_at(&s, 100.5, GAP, SLACK), 5);
}

static void series_starts_over_at_a_counter_reset(void **st)
{
	struct series s = {0};

	(void)st;
	series_push(&s, 100, 500);
	series_push(&s, 101, 510);
	series_push(&s, 102, 3); /* reset */
	series_push(&s, 103, 13);
	assert_int_equal(s.n, 2);
	assert_true(isnan(series_at(&s, 101.5, GAP, SLACK)));
	HARNESS_NEAR(series_at(&s, 102.5, GAP, SLACK), 8);
}

static void series_ignores_stale_and_non_finite_readings(void **st)
{
	struct series s = {0};

	(void)st;
	series_push(&s, 100, 1);
	series_push(&s, 100, 5);
	series_push(&s, 99, 7);
	series_push(&s, NAN, 9);
	series_push(&s, 101, INFINITY);
	assert_int_equal(s.n, 1);
	HARNESS_NEAR(series_last_t(&s), 100);
}

static void series_keeps_the_newest_readings(void **st)
{
	struct series s = {0};

	(void)st;
	for (int i = 0; i < 3 * SERIES_LEN; i++)
		series_push(&s, i, 10.0 * i);
	assert_int_equal(s.n, SERIES_LEN);
	HARNESS_NEAR(series_last_t(&s), 3 * SERIES_LEN - 1);
	HARNESS_NEAR(series_at(&s, 3 * SERIES_LEN - 1.5, GAP, SLACK),
		     10.0 * (3 * SERIES_LEN - 1.5));
	assert_true(isnan(series_at(&s, 2, GAP, SLACK)));
}

static void host_split_keeps_idle_apart(void **st)
{
	double idle, dyn;

	(void)st;
	/* 150 J in 5 s at 20 W idle: 100 J idle, 50 J dynamic. */
	attrib_host_split(150, 20, 5, &idle, &dyn);
	HARNESS_NEAR(idle, 100);
	HARNESS_NEAR(dyn, 50);
}

static void meter_below_idle_puts_everything_in_idle(void **st)
{
	double idle, dyn;

	(void)st;
	attrib_host_split(80, 20, 5, &idle, &dyn);
	HARNESS_NEAR(idle, 80);
	assert_true(dyn == 0);
	attrib_host_split(-3, 20, 5, &idle, &dyn);
	assert_true(idle == 0 && dyn == 0);
}

static void split_by_cpu_leaves_the_host_its_share(void **st)
{
	/* 50 J; host busy 4 CPU s; workloads 2 and 1 CPU s. */
	const double w[] = {2, 1};
	double out[2], rest;

	(void)st;
	rest = attrib_split(50, w, out, 2, 4);
	HARNESS_NEAR(out[0], 25);
	HARNESS_NEAR(out[1], 12.5);
	HARNESS_NEAR(rest, 12.5);
	HARNESS_NEAR(out[0] + out[1] + rest, 50);
}

static void split_never_gives_more_than_the_energy(void **st)
{
	/* Workloads read 5 CPU s while the host read 4: the host's figure is
	 * the older one; the parts take all, in proportion. */
	const double w[] = {3, 2, -1, NAN};
	double out[4], rest;

	(void)st;
	rest = attrib_split(50, w, out, 4, 4);
	HARNESS_NEAR(out[0], 30);
	HARNESS_NEAR(out[1], 20);
	assert_true(out[2] == 0 && out[3] == 0);
	assert_true(rest == 0);
}

static void split_of_nothing_keeps_everything(void **st)
{
	const double w[] = {0, 0};
	double out[2];

	(void)st;
	HARNESS_NEAR(attrib_split(42, w, out, 2, NAN), 42);
	assert_true(out[0] == 0 && out[1] == 0);
	HARNESS_NEAR(attrib_split(42, NULL, NULL, 0, 3), 42);
}

static void split_conserves_over_many_parts(void **st)
{
	double w[1000], out[1000], sum = 0, rest;

	(void)st;
	for (int i = 0; i < 1000; i++)
		w[i] = 0.001 * (i % 17 + 1);
	rest = attrib_split(12345.678, w, out, 1000, 20);
	for (int i = 0; i < 1000; i++)
		sum += out[i];
	assert_true(fabs(sum + rest - 12345.678) < 1e-6);
}

static void reserved_weight_is_the_mean_of_cpu_and_memory_shares(void **st)
{
	(void)st;
	/* 8 of 32 CPUs, 16 of 128 GiB: (0.25 + 0.125) / 2. */
	HARNESS_NEAR(attrib_reserved_weight(8, 16.0 * (1 << 30), 32,
					    128.0 * (1 << 30)),
		     0.1875);
	HARNESS_NEAR(attrib_reserved_weight(64, 0, 32, 1e9), 0.5);
	HARNESS_NEAR(attrib_reserved_weight(4, 1e9, 0, 0), 0);
}

static void estimate_is_linear_in_utilisation(void **st)
{
	(void)st;
	/* 4 CPUs at 0.74 and 3.5 W: 2.96 W idle, 14 W full. */
	HARNESS_NEAR(attrib_estimate_watts(2.96, 14, 0), 2.96);
	HARNESS_NEAR(attrib_estimate_watts(2.96, 14, 0.5), 8.48);
	HARNESS_NEAR(attrib_estimate_watts(2.96, 14, 1.7), 14);
	HARNESS_NEAR(attrib_estimate_watts(2.96, 14, NAN), 2.96);
}

static void overhead_share_is_cpu_outside_the_vcpus(void **st)
{
	(void)st;
	HARNESS_NEAR(attrib_overhead_share(1.6, 2), 0.2);
	assert_true(attrib_overhead_share(2.2, 2) == 0);
	assert_true(attrib_overhead_share(1, 0) == 0);
	assert_true(attrib_overhead_share(NAN, 2) == 0);
	HARNESS_NEAR(attrib_overhead_share(0, 2), 1);
}

static void nearly_idle_needs_a_reservation(void **st)
{
	(void)st;
	/* 2 % of 4 vCPUs over 5 s is 0.4 CPU s. */
	assert_true(attrib_nearly_idle(0.39, 5, 4, 0.02));
	assert_false(attrib_nearly_idle(0.41, 5, 4, 0.02));
	assert_false(attrib_nearly_idle(0, 5, 0, 0.02));
	assert_false(attrib_nearly_idle(NAN, 5, 4, 0.02));
}

static void error_ratio_is_relative(void **st)
{
	(void)st;
	HARNESS_NEAR(attrib_error_ratio(99.5, 100), 0.005);
	assert_true(attrib_error_ratio(0, 0) == 0);
	assert_true(attrib_error_ratio(1, 0) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(series_interpolates_between_readings),
		cmocka_unit_test(series_extrapolates_only_within_slack),
		cmocka_unit_test(series_never_bridges_a_gap),
		cmocka_unit_test(series_starts_over_at_a_counter_reset),
		cmocka_unit_test(series_ignores_stale_and_non_finite_readings),
		cmocka_unit_test(series_keeps_the_newest_readings),
		cmocka_unit_test(host_split_keeps_idle_apart),
		cmocka_unit_test(meter_below_idle_puts_everything_in_idle),
		cmocka_unit_test(split_by_cpu_leaves_the_host_its_share),
		cmocka_unit_test(split_never_gives_more_than_the_energy),
		cmocka_unit_test(split_of_nothing_keeps_everything),
		cmocka_unit_test(split_conserves_over_many_parts),
		cmocka_unit_test(reserved_weight_is_the_mean_of_cpu_and_memory_shares),
		cmocka_unit_test(estimate_is_linear_in_utilisation),
		cmocka_unit_test(overhead_share_is_cpu_outside_the_vcpus),
		cmocka_unit_test(nearly_idle_needs_a_reservation),
		cmocka_unit_test(error_ratio_is_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
