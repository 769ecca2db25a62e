/* Content negotiation: which exposition format and whether gzip, for the
 * headers that real scrapers and odd clients send. Because text 0.0.4 is
 * also the fallback, each test that expects text offers OpenMetrics at a
 * lower weight where it can, so that a broken rule shows as OpenMetrics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/accept.h"

#define OM EXPO_OPENMETRICS
#define TEXT EXPO_TEXT

static void prometheus_2_42_gets_openmetrics(void **state)
{
	(void)state;
	assert_int_equal(accept_format(
		"application/openmetrics-text;version=1.0.0,"
		"application/openmetrics-text;version=0.0.1;q=0.75,"
		"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), OM);
}

static void prometheus_3_gets_openmetrics(void **state)
{
	(void)state;
	assert_int_equal(accept_format(
		"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
		"application/openmetrics-text;version=0.0.1;q=0.4,"
		"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
		"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"), OM);
}

static void prometheus_3_protobuf_first_skips_protobuf(void **state)
{
	(void)state;
	assert_int_equal(accept_format(
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=delimited;q=0.6,"
		"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
		"application/openmetrics-text;version=0.0.1;q=0.4,"
		"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
		"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"), OM);
}

static void openmetrics_alone_gets_openmetrics(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text"), OM);
	assert_int_equal(accept_format("application/openmetrics-text;version=0.0.1"), OM);
}

static void absent_or_empty_header_gets_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format(NULL), TEXT);
	assert_int_equal(accept_format(""), TEXT);
	assert_int_equal(accept_format("   \t "), TEXT);
}

static void curl_default_gets_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("*/*"), TEXT);
}

static void plain_text_gets_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("text/plain"), TEXT);
	assert_int_equal(accept_format("text/plain;version=0.0.4"), TEXT);
}

static void unsupported_types_fall_back_to_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/json"), TEXT);
	assert_int_equal(accept_format("application/vnd.google.protobuf;"
				       "proto=io.prometheus.client.MetricFamily;"
				       "encoding=delimited"), TEXT);
	assert_int_equal(accept_format("garbage"), TEXT);
	assert_int_equal(accept_format("\x01\xff;;==\"\\"), TEXT);
}

static void openmetrics_refused_with_q0_gets_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text;q=0"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=0.000"), TEXT);
}

static void higher_q_text_beats_openmetrics(void **state)
{
	(void)state;
	assert_int_equal(accept_format("text/plain;q=0.9, application/openmetrics-text;q=0.5"),
			 TEXT);
}

static void tie_goes_to_earlier_entry(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text, text/plain"), OM);
	assert_int_equal(accept_format("text/plain;q=0.5, application/openmetrics-text;q=0.5"),
			 TEXT);
	assert_int_equal(accept_format("*/*, application/openmetrics-text"), TEXT);
}

static void wildcards_count_as_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("*/*;q=0.6, application/openmetrics-text;q=0.5"), TEXT);
	assert_int_equal(accept_format("text/*;q=0.6, application/openmetrics-text;q=0.5"), TEXT);
}

static void text_version_1_0_0_with_escaping_counts_as_text(void **state)
{
	(void)state;
	assert_int_equal(accept_format("text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,"
				       "application/openmetrics-text;q=0.5"), TEXT);
	assert_int_equal(accept_format("text/plain;version=0.0.4;escaping=underscores;q=0.6,"
				       "application/openmetrics-text;q=0.5"), TEXT);
}

static void unknown_text_version_is_unsupported(void **state)
{
	(void)state;
	assert_int_equal(accept_format("text/plain;version=2.0.0,"
				       "application/openmetrics-text;q=0.1"), OM);
	assert_int_equal(accept_format("text/html, application/openmetrics-text;q=0.1"), OM);
	assert_int_equal(accept_format("application/*, application/openmetrics-text;q=0.1"), OM);
}

static void q_values_compare_by_decimal_value(void **state)
{
	(void)state;
	assert_int_equal(accept_format("text/plain;q=0.25, application/openmetrics-text;q=0.3"), OM);
	assert_int_equal(accept_format("text/plain;q=0.101, application/openmetrics-text;q=0.102"),
			 OM);
	assert_int_equal(accept_format("text/plain;q=0.999, application/openmetrics-text;q=1.000"),
			 OM);
	assert_int_equal(accept_format("text/plain;q=0.5, application/openmetrics-text;q=1."), OM);
	assert_int_equal(accept_format("text/plain;q=0.5, application/openmetrics-text;q=0.50"),
			 TEXT);
}

