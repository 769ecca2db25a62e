/* Tests of the textfile collector's pure parser of the Prometheus text
 * format (collectors/textfile/parse.c, parse_line.c): what a good file
 * gives, every rule that refuses a file with the line it names, and the
 * merge of files (collectors/textfile/merge.c): duplicates, TYPE and HELP
 * conflicts and virtmeter's own names across files. */
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

#include "collectors/textfile/merge.h"
#include "collectors/textfile/parse.h"
#include "exporter/api/base.h"

/* Parses the NUL-terminated text s into f; returns tf_parse's result. */
static int parse(struct tf_file *f, const char *s, struct tf_error *err)
{
	return tf_parse(f, s, strlen(s), err);
}

/* The family of f called name (as written), or fails the test. */
static const struct tf_family *fam(const struct tf_file *f, const char *name)
{
	for (size_t i = 0; i < f->nfams; i++)
		if (strcmp(tf_str(f, f->fams[i].name), name) == 0)
			return &f->fams[i];
	fail_msg("no family %s", name);
	return NULL;
}

/* The value of label name of sample s, or NULL. */
static const char *label(const struct tf_file *f, const struct tf_sample *s,
			 const char *name)
{
	for (uint32_t l = 0; l < s->nlabels; l++)
		if (strcmp(tf_str(f, f->labels[s->labels + l].name), name) == 0)
			return tf_str(f, f->labels[s->labels + l].value);
	return NULL;
}

static void good_file_gives_families_samples_and_labels(void **unused)
{
	static const char text[] =
	    "# A comment, then a blank line\n"
	    "\n"
	    "# HELP job_duration_seconds How long the \\\"job\\\" ran.\\nIn s.\n"
	    "# TYPE job_duration_seconds gauge\n"
	    "job_duration_seconds{job=\"backup\",host=\"a\\\\b\"} 12.5\n"
	    "job_duration_seconds { job = \"sync\" , path=\"x\\ny\", } -1.5e3\n"
	    "# TYPE job_runs_total COUNTER\n"
	    "job_runs_total{} 7\n"
	    "  plain\t.5\n"
	    "odd:name_1{a=\"é中\"} NaN\n"
	    "up_inf +Inf\n"
	    "down_inf -Infinity\n"
	    "# HELP no_text_means_a_comment\n"
	    "# TYPE\n";
	struct tf_file f = {0};
	struct tf_error err;
	const struct tf_family *g;

	(void)unused;
	assert_int_equal(parse(&f, text, &err), 0);
	assert_int_equal(f.nsamples, 7);
	g = fam(&f, "job_duration_seconds");
	assert_int_equal(g->type, TF_GAUGE);
	assert_string_equal(tf_str(&f, g->help),
			    "How long the \"job\" ran.\nIn s.");
	assert_int_equal(g->nsamples, 2);
	assert_int_equal(g->nlnames, 3);
	assert_string_equal(label(&f, &f.samples[0], "host"), "a\\b");
	assert_true(f.samples[0].value == 12.5);
	assert_string_equal(label(&f, &f.samples[1], "path"), "x\ny");
	assert_true(f.samples[1].value == -1500);
	/* Labels of a sample come sorted by name. */
	assert_string_equal(tf_str(&f, f.labels[f.samples[0].labels].name),
			    "host");
	assert_int_equal(fam(&f, "job_runs_total")->type, TF_COUNTER);
	assert_int_equal(tf_snap_len(strlen("job_runs_total"), TF_COUNTER),
			 strlen("job_runs"));
	assert_int_equal(fam(&f, "plain")->type, TF_UNTYPED);
	assert_int_equal(fam(&f, "plain")->help, TF_NONE);
	assert_true(f.samples[3].value == 0.5);
	assert_string_equal(label(&f, &f.samples[4], "a"), "é中");
	assert_true(isnan(f.samples[4].value));
	assert_true(isinf(f.samples[5].value) && f.samples[5].value > 0);
	assert_true(isinf(f.samples[6].value) && f.samples[6].value < 0);
	assert_int_equal(f.samples[6].line, 12);
	tf_file_free(&f);
}

/* Samples without labels before the first that has some: no label
 * array exists yet, and the parser must not do arithmetic on its NULL
 * (clang's -fsanitize=undefined reports NULL + 0). */
