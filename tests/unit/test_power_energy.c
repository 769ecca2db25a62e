/* Tests of the energy accounting (collectors/power/energy.c): the counter
 * from a meter's own energy counter (wraparound, reset, gap) and from
 * integrated watts (trapezoids, gaps), and that it never goes backwards
 * whatever the readings do. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "collectors/power/energy.h"

#define GAP 10.0

static void counter_first_sample_is_a_baseline(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	assert_int_equal(energy_add_counter(&a, 100, 5000, 0, GAP), ENERGY_FIRST);
	assert_true(a.total == 0);
	assert_false(a.have_watts);
	assert_int_equal(energy_add_counter(&a, 101, 5120, 0, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 120) < 1e-9);
	assert_true(a.have_watts);
	assert_true(fabs(a.last_watts - 120) < 1e-9);
}

/* RAPL: max_energy_range_uj = 262143.328850 J; the counter passes it. */
static void counter_wraps_at_its_range(void **st)
{
	const double range = 262143.328850;
	struct energy_acc a = {0};

	(void)st;
	energy_add_counter(&a, 0, range - 30, range, GAP);
	assert_int_equal(energy_add_counter(&a, 1, 20, range, GAP), ENERGY_WRAPPED);
	assert_true(fabs(a.total - 50) < 1e-6);
	assert_true(fabs(a.last_watts - 50) < 1e-6);
	assert_int_equal(energy_add_counter(&a, 2, 70, range, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 100) < 1e-6);
}

static void counter_decrease_without_range_is_a_reset(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	energy_add_counter(&a, 0, 1000, 0, GAP);
	energy_add_counter(&a, 1, 1100, 0, GAP);
	assert_int_equal(energy_add_counter(&a, 2, 10, 0, GAP), ENERGY_RESET);
	assert_true(fabs(a.total - 100) < 1e-9);
	/* Counting resumes from the new baseline. */
	assert_int_equal(energy_add_counter(&a, 3, 40, 0, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 130) < 1e-9);
}

static void counter_wrap_after_long_gap_is_not_guessed(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	energy_add_counter(&a, 0, 900, 1000, GAP);
	assert_int_equal(energy_add_counter(&a, 60, 100, 1000, GAP), ENERGY_GAP);
	assert_true(a.total == 0);
	/* An increase across a long gap was measured by the meter: kept. */
	assert_int_equal(energy_add_counter(&a, 120, 400, 1000, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 300) < 1e-9);
}

static void counter_ignores_stale_and_invalid_samples(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	energy_add_counter(&a, 10, 100, 0, GAP);
	assert_int_equal(energy_add_counter(&a, 10, 200, 0, GAP), ENERGY_STALE);
	assert_int_equal(energy_add_counter(&a, 9, 300, 0, GAP), ENERGY_STALE);
	assert_int_equal(energy_add_counter(&a, 11, NAN, 0, GAP), ENERGY_INVALID);
	assert_int_equal(energy_add_counter(&a, 11, -5, 0, GAP), ENERGY_INVALID);
	assert_int_equal(energy_add_counter(&a, 11, INFINITY, 0, GAP), ENERGY_INVALID);
	assert_true(a.total == 0);
	assert_int_equal(energy_add_counter(&a, 11, 150, 0, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 50) < 1e-9);
}

static void watts_integrate_as_trapezoids_over_real_times(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	assert_int_equal(energy_add_watts(&a, 0, 100, GAP), ENERGY_FIRST);
	assert_true(a.total == 0);
	assert_true(a.have_watts && a.last_watts == 100);
	assert_int_equal(energy_add_watts(&a, 2, 200, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 300) < 1e-9); /* (100 + 200) / 2 * 2 s */
	/* An uneven interval counts its real length. */
	assert_int_equal(energy_add_watts(&a, 2.5, 0, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 350) < 1e-9);
	assert_true(a.last_watts == 0);
}

static void watts_gap_is_not_bridged(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	energy_add_watts(&a, 0, 100, GAP);
	energy_add_watts(&a, 1, 100, GAP);
	assert_int_equal(energy_add_watts(&a, 1 + GAP + 0.001, 100, GAP), ENERGY_GAP);
	assert_true(fabs(a.total - 100) < 1e-9);
	assert_int_equal(energy_add_watts(&a, 2 + GAP + 0.001, 100, GAP), ENERGY_ADDED);
	assert_true(fabs(a.total - 200) < 1e-6);
}

static void watts_reject_negative_and_stale_samples(void **st)
{
	struct energy_acc a = {0};

	(void)st;
	energy_add_watts(&a, 5, 10, GAP);
	assert_int_equal(energy_add_watts(&a, 6, -1, GAP), ENERGY_INVALID);
	assert_int_equal(energy_add_watts(&a, 4, 10, GAP), ENERGY_STALE);
	assert_int_equal(energy_add_watts(&a, 6, NAN, GAP), ENERGY_INVALID);
	assert_true(a.total == 0);
}

/* Random readings, times and ranges: the total never decreases. */
static void total_never_goes_backwards(void **st)
{
	struct energy_acc c = {0}, w = {0};
	double t = 0, prev_c = 0, prev_w = 0;

	(void)st;
	srand(1234);
	for (int i = 0; i < 100000; i++) {
		double v = (double)(rand() % 2000) - 100;
		double range = (rand() % 4) ? 1000 : 0;

		t += (double)(rand() % 300) / 10.0 - 1.0;
		energy_add_counter(&c, t, v, range, GAP);
		energy_add_watts(&w, t, v, GAP);
		assert_true(c.total >= prev_c);
		assert_true(w.total >= prev_w);
		prev_c = c.total;
		prev_w = w.total;
	}
	assert_true(prev_c > 0 && prev_w > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counter_first_sample_is_a_baseline),
		cmocka_unit_test(counter_wraps_at_its_range),
		cmocka_unit_test(counter_decrease_without_range_is_a_reset),
		cmocka_unit_test(counter_wrap_after_long_gap_is_not_guessed),
		cmocka_unit_test(counter_ignores_stale_and_invalid_samples),
		cmocka_unit_test(watts_integrate_as_trapezoids_over_real_times),
		cmocka_unit_test(watts_gap_is_not_bridged),
		cmocka_unit_test(watts_reject_negative_and_stale_samples),
		cmocka_unit_test(total_never_goes_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
