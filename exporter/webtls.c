/* TLS through libmicrohttpd's GnuTLS: see webtls.h.
 *
 * The material is kept as DER and each handshake gets its own copies
 * (GnuTLS frees them with the session), so a reload never frees what a
 * handshake in flight still uses. Client certificates are checked by a
 * verify function on the session, against our own trust list, because
 * the credentials libmicrohttpd gives GnuTLS are fixed when the daemon
 * starts. */
#include "exporter/webtls.h"

#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVE_GNUTLS

int webtls_load(const struct webcfg *c, const char *file, struct webtls **out,
		struct config_error *err)
{
	(void)out;
	config_err_set(err, file, c->cert.pos.line, c->cert.pos.column,
		       "tls_server_config: this virtmeter was built without "
		       "GnuTLS and cannot serve TLS (install libgnutls28-dev "
		       "and rebuild)");
	return -ENOTSUP;
}

void webtls_free(struct webtls *t)
{
	(void)t;
}

const char *webtls_describe(const struct webtls *t)
{
	(void)t;
	return "";
}

void webtls_set_source(const struct webtls_source *src)
{
	(void)src;
}

int webtls_mhd_options(const struct webtls *t, struct MHD_OptionItem *opts,
		       size_t n)
{
	(void)t;
	if (n < 1)
		return -ENOSPC;
	opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return 0;
}

void webtls_connection_started(struct MHD_Connection *conn)
{
	(void)conn;
}

#else /* HAVE_GNUTLS */

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <time.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"

/* Certificates, keys and CA files are small; past this it is not one. */
#define PEM_MAX_BYTES (1024 * 1024)
#define MAX_CHAIN 16u
#define PRIO_MAX 640

struct webtls {
	gnutls_datum_t chain[MAX_CHAIN]; /* DER, the server's first */
	unsigned nchain;
	gnutls_datum_t key;	      /* DER, a secret */
	gnutls_x509_trust_list_t cas; /* NULL without a client CA */
	gnutls_priority_t prio;
	char prio_text[PRIO_MAX];
	enum webcfg_client_auth client_auth;
	char **sans;
	size_t nsans;
	char describe[512];
};

static struct webtls_source source;

void webtls_set_source(const struct webtls_source *src)
{
	source = *src;
}

void webtls_free(struct webtls *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nchain; i++)
		gnutls_free(t->chain[i].data);
	if (t->key.data) {
		gnutls_memset(t->key.data, 0, t->key.size);
		gnutls_free(t->key.data);
	}
	if (t->cas)
		gnutls_x509_trust_list_deinit(t->cas, 1);
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	for (size_t i = 0; i < t->nsans; i++)
		free(t->sans[i]);
	free(t->sans);
	free(t);
}

const char *webtls_describe(const struct webtls *t)
{
	return t->describe;
}

/* What one load works on: the configuration, where errors go. */
struct loading {
	const struct webcfg *c;
	const char *file;
	struct config_error *err;
};

/* Records an error at the key that set pem. */
__attribute__((format(printf, 3, 4))) static int
fail(struct loading *l, const struct webcfg_pem *pem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vset(l->err, l->file, pem->pos.line, pem->pos.column, fmt,
			ap);
	va_end(ap);
	return -EINVAL;
}

/* The key name and what it names, for errors: "cert_file /x/y.crt" or
 * "cert (inline)". */
static const char *where(const struct webcfg_pem *pem, const char *key,
			 char *out, size_t size)
{
	if (pem->file)
		snprintf(out, size, "%s_file %s", key, pem->file);
	else
		snprintf(out, size, "%s (inline)", key);
	return out;
}

/* Reads a PEM source into *text (malloc'd, NUL-terminated; the caller
 * wipes and frees it). */
