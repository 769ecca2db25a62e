/* Tests of the pure scaling of grouped perf_event reads
 * (collectors/perf/scale.c): plain counting, multiplexing, a group never
 * scheduled, counters and times going backwards, values near 2^64, whole
 * events after scaling, short or mismatched buffers, and the scaling
 * ratio. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "collectors/perf/scale.h"

/* Builds the read of a 2-event group into buf. */
static void group2(uint64_t *buf, uint64_t en, uint64_t run, uint64_t a,
		   uint64_t b)
{
	buf[0] = 2;
	buf[1] = en;
	buf[2] = run;
	buf[3] = a;
	buf[4] = b;
}

static void an_unmultiplexed_group_gives_raw_increases(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	group2(buf, 1000, 1000, 50, 7);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 50 && d[1] == 7);
	group2(buf, 3000, 3000, 150, 10);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 100 && d[1] == 3);
	assert_true(t.enabled == 2000 && t.running == 2000);
	assert_true(perf_scale_ratio(&t, 1.0) == 1);
}

static void a_multiplexed_group_is_scaled_by_enabled_over_running(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	/* On the PMU a quarter of the time: counts are multiplied by 4. */
	group2(buf, 4000, 1000, 100, 30);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 400 && d[1] == 120);
	assert_true(perf_scale_ratio(&t, 1.0) == 0.25);
	/* The next interval: 2000 enabled, 1000 running, +50 and +10. */
	group2(buf, 6000, 2000, 150, 40);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 100 && d[1] == 20);
	assert_true(perf_scale_ratio(&t, 1.0) == 0.5);
}

static void a_group_never_scheduled_adds_nothing(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2] = {1, 1};
	struct perf_times t;

	(void)state;
	group2(buf, 5000, 0, 0, 0);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 0 && d[1] == 0);
	assert_true(t.enabled == 5000 && t.running == 0);
	assert_true(perf_scale_ratio(&t, 1.0) == 0);
}

static void an_idle_interval_keeps_the_last_ratio(void **state)
{
	struct perf_times t = {0, 0};

	(void)state;
	assert_true(perf_scale_ratio(&t, 0.75) == 0.75);
	t.enabled = 10;
	t.running = 20; /* never above 1 */
	assert_true(perf_scale_ratio(&t, 0.75) == 1);
}

static void a_counter_going_backwards_adds_nothing_and_rebases(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	group2(buf, 1000, 1000, 500, 500);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	group2(buf, 2000, 2000, 100, 600); /* the first went back */
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 0);
	assert_true(d[1] == 100);
	group2(buf, 3000, 3000, 130, 600); /* counted from the new base */
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 30);
}

static void times_going_backwards_add_nothing(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	group2(buf, 5000, 5000, 100, 100);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	group2(buf, 10, 10, 200, 200);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 0 && d[1] == 0);
	assert_true(t.enabled == 0);
	group2(buf, 20, 20, 210, 200);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 10 && d[1] == 0);
}

static void huge_values_scale_without_overflow(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;
	const uint64_t big = UINT64_MAX - 10;

	(void)state;
	/* big * 4 does not fit in 64 bits: saturated, never wrapped to a
	 * small number. */
	group2(buf, 4000, 1000, big, 1);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == UINT64_MAX);
	assert_true(d[1] == 4);
	/* Near the top, an increase of 10 stays exact in the delta. */
	group2(buf, 5000, 2000, UINT64_MAX, 1);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 10);
	/* A raw increase past 2^53, where a double skips integers, is kept
	 * to the unit when nothing was multiplexed. */
	memset(prev, 0, sizeof(prev));
	group2(buf, 100, 100, (1ULL << 53) + 1, 3);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == (1ULL << 53) + 1);
}

static void a_scaled_increase_is_rounded_to_a_whole_event(void **state)
{
	uint64_t buf[5], prev[4] = {0};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	/* 3 enabled, 2 running: 5 * 1.5 = 7.5 and 7 * 1.5 = 10.5 are
	 * rounded half up, so that the totals stay integers. */
	group2(buf, 3, 2, 5, 7);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 8 && d[1] == 11);
	/* 3 enabled, 1 running over the next interval: 1 * 3 = 3 and
	 * 0 * 3 = 0 exactly. */
	group2(buf, 6, 3, 6, 7);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 3 && d[1] == 0);
	/* 1e9 enabled, 999999999 running (a clock's group that missed one
	 * nanosecond): 999999999 raw -> 1e9. */
	memset(prev, 0, sizeof(prev));
	group2(buf, 1000000000, 999999999, 999999999, 0);
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), 0);
	assert_true(d[0] == 1000000000);
}

static void short_or_mismatched_reads_are_refused(void **state)
{
	uint64_t buf[5], prev[4] = {1, 2, 3, 4};
	uint64_t d[2];
	struct perf_times t;

	(void)state;
	group2(buf, 1000, 1000, 5, 5);
	assert_int_equal(perf_scale_group(buf, 4, 2, prev, d, &t), -EINVAL);
	buf[0] = 3;
	assert_int_equal(perf_scale_group(buf, 5, 2, prev, d, &t), -EINVAL);
	assert_true(prev[0] == 1 && prev[3] == 4); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_unmultiplexed_group_gives_raw_increases),
		cmocka_unit_test(a_multiplexed_group_is_scaled_by_enabled_over_running),
		cmocka_unit_test(a_group_never_scheduled_adds_nothing),
		cmocka_unit_test(an_idle_interval_keeps_the_last_ratio),
		cmocka_unit_test(a_counter_going_backwards_adds_nothing_and_rebases),
		cmocka_unit_test(times_going_backwards_add_nothing),
		cmocka_unit_test(huge_values_scale_without_overflow),
		cmocka_unit_test(a_scaled_increase_is_rounded_to_a_whole_event),
		cmocka_unit_test(short_or_mismatched_reads_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
