/* The meters: section of the configuration file: a list of power meters,
 * each a mapping of name, type, timing and the keys of its type. Every
 * mistake is reported with its line and column; see docs/config.md. */
#include "exporter/api/config_yaml.h"
#include "exporter/api/base.h"
#include "collectors/power/config_net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_LIBYAML

enum meter_key {
	MK_NAME, MK_TYPE, MK_INTERVAL, MK_TIMEOUT, MK_MAX_GAP, MK_COMMAND,
	MK_PATH, MK_ARGUMENT,
	/* Then the keys of config_net.h, in their order. */
	MK_NET_FIRST, MK_COUNT = MK_NET_FIRST + NK_COUNT
};

/* The keys of one meter (a key table: the name comes first). */
static const struct {
	const char *name;
} meter_keys[MK_COUNT] = {
	[MK_NAME] = {"name"}, [MK_TYPE] = {"type"}, [MK_INTERVAL] = {"interval"},
	[MK_TIMEOUT] = {"timeout"}, [MK_MAX_GAP] = {"max_gap"},
	[MK_COMMAND] = {"command"}, [MK_PATH] = {"path"},
	[MK_ARGUMENT] = {"argument"},
	[MK_NET_FIRST + NK_URL] = {"url"},
	[MK_NET_FIRST + NK_USERNAME] = {"username"},
	[MK_NET_FIRST + NK_PASSWORD] = {"password"},
	[MK_NET_FIRST + NK_PASSWORD_FILE] = {"password_file"},
	[MK_NET_FIRST + NK_CA_FILE] = {"ca_file"},
	[MK_NET_FIRST + NK_TLS_INSECURE] = {"tls_insecure"},
	[MK_NET_FIRST + NK_AUTH] = {"auth"},
	[MK_NET_FIRST + NK_PRESET] = {"preset"},
	[MK_NET_FIRST + NK_ZONE] = {"zone"},
	[MK_NET_FIRST + NK_WATTS_PATH] = {"watts_path"},
	[MK_NET_FIRST + NK_ENERGY_PATH] = {"energy_path"},
	[MK_NET_FIRST + NK_VOLTS_PATH] = {"volts_path"},
	[MK_NET_FIRST + NK_AMPERES_PATH] = {"amperes_path"},
	[MK_NET_FIRST + NK_WATTS_SCALE] = {"watts_scale"},
	[MK_NET_FIRST + NK_ENERGY_SCALE] = {"energy_scale"},
	[MK_NET_FIRST + NK_VOLTS_SCALE] = {"volts_scale"},
	[MK_NET_FIRST + NK_AMPERES_SCALE] = {"amperes_scale"},
	[MK_NET_FIRST + NK_ENERGY_UNIT] = {"energy_unit"},
	[MK_NET_FIRST + NK_DEVICE] = {"device"},
};

static const char *const type_names[] = {
	[CONFIG_METER_RAPL] = "rapl", [CONFIG_METER_HWMON] = "hwmon",
	[CONFIG_METER_EXEC] = "exec", [CONFIG_METER_PLUGIN] = "plugin",
	[CONFIG_METER_REDFISH] = "redfish", [CONFIG_METER_HTTP] = "http",
	[CONFIG_METER_POWERSPY] = "powerspy",
};

/* One list item while it is parsed: the meter, and where each key's value
 * was (for errors found once the whole item is known). */
struct meter_item {
	struct config_meter *m;
	unsigned seen; /* 1 << enum meter_key */
	yaml_mark_t mark[MK_COUNT];
};

/* Copies the scalar value (a string of at most size - 1 bytes, no NUL
 * byte) into out. */
static int set_string(struct parse_ctx *c, const char *path,
		      const yaml_event_t *v, char *out, size_t size)
{
	char tmp[64];

	if (v->type != YAML_SCALAR_EVENT || cy_is_null(v) ||
	    v->data.scalar.length == 0)
		return cy_fail_at(c, &v->start_mark, "%s: expected a string, got %s",
				  path, cy_describe(v, tmp, sizeof(tmp)));
	if (strlen((const char *)v->data.scalar.value) != v->data.scalar.length)
		return cy_fail_at(c, &v->start_mark, "%s: a NUL byte is not allowed",
				  path);
	if (v->data.scalar.length >= size)
		return cy_fail_at(c, &v->start_mark, "%s: longer than %zu bytes", path,
				  size - 1);
	memcpy(out, v->data.scalar.value, v->data.scalar.length + 1);
	return 0;
}