static void invalid_q_ignores_only_that_entry(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text;q=0.0001"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=0.5001"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=2"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=1.001"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=-1"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=.5"), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q="), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=\"1\""), TEXT);
	assert_int_equal(accept_format("application/openmetrics-text;q=0.5x"), TEXT);
	assert_int_equal(accept_format("text/plain;q=2, application/openmetrics-text;q=0.1"), OM);
}

static void types_and_parameter_names_are_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(accept_format("APPLICATION/OpenMetrics-Text;Version=1.0.0;Q=0.9,"
				       "text/plain;q=0.5"), OM);
	assert_int_equal(accept_format("TEXT/PLAIN;VERSION=0.0.4;Q=0.9,"
				       "application/openmetrics-text;q=0.5"), TEXT);
}

static void whitespace_around_separators_is_tolerated(void **state)
{
	(void)state;
	assert_int_equal(accept_format("  application/openmetrics-text ; version=1.0.0 ;\tq=0.9 ,"
				       "\ttext/plain ; q=0.5  "), OM);
	assert_int_equal(accept_format("text/plain; q = 0.9, application/openmetrics-text; q=0.5"),
			 TEXT);
}

static void quoted_parameter_values_are_understood(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text;version=\"1.0.0\";q=0.9,"
				       "text/plain;q=0.5"), OM);
	assert_int_equal(accept_format("text/plain;version=\"0.0.4\";q=0.6,"
				       "application/openmetrics-text;q=0.5"), TEXT);
	assert_int_equal(accept_format("text/plain;version=\"0.0.\\4\";q=0.6,"
				       "application/openmetrics-text;q=0.5"), TEXT);
}

static void commas_inside_quotes_do_not_split_entries(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/json;x=\"a, application/openmetrics-text, b\""),
			 TEXT);
	assert_int_equal(accept_format("application/json;x=\"a,\\\"b\", application/openmetrics-text"),
			 OM);
}

static void unterminated_quote_swallows_the_rest(void **state)
{
	(void)state;
	assert_int_equal(accept_format("application/openmetrics-text;version=\"1.0.0"), TEXT);
	assert_int_equal(accept_format("text/html;a=\"x, application/openmetrics-text"), TEXT);
}

static void empty_entries_and_parameters_are_skipped(void **state)
{
	(void)state;
	assert_int_equal(accept_format(",,,"), TEXT);
	assert_int_equal(accept_format(",, ,application/openmetrics-text,,"), OM);
	assert_int_equal(accept_format("application/openmetrics-text;;version=1.0.0;"), OM);
}

static void malformed_entry_does_not_spoil_the_others(void **state)
{
	(void)state;
	assert_int_equal(accept_format("garbage;;;==, application/openmetrics-text"), OM);
	assert_int_equal(accept_format("text/, /plain, text/plain x, application/openmetrics-text"),
			 OM);
	assert_int_equal(accept_format("text/plain;=1, application/openmetrics-text;q=0.1"), OM);
}

/* Builds a header of about size bytes: rep repeated, then tail. */
static char *long_header(const char *rep, const char *tail, size_t size)
{
	size_t nrep = strlen(rep), ntail = strlen(tail), len = 0;
	char *s = malloc(size + ntail + 1);

	assert_non_null(s);
	while (len + nrep <= size) {
		memcpy(s + len, rep, nrep);
		len += nrep;
	}
	memcpy(s + len, tail, ntail + 1);
	return s;
}

static void very_long_header_is_parsed_to_the_end(void **state)
{
	char *s;

	(void)state;
	s = long_header("application/json;q=0.9, ", "application/openmetrics-text", 1u << 20);
	assert_int_equal(accept_format(s), OM);
	free(s);
	s = long_header(" \t;", "", 1u << 20);
	assert_int_equal(accept_format(s), TEXT);
	free(s);
	s = long_header("\"", "", 1u << 20);
	assert_int_equal(accept_format(s), TEXT);
	assert_false(accept_gzip(s));
	free(s);
	s = long_header("identity, ", "gzip", 1u << 20);
	assert_true(accept_gzip(s));
	free(s);
}

