/* Unit tests of the collect[] selection: the parser of the values into a
 * set of collectors (order and repetitions do not matter, unknown and
 * disabled names refused with the names a client may use), and the copy of
 * the self-metrics that keeps the selected collectors' series only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/filter.h"

static const char *const names[] = {"host", "process", "cgroup", "perf"};
static const bool enabled[] = {true, true, true, false};
static const struct filter_known known = {
	.names = names, .enabled = enabled, .n = 4};

static char err[512];

/* Parses the NULL-terminated values into *mask. */
static int parse(const char *const *values, uint32_t *mask)
{
	size_t n = 0;

	while (values[n])
		n++;
	err[0] = '\0';
	return filter_parse(values, n, &known, mask, err, sizeof(err));
}

static void one_collector_sets_its_bit(void **state)
{
	uint32_t mask = 99;

	(void)state;
	assert_int_equal(parse((const char *[]){"cgroup", NULL}, &mask), 0);
	assert_int_equal(mask, 1u << 2);
	assert_int_equal(parse((const char *[]){"host", NULL}, &mask), 0);
	assert_int_equal(mask, 1u << 0);
}

static void order_and_repetitions_give_the_same_mask(void **state)
{
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(parse((const char *[]){"host", "process", NULL}, &a), 0);
	assert_int_equal(parse((const char *[]){"process", "host", NULL}, &b), 0);
	assert_int_equal(parse((const char *[]){"process", "host", "process",
						 "host", NULL},
			       &c),
			 0);
	assert_int_equal(a, (1u << 0) | (1u << 1));
	assert_int_equal(b, a);
	assert_int_equal(c, a);
}

static void an_unknown_name_lists_the_known_ones(void **state)
{
	uint32_t mask = 99;

	(void)state;
	assert_int_equal(parse((const char *[]){"host", "gpu", NULL}, &mask),
			 -EINVAL);
	assert_int_equal(mask, 0);
	assert_string_equal(err, "collect[]: unknown collector 'gpu'; known "
				 "collectors: host, process, cgroup, perf");
	/* Names are matched exactly: no prefix, no case folding. */
	assert_int_equal(parse((const char *[]){"Host", NULL}, &mask), -EINVAL);
	assert_int_equal(parse((const char *[]){"hos", NULL}, &mask), -EINVAL);
	assert_int_equal(parse((const char *[]){"host,process", NULL}, &mask),
			 -EINVAL);
	assert_int_equal(parse((const char *[]){"", NULL}, &mask), -EINVAL);
	assert_non_null(strstr(err, "unknown collector ''"));
}

static void a_disabled_collector_lists_the_enabled_ones(void **state)
{
	uint32_t mask = 99;

	(void)state;
	assert_int_equal(parse((const char *[]){"perf", NULL}, &mask), -EINVAL);
	assert_string_equal(err, "collect[]: collector 'perf' is disabled; "
				 "enabled collectors: host, process, cgroup");
}

static void a_hostile_name_is_quoted_safely(void **state)
{
	char long_name[300];
	uint32_t mask;

	(void)state;
	assert_int_equal(parse((const char *[]){"a'b\n<c>\x80", NULL}, &mask),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown collector 'a?b?<c>?'"));
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(parse((const char *[]){long_name, NULL}, &mask),
			 -EINVAL);
	assert_non_null(strstr(err, "'" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));
}

static void too_many_values_are_refused(void **state)
{
	const char *values[FILTER_MAX_VALUES + 1];
	uint32_t mask;

	(void)state;
	for (size_t i = 0; i < FILTER_MAX_VALUES + 1; i++)
		values[i] = "host";
	assert_int_equal(filter_parse(values, FILTER_MAX_VALUES, &known,
				      &mask, err, sizeof(err)),
			 0);
	assert_int_equal(filter_parse(values, FILTER_MAX_VALUES + 1, &known,
				      &mask, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "collect[]: more than 64 values");
}

static void a_short_error_buffer_is_cut_not_overrun(void **state)
{
	char small[16];
	uint32_t mask;

	(void)state;
	memset(small, '#', sizeof(small));
	assert_int_equal(filter_parse((const char *[]){"gpu"}, 1, &known,
				      &mask, small, 10),
			 -EINVAL);
	assert_string_equal(small, "collect[]");
	assert_int_equal(small[10], '#');
}

static const struct snap_family fam_up = {
	.name = "t_collector_up", .help = "Up.", .type = SNAP_GAUGE,
	.labels = {"collector"},
};
static const struct snap_family fam_info = {
	.name = "t_build_info", .help = "Info.", .type = SNAP_GAUGE,
	.labels = {"version", "features"},
};

/* The value of the sample of fam labelled v in set, or -1 if absent. */
static double find(const struct snap_set *set, const struct snap_family *fam,
		   const char *v)
{
	for (size_t f = 0; f < set->nfams; f++) {
		const struct snap_fam_entry *e = &set->fams[f];

		if (e->desc != fam)
			continue;
		for (uint32_t s = e->first; s != UINT32_MAX;
		     s = set->samples[s].next)
			if (strcmp(snap_sample_labels(set, &set->samples[s]),
				   v) == 0)
				return set->samples[s].value;
	}
	return -1;
}

static void self_metrics_keep_the_selected_collectors_only(void **state)
{
	struct snap_set *self = snap_set_new(), *out;

	(void)state;
	snap_add(self, &fam_info, 1, "1.0", "gzip");
	snap_add(self, &fam_up, 1, "host");
	snap_add(self, &fam_up, 0, "process");
	snap_add(self, &fam_up, 1, "cgroup");
	snap_add(self, &fam_up, 1, "not-a-collector");
	out = filter_self_set(self, (1u << 1) | (1u << 2), &known);
	assert_non_null(out);
	/* A double, not an integer: -1.0 converted to cmocka's unsigned
	 * integer type is undefined behaviour. */
	assert_float_equal(find(out, &fam_up, "host"), -1, 0);
	assert_int_equal(find(out, &fam_up, "process"), 0);
	assert_int_equal(find(out, &fam_up, "cgroup"), 1);
	/* A value that names no collector is not the filter's business. */
	assert_int_equal(find(out, &fam_up, "not-a-collector"), 1);
	/* Families without a collector label are kept whole, labels too. */
	assert_int_equal(find(out, &fam_info, "1.0"), 1);
	assert_string_equal(
	    snap_sample_labels(out, &out->samples[out->fams[0].first]) + 4,
	    "gzip");
	assert_int_equal(out->nsamples, 4);
	snap_set_unref(out);
	out = filter_self_set(NULL, 1, &known);
	assert_non_null(out);
	assert_int_equal(out->nsamples, 0);
	snap_set_unref(out);
	snap_set_unref(self);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_collector_sets_its_bit),
		cmocka_unit_test(order_and_repetitions_give_the_same_mask),
		cmocka_unit_test(an_unknown_name_lists_the_known_ones),
		cmocka_unit_test(a_disabled_collector_lists_the_enabled_ones),
		cmocka_unit_test(a_hostile_name_is_quoted_safely),
		cmocka_unit_test(too_many_values_are_refused),
		cmocka_unit_test(a_short_error_buffer_is_cut_not_overrun),
		cmocka_unit_test(self_metrics_keep_the_selected_collectors_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