static void samples_without_labels_come_before_any_label(void **unused)
{
	struct tf_file f = {0};
	struct tf_error err = {0};

	assert_int_equal(parse(&f, "a 1\nb 2\nc{x=\"y\"} 3\n", &err), 0);
	assert_int_equal(f.nsamples, 3);
	assert_int_equal(f.samples[0].nlabels, 0);
	assert_int_equal(f.samples[1].nlabels, 0);
	assert_int_equal(f.samples[2].nlabels, 1);
	assert_string_equal(label(&f, &f.samples[2], "x"), "y");
	assert_int_equal(fam(&f, "a")->nlnames, 0);
	tf_file_free(&f);
}

static void edge_texts_that_are_accepted(void **unused)
{
	static const char *const ok[] = {
	    "",
	    "\n\n",
	    "a 1\n   \t",            /* blanks may end the text */
	    "a 1e-400\n",            /* underflow is 0, as in Go */
	    "a{b=\"\"} 1\nc 2\n",
	    "# HELP a\n# HELP a text\na 1\n", /* HELP without text: comment */
	    "# TYPE a gauge\n# HELP a h\na 1\n",
	    "a{x=\"1\"}2\n",         /* Go takes a value right after '}' */
	    "#HELP a text\na 1\n",
	    "a 0001.5000\n",
	    "a 1.\n",
	    "a -0\n",
	    "# TYPE a_total counter\n# TYPE a counter\na_total 1\n",
	};
	struct tf_file f = {0};
	struct tf_error err;

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		int rc = parse(&f, ok[i], &err);

		if (rc)
			fail_msg("text %zu refused: line %u: %s", i, err.line,
				 err.msg);
	}
	parse(&f, "a 1e-400\n", &err);
	assert_true(f.samples[0].value == 0);
	tf_file_free(&f);
}

/* A text that must be refused at line, with words in the reason. */
struct bad {
	const char *text;
	unsigned line;
	const char *words;
};

