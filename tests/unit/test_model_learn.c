/* Tests of the idle-power learner (collectors/model/learn.c): the fitted
 * intercept and the bounds around it, the sliding window, and the state
 * file's text, its strict parser and its save and load. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/model/learn.h"
#include "exporter/api/base.h"

#define HOUR 3600.0

/* Adds n intervals of 10 s from time t0, with u going round [lo, hi] in
 * 9 steps and power idle + slope * u. */
static void add_line(struct learn *l, double t0, int n, double lo, double hi,
		     double idle, double slope)
{
	for (int i = 0; i < n; i++) {
		double u = lo + (hi - lo) * (double)(i % 9) / 8;

		learn_add(l, t0 + 10.0 * i, 10, u, idle + slope * u);
	}
}

/* The text of l, NUL-terminated, freed by the caller. */
static char *format(const struct learn *l)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(learn_format(l, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void idle_is_nan_until_enough_samples(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	add_line(l, 0, LEARN_MIN_SAMPLES - 1, 0.1, 0.9, 25, 50);
	assert_true(isnan(learn_idle(l, &n)));
	assert_int_equal(n, LEARN_MIN_SAMPLES - 1);
	add_line(l, 1000, 1, 0.1, 0.9, 25, 50);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, LEARN_MIN_SAMPLES);
	learn_free(l);
}

static void linear_history_gives_its_intercept(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	add_line(l, 1e9, 300, 0.1, 0.9, 25, 50);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 300);
	learn_free(l);
}

/* 20 intervals each at (u, p) = (0.04, 30), (0.52, 40), (1, 100): the line
 * has slope 875/12 and intercept 18.75, but the reading at u = 0.04 carried
 * to zero along that slope is 30 - 0.04 * 875/12 = 325/12. */
static void low_util_floor_lifts_a_low_intercept(void **st)
{
	static const double u[] = {0.04, 0.52, 1.0}, p[] = {30, 40, 100};
	struct learn *l = learn_new(HOUR);

	(void)st;
	for (int i = 0; i < 60; i++)
		learn_add(l, 100 + i, 1, u[i % 3], p[i % 3]);
	assert_true(fabs(learn_idle(l, NULL) - 325.0 / 12) < 1e-9);
	learn_free(l);
}

/* A host whose utilisation changes every second (u_i pseudo-random in
 * [0.1, 0.9]) and whose meter spreads each second's energy over two
 * intervals, as an interpolation between readings a second apart does:
 * p_i = 25 + 50 * (u_i + u_{i-1}) / 2. Fitted interval by interval, the
 * slope halves and the intercept rises to the lowest power seen; folded
 * into points of 10 s, the spread energy is a tenth of each point's and the
 * intercept is 25 W within 2 W. */
static void fold_averages_out_a_spread_meter(void **st)
{
	struct learn *by_interval = learn_new(HOUR), *by_point = learn_new(HOUR);
	unsigned x = 12345;
	double prev = 0.5, by_i, by_p;
	size_t n = 0;

	(void)st;
	for (int i = 0; i < 600; i++) {
		double u, p;

		x = x * 1103515245u + 12345u;
		u = 0.1 + 0.8 * (double)(x >> 16 & 0x7fff) / 0x7fff;
		p = 25 + 50 * (u + prev) / 2;
		prev = u;
		learn_add(by_interval, 1e9 + i, 1, u, p);
		learn_fold(by_point, 1e9 + i, 1, u, p, 10);
	}
	by_i = learn_idle(by_interval, NULL);
	by_p = learn_idle(by_point, &n);
	print_message("interval by interval %.3f W, by points %.3f W\n", by_i,
		      by_p);
	assert_true(by_i - 25 > 4);
	assert_true(fabs(by_p - 25) < 2);
	assert_int_equal(n, 600);
	learn_free(by_interval);
	learn_free(by_point);
}

/* A point is added whole once it spans point_s, counted as its intervals;
 * the intervals of the point being gathered are not counted yet. */
static void fold_counts_whole_points_only(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	for (int i = 0; i < 12; i++)
		learn_fold(l, 1000 + i, 1, 0.1 * (i % 5), 30 + i, 5);
	learn_idle(l, &n);
	assert_int_equal(n, 10);
	learn_free(l);
}

/* An interval that does not start where the last one ended (a gap, or
 * one out of range) starts the point afresh: what was gathered before it
 * is dropped, not joined to what follows. */
