/* Fuzz target for the exec meter's output parser (collectors/power/parse.c):
 * raw bytes in, and the promises of meter_parse_exec checked. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtmeter_reading r[4];
	unsigned line;
	char err[128];
	int n;

	n = meter_parse_exec((const char *)data, size, r, 4, &line, err, sizeof(err));
	if (n < 0) {
		if (n != -EINVAL && n != -E2BIG)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (n < 1 || n > 4 || line != 0)
		abort();
	for (int i = 0; i < n; i++) {
		if (r[i].have == 0 || (r[i].have & ~0xfu))
			abort();
		if (r[i].zone[0] && !meter_zone_valid(r[i].zone))
			abort();
		if (!(r[i].watts >= 0) || !isfinite(r[i].watts) ||
		    !(r[i].joules >= 0) || !isfinite(r[i].joules))
			abort();
	}
	return 0;
}
