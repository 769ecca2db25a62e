/* The HTTP server: one libmicrohttpd daemon per listen address, each on a
 * socket that we bind ourselves (listen.c) so that errors name the address
 * at fault, possibly before giving up root (http_bind).
 * Serves the telemetry path from the render cache without copying, a
 * landing page and /healthz, with bounded sizes, idle time, time to send a
 * request head or take a response, connections (the oldest idle one makes
 * room for a new one: http_conns.c) and responses in flight, and strict
 * request heads (http_strict.c). */
#include "exporter/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "exporter/accept.h"
#include "exporter/api/base.h"
#include "exporter/api/buf.h"
#include "exporter/api/collector.h"
#include "exporter/expo.h"
#include "exporter/filter.h"
#include "exporter/http_conns.h"
#include "exporter/http_strict.h"
#include "exporter/landing.h"
#include "exporter/listen.h"
#include "exporter/api/log.h"
#include "exporter/prerender.h"
#include "exporter/render.h"
#include "exporter/scheduler.h"
#include "exporter/api/snapshot.h"
#include "exporter/auth.h"
#include "exporter/web.h"

#define HTTP_MAX_LISTEN 16
#define HTTP_DEFAULT_MAX_CONNECTIONS 4096u
#define HTTP_DEFAULT_TIMEOUT_S 10u
#define HTTP_THREADS 2u
/* Each connection's memory pool (request head, response headers). Above
 * 32 KiB, libmicrohttpd maps it on its own and unmaps it at close, so
 * that the memory of thousands of connections (a keep-alive connection
 * touches all of its pool) goes back to the system when they close,
 * instead of staying in the heap after a burst. */
#define HTTP_MEMORY_LIMIT ((size_t)36 << 10)
/* Descriptors kept for the collectors (cgroup files, libvirt, meters)
 * when the connection limits are fitted to RLIMIT_NOFILE, and the fewest
 * connections per listen address that fitting leaves. */
#define HTTP_FD_RESERVE 1024u
#define HTTP_MIN_CONNECTIONS 32u
#define HTTP_MAX_COLLECTORS 64
#define HTTP_LANDING_MAX ((size_t)1 << 20)

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* One listen address: the daemon, our own descriptor of its socket (MHD
 * gets a duplicate, which it closes when it stops) and its connections. */
struct http_listener {
	struct MHD_Daemon *daemon;
	int fd;
	struct http_pool *pool;
};

static struct {
	struct http_listener l[HTTP_MAX_LISTEN];
	size_t n;      /* listeners whose daemon runs */
	size_t nbound; /* listeners whose socket is bound (http_bind) */
	char *telemetry_path;
	unsigned max_connections; /* per listen address, once fitted */
} srv;

/* Formats a one-line error message into err (which may be NULL). */
__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- responses ---------------------------------------------------------- */

/* Sets Content-Type and the web configuration's headers, queues r with
 * status and drops our reference to r. A NULL r (out of memory) closes
 * the connection. */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     struct MHD_Response *r, const char *content_type)
{
	enum MHD_Result ret = MHD_NO;

	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    content_type) == MHD_YES &&
	    web_add_headers(r) == 0)
		ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Answers with a static plain-text body. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
				  const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);

	return queue(conn, status, r, TEXT_PLAIN);
}

/* Answers 405 with the methods that we do serve. */
static enum MHD_Result reply_not_allowed(struct MHD_Connection *conn)
{
	static const char body[] = "405 method not allowed\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);

	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
					 "GET, HEAD") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r, TEXT_PLAIN);
}

/* Answers a request that the web configuration refuses: 401 with the
 * challenge (no or wrong credentials) or 429 (over its rate limit). */
static enum MHD_Result reply_refused(struct MHD_Connection *conn,
				     enum web_verdict v)
{
	static const char unauthorized[] = "401 unauthorized\n";
	struct MHD_Response *r;

	if (v == WEB_RATE_LIMITED)
		return reply_text(conn, MHD_HTTP_TOO_MANY_REQUESTS,
				  "429 too many requests\n");
	r = MHD_create_response_from_buffer(sizeof(unauthorized) - 1,
					    (void *)unauthorized,
					    MHD_RESPMEM_PERSISTENT);
	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					 AUTH_CHALLENGE) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_UNAUTHORIZED, r, TEXT_PLAIN);
}