static int read_pem(struct loading *l, const struct webcfg_pem *pem,
		    const char *key, char **text, size_t *len)
{
	char w[320];
	int rc;

	if (pem->text) {
		*text = strdup(pem->text);
		*len = strlen(pem->text);
		return *text ? 0 : -ENOMEM;
	}
	rc = webcfg_read_file(pem->file, PEM_MAX_BYTES, text, len);
	if (rc == -EINVAL)
		return fail(l, pem, "tls_server_config.%s: not a regular file",
			    where(pem, key, w, sizeof(w)));
	if (rc == -EFBIG)
		return fail(l, pem, "tls_server_config.%s: larger than 1 MiB",
			    where(pem, key, w, sizeof(w)));
	if (rc < 0)
		fail(l, pem, "tls_server_config.%s: cannot read it: %s",
		     where(pem, key, w, sizeof(w)), strerror(-rc));
	return rc;
}

/* Wipes and frees text read by read_pem. */
static void drop_pem(char *text, size_t len)
{
	if (text)
		gnutls_memset(text, 0, len);
	free(text);
}

/* Reads the certificate chain (the server's certificate first) into t as
 * DER, and describes the first one in t->describe. */
static int load_chain(struct loading *l, struct webtls *t)
{
	const struct webcfg_pem *pem = &l->c->cert;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	char *text = NULL, w[320];
	size_t len = 0;
	int rc = read_pem(l, pem, "cert", &text, &len), g;

	if (rc < 0)
		return rc;
	g = gnutls_x509_crt_list_import2(
	    &crts, &n, &(gnutls_datum_t){(unsigned char *)text, (unsigned)len},
	    GNUTLS_X509_FMT_PEM, 0);
	drop_pem(text, len);
	if (g < 0 || n == 0)
		return fail(l, pem,
			    "tls_server_config.%s: no PEM certificate GnuTLS "
			    "can read (%s)",
			    where(pem, "cert", w, sizeof(w)),
			    g < 0 ? gnutls_strerror(g) : "none found");
	if (n > MAX_CHAIN)
		rc = fail(l, pem,
			  "tls_server_config.%s: more than %u certificates",
			  where(pem, "cert", w, sizeof(w)), MAX_CHAIN);
	for (unsigned i = 0; rc == 0 && i < n; i++) {
		g = gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
					    &t->chain[i]);
		if (g < 0)
			rc = -ENOMEM;
		else
			t->nchain++;
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return rc;
}

/* Reads the private key into t as DER and checks that it is the key of
 * the certificate. Nothing of the key is ever shown in an error. */
static int load_key(struct loading *l, struct webtls *t)
{
	const struct webcfg_pem *pem = &l->c->key;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	unsigned char kid[64], cid[64];
	size_t klen = sizeof(kid), clen = sizeof(cid), len = 0;
	char *text = NULL, w[320];
	int rc = read_pem(l, pem, "key", &text, &len), g;

	if (rc < 0)
		return rc;
	g = gnutls_x509_privkey_init(&key);
	if (g >= 0)
		g = gnutls_x509_privkey_import2(
		    key,
		    &(gnutls_datum_t){(unsigned char *)text, (unsigned)len},
		    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
	drop_pem(text, len);
	if (g < 0) {
		rc = fail(l, pem,
			  "tls_server_config.%s: no PEM private key GnuTLS "
			  "can read (%s; an encrypted key needs its password "
			  "removed)",
			  where(pem, "key", w, sizeof(w)), gnutls_strerror(g));
		goto out;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &t->chain[0], GNUTLS_X509_FMT_DER) <
		0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cid,
				       &clen) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid,
					   &klen) < 0 ||
	    clen != klen || memcmp(cid, kid, clen) != 0) {
		rc = fail(l, pem,
			  "tls_server_config.%s: this is not the key of the "
			  "certificate",
			  where(pem, "key", w, sizeof(w)));
		goto out;
	}
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_DER, &t->key) < 0)
		rc = -ENOMEM;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