static void fold_starts_afresh_after_a_gap(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	for (int i = 0; i < 3; i++)
		learn_fold(l, 1000 + i, 1, 0.5, 40, 5);
	for (int i = 0; i < 5; i++)
		learn_fold(l, 1010 + i, 1, 0.5, 40, 5);
	learn_idle(l, &n);
	assert_int_equal(n, 5);
	for (int i = 0; i < 4; i++)
		learn_fold(l, 1015 + i, 1, 0.5, 40, 5);
	learn_fold(l, 1019, 1, 1.5, 40, 5);
	learn_fold(l, 1020, 1, 0.5, 40, 5);
	learn_idle(l, &n);
	assert_int_equal(n, 5);
	learn_free(l);
}

/* One reading far below the line at full load pulls the slope down and
 * the intercept up, past the lowest power seen. */
static void idle_never_above_lowest_power_seen(void **st)
{
	struct learn *l = learn_new(HOUR);

	(void)st;
	add_line(l, 0, 90, 0.5, 0.9, 25, 50);
	learn_add(l, 900, 10, 1.0, 20);
	assert_true(learn_idle(l, NULL) == 20);
	learn_free(l);
}

/* Two hours: the first at 40 W idle, the second at 25 W. A one-hour window
 * keeps only the second. */
static void window_drops_buckets_older_than_itself(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	add_line(l, 0, 360, 0.1, 0.9, 40, 50);
	assert_true(fabs(learn_idle(l, &n) - 40) < 1e-6);
	assert_int_equal(n, 360);
	add_line(l, HOUR, 360, 0.1, 0.9, 25, 50);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 360);
	/* A reading older than the window is ignored. */
	learn_add(l, 10, 10, 0.5, 5);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 360);
	learn_free(l);
}

static void alike_utilisation_without_low_reading_is_nan(void **st)
{
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	for (int i = 0; i < 100; i++)
		learn_add(l, i, 1, 0.5, 60 + i % 5);
	assert_true(isnan(learn_idle(l, &n)));
	assert_int_equal(n, 100);
	learn_free(l);
}

static void alike_low_utilisation_gives_lowest_power(void **st)
{
	struct learn *l = learn_new(HOUR);

	(void)st;
	for (int i = 0; i < 100; i++)
		learn_add(l, i, 1, 0.02, 31 + i % 7);
	assert_true(learn_idle(l, NULL) == 31);
	learn_free(l);
}

static void format_writes_the_documented_text(void **st)
{
	struct learn *l = learn_new(120);
	char *text;

	(void)st;
	learn_add(l, 61, 1, 0.5, 100);
	learn_add(l, 125, 1, 0.25, 10);
	learn_add(l, 130, 1, 0.03, 8);
	text = format(l);
	assert_string_equal(text, "virtmeter-idle-power 1\n"
				  "window 120\n"
				  "1 1 0.5 100 0.25 50 100 - -\n"
				  "2 2 0.28000000000000003 18 0.063399999999999998 "
				  "2.7400000000000002 8 8 0.029999999999999999\n");
	free(text);
	learn_free(l);
}

static void format_then_parse_gives_same_idle(void **st)
{
	struct learn *a = learn_new(2 * HOUR), *b = learn_new(2 * HOUR);
	size_t na = 0, nb = 0, len;
	char err[256] = "", *text, *again;

	(void)st;
	add_line(a, 5000, 500, 0.0, 0.9, 33.3, 47.1);
	text = format(a);
	len = strlen(text);
	assert_int_equal(learn_parse(b, text, len, err, sizeof(err)), 0);
	assert_true(learn_idle(a, &na) == learn_idle(b, &nb));
	assert_int_equal(na, nb);
	assert_int_equal(nb, 500);
	again = format(b);
	assert_string_equal(text, again);
	free(again);
	free(text);
	learn_free(a);
	learn_free(b);
}

/* Every corruption is refused with a reason, and the history it was to
 * replace is kept. */