static void gzip_is_accepted_when_listed(void **state)
{
	(void)state;
	assert_true(accept_gzip("gzip"));
	assert_true(accept_gzip("gzip, deflate, br"));
	assert_true(accept_gzip("deflate, gzip;q=0.5"));
	assert_true(accept_gzip("gzip;q=0.001"));
	assert_true(accept_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
	assert_true(accept_gzip("x-gzip"));
}

static void gzip_is_accepted_through_star(void **state)
{
	(void)state;
	assert_true(accept_gzip("*"));
	assert_true(accept_gzip("identity, *;q=0.5"));
}

static void gzip_refused_explicitly_wins_over_star(void **state)
{
	(void)state;
	assert_false(accept_gzip("gzip;q=0"));
	assert_false(accept_gzip("gzip;q=0, *"));
	assert_false(accept_gzip("*, gzip;q=0.000"));
	assert_false(accept_gzip("*;q=0"));
	assert_false(accept_gzip("identity;q=1, *;q=0"));
}

static void no_gzip_without_gzip_or_star(void **state)
{
	(void)state;
	assert_false(accept_gzip(NULL));
	assert_false(accept_gzip(""));
	assert_false(accept_gzip(",,,"));
	assert_false(accept_gzip("identity"));
	assert_false(accept_gzip("deflate"));
	assert_false(accept_gzip("gzipper, xgzip, gzip2"));
	assert_false(accept_gzip("gzip;q=2"));
	assert_false(accept_gzip("gzip;q=0.0001"));
	assert_false(accept_gzip("gzip;q=0.5001"));
}

static void gzip_header_is_case_and_space_insensitive(void **state)
{
	(void)state;
	assert_true(accept_gzip("GZIP"));
	assert_true(accept_gzip("  deflate ,\tGzip ; Q=0.7  "));
	assert_false(accept_gzip(" gzip ; q = 0 , * "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prometheus_2_42_gets_openmetrics),
		cmocka_unit_test(prometheus_3_gets_openmetrics),
		cmocka_unit_test(prometheus_3_protobuf_first_skips_protobuf),
		cmocka_unit_test(openmetrics_alone_gets_openmetrics),
		cmocka_unit_test(absent_or_empty_header_gets_text),
		cmocka_unit_test(curl_default_gets_text),
		cmocka_unit_test(plain_text_gets_text),
		cmocka_unit_test(unsupported_types_fall_back_to_text),
		cmocka_unit_test(openmetrics_refused_with_q0_gets_text),
		cmocka_unit_test(higher_q_text_beats_openmetrics),
		cmocka_unit_test(tie_goes_to_earlier_entry),
		cmocka_unit_test(wildcards_count_as_text),
		cmocka_unit_test(text_version_1_0_0_with_escaping_counts_as_text),
		cmocka_unit_test(unknown_text_version_is_unsupported),
		cmocka_unit_test(q_values_compare_by_decimal_value),
		cmocka_unit_test(invalid_q_ignores_only_that_entry),
		cmocka_unit_test(types_and_parameter_names_are_case_insensitive),
		cmocka_unit_test(whitespace_around_separators_is_tolerated),
		cmocka_unit_test(quoted_parameter_values_are_understood),
		cmocka_unit_test(commas_inside_quotes_do_not_split_entries),
		cmocka_unit_test(unterminated_quote_swallows_the_rest),
		cmocka_unit_test(empty_entries_and_parameters_are_skipped),
		cmocka_unit_test(malformed_entry_does_not_spoil_the_others),
		cmocka_unit_test(very_long_header_is_parsed_to_the_end),
		cmocka_unit_test(gzip_is_accepted_when_listed),
		cmocka_unit_test(gzip_is_accepted_through_star),
		cmocka_unit_test(gzip_refused_explicitly_wins_over_star),
		cmocka_unit_test(no_gzip_without_gzip_or_star),
		cmocka_unit_test(gzip_header_is_case_and_space_insensitive),
	};

	return cmocka_run_group_tests_name("accept", tests, NULL, NULL);
}
