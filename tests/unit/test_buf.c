/* Unit tests of the capped growable buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/api/buf.h"

static void appends_keep_order_and_nul_termination(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_putc(&b, 'c'), 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_int_equal(b.len, 7);
	assert_string_equal(b.data, "abc42-x");
	buf_free(&b);
}

static void growth_past_initial_capacity_keeps_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		buf_printf(&b, "%04d", i % 10000);
	assert_int_equal(buf_err(&b), 0);
	assert_int_equal(b.len, 40000);
	assert_memory_equal(b.data + 4 * 9999, "9999", 4);
	buf_free(&b);
}

static void cap_is_enforced_and_error_is_sticky(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_putc(&b, '9'), -E2BIG);
	assert_int_equal(buf_err(&b), -E2BIG);
	/* Sticky: even a small append now fails and changes nothing. */
	assert_int_equal(buf_puts(&b, ""), -E2BIG);
	assert_int_equal(b.len, 8);
	assert_null(buf_steal(&b, NULL));
	buf_free(&b);
}

static void printf_beyond_cap_fails_without_partial_write(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	buf_puts(&b, "abc");
	assert_int_equal(buf_printf(&b, "%s", "0123456789"), -E2BIG);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "abc", 3);
	buf_free(&b);
}

static void steal_hands_over_storage_and_empties(void **state)
{
	struct buf b;
	size_t len = 0;
	char *p;

	(void)state;
	buf_init(&b, 100);
	buf_puts(&b, "hello");
	p = buf_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_string_equal(p, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	buf_free(&b);
}

static void reset_clears_error_and_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	buf_puts(&b, "toolong");
	assert_int_equal(buf_err(&b), -E2BIG);
	buf_reset(&b);
	assert_int_equal(buf_err(&b), 0);
	assert_int_equal(buf_puts(&b, "ok"), 0);
	assert_string_equal(b.data, "ok");
	buf_free(&b);
}

static void grow_array_doubles_and_refuses_overflow(void **state)
{
	int *a = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(buf_grow_array((void **)&a, &cap, 1, sizeof(*a)), 0);
	assert_int_equal(cap, 16);
	a[15] = 7;
	assert_int_equal(buf_grow_array((void **)&a, &cap, 16, sizeof(*a)), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(buf_grow_array((void **)&a, &cap, 40, sizeof(*a)), 0);
	assert_int_equal(cap, 64);
	assert_int_equal(a[15], 7);
	/* A size that cannot be allocated leaves the array as it was. */
	assert_int_equal(
	    buf_grow_array((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a)),
	    -ENOMEM);
	assert_int_equal(cap, 64);
	assert_int_equal(a[15], 7);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_array_doubles_and_refuses_overflow),
		cmocka_unit_test(appends_keep_order_and_nul_termination),
		cmocka_unit_test(growth_past_initial_capacity_keeps_content),
		cmocka_unit_test(cap_is_enforced_and_error_is_sticky),
		cmocka_unit_test(printf_beyond_cap_fails_without_partial_write),
		cmocka_unit_test(steal_hands_over_storage_and_empties),
		cmocka_unit_test(reset_clears_error_and_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