/* on_item of set_command: one word of the command. */
static int word_item(struct parse_ctx *c, const char *path,
		     const yaml_event_t *ev, void *arg)
{
	struct config_meter *m = arg;
	char tmp[64];
	int rc;

	if (m->argc >= CONFIG_MAX_ARGV)
		return cy_fail_at(c, &ev->start_mark, "%s: more than %d words",
				  path, CONFIG_MAX_ARGV);
	rc = set_string(c, path, ev, m->argv[m->argc], CONFIG_ARG_MAX);
	if (rc == 0 && m->argc == 0 && m->argv[0][0] != '/')
		rc = cy_fail_at(c, &ev->start_mark,
				"%s: the program must be an absolute path "
				"(no PATH search), got '%s'", path,
				cy_show(m->argv[0], strlen(m->argv[0]), tmp,
					sizeof(tmp)));
	if (rc == 0)
		m->argc++;
	return rc;
}

/* command: a list of words, the first an absolute path. Consumes the list
 * up to its end event. */
static int set_command(struct parse_ctx *c, const char *path,
		       const yaml_event_t *v, struct config_meter *m)
{
	int rc;

	m->argc = 0;
	rc = cy_walk_list(c, path, v,
			  "a list of words like [\"/usr/bin/pdu-read\", "
			  "\"--outlet\", \"3\"] (no shell)",
			  word_item, m);
	if (rc == 0 && m->argc == 0)
		return cy_fail_at(c, &v->start_mark, "%s: the command is empty",
				  path);
	return rc;
}

static int set_type(struct parse_ctx *c, const char *path,
		    const yaml_event_t *v, struct config_meter *m)
{
	char tmp[64];

	for (size_t i = 0; v->type == YAML_SCALAR_EVENT &&
			   i < ARRAY_SIZE(type_names); i++)
		if (strlen(type_names[i]) == v->data.scalar.length &&
		    strcmp(type_names[i], (const char *)v->data.scalar.value) == 0) {
			m->type = (enum config_meter_type)i;
			return 0;
		}
	return cy_fail_at(c, &v->start_mark,
			  "%s: unknown meter type %s (known: rapl, hwmon, exec, plugin, "
			  "redfish, http, powerspy)",
			  path, cy_describe(v, tmp, sizeof(tmp)));
}

static bool name_valid(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	return *s != '\0';
}

static int on_meter_key(struct parse_ctx *c, size_t idx, const char *path,
			const yaml_event_t *v, void *arg)
{
	struct meter_item *it = arg;
	struct config_meter *m = it->m;
	int rc = -EINVAL;

	it->seen |= 1u << idx;
	it->mark[idx] = v->start_mark;
	switch ((enum meter_key)idx) {
	case MK_NAME:
		rc = set_string(c, path, v, m->name, sizeof(m->name));
		if (rc == 0 && !name_valid(m->name))
			rc = cy_fail_at(c, &v->start_mark, "%s: a meter name holds only "
					"A-Z a-z 0-9 _ - .", path);
		break;
	case MK_TYPE:
		rc = set_type(c, path, v, m);
		break;
	case MK_INTERVAL:
		rc = cy_set_duration(c, path, v, &m->interval_ms);
		break;
	case MK_TIMEOUT:
		rc = cy_set_duration(c, path, v, &m->timeout_ms);
		break;
	case MK_MAX_GAP:
		rc = cy_set_duration(c, path, v, &m->max_gap_ms);
		break;
	case MK_COMMAND:
		rc = set_command(c, path, v, m);
		break;
	case MK_PATH:
		rc = set_string(c, path, v, m->path, sizeof(m->path));
		if (rc == 0 && m->path[0] != '/')
			rc = cy_fail_at(c, &v->start_mark,
					"%s: the plugin must be an absolute path", path);
		break;
	case MK_ARGUMENT:
		rc = set_string(c, path, v, m->argument, sizeof(m->argument));
		break;
	case MK_COUNT:
		break;
	default:
		rc = config_net_on_key(c, (unsigned)(idx - MK_NET_FIRST), path, v, m);
		break;
	}
	return rc;
}

/* Checks one finished item: required keys, keys of another type, unique
 * names. start is the item's mapping event. */
