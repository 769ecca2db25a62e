/* The keys of the redfish, http and powerspy meters in the meters:
 * section (see config_net.h and docs/config.md). */
#include "collectors/power/config_net.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/jpath.h"

#ifdef HAVE_LIBYAML

#define T_REDFISH (1u << CONFIG_METER_REDFISH)
#define T_HTTP (1u << CONFIG_METER_HTTP)
#define T_POWERSPY (1u << CONFIG_METER_POWERSPY)

const char *const config_net_key_names[NK_COUNT] = {
	[NK_URL] = "url", [NK_USERNAME] = "username", [NK_PASSWORD] = "password",
	[NK_PASSWORD_FILE] = "password_file", [NK_CA_FILE] = "ca_file",
	[NK_TLS_INSECURE] = "tls_insecure", [NK_AUTH] = "auth",
	[NK_PRESET] = "preset", [NK_ZONE] = "zone",
	[NK_WATTS_PATH] = "watts_path", [NK_ENERGY_PATH] = "energy_path",
	[NK_VOLTS_PATH] = "volts_path", [NK_AMPERES_PATH] = "amperes_path",
	[NK_WATTS_SCALE] = "watts_scale", [NK_ENERGY_SCALE] = "energy_scale",
	[NK_VOLTS_SCALE] = "volts_scale", [NK_AMPERES_SCALE] = "amperes_scale",
	[NK_ENERGY_UNIT] = "energy_unit", [NK_DEVICE] = "device",
};

const unsigned config_net_key_types[NK_COUNT] = {
	[NK_URL] = T_REDFISH | T_HTTP, [NK_USERNAME] = T_REDFISH | T_HTTP,
	[NK_PASSWORD] = T_REDFISH | T_HTTP,
	[NK_PASSWORD_FILE] = T_REDFISH | T_HTTP,
	[NK_CA_FILE] = T_REDFISH | T_HTTP, [NK_TLS_INSECURE] = T_REDFISH | T_HTTP,
	[NK_AUTH] = T_REDFISH, [NK_PRESET] = T_HTTP, [NK_ZONE] = T_HTTP,
	[NK_WATTS_PATH] = T_HTTP, [NK_ENERGY_PATH] = T_HTTP,
	[NK_VOLTS_PATH] = T_HTTP, [NK_AMPERES_PATH] = T_HTTP,
	[NK_WATTS_SCALE] = T_HTTP, [NK_ENERGY_SCALE] = T_HTTP,
	[NK_VOLTS_SCALE] = T_HTTP, [NK_AMPERES_SCALE] = T_HTTP,
	[NK_ENERGY_UNIT] = T_HTTP, [NK_DEVICE] = T_POWERSPY,
};

/* A word from a short table, as an index. */
struct word {
	const char *name;
	int value;
};

static const struct word presets[] = {
	{"shelly_gen1", CONFIG_PRESET_SHELLY_GEN1},
	{"shelly_gen2", CONFIG_PRESET_SHELLY_GEN2},
	{"tasmota", CONFIG_PRESET_TASMOTA},
	{NULL, 0},
};
static const struct word auths[] = {
	{"basic", CONFIG_AUTH_BASIC}, {"session", CONFIG_AUTH_SESSION}, {NULL, 0},
};
/* energy_unit: joules per unit. */
static const struct {
	const char *name;
	double joules;
} energy_units[] = {
	{"J", 1}, {"Wh", 3600}, {"kWh", 3.6e6}, {"Wmin", 60}, {"mWh", 3.6},
	{NULL, 0},
};

static bool is_scalar(const yaml_event_t *v)
{
	return v->type == YAML_SCALAR_EVENT && !cy_is_null(v) &&
	       v->data.scalar.length > 0;
}

static const char *sval(const yaml_event_t *v)
{
	return (const char *)v->data.scalar.value;
}

