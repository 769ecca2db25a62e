/* libFuzzer target for the request-head checks: the first byte gives the
 * counts of Host, Content-Length and Transfer-Encoding lines and whether
 * an escaped NUL was seen; the rest is "VERSION\nPATH". Any input must be
 * judged without a crash, and the verdict must follow the rules that do
 * not depend on the version. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/http_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h = {0};
	const char *why;
	char *s, *nl;

	if (size == 0)
		return 0;
	h.escaped_nul = data[0] & 1;
	h.n_host = (data[0] >> 1) & 3;
	h.n_content_length = (data[0] >> 3) & 3;
	h.n_transfer_encoding = (data[0] >> 5) & 3;
	/* A heap copy, so that the sanitizers catch a read past the NUL. */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	nl = strchr(s, '\n');
	h.version = s;
	h.path = "";
	if (nl) {
		*nl = '\0';
		h.path = nl + 1;
	}
	why = http_strict_check(&h);
	if (!why && (h.escaped_nul || strstr(h.path, "..") || h.n_host > 1 ||
		     h.n_content_length > 1 ||
		     (h.n_content_length && h.n_transfer_encoding)))
		abort();
	if (!why && h.n_host == 0 && strcmp(h.version, "HTTP/1.1") == 0)
		abort();
	free(s);
	return 0;
}