static const struct bad bad_texts[] = {
    {"1abc 1\n", 1, "invalid metric name"},
    {"a-b 1\n", 1, "invalid metric name"},
    {"ok 1\n\"quoted\" 1\n", 2, "invalid metric name"},
    {"{\"a\"} 1\n", 1, "invalid metric name"},
    {"# HELP 1abc text\n", 1, "invalid metric name"},
    {"# TYPE a-b gauge\n", 1, "invalid metric name"},
    {"a{1b=\"x\"} 1\n", 1, "invalid label name"},
    {"a{b-c=\"x\"} 1\n", 1, "expected '='"},
    {"a{__name__=\"x\"} 1\n", 1, "reserved"},
    {"a{b=\"1\",b=\"2\"} 1\n", 1, "given twice"},
    {"a{b=x} 1\n", 1, "expected '\"'"},
    {"a{b=\"x\" c=\"y\"} 1\n", 1, "expected ',' or '}'"},
    {"a{b=\"x} 1\n", 1, "not closed"},
    {"a{b=\"\\t\"} 1\n", 1, "invalid escape"},
    {"# HELP a bad \\x escape\na 1\n", 1, "invalid escape"},
    {"# HELP a ends in \\\na 1\n", 1, "invalid escape"},
    {"a{b=\"\xff\"} 1\n", 1, "UTF-8"},
    {"a{b=\"\xc0\xaf\"} 1\n", 1, "UTF-8"},          /* overlong '/' */
    {"a{b=\"\xed\xa0\x80\"} 1\n", 1, "UTF-8"},      /* a surrogate */
    {"# HELP a caf\xe9\na 1\n", 1, "UTF-8"},
    {"a 1\nb abc\n", 2, "expected a number"},
    {"a 1_000\n", 1, "expected a number"},
    {"a 0x1p3\n", 1, "expected a number"},
    {"a 1e\n", 1, "expected a number"},
    {"a --1\n", 1, "expected a number"},
    {"a +nan\n", 1, "expected a number"},
    {"a 1e999\n", 1, "expected a number"},
    {"a 1\r\n", 1, "DOS line ends"},
    {"a\n", 1, "expected a value"},
    {"a{b=\"1\"}\n", 1, "expected a value"},
    {"a 1 1700000000000\n", 1, "no timestamp"},
    {"a 1 x\n", 1, "no timestamp"},
    {"a 1 \n", 1, "blanks after the value"},
    {"# HELP a one\n# HELP a two\na 1\n", 2, "second HELP"},
    {"# TYPE a gauge\n# TYPE a gauge\na 1\n", 2, "second TYPE"},
    {"a 1\n# TYPE a gauge\n", 2, "after its samples"},
    {"# TYPE a histogram\na_bucket{le=\"1\"} 1\n", 1, "not supported"},
    {"# TYPE a summary\na_sum 1\n", 1, "not supported"},
    {"# TYPE a gaugehistogram\n", 1, "not supported"},
    {"# TYPE a number\na 1\n", 1, "unknown TYPE"},
    {"# TYPE a gauge extra\na 1\n", 1, "unknown TYPE"},
    {"# TYPE runs counter\nruns 1\n", 2, "must be named runs_total"},
    {"# TYPE _total counter\n_total 1\n", 2, "must be named"},
    {"a{x=\"1\",y=\"2\"} 1\nb 1\na{y=\"2\",x=\"1\"} 3\n", 3, "same series as line 1"},
    {"a{x=\"1\"} 1\na{x=\"1\",y=\"\"} 2\n", 2, "same series as line 1"},
    {"a 1\na 2\n", 2, "same series"},
    {"a 1\n# TYPE a_total counter\na_total 2\n", 3, "served under one name"},
    {"# TYPE a_total counter\na_total 1\n# TYPE a_total_total counter\n"
     "a_total_total 1\n", 4, "served under one name"},
    {"a{l1=\"1\",l2=\"1\",l3=\"1\",l4=\"1\",l5=\"1\",l6=\"1\",l7=\"1\","
     "l8=\"1\",l9=\"1\"} 1\n", 1, "more than 8 labels"},
    {"a{l1=\"1\",l2=\"1\",l3=\"1\",l4=\"1\",l5=\"1\"} 1\n"
     "a{l6=\"1\",l7=\"1\",l8=\"1\",l9=\"1\"} 1\n", 2, "more than 8 label names"},
    {"a 1\nb 2", 2, "no newline at the end"},
    {"a 1\nb{c=\"trunc", 2, "no newline at the end"},
};

static void each_broken_rule_refuses_the_file_at_its_line(void **unused)
{
	struct tf_file f = {0};
	struct tf_error err;

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(bad_texts); i++) {
		const struct bad *b = &bad_texts[i];
		int rc = parse(&f, b->text, &err);

		if (rc != -EINVAL)
			fail_msg("text %zu (%s) gave %d, not -EINVAL", i,
				 b->text, rc);
		if (err.line != b->line || !strstr(err.msg, b->words))
			fail_msg("text %zu (%s): line %u \"%s\", expected "
				 "line %u with \"%s\"", i, b->text, err.line,
				 err.msg, b->line, b->words);
	}
	tf_file_free(&f);
}

static void nul_byte_is_refused_without_reading_past_the_length(void **unused)
{
	static const char text[] = "a 1\nb{c=\"x\0y\"} 1\n";
	struct tf_file f = {0};
	struct tf_error err;
	char *copy = malloc(4);

	(void)unused;
	assert_int_equal(tf_parse(&f, text, sizeof(text) - 1, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "NUL"));
	/* Exactly four bytes, no NUL after them: nothing past is read
	 * (the address sanitizer of the fuzz build watches this too). */
	assert_non_null(copy);
	memcpy(copy, "a 1\n", 4);
	assert_int_equal(tf_parse(&f, copy, 4, &err), 0);
	assert_int_equal(f.nsamples, 1);
	free(copy);
	tf_file_free(&f);
}