/* Answers with a plain-text body copied from msg. */
static enum MHD_Result reply_copy(struct MHD_Connection *conn, unsigned status,
				  const char *msg)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);

	return queue(conn, status, r, TEXT_PLAIN);
}

/* Answers 503 when --web.max-requests responses of the metrics are in
 * flight, with Retry-After, as node_exporter answers past its
 * --web.max-requests. */
static enum MHD_Result reply_busy(struct MHD_Connection *conn)
{
	static const char body[] = "503 too many scrapes in flight "
				   "(--web.max-requests); retry later\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);

	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1") !=
		     MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_SERVICE_UNAVAILABLE, r, TEXT_PLAIN);
}

/* Free callback of a metrics response: the body lives in the generation's
 * render cache, so the body is released by dropping the generation. */
static void release_gen(void *cls)
{
	snap_gen_unref(cls);
}

/* Free callback of a response of a selection of collectors: the body
 * lives in its view. */
static void release_view(void *cls)
{
	render_view_unref(cls);
}

/* Queues a 200 of the metrics in data/len, which stay valid until
 * release(cls) is called; it is called on failure too. */
static enum MHD_Result reply_metrics(struct MHD_Connection *conn,
				     enum expo_format fmt, bool gzip,
				     const char *data, size_t len,
				     void (*release)(void *), void *cls)
{
	struct MHD_Response *r;

	/* MHD refuses a NULL buffer even for an empty body. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(
	    len, (void *)(len ? data : ""), release, cls);
	if (!r) {
		release(cls);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
				    "Accept, Accept-Encoding") != MHD_YES ||
	    (gzip &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
				     "gzip") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_OK, r, expo_content_type(fmt));
}

/* The collect[] values of a request; one more than allowed is kept, so
 * that the parser sees that there were too many. */
struct collect_args {
	const char *v[FILTER_MAX_VALUES + 1];
	size_t n;
};

/* MHD iterator over the query arguments (keys and values URL-decoded, so
 * "collect%5B%5D" is "collect[]"): keeps the collect[] values. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct collect_args *a = cls;

	(void)kind;
	if (!key || strcmp(key, "collect[]") != 0)
		return MHD_YES;
	if (a->n == ARRAY_SIZE(a->v))
		return MHD_NO;
	a->v[a->n++] = value ? value : "";
	return MHD_YES;
}

/* Fills k with the collectors of this binary and whether each is enabled
 * in the running configuration (names and enabled have room for
 * FILTER_MAX_COLLECTORS). During a reload, while no collector runs, every
 * one counts as enabled. */
static void known_collectors(struct filter_known *k, const char **names,
			     bool *enabled)
{
	struct sched_status st[HTTP_MAX_COLLECTORS];
	size_t n = sched_status_get(st, HTTP_MAX_COLLECTORS);

	k->n = 0;
	for (size_t i = 0; collector_table[i] && i < FILTER_MAX_COLLECTORS;
	     i++) {
		names[i] = collector_table[i]->name;
		enabled[i] = n == 0 || (i < n && st[i].enabled);
		k->n++;
	}
	k->names = names;
	k->enabled = enabled;
}

/* Serves the current generation restricted to the collectors that the
 * collect[] values in a name, or a 400 that says what is wrong with them. */
static enum MHD_Result serve_selection(struct MHD_Connection *conn,
				       const struct collect_args *a,
				       enum expo_format fmt, bool gzip)
{
	const char *names[FILTER_MAX_COLLECTORS];
	bool enabled[FILTER_MAX_COLLECTORS], cached = false;
	struct filter_known k;
	struct render_view *view = NULL;
	char msg[2048];
	const char *data = NULL;
	size_t len = 0;
	uint32_t mask;
	int rc;

	known_collectors(&k, names, enabled);
	memcpy(msg, "400 ", 4);
	if (filter_parse(a->v, a->n, &k, &mask, msg + 4, sizeof(msg) - 5)) {
		size_t l = strlen(msg); /* room was left for a newline */

		msg[l] = '\n';
		msg[l + 1] = '\0';
		return reply_copy(conn, MHD_HTTP_BAD_REQUEST, msg);
	}
	rc = render_get_filtered(mask, &k, fmt, gzip, &view, &data, &len,
				 &cached);
	if (rc < 0) {
		log_error("http: cannot render the metrics: %s", strerror(-rc));
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 cannot render the metrics\n");
	}
	prerender_count_scrape(cached);
	return reply_metrics(conn, fmt, gzip, data, len, release_view, view);
}

/* Serves the current generation in the negotiated format, straight from
 * the render cache: the response holds a generation reference until MHD
 * has sent the body. With collect[] parameters, only those collectors'
 * families and their self-metrics, from the cache of selections. */
static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *encoding = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum expo_format fmt = accept_format(accept);
	bool gzip = render_can_gzip() && accept_gzip(encoding);
	const union MHD_ConnectionInfo *ci;
	struct collect_args args = {.n = 0};
	struct snap_gen *gen;
	const char *data = NULL;
	size_t len = 0;
	int rc;

	if (http_conns_take_slot(conn) < 0)
		return reply_busy(conn);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg,
				  &args);
	if (args.n > 0)
		return serve_selection(conn, &args, fmt, gzip);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	gen = prerender_pick(ci ? ci->client_addr : NULL, fmt, gzip);
	rc = render_get(gen, fmt, gzip, &data, &len);
	if (rc < 0) {
		snap_gen_unref(gen);
		log_error("http: cannot render the metrics: %s", strerror(-rc));
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 cannot render the metrics\n");
	}
	return reply_metrics(conn, fmt, gzip, data, len, release_gen, gen);
}

