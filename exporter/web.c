/* The web configuration in effect: see web.h.
 *
 * The state in effect is reference counted: a request, a handshake or a
 * new connection takes a reference for as long as it looks at it, and a
 * reload swaps in a new state, whose auth cache and rate limit start
 * afresh; the old one goes with its last reference. */
#include "exporter/web.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"
#include "exporter/api/log.h"
#include "exporter/auth.h"
#include "exporter/webcfg.h"
#include "exporter/webtls.h"

#define WEB_MAX_OPTIONS 4

struct web_state {
	unsigned refs;	    /* guarded by web.lock */
	struct webcfg *cfg; /* NULL: no web configuration file */
	struct webtls *tls; /* NULL: plain HTTP */
	struct auth *auth;  /* NULL: no users, no authentication */
	pthread_mutex_t rate_lock;
	double tokens; /* rate_limit's bucket */
	int64_t tokens_at_ns;
	char describe[768];
};

static struct {
	pthread_mutex_t lock;
	struct web_state *live;
	bool tls; /* the daemons speak TLS: fixed at start */
	struct MHD_OptionItem opts[WEB_MAX_OPTIONS];
} web = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .opts = {{MHD_OPTION_END, 0, NULL}},
};

void web_state_free(struct web_state *s)
{
	if (!s)
		return;
	auth_free(s->auth);
	webtls_free(s->tls);
	webcfg_free(s->cfg);
	pthread_mutex_destroy(&s->rate_lock);
	free(s);
}

/* The state in effect with a reference, or NULL before web_start. */
static struct web_state *acquire(void)
{
	struct web_state *s;

	pthread_mutex_lock(&web.lock);
	s = web.live;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&web.lock);
	return s;
}

/* Drops a reference taken by acquire (NULL is a no-op). */
static void release(struct web_state *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&web.lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&web.lock);
	if (last)
		web_state_free(s);
}

/* webtls's source: the TLS material of the state in effect. */
static const struct webtls *tls_acquire(void **ref)
{
	struct web_state *s = acquire();

	*ref = s;
	return s ? s->tls : NULL;
}

static void tls_release(void *ref)
{
	release(ref);
}

/* Writes what s does into s->describe, for the log. */
static void describe(struct web_state *s)
{
	const struct webcfg *c = s->cfg;
	size_t nh = 0;

	for (size_t i = 0; i < WEBCFG_NHEADERS; i++)
		if (c->headers[i] && c->headers[i][0])
			nh++;
	snprintf(s->describe, sizeof(s->describe),
		 "%s%s; %s%zu user%s; %zu response header%s; rate limit %s",
		 s->tls ? "TLS, " : "plain HTTP",
		 s->tls ? webtls_describe(s->tls) : "",
		 c->nusers ? "basic authentication for "
			   : "no authentication, ",
		 c->nusers, c->nusers == 1 ? "" : "s", nh, nh == 1 ? "" : "s",
		 c->rate_interval_ms ? "on" : "off");
}

/* Formats a configuration error as "FILE:LINE:COL: message". */
static void format_error(const struct config_error *err, char *msg,
			 size_t msglen)
{
	if (err->line)
		snprintf(msg, msglen, "%s:%u:%u: %s", err->file, err->line,
			 err->column, err->msg);
	else
		snprintf(msg, msglen, "%s: %s", err->file, err->msg);
}

int web_load(const char *path, struct web_state **out, char *msg, size_t msglen)
{
	struct web_state *s = calloc(1, sizeof(*s));
	struct config_error err;
	int rc = 0;

	memset(&err, 0, sizeof(err));
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->rate_lock, NULL);
	if (!path)
		goto out;
	rc = webcfg_load(path, &s->cfg, &err);
	if (rc == 0 && s->cfg->tls)
		rc = webtls_load(s->cfg, path, &s->tls, &err);
	if (rc == 0 && s->cfg->nusers) {
		s->auth = auth_new(s->cfg->users, s->cfg->nusers, &rc);
		if (rc == -ENOTSUP)
			config_err_set(&err, path, 0, 0,
				       "basic_auth_users: this virtmeter was "
				       "built without crypt (libxcrypt) and "
				       "cannot check passwords (install "
				       "libcrypt-dev and rebuild)");
		else if (rc < 0)
			config_err_set(&err, path, 0, 0, "out of memory");
	}
	if (rc < 0) {
		format_error(&err, msg, msglen);
		web_state_free(s);
		return rc;
	}
	s->tokens = s->cfg->rate_burst;
	s->tokens_at_ns = clock_mono_ns();
	describe(s);
