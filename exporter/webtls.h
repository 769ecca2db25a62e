/* The TLS side of the web configuration, through GnuTLS (which
 * libmicrohttpd does its TLS with): the certificate chain and key, read
 * and checked to match; the client CA; the priority string of the
 * versions, suites and curves; and the callbacks that hand them to each
 * connection. libmicrohttpd asks for the certificate at every handshake
 * and each new connection is set up from the material in effect, so a
 * reload changes all of it without closing the listener. In a build
 * without GnuTLS, loading fails with -ENOTSUP and a message. */
#ifndef VIRTMETER_WEBTLS_H
#define VIRTMETER_WEBTLS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "exporter/webcfg.h"

struct webtls;

/* Reads and checks the TLS material of c (which must have c->tls set);
 * file names the web configuration file in errors, which carry the line
 * and column of the key at fault. Returns 0 with *out set (free it with
 * webtls_free), or -EINVAL (bad material), -ENOTSUP (no TLS in this
 * build or in libmicrohttpd), -ENOMEM or a read error, with err set. */
int webtls_load(const struct webcfg *c, const char *file, struct webtls **out,
		struct config_error *err);

/* Frees t, wiping the private key; NULL is a no-op. */
void webtls_free(struct webtls *t);

/* One line about t for the log: the certificate's subject, SHA-256
 * fingerprint and expiry, the versions and the client certificate
 * policy. Owned by t. */
const char *webtls_describe(const struct webtls *t);

/* Where the callbacks find the material in effect: acquire returns it
 * (NULL if there is none) and a reference in *ref that release drops. */
struct webtls_source {
	const struct webtls *(*acquire)(void **ref);
	void (*release)(void *ref);
};

/* Sets the source of the callbacks; call before any daemon starts. */
void webtls_set_source(const struct webtls_source *src);

/* Fills opts (room for n items, n >= 3) with the options of a TLS daemon
 * from t: the certificate callback and t's priorities as the default,
 * MHD_OPTION_END last. Returns 0 or -ENOSPC. */
int webtls_mhd_options(const struct webtls *t, struct MHD_OptionItem *opts,
		       size_t n);

/* Sets up the GnuTLS session of a new connection from the material in
 * effect: its priorities, whether it asks for a client certificate and
 * how one is checked. Call when libmicrohttpd reports the connection
 * started (before its handshake). */
void webtls_connection_started(struct MHD_Connection *conn);

#endif