/* Copies a non-empty string value without NUL bytes into out. */
static int set_str(struct parse_ctx *c, const char *path, const yaml_event_t *v,
		   char *out, size_t size)
{
	char tmp[64];

	if (!is_scalar(v))
		return cy_fail_at(c, &v->start_mark, "%s: expected a string, got %s",
				  path, cy_describe(v, tmp, sizeof(tmp)));
	if (strlen(sval(v)) != v->data.scalar.length)
		return cy_fail_at(c, &v->start_mark, "%s: a NUL byte is not allowed",
				  path);
	if (v->data.scalar.length >= size)
		return cy_fail_at(c, &v->start_mark, "%s: longer than %zu bytes", path,
				  size - 1);
	memcpy(out, sval(v), v->data.scalar.length + 1);
	return 0;
}

/* A string that must be an absolute path. */
static int set_abs(struct parse_ctx *c, const char *path, const yaml_event_t *v,
		   char *out, size_t size)
{
	int rc = set_str(c, path, v, out, size);

	if (rc == 0 && out[0] != '/')
		rc = cy_fail_at(c, &v->start_mark, "%s: expected an absolute path",
				path);
	return rc;
}

/* http:// or https://, a host, no user:password@ and no control bytes or
 * spaces. */
static int set_url(struct parse_ctx *c, const char *path, const yaml_event_t *v,
		   char *out)
{
	const char *host, *end;
	int rc = set_str(c, path, v, out, CONFIG_URL_MAX);

	if (rc)
		return rc;
	if (strncmp(out, "http://", 7) == 0)
		host = out + 7;
	else if (strncmp(out, "https://", 8) == 0)
		host = out + 8;
	else
		return cy_fail_at(c, &v->start_mark,
				  "%s: expected a URL starting with http:// or https://", path);
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return cy_fail_at(c, &v->start_mark,
					  "%s: spaces and control bytes are not allowed "
					  "(percent-encode them)", path);
	end = host + strcspn(host, "/?#");
	if (end == host)
		return cy_fail_at(c, &v->start_mark, "%s: the URL has no host", path);
	if (memchr(host, '@', (size_t)(end - host)))
		return cy_fail_at(c, &v->start_mark,
				  "%s: put credentials in username and password (or "
				  "password_file), not in the URL", path);
	return 0;
}

static int set_word(struct parse_ctx *c, const char *path, const yaml_event_t *v,
		    const struct word *tab, const char *known, int *out)
{
	char tmp[64];

	for (size_t i = 0; is_scalar(v) && tab[i].name; i++)
		if (strcmp(tab[i].name, sval(v)) == 0) {
			*out = tab[i].value;
			return 0;
		}
	return cy_fail_at(c, &v->start_mark, "%s: unknown value %s (known: %s)",
			  path, cy_describe(v, tmp, sizeof(tmp)), known);
}

