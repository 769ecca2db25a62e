/* Unit tests of the request-head checks (exporter/http_strict.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/http_strict.h"

/* A well-formed HTTP/1.1 GET of /metrics, for the tests to spoil. */
static struct http_head good(void)
{
	return (struct http_head){.version = "HTTP/1.1", .path = "/metrics",
				  .n_host = 1};
}

static void a_plain_request_passes(void **state)
{
	struct http_head h = good();

	(void)state;
	assert_null(http_strict_check(&h));
	h.n_content_length = 1;
	assert_null(http_strict_check(&h));
	h.n_content_length = 0;
	h.n_transfer_encoding = 1;
	assert_null(http_strict_check(&h));
	h.path = "/metrics.txt/a.b";
	assert_null(http_strict_check(&h));
}

static void an_escaped_nul_or_dotdot_is_refused(void **state)
{
	struct http_head h = good();

	(void)state;
	h.escaped_nul = true;
	assert_string_equal(http_strict_check(&h),
			    "a NUL byte (%00) in the path or query");
	h = good();
	for (size_t i = 0; i < 4; i++) {
		static const char *const paths[] = {"/..", "/a/../metrics",
						    "/metrics..", "..."};

		h.path = paths[i];
		assert_string_equal(http_strict_check(&h), "\"..\" in the path");
	}
}

static void host_is_required_from_http_1_1_on(void **state)
{
	struct http_head h = good();

	(void)state;
	h.n_host = 0;
	assert_string_equal(http_strict_check(&h),
			    "an HTTP/1.1 request without a Host header");
	h.version = "HTTP/1.2";
	assert_non_null(http_strict_check(&h));
	h.version = "HTTP/1.10";
	assert_non_null(http_strict_check(&h));
	h.version = "HTTP/1.0";
	assert_null(http_strict_check(&h));
	h.version = "HTTP/1.00";
	assert_null(http_strict_check(&h));
	h.version = "";
	assert_null(http_strict_check(&h));
	h.version = "HTTP/1.";
	assert_null(http_strict_check(&h));
	h.n_host = 2;
	h.version = "HTTP/1.0";
	assert_string_equal(http_strict_check(&h), "more than one Host header");
}

static void a_body_framed_two_ways_is_refused(void **state)
{
	struct http_head h = good();

	(void)state;
	h.n_content_length = 1;
	h.n_transfer_encoding = 1;
	assert_string_equal(http_strict_check(&h),
			    "both Content-Length and Transfer-Encoding");
	h.n_transfer_encoding = 0;
	h.n_content_length = 2;
	assert_string_equal(http_strict_check(&h),
			    "more than one Content-Length header");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_plain_request_passes),
		cmocka_unit_test(an_escaped_nul_or_dotdot_is_refused),
		cmocka_unit_test(host_is_required_from_http_1_1_on),
		cmocka_unit_test(a_body_framed_two_ways_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
