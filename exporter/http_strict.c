/* The checks of a request head: see http_strict.h. */
#include "exporter/http_strict.h"

#include <stddef.h>
#include <string.h>

/* Whether version is HTTP/1.1 or a later HTTP/1 minor version, in which a
 * request must carry Host. HTTP/1.0 need not; libmicrohttpd refuses other
 * major versions before the handler runs. */
static bool needs_host(const char *version)
{
	const char *minor;

	if (!version || strncmp(version, "HTTP/1.", 7) != 0)
		return false;
	minor = version + 7;
	/* "1", "2", "10", "01": digits, not all of them zeros. */
	return minor[0] != '\0' &&
	       strspn(minor, "0123456789") == strlen(minor) &&
	       strspn(minor, "0") != strlen(minor);
}

const char *http_strict_check(const struct http_head *h)
{
	if (h->escaped_nul)
		return "a NUL byte (%00) in the path or query";
	if (!h->path || strstr(h->path, ".."))
		return "\"..\" in the path";
	if (h->n_host == 0 && needs_host(h->version))
		return "an HTTP/1.1 request without a Host header";
	if (h->n_host > 1)
		return "more than one Host header";
	if (h->n_content_length > 1)
		return "more than one Content-Length header";
	if (h->n_content_length > 0 && h->n_transfer_encoding > 0)
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}