static void one_line_parses_on_its_own(void **unused)
{
	struct tf_line ln;
	char err[128], out[32];
	static const char s[] = "x{a=\"q\\\"\\\\\\n\"} 2";

	(void)unused;
	assert_int_equal(tf_parse_line(s, strlen(s), &ln, err, sizeof(err)), 0);
	assert_int_equal(ln.kind, TF_LINE_SAMPLE);
	assert_int_equal(ln.nlabels, 1);
	assert_int_equal(tf_unescape(ln.lvalue[0], out), 4);
	assert_memory_equal(out, "q\"\\\n", 4);
	assert_int_equal(tf_parse_line("  # TYPE x gauge", 16, &ln, err,
				       sizeof(err)), 0);
	assert_int_equal(ln.kind, TF_LINE_TYPE);
	assert_int_equal(ln.type, TF_GAUGE);
	assert_int_equal(tf_parse_line("\t ", 2, &ln, err, sizeof(err)), 0);
	assert_int_equal(ln.kind, TF_LINE_EMPTY);
	assert_true(tf_utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(tf_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(tf_utf8_valid("\xe2\x82", 2));         /* cut short */
}

/* ---- the merge of files ------------------------------------------------- */

static const struct snap_family builtin_counter = {
    .name = "virtmeter_host_cpu_seconds", .help = "h", .type = SNAP_COUNTER,
    .labels = {"mode", NULL}};
static const struct snap_family builtin_gauge = {
    .name = "virtmeter_host_cpus", .help = "h", .type = SNAP_GAUGE,
    .labels = {NULL}};
static const struct snap_family *const builtins[] = {
    &builtin_counter, &builtin_gauge, NULL};

/* Parses text into f (which must parse) and offers it to m as path.
 * Returns tf_merge_add's result. */
static int offer(struct tf_merge *m, struct tf_file *f, const char *path,
		 const char *text, struct tf_error *err)
{
	assert_int_equal(parse(f, text, err), 0);
	return tf_merge_add(m, f, path, err);
}

/* The family called name in set, or NULL. */
static const struct snap_fam_entry *set_fam(const struct snap_set *set,
					    const char *name)
{
	for (size_t i = 0; i < set->nfams; i++)
		if (strcmp(set->fams[i].desc->name, name) == 0)
			return &set->fams[i];
	return NULL;
}

static void conflicts_across_files_refuse_the_later_file(void **unused)
{
	/* Each row: the first file (taken), the second (refused), words. */
	static const char *const rows[][3] = {
	    {"a{x=\"1\"} 1\n", "b 1\na{x=\"1\"} 2\n", "same series as a.prom:1"},
	    {"# TYPE a gauge\na 1\n", "a{x=\"2\"} 2\n",
	     "TYPE untyped here, gauge in a.prom:1"},
	    {"# TYPE a_total counter\na_total 1\n",
	     "# TYPE a_total gauge\na_total{x=\"1\"} 1\n",
	     "TYPE gauge here, counter in a.prom:1"},
	    {"# HELP a one\na 1\n", "# HELP a two\na{x=\"2\"} 1\n",
	     "another HELP"},
	    {"a 1\n", "# TYPE a_total counter\na_total 1\n",
	     "served under one name, a,"},
	    {"a{l1=\"1\",l2=\"1\",l3=\"1\",l4=\"1\",l5=\"1\"} 1\n",
	     "a{l6=\"1\",l7=\"1\",l8=\"1\",l9=\"1\"} 1\n", "more than 8"},
	};
	struct tf_file f1 = {0}, f2 = {0};
	struct tf_merge m = {0};
	struct tf_error err;

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		tf_merge_reset(&m);
		assert_int_equal(offer(&m, &f1, "a.prom", rows[i][0], &err), 0);
		if (offer(&m, &f2, "b.prom", rows[i][1], &err) != -EINVAL ||
		    !strstr(err.msg, rows[i][2]))
			fail_msg("row %zu: \"%s\", expected \"%s\"", i,
				 err.msg, rows[i][2]);
		assert_int_equal(m.nfiles, 1);
	}
	tf_file_free(&f1);
	tf_file_free(&f2);
	tf_merge_free(&m);
}

static void own_family_names_are_refused_as_written_and_as_served(void **unused)
{
	static const char *const texts[] = {
	    "# TYPE virtmeter_host_cpu_seconds_total counter\n"
	    "virtmeter_host_cpu_seconds_total{mode=\"user\"} 1\n",
	    "virtmeter_host_cpu_seconds_total{mode=\"x\"} 1\n",
	    "virtmeter_host_cpu_seconds 1\n",
	    "virtmeter_host_cpus 1\n",
	    "# TYPE virtmeter_host_cpus_total counter\n"
	    "virtmeter_host_cpus_total 1\n",
	};
	struct tf_file f = {0};
	struct tf_merge m = {0};
	struct tf_error err;

	(void)unused;
	assert_int_equal(tf_merge_reserve(&m, builtins), 0);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		tf_merge_reset(&m);
		if (offer(&m, &f, "x.prom", texts[i], &err) != -EINVAL ||
		    !strstr(err.msg, "virtmeter's own"))
			fail_msg("text %zu taken (%s)", i, err.msg);
	}
	tf_merge_reset(&m);
	assert_int_equal(offer(&m, &f, "x.prom",
			       "virtmeter_host_cpus_online 1\n", &err), 0);
	tf_file_free(&f);
	tf_merge_free(&m);
}

