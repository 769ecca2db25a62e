/* libFuzzer target for the collect[] parser: any bytes, split at '&' into
 * values (as a query string would carry them, already decoded), must
 * parse without a crash or a read past a value, into a mask of known
 * collectors only, or into an error message that fits its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"host", "process", "cgroup", "power",
				    "libvirt", "perf", "model"};
static const bool enabled[] = {true, true, true, true, false, true, true};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct filter_known k = {.names = names, .enabled = enabled,
				       .n = 7};
	const char *values[FILTER_MAX_VALUES + 2];
	char *s = malloc(size + 1), *p;
	char err[96];
	size_t n = 0;
	uint32_t mask = 0;
	int rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (p = s; n < FILTER_MAX_VALUES + 2;) {
		char *amp = strchr(p, '&');

		values[n++] = p;
		if (!amp)
			break;
		*amp = '\0';
		p = amp + 1;
	}
	memset(err, 'x', sizeof(err));
	rc = filter_parse(values, n, &k, &mask, err, sizeof(err));
	if (rc == 0 && (mask >> 7 || (mask & (1u << 4))))
		abort(); /* an unknown or disabled collector selected */
	if (rc != 0 && (mask != 0 || !memchr(err, '\0', sizeof(err))))
		abort();
	free(s);
	return 0;
}
