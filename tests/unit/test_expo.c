/* Unit tests of the exposition writer: both formats, escaping, values. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/expo.h"

static const struct snap_family fam_cpu = {
	.name = "vm_cpu_seconds", .help = "CPU time.", .type = SNAP_COUNTER,
	.unit = "seconds", .labels = {"vm"},
};
static const struct snap_family fam_up = {
	.name = "vm_up", .help = "Up.\nSecond \\ line \"q\"", .type = SNAP_GAUGE,
};
static const struct snap_family fam_mem = {
	.name = "vm_memory_bytes", .help = "Memory.", .type = SNAP_GAUGE,
	.unit = "bytes", .labels = {"vm", "kind"},
};

/* Renders sets into a NUL-terminated string owned by the caller's buf. */
static const char *render(struct buf *b, struct snap_set **sets, size_t n,
			  enum expo_format fmt)
{
	buf_init(b, 1 << 20);
	assert_int_equal(expo_render_sets(sets, n, fmt, b), 0);
	return b->data ? b->data : "";
}

static const char *value(struct buf *b, double v)
{
	buf_reset(b);
	expo_put_value(b, v);
	return b->data;
}

static void untyped_family_is_untyped_in_text_and_unknown_in_openmetrics(
    void **state)
{
	static const struct snap_family fam_loose = {
		.name = "job_items", .help = "Read from a file.",
		.type = SNAP_UNTYPED, .labels = {"job"},
	};
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	snap_add(set, &fam_loose, 3, "x");
	assert_string_equal(render(&b, &set, 1, EXPO_TEXT),
			    "# HELP job_items Read from a file.\n"
			    "# TYPE job_items untyped\n"
			    "job_items{job=\"x\"} 3\n");
	buf_free(&b);
	assert_string_equal(render(&b, &set, 1, EXPO_OPENMETRICS),
			    "# HELP job_items Read from a file.\n"
			    "# TYPE job_items unknown\n"
			    "job_items{job=\"x\"} 3\n# EOF\n");
	buf_free(&b);
	snap_set_unref(set);
}

static void values_are_written_as_prometheus_parses_them(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_string_equal(value(&b, 0), "0");
	assert_string_equal(value(&b, 42), "42");
	assert_string_equal(value(&b, -7), "-7");
	assert_string_equal(value(&b, 0.1), "0.1");
	assert_string_equal(value(&b, 1.5e300), "1.5e+300");
	assert_string_equal(value(&b, 1e17), "1e+17");
	assert_string_equal(value(&b, 123456789012345678.0), "1.2345678901234568e+17");
	assert_string_equal(value(&b, NAN), "NaN");
	assert_string_equal(value(&b, INFINITY), "+Inf");
	assert_string_equal(value(&b, -INFINITY), "-Inf");
	/* A value that needs 17 digits to round-trip gets them. */
	assert_string_equal(value(&b, 0.30000000000000004), "0.30000000000000004");
	buf_free(&b);
}

static void label_values_escape_backslash_quote_newline(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	expo_put_label_value(&b, "a\\b\"c\nd");
	assert_string_equal(b.data, "a\\\\b\\\"c\\nd");
	buf_free(&b);
}

