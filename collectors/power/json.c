/* JSON answers of the network meters (see json.h). */
#include "collectors/power/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/lib/scan.h"

/* The first line of yajl's message (the next ones quote the input),
 * printable, without trailing spaces or dots. */
static void one_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '.'); n--)
		s[n - 1] = '\0';
}

/* v times scale; a scale of 1/N divides by N, so that 2301 decivolts are
 * 230.1 V, not 230.10000000000002. */
static double scaled(double v, double scale)
{
	double inv = 1 / scale;

	if (scale < 1 && fabs(inv - round(inv)) < 1e-9 * inv)
		return v / round(inv);
	return v * scale;
}

int meter_json_parse(const char *buf, size_t len, yajl_val *out, char *err,
		     size_t errlen)
{
	char why[256] = "";
	char *text;

	*out = NULL;
	if (len > METER_JSON_MAX) {
		snprintf(err, errlen, "answer larger than %d bytes", METER_JSON_MAX);
		return -EFBIG;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty answer, not JSON");
		return -EINVAL;
	}
	if (!scan_json_depth_ok(buf, len, METER_JSON_MAX_DEPTH)) {
		snprintf(err, errlen, "JSON nested deeper than %d levels",
			 METER_JSON_MAX_DEPTH);
		return -EINVAL;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "bad JSON: a NUL byte");
		return -EINVAL;
	}
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, buf, len);
	text[len] = '\0';
	*out = yajl_tree_parse(text, why, sizeof(why));
	free(text);
	if (*out)
		return 0;
	one_line(why);
	snprintf(err, errlen, "bad JSON: %s", why[0] ? why : "cannot parse");
	return -EINVAL;
}

yajl_val meter_json_member(yajl_val v, const char *key)
{
	if (!YAJL_IS_OBJECT(v))
		return NULL;
	for (size_t i = 0; i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], key) == 0)
			return v->u.object.values[i];
	return NULL;
}

yajl_val meter_jpath_get(yajl_val root, const struct jpath *p)
{
	yajl_val v = root;

	for (size_t i = 0; v && i < p->n; i++) {
		const struct jpath_step *s = &p->step[i];

		if (!s->is_index)
			v = meter_json_member(v, p->names + s->key);
		else if (YAJL_IS_ARRAY(v) && s->index < v->u.array.len)
			v = v->u.array.values[s->index];
		else
			v = NULL;
	}
	return v;
}

int meter_json_number(yajl_val v, double *out)
{
	if (!v || YAJL_IS_NULL(v))
		return -ENOENT;
	if (!YAJL_IS_NUMBER(v))
		return -EINVAL;
	if (v->u.number.flags & YAJL_NUMBER_DOUBLE_VALID)
		*out = v->u.number.d;
	else if (v->u.number.flags & YAJL_NUMBER_INT_VALID)
		*out = (double)v->u.number.i;
	else
		return -EINVAL;
	return 0;
}

/* A preset: the path under the device's address, the JSON paths and the
 * scales into W, J, V, A. */
struct preset {
	const char *url_path;
	const char *path[METER_Q_COUNT];
	double scale[METER_Q_COUNT];
};

static const struct preset presets[] = {
	/* Shelly Gen1 (1PM, Plug S, 2.5...): total is in watt-minutes. */
	[METER_PRESET_SHELLY_GEN1] = {"/status",
		{"meters[0].power", "meters[0].total", NULL, NULL}, {1, 60, 1, 1}},
	/* Shelly Gen2/Plus/Pro switches: aenergy.total is in Wh. */
	[METER_PRESET_SHELLY_GEN2] = {"/rpc/Switch.GetStatus?id=0",
		{"apower", "aenergy.total", "voltage", "current"},
		{1, 3600, 1, 1}},
	/* Tasmota with an energy sensor: Total is in kWh. */
	[METER_PRESET_TASMOTA] = {"/cm?cmnd=Status%208",
		{"StatusSNS.ENERGY.Power", "StatusSNS.ENERGY.Total",
		 "StatusSNS.ENERGY.Voltage", "StatusSNS.ENERGY.Current"},
		{1, 3.6e6, 1, 1}},
};

