/* Fuzz target for the sysfs value parsers of the RAPL and hwmon meters
 * (collectors/power/parse.c), and for the kinds they tell from a name. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[VIRTMETER_ZONE_MAX];
	uint64_t v;
	long num;
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
	if (rc == 0) {
		static const char *const kinds[] = {"package", "psys", "core",
						    "uncore", "dram", "other",
						    "socket", "sensor"};
		const char *r = meter_rapl_kind(name);
		const char *h = meter_hwmon_kind(name, &num);
		bool rk = false, hk = false;

		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			rk |= strcmp(r, kinds[i]) == 0;
			hk |= strcmp(h, kinds[i]) == 0;
		}
		if (!rk || !hk || num < -1 || num > 999999999)
			abort();
	}
	return 0;
}
