/* The HTTP server (libmicrohttpd): /metrics from the render cache, a landing
 * page, /healthz; GET and HEAD only; bounded connections, request sizes, idle
 * time and time to send a request head. */
#ifndef VIRTMETER_HTTP_H
#define VIRTMETER_HTTP_H

#include <stddef.h>

struct http_settings {
	const char *const *listen; /* "host:port", "[v6]:port" or ":port" */
	size_t nlisten;
	const char *telemetry_path; /* e.g. "/metrics" */
	unsigned max_connections;   /* whole server, per listen address */
	unsigned timeout_s; /* idle timeout, and time to send a request head */
};

/* Binds every listen address and starts serving. Returns 0, or a negative
 * errno with a one-line message in err naming the address at fault (for
 * example "listen 127.0.0.1:10171: Address already in use"); nothing is
 * left running on failure. */
int http_start(const struct http_settings *s, char *err, size_t errlen);

/* Stops serving and closes every listening socket. */
void http_stop(void);

#endif