/* Reads the client CA into a trust list of t. */
static int load_cas(struct loading *l, struct webtls *t)
{
	const struct webcfg_pem *pem = &l->c->client_ca;
	char *text = NULL, w[320];
	size_t len = 0;
	int rc, g;

	if (!pem->file && !pem->text)
		return 0;
	rc = read_pem(l, pem, "client_ca", &text, &len);
	if (rc < 0)
		return rc;
	g = gnutls_x509_trust_list_init(&t->cas, 0);
	if (g >= 0)
		g = gnutls_x509_trust_list_add_trust_mem(
		    t->cas,
		    &(gnutls_datum_t){(unsigned char *)text, (unsigned)len},
		    NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	drop_pem(text, len);
	if (g <= 0)
		return fail(l, pem,
			    "tls_server_config.%s: no PEM certificate GnuTLS "
			    "can read (%s)",
			    where(pem, "client_ca", w, sizeof(w)),
			    g < 0 ? gnutls_strerror(g) : "none found");
	return 0;
}

/* Builds and compiles the priority string of the versions, suites and
 * curves. GnuTLS may refuse one that its system policy forbids (TLS 1.0
 * on some systems): the error says so. */
static int load_priorities(struct loading *l, struct webtls *t)
{
	const struct webcfg *c = l->c;
	const struct tls_prio_spec spec = {
	    .min_version = c->min_version,
	    .max_version = c->max_version,
	    .ciphers = c->ciphers,
	    .nciphers = c->nciphers,
	    .curves = c->curves,
	    .ncurves = c->ncurves,
	    .server_order = c->prefer_server_cipher_suites,
	};
	const char *at = NULL;
	int g;

	if (tls_priority_build(&spec, t->prio_text, sizeof(t->prio_text)) < 0)
		return fail(l, &c->cert,
			    "tls_server_config: cannot make a GnuTLS priority "
			    "string of these settings");
	g = gnutls_priority_init(&t->prio, t->prio_text, &at);
	if (g < 0)
		return fail(l, &c->cert,
			    "tls_server_config: GnuTLS refuses the priorities "
			    "\"%s\" at \"%s\": %s",
			    t->prio_text, at ? at : "", gnutls_strerror(g));
	return 0;
}

/* Writes the description of t: subject, SHA-256 fingerprint, expiry. */
static void describe(struct webtls *t, const struct webcfg *c)
{
	gnutls_x509_crt_t crt = NULL;
	unsigned char fp[32];
	char dn[160] = "?", hex[3 * sizeof(fp)] = "", until[32] = "?";
	size_t fpl = sizeof(fp), dnl = sizeof(dn), o = 0;
	time_t exp;
	struct tm tm;

	if (gnutls_x509_crt_init(&crt) >= 0 &&
	    gnutls_x509_crt_import(crt, &t->chain[0], GNUTLS_X509_FMT_DER) >=
		0) {
		if (gnutls_x509_crt_get_dn(crt, dn, &dnl) < 0)
			snprintf(dn, sizeof(dn), "?");
		if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
						    &fpl) >= 0)
			for (size_t i = 0; i < fpl && i < sizeof(fp); i++)
				o += (size_t)snprintf(hex + o, sizeof(hex) - o,
						      "%s%02X", i ? ":" : "",
						      fp[i]);
		exp = gnutls_x509_crt_get_expiration_time(crt);
		if (exp != (time_t)-1 && gmtime_r(&exp, &tm))
			strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ",
				 &tm);
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	snprintf(t->describe, sizeof(t->describe),
		 "certificate \"%s\" sha256=%s valid until %s, %s to %s, "
		 "client certificates: %s",
		 dn, hex, until, tls_versions[c->min_version].name,
		 tls_versions[c->max_version].name,
		 webcfg_client_auth_name(c->client_auth));
}

int webtls_load(const struct webcfg *c, const char *file, struct webtls **out,
		struct config_error *err)
{
	struct loading l = {.c = c, .file = file, .err = err};
	struct webtls *t;
	int rc;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
	    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) !=
		MHD_YES)
		return fail(&l, &c->cert,
			    "tls_server_config: the libmicrohttpd this "
			    "virtmeter runs on was built without TLS (or "
			    "without certificate callbacks)");
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->client_auth = c->client_auth;
	rc = load_chain(&l, t);
	if (rc == 0)
		rc = load_key(&l, t);
	if (rc == 0)
		rc = load_cas(&l, t);
	if (rc == 0)
		rc = load_priorities(&l, t);
	if (rc == 0 && c->nallowed_sans) {
		t->sans = calloc(c->nallowed_sans, sizeof(*t->sans));
		for (size_t i = 0; t->sans && i < c->nallowed_sans; i++) {
			t->sans[i] = strdup(c->allowed_sans[i]);
			if (t->sans[i])
				t->nsans++;
		}
		if (t->nsans != c->nallowed_sans)
			rc = -ENOMEM;
	}
	if (rc == -ENOMEM && !err->msg[0])
		config_err_set(err, file, 0, 0, "out of memory");
	if (rc < 0) {
		webtls_free(t);
		return rc;
	}
	describe(t, c);
	*out = t;
	return 0;
}