static void corrupt_text_is_refused_and_state_kept(void **st)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
	    {"", "not a virtmeter idle-power state file"},
	    {"# HELP foo\nfoo 1\n", "not a virtmeter idle-power state file"},
	    {"virtmeter-idle-power 2\nwindow 60\n", "version 2 not supported"},
	    {"virtmeter-idle-power 1\nwindow sixty\n", "line 2: "},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10 0.25 5 1O - -\n",
	     "line 3: pmin: "},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10 0.25 5 -1 - -\n",
	     "line 3: pmin: "},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10 0.25 5 inf - -\n",
	     "line 3: pmin: "},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10 0.25 5 10 - -\n8 1 0.5",
	     "no newline at the end"},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10\n", "line 3: expected 9 fields, got 4"},
	    {"virtmeter-idle-power 1\nwindow 60\n7 2 2.5 10 0.25 5 1 - -\n",
	     "line 3: values out of range or inconsistent"},
	    {"virtmeter-idle-power 1\nwindow 60\n7 0 0 0 0 0 0 - -\n",
	     "line 3: values out of range"},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.5 10 0.25 5 10 - -\n7 1 0.5 10 0.25 5 10 - -\n",
	     "line 4: minute 7 not after the one before"},
	    {"virtmeter-idle-power 1\nwindow 60\n7 1 0.01 10 0.0001 0.1 10 9 0.01\n",
	     "line 3: values out of range"},
	};
	struct learn *l = learn_new(HOUR);
	char err[256], *before, *after;
	size_t n;

	(void)st;
	add_line(l, 0, 100, 0.1, 0.9, 25, 50);
	before = format(l);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		assert_int_equal(learn_parse(l, cases[i].text, strlen(cases[i].text),
					     err, sizeof(err)),
				 -EINVAL);
		if (strstr(err, cases[i].why) != err)
			fail_msg("case %zu: \"%s\" does not start with \"%s\"", i,
				 err, cases[i].why);
		after = format(l);
		assert_string_equal(before, after);
		free(after);
	}
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 100);
	free(before);
	learn_free(l);
}

/* A file from a longer window gives only the buckets this window holds,
 * counted back from its newest. */
static void parse_keeps_only_the_newest_within_window(void **st)
{
	static const char text[] = "virtmeter-idle-power 1\nwindow 3600\n"
				   "10 5 2.5 100 1.25 50 20 - -\n"
				   "11 5 2.5 100 1.25 50 20 - -\n"
				   "12 7 3.5 140 1.75 70 20 - -\n";
	struct learn *l = learn_new(120);
	size_t n = 0;

	(void)st;
	assert_int_equal(learn_parse(l, text, sizeof(text) - 1, NULL, 0), 0);
	learn_idle(l, &n);
	assert_int_equal(n, 12);
	learn_free(l);
}

/* A scratch directory for the file tests, and a path in it. The teardown
 * removes the directory, which fails if a temporary file was left. */
struct scratch {
	char dir[40];
	char path[64];
};

static int scratch_setup(void **st)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/virtmeter-test-learn-XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/idle-power", s->dir);
	*st = s;
	return 0;
}

static int scratch_teardown(void **st)
{
	struct scratch *s = *st;
	int ret;

	unlink(s->path);
	rmdir(s->path);
	ret = rmdir(s->dir);
	free(s);
	return ret;
}

