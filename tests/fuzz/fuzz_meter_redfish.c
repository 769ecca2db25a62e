/* Fuzz target for the Redfish answer parsers (collectors/power/
 * redfish_parse.c): the same bytes are read as a Power or metrics
 * resource, a power supply's metrics, a collection, a chassis and a
 * resource with links, and the promises of each parser are checked. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/parse.h"
#include "collectors/power/redfish_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A reading's values are finite and not negative. */
static bool reading_ok(const struct virtmeter_reading *x)
{
	return isfinite(x->watts) && x->watts >= 0 && isfinite(x->joules) &&
	       x->joules >= 0 && isfinite(x->volts) && x->volts >= 0 &&
	       isfinite(x->amperes) && x->amperes >= 0;
}

static void check_readings(const uint8_t *data, size_t size)
{
	struct virtmeter_reading r[4];
	char err[200];
	int n;

	n = meter_redfish_readings((const char *)data, size, "Chassis.1", r, 4,
				   err, sizeof(err));
	if (n < 0) {
		if (n != -EINVAL && n != -ENOMEM)
			abort();
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return;
	}
	if (n < 1 || n > 4)
		abort();
	for (int i = 0; i < n; i++) {
		const struct virtmeter_reading *x = &r[i];

		if (!x->zone[0] || !meter_zone_valid(x->zone))
			abort();
		if (!(x->have & (VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES)) ||
		    (x->have & ~0xfu))
			abort();
		if (!reading_ok(x))
			abort();
	}
}

static void check_psu(const uint8_t *data, size_t size)
{
	struct virtmeter_reading r;
	char err[200];
	int n;

	n = meter_redfish_psu_readings((const char *)data, size, "Chassis.1", "PSU 1",
				       &r, err, sizeof(err));
	if (n < 0 && n != -EINVAL && n != -ENOMEM)
		abort();
	if (n <= 0) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return;
	}
	if (n != 1 || strcmp(r.zone, "Chassis.1/PSU_1") != 0 || !reading_ok(&r) ||
	    !(r.have & (VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES)) ||
	    (r.have & ~0xfu))
		abort();
}

static void check_link(const uint8_t *data, size_t size, const char *key)
{
	char out[RF_PATH_MAX], err[200];
	int rc;

	rc = meter_redfish_link((const char *)data, size, key, out, err, sizeof(err));
	if (rc == 0 && (out[0] != '/' || !memchr(out, '\0', sizeof(out))))
		abort();
	if (rc && rc != -ENOENT && rc != -EINVAL && rc != -ENOMEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ids[RF_MAX_CHASSIS][RF_PATH_MAX], id[VIRTMETER_ZONE_MAX], err[200];
	struct rf_links l;
	int n;

	check_readings(data, size);
	check_psu(data, size);
	check_link(data, size, "PowerSupplies");
	check_link(data, size, "Metrics");
	n = meter_redfish_members((const char *)data, size, ids, RF_MAX_CHASSIS,
				  err, sizeof(err));
	if (n > RF_MAX_CHASSIS)
		abort();
	for (int i = 0; i < n; i++) {
		if (ids[i][0] != '/' || strlen(ids[i]) >= RF_PATH_MAX)
			abort();
		meter_redfish_id(ids[i], id, sizeof(id));
		if (strchr(id, '/'))
			abort();
	}
	if (meter_redfish_links((const char *)data, size, &l, err, sizeof(err)) == 0 &&
	    ((l.env[0] && l.env[0] != '/') || (l.subsystem[0] && l.subsystem[0] != '/') ||
	     (l.power[0] && l.power[0] != '/')))
		abort();
	return 0;
}
