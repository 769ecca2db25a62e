/* The HTTP server (libmicrohttpd): /metrics from the render cache, a landing
 * page, /healthz; GET and HEAD only; strict request heads; bounded request
 * sizes, idle time, time to send a request head or take a response,
 * connections (the oldest idle one makes room for a new one, none is
 * refused) and responses of the metrics in flight. */
#ifndef VIRTMETER_HTTP_H
#define VIRTMETER_HTTP_H

#include <stddef.h>

struct http_settings {
	const char *const *listen; /* "host:port", "[v6]:port" or ":port" */
	size_t nlisten;
	const char *telemetry_path; /* e.g. "/metrics" */
	/* Connections held per listen address while some are idle (0: the
	 * default); lowered to what RLIMIT_NOFILE holds. */
	unsigned max_connections;
	/* Responses of the metrics in flight at once; past it, 503 (0: no
	 * cap). */
	unsigned max_requests;
	/* Idle timeout, time to send a request head and to take a response. */
	unsigned timeout_s;
};

/* Binds every listen address of s without serving yet, so that a process
 * that gives up root afterwards (--runas) may bind a port below 1024;
 * starts no thread. Does nothing when they are bound already. Returns 0,
 * or a negative errno with err filled in as http_start's; nothing is left
 * open on failure. http_stop closes the sockets. */
int http_bind(const struct http_settings *s, char *err, size_t errlen);

/* Binds every listen address (unless http_bind did) and starts serving. Returns 0, or a negative
 * errno with a one-line message in err naming the address at fault (for
 * example "listen 127.0.0.1:10171: Address already in use"); nothing is
 * left running on failure. */
int http_start(const struct http_settings *s, char *err, size_t errlen);

/* Stops serving and closes every listening socket, bound or serving. */
void http_stop(void);

/* The most descriptors that the running server may hold (its connections
 * at their limits, its sockets): what a collector that sizes itself by
 * RLIMIT_NOFILE must leave free. 0 when it is not running. */
size_t http_fd_reserve(void);

#endif
