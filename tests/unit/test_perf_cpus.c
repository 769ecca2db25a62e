/* Tests of the online-CPU list parser that the perf collector uses
 * (procfs_parse_cpus) on the kernel's format, hotplug-shaped lists and
 * malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "collectors/lib/procfs.h"

static int cpus[PROCFS_MAX_CPUS];

static int parse(const char *s, size_t max, size_t *n)
{
	return procfs_parse_cpus(s, strlen(s), cpus, max, n);
}

static void ranges_and_singles_give_sorted_cpus(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("0-3,5,7-8\n", PROCFS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 5);
	assert_int_equal(cpus[5], 7);
	assert_int_equal(cpus[6], 8);
}

static void a_cpu_taken_offline_leaves_a_gap(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("0,2-3\n", PROCFS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cpus[1], 2);
}

static void an_empty_list_names_no_cpu(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(parse("\n", PROCFS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("", PROCFS_MAX_CPUS, &n), 0);
	assert_int_equal(n, 0);
}

static void malformed_lists_are_refused(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(parse("3-1\n", PROCFS_MAX_CPUS, &n), -EINVAL);
	assert_int_equal(parse("0,0\n", PROCFS_MAX_CPUS, &n), -EINVAL);
	assert_int_equal(parse("1-2,2-3\n", PROCFS_MAX_CPUS, &n), -EINVAL);
	assert_int_equal(parse("0-3,\n", PROCFS_MAX_CPUS, &n), -EINVAL);
	assert_int_equal(parse("a\n", PROCFS_MAX_CPUS, &n), -EINVAL);
	assert_int_equal(parse("0 1\n", PROCFS_MAX_CPUS, &n), -EINVAL);
}

static void numbers_out_of_range_are_refused(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(parse("0-8192\n", PROCFS_MAX_CPUS, &n), -ERANGE);
	assert_int_equal(parse("18446744073709551616\n", PROCFS_MAX_CPUS, &n),
			 -ERANGE);
	assert_int_equal(parse("0-8191\n", PROCFS_MAX_CPUS, &n), 0);
	assert_int_equal(n, PROCFS_MAX_CPUS);
}

static void a_list_longer_than_the_array_is_refused(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(parse("0-4\n", 4, &n), -ERANGE);
	assert_int_equal(parse("0-3\n", 4, &n), 0);
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_and_singles_give_sorted_cpus),
		cmocka_unit_test(a_cpu_taken_offline_leaves_a_gap),
		cmocka_unit_test(an_empty_list_names_no_cpu),
		cmocka_unit_test(malformed_lists_are_refused),
		cmocka_unit_test(numbers_out_of_range_are_refused),
		cmocka_unit_test(a_list_longer_than_the_array_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