/* GnuTLS's certificate callback: copies of the chain and key in effect,
 * which GnuTLS frees with the session. */
static int retrieve_cert(gnutls_session_t session,
			 const struct gnutls_cert_retr_st *info,
			 gnutls_pcert_st **certs, unsigned *ncerts,
			 gnutls_ocsp_data_st **ocsp, unsigned *nocsp,
			 gnutls_privkey_t *key, unsigned *flags)
{
	const struct webtls *t = NULL;
	gnutls_pcert_st *pc = NULL;
	gnutls_privkey_t pk = NULL;
	void *ref = NULL;
	unsigned n = 0;
	int rc = -1;

	(void)session;
	(void)info;
	*ocsp = NULL;
	*nocsp = 0;
	*flags = GNUTLS_CERT_RETR_DEINIT_ALL;
	if (source.acquire)
		t = source.acquire(&ref);
	if (!t)
		goto out;
	pc = gnutls_calloc(t->nchain, sizeof(*pc));
	for (; pc && n < t->nchain; n++)
		if (gnutls_pcert_import_x509_raw(&pc[n], &t->chain[n],
						 GNUTLS_X509_FMT_DER, 0) < 0)
			goto out;
	if (!pc || gnutls_privkey_init(&pk) < 0 ||
	    gnutls_privkey_import_x509_raw(pk, &t->key, GNUTLS_X509_FMT_DER,
					   NULL, 0) < 0)
		goto out;
	*certs = pc;
	*ncerts = n;
	*key = pk;
	pc = NULL;
	pk = NULL;
	rc = 0;
out:
	for (unsigned i = 0; pc && i < n; i++)
		gnutls_pcert_deinit(&pc[i]);
	gnutls_free(pc);
	if (pk)
		gnutls_privkey_deinit(pk);
	if (source.release)
		source.release(ref);
	return rc;
}

int webtls_mhd_options(const struct webtls *t, struct MHD_OptionItem *opts,
		       size_t n)
{
	if (n < 3)
		return -ENOSPC;
	opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK2, 0,
					  (void *)retrieve_cert};
	/* Each connection gets the priorities in effect when it starts;
	 * these are the daemon's, in case one does not. */
	opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
					  (void *)t->prio_text};
	opts[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return 0;
}

/* Whether the SANs of crt hold one of t's allowed names. Names are
 * compared as Go prints them: DNS names, e-mail addresses and URIs as
 * written, IP addresses in their usual text form. */
static bool san_allowed(const struct webtls *t, gnutls_x509_crt_t crt)
{
	for (unsigned seq = 0;; seq++) {
		char name[512], ip[INET6_ADDRSTRLEN];
		size_t size = sizeof(name) - 1;
		const char *s = name;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name,
								&size, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			return false;
		name[size] = '\0';
		if (type == GNUTLS_SAN_IPADDRESS)
			s = inet_ntop(size == 4 ? AF_INET : AF_INET6, name, ip,
				      sizeof(ip));
		else if (type != GNUTLS_SAN_DNSNAME &&
			 type != GNUTLS_SAN_RFC822NAME &&
			 type != GNUTLS_SAN_URI)
			continue;
		for (size_t i = 0; s && i < t->nsans; i++)
			if (strcmp(s, t->sans[i]) == 0)
				return true;
	}
}

/* Checks the chain the client sent against the client CA, for a client's
 * use (extended key usage, when the certificate has one). */