/* A finite number > 0. */
static int set_scale(struct parse_ctx *c, const char *path,
		     const yaml_event_t *v, double *out)
{
	char tmp[64], *end;
	double d;

	if (!is_scalar(v) || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		goto bad;
	errno = 0;
	d = strtod(sval(v), &end);
	if (errno || *end != '\0' || !isfinite(d) || !(d > 0))
		goto bad;
	*out = d;
	return 0;
bad:
	return cy_fail_at(c, &v->start_mark,
			  "%s: expected a number greater than 0 (like 0.001), got %s",
			  path, cy_describe(v, tmp, sizeof(tmp)));
}

static int set_jpath(struct parse_ctx *c, const char *path,
		     const yaml_event_t *v, char *out)
{
	struct jpath jp;
	char why[96];
	int rc = set_str(c, path, v, out, CONFIG_JPATH_MAX);

	if (rc == 0 && meter_jpath_parse(out, strlen(out), &jp, why, sizeof(why)))
		rc = cy_fail_at(c, &v->start_mark,
				"%s: not a JSON path like a.b[0].c: %s", path, why);
	return rc;
}

static int set_zone(struct parse_ctx *c, const char *path,
		    const yaml_event_t *v, char *out, size_t size)
{
	int rc = set_str(c, path, v, out, size);

	for (const char *p = out; rc == 0 && *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.:/-", *p))
			rc = cy_fail_at(c, &v->start_mark, "%s: a zone holds only "
					"A-Z a-z 0-9 _ . : / -", path);
	return rc;
}

static int set_energy_unit(struct parse_ctx *c, const char *path,
			   const yaml_event_t *v, double *out)
{
	char tmp[64];

	for (size_t i = 0; is_scalar(v) && energy_units[i].name; i++)
		if (strcmp(energy_units[i].name, sval(v)) == 0) {
			*out = energy_units[i].joules;
			return 0;
		}
	return cy_fail_at(c, &v->start_mark,
			  "%s: unknown energy unit %s (known: J, Wh, kWh, Wmin, mWh)",
			  path, cy_describe(v, tmp, sizeof(tmp)));
}

int config_net_on_key(struct parse_ctx *c, unsigned k, const char *path,
		      const yaml_event_t *v, struct config_meter *m)
{
	struct config_meter_net *n = &m->net;
	int w = 0, rc = -EINVAL;

	switch ((enum net_key)k) {
	case NK_URL:
		return set_url(c, path, v, n->url);
	case NK_USERNAME:
		return set_str(c, path, v, n->username, sizeof(n->username));
	case NK_PASSWORD:
		return set_str(c, path, v, n->password, sizeof(n->password));
	case NK_PASSWORD_FILE:
		return set_abs(c, path, v, n->password_file, sizeof(n->password_file));
	case NK_CA_FILE:
		return set_abs(c, path, v, n->ca_file, sizeof(n->ca_file));
	case NK_TLS_INSECURE:
		return cy_set_bool(c, path, v, &n->tls_insecure);
	case NK_AUTH:
		rc = set_word(c, path, v, auths, "basic, session", &w);
		n->auth = (enum config_http_auth)w;
		return rc;
	case NK_PRESET:
		rc = set_word(c, path, v, presets, "shelly_gen1, shelly_gen2, tasmota", &w);
		n->preset = (enum config_http_preset)w;
		return rc;
	case NK_ZONE:
		return set_zone(c, path, v, n->zone, sizeof(n->zone));
	case NK_WATTS_PATH: case NK_ENERGY_PATH: case NK_VOLTS_PATH:
	case NK_AMPERES_PATH:
		return set_jpath(c, path, v, n->path[k - NK_WATTS_PATH]);
	case NK_WATTS_SCALE: case NK_ENERGY_SCALE: case NK_VOLTS_SCALE:
	case NK_AMPERES_SCALE:
		return set_scale(c, path, v, &n->scale[k - NK_WATTS_SCALE]);
	case NK_ENERGY_UNIT:
		return set_energy_unit(c, path, v, &n->scale[CONFIG_Q_ENERGY]);
	case NK_DEVICE:
		return set_abs(c, path, v, n->device, sizeof(n->device));
	case NK_COUNT:
		break;
	}
	return rc;
}

#define SEEN(k) (seen & (1u << (k)))

/* The http meter: a preset, or the JSON path of watts or energy. */
static int check_http(struct parse_ctx *c, const char *path,
		      const yaml_event_t *start, unsigned seen,
		      const yaml_mark_t *marks)
{
	if (SEEN(NK_PRESET)) {
		for (unsigned k = NK_WATTS_PATH; k <= NK_ENERGY_UNIT; k++)
			if (SEEN(k))
				return cy_fail_at(c, &marks[k], "%s.%s: a preset sets the "
						  "JSON paths and units itself; remove %s or "
						  "preset", path, config_net_key_names[k],
						  config_net_key_names[k]);
		return 0;
	}
	if (!SEEN(NK_WATTS_PATH) && !SEEN(NK_ENERGY_PATH))
		return cy_fail_at(c, &start->start_mark,
				  "%s: a meter of type http needs a preset (shelly_gen1, "
				  "shelly_gen2, tasmota) or a watts_path or energy_path", path);
	for (unsigned q = 0; q < CONFIG_Q_COUNT; q++)
		if (SEEN(NK_WATTS_SCALE + q) && !SEEN(NK_WATTS_PATH + q))
			return cy_fail_at(c, &marks[NK_WATTS_SCALE + q],
					  "%s.%s: no %s to scale", path,
					  config_net_key_names[NK_WATTS_SCALE + q],
					  config_net_key_names[NK_WATTS_PATH + q]);
	if (SEEN(NK_ENERGY_UNIT) && SEEN(NK_ENERGY_SCALE))
		return cy_fail_at(c, &marks[NK_ENERGY_UNIT],
				  "%s.energy_unit: give energy_unit or energy_scale, not both",
				  path);
	if (SEEN(NK_ENERGY_UNIT) && !SEEN(NK_ENERGY_PATH))
		return cy_fail_at(c, &marks[NK_ENERGY_UNIT],
				  "%s.energy_unit: no energy_path to scale", path);
	return 0;
}

/* Credentials: a password or a password file, never both, and a user
 * name with either. */
static int check_credentials(struct parse_ctx *c, const char *path,
			     const yaml_event_t *start,
			     const struct config_meter *m, unsigned seen,
			     const yaml_mark_t *marks)
{
	bool pw = SEEN(NK_PASSWORD) || SEEN(NK_PASSWORD_FILE);

	if (SEEN(NK_PASSWORD) && SEEN(NK_PASSWORD_FILE))
		return cy_fail_at(c, &marks[NK_PASSWORD_FILE],
				  "%s.password_file: give password or password_file, not both",
				  path);
	if (pw && !SEEN(NK_USERNAME))
		return cy_fail_at(c, &start->start_mark,
				  "%s: a password needs a username", path);
	if (m->type == CONFIG_METER_REDFISH && !pw)
		return cy_fail_at(c, &start->start_mark,
				  "%s: a meter of type redfish needs a username and a "
				  "password or password_file", path);
	if (SEEN(NK_USERNAME) && !pw)
		return cy_fail_at(c, &marks[NK_USERNAME],
				  "%s.username: needs a password or password_file", path);
	return 0;
}

int config_net_check(struct parse_ctx *c, const char *path,
		     const yaml_event_t *start, const struct config_meter *m,
		     unsigned seen, const yaml_mark_t *marks)
{
	if (m->type == CONFIG_METER_POWERSPY) {
		if (!SEEN(NK_DEVICE))
			return cy_fail_at(c, &start->start_mark,
					  "%s: a meter of type powerspy needs a device "
					  "(a tty such as /dev/rfcomm0)", path);
		return 0;
	}
	if (m->type != CONFIG_METER_REDFISH && m->type != CONFIG_METER_HTTP)
		return 0;
#if !defined(HAVE_LIBCURL) || !defined(HAVE_YAJL)
	return cy_fail_at(c, &start->start_mark,
			  "%s: this virtmeter was built without libcurl or yajl, "
			  "which meters of type %s need", path,
			  m->type == CONFIG_METER_HTTP ? "http" : "redfish");
#endif
	if (!SEEN(NK_URL))
		return cy_fail_at(c, &start->start_mark, "%s: a meter of type %s needs "
				  "a url", path,
				  m->type == CONFIG_METER_HTTP ? "http" : "redfish");
	if (SEEN(NK_TLS_INSECURE) && SEEN(NK_CA_FILE) && m->net.tls_insecure)
		return cy_fail_at(c, &marks[NK_TLS_INSECURE],
				  "%s.tls_insecure: verification is off, so ca_file "
				  "would not be used; remove one", path);
	if (m->type == CONFIG_METER_HTTP) {
		int rc = check_http(c, path, start, seen, marks);

		if (rc)
			return rc;
	}
	return check_credentials(c, path, start, m, seen, marks);
}

#endif /* HAVE_LIBYAML */
