/* The textfile collector run end to end (init, collect, fini) on a
 * directory made by each test: good files with their mtime, each kind of
 * bad file skipped whole while the others are served, conflicts across
 * files and with virtmeter's own families, files that change, vanish or
 * turn into a FIFO between the listing and the read, and one log line per
 * bad file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "tests/unit/harness.h"

extern const struct collector textfile_collector;

/* ---- a directory of files ---------------------------------------------- */

static char dir[64];

/* Makes a fresh empty directory for the test. */
static int make_dir(void **unused)
{
	(void)unused;
	snprintf(dir, sizeof(dir), "/tmp/vm-textfile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

/* Removes the test's directory and what it holds. */
static int remove_dir(void **unused)
{
	char cmd[128];

	(void)unused;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* DIR/name, in one of a few static buffers. */
static const char *at(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Writes text to DIR/name with its mtime set to mtime (0: now), through
 * a temporary file renamed into place, as the README tells jobs to. */
static void put(const char *name, const char *text, time_t mtime)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", at(name));
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	if (mtime) {
		struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};

		assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	}
	assert_int_equal(rename(tmp, at(name)), 0);
}

/* ---- openat, interposed ---------------------------------------------- */

/* The file that openat removes (and, with hook_fifo, replaces by a FIFO)
 * just before opening it: a file that goes between the listing and the
 * read, at the exact moment that matters. */
static const char *hook_name;
static bool hook_fifo;

int openat(int dfd, const char *path, int flags, ...);

int openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (hook_name && strcmp(path, hook_name) == 0) {
		hook_name = NULL;
		unlinkat(dfd, path, 0);
		if (hook_fifo)
			mkfifoat(dfd, path, 0600);
	}
	return (int)syscall(SYS_openat, dfd, path, flags, mode);
}

/* ---- the collector --------------------------------------------------- */

/* The collector started on the test's directory (or on path). */
static struct harness *start_on(const char *path)
{
	const struct harness_setting s[] = {{"directory", path}, {NULL, NULL}};

	return harness_start(&textfile_collector,
			     &(struct harness_opts){.settings = s});
}

static double scrape_error(const struct snap_set *s)
{
	return harness_one(s, "virtmeter_textfile_scrape_error", NULL);
}

static double mtime(const struct snap_set *s, const char *name)
{
	return harness_one(s, "virtmeter_textfile_mtime_seconds", "file",
			   at(name), NULL);
}

/* The family entry called name in s (as kept: a counter without _total),
 * or NULL. */
static const struct snap_fam_entry *family(const struct snap_set *s,
					   const char *name)
{
	for (size_t i = 0; i < s->nfams; i++)
		if (strcmp(s->fams[i].desc->name, name) == 0)
			return &s->fams[i];
	return NULL;
}

static void without_directory_only_the_error_gauge_is_exported(void **unused)
{
	struct harness *h = harness_start(&textfile_collector, NULL);
	struct snap_set *s1 = harness_cycle(h), *s2;

	(void)unused;
	assert_true(scrape_error(s1) == 0);
	assert_int_equal(s1->nfams, 1);
	assert_int_equal(s1->nsamples, 1);
	s2 = harness_cycle(h);
	assert_ptr_equal(s1, s2); /* unchanged: the same set stays served */
	harness_release(s1);
	harness_release(s2);
	harness_stop(h);
}

static void good_files_are_served_with_their_mtime(void **unused)
{
	struct harness *h;
	struct snap_set *s;
	const struct snap_fam_entry *e;
	char sub[300];

	(void)unused;
	put("a.prom",
	    "# HELP backup_last_success_seconds When the backup last worked.\n"
	    "# TYPE backup_last_success_seconds gauge\n"
	    "backup_last_success_seconds{job=\"home\"} 1700000000\n"
	    "# TYPE backup_runs_total counter\n"
	    "backup_runs_total{job=\"home\"} 42\n",
	    1600000000);
	put("b.prom", "apt_upgrades_pending{origin=\"security\"} 3\n",
	    1600000100);
	put("notes.txt", "not_read 1\n", 0);
	put("c.prom.tmp", "not_read 1\n", 0);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	put("sub/d.prom", "not_read 1\n", 0);
	h = start_on(dir);
	s = harness_cycle(h);
	assert_true(harness_one(s, "backup_last_success_seconds", "job", "home",
				NULL) == 1700000000);
	assert_true(harness_one(s, "backup_runs", "job", "home", NULL) == 42);
	assert_true(harness_one(s, "apt_upgrades_pending", "origin",
				"security", NULL) == 3);
	e = family(s, "backup_runs");
	assert_int_equal(e->desc->type, SNAP_COUNTER);
	e = family(s, "backup_last_success_seconds");
	assert_string_equal(e->desc->help, "When the backup last worked.");
	e = family(s, "apt_upgrades_pending");
	assert_int_equal(e->desc->type, SNAP_UNTYPED);
	snprintf(sub, sizeof(sub), "Metric read from %s", at("b.prom"));
	assert_string_equal(e->desc->help, sub);
	assert_null(family(s, "not_read"));
	assert_true(mtime(s, "a.prom") == 1600000000);
	assert_true(mtime(s, "b.prom") == 1600000100);
	assert_int_equal(harness_count(s, "virtmeter_textfile_mtime_seconds",
				       NULL), 2);
	assert_true(scrape_error(s) == 0);
	harness_release(s);
	harness_stop(h);
}

/* A bad file's text (NULL for the special files made by the test), and
 * why it is refused. */
static const char *const bad_texts[] = {
    "bad_sample 1\n1bad 2\n",                      /* invalid name */
    "bad_sample{l=\"\xff\"} 1\n",                  /* invalid UTF-8 */
    "bad_sample{l=\"\\q\"} 1\n",                   /* bad escape */
    "bad_sample one\n",                            /* not a number */
    "bad_sample 1 1700000000000\n",                /* a timestamp */
    "bad_sample 1\nbad_sample 2\n",                /* a duplicate */
    "bad_sample 1\n# TYPE bad_sample gauge\n",     /* TYPE after samples */
    "# TYPE bad_sample histogram\nbad_sample_sum 1\n",
    "# TYPE bad_sample counter\nbad_sample 1\n",   /* counter without _total */
    "bad_sample 1\nvirtmeter_host_cpu_seconds_total{mode=\"user\"} 1\n",
    "bad_sample 1\ncut_short 2",                   /* no final newline */
};

/* Checks a cycle where good.prom is served and bad.prom is skipped whole. */
static void check_bad_skipped(struct harness *h, const char *what)
{
	struct snap_set *s = harness_cycle(h);

	if (harness_count(s, "bad_sample", NULL) != 0 || scrape_error(s) != 1)
		fail_msg("%s: bad.prom was not skipped whole", what);
	assert_true(harness_one(s, "good_sample", NULL) == 1);
	assert_true(mtime(s, "good.prom") == 1600000000);
	assert_int_equal(harness_count(s, "virtmeter_textfile_mtime_seconds",
				       "file", at("bad.prom"), NULL), 0);
	harness_release(s);
}

static void a_bad_file_is_skipped_whole_and_the_others_served(void **unused)
{
	struct harness *h;
	char big[256];
	FILE *f;

	(void)unused;
	put("good.prom", "good_sample 1\n", 1600000000);
	h = start_on(dir);
	for (size_t i = 0; i < ARRAY_SIZE(bad_texts); i++) {
		put("bad.prom", bad_texts[i], 0);
		check_bad_skipped(h, bad_texts[i]);
	}
	assert_int_equal(unlink(at("bad.prom")), 0);
	assert_int_equal(mkfifo(at("bad.prom"), 0600), 0);
	check_bad_skipped(h, "a FIFO");
	assert_int_equal(unlink(at("bad.prom")), 0);
	assert_int_equal(mkdir(at("bad.prom"), 0700), 0);
	check_bad_skipped(h, "a directory");
	assert_int_equal(rmdir(at("bad.prom")), 0);
	assert_int_equal(symlink(at("nowhere"), at("bad.prom")), 0);
	check_bad_skipped(h, "a dangling symbolic link");
	assert_int_equal(unlink(at("bad.prom")), 0);
	snprintf(big, sizeof(big), "%s", at("bad.prom"));
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("bad_sample 1\n", f);
	for (int i = 0; i < (4 << 20) / 16; i++)
		fputs("# padding......\n", f); /* 16 bytes */
	assert_int_equal(fclose(f), 0);
	check_bad_skipped(h, "a file over 4 MiB");
	harness_stop(h);
}

static void conflicts_across_files_skip_the_later_file(void **unused)
{
	/* a.prom is read first (by name) and kept; b.prom conflicts. */
	static const char *const second[] = {
	    "bad_sample 1\nshared{k=\"1\"} 5\n",              /* duplicate */
	    "bad_sample 1\n# TYPE shared gauge\nshared{k=\"2\"} 5\n",
	    "bad_sample 1\n# HELP shared Other help.\nshared{k=\"3\"} 5\n",
	    "bad_sample 1\n# TYPE shared_total counter\nshared_total 5\n",
	};
	struct harness *h;

	(void)unused;
	put("a.prom", "# HELP shared Shared.\nshared{k=\"1\"} 4\n", 0);
	h = start_on(dir);
	for (size_t i = 0; i < ARRAY_SIZE(second); i++) {
		struct snap_set *s;

		put("b.prom", second[i], 0);
		s = harness_cycle(h);
		if (harness_count(s, "bad_sample", NULL) != 0)
			fail_msg("b.prom taken: %s", second[i]);
		assert_true(harness_one(s, "shared", "k", "1", NULL) == 4);
		assert_int_equal(harness_count(s, "shared", NULL), 1);
		assert_true(scrape_error(s) == 1);
		harness_release(s);
	}
	/* The same family without conflict joins: one family, two files. */
	put("b.prom", "# HELP shared Shared.\nshared{k=\"2\",x=\"y\"} 6\n", 0);
	{
		struct snap_set *s = harness_cycle(h);

		assert_true(harness_one(s, "shared", "k", "2", NULL) == 6);
		assert_true(harness_one(s, "shared", "k", "1", "x", "", NULL) ==
			    4);
		assert_true(scrape_error(s) == 0);
		harness_release(s);
	}
	harness_stop(h);
}

static void own_family_name_is_refused(void **unused)
{
	struct harness *h;
	struct snap_set *s;

	(void)unused;
	put("a.prom", "# TYPE virtmeter_host_cpu_seconds_total counter\n"
		      "virtmeter_host_cpu_seconds_total{mode=\"user\"} 1\n", 0);
	put("b.prom", "virtmeter_textfile_scrape_error 0\n", 0);
	put("c.prom", "fine 1\n", 0);
	h = start_on(dir);
	s = harness_cycle(h);
	/* Neither file is served: one sample of the collector's own gauge. */
	assert_null(family(s, "virtmeter_host_cpu_seconds"));
	assert_true(scrape_error(s) == 1);
	assert_true(harness_one(s, "fine", NULL) == 1);
	harness_release(s);
	harness_stop(h);
}

static void a_file_that_vanishes_before_it_is_read_is_skipped(void **unused)
{
	struct harness *h;
	struct snap_set *s;

	(void)unused;
	put("a.prom", "before 1\n", 0);
	put("b.prom", "gone 1\n", 0);
	put("c.prom", "after 1\n", 0);
	h = start_on(dir);
	hook_name = "b.prom";
	hook_fifo = false;
	s = harness_cycle(h);
	assert_null(hook_name); /* the hook ran: b.prom went before open */
	assert_int_equal(harness_count(s, "gone", NULL), 0);
	assert_true(harness_one(s, "before", NULL) == 1);
	assert_true(harness_one(s, "after", NULL) == 1);
	/* A file that is gone is not an error: it was listed a moment too
	 * early, as if the listing had come later. */
	assert_true(scrape_error(s) == 0);
	harness_release(s);
	harness_stop(h);
}

static void a_fifo_swapped_in_before_open_is_refused_without_blocking(void **unused)
{
	struct harness *h;
	struct snap_set *s;

	(void)unused;
	put("a.prom", "swapped 1\n", 0);
	put("b.prom", "kept 1\n", 0);
	h = start_on(dir);
	hook_name = "a.prom";
	hook_fifo = true;
	s = harness_cycle(h); /* blocks forever if the open blocks */
	assert_null(hook_name);
	assert_int_equal(harness_count(s, "swapped", NULL), 0);
	assert_true(harness_one(s, "kept", NULL) == 1);
	assert_true(scrape_error(s) == 1);
	harness_release(s);
	harness_stop(h);
}

static void changes_are_read_and_an_unchanged_directory_is_not(void **unused)
{
	struct harness *h;
	struct snap_set *s1, *s2, *s3, *s4;

	(void)unused;
	put("a.prom", "value 1\n", 1600000000);
	put("b.prom", "other 1\n", 1600000000);
	h = start_on(dir);
	s1 = harness_cycle(h);
	s2 = harness_cycle(h);
	assert_ptr_equal(s1, s2);
	put("a.prom", "value 2\n", 1600000500);
	s3 = harness_cycle(h);
	assert_ptr_not_equal(s2, s3);
	assert_true(harness_one(s3, "value", NULL) == 2);
	assert_true(mtime(s3, "a.prom") == 1600000500);
	assert_int_equal(unlink(at("a.prom")), 0);
	s4 = harness_cycle(h);
	assert_int_equal(harness_count(s4, "value", NULL), 0);
	assert_int_equal(harness_count(s4, "virtmeter_textfile_mtime_seconds",
				       "file", at("a.prom"), NULL), 0);
	assert_true(harness_one(s4, "other", NULL) == 1);
	assert_true(scrape_error(s4) == 0);
	/* The families of an earlier set stay valid while it is held. */
	assert_string_equal(family(s1, "value")->desc->name, "value");
	harness_release(s1);
	harness_release(s2);
	harness_release(s3);
	harness_release(s4);
	harness_stop(h);
}

/* Runs cycles of h with stderr in a file; returns how many lines of it
 * name bad.prom. */
static int count_logged(struct harness *h, int cycles, int *touch)
{
	char path[300], line[1024];
	int saved = dup(2), fd, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	close(fd);
	for (int i = 0; i < cycles; i++) {
		char text[64];

		/* Another file changes every cycle, so each one reads. */
		snprintf(text, sizeof(text), "tick %d\n", (*touch)++);
		put("tick.prom", text, 0);
		harness_release(harness_cycle(h));
	}
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "bad.prom:2:") && strstr(line, "skipped"))
			n++;
	fclose(f);
	return n;
}

