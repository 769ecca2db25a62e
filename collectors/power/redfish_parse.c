/* Pure parsers of Redfish answers (see redfish_parse.h). */
#include "collectors/power/redfish_parse.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exporter/api/base.h"
#include "collectors/power/json.h"

/* The member key of object v, or NULL. */
static yajl_val get(yajl_val v, const char *key)
{
	return meter_json_member(v, key);
}

/* Whether s is a usable @odata.id: starts with '/', fits, no control
 * bytes, spaces or "..". */
static bool path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RF_PATH_MAX || s[0] != '/' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '#')
			return false;
	return true;
}

/* The @odata.id of object v, if usable, else NULL. */
static const char *odata_id(yajl_val v)
{
	const char *s = YAJL_GET_STRING(get(v, "@odata.id"));

	return s && path_ok(s) ? s : NULL;
}

static int parse_object(const char *buf, size_t len, yajl_val *root,
			char *err, size_t errlen)
{
	int rc = meter_json_parse(buf, len, root, err, errlen);

	if (rc)
		return rc == -EFBIG ? -EINVAL : rc;
	if (!YAJL_IS_OBJECT(*root)) {
		yajl_tree_free(*root);
		snprintf(err, errlen, "the answer is not a JSON object");
		return -EINVAL;
	}
	return 0;
}

int meter_redfish_members(const char *buf, size_t len,
			  char ids[][RF_PATH_MAX], size_t max, char *err,
			  size_t errlen)
{
	yajl_val root, members;
	size_t n = 0;
	int rc;

	rc = parse_object(buf, len, &root, err, errlen);
	if (rc)
		return rc;
	members = get(root, "Members");
	if (!YAJL_IS_ARRAY(members)) {
		yajl_tree_free(root);
		snprintf(err, errlen, "not a Redfish collection: no Members list");
		return -EINVAL;
	}
	for (size_t i = 0; i < members->u.array.len && n < max; i++) {
		const char *id = odata_id(members->u.array.values[i]);

		if (id)
			memcpy(ids[n++], id, strlen(id) + 1);
	}
	yajl_tree_free(root);
	return (int)n;
}

int meter_redfish_links(const char *buf, size_t len, struct rf_links *out,
			char *err, size_t errlen)
{
	const char *s;
	yajl_val root;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_object(buf, len, &root, err, errlen);
	if (rc)
		return rc;
	s = odata_id(get(root, "EnvironmentMetrics"));
	if (s)
		memcpy(out->env, s, strlen(s) + 1);
	s = odata_id(get(root, "PowerSubsystem"));
	if (s)
		memcpy(out->subsystem, s, strlen(s) + 1);
	s = odata_id(get(root, "Power"));
	if (s)
		memcpy(out->power, s, strlen(s) + 1);
	yajl_tree_free(root);
	return 0;
}

int meter_redfish_link(const char *buf, size_t len, const char *key,
		       char *out, char *err, size_t errlen)
{
	const char *s;
	yajl_val root;
	int rc;

	out[0] = '\0';
	rc = parse_object(buf, len, &root, err, errlen);
	if (rc)
		return rc;
	s = odata_id(get(root, key));
	if (s) {
		memcpy(out, s, strlen(s) + 1);
	} else {
		snprintf(err, errlen, "no %s link", key);
		rc = -ENOENT;
	}
	yajl_tree_free(root);
	return rc;
}

void meter_redfish_id(const char *odata_id_s, char *out, size_t size)
{
	size_t n = strlen(odata_id_s);
	const char *p;

	while (n > 0 && odata_id_s[n - 1] == '/')
		n--;
	p = odata_id_s + n;
	while (p > odata_id_s && p[-1] != '/')
		p--;
	snprintf(out, size, "%.*s", (int)(odata_id_s + n - p), p);
}

/* Appends s to the zone name z (VIRTMETER_ZONE_MAX bytes), turning bytes
 * outside [A-Za-z0-9_.:-] into '_'. */
