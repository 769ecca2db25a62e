/* Unit tests of basic authentication: the form and cost of a bcrypt hash
 * (the kinds the toolkit's tools make accepted, anything else refused
 * without showing it), the Authorization header (strict base64, the
 * first ':' splits, lengths bounded), and the verifier on real hashes
 * made by the system's crypt: the right password of a user passes, a
 * wrong one, another user's, an unknown user and a password past bcrypt's
 * 72 bytes do not, the same answers come back from the cache, and
 * threads asking at once get the right answers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "build-config.h"
#include "exporter/api/base.h"
#include "exporter/auth.h"
#include "exporter/webcfg.h"

#ifdef HAVE_LIBCRYPT
#include <crypt.h>
#endif

/* A hash of htpasswd -B's form with cost NN and a valid tail. */
#define TAIL "abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU"

static void bcrypt_hashes_of_the_usual_tools_are_accepted(void **state)
{
	static const struct {
		const char *hash;
		unsigned cost;
	} good[] = {
	    {"$2y$10$" TAIL, 10}, {"$2b$04$" TAIL, 4}, {"$2a$12$" TAIL, 12},
	    {"$2y$05$./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy", 5},
	};
	const char *why;
	unsigned cost;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		cost = 0;
		if (auth_bcrypt_check(good[i].hash, strlen(good[i].hash), &cost,
				      &why) != 0)
			fail_msg("%s refused: %s", good[i].hash, why);
		assert_int_equal(cost, good[i].cost);
	}
}

static void other_hashes_and_costs_are_refused(void **state)
{
	static const struct {
		const char *hash;
		const char *words;
	} bad[] = {
	    {"$2x$10$" TAIL, "not a bcrypt hash"},
	    {"$2$10$" TAIL "x", "not a bcrypt hash"},
	    {"$1$abc$def", "not a bcrypt hash"},
	    {"$6$rounds=5000$salt$hash", "not a bcrypt hash"},
	    {"secret", "not a bcrypt hash"},
	    {"", "not a bcrypt hash"},
	    {"$2y$13$" TAIL, "cost above 12"},
	    {"$2y$31$" TAIL, "cost above 12"},
	    {"$2y$03$" TAIL, "cost below 4"},
	    {"$2y$1$" TAIL "x", "cut or padded"},
	    {"$2y$10$" TAIL "x", "cut or padded"},
	    {"$2y$10$abc", "cut or padded"},
	    {"$2y$1a$" TAIL, "cut or padded"},
	    {"$2y$10$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRST+",
	     "alphabet"},
	};
	const char *why;
	unsigned cost = 77;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		if (auth_bcrypt_check(bad[i].hash, strlen(bad[i].hash), &cost,
				      &why) != -EINVAL)
			fail_msg("%s accepted", bad[i].hash);
		if (!why || !strstr(why, bad[i].words))
			fail_msg("%s: '%s', want '%s'", bad[i].hash, why,
				 bad[i].words);
		/* The reason never repeats the hash. */
		if (strlen(bad[i].hash) > 8 && strstr(why, bad[i].hash + 7))
			fail_msg("%s shown in '%s'", bad[i].hash, why);
	}
	assert_int_equal(cost, 77);
	/* A NUL inside counts against the length. */
	assert_int_equal(auth_bcrypt_check("$2y$10$" TAIL, 30, &cost, &why),
			 -EINVAL);
	{
		char nul[61];

		memcpy(nul, "$2y$10$" TAIL, 61);
		nul[30] = '\0';
		assert_int_equal(auth_bcrypt_check(nul, 60, &cost, &why),
				 -EINVAL);
	}
}

static void basic_headers_give_user_and_password(void **state)
{
	static const struct {
		const char *header, *user, *pass;
	} good[] = {
	    {"Basic YWxpY2U6czNjcmV0", "alice", "s3cret"},
	    {"basic YWxpY2U6czNjcmV0", "alice", "s3cret"},
	    {"BASIC YWxpY2U6czNjcmV0", "alice", "s3cret"},
	    {"Basic YWxpY2U6", "alice", ""},		/* "alice:" */
	    {"Basic OnB3", "", "pw"},			/* ":pw" */
	    {"Basic YTpiOmM=", "a", "b:c"},		/* "a:b:c" */
	    {"Basic dTpwYXNzIHdvcmQ=", "u", "pass word"}, /* "u:pass word" */
	};
	char user[AUTH_MAX_USER + 1], pass[AUTH_MAX_PASSWORD + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (auth_parse_basic(good[i].header, user, pass) != 0)
			fail_msg("'%s' refused", good[i].header);
		assert_string_equal(user, good[i].user);
		assert_string_equal(pass, good[i].pass);
	}
}