/* Serves the landing page, built afresh for each request (it is small and
 * rarely asked for). */
static enum MHD_Result serve_landing(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	struct buf b;
	char *page;
	size_t len;

	buf_init(&b, HTTP_LANDING_MAX);
	landing_write(&b, srv.telemetry_path);
	page = buf_steal(&b, &len);
	buf_free(&b);
	if (!page)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 out of memory\n");
	r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(page);
	return queue(conn, MHD_HTTP_OK, r, "text/html; charset=utf-8");
}

/* Whether the request announces a body (which a GET or HEAD may, oddly). */
static bool has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return te || (cl && strspn(cl, "0") != strlen(cl));
}

/* MHD iterator over the request headers: counts those that framing and
 * routing depend on (names compared without case, as HTTP does). */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	struct http_head *h = cls;

	(void)kind;
	(void)value;
	if (!key)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		h->n_host++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->n_content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		h->n_transfer_encoding++;
	return MHD_YES;
}

/* Checks a request head as it comes in (http_strict.h): answers 400 with
 * the reason and returns true when it fails, so that the handler stops;
 * MHD then closes the connection, since the request may have a body that
 * nobody reads. nul says whether the path or query held an escaped NUL. */
static bool refuse_malformed(struct MHD_Connection *conn, const char *url,
			     const char *version, bool nul,
			     enum MHD_Result *ret)
{
	struct http_head h = {
	    .version = version, .path = url, .escaped_nul = nul};
	const char *why;
	char msg[160];

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &h);
	why = http_strict_check(&h);
	if (!why)
		return false;
	http_conns_count_malformed();
	snprintf(msg, sizeof(msg), "400 bad request: %s\n", why);
	*ret = reply_copy(conn, MHD_HTTP_BAD_REQUEST, msg);
	return true;
}

/* The access handler. MHD calls it once when the headers are in, then
 * once per piece of body, then once more when the request is complete.
 * A GET or HEAD without a body is answered on that last call, which keeps
 * the connection alive. Anything else is answered on the first call: MHD
 * then discards the body unread and closes the connection after the
 * response, so no body is ever read or buffered. url is the path without
 * the query string, decoded. The first call also ends the request-head
 * deadline and refuses a malformed head. The web configuration
 * (authentication, rate limit) judges each request once, on the call that
 * answers it, before anything else. */
