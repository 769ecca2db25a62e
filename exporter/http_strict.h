/* The checks that a request head must pass before anything is served: a
 * pure function of what libmicrohttpd parsed (fuzzed), so that a request
 * that could mean two things to two parsers, or that names a path outside
 * the ones served in disguise, is answered 400 instead of being guessed
 * at. */
#ifndef VIRTMETER_HTTP_STRICT_H
#define VIRTMETER_HTTP_STRICT_H

#include <stdbool.h>

/* What the checks need to know of a request head. */
struct http_head {
	const char *version; /* as sent, e.g. "HTTP/1.1" */
	/* The path with its %XX escapes decoded; a C string, so that an
	 * escaped NUL byte ends it early: escaped_nul says so. */
	const char *path;
	bool escaped_nul; /* a %00 in the path or the query string */
	unsigned n_host;  /* Host header lines */
	unsigned n_content_length;
	unsigned n_transfer_encoding;
};

/* Returns NULL when a request with head h may be served, else why it must
 * be answered 400, in a few words (a static string): an escaped NUL byte
 * in the path or query, ".." in the decoded path, an HTTP/1.1 request
 * without Host (RFC 9112 section 3.2), Host or Content-Length given twice,
 * or Content-Length together with Transfer-Encoding (RFC 9112 section
 * 6.3: a request that could be framed two ways). */
const char *http_strict_check(const struct http_head *h);

#endif