static void zone_append(char *z, const char *s)
{
	size_t o = strlen(z);

	for (; *s && o + 1 < VIRTMETER_ZONE_MAX; s++) {
		char c = *s;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			    c == ':' || c == '-';

		z[o++] = keep ? c : '_';
	}
	z[o] = '\0';
}

/* Appends '/' to the zone name z, if it fits. */
static void zone_sep(char *z)
{
	size_t o = strlen(z);

	if (o + 1 < VIRTMETER_ZONE_MAX) {
		z[o] = '/';
		z[o + 1] = '\0';
	}
}

/* Reads the number v (may be NULL): 1 with *out set, 0 when missing or
 * null, -EINVAL (reason in err) for a wrong type, a negative or non-finite
 * value. */
static int number(yajl_val v, const char *what, double *out, char *err,
		  size_t errlen)
{
	int rc = meter_json_number(v, out);

	if (rc == -ENOENT)
		return 0;
	if (rc) {
		snprintf(err, errlen, "%s is not a number", what);
		return -EINVAL;
	}
	if (!isfinite(*out) || *out < 0) {
		snprintf(err, errlen, "%s is %g: negative or out of range", what, *out);
		return -EINVAL;
	}
	return 1;
}

/* The mains voltage of a Power resource: the first power supply's
 * LineInputVoltage, else the first PowerSupply-context Voltages[] sensor.
 * Returns 1 with *v set, 0 if none, -EINVAL for a wrong type. */