static void merged_files_make_one_family_each(void **unused)
{
	struct tf_file f1 = {0}, f2 = {0};
	struct tf_merge m = {0};
	struct tf_error err;
	struct snap_set *set = snap_set_new();
	const struct snap_fam_entry *e;
	const char *v;

	(void)unused;
	assert_non_null(set);
	assert_int_equal(offer(&m, &f1, "/d/a.prom",
			       "# TYPE jobs gauge\njobs{job=\"a\"} 1\n"
			       "# TYPE runs_total counter\nruns_total 4\n"
			       "# TYPE read_bytes_total counter\n"
			       "read_bytes_total 5\nloose 9\nage_seconds 3\n",
			       &err), 0);
	assert_int_equal(offer(&m, &f2, "/d/b.prom",
			       "# HELP jobs Jobs.\n# TYPE jobs gauge\n"
			       "jobs{host=\"h\"} 2\nloose{k=\"v\"} 8\n",
			       &err), 0);
	assert_int_equal(tf_merge_emit(&m, set), 0);
	e = set_fam(set, "jobs");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->desc->type, SNAP_GAUGE);
	assert_string_equal(e->desc->help, "Jobs.");
	assert_string_equal(e->desc->labels[0], "host");
	assert_string_equal(e->desc->labels[1], "job");
	assert_null(e->desc->labels[2]);
	/* The sample of a.prom has no host: "". */
	v = snap_sample_labels(set, &set->samples[e->first]);
	assert_string_equal(v, "");
	assert_string_equal(v + 1, "a");
	e = set_fam(set, "runs");
	assert_non_null(e);
	assert_int_equal(e->desc->type, SNAP_COUNTER);
	assert_true(set->samples[e->first].value == 4);
	assert_null(e->desc->unit);
	/* A name ending in a base unit gets it (OpenMetrics' UNIT line). */
	assert_string_equal(set_fam(set, "read_bytes")->desc->unit, "bytes");
	assert_string_equal(set_fam(set, "age_seconds")->desc->unit, "seconds");
	e = set_fam(set, "loose");
	assert_non_null(e);
	assert_int_equal(e->desc->type, SNAP_UNTYPED);
	assert_string_equal(e->desc->help,
			    "Metric read from /d/a.prom, /d/b.prom");
	/* The families belong to the set: they outlive the files. */
	tf_file_free(&f1);
	tf_file_free(&f2);
	tf_merge_free(&m);
	assert_string_equal(set_fam(set, "loose")->desc->labels[0], "k");
	snap_set_unref(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_file_gives_families_samples_and_labels),
	    cmocka_unit_test(samples_without_labels_come_before_any_label),
	    cmocka_unit_test(edge_texts_that_are_accepted),
	    cmocka_unit_test(each_broken_rule_refuses_the_file_at_its_line),
	    cmocka_unit_test(nul_byte_is_refused_without_reading_past_the_length),
	    cmocka_unit_test(one_line_parses_on_its_own),
	    cmocka_unit_test(conflicts_across_files_refuse_the_later_file),
	    cmocka_unit_test(own_family_names_are_refused_as_written_and_as_served),
	    cmocka_unit_test(merged_files_make_one_family_each),
	};

	return cmocka_run_group_tests_name("textfile_parse", tests, NULL, NULL);
}
