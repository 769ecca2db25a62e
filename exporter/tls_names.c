/* Go's TLS names and the GnuTLS priority strings they map to: see
 * tls_names.h. */
#include "exporter/tls_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exporter/api/base.h"

const struct tls_version tls_versions[] = {
    [TLS_V10] = {"TLS10", "VERS-TLS1.0"},
    [TLS_V11] = {"TLS11", "VERS-TLS1.1"},
    [TLS_V12] = {"TLS12", "VERS-TLS1.2"},
    [TLS_V13] = {"TLS13", "VERS-TLS1.3"},
};
const size_t tls_nversions = ARRAY_SIZE(tls_versions);

/* The suites that Go's tls.CipherSuites() lists (the ones the toolkit
 * accepts), and the four RSA key exchange suites that it listed until Go
 * moved them to the insecure list, so that older files still load. */
const struct tls_cipher tls_ciphers[] = {
    {"TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD"},
    {"TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD"},
    {"TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC",
     "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC",
     "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM",
     "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM",
     "AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM",
     "AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM",
     "AEAD"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA",
     "CHACHA20-POLY1305", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA",
     "CHACHA20-POLY1305", "AEAD"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD"},
};
const size_t tls_nciphers = ARRAY_SIZE(tls_ciphers);

/* The first three entries of tls_ciphers are TLS 1.3's own suites. */
#define TLS13_SUITES 3u

const struct tls_curve tls_curves[] = {
    {"CurveP256", "GROUP-SECP256R1"},
    {"CurveP384", "GROUP-SECP384R1"},
    {"CurveP521", "GROUP-SECP521R1"},
    {"X25519", "GROUP-X25519"},
};
const size_t tls_ncurves = ARRAY_SIZE(tls_curves);

/* The index in a table of count entries of stride bytes, each starting
 * with its name, of the one named name (len bytes), or -1. */
static int find(const void *base, size_t stride, size_t count, const char *name,
		size_t len)
{
	for (size_t i = 0; i < count; i++) {
		const char *const *n =
		    (const void *)((const char *)base + i * stride);

		if (strlen(*n) == len && memcmp(*n, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int tls_version_find(const char *name, size_t len)
{
	return find(tls_versions, sizeof(tls_versions[0]), tls_nversions, name,
		    len);
}

int tls_cipher_find(const char *name, size_t len)
{
	return find(tls_ciphers, sizeof(tls_ciphers[0]), tls_nciphers, name,
		    len);
}

int tls_curve_find(const char *name, size_t len)
{
	return find(tls_curves, sizeof(tls_curves[0]), tls_ncurves, name, len);
}

/* A priority string being written: out, its size, how much is used. A
 * write that does not fit sets full and is otherwise ignored. */
struct prio_out {
	char *s;
	size_t size, len;
	bool full;
};

/* Appends ":PREFIXWORD" to o. */
static void put(struct prio_out *o, const char *prefix, const char *word)
{
	int n;

	if (o->full)
		return;
	n = snprintf(o->s + o->len, o->size - o->len, ":%s%s", prefix, word);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

/* Whether ":+WORD" is an item of o already (followed by ':' or the end). */
static bool has_item(const struct prio_out *o, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = strstr(o->s, ":+"); p; p = strstr(p + 2, ":+")) {
		if (strncmp(p + 2, word, wl) == 0 &&
		    (p[2 + wl] == ':' || p[2 + wl] == '\0'))
			return true;
	}
	return false;
}

/* Appends ":+WORD" unless it is there already. */
static void put_once(struct prio_out *o, const char *word)
{
	if (!o->full && !has_item(o, word))
		put(o, "+", word);
}

/* Appends the parts of the named suites: ciphers, then MACs, then key
 * exchanges, each in order of first appearance; TLS 1.3's suites after
 * them when TLS 1.3 is allowed. */
static void put_suites(struct prio_out *o, const struct tls_prio_spec *s)
{
	bool tls13 = s->max_version >= TLS_V13;

	put(o, "", "-CIPHER-ALL:-MAC-ALL:-KX-ALL");
	for (size_t i = 0; i < s->nciphers; i++)
		put_once(o, tls_ciphers[s->ciphers[i]].cipher);
	for (size_t i = 0; tls13 && i < TLS13_SUITES; i++)
		put_once(o, tls_ciphers[i].cipher);
	for (size_t i = 0; i < s->nciphers; i++)
		put_once(o, tls_ciphers[s->ciphers[i]].mac);
	if (tls13)
		put_once(o, "AEAD");
	for (size_t i = 0; i < s->nciphers; i++)
		if (tls_ciphers[s->ciphers[i]].kx)
			put_once(o, tls_ciphers[s->ciphers[i]].kx);
}

int tls_priority_build(const struct tls_prio_spec *s, char *out, size_t size)
{
	struct prio_out o = {.s = out, .size = size};
	int n;

	if (s->min_version > s->max_version ||
	    s->max_version >= tls_nversions || s->nciphers > TLS_MAX_CIPHERS ||
	    s->ncurves > TLS_MAX_CURVES)
		return -EINVAL;
	for (size_t i = 0; i < s->nciphers; i++)
		if (s->ciphers[i] >= tls_nciphers)
			return -EINVAL;
	for (size_t i = 0; i < s->ncurves; i++)
		if (s->curves[i] >= tls_ncurves)
			return -EINVAL;
	n = snprintf(out, size, "NORMAL:-VERS-ALL");
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	o.len = (size_t)n;
	/* Newest first, as GnuTLS offers them in this order. */
	for (unsigned v = s->max_version + 1; v-- > s->min_version;)
		put(&o, "+", tls_versions[v].gnutls);
	if (s->nciphers)
		put_suites(&o, s);
	if (s->ncurves)
		put(&o, "", "-GROUP-ALL");
	for (size_t i = 0; i < s->ncurves; i++)
		put(&o, "+", tls_curves[s->curves[i]].gnutls);
	if (s->server_order)
		put(&o, "", "%SERVER_PRECEDENCE");
	return o.full ? -ENOSPC : 0;
}