static void a_bad_file_is_logged_once_while_it_stays_bad(void **unused)
{
	struct harness *h;
	int touch = 0;

	(void)unused;
	put("bad.prom", "ok 1\n1bad 2\n", 0);
	h = start_on(dir);
	assert_int_equal(count_logged(h, 4, &touch), 1);
	put("bad.prom", "ok 1\nbad two\n", 0);
	assert_int_equal(count_logged(h, 3, &touch), 1);
	harness_stop(h);
}

static void missing_directory_sets_the_error_and_stays_up(void **unused)
{
	struct harness *h;
	struct snap_set *s;

	(void)unused;
	h = start_on(at("later"));
	s = harness_cycle(h);
	assert_true(scrape_error(s) == 1);
	harness_release(s);
	assert_int_equal(mkdir(at("later"), 0700), 0);
	put("later/x.prom", "x 1\n", 0);
	s = harness_cycle(h);
	assert_true(scrape_error(s) == 0);
	assert_true(harness_one(s, "x", NULL) == 1);
	harness_release(s);
	harness_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(without_directory_only_the_error_gauge_is_exported),
	    cmocka_unit_test_setup_teardown(
		good_files_are_served_with_their_mtime, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(
		a_bad_file_is_skipped_whole_and_the_others_served, make_dir,
		remove_dir),
	    cmocka_unit_test_setup_teardown(
		conflicts_across_files_skip_the_later_file, make_dir,
		remove_dir),
	    cmocka_unit_test_setup_teardown(own_family_name_is_refused,
					    make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(
		a_file_that_vanishes_before_it_is_read_is_skipped, make_dir,
		remove_dir),
	    cmocka_unit_test_setup_teardown(
		a_fifo_swapped_in_before_open_is_refused_without_blocking,
		make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(
		changes_are_read_and_an_unchanged_directory_is_not, make_dir,
		remove_dir),
	    cmocka_unit_test_setup_teardown(
		a_bad_file_is_logged_once_while_it_stays_bad, make_dir,
		remove_dir),
	    cmocka_unit_test_setup_teardown(
		missing_directory_sets_the_error_and_stays_up, make_dir,
		remove_dir),
	};

	return cmocka_run_group_tests_name("textfile_collector", tests, NULL,
					   NULL);
}