/* Fills the URL and the path texts of spec from a preset. */
static int from_preset(const struct meter_net_config *n, struct http_spec *out,
		       char *err, size_t errlen)
{
	const struct preset *p = &presets[n->preset];
	size_t base = strlen(n->url);

	while (base > 0 && n->url[base - 1] == '/')
		base--;
	if (base + strlen(p->url_path) >= sizeof(out->url)) {
		snprintf(err, errlen, "url too long");
		return -EINVAL;
	}
	memcpy(out->url, n->url, base);
	memcpy(out->url + base, p->url_path, strlen(p->url_path) + 1);
	for (int q = 0; q < METER_Q_COUNT; q++) {
		out->want[q] = p->path[q] != NULL;
		if (p->path[q])
			snprintf(out->path_text[q], sizeof(out->path_text[q]), "%s",
				 p->path[q]);
		out->scale[q] = p->scale[q];
	}
	return 0;
}

int meter_http_spec(const struct meter_net_config *n, struct http_spec *out,
		    char *err, size_t errlen)
{
	char why[96];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->zone, sizeof(out->zone), "%s", n->zone);
	if (n->preset != METER_PRESET_NONE) {
		rc = from_preset(n, out, err, errlen);
	} else {
		snprintf(out->url, sizeof(out->url), "%s", n->url);
		for (int q = 0; q < METER_Q_COUNT; q++) {
			out->want[q] = n->path[q][0] != '\0';
			memcpy(out->path_text[q], n->path[q], METER_JPATH_MAX);
			out->scale[q] = n->scale[q] > 0 ? n->scale[q] : 1;
		}
	}
	for (int q = 0; rc == 0 && q < METER_Q_COUNT; q++) {
		const char *t = out->path_text[q];

		if (out->want[q] &&
		    meter_jpath_parse(t, strlen(t), &out->path[q], why, sizeof(why))) {
			snprintf(err, errlen, "JSON path '%s': %s", t, why);
			rc = -EINVAL;
		}
	}
	return rc;
}

static const char *const q_name[METER_Q_COUNT] = {"watts", "energy", "volts",
						    "amperes"};
static const uint32_t q_bit[METER_Q_COUNT] = {
	VIRTMETER_HAVE_WATTS, VIRTMETER_HAVE_JOULES, VIRTMETER_HAVE_VOLTS,
	VIRTMETER_HAVE_AMPERES,
};

/* A short description of the kind of v, for messages. */
static const char *kind(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		return "a string";
	if (YAJL_IS_OBJECT(v))
		return "an object";
	if (YAJL_IS_ARRAY(v))
		return "an array";
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return "a boolean";
	return "not a number";
}

int meter_http_extract(yajl_val root, const struct http_spec *spec,
		       struct virtmeter_reading *out, char *err, size_t errlen)
{
	double vals[METER_Q_COUNT];

	memset(out, 0, sizeof(*out));
	snprintf(out->zone, sizeof(out->zone), "%s", spec->zone);
	for (int q = 0; q < METER_Q_COUNT; q++) {
		yajl_val v;
		double d;
		int rc;

		if (!spec->want[q])
			continue;
		v = meter_jpath_get(root, &spec->path[q]);
		rc = meter_json_number(v, &d);
		if (rc == -ENOENT && q >= METER_Q_VOLTS)
			continue;
		if (rc == -ENOENT) {
			snprintf(err, errlen, "no %s at %s", q_name[q], spec->path_text[q]);
			return -EINVAL;
		}
		if (rc) {
			snprintf(err, errlen, "%s at %s is %s, not a number", q_name[q],
				 spec->path_text[q], kind(v));
			return -EINVAL;
		}
		d = scaled(d, spec->scale[q]);
		if (!isfinite(d) || d < 0) {
			snprintf(err, errlen, "%s at %s is %g: negative or out of range",
				 q_name[q], spec->path_text[q], d);
			return -EINVAL;
		}
		vals[q] = d;
		out->have |= q_bit[q];
	}
	out->watts = out->have & VIRTMETER_HAVE_WATTS ? vals[METER_Q_WATTS] : 0;
	out->joules = out->have & VIRTMETER_HAVE_JOULES ? vals[METER_Q_ENERGY] : 0;
	out->volts = out->have & VIRTMETER_HAVE_VOLTS ? vals[METER_Q_VOLTS] : 0;
	out->amperes = out->have & VIRTMETER_HAVE_AMPERES ? vals[METER_Q_AMPERES] : 0;
	return 0;
}
