/* The web configuration in effect (--web.config.file): TLS, basic
 * authentication, response headers and the rate limit, loaded at start
 * and again on SIGHUP, and what the HTTP server asks of it per daemon,
 * connection, request and response. Without a file, the server is plain
 * HTTP and open, as before. */
#ifndef VIRTMETER_WEB_H
#define VIRTMETER_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

struct web_state;

/* Loads path (NULL: no web configuration) into a new state: the file
 * parsed, the certificates and keys read and checked, the users' hashes
 * checked. Returns 0 with *out set, or a negative errno with a one-line
 * message in msg naming the file, line and column (never a secret). */
int web_load(const char *path, struct web_state **out, char *msg,
	     size_t msglen);

/* Frees a state that was never put in effect; NULL is a no-op. */
void web_state_free(struct web_state *s);

/* Puts s in effect (owning it from now on) and logs what it does. Call
 * before the HTTP server starts. */
void web_start(struct web_state *s, const char *path);

/* Loads path again and puts it in effect, unless it is bad or it would
 * turn TLS on or off (which needs a restart): then the state in effect
 * stays. Logs one line either way. Connections that are open keep what
 * they started with; new ones get the new certificate. Returns 0 or a
 * negative errno. */
int web_reload(const char *path);

/* Drops the state in effect; call once the HTTP server has stopped. */
void web_stop(void);

/* Whether the server speaks TLS (fixed from web_start on). */
bool web_tls(void);

/* The options that a daemon of this server adds (MHD_OPTION_ARRAY),
 * MHD_OPTION_END-terminated; empty without TLS. */
const struct MHD_OptionItem *web_mhd_options(void);

/* Tells the web configuration that a connection started (before its TLS
 * handshake). */
void web_connection_started(struct MHD_Connection *conn);

/* What becomes of a request. */
enum web_verdict {
	WEB_ALLOW,
	WEB_UNAUTHORIZED, /* 401, with the AUTH_CHALLENGE */
	WEB_RATE_LIMITED, /* 429 (rate_limit) */
};

/* Whether a request may be served: within the rate limit, and with the
 * credentials of a user when users are configured. Call once per
 * request. */
enum web_verdict web_check_request(struct MHD_Connection *conn);

/* Adds the configured response headers to r. Returns 0 or -ENOMEM. */
int web_add_headers(struct MHD_Response *r);

#endif
