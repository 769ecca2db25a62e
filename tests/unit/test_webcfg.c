/* Unit tests of the web configuration parser (the exporter-toolkit's
 * format): what a full file sets, the toolkit's defaults, paths taken
 * from the file's directory, and every kind of bad input refused at its
 * line and column with words that say what is wrong, secrets never shown;
 * and the reader, which refuses what is not a regular file without
 * blocking on it. */
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
#include <unistd.h>
#include <cmocka.h>

#include "build-config.h"
#include "exporter/api/base.h"
#include "exporter/webcfg.h"

#define HASH10 "$2y$10$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU"
#define HASH13 "$2y$13$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU"

#ifdef HAVE_LIBYAML

/* Parses text as the file "conf/web.yml". */
static int parse(const char *text, struct webcfg **c, struct config_error *err)
{
	return webcfg_parse(text, strlen(text), "conf/web.yml", c, err);
}

/* A text the parser must refuse, where, and with which words. */
struct refusal {
	const char *text;
	unsigned line, column;
	const char *words;
};

/* Asserts that each of bad[0..n) is refused where it says, handing
 * nothing back. */
static void assert_refusals(const struct refusal *bad, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct webcfg *c = NULL;
		struct config_error err;
		int rc = parse(bad[i].text, &c, &err);

		if (rc != -EINVAL)
			fail_msg("case %zu was not refused (%d):\n%s", i, rc,
				 bad[i].text);
		if (err.line != bad[i].line || err.column != bad[i].column ||
		    !strstr(err.msg, bad[i].words))
			fail_msg("case %zu: got %u:%u '%s', want %u:%u '%s'", i,
				 err.line, err.column, err.msg, bad[i].line,
				 bad[i].column, bad[i].words);
		assert_string_equal(err.file, "conf/web.yml");
		assert_null(c);
	}
}

