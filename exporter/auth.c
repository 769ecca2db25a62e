/* Basic authentication against bcrypt hashes: see auth.h.
 *
 * The cache of answers is keyed by a one-way digest of "user:password"
 * (SHA-256-crypt at its minimum of 1,000 rounds, about a millisecond,
 * with a salt drawn at start), never by the password itself; it holds
 * failures too, so that a scraper left with a wrong password does not
 * cost a bcrypt check per scrape either. It lives as long as the web
 * configuration it belongs to: a reload starts a new one. */
#include "exporter/auth.h"

#include "build-config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_LIBCRYPT
#include <crypt.h>
#endif

#include "exporter/api/base.h"
#include "exporter/webcfg.h"

#define BCRYPT_LEN 60u
#define BCRYPT_TAIL 53u /* salt (22) and hash (31) after "$2b$NN$" */

static const char bcrypt_alphabet[] =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int auth_bcrypt_check(const char *hash, size_t len, unsigned *cost,
		      const char **why)
{
	unsigned c;

	if (len < 4 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' ||
	    (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y')) {
		*why = "a string that is not a bcrypt hash (those start with "
		       "$2a$, $2b$ or $2y$)";
		return -EINVAL;
	}
	if (len != BCRYPT_LEN || hash[6] != '$' || hash[4] < '0' ||
	    hash[4] > '9' || hash[5] < '0' || hash[5] > '9') {
		*why = "a cut or padded bcrypt hash (it has 60 characters: "
		       "$2y$NN$ and 53 more)";
		return -EINVAL;
	}
	for (size_t i = BCRYPT_LEN - BCRYPT_TAIL; i < len; i++) {
		if (hash[i] == '\0' || !strchr(bcrypt_alphabet, hash[i])) {
			*why = "a bcrypt hash with a character outside its "
			       "alphabet (./A-Za-z0-9)";
			return -EINVAL;
		}
	}
	c = (unsigned)(hash[4] - '0') * 10 + (unsigned)(hash[5] - '0');
	if (c < AUTH_MIN_COST) {
		*why = "a bcrypt hash with a cost below 4";
		return -EINVAL;
	}
	if (c > AUTH_MAX_COST) {
		*why = "a bcrypt hash with a cost above 12 (each step doubles "
		       "the CPU time of a check, which anyone who can connect "
		       "can ask for; make it again with a cost of 12 or less, "
		       "e.g. htpasswd -nBC 10)";
		return -EINVAL;
	}
	*cost = c;
	return 0;
}

/* The value of one base64 character, or -1 ('=' is not a value). */
static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes padded standard base64 (len a multiple of 4, '=' only at the
 * end) into out, of room for max bytes. Returns the decoded length or
 * -EINVAL. */
static long b64_decode(const char *in, size_t len, unsigned char *out,
		       size_t max)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			unsigned char ch = (unsigned char)in[i + (size_t)k];

			v[k] = b64_value(ch);
			if (ch == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
			} else if (v[k] < 0 || pad) {
				return -EINVAL;
			}
		}
		if (o + 3 - (size_t)pad > max)
			return -EINVAL;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] =
			    (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

int auth_parse_basic(const char *header, char *user, char *pass)
{
	unsigned char raw[AUTH_MAX_USER + 1 + AUTH_MAX_PASSWORD + 3];
	const char *b64;
	const unsigned char *colon;
	size_t len, ulen, plen;
	long n;
	int rc = -EINVAL;

	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	b64 = header + 6;
	len = strlen(b64);
	if (len > (sizeof(raw) + 2) / 3 * 4)
		return -EINVAL;
	n = b64_decode(b64, len, raw, sizeof(raw));
	if (n < 0)
		goto out;
	colon = memchr(raw, ':', (size_t)n);
	if (!colon)
		goto out;
	ulen = (size_t)(colon - raw);
	plen = (size_t)n - ulen - 1;
	if (ulen > AUTH_MAX_USER || plen > AUTH_MAX_PASSWORD ||
	    memchr(raw, '\0', (size_t)n))
		goto out;
	memcpy(user, raw, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, plen);
	pass[plen] = '\0';
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

#ifndef HAVE_LIBCRYPT

struct auth *auth_new(const struct webcfg_user *users, size_t n, int *rc)
{
	(void)users;
	(void)n;
	if (rc)
		*rc = -ENOTSUP;
	return NULL;
}

void auth_free(struct auth *a)
{
	(void)a;
}

bool auth_check(struct auth *a, const char *header)
{
	(void)a;
	(void)header;
	return false;
}

bool auth_supported(void)
{
	return false;
}

#else /* HAVE_LIBCRYPT */

#define AUTH_CACHE 64u
#define DIGEST_ROUNDS 1000ul
#define DIGEST_LEN 43u /* SHA-256-crypt's hash part */

/* One remembered answer. */
struct auth_entry {
	char digest[DIGEST_LEN];
	bool set, ok;
	uint64_t used; /* a tick: the least recently used entry goes first */
};

struct auth {
	pthread_mutex_t lock;	    /* the cache */
	pthread_mutex_t crypt_lock; /* one bcrypt check at a time */
	struct webcfg_user *users;  /* our copies */
	size_t n;
	size_t dummy; /* the user whose hash an unknown name is checked
		       * against: the costliest one */
	char setting[CRYPT_GENSALT_OUTPUT_SIZE]; /* the digest's salt */
	struct auth_entry cache[AUTH_CACHE];
	uint64_t tick;
};

bool auth_supported(void)
{
	return true;
}

/* Compares n bytes without stopping at the first difference. */
static bool equal_ct(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Runs crypt on phrase with setting and copies what follows the last
 * '$' of its output (want bytes) to out. Returns 0 or -EINVAL (crypt
 * refused the setting) or -ENOMEM; nothing of the phrase is left in the
 * work area. */
static int run_crypt(const char *phrase, const char *setting, char *out,
		     size_t want)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h, *tail;
	int rc = -EINVAL;

	if (!cd)
		return -ENOMEM;
	h = crypt_rn(phrase, setting, cd, (int)sizeof(*cd));
	tail = h ? strrchr(h, '$') : NULL;
	if (h && h[0] != '*' && tail && strlen(tail + 1) == want) {
		memcpy(out, tail + 1, want);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

struct auth *auth_new(const struct webcfg_user *users, size_t n, int *rc)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (rc)
		*rc = -ENOMEM;
	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->crypt_lock, NULL);
	a->users = calloc(n ? n : 1, sizeof(*a->users));
	if (!a->users)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		a->users[i].name = strdup(users[i].name);
		a->users[i].hash = strdup(users[i].hash);
		a->users[i].cost = users[i].cost;
		a->n++;
		if (!a->users[i].name || !a->users[i].hash)
			goto fail;
		if (users[i].cost > a->users[a->dummy].cost)
			a->dummy = i;
	}
	/* NULL random bytes: libxcrypt draws them from the kernel. */
	if (!crypt_gensalt_rn("$5$", DIGEST_ROUNDS, NULL, 0, a->setting,
			      (int)sizeof(a->setting)))
		goto fail;
	if (rc)
		*rc = 0;
	return a;
fail:
	auth_free(a);
	return NULL;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		if (a->users[i].hash)
			explicit_bzero(a->users[i].hash,
				       strlen(a->users[i].hash));
		free(a->users[i].hash);
	}
	free(a->users);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->crypt_lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

/* The remembered answer for digest: 1 yes, 0 no, -1 not remembered. */
static int cache_get(struct auth *a, const char *digest)
{
	int r = -1;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < AUTH_CACHE; i++) {
		struct auth_entry *e = &a->cache[i];

		if (e->set && equal_ct(e->digest, digest, DIGEST_LEN)) {
			e->used = ++a->tick;
			r = e->ok;
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* Remembers an answer in a free entry or the least recently used one. */
static void cache_put(struct auth *a, const char *digest, bool ok)
{
	struct auth_entry *victim = &a->cache[0];

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < AUTH_CACHE; i++) {
		struct auth_entry *e = &a->cache[i];

		if (!e->set || e->used < victim->used)
			victim = e;
		if (!e->set)
			break;
	}
	memcpy(victim->digest, digest, DIGEST_LEN);
	victim->set = true;
	victim->ok = ok;
	victim->used = ++a->tick;
	pthread_mutex_unlock(&a->lock);
}

/* Checks pass against the hash of user (or against the costliest hash
 * when there is no such user, for the time it takes). */
static bool verify(struct auth *a, const char *user, const char *pass)
{
	const struct webcfg_user *u = NULL;
	char got[BCRYPT_TAIL];
	const char *hash;
	bool ok;
	int rc;

	for (size_t i = 0; i < a->n && !u; i++)
		if (strcmp(a->users[i].name, user) == 0)
			u = &a->users[i];
	hash = u ? u->hash : a->users[a->dummy].hash;
	pthread_mutex_lock(&a->crypt_lock);
	rc = run_crypt(pass, hash, got, BCRYPT_TAIL);
	pthread_mutex_unlock(&a->crypt_lock);
	ok = rc == 0 && u &&
	     equal_ct(got, hash + BCRYPT_LEN - BCRYPT_TAIL, BCRYPT_TAIL);
	explicit_bzero(got, sizeof(got));
	return ok;
}

bool auth_check(struct auth *a, const char *header)
{
	char user[AUTH_MAX_USER + 1], pass[AUTH_MAX_PASSWORD + 1];
	char phrase[sizeof(user) + 1 + sizeof(pass)];
	char digest[DIGEST_LEN];
	bool ok = false;
	int known;

	if (!a || a->n == 0 || auth_parse_basic(header, user, pass) < 0)
		return false;
	snprintf(phrase, sizeof(phrase), "%s:%s", user, pass);
	if (run_crypt(phrase, a->setting, digest, DIGEST_LEN) < 0)
		goto out;
	known = cache_get(a, digest);
	if (known >= 0) {
		ok = known == 1;
		goto out;
	}
	ok = verify(a, user, pass);
	cache_put(a, digest, ok);
out:
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(phrase, sizeof(phrase));
	explicit_bzero(digest, sizeof(digest));
	return ok;
}

#endif /* HAVE_LIBCRYPT */
