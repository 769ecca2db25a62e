/* Fuzz target for the sysfs value parsers of the RAPL and hwmon meters
 * (collectors/power/parse.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[VIRTMETER_ZONE_MAX];
	uint64_t v;
	int rc;

	rc = meter_parse_u64((const char *)data, size, &v);
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
	/* Only digits (and one newline) parse. */
	if (rc == 0 && (size == 0 || data[0] < '0' || data[0] > '9'))
		abort();
	rc = meter_parse_name((const char *)data, size, name);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc == 0 && (name[0] == '\0' || strlen(name) >= sizeof(name)))
		abort();
	for (size_t i = 0; rc == 0 && name[i]; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
			abort();
	return 0;
}