static void save_then_load_round_trips(void **st)
{
	struct scratch *s = *st;
	struct learn *a = learn_new(HOUR), *b = learn_new(HOUR);
	char err[256] = "";
	struct stat sb;
	size_t na = 0, nb = 0;

	add_line(a, 0, 200, 0.0, 1.0, 12.5, 80);
	assert_int_equal(learn_save(a, s->path), 0);
	/* A second save replaces the first. */
	add_line(a, 2000, 10, 0.0, 1.0, 12.5, 80);
	assert_int_equal(learn_save(a, s->path), 0);
	assert_int_equal(stat(s->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(learn_load(b, s->path, err, sizeof(err)), 0);
	assert_true(learn_idle(a, &na) == learn_idle(b, &nb));
	assert_int_equal(nb, 210);
	learn_free(a);
	learn_free(b);
}

static void load_of_missing_file_is_enoent(void **st)
{
	struct scratch *s = *st;
	struct learn *l = learn_new(HOUR);
	char err[256];

	assert_int_equal(learn_load(l, s->path, err, sizeof(err)), -ENOENT);
	learn_free(l);
}

/* A corrupt file is refused with its path and line, the history kept. */
static void load_of_corrupt_file_names_it_and_keeps_state(void **st)
{
	struct scratch *s = *st;
	struct learn *l = learn_new(HOUR);
	char err[256] = "", want[128];
	size_t n = 0;
	FILE *f = fopen(s->path, "w");

	assert_non_null(f);
	fputs("virtmeter-idle-power 1\nwindow 60\n1 1 0.5 10 0.25 5 x - -\n", f);
	assert_int_equal(fclose(f), 0);
	add_line(l, 0, 100, 0.1, 0.9, 25, 50);
	assert_int_equal(learn_load(l, s->path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: line 3: pmin: ", s->path);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 100);
	learn_free(l);
}

static void load_of_oversized_file_is_efbig(void **st)
{
	struct scratch *s = *st;
	struct learn *l = learn_new(HOUR);
	char err[256] = "";
	FILE *f = fopen(s->path, "w");

	assert_non_null(f);
	fputs("virtmeter-idle-power 1\nwindow 3600\n", f);
	for (int i = 0; i < (5 << 20) / 32; i++)
		fputs("padding past the size cap......\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(learn_load(l, s->path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than"));
	learn_free(l);
}

/* A directory is neither read as a file nor replaced by a save, and the
 * failed save leaves no temporary file beside it. */
static void directory_is_neither_loaded_nor_replaced(void **st)
{
	struct scratch *s = *st;
	struct learn *l = learn_new(HOUR);
	char err[256] = "";

	assert_int_equal(mkdir(s->path, 0755), 0);
	assert_int_equal(learn_load(l, s->path, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, s->path));
	assert_int_equal(learn_save(l, s->path), -EISDIR);
	learn_free(l);
}

static void new_rejects_windows_out_of_range(void **st)
{
	struct learn *l;

	(void)st;
	assert_null(learn_new(59.9));
	assert_null(learn_new(0));
	assert_null(learn_new(-HOUR));
	assert_null(learn_new(LEARN_MAX_WINDOW_S + 1));
	assert_null(learn_new(NAN));
	assert_null(learn_new(INFINITY));
	l = learn_new(60);
	assert_non_null(l);
	learn_free(l);
	l = learn_new(LEARN_MAX_WINDOW_S);
	assert_non_null(l);
	learn_free(l);
}

static void invalid_readings_are_ignored(void **st)
{
	static const double bad[][4] = {
	    {NAN, 1, 0.5, 50}, {INFINITY, 1, 0.5, 50}, {-1, 1, 0.5, 50},
	    {10, 0, 0.5, 50},  {10, -1, 0.5, 50},      {10, NAN, 0.5, 50},
	    {10, 1, NAN, 50},  {10, 1, -0.1, 50},      {10, 1, 1.1, 50},
	    {10, 1, 0.5, NAN}, {10, 1, 0.5, -1},       {10, 1, 0.5, INFINITY},
	};
	struct learn *l = learn_new(HOUR);
	size_t n = 0;

	(void)st;
	add_line(l, 0, 100, 0.1, 0.9, 25, 50);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		learn_add(l, bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
	assert_true(fabs(learn_idle(l, &n) - 25) < 1e-6);
	assert_int_equal(n, 100);
	learn_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(idle_is_nan_until_enough_samples),
	    cmocka_unit_test(linear_history_gives_its_intercept),
	    cmocka_unit_test(low_util_floor_lifts_a_low_intercept),
	    cmocka_unit_test(idle_never_above_lowest_power_seen),
	    cmocka_unit_test(fold_averages_out_a_spread_meter),
	    cmocka_unit_test(fold_counts_whole_points_only),
	    cmocka_unit_test(fold_starts_afresh_after_a_gap),
	    cmocka_unit_test(window_drops_buckets_older_than_itself),
	    cmocka_unit_test(alike_utilisation_without_low_reading_is_nan),
	    cmocka_unit_test(alike_low_utilisation_gives_lowest_power),
	    cmocka_unit_test(format_writes_the_documented_text),
	    cmocka_unit_test(format_then_parse_gives_same_idle),
	    cmocka_unit_test(corrupt_text_is_refused_and_state_kept),
	    cmocka_unit_test(parse_keeps_only_the_newest_within_window),
	    cmocka_unit_test_setup_teardown(save_then_load_round_trips,
					    scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(load_of_missing_file_is_enoent,
					    scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(
		load_of_corrupt_file_names_it_and_keeps_state, scratch_setup,
		scratch_teardown),
	    cmocka_unit_test_setup_teardown(load_of_oversized_file_is_efbig,
					    scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(
		directory_is_neither_loaded_nor_replaced, scratch_setup,
		scratch_teardown),
	    cmocka_unit_test(new_rejects_windows_out_of_range),
	    cmocka_unit_test(invalid_readings_are_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