static void full_file_sets_every_key(void **state)
{
	const char *text =
	    "tls_server_config:\n"
	    "  cert_file: server.crt\n"
	    "  key_file: /etc/virtmeter/server.key\n"
	    "  client_ca_file: \"ca.crt\"\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n"
	    "  min_version: TLS13\n"
	    "  max_version: TLS13\n"
	    "  cipher_suites:\n"
	    "    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
	    "    - TLS_AES_128_GCM_SHA256\n"
	    "    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n"
	    "  curve_preferences: [X25519, CurveP256]\n"
	    "  prefer_server_cipher_suites: false\n"
	    "  client_allowed_sans: [scraper.example, 10.0.0.1]\n"
	    "http_server_config:\n"
	    "  http2: false\n"
	    "  headers:\n"
	    "    X-Frame-Options: sameorigin\n"
	    "    Strict-Transport-Security: max-age=31536000; includeSubDomains\n"
	    "    X-Content-Type-Options: nosniff\n"
	    "    Content-Security-Policy: \"default-src 'self'\"\n"
	    "    X-XSS-Protection: 1\n"
	    "basic_auth_users:\n"
	    "  alice: " HASH10 "\n"
	    "  bob: '$2b$04$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU'\n"
	    "rate_limit:\n"
	    "  interval: 500ms\n"
	    "  burst: 20\n";
	struct webcfg *c = NULL;
	struct config_error err;

	(void)state;
	if (parse(text, &c, &err))
		fail_msg("%u:%u %s", err.line, err.column, err.msg);
	assert_true(c->tls);
	assert_string_equal(c->cert.file, "conf/server.crt");
	assert_null(c->cert.text);
	assert_int_equal(c->cert.pos.line, 2);
	assert_int_equal(c->cert.pos.column, 14);
	assert_string_equal(c->key.file, "/etc/virtmeter/server.key");
	assert_string_equal(c->client_ca.file, "conf/ca.crt");
	assert_int_equal(c->client_auth, WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_int_equal(c->min_version, TLS_V13);
	assert_int_equal(c->max_version, TLS_V13);
	assert_int_equal(c->nciphers, 2); /* the repeated one once */
	assert_string_equal(tls_ciphers[c->ciphers[0]].name,
			    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	assert_string_equal(tls_ciphers[c->ciphers[1]].name,
			    "TLS_AES_128_GCM_SHA256");
	assert_int_equal(c->ncurves, 2);
	assert_string_equal(tls_curves[c->curves[0]].name, "X25519");
	assert_string_equal(tls_curves[c->curves[1]].name, "CurveP256");
	assert_false(c->prefer_server_cipher_suites);
	assert_int_equal(c->nallowed_sans, 2);
	assert_string_equal(c->allowed_sans[1], "10.0.0.1");
	assert_false(c->http2);
	assert_string_equal(c->headers[WEBCFG_HDR_FRAME_OPTIONS], "sameorigin");
	assert_string_equal(c->headers[WEBCFG_HDR_HSTS],
			    "max-age=31536000; includeSubDomains");
	assert_string_equal(c->headers[WEBCFG_HDR_CONTENT_TYPE_OPTIONS], "nosniff");
	assert_string_equal(c->headers[WEBCFG_HDR_CSP], "default-src 'self'");
	assert_string_equal(c->headers[WEBCFG_HDR_XSS_PROTECTION], "1");
	assert_int_equal(c->nusers, 2);
	assert_string_equal(c->users[0].name, "alice");
	assert_string_equal(c->users[0].hash, HASH10);
	assert_int_equal(c->users[0].cost, 10);
	assert_string_equal(c->users[1].name, "bob");
	assert_int_equal(c->users[1].cost, 4);
	assert_int_equal(c->rate_interval_ms, 500);
	assert_int_equal(c->rate_burst, 20);
	webcfg_free(c);
}

static void empty_files_take_the_toolkits_defaults(void **state)
{
	static const char *const texts[] = {
	    "", "# nothing\n", "---\n", "tls_server_config:\n",
	    "tls_server_config: {}\nhttp_server_config:\nbasic_auth_users:\n",
	    "tls_server_config:\n  cert_file: \"\"\n  cipher_suites: []\n",
	    "rate_limit:\n  interval: 0\n  burst: 5\n",
	};
	struct config_error err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct webcfg *c = NULL;

		if (parse(texts[i], &c, &err))
			fail_msg("case %zu: %u:%u %s", i, err.line, err.column,
				 err.msg);
		assert_false(c->tls);
		assert_int_equal(c->min_version, TLS_V12);
		assert_int_equal(c->max_version, TLS_V13);
		assert_true(c->prefer_server_cipher_suites);
		assert_true(c->http2);
		assert_int_equal(c->nusers, 0);
		assert_int_equal(c->rate_interval_ms, 0);
		assert_int_equal(c->client_auth, WEBCFG_NO_CLIENT_CERT);
		webcfg_free(c);
	}
}

static void inline_pem_and_the_older_auth_name_are_taken(void **state)
{
	const char *text = "tls_server_config:\n"
			   "  cert: |\n"
			   "    -----BEGIN CERTIFICATE-----\n"
			   "    MIIB\n"
			   "    -----END CERTIFICATE-----\n"
			   "  key: \"-----BEGIN PRIVATE KEY-----\\nMIIE\\n\"\n"
			   "  client_ca: x\n"
			   "  client_auth_type: RequireClientCert\n";
	struct webcfg *c = NULL;
	struct config_error err;

	(void)state;
	if (parse(text, &c, &err))
		fail_msg("%u:%u %s", err.line, err.column, err.msg);
	assert_true(c->tls);
	assert_string_equal(c->cert.text, "-----BEGIN CERTIFICATE-----\nMIIB\n"
					  "-----END CERTIFICATE-----\n");
	assert_null(c->cert.file);
	assert_string_equal(c->key.text, "-----BEGIN PRIVATE KEY-----\nMIIE\n");
	assert_string_equal(c->client_ca.text, "x");
	assert_int_equal(c->client_auth, WEBCFG_REQUIRE_ANY_CLIENT_CERT);
	webcfg_free(c);
}

static void paths_are_taken_from_the_files_directory(void **state)
{
	static const struct {
		const char *file, *path, *want;
	} cases[] = {
	    {"conf/web.yml", "a.crt", "conf/a.crt"},
	    {"/etc/v/web.yml", "tls/a.crt", "/etc/v/tls/a.crt"},
	    {"/etc/v/web.yml", "/abs/a.crt", "/abs/a.crt"},
	    {"web.yml", "a.crt", "a.crt"},
	    {"/web.yml", "a.crt", "/a.crt"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = webcfg_resolve(cases[i].file, cases[i].path);

		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

#define TLS_OK "tls_server_config:\n  cert_file: a\n  key_file: b\n"

static void bad_tls_keys_are_refused_where_they_are(void **state)
{
	static const struct refusal bad[] = {
	    {"tls_config:\n  cert_file: a\n", 1, 1, "unknown key 'tls_config' at the top level"},
	    {"tls_server_config:\n  cert_fil: a\n", 2, 3, "unknown key 'cert_fil' in tls_server_config"},
	    {TLS_OK "  client_auth_type: Always\n", 4, 21,
	     "tls_server_config.client_auth_type: expected NoClientCert, RequestClientCert"},
	    {TLS_OK "  min_version: TLS14\n", 4, 16,
	     "tls_server_config.min_version: expected TLS10, TLS11, TLS12 or TLS13, got 'TLS14'"},
	    {TLS_OK "  max_version: [TLS13]\n", 4, 16, "expected a string, got a list"},
	    {TLS_OK "  cipher_suites:\n    - TLS_AES_128_GCM_SHA256\n    - TLS_RSA_WITH_RC4_128_SHA\n",
	     6, 7, "tls_server_config.cipher_suites: expected a cipher suite by Go's name"},
	    {TLS_OK "  cipher_suites: TLS_AES_128_GCM_SHA256\n", 4, 18, "expected a list of names"},
	    {TLS_OK "  curve_preferences: [X448]\n", 4, 23, "expected CurveP256, CurveP384, CurveP521 or X25519, got 'X448'"},
	    {TLS_OK "  prefer_server_cipher_suites: maybe\n", 4, 32, "expected true or false"},
	    {TLS_OK "  cert_file: c\n", 4, 3, "duplicate key 'cert_file'"},
	    {"tls_server_config:\n  cert_file: \"a\\0b\"\n", 2, 14, "NUL byte"},
	    {"tls_server_config:\n  cert_file: a\n", 2, 3, "no private key: set key_file (or key)"},
	    {"tls_server_config:\n  key_file: b\n", 2, 3, "no certificate: set cert_file (or cert)"},
	    {"tls_server_config:\n  client_auth_type: NoClientCert\n", 2, 3, "no certificate"},
	    {TLS_OK "  cert: x\n", 4, 9, "tls_server_config.cert: cert_file is set too (line 2)"},
	    {"tls_server_config:\n  key: x\n  key_file: b\n  cert_file: a\n", 3, 13,
	     "key_file: key is set too"},
	    {TLS_OK "  client_ca_file: ca.crt\n", 4, 19,
	     "tls_server_config.client_ca_file: a client CA needs client_auth_type RequireAndVerifyClientCert"},
	    {TLS_OK "  client_auth_type: RequireAndVerifyClientCert\n", 4, 21,
	     "RequireAndVerifyClientCert needs client_ca_file"},
	    {TLS_OK "  client_auth_type: VerifyClientCertIfGiven\n", 4, 21,
	     "VerifyClientCertIfGiven needs client_ca_file"},
	    {TLS_OK "  client_allowed_sans: [a]\n", 4, 24, "client_allowed_sans: needs a client_auth_type"},
	    {TLS_OK "  min_version: TLS13\n  max_version: TLS12\n", 4, 16,
	     "min_version: TLS13 is newer than max_version TLS12"},
	    {"tls_server_config:\n  min_version: TLS13\n", 2, 16,
	     "tls_server_config.min_version: set without a certificate"},
	    {"tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 2, 18,
	     "cipher_suites: set without a certificate"},
	    {"tls_server_config: yes\n", 1, 20, "tls_server_config: expected a mapping"},
	};

	(void)state;
	assert_refusals(bad, ARRAY_SIZE(bad));
}

static void bad_http_and_rate_keys_are_refused(void **state)
{
	static const struct refusal bad[] = {
	    {"http_server_config:\n  http2: maybe\n", 2, 10, "http_server_config.http2: expected true or false"},
	    {"http_server_config:\n  http3: true\n", 2, 3, "unknown key 'http3'"},
	    {"http_server_config:\n  headers:\n    X-Powered-By: me\n", 3, 5,
	     "unknown key 'X-Powered-By' in http_server_config.headers (known: Content-Security-Policy"},
	    {"http_server_config:\n  headers:\n    x-frame-options: deny\n", 3, 5, "unknown key 'x-frame-options'"},
	    {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3, 22,
	     "X-Frame-Options: expected deny or sameorigin, got 'allow'"},
	    {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", 3, 29,
	     "X-Content-Type-Options: expected nosniff"},
	    {"http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n", 3, 30,
	     "control characters are not allowed"},
	    {"http_server_config:\n  headers: [a]\n", 2, 12, "http_server_config.headers: expected a mapping"},
	    {"rate_limit:\n  interval: 5\n", 2, 13, "rate_limit.interval: expected a duration like 1s"},
	    {"rate_limit:\n  interval: 1h30m\n", 2, 13, "expected a duration"},
	    {"rate_limit:\n  burst: -1\n", 2, 10, "rate_limit.burst: expected a whole number from 0 to 1000000"},
	    {"rate_limit:\n  burst: \"3\"\n", 2, 10, "expected a whole number"},
	    {"rate_limit:\n  burst: 1000001\n", 2, 10, "expected a whole number"},
	    {"rate_limit:\n  every: 1s\n", 2, 3, "unknown key 'every' in rate_limit"},
	};

	(void)state;
	assert_refusals(bad, ARRAY_SIZE(bad));
}

static void bad_users_are_refused_without_showing_a_hash(void **state)
{
	static const struct refusal bad[] = {
	    {"basic_auth_users:\n  alice: secret\n", 2, 10,
	     "basic_auth_users.alice: expected a bcrypt hash (htpasswd -nBC 10 \"\" makes one), got a string that is not a bcrypt hash"},
	    {"basic_auth_users:\n  alice: " HASH13 "\n", 2, 10, "got a bcrypt hash with a cost above 12"},
	    {"basic_auth_users:\n  alice:\n", 2, 9, "expected a bcrypt hash (htpasswd -nBC 10 \"\" makes one), got nothing"},
	    {"basic_auth_users:\n  alice: [" HASH10 "]\n", 2, 10, "basic_auth_users.alice: expected a string, got a list"},
	    {"basic_auth_users:\n  alice: " HASH10 "\n  alice: " HASH10 "\n", 3, 3, "user 'alice' is given twice"},
	    {"basic_auth_users:\n  a:b: " HASH10 "\n", 2, 3, "no ':'"},
	    {"basic_auth_users:\n  \"\": " HASH10 "\n", 2, 3, "expected a user name"},
	    {"basic_auth_users:\n  [a]: " HASH10 "\n", 2, 3, "expected a user name, got a list"},
	    {"basic_auth_users: " HASH10 "\n", 1, 19, "basic_auth_users: expected a mapping of user: bcrypt hash, got a string of 60 bytes (not shown)"},
	    {"basic_auth_users:\n  - " HASH10 "\n", 2, 3, "expected a mapping of user: bcrypt hash, got a list"},
	    {"tls_server_config:\n  key: [x]\n", 2, 8, "tls_server_config.key: expected a string, got a list"},
	    {"tls_server_config:\n  key: {a: b}\n", 2, 8, "expected a string, got a mapping"},
	};
	struct config_error err;

	(void)state;
	assert_refusals(bad, ARRAY_SIZE(bad));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct webcfg *c = NULL;

		parse(bad[i].text, &c, &err);
		if (strstr(err.msg, "abcdefghijklmnopqrstuv"))
			fail_msg("case %zu shows the hash: %s", i, err.msg);
	}
}

static void yaml_features_and_streams_are_refused(void **state)
{
	static const struct refusal bad[] = {
	    {"tls_server_config: &t\n  cert_file: a\n", 1, 20, "anchors (&t) are not supported"},
	    {"basic_auth_users:\n  alice: !!str " HASH10 "\n", 2, 10, "tags"},
	    {"tls_server_config:\n---\nrate_limit:\n", 2, 1, "only one YAML document"},
	    {"- tls_server_config\n", 1, 1, "the top level must be a mapping"},
	    {"tls_server_config:\n\tcert_file: a\n", 2, 1, "tabs"},
	};

	(void)state;
	assert_refusals(bad, ARRAY_SIZE(bad));
}

static void oversized_input_is_refused_before_parsing(void **state)
{
	size_t n = WEBCFG_MAX_BYTES + 1;
	char *big = malloc(n);
	struct webcfg *c = NULL;
	struct config_error err;

	(void)state;
	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(webcfg_parse(big, n, "big.yml", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "larger than 256 KiB"));
	assert_null(c);
	free(big);
}

#endif /* HAVE_LIBYAML */

/* A scratch directory of the test, removed at the end. */
static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_webcfg.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char p[128];

	(void)state;
	for (const char *const *n = (const char *const[]){"fifo", "web.yml", "big", NULL};
	     *n; n++) {
		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		unlink(p);
	}
	return rmdir(dir);
}

static void the_reader_refuses_what_is_not_a_regular_file(void **state)
{
	char p[128], *data = NULL;
	size_t len = 0;
	struct config_error err;
	struct webcfg *c = NULL;
	FILE *f;

	(void)state;
	/* A FIFO with no writer would block a plain open for good. */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(webcfg_read_file(p, 100, &data, &len), -EINVAL);
	assert_int_equal(webcfg_load(p, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(webcfg_read_file(dir, 100, &data, &len), -EINVAL);
	assert_int_equal(webcfg_read_file("/dev/null", 100, &data, &len), -EINVAL);
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(webcfg_load(p, &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "No such file"));
	snprintf(p, sizeof(p), "%s/big", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "0123456789");
	fclose(f);
	assert_int_equal(webcfg_read_file(p, 9, &data, &len), -EFBIG);
	assert_int_equal(webcfg_read_file(p, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	assert_null(c);
}

#ifdef HAVE_LIBYAML
static void the_loader_parses_a_file_with_its_name(void **state)
{
	char p[128];
	struct config_error err;
	struct webcfg *c = NULL;
	FILE *f;

	(void)state;
	snprintf(p, sizeof(p), "%s/web.yml", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "tls_server_config:\n  cert_file: s.crt\n  key_fil: s.key\n");
	fclose(f);
	assert_int_equal(webcfg_load(p, &c, &err), -EINVAL);
	assert_string_equal(err.file, p);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 3);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n");
	fclose(f);
	assert_int_equal(webcfg_load(p, &c, &err), 0);
	assert_non_null(c);
	assert_non_null(strstr(c->cert.file, "/s.crt"));
	assert_memory_equal(c->cert.file, dir, strlen(dir));
	webcfg_free(c);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef HAVE_LIBYAML
		cmocka_unit_test(full_file_sets_every_key),
		cmocka_unit_test(empty_files_take_the_toolkits_defaults),
		cmocka_unit_test(inline_pem_and_the_older_auth_name_are_taken),
		cmocka_unit_test(paths_are_taken_from_the_files_directory),
		cmocka_unit_test(bad_tls_keys_are_refused_where_they_are),
		cmocka_unit_test(bad_http_and_rate_keys_are_refused),
		cmocka_unit_test(bad_users_are_refused_without_showing_a_hash),
		cmocka_unit_test(yaml_features_and_streams_are_refused),
		cmocka_unit_test(oversized_input_is_refused_before_parsing),
		cmocka_unit_test(the_loader_parses_a_file_with_its_name),
#endif
		cmocka_unit_test(the_reader_refuses_what_is_not_a_regular_file),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
