/* Unit tests of Go's TLS names and the GnuTLS priority strings they make:
 * lookups are exact, the strings are what the settings say (versions
 * newest first, a suite's parts once each, TLS 1.3's suites kept while
 * TLS 1.3 is allowed, curves in order, the server's order), and, in a
 * build with GnuTLS, GnuTLS compiles every string that a configuration
 * can make. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "build-config.h"
#include "exporter/api/base.h"
#include "exporter/tls_names.h"

#ifdef HAVE_GNUTLS
#include <gnutls/gnutls.h>
#endif

/* The index of a name that must be known. */
static unsigned char cipher(const char *name)
{
	int i = tls_cipher_find(name, strlen(name));

	if (i < 0)
		fail_msg("cipher %s unknown", name);
	return (unsigned char)i;
}

static void lookups_are_exact(void **state)
{
	(void)state;
	assert_int_equal(tls_version_find("TLS12", 5), TLS_V12);
	assert_int_equal(tls_version_find("TLS13", 5), TLS_V13);
	assert_int_equal(tls_version_find("TLS10", 5), TLS_V10);
	assert_int_equal(tls_version_find("tls12", 5), -1);
	assert_int_equal(tls_version_find("TLS1", 4), -1);
	assert_int_equal(tls_version_find("TLS12 ", 6), -1);
	assert_int_equal(tls_version_find("SSL30", 5), -1);
	/* Not NUL-terminated: the length counts. */
	assert_int_equal(tls_version_find("TLS11xyz", 5), TLS_V11);
	assert_true(tls_cipher_find("TLS_AES_128_GCM_SHA256", 22) >= 0);
	assert_int_equal(tls_cipher_find("TLS_RSA_WITH_RC4_128_SHA", 24), -1);
	assert_int_equal(tls_cipher_find("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", 36),
			 -1);
	assert_int_equal(tls_curve_find("X25519", 6), 3);
	assert_int_equal(tls_curve_find("CurveP256", 9), 0);
	assert_int_equal(tls_curve_find("P-256", 5), -1);
	assert_true(tls_nciphers <= TLS_MAX_CIPHERS);
	assert_true(tls_ncurves <= TLS_MAX_CURVES);
}

/* Builds the priority string of spec into out, expecting success. */
static const char *build(const struct tls_prio_spec *spec, char *out,
			 size_t size)
{
	int rc = tls_priority_build(spec, out, size);

	if (rc)
		fail_msg("tls_priority_build: %d", rc);
	return out;
}

static void defaults_are_tls12_and_13_in_the_servers_order(void **state)
{
	struct tls_prio_spec s = {.min_version = TLS_V12,
				  .max_version = TLS_V13,
				  .server_order = true};
	char out[512];

	(void)state;
	assert_string_equal(build(&s, out, sizeof(out)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
			    "%SERVER_PRECEDENCE");
	s.server_order = false;
	s.min_version = TLS_V10;
	assert_string_equal(build(&s, out, sizeof(out)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
			    "+VERS-TLS1.1:+VERS-TLS1.0");
}

static void suites_give_their_parts_once_each(void **state)
{
	const unsigned char two[] = {
	    cipher("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
	    cipher("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")};
	const unsigned char cbc[] = {
	    cipher("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
	    cipher("TLS_AES_256_GCM_SHA384")};
	struct tls_prio_spec s = {.min_version = TLS_V12,
				  .max_version = TLS_V12,
				  .ciphers = two,
				  .nciphers = 2};
	char out[512];

	(void)state;
	assert_string_equal(build(&s, out, sizeof(out)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:"
			    "-KX-ALL:+AES-256-GCM:+AEAD:+ECDHE-RSA:+ECDHE-ECDSA");
	/* With TLS 1.3 allowed, its suites stay on after the named ones;
	 * a TLS 1.3 suite in the list has no key exchange. */
	s.max_version = TLS_V13;
	s.ciphers = cbc;
	assert_string_equal(build(&s, out, sizeof(out)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
			    "-CIPHER-ALL:-MAC-ALL:-KX-ALL:+AES-128-CBC:"
			    "+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"
			    "+SHA1:+AEAD:+ECDHE-RSA");
}

static void curves_keep_their_order(void **state)
{
	const unsigned char curves[] = {3, 1};
	struct tls_prio_spec s = {.min_version = TLS_V13,
				  .max_version = TLS_V13,
				  .curves = curves,
				  .ncurves = 2,
				  .server_order = true};
	char out[512];

	(void)state;
	assert_string_equal(build(&s, out, sizeof(out)),
			    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:"
			    "+GROUP-X25519:+GROUP-SECP384R1:%SERVER_PRECEDENCE");
}

static void bad_specs_and_short_buffers_are_refused(void **state)
{
	const unsigned char bad[] = {200};
	struct tls_prio_spec s = {.min_version = TLS_V13,
				  .max_version = TLS_V12};
	char out[512];

	(void)state;
	assert_int_equal(tls_priority_build(&s, out, sizeof(out)), -EINVAL);
	s.min_version = TLS_V12;
	s.max_version = 4;
	assert_int_equal(tls_priority_build(&s, out, sizeof(out)), -EINVAL);
	s.max_version = TLS_V13;
	s.ciphers = bad;
	s.nciphers = 1;
	assert_int_equal(tls_priority_build(&s, out, sizeof(out)), -EINVAL);
	s.nciphers = 0;
	assert_int_equal(tls_priority_build(&s, out, 20), -ENOSPC);
	assert_int_equal(tls_priority_build(&s, out, 5), -ENOSPC);
}

#ifdef HAVE_GNUTLS
/* Asserts that GnuTLS compiles the string of s. */
static void assert_gnutls_takes(const struct tls_prio_spec *s)
{
	gnutls_priority_t p;
	const char *at = NULL;
	char out[640];
	int rc;

	assert_int_equal(tls_priority_build(s, out, sizeof(out)), 0);
	rc = gnutls_priority_init(&p, out, &at);
	if (rc < 0)
		fail_msg("GnuTLS refuses \"%s\" at \"%s\": %s", out,
			 at ? at : "", gnutls_strerror(rc));
	gnutls_priority_deinit(p);
}

static void gnutls_compiles_every_string_a_file_can_make(void **state)
{
	unsigned char all[TLS_MAX_CIPHERS], curves[TLS_MAX_CURVES];

	(void)state;
	for (size_t i = 0; i < tls_nciphers; i++)
		all[i] = (unsigned char)i;
	for (size_t i = 0; i < tls_ncurves; i++)
		curves[i] = (unsigned char)(tls_ncurves - 1 - i);
	for (unsigned lo = 0; lo < tls_nversions; lo++) {
		for (unsigned hi = lo; hi < tls_nversions; hi++) {
			struct tls_prio_spec s = {.min_version = lo,
						  .max_version = hi,
						  .ciphers = all,
						  .nciphers = tls_nciphers,
						  .curves = curves,
						  .ncurves = tls_ncurves,
						  .server_order = true};

			assert_gnutls_takes(&s);
			for (size_t c = 0; c < tls_nciphers; c++) {
				s.ciphers = &all[c];
				s.nciphers = 1;
				assert_gnutls_takes(&s);
			}
		}
	}
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups_are_exact),
		cmocka_unit_test(defaults_are_tls12_and_13_in_the_servers_order),
		cmocka_unit_test(suites_give_their_parts_once_each),
		cmocka_unit_test(curves_keep_their_order),
		cmocka_unit_test(bad_specs_and_short_buffers_are_refused),
#ifdef HAVE_GNUTLS
		cmocka_unit_test(gnutls_compiles_every_string_a_file_can_make),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
