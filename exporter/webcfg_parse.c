/* The parser of the web configuration file (see webcfg.h): a pure
 * function over a buffer, driven by the configuration file's YAML walker
 * (exporter/api/config_yaml.h), then the checks across keys that the
 * exporter-toolkit makes (a certificate needs its key, a client CA needs
 * a client_auth_type that asks for certificates), each reported at the
 * line of the key at fault. Secrets (an inline key, the hashes) are never
 * shown in an error. */
#include "exporter/webcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"
#include "exporter/auth.h"

#ifndef HAVE_LIBYAML

int webcfg_parse(const char *text, size_t len, const char *filename,
		 struct webcfg **out, struct config_error *err)
{
	(void)text;
	(void)len;
	(void)out;
	if (err)
		config_err_set(err, filename ? filename : "", 0, 0,
			       "built without libyaml: install libyaml-dev and "
			       "rebuild to use a web configuration file");
	return -ENOTSUP;
}

#else /* HAVE_LIBYAML */

#define RATE_MAX_BURST 1000000u

enum { TOP_TLS, TOP_HTTP, TOP_USERS, TOP_RATE, TOP_COUNT };
static const char *const top_keys[TOP_COUNT] = {
    [TOP_TLS] = "tls_server_config",
    [TOP_HTTP] = "http_server_config",
    [TOP_USERS] = "basic_auth_users",
    [TOP_RATE] = "rate_limit",
};

enum {
	TK_CERT,
	TK_KEY,
	TK_CLIENT_CA,
	TK_CERT_FILE,
	TK_KEY_FILE,
	TK_CLIENT_AUTH,
	TK_CLIENT_CA_FILE,
	TK_CIPHERS,
	TK_CURVES,
	TK_MIN_VERSION,
	TK_MAX_VERSION,
	TK_PREFER,
	TK_SANS,
	TK_COUNT
};
static const char *const tls_keys[TK_COUNT] = {
    [TK_CERT] = "cert",
    [TK_KEY] = "key",
    [TK_CLIENT_CA] = "client_ca",
    [TK_CERT_FILE] = "cert_file",
    [TK_KEY_FILE] = "key_file",
    [TK_CLIENT_AUTH] = "client_auth_type",
    [TK_CLIENT_CA_FILE] = "client_ca_file",
    [TK_CIPHERS] = "cipher_suites",
    [TK_CURVES] = "curve_preferences",
    [TK_MIN_VERSION] = "min_version",
    [TK_MAX_VERSION] = "max_version",
    [TK_PREFER] = "prefer_server_cipher_suites",
    [TK_SANS] = "client_allowed_sans",
};

enum { HK_HTTP2, HK_HEADERS, HK_COUNT };
static const char *const http_keys[HK_COUNT] = {
    [HK_HTTP2] = "http2",
    [HK_HEADERS] = "headers",
};

enum { RK_INTERVAL, RK_BURST, RK_COUNT };
static const char *const rate_keys[RK_COUNT] = {
    [RK_INTERVAL] = "interval",
    [RK_BURST] = "burst",
};

/* One parse: the configuration being built, and where the values that
 * the checks across keys refer to were. */
struct wp {
	struct webcfg *c;
	struct parse_ctx *ctx;
	struct webcfg_pos tls_at;	    /* tls_server_config's value */
	struct webcfg_pos key_at[TK_COUNT]; /* each TLS key's value */
	bool key_set[TK_COUNT];		    /* set to something not empty */
};

/* A key table of names (each entry is a const char *). */
static struct key_table names_table(const char *const *names, size_t n)
{
	return (struct key_table){.base = names,
				  .stride = sizeof(names[0]),
				  .count = n,
				  .noun = "key"};
}

static struct webcfg_pos pos_of(const yaml_event_t *ev)
{
	return (struct webcfg_pos){(unsigned)ev->start_mark.line + 1,
				   (unsigned)ev->start_mark.column + 1};
}