static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn,
				      const char *url, const char *method,
				      const char *version,
				      const char *upload_data,
				      size_t *upload_data_size, void **con_cls)
{
	static int headers_seen;
	enum MHD_Result ret;
	enum web_verdict v;

	(void)cls;
	(void)upload_data;
	(void)upload_data_size;
	if (!*con_cls && refuse_malformed(conn, url, version,
					  http_conns_head_in(conn), &ret))
		return ret;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		v = web_check_request(conn);
		return v == WEB_ALLOW ? reply_not_allowed(conn)
				      : reply_refused(conn, v);
	}
	if (!*con_cls && !has_body(conn)) {
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	v = web_check_request(conn);
	if (v != WEB_ALLOW)
		return reply_refused(conn, v);
	if (strcmp(url, srv.telemetry_path) == 0)
		return serve_metrics(conn);
	if (strcmp(url, "/") == 0)
		return serve_landing(conn);
	if (strcmp(url, "/healthz") == 0)
		return reply_text(conn, MHD_HTTP_OK, "ok\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "404 page not found\n");
}

/* ---- daemons ------------------------------------------------------------- */

/* MHD's own messages (client errors, mostly) are for debugging only. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

/* MHD's connection notifications: the connection pool's (deadlines,
 * eviction), and a new connection's TLS session set up by the web
 * configuration. */
static void notify_connection(void *cls, struct MHD_Connection *conn,
			      void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	http_conns_notify(cls, conn, socket_context, toe);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		web_connection_started(conn);
}

/* The --web.timeout in effect, in seconds. */
static unsigned timeout_of(const struct http_settings *s)
{
	return s->timeout_s ? s->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
}

/* MHD's own connection limit for a pool of max connections: above it,
 * so that the pool makes room by closing an idle connection before MHD's
 * limit (split between its threads, not always evenly) stops accepting;
 * MHD's is reached only when nothing is idle, and then new connections
 * wait in the accept queue. */
static unsigned mhd_limit(unsigned max)
{
	return max + max / 8 + 2 * HTTP_THREADS;
}

/* The descriptors one listen address may hold: its connections, its
 * listening socket and our copy of it, and MHD's epoll and inter-thread
 * descriptors. */
static size_t fds_per_listener(unsigned max)
{
	return (size_t)mhd_limit(max) + 2 + 3 * (HTTP_THREADS + 1);
}

/* Raises the soft limit on open descriptors to the hard one, as Go
 * programs such as node_exporter do at start, and returns how many
 * connections each of nlisten addresses may hold: want, or fewer (with a
 * warning) when the limit cannot hold them besides HTTP_FD_RESERVE for
 * the collectors. */
static unsigned fit_connections(unsigned want, size_t nlisten)
{
	struct rlimit rl;
	unsigned long long room, fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = {rl.rlim_max, rl.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= HTTP_FD_RESERVE + nlisten * fds_per_listener(want))
		return want;
	room = rl.rlim_cur > HTTP_FD_RESERVE
		   ? (rl.rlim_cur - HTTP_FD_RESERVE) / nlisten
		   : 0;
	/* Solve fds_per_listener(fit) <= room for fit. */
	fit = room > fds_per_listener(0) ? (room - fds_per_listener(0)) * 8 / 9
					 : 0;
	if (fit < HTTP_MIN_CONNECTIONS)
		fit = HTTP_MIN_CONNECTIONS;
	if (fit >= want)
		return want;
	log_warn(
	    "http: --web.max-connections=%u lowered to %llu: the limit "
	    "on open files (RLIMIT_NOFILE, LimitNOFILE= in a systemd unit) "
	    "is %llu, and %u stay for the collectors",
	    want, fit, (unsigned long long)rl.rlim_cur, HTTP_FD_RESERVE);
	return (unsigned)fit;
}

size_t http_fd_reserve(void)
{
	return srv.n * fds_per_listener(srv.max_connections);
}

/* Starts one daemon on the listening socket fd, which MHD closes when the
 * daemon stops, for the connections of pool. MHD closes a connection idle
 * for the timeout; the pool's callbacks close one that has not sent a
 * request head, or taken its response, within it, and make room when the
 * pool is full. No limit per client address: one that MHD enforces resets
 * the connections past it, which locks out an honest scraper that shares
 * its address with an attacker (a NAT, a proxy, the same host). Returns
 * the daemon or NULL. */
static struct MHD_Daemon *start_daemon(const struct http_settings *s, int fd,
				       struct http_pool *pool)
{
	unsigned limit = mhd_limit(srv.max_connections);
	unsigned timeout = timeout_of(s);
	/* MHD splits the connection limit between its threads. */
	unsigned threads = limit < HTTP_THREADS ? 1 : HTTP_THREADS;
	unsigned flags = MHD_USE_ERROR_LOG | MHD_USE_INTERNAL_POLLING_THREAD;

	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
		     ? MHD_USE_EPOLL
		     : MHD_USE_POLL;
	if (web_tls())
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(
	    flags, 0, NULL, NULL, handle_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET,
	    (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, pool,
	    MHD_OPTION_NOTIFY_COMPLETED, http_conns_completed, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_conns_unescape, NULL,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_MEMORY_LIMIT,
	    MHD_OPTION_ARRAY, web_mhd_options(), MHD_OPTION_END);
}

/* Whether fd is still open on the same socket as ref. After a failed
 * MHD_start_daemon we cannot know whether MHD closed the descriptor that
 * it was given (versions differ), and it may even have been reused. */
static bool same_socket(int fd, int ref)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstat(ref, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Starts the daemon of l, whose socket http_bind made, under the name
 * addr. Returns 0 or a negative errno with err filled in; the socket
 * stays with l for http_stop to close. */
static int start_listener(const struct http_settings *s, const char *addr,
			  struct http_listener *l, char *err, size_t errlen)
{
	int mhd_fd, rc = 0;

	l->pool = http_conns_pool_new(srv.max_connections);
	if (!l->pool) {
		set_err(err, errlen, "listen %s: out of memory", addr);
		return -ENOMEM;
	}
	mhd_fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	if (mhd_fd < 0) {
		rc = -errno;
		set_err(err, errlen, "listen %s: %s", addr, strerror(-rc));
		return rc;
	}
	errno = 0; /* MHD does not always set errno when it fails */
	l->daemon = start_daemon(s, mhd_fd, l->pool);
	if (!l->daemon) {
		rc = errno > 0 ? -errno : -EIO;
		set_err(err, errlen,
			"listen %s: cannot start the HTTP server: %s", addr,
			strerror(-rc));
		if (same_socket(mhd_fd, l->fd))
			close(mhd_fd);
		return rc;
	}
	listen_log_bound(addr, l->fd);
	return 0;
}

int http_bind(const struct http_settings *s, char *err, size_t errlen)
{
	if (srv.nbound > 0)
		return 0;
	if (s->nlisten == 0 || s->nlisten > HTTP_MAX_LISTEN) {
		set_err(err, errlen,
			"listen: between 1 and %d addresses expected",
			HTTP_MAX_LISTEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->nlisten; i++) {
		int fd = listen_open(s->listen[i], err, errlen);

		if (fd < 0) {
			http_stop();
			return fd;
		}
		srv.l[i] = (struct http_listener){.fd = fd};
		srv.nbound++;
	}
	return 0;
}

int http_start(const struct http_settings *s, char *err, size_t errlen)
{
	const char *path = s->telemetry_path ? s->telemetry_path : "/metrics";
	int rc = 0;

	if (srv.n > 0) {
		set_err(err, errlen, "the HTTP server is already running");
		return -EALREADY;
	}
	if (path[0] != '/') {
		set_err(err, errlen, "telemetry path \"%s\": must start with /",
			path);
		return -EINVAL;
	}
	rc = http_bind(s, err, errlen);
	if (rc < 0)
		return rc;
	srv.telemetry_path = strdup(path);
	if (!srv.telemetry_path) {
		set_err(err, errlen, "http: out of memory");
		rc = -ENOMEM;
		goto out;
	}
	srv.max_connections =
	    fit_connections(s->max_connections ? s->max_connections
					       : HTTP_DEFAULT_MAX_CONNECTIONS,
			    s->nlisten);
	rc = http_conns_start(timeout_of(s), s->max_requests);
	if (rc < 0) {
		set_err(err, errlen,
			"http: cannot start the deadline thread: %s",
			strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < s->nlisten; i++) {
		rc = start_listener(s, s->listen[i], &srv.l[i], err, errlen);
		if (rc < 0)
			goto out;
		srv.n++;
	}
out:
	if (rc < 0)
		http_stop();
	return rc;
}

void http_stop(void)
{
	for (size_t i = 0; i < srv.nbound; i++) {
		/* Stops the threads, closes every connection and MHD's copy of
		 * the socket; ours goes next, which ends the listening. */
		if (srv.l[i].daemon)
			MHD_stop_daemon(srv.l[i].daemon);
		close(srv.l[i].fd);
		http_conns_pool_free(srv.l[i].pool);
		srv.l[i] = (struct http_listener){.fd = -1};
	}
	srv.n = 0;
	srv.nbound = 0;
	render_views_clear();
	/* Last, since the daemons' callbacks use it until they stop. */
	http_conns_stop();
	free(srv.telemetry_path);
	srv.telemetry_path = NULL;
}