out:
	*out = s;
	return 0;
}

void web_start(struct web_state *s, const char *path)
{
	static const struct webtls_source src = {tls_acquire, tls_release};

	s->refs = 1;
	web.live = s;
	web.tls = s->tls != NULL;
	webtls_set_source(&src);
	if (s->tls && webtls_mhd_options(s->tls, web.opts, WEB_MAX_OPTIONS) < 0)
		web.opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	if (s->cfg)
		log_info("web configuration from %s: %s", path, s->describe);
}

int web_reload(const char *path)
{
	struct web_state *s = NULL, *old;
	char msg[1024];
	int rc = web_load(path, &s, msg, sizeof(msg));

	if (rc == 0 && (s->tls != NULL) != web.tls) {
		snprintf(msg, sizeof(msg),
			 "%s: TLS cannot be turned %s by a reload (restart "
			 "virtmeter for that)",
			 path, web.tls ? "off" : "on");
		web_state_free(s);
		rc = -EINVAL;
	}
	if (rc < 0) {
		log_error("web configuration reload rejected: %s; keeping the "
			  "running web configuration",
			  msg);
		return rc;
	}
	s->refs = 1;
	pthread_mutex_lock(&web.lock);
	old = web.live;
	web.live = s;
	pthread_mutex_unlock(&web.lock);
	release(old);
	log_info("web configuration reloaded from %s: %s", path, s->describe);
	return 0;
}

void web_stop(void)
{
	struct web_state *old;

	pthread_mutex_lock(&web.lock);
	old = web.live;
	web.live = NULL;
	pthread_mutex_unlock(&web.lock);
	release(old);
	web.tls = false;
	web.opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

bool web_tls(void)
{
	return web.tls;
}

const struct MHD_OptionItem *web_mhd_options(void)
{
	return web.opts;
}

void web_connection_started(struct MHD_Connection *conn)
{
	if (web.tls)
		webtls_connection_started(conn);
}

/* rate_limit: a token bucket of burst tokens, one more every interval,
 * full at start (as Go's rate.Limiter). Whether a request may go. */
static bool take_token(struct web_state *s)
{
	double per_ns = 1.0 / ((double)s->cfg->rate_interval_ms * 1e6);
	int64_t now = clock_mono_ns();
	bool ok;

	pthread_mutex_lock(&s->rate_lock);
	s->tokens += (double)(now - s->tokens_at_ns) * per_ns;
	if (s->tokens > s->cfg->rate_burst)
		s->tokens = s->cfg->rate_burst;
	s->tokens_at_ns = now;
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	pthread_mutex_unlock(&s->rate_lock);
	return ok;
}

enum web_verdict web_check_request(struct MHD_Connection *conn)
{
	struct web_state *s = acquire();
	enum web_verdict v = WEB_ALLOW;

	if (!s || !s->cfg)
		goto out;
	if (s->cfg->rate_interval_ms && !take_token(s)) {
		v = WEB_RATE_LIMITED;
		goto out;
	}
	if (s->auth && !auth_check(s->auth, MHD_lookup_connection_value(
						conn, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_AUTHORIZATION)))
		v = WEB_UNAUTHORIZED;
out:
	release(s);
	return v;
}

int web_add_headers(struct MHD_Response *r)
{
	struct web_state *s = acquire();
	int rc = 0;

	for (size_t i = 0; s && s->cfg && i < WEBCFG_NHEADERS && rc == 0; i++) {
		const char *v = s->cfg->headers[i];

		if (v && v[0] &&
		    MHD_add_response_header(r, webcfg_header_names[i], v) !=
			MHD_YES)
			rc = -ENOMEM;
	}
	release(s);
	return rc;
}