static void utf8_passes_through_and_invalid_bytes_become_fffd(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	expo_put_label_value(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
	assert_string_equal(b.data, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
	buf_reset(&b);
	/* Lone continuation, overlong '/', truncated sequence, surrogate. */
	expo_put_label_value(&b, "a\x80" "b\xc0\xaf" "c\xe2\x82" "d\xed\xa0\x80");
	assert_string_equal(b.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
			    "c\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	buf_free(&b);
}

static void text_format_names_counter_families_with_total(void **state)
{
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	snap_add(set, &fam_cpu, 1.5, "web \"1\"");
	assert_string_equal(render(&b, &set, 1, EXPO_TEXT),
			    "# HELP vm_cpu_seconds_total CPU time.\n"
			    "# TYPE vm_cpu_seconds_total counter\n"
			    "vm_cpu_seconds_total{vm=\"web \\\"1\\\"\"} 1.5\n");
	buf_free(&b);
	snap_set_unref(set);
}

static void openmetrics_has_unit_total_samples_and_eof(void **state)
{
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	snap_add(set, &fam_cpu, 3, "a");
	snap_add0(set, &fam_up, 1);
	assert_string_equal(render(&b, &set, 1, EXPO_OPENMETRICS),
			    "# HELP vm_cpu_seconds CPU time.\n"
			    "# TYPE vm_cpu_seconds counter\n"
			    "# UNIT vm_cpu_seconds seconds\n"
			    "vm_cpu_seconds_total{vm=\"a\"} 3\n"
			    "# HELP vm_up Up.\\nSecond \\\\ line \\\"q\\\"\n"
			    "# TYPE vm_up gauge\n"
			    "vm_up 1\n"
			    "# EOF\n");
	buf_free(&b);
	snap_set_unref(set);
}

static void text_help_escapes_backslash_and_newline_only(void **state)
{
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	snap_add0(set, &fam_up, 0);
	assert_string_equal(render(&b, &set, 1, EXPO_TEXT),
			    "# HELP vm_up Up.\\nSecond \\\\ line \"q\"\n"
			    "# TYPE vm_up gauge\nvm_up 0\n");
	buf_free(&b);
	snap_set_unref(set);
}

static void families_of_several_sets_are_merged_and_sorted(void **state)
{
	struct snap_set *sets[3] = {snap_set_new(), NULL, snap_set_new()};
	struct buf b;
	const char *out;

	(void)state;
	snap_add(sets[0], &fam_mem, 10, "a", "rss");
	snap_add0(sets[0], &fam_up, 1);
	snap_add(sets[2], &fam_mem, 20, "b", "rss");
	snap_add(sets[2], &fam_cpu, 5, "b");
	out = render(&b, sets, 3, EXPO_TEXT);
	assert_string_equal(out,
			    "# HELP vm_cpu_seconds_total CPU time.\n"
			    "# TYPE vm_cpu_seconds_total counter\n"
			    "vm_cpu_seconds_total{vm=\"b\"} 5\n"
			    "# HELP vm_memory_bytes Memory.\n"
			    "# TYPE vm_memory_bytes gauge\n"
			    "vm_memory_bytes{vm=\"a\",kind=\"rss\"} 10\n"
			    "vm_memory_bytes{vm=\"b\",kind=\"rss\"} 20\n"
			    "# HELP vm_up Up.\\nSecond \\\\ line \"q\"\n"
			    "# TYPE vm_up gauge\nvm_up 1\n");
	buf_free(&b);
	snap_set_unref(sets[0]);
	snap_set_unref(sets[2]);
}

static void empty_snapshot_renders_only_eof_in_openmetrics(void **state)
{
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	assert_string_equal(render(&b, &set, 1, EXPO_OPENMETRICS), "# EOF\n");
	buf_free(&b);
	assert_string_equal(render(&b, &set, 1, EXPO_TEXT), "");
	buf_free(&b);
	snap_set_unref(set);
}

static void content_types_name_format_version_and_charset(void **state)
{
	(void)state;
	assert_string_equal(expo_content_type(EXPO_TEXT),
			    "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(expo_content_type(EXPO_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

static void output_larger_than_cap_fails_cleanly(void **state)
{
	struct snap_set *set = snap_set_new();
	struct buf b;

	(void)state;
	for (int i = 0; i < 1000; i++)
		snap_add(set, &fam_cpu, i, "some-long-virtual-machine-name");
	buf_init(&b, 1000);
	assert_int_equal(expo_render_sets(&set, 1, EXPO_TEXT, &b), -E2BIG);
	buf_free(&b);
	snap_set_unref(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_are_written_as_prometheus_parses_them),
		cmocka_unit_test(untyped_family_is_untyped_in_text_and_unknown_in_openmetrics),
		cmocka_unit_test(label_values_escape_backslash_quote_newline),
		cmocka_unit_test(utf8_passes_through_and_invalid_bytes_become_fffd),
		cmocka_unit_test(text_format_names_counter_families_with_total),
		cmocka_unit_test(openmetrics_has_unit_total_samples_and_eof),
		cmocka_unit_test(text_help_escapes_backslash_and_newline_only),
		cmocka_unit_test(families_of_several_sets_are_merged_and_sorted),
		cmocka_unit_test(empty_snapshot_renders_only_eof_in_openmetrics),
		cmocka_unit_test(content_types_name_format_version_and_charset),
		cmocka_unit_test(output_larger_than_cap_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
