/* libFuzzer target for the Accept and Accept-Encoding parsers: any bytes,
 * as a NUL-terminated header value, must parse without a crash, a hang or
 * an out-of-range result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy, so that the sanitizers catch a read past the NUL. */
	char *s = malloc(size + 1);
	enum expo_format fmt;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fmt = accept_format(s);
	if (fmt != EXPO_TEXT && fmt != EXPO_OPENMETRICS)
		abort();
	(void)accept_gzip(s);
	free(s);
	return 0;
}