static int mains_volts(yajl_val root, double *v, char *err, size_t errlen)
{
	yajl_val psus = get(root, "PowerSupplies"), volts = get(root, "Voltages");
	int rc;

	for (size_t i = 0; YAJL_IS_ARRAY(psus) && i < psus->u.array.len; i++) {
		rc = number(get(psus->u.array.values[i], "LineInputVoltage"),
			    "PowerSupplies[].LineInputVoltage", v, err, errlen);
		if (rc)
			return rc;
	}
	for (size_t i = 0; YAJL_IS_ARRAY(volts) && i < volts->u.array.len; i++) {
		yajl_val s = volts->u.array.values[i];
		const char *ctx = YAJL_GET_STRING(get(s, "PhysicalContext"));

		if (!ctx || strcmp(ctx, "PowerSupply") != 0)
			continue;
		rc = number(get(s, "ReadingVolts"), "Voltages[].ReadingVolts", v, err,
			    errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* One reading per PowerControl member that has PowerConsumedWatts. */
static int power_control(yajl_val root, yajl_val pc, const char *chassis,
			 struct virtmeter_reading *out, size_t max, char *err,
			 size_t errlen)
{
	size_t n = 0;
	double v;
	int rc;

	for (size_t i = 0; i < pc->u.array.len; i++) {
		yajl_val m = pc->u.array.values[i];
		const char *mid = YAJL_GET_STRING(get(m, "MemberId"));
		char idx[24];

		rc = number(get(m, "PowerConsumedWatts"),
			    "PowerControl[].PowerConsumedWatts", &v, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		if (n >= max) {
			snprintf(err, errlen, "more than %zu PowerControl members", max);
			return -EINVAL;
		}
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(idx, sizeof(idx), "%zu", i);
		zone_append(out[n].zone, chassis);
		zone_sep(out[n].zone);
		zone_append(out[n].zone, mid && mid[0] ? mid : idx);
		out[n].watts = v;
		out[n].have = VIRTMETER_HAVE_WATTS;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no PowerControl member has a PowerConsumedWatts "
			 "reading (is the host powered off?)");
		return -EINVAL;
	}
	rc = mains_volts(root, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (rc) {
		out[0].volts = v;
		out[0].have |= VIRTMETER_HAVE_VOLTS;
	}
	return (int)n;
}

/* The Reading of the excerpt object key ("PowerWatts": {"Reading": 1}). */
static int excerpt(yajl_val root, const char *key, double *v, char *err,
		   size_t errlen)
{
	char what[64];

	snprintf(what, sizeof(what), "%s.Reading", key);
	return number(get(get(root, key), "Reading"), what, v, err, errlen);
}

/* One reading from EnvironmentMetrics or PowerSupplyMetrics, zone chassis.
 * Returns 1, 0 with a reason in err when neither power nor energy is
 * given, or -EINVAL. */
static int metrics(yajl_val root, const char *chassis,
		   struct virtmeter_reading *out, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		uint32_t bit;
		double scale;
	} fields[] = {
		{"PowerWatts", VIRTMETER_HAVE_WATTS, 1},
		{"InputPowerWatts", VIRTMETER_HAVE_WATTS, 1},
		{"EnergyJoules", VIRTMETER_HAVE_JOULES, 1},
		{"EnergykWh", VIRTMETER_HAVE_JOULES, 3.6e6},
		{"InputVoltage", VIRTMETER_HAVE_VOLTS, 1},
		{"InputCurrentAmps", VIRTMETER_HAVE_AMPERES, 1},
	};
	double v;
	int rc;

	memset(out, 0, sizeof(*out));
	zone_append(out->zone, chassis);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (out->have & fields[i].bit)
			continue;
		rc = excerpt(root, fields[i].key, &v, err, errlen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		v *= fields[i].scale;
		out->have |= fields[i].bit;
		if (fields[i].bit == VIRTMETER_HAVE_WATTS)
			out->watts = v;
		else if (fields[i].bit == VIRTMETER_HAVE_JOULES)
			out->joules = v;
		else if (fields[i].bit == VIRTMETER_HAVE_VOLTS)
			out->volts = v;
		else
			out->amperes = v;
	}
	if (!(out->have & (VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES))) {
		snprintf(err, errlen, "no PowerWatts, EnergyJoules or EnergykWh reading");
		return 0;
	}
	return 1;
}

int meter_redfish_readings(const char *buf, size_t len, const char *chassis,
			   struct virtmeter_reading *out, size_t max,
			   char *err, size_t errlen)
{
	yajl_val root, pc;
	int rc;

	if (max < 1) {
		snprintf(err, errlen, "no room for a reading");
		return -EINVAL;
	}
	rc = parse_object(buf, len, &root, err, errlen);
	if (rc)
		return rc;
	pc = get(root, "PowerControl");
	rc = -EINVAL;
	if (YAJL_IS_ARRAY(pc))
		rc = power_control(root, pc, chassis, out, max, err, errlen);
	else if (pc && !YAJL_IS_NULL(pc))
		snprintf(err, errlen, "PowerControl is not a list");
	else if (get(root, "PowerWatts") || get(root, "EnergykWh") ||
		 get(root, "EnergyJoules") || get(root, "InputPowerWatts")) {
		rc = metrics(root, chassis, out, err, errlen);
		if (rc == 0)
			rc = -EINVAL;
	} else
		snprintf(err, errlen, "neither PowerControl nor PowerWatts nor "
			 "EnergykWh: not a Power or EnvironmentMetrics resource");
	yajl_tree_free(root);
	return rc;
}

int meter_redfish_psu_readings(const char *buf, size_t len, const char *chassis,
			       const char *psu, struct virtmeter_reading *out,
			       char *err, size_t errlen)
{
	yajl_val root;
	int rc;

	rc = parse_object(buf, len, &root, err, errlen);
	if (rc)
		return rc;
	rc = metrics(root, chassis, out, err, errlen);
	if (rc > 0) {
		zone_sep(out->zone);
		zone_append(out->zone, psu);
	} else if (rc == 0) {
		snprintf(err, errlen, "no InputPowerWatts, EnergyJoules or EnergykWh "
			 "reading (is the power supply off?)");
	}
	yajl_tree_free(root);
	return rc;
}
