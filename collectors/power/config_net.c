/* The keys of the redfish, http and powerspy meters in the meters:
 * section: how each value is parsed, and the checks of a finished redfish
 * or http meter (see config_net.h and docs/config.md). */
#include "collectors/power/config_net.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/jpath.h"

#ifdef HAVE_LIBYAML

/* A word from a short table, as an index. */
struct word {
	const char *name;
	int value;
};

static const struct word presets[] = {
	{"shelly_gen1", METER_PRESET_SHELLY_GEN1},
	{"shelly_gen2", METER_PRESET_SHELLY_GEN2},
	{"tasmota", METER_PRESET_TASMOTA},
	{NULL, 0},
};
static const struct word auths[] = {
	{"basic", METER_AUTH_BASIC}, {"session", METER_AUTH_SESSION}, {NULL, 0},
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

/* The names of a word table as "a, b, c", in out. Returns out. */
static const char *word_list(const struct word *tab, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; tab[i].name && o < size; i++) {
		int n = snprintf(out + o, size - o, "%s%s", i ? ", " : "", tab[i].name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

/* A string that must be an absolute path. */
static int set_abs(struct parse_ctx *c, const char *path, const yaml_event_t *v,
		   char *out, size_t size)
{
	int rc = meter_set_string(c, path, v, out, size);

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
	int rc = meter_set_string(c, path, v, out, METER_URL_MAX);

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
		    const struct word *tab, int *out)
{
	char tmp[64], known[128];

	for (size_t i = 0; is_scalar(v) && tab[i].name; i++)
		if (strcmp(tab[i].name, sval(v)) == 0) {
			*out = tab[i].value;
			return 0;
		}
	return cy_fail_at(c, &v->start_mark, "%s: unknown value %s (known: %s)",
			  path, cy_describe(v, tmp, sizeof(tmp)),
			  word_list(tab, known, sizeof(known)));
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
	int rc = meter_set_string(c, path, v, out, METER_JPATH_MAX);

	if (rc == 0 && meter_jpath_parse(out, strlen(out), &jp, why, sizeof(why)))
		rc = cy_fail_at(c, &v->start_mark,
				"%s: not a JSON path like a.b[0].c: %s", path, why);
	return rc;
}

static int set_zone(struct parse_ctx *c, const char *path,
		    const yaml_event_t *v, char *out, size_t size)
{
	int rc = meter_set_string(c, path, v, out, size);

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

int meter_net_on_key(struct parse_ctx *c, enum meter_key k, const char *path,
		     const yaml_event_t *v, struct meter_config *m)
{
	struct meter_net_config *n = &m->net;
	int w = 0, rc;

	switch (k) {
	case METER_KEY_URL:
		return set_url(c, path, v, n->url);
	case METER_KEY_USERNAME:
		return meter_set_string(c, path, v, n->username, sizeof(n->username));
	case METER_KEY_PASSWORD:
		return meter_set_string(c, path, v, n->password, sizeof(n->password));
	case METER_KEY_PASSWORD_FILE:
		return set_abs(c, path, v, n->password_file, sizeof(n->password_file));
	case METER_KEY_CA_FILE:
		return set_abs(c, path, v, n->ca_file, sizeof(n->ca_file));
	case METER_KEY_TLS_INSECURE:
		return cy_set_bool(c, path, v, &n->tls_insecure);
	case METER_KEY_AUTH:
		rc = set_word(c, path, v, auths, &w);
		n->auth = (enum meter_http_auth)w;
		return rc;
	case METER_KEY_PRESET:
		rc = set_word(c, path, v, presets, &w);
		n->preset = (enum meter_http_preset)w;
		return rc;
	case METER_KEY_ZONE:
		return set_zone(c, path, v, n->zone, sizeof(n->zone));
	case METER_KEY_WATTS_PATH: case METER_KEY_ENERGY_PATH:
	case METER_KEY_VOLTS_PATH: case METER_KEY_AMPERES_PATH:
		return set_jpath(c, path, v, n->path[k - METER_KEY_WATTS_PATH]);
	case METER_KEY_WATTS_SCALE: case METER_KEY_ENERGY_SCALE:
	case METER_KEY_VOLTS_SCALE: case METER_KEY_AMPERES_SCALE:
		return set_scale(c, path, v, &n->scale[k - METER_KEY_WATTS_SCALE]);
	case METER_KEY_ENERGY_UNIT:
		return set_energy_unit(c, path, v, &n->scale[METER_Q_ENERGY]);
	case METER_KEY_DEVICE:
		return set_abs(c, path, v, n->device, sizeof(n->device));
	default:
		return -EINVAL;
	}
}

#define SEEN(k) (it->seen & METER_KEY_BIT(k))

/* The http meter: a preset, or the JSON path of watts or energy. */
static int check_http_paths(struct parse_ctx *c, const char *path,
			    const struct meter_item *it)
{
	char known[128];

	if (SEEN(METER_KEY_PRESET)) {
		for (unsigned k = METER_KEY_WATTS_PATH; k <= METER_KEY_ENERGY_UNIT; k++)
			if (SEEN(k))
				return cy_fail_at(c, &it->mark[k], "%s.%s: a preset sets the "
						  "JSON paths and units itself; remove %s or "
						  "preset", path, meter_key_names[k],
						  meter_key_names[k]);
		return 0;
	}
	if (!SEEN(METER_KEY_WATTS_PATH) && !SEEN(METER_KEY_ENERGY_PATH))
		return cy_fail_at(c, &it->start->start_mark,
				  "%s: a meter of type http needs a preset (%s) or a "
				  "watts_path or energy_path", path,
				  word_list(presets, known, sizeof(known)));
	for (unsigned q = 0; q < METER_Q_COUNT; q++)
		if (SEEN(METER_KEY_WATTS_SCALE + q) && !SEEN(METER_KEY_WATTS_PATH + q))
			return cy_fail_at(c, &it->mark[METER_KEY_WATTS_SCALE + q],
					  "%s.%s: no %s to scale", path,
					  meter_key_names[METER_KEY_WATTS_SCALE + q],
					  meter_key_names[METER_KEY_WATTS_PATH + q]);
	if (SEEN(METER_KEY_ENERGY_UNIT) && SEEN(METER_KEY_ENERGY_SCALE))
		return cy_fail_at(c, &it->mark[METER_KEY_ENERGY_UNIT],
				  "%s.energy_unit: give energy_unit or energy_scale, not both",
				  path);
	if (SEEN(METER_KEY_ENERGY_UNIT) && !SEEN(METER_KEY_ENERGY_PATH))
		return cy_fail_at(c, &it->mark[METER_KEY_ENERGY_UNIT],
				  "%s.energy_unit: no energy_path to scale", path);
	return 0;
}

/* Credentials: a password or a password file, never both, and a user
 * name with either; required says that the meter cannot do without. */
static int check_credentials(struct parse_ctx *c, const char *path,
			     const struct meter_item *it, bool required)
{
	bool pw = SEEN(METER_KEY_PASSWORD) || SEEN(METER_KEY_PASSWORD_FILE);

	if (SEEN(METER_KEY_PASSWORD) && SEEN(METER_KEY_PASSWORD_FILE))
		return cy_fail_at(c, &it->mark[METER_KEY_PASSWORD_FILE],
				  "%s.password_file: give password or password_file, not both",
				  path);
	if (pw && !SEEN(METER_KEY_USERNAME))
		return cy_fail_at(c, &it->start->start_mark,
				  "%s: a password needs a username", path);
	if (required && !pw)
		return cy_fail_at(c, &it->start->start_mark,
				  "%s: a meter of type %s needs a username and a "
				  "password or password_file", path, it->m->kind->name);
	if (SEEN(METER_KEY_USERNAME) && !pw)
		return cy_fail_at(c, &it->mark[METER_KEY_USERNAME],
				  "%s.username: needs a password or password_file", path);
	return 0;
}

/* Verification off makes a CA file pointless: one of them is a mistake. */
static int check_tls(struct parse_ctx *c, const char *path,
		     const struct meter_item *it)
{
	if (SEEN(METER_KEY_TLS_INSECURE) && SEEN(METER_KEY_CA_FILE) &&
	    it->m->net.tls_insecure)
		return cy_fail_at(c, &it->mark[METER_KEY_TLS_INSECURE],
				  "%s.tls_insecure: verification is off, so ca_file "
				  "would not be used; remove one", path);
	return 0;
}

int meter_check_redfish(struct parse_ctx *c, const char *path,
			const struct meter_item *it)
{
	int rc = check_tls(c, path, it);

	return rc ? rc : check_credentials(c, path, it, true);
}

int meter_check_http(struct parse_ctx *c, const char *path,
		     const struct meter_item *it)
{
	int rc = check_tls(c, path, it);

	if (rc == 0)
		rc = check_http_paths(c, path, it);
	return rc ? rc : check_credentials(c, path, it, false);
}

#endif /* HAVE_LIBYAML */