static int verify_chain(const struct webtls *t, gnutls_x509_crt_t *crts,
			unsigned n, char *why, size_t whylen)
{
	gnutls_typed_vdata_st purpose = {
	    .type = GNUTLS_DT_KEY_PURPOSE_OID,
	    .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	gnutls_datum_t text = {NULL, 0};
	unsigned status = 0;
	int g;

	g = gnutls_x509_trust_list_verify_crt2(t->cas, crts, n, &purpose, 1, 0,
					       &status, NULL);
	if (g >= 0 && status == 0)
		return 0;
	if (g < 0)
		snprintf(why, whylen, "%s", gnutls_strerror(g));
	else if (gnutls_certificate_verification_status_print(
		     status, GNUTLS_CRT_X509, &text, 0) >= 0)
		snprintf(why, whylen, "%s", (const char *)text.data);
	gnutls_free(text.data);
	return -EPERM;
}

/* Checks the client certificate of session as t says. Returns 0 when the
 * handshake may go on, or -EPERM with why filled in. */
static int check_client(const struct webtls *t, gnutls_session_t session,
			char *why, size_t whylen)
{
	gnutls_x509_crt_t crts[MAX_CHAIN];
	const gnutls_datum_t *peers;
	unsigned n = 0, imported = 0;
	bool verify = t->client_auth == WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN ||
		      t->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT;
	int rc = 0;

	peers = gnutls_certificate_get_peers(session, &n);
	if (!peers || n == 0) {
		snprintf(why, whylen, "no client certificate");
		/* GnuTLS refuses a missing one where it is required. */
		return t->nsans ? -EPERM : 0;
	}
	if (n > MAX_CHAIN)
		n = MAX_CHAIN;
	for (; imported < n; imported++) {
		if (gnutls_x509_crt_init(&crts[imported]) < 0) {
			rc = -EPERM;
			break;
		}
		if (gnutls_x509_crt_import(crts[imported], &peers[imported],
					   GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[imported]);
			rc = -EPERM;
			break;
		}
	}
	if (rc < 0)
		snprintf(why, whylen, "unreadable client certificate");
	if (rc == 0 && verify)
		rc = verify_chain(t, crts, imported, why, whylen);
	if (rc == 0 && t->nsans && !san_allowed(t, crts[0])) {
		snprintf(why, whylen,
			 "no name of client_allowed_sans in the "
			 "client certificate");
		rc = -EPERM;
	}
	for (unsigned i = 0; i < imported; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}

/* GnuTLS's verify function of a session: the client certificate checked
 * against the material in effect. Nonzero aborts the handshake. */
static int verify_client(gnutls_session_t session)
{
	const struct webtls *t = NULL;
	char why[256] = "";
	void *ref = NULL;
	int rc = -1;

	if (source.acquire)
		t = source.acquire(&ref);
	if (t)
		rc = check_client(t, session, why, sizeof(why));
	if (source.release)
		source.release(ref);
	if (rc != 0)
		log_debug("tls: client certificate refused: %s", why);
	return rc != 0;
}

void webtls_connection_started(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	const struct webtls *t = NULL;
	void *ref = NULL;

	if (!ci || !ci->tls_session || !source.acquire)
		return;
	session = ci->tls_session;
	t = source.acquire(&ref);
	if (t) {
		gnutls_priority_set(session, t->prio);
		switch (t->client_auth) {
		case WEBCFG_NO_CLIENT_CERT:
			break;
		case WEBCFG_REQUEST_CLIENT_CERT:
		case WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN:
			gnutls_certificate_server_set_request(
			    session, GNUTLS_CERT_REQUEST);
			break;
		case WEBCFG_REQUIRE_ANY_CLIENT_CERT:
		case WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT:
			gnutls_certificate_server_set_request(
			    session, GNUTLS_CERT_REQUIRE);
			break;
		}
		if (t->client_auth != WEBCFG_NO_CLIENT_CERT)
			gnutls_session_set_verify_function(session,
							   verify_client);
	}
	if (source.release)
		source.release(ref);
}

#endif /* HAVE_GNUTLS */