/* Records an error at a position taken earlier. */
__attribute__((format(printf, 3, 4))) static int
fail_pos(struct wp *p, struct webcfg_pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vset(p->ctx->err, p->ctx->file, at.line, at.column, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Describes a value that may be a secret without showing it. */
static const char *describe_secret(const yaml_event_t *ev, char *out,
				   size_t size)
{
	if (ev->type == YAML_SCALAR_EVENT && !cy_is_null(ev)) {
		snprintf(out, size, "a string of %zu bytes (not shown)",
			 ev->data.scalar.length);
		return out;
	}
	return cy_describe(ev, out, size);
}

/* The text of a scalar value: NULL for a null or an empty string (which
 * the toolkit takes as unset). Refuses anything but a scalar, and NUL
 * bytes. A secret's value is never shown. */
static int get_text(struct parse_ctx *c, const char *path,
		    const yaml_event_t *v, bool secret, const char **out)
{
	char tmp[64];

	*out = NULL;
	if (v->type == YAML_SCALAR_EVENT && cy_is_null(v))
		return 0;
	if (v->type != YAML_SCALAR_EVENT)
		return cy_fail_at(c, &v->start_mark,
				  "%s: expected a string, got %s", path,
				  secret ? describe_secret(v, tmp, sizeof(tmp))
					 : cy_describe(v, tmp, sizeof(tmp)));
	if (strlen((const char *)v->data.scalar.value) != v->data.scalar.length)
		return cy_fail_at(c, &v->start_mark,
				  "%s: a NUL byte is not allowed", path);
	if (v->data.scalar.length > 0)
		*out = (const char *)v->data.scalar.value;
	return 0;
}

/* Sets a PEM source: inline text (text) or a file, refusing both. */
static int set_pem(struct wp *p, struct webcfg_pem *pem, size_t idx,
		   size_t other, const char *path, const yaml_event_t *v,
		   bool text)
{
	const char *s;
	int rc = get_text(p->ctx, path, v, idx == TK_KEY, &s);

	if (rc || !s)
		return rc;
	if (p->key_set[other])
		return cy_fail_at(p->ctx, &v->start_mark,
				  "%s: %s is set too (line %u): give it one "
				  "way, inline or as a file",
				  path, tls_keys[other], p->key_at[other].line);
	if (text)
		pem->text = strdup(s);
	else
		pem->file = webcfg_resolve(p->ctx->file, s);
	if (!pem->text && !pem->file)
		return -ENOMEM;
	pem->pos = pos_of(v);
	return 0;
}

/* Sets an index from a table of names (versions, client auth types). */
static int set_choice(struct parse_ctx *c, const char *path,
		      const yaml_event_t *v, int (*find)(const char *, size_t),
		      const char *expected, unsigned *out)
{
	char tmp[64];
	const char *s;
	int rc = get_text(c, path, v, false, &s), idx;

	if (rc || !s)
		return rc;
	idx = find(s, strlen(s));
	if (idx < 0)
		return cy_fail_at(c, &v->start_mark, "%s: expected %s, got %s",
				  path, expected,
				  cy_describe(v, tmp, sizeof(tmp)));
	*out = (unsigned)idx;
	return 0;
}

/* What a list of names is collected into. */
struct name_list {
	int (*find)(const char *, size_t);
	const char *expected; /* for an unknown name */
	unsigned char *v;
	size_t n, max;
};

/* on_item of cipher_suites and curve_preferences: a known name, kept
 * once, in order. */
static int name_item(struct parse_ctx *c, const char *path,
		     const yaml_event_t *ev, void *arg)
{
	struct name_list *l = arg;
	char tmp[64];
	const char *s;
	int rc = get_text(c, path, ev, false, &s), idx;

	if (rc)
		return rc;
	idx = s ? l->find(s, strlen(s)) : -1;
	if (idx < 0)
		return cy_fail_at(c, &ev->start_mark, "%s: expected %s, got %s",
				  path, l->expected,
				  cy_describe(ev, tmp, sizeof(tmp)));
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == idx)
			return 0;
	if (l->n == l->max)
		return cy_fail_at(c, &ev->start_mark, "%s: too many items",
				  path);
	l->v[l->n++] = (unsigned char)idx;
	return 0;
}

/* on_item of client_allowed_sans: a non-empty string. */
static int san_item(struct parse_ctx *c, const char *path,
		    const yaml_event_t *ev, void *arg)
{
	struct webcfg *w = arg;
	char tmp[64], **nv;
	const char *s;
	int rc = get_text(c, path, ev, false, &s);

	if (rc)
		return rc;
	if (!s)
		return cy_fail_at(c, &ev->start_mark,
				  "%s: expected a name (DNS, IP, e-mail or "
				  "URI), got %s",
				  path, cy_describe(ev, tmp, sizeof(tmp)));
	nv = realloc(w->allowed_sans, (w->nallowed_sans + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	w->allowed_sans = nv;
	nv[w->nallowed_sans] = strdup(s);
	if (!nv[w->nallowed_sans])
		return -ENOMEM;
	w->nallowed_sans++;
	return 0;
}

/* Sets a list of cipher suites or curves. */
static int set_names(struct parse_ctx *c, const char *path,
		     const yaml_event_t *v, struct name_list *l, size_t *n)
{
	int rc;

	l->n = 0;
	rc = cy_walk_list(c, path, v, "a list of names", name_item, l);
	*n = l->n;
	return rc;
}

/* The PEM keys of tls_server_config: which source each sets, whether
 * inline, and the key that sets the same source the other way. */
static const struct {
	size_t idx, other;
	size_t offset; /* of the struct webcfg_pem in struct webcfg */
	bool text;
} pem_keys[] = {
    {TK_CERT, TK_CERT_FILE, offsetof(struct webcfg, cert), true},
    {TK_KEY, TK_KEY_FILE, offsetof(struct webcfg, key), true},
    {TK_CLIENT_CA, TK_CLIENT_CA_FILE, offsetof(struct webcfg, client_ca), true},
    {TK_CERT_FILE, TK_CERT, offsetof(struct webcfg, cert), false},
    {TK_KEY_FILE, TK_KEY, offsetof(struct webcfg, key), false},
    {TK_CLIENT_CA_FILE, TK_CLIENT_CA, offsetof(struct webcfg, client_ca),
     false},
};

/* Whether key idx, just parsed from v, is set to something: an empty
 * value or list leaves it unset, as in the toolkit. */
static bool value_set(const struct webcfg *w, size_t idx, const yaml_event_t *v)
{
	switch (idx) {
	case TK_CIPHERS:
		return w->nciphers > 0;
	case TK_CURVES:
		return w->ncurves > 0;
	case TK_SANS:
		return w->nallowed_sans > 0;
	case TK_PREFER:
		return false; /* harmless on its own */
	default:
		return v->type == YAML_SCALAR_EVENT && !cy_is_null(v) &&
		       v->data.scalar.length > 0;
	}
}

/* Sets the keys of tls_server_config that are not PEM sources. */
static int set_tls_value(struct wp *p, size_t idx, const char *path,
			 const yaml_event_t *v)
{
	static const char versions[] = "TLS10, TLS11, TLS12 or TLS13";
	struct webcfg *w = p->c;
	struct name_list ciphers = {
	    tls_cipher_find,
	    "a cipher suite by Go's name, such as "
	    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (web-config.md lists them)",
	    w->ciphers, 0, TLS_MAX_CIPHERS};
	struct name_list curves = {tls_curve_find,
				   "CurveP256, CurveP384, CurveP521 or X25519",
				   w->curves, 0, TLS_MAX_CURVES};
	unsigned u = w->client_auth;
	int b, rc;

	switch (idx) {
	case TK_CLIENT_AUTH:
		rc = set_choice(p->ctx, path, v, webcfg_client_auth_find,
				"NoClientCert, RequestClientCert, "
				"RequireAnyClientCert, VerifyClientCertIfGiven "
				"or RequireAndVerifyClientCert",
				&u);
		w->client_auth = (enum webcfg_client_auth)u;
		return rc;
	case TK_CIPHERS:
		return set_names(p->ctx, path, v, &ciphers, &w->nciphers);
	case TK_CURVES:
		return set_names(p->ctx, path, v, &curves, &w->ncurves);
	case TK_MIN_VERSION:
		return set_choice(p->ctx, path, v, tls_version_find, versions,
				  &w->min_version);
	case TK_MAX_VERSION:
		return set_choice(p->ctx, path, v, tls_version_find, versions,
				  &w->max_version);
	case TK_PREFER:
		rc = cy_set_bool(p->ctx, path, v, &b);
		if (rc == 0)
			w->prefer_server_cipher_suites = b;
		return rc;
	default:
		return cy_walk_list(p->ctx, path, v, "a list of names",
				    san_item, w);
	}
}

/* on_value of tls_server_config. */
static int on_tls(struct parse_ctx *c, size_t idx, const char *path,
		  const yaml_event_t *v, void *arg)
{
	struct wp *p = arg;
	int rc = -EINVAL;
	bool pem = false;

	(void)c;
	p->key_at[idx] = pos_of(v);
	for (size_t i = 0; i < ARRAY_SIZE(pem_keys); i++) {
		if (pem_keys[i].idx != idx)
			continue;
		rc = set_pem(p,
			     (struct webcfg_pem *)(void *)((char *)p->c +
							   pem_keys[i].offset),
			     idx, pem_keys[i].other, path, v, pem_keys[i].text);
		pem = true;
	}
	if (!pem)
		rc = set_tls_value(p, idx, path, v);
	if (rc == 0)
		p->key_set[idx] = value_set(p->c, idx, v);
	return rc;
}

/* The checks of a header's value: no control characters (they would
 * split the response), and the values the toolkit allows. */
static int check_header(struct parse_ctx *c, const char *path,
			const yaml_event_t *v, size_t idx, const char *s)
{
	char tmp[64];

	for (const char *q = s; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return cy_fail_at(c, &v->start_mark,
					  "%s: control characters are not "
					  "allowed in a header",
					  path);
	if (idx == WEBCFG_HDR_FRAME_OPTIONS && strcmp(s, "deny") != 0 &&
	    strcmp(s, "sameorigin") != 0)
		return cy_fail_at(c, &v->start_mark,
				  "%s: expected deny or sameorigin, got %s",
				  path, cy_describe(v, tmp, sizeof(tmp)));
	if (idx == WEBCFG_HDR_CONTENT_TYPE_OPTIONS && strcmp(s, "nosniff") != 0)
		return cy_fail_at(c, &v->start_mark,
				  "%s: expected nosniff, got %s", path,
				  cy_describe(v, tmp, sizeof(tmp)));
	return 0;
}

/* on_value of http_server_config.headers. */
static int on_header(struct parse_ctx *c, size_t idx, const char *path,
		     const yaml_event_t *v, void *arg)
{
	struct webcfg *w = arg;
	const char *s;
	int rc = get_text(c, path, v, false, &s);

	if (rc || !s)
		return rc;
	rc = check_header(c, path, v, idx, s);
	if (rc)
		return rc;
	w->headers[idx] = strdup(s);
	return w->headers[idx] ? 0 : -ENOMEM;
}

/* on_value of http_server_config. */
static int on_http(struct parse_ctx *c, size_t idx, const char *path,
		   const yaml_event_t *v, void *arg)
{
	struct webcfg *w = arg;
	const struct map_walk headers = {
	    .path = path,
	    .keys = names_table(webcfg_header_names, WEBCFG_NHEADERS),
	    .on_value = on_header,
	    .arg = w,
	};
	int b, rc;

	if (idx == HK_HEADERS)
		return cy_walk_map(c, v, &headers);
	rc = cy_set_bool(c, path, v, &b);
	if (rc == 0)
		w->http2 = b;
	return rc;
}

/* rate_limit.interval: a duration, or 0 for no limit. Go reads a bare
 * number as nanoseconds, so only 0 may go without a unit here. */
static int set_interval(struct parse_ctx *c, const char *path,
			const yaml_event_t *v, unsigned *ms)
{
	char tmp[64];
	const char *s;
	int rc = get_text(c, path, v, false, &s);

	if (rc)
		return rc;
	if (!s || strcmp(s, "0") == 0 || strcmp(s, "0s") == 0) {
		*ms = 0;
		return 0;
	}
	if (strspn(s, "0123456789.") < strlen(s) &&
	    config_parse_duration(s, ms) == 0)
		return 0;
	return cy_fail_at(c, &v->start_mark,
			  "%s: expected a duration like 1s, 500ms or 1m (at "
			  "most 24h; 0 for no limit), got %s",
			  path, cy_describe(v, tmp, sizeof(tmp)));
}

/* on_value of rate_limit. */
static int on_rate(struct parse_ctx *c, size_t idx, const char *path,
		   const yaml_event_t *v, void *arg)
{
	struct webcfg *w = arg;
	char tmp[64], *end;
	const char *s;
	unsigned long n;
	int rc;

	if (idx == RK_INTERVAL)
		return set_interval(c, path, v, &w->rate_interval_ms);
	rc = get_text(c, path, v, false, &s);
	if (rc)
		return rc;
	if (s && s[0] >= '0' && s[0] <= '9' &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		errno = 0;
		n = strtoul(s, &end, 10);
		if (!*end && errno == 0 && n <= RATE_MAX_BURST) {
			w->rate_burst = (unsigned)n;
			return 0;
		}
	}
	return cy_fail_at(c, &v->start_mark,
			  "%s: expected a whole number from 0 to %u, got %s",
			  path, RATE_MAX_BURST,
			  cy_describe(v, tmp, sizeof(tmp)));
}

/* Adds one user of basic_auth_users: key is its name, value its hash. */
static int add_user(struct parse_ctx *c, struct webcfg *w,
		    const yaml_event_t *key, const yaml_event_t *v)
{
	const char *name = (const char *)key->data.scalar.value;
	char tmp[64], path[AUTH_MAX_USER + 32];
	struct webcfg_user *nu;
	const char *hash, *why = "";
	unsigned cost;
	int rc;

	if (key->type != YAML_SCALAR_EVENT || cy_is_null(key) ||
	    key->data.scalar.length == 0 ||
	    strlen(name) != key->data.scalar.length)
		return cy_fail_at(c, &key->start_mark,
				  "basic_auth_users: expected a user name, "
				  "got %s",
				  cy_describe(key, tmp, sizeof(tmp)));
	if (key->data.scalar.length > AUTH_MAX_USER || strchr(name, ':'))
		return cy_fail_at(c, &key->start_mark,
				  "basic_auth_users: a user name has at most "
				  "%u bytes and no ':', got %s",
				  AUTH_MAX_USER,
				  cy_describe(key, tmp, sizeof(tmp)));
	for (size_t i = 0; i < w->nusers; i++)
		if (strcmp(w->users[i].name, name) == 0)
			return cy_fail_at(
			    c, &key->start_mark,
			    "basic_auth_users: user '%s' is "
			    "given twice",
			    cy_show(name, strlen(name), tmp, sizeof(tmp)));
	snprintf(path, sizeof(path), "basic_auth_users.%s", name);
	rc = get_text(c, path, v, true, &hash);
	if (rc)
		return rc;
	if (!hash || auth_bcrypt_check(hash, strlen(hash), &cost, &why) < 0)
		return cy_fail_at(
		    c, &v->start_mark,
		    "%s: expected a bcrypt hash (htpasswd -nBC 10 "
		    "\"\" makes one), got %s",
		    path, hash ? why : "nothing");
	nu = realloc(w->users, (w->nusers + 1) * sizeof(*nu));
	if (!nu)
		return -ENOMEM;
	w->users = nu;
	nu[w->nusers] = (struct webcfg_user){
	    .name = strdup(name), .hash = strdup(hash), .cost = cost};
	w->nusers++;
	return nu[w->nusers - 1].name && nu[w->nusers - 1].hash ? 0 : -ENOMEM;
}

/* basic_auth_users: a mapping of any user names to bcrypt hashes, which
 * the key tables of the walker cannot describe. */
static int parse_users(struct parse_ctx *c, const yaml_event_t *start,
		       struct webcfg *w)
{
	yaml_event_t key, value;
	char tmp[64];
	int rc;

	if (cy_is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT)
		return cy_fail_at(c, &start->start_mark,
				  "basic_auth_users: expected a mapping of "
				  "user: bcrypt hash, got %s",
				  describe_secret(start, tmp, sizeof(tmp)));
	for (;;) {
		rc = cy_next_event(c, &key);
		if (rc)
			return rc;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		rc = cy_next_event(c, &value);
		if (rc == 0) {
			rc = add_user(c, w, &key, &value);
			yaml_event_delete(&value);
		}
		yaml_event_delete(&key);
		if (rc)
			return rc;
	}
}

/* on_value of the top level. */
static int on_top(struct parse_ctx *c, size_t idx, const char *path,
		  const yaml_event_t *v, void *arg)
{
	struct wp *p = arg;
	struct map_walk w = {.path = path, .arg = p->c};
	char tmp[64];

	/* The walker would show a scalar, which may be a pasted key. */
	if (v->type != YAML_MAPPING_START_EVENT && !cy_is_null(v) &&
	    idx != TOP_USERS)
		return cy_fail_at(c, &v->start_mark,
				  "%s: expected a mapping, got %s", path,
				  describe_secret(v, tmp, sizeof(tmp)));
	switch (idx) {
	case TOP_TLS:
		p->tls_at = pos_of(v);
		w.keys = names_table(tls_keys, TK_COUNT);
		w.on_value = on_tls;
		w.arg = p;
		break;
	case TOP_HTTP:
		w.keys = names_table(http_keys, HK_COUNT);
		w.on_value = on_http;
		break;
	case TOP_USERS:
		return parse_users(c, v, p->c);
	default:
		w.keys = names_table(rate_keys, RK_COUNT);
		w.on_value = on_rate;
		break;
	}
	return cy_walk_map(c, v, &w);
}

/* The TLS keys that mean nothing without a certificate. */
static const size_t tls_only_keys[] = {TK_MIN_VERSION, TK_MAX_VERSION,
				       TK_CIPHERS, TK_CURVES, TK_SANS};

/* The checks of tls_server_config across its keys, once it is parsed. */
static int check_tls(struct wp *p)
{
	struct webcfg *w = p->c;
	const char *auth = webcfg_client_auth_name(w->client_auth);
	bool ca = w->client_ca.file || w->client_ca.text;
	bool verify = w->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN ||
		      w->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
	size_t ca_key = w->client_ca.file ? TK_CLIENT_CA_FILE : TK_CLIENT_CA;

	/* As the toolkit: these keys turn TLS on. */
	w->tls = w->cert.file || w->cert.text || w->key.file || w->key.text ||
		 ca || p->key_set[TK_CLIENT_AUTH];
	for (size_t i = 0; !w->tls && i < ARRAY_SIZE(tls_only_keys); i++)
		if (p->key_set[tls_only_keys[i]])
			return fail_pos(p, p->key_at[tls_only_keys[i]],
					"tls_server_config.%s: set without a "
					"certificate: TLS needs cert_file and "
					"key_file (or cert and key)",
					tls_keys[tls_only_keys[i]]);
	if (!w->tls)
		return 0;
	if (!w->cert.file && !w->cert.text)
		return fail_pos(p, p->tls_at,
				"tls_server_config: no certificate: set "
				"cert_file (or cert)");
	if (!w->key.file && !w->key.text)
		return fail_pos(p, p->tls_at,
				"tls_server_config: no private key: set "
				"key_file (or key)");
	if (ca && w->client_auth == WEBCFG_NO_CLIENT_CERT)
		return fail_pos(p, p->key_at[ca_key],
				"tls_server_config.%s: a client CA needs "
				"client_auth_type RequireAndVerifyClientCert "
				"(or VerifyClientCertIfGiven), not %s",
				tls_keys[ca_key], auth);
	if (verify && !ca)
		return fail_pos(p, p->key_at[TK_CLIENT_AUTH],
				"tls_server_config.client_auth_type: %s needs "
				"client_ca_file (or client_ca), the CA that "
				"client certificates are checked against",
				auth);
	if (w->nallowed_sans && w->client_auth == WEBCFG_NO_CLIENT_CERT)
		return fail_pos(
		    p, p->key_at[TK_SANS],
		    "tls_server_config.client_allowed_sans: needs a "
		    "client_auth_type that asks for a client "
		    "certificate, not NoClientCert");
	if (w->min_version > w->max_version)
		return fail_pos(p, p->key_at[TK_MIN_VERSION],
				"tls_server_config.min_version: %s is newer "
				"than max_version %s",
				tls_versions[w->min_version].name,
				tls_versions[w->max_version].name);
	return 0;
}

/* The whole stream: nothing at all, or one document whose root is a
 * mapping of the top-level keys. */
static int parse_stream(struct wp *p)
{
	const struct map_walk top = {
	    .path = "",
	    .keys = names_table(top_keys, TOP_COUNT),
	    .on_value = on_top,
	    .arg = p,
	};
	yaml_event_t ev;
	char tmp[64];
	int docs = 0, rc;

	for (;;) {
		rc = cy_next_event(p->ctx, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return check_tls(p);
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && docs++ > 0)
			rc = cy_fail_at(p->ctx, &ev.start_mark,
					"only one YAML document is allowed, "
					"found a second one");
		else if (ev.type == YAML_SCALAR_EVENT && !cy_is_null(&ev))
			rc = cy_fail_at(p->ctx, &ev.start_mark,
					"the top level must be a mapping of "
					"'key: value' lines, got %s",
					describe_secret(&ev, tmp, sizeof(tmp)));
		else if (ev.type != YAML_STREAM_START_EVENT &&
			 ev.type != YAML_DOCUMENT_START_EVENT &&
			 ev.type != YAML_DOCUMENT_END_EVENT)
			rc = cy_walk_map(p->ctx, &ev, &top);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
	}
}

int webcfg_parse(const char *text, size_t len, const char *filename,
		 struct webcfg **out, struct config_error *err)
{
	struct config_error dummy;
	struct parse_ctx ctx;
	struct wp p = {0};
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!filename)
		filename = "";
	if (!out || (!text && len)) {
		config_err_set(err, filename, 0, 0, "invalid arguments");
		return -EINVAL;
	}
	if (len > WEBCFG_MAX_BYTES) {
		config_err_set(err, filename, 0, 0,
			       "file is larger than %d KiB: this is not a web "
			       "configuration file",
			       WEBCFG_MAX_BYTES / 1024);
		return -EINVAL;
	}
	p.c = calloc(1, sizeof(*p.c));
	memset(&ctx, 0, sizeof(ctx));
	if (!p.c || !yaml_parser_initialize(&ctx.parser)) {
		free(p.c);
		config_err_set(err, filename, 0, 0,
			       "out of memory while parsing");
		return -ENOMEM;
	}
	/* The toolkit's defaults. */
	p.c->min_version = TLS_V12;
	p.c->max_version = TLS_V13;
	p.c->prefer_server_cipher_suites = true;
	p.c->http2 = true;
	ctx.text = text ? text : "";
	ctx.len = len;
	ctx.file = filename;
	ctx.err = err;
	p.ctx = &ctx;
	yaml_parser_set_input_string(&ctx.parser,
				     (const unsigned char *)ctx.text, len);
	rc = parse_stream(&p);
	yaml_parser_delete(&ctx.parser);
	if (rc == -ENOMEM && !err->msg[0])
		config_err_set(err, filename, 0, 0,
			       "out of memory while parsing");
	/* A safety net under every error path (a hash pasted where a
	 * key goes, say). */
	webcfg_scrub(err->msg);
	if (rc == 0)
		*out = p.c;
	else
		webcfg_free(p.c);
	return rc;
}

#endif /* HAVE_LIBYAML */