static int check_item(struct parse_ctx *c, const char *path,
		      const yaml_event_t *start, const struct meter_item *it)
{
	static const unsigned only[MK_COUNT] = {
		[MK_COMMAND] = 1u << CONFIG_METER_EXEC,
		[MK_PATH] = 1u << CONFIG_METER_PLUGIN,
		[MK_ARGUMENT] = 1u << CONFIG_METER_PLUGIN,
	};
	const struct config_meter *m = it->m;
	const struct config_meters *all = &c->cfg->meters;

	if (!(it->seen & (1u << MK_NAME)))
		return cy_fail_at(c, &start->start_mark, "%s: a meter needs a name", path);
	if (!(it->seen & (1u << MK_TYPE)))
		return cy_fail_at(c, &start->start_mark,
				  "%s: a meter needs a type (rapl, hwmon, exec, plugin, "
				  "redfish, http or powerspy)", path);
	for (size_t k = 0; k < MK_COUNT; k++) {
		unsigned types = k < MK_NET_FIRST ? only[k]
				 : config_net_key_types[k - MK_NET_FIRST];

		if ((it->seen & (1u << k)) && types && !(types & (1u << m->type)))
			return cy_fail_at(c, &it->mark[k], "%s.%s: not a setting of a "
					  "meter of type %s", path, meter_keys[k].name,
					  type_names[m->type]);
	}
	if (config_net_check(c, path, start, m, it->seen >> MK_NET_FIRST,
			     &it->mark[MK_NET_FIRST]))
		return -EINVAL;
	if (m->type == CONFIG_METER_EXEC && !(it->seen & (1u << MK_COMMAND)))
		return cy_fail_at(c, &start->start_mark,
				  "%s: a meter of type exec needs a command", path);
	if (m->type == CONFIG_METER_PLUGIN && !(it->seen & (1u << MK_PATH)))
		return cy_fail_at(c, &start->start_mark,
				  "%s: a meter of type plugin needs a path", path);
	for (size_t i = 0; i < all->n; i++) {
		if (strcmp(all->m[i].name, m->name) == 0)
			return cy_fail_at(c, &it->mark[MK_NAME],
					  "%s.name: meter '%s' is defined twice", path, m->name);
		if (all->m[i].type == m->type &&
		    (m->type == CONFIG_METER_RAPL || m->type == CONFIG_METER_HWMON))
			return cy_fail_at(c, &it->mark[MK_TYPE],
					  "%s.type: only one meter of type %s (it reads "
					  "every zone)", path, type_names[m->type]);
	}
	return 0;
}

/* One list item: a mapping. */
static int parse_item(struct parse_ctx *c, const char *list_path,
		      const yaml_event_t *start)
{
	struct config_meters *all = &c->cfg->meters;
	struct meter_item it = {0};
	char path[64], tmp[64];
	int rc;

	snprintf(path, sizeof(path), "%s[%zu]", list_path, all->n);
	if (start->type != YAML_MAPPING_START_EVENT)
		return cy_fail_at(c, &start->start_mark,
				  "%s: expected a mapping with name, type and the "
				  "settings of the meter, got %s", path,
				  cy_describe(start, tmp, sizeof(tmp)));
	if (all->n >= CONFIG_MAX_METERS)
		return cy_fail_at(c, &start->start_mark, "%s: more than %d meters",
				  list_path, CONFIG_MAX_METERS);
	it.m = &all->m[all->n];
	memset(it.m, 0, sizeof(*it.m));
	const struct map_walk w = {
		.path = path,
		.keys = {.base = meter_keys, .stride = sizeof(meter_keys[0]),
			 .count = MK_COUNT, .noun = "key"},
		.on_value = on_meter_key,
		.arg = &it,
	};
	rc = cy_walk_map(c, start, &w);
	if (rc == 0)
		rc = check_item(c, path, start, &it);
	if (rc == 0)
		all->n++;
	return rc;
}

/* on_item of config_parse_meters: one meter. */
static int meter_item(struct parse_ctx *c, const char *path,
		      const yaml_event_t *ev, void *arg)
{
	(void)arg;
	return parse_item(c, path, ev);
}

/* meters: a list of meters; present even when empty (an empty list turns
 * discovery off). */
int config_parse_meters(struct parse_ctx *c, const char *path,
			const yaml_event_t *value)
{
	c->cfg->meters.present = true;
	c->cfg->meters.n = 0;
	return cy_walk_list(c, path, value, "a list of meters (- name: ...)",
			    meter_item, NULL);
}

#endif /* HAVE_LIBYAML */