static void other_headers_are_refused(void **state)
{
	static const char *const bad[] = {
	    NULL,
	    "",
	    "Basic",
	    "Basic ",			 /* nothing: no ':' */
	    "Bearer YWxpY2U6czNjcmV0",
	    "Digest username=\"alice\"",
	    "Basic  YWxpY2U6czNjcmV0", /* two spaces */
	    "BasicYWxpY2U6czNjcmV0",
	    "Basic YWxpY2U",		 /* "alice": no ':' */
	    "Basic YWxpY2U6czNjcmV0=",	 /* length not a multiple of 4 */
	    "Basic YWxpY2U6czNjcmV",	 /* cut */
	    "Basic YWxp=2U6czNjcmV0",	 /* '=' inside */
	    "Basic YWxpY2U6czNjcmV0 ",	 /* trailing space */
	    "Basic YWxpY2U6czNj*mV0",	 /* not base64 */
	    "Basic YQBiOmM=",		 /* "a\0b:c": NUL in the name */
	    "Basic YTpiAGM=",		 /* "a:b\0c": NUL in the password */
	};
	char user[AUTH_MAX_USER + 1], pass[AUTH_MAX_PASSWORD + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (auth_parse_basic(bad[i], user, pass) != -EINVAL)
			fail_msg("case %zu '%s' accepted", i,
				 bad[i] ? bad[i] : "(null)");
}

/* "Basic " and the base64 of the len bytes of raw, into out. */
static void basic_header(char *out, size_t size, const unsigned char *raw,
			 size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = (size_t)snprintf(out, size, "Basic ");

	for (size_t i = 0; i < len && o + 5 < size; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 |
			     (i + 1 < len ? (unsigned)raw[i + 1] << 8 : 0) |
			     (i + 2 < len ? raw[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The header of user with a password of n 'p's. */
static void header_of(char *out, size_t size, const char *user, size_t n)
{
	unsigned char raw[512];
	size_t len = (size_t)snprintf((char *)raw, sizeof(raw), "%s:", user);

	memset(raw + len, 'p', n);
	basic_header(out, size, raw, len + n);
}

static void lengths_are_bounded(void **state)
{
	char user[AUTH_MAX_USER + 1], pass[AUTH_MAX_PASSWORD + 1];
	char h[1024], name[AUTH_MAX_USER + 2];

	(void)state;
	header_of(h, sizeof(h), "u", AUTH_MAX_PASSWORD);
	assert_int_equal(auth_parse_basic(h, user, pass), 0);
	assert_int_equal(strlen(pass), AUTH_MAX_PASSWORD);
	header_of(h, sizeof(h), "u", AUTH_MAX_PASSWORD + 1);
	assert_int_equal(auth_parse_basic(h, user, pass), -EINVAL);
	memset(name, 'n', AUTH_MAX_USER);
	name[AUTH_MAX_USER] = '\0';
	header_of(h, sizeof(h), name, 1);
	assert_int_equal(auth_parse_basic(h, user, pass), 0);
	assert_int_equal(strlen(user), AUTH_MAX_USER);
	name[AUTH_MAX_USER] = 'n';
	name[AUTH_MAX_USER + 1] = '\0';
	header_of(h, sizeof(h), name, 1);
	assert_int_equal(auth_parse_basic(h, user, pass), -EINVAL);
}

#ifdef HAVE_LIBCRYPT

/* A bcrypt hash of password made by the system's crypt, with prefix
 * ("$2b$" or "$2y$") and cost, into out (61 bytes). */
static void make_hash(const char *prefix, unsigned cost, const char *password,
		      char *out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn(prefix, cost, NULL, 0, setting, sizeof(setting)))
		fail_msg("crypt_gensalt_rn %s %u", prefix, cost);
	h = crypt_rn(password, setting, &cd, sizeof(cd));
	if (!h || strlen(h) != 60)
		fail_msg("crypt_rn gave %s", h ? h : "(null)");
	memcpy(out, h, 61);
}

static char hash_alice[61], hash_bob[61];

/* A verifier of alice ("wonderland", $2b$) and bob ("builder", $2y$). */
static struct auth *two_users(void)
{
	struct webcfg_user users[2] = {
	    {.name = "alice", .hash = hash_alice, .cost = 4},
	    {.name = "bob", .hash = hash_bob, .cost = 5},
	};
	struct auth *a;
	int rc = 1;

	if (!hash_alice[0]) {
		make_hash("$2b$", 4, "wonderland", hash_alice);
		make_hash("$2y$", 5, "builder", hash_bob);
	}
	a = auth_new(users, 2, &rc);
	assert_non_null(a);
	assert_int_equal(rc, 0);
	return a;
}

/* Whether a lets user in with password. */
static bool lets_in(struct auth *a, const char *user, const char *password)
{
	char raw[256], h[512];
	size_t len = (size_t)snprintf(raw, sizeof(raw), "%s:%s", user, password);

	basic_header(h, sizeof(h), (const unsigned char *)raw, len);
	return auth_check(a, h);
}

static void the_right_password_of_a_user_passes(void **state)
{
	struct auth *a = two_users();

	(void)state;
	assert_true(auth_supported());
	assert_true(lets_in(a, "alice", "wonderland"));
	assert_true(lets_in(a, "bob", "builder"));
	assert_false(lets_in(a, "alice", "Wonderland"));
	assert_false(lets_in(a, "alice", "wonderlan"));
	assert_false(lets_in(a, "alice", "wonderland "));
	assert_false(lets_in(a, "alice", ""));
	assert_false(lets_in(a, "alice", "builder"));	/* bob's */
	assert_false(lets_in(a, "carol", "wonderland")); /* no such user */
	assert_false(lets_in(a, "Alice", "wonderland"));
	assert_false(auth_check(a, NULL));
	assert_false(auth_check(a, "Bearer xyz"));
	/* Asked again, from the cache: the same answers. */
	for (int i = 0; i < 3; i++) {
		assert_true(lets_in(a, "alice", "wonderland"));
		assert_false(lets_in(a, "alice", "builder"));
		assert_false(lets_in(a, "carol", "wonderland"));
	}
	auth_free(a);
}

static void a_password_past_72_bytes_is_refused(void **state)
{
	char long_pw[80], hash[61];
	struct webcfg_user u = {.name = "u", .hash = hash, .cost = 4};
	struct auth *a;

	(void)state;
	memset(long_pw, 'x', 72);
	long_pw[72] = '\0';
	make_hash("$2b$", 4, long_pw, hash);
	a = auth_new(&u, 1, NULL);
	assert_non_null(a);
	assert_true(lets_in(a, "u", long_pw));
	/* bcrypt would read only the first 72 bytes of these. */
	long_pw[72] = 'y';
	long_pw[73] = '\0';
	assert_false(lets_in(a, "u", long_pw));
	auth_free(a);
}

/* A thread of the concurrency test: each answer must be right. */
static void *asker(void *arg)
{
	struct auth *a = arg;
	long wrong = 0;

	for (int i = 0; i < 40; i++) {
		wrong += !lets_in(a, "alice", "wonderland");
		wrong += lets_in(a, "bob", i % 2 ? "builder!" : "Builder");
		wrong += !lets_in(a, "bob", "builder");
	}
	return (void *)wrong;
}

static void threads_asking_at_once_get_the_right_answers(void **state)
{
	struct auth *a = two_users();
	pthread_t t[4];
	void *wrong;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, asker, a), 0);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(pthread_join(t[i], &wrong), 0);
		assert_int_equal((long)wrong, 0);
	}
	auth_free(a);
}

#endif /* HAVE_LIBCRYPT */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bcrypt_hashes_of_the_usual_tools_are_accepted),
		cmocka_unit_test(other_hashes_and_costs_are_refused),
		cmocka_unit_test(basic_headers_give_user_and_password),
		cmocka_unit_test(other_headers_are_refused),
		cmocka_unit_test(lengths_are_bounded),
#ifdef HAVE_LIBCRYPT
		cmocka_unit_test(the_right_password_of_a_user_passes),
		cmocka_unit_test(a_password_past_72_bytes_is_refused),
		cmocka_unit_test(threads_asking_at_once_get_the_right_answers),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
