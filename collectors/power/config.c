/* The meters: section of the configuration file: a list of power meters,
 * each a mapping of name, type, timing and the keys of its type (the
 * table of kinds.c says which). Every mistake is reported with its line
 * and column; see docs/config.md. */
#include "collectors/power/config_net.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void power_settings_free(struct power_settings *s)
{
	free(s->m);
	*s = (struct power_settings){0};
}

#ifdef HAVE_LIBYAML

/* A set of keys is a uint32_t (struct meter_item, struct meter_kind). */
_Static_assert(METER_KEY_COUNT <= 32, "more meter keys than bits in a key set");

/* The names of the keys (a key table: each entry starts with the name). */
const char *const meter_key_names[METER_KEY_COUNT] = {
	[METER_KEY_NAME] = "name",
	[METER_KEY_TYPE] = "type",
	[METER_KEY_INTERVAL] = "interval",
	[METER_KEY_TIMEOUT] = "timeout",
	[METER_KEY_MAX_GAP] = "max_gap",
	[METER_KEY_COMMAND] = "command",
	[METER_KEY_PATH] = "path",
	[METER_KEY_ARGUMENT] = "argument",
	[METER_KEY_KIND] = "kind",
	[METER_KEY_URL] = "url",
	[METER_KEY_USERNAME] = "username",
	[METER_KEY_PASSWORD] = "password",
	[METER_KEY_PASSWORD_FILE] = "password_file",
	[METER_KEY_CA_FILE] = "ca_file",
	[METER_KEY_TLS_INSECURE] = "tls_insecure",
	[METER_KEY_AUTH] = "auth",
	[METER_KEY_PRESET] = "preset",
	[METER_KEY_ZONE] = "zone",
	[METER_KEY_WATTS_PATH] = "watts_path",
	[METER_KEY_ENERGY_PATH] = "energy_path",
	[METER_KEY_VOLTS_PATH] = "volts_path",
	[METER_KEY_AMPERES_PATH] = "amperes_path",
	[METER_KEY_WATTS_SCALE] = "watts_scale",
	[METER_KEY_ENERGY_SCALE] = "energy_scale",
	[METER_KEY_VOLTS_SCALE] = "volts_scale",
	[METER_KEY_AMPERES_SCALE] = "amperes_scale",
	[METER_KEY_ENERGY_UNIT] = "energy_unit",
	[METER_KEY_DEVICE] = "device",
};

/* The list while it is parsed: the settings and the room in s.m. */
struct meter_list {
	struct power_settings s;
	size_t cap;
};

/* The type names of meter_kinds[] as "a, b, c" with last between the
 * last two ("a, b or c"), in out. Returns out. */
static const char *kind_list(const char *last, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < meter_nkinds && o < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == meter_nkinds ? last : ", ";
		int n = snprintf(out + o, size - o, "%s%s", sep, meter_kinds[i].name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}

int meter_set_string(struct parse_ctx *c, const char *path,
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
	struct meter_config *m = arg;
	char tmp[64];
	int rc;

	if (m->argc >= METER_MAX_ARGV)
		return cy_fail_at(c, &ev->start_mark, "%s: more than %d words",
				  path, METER_MAX_ARGV);
	rc = meter_set_string(c, path, ev, m->argv[m->argc], METER_ARG_MAX);
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
		       const yaml_event_t *v, struct meter_config *m)
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
		    const yaml_event_t *v, struct meter_config *m)
{
	char tmp[64], known[256];

	if (v->type == YAML_SCALAR_EVENT)
		m->kind = meter_kind_find((const char *)v->data.scalar.value,
					  v->data.scalar.length);
	if (m->kind)
		return 0;
	return cy_fail_at(c, &v->start_mark, "%s: unknown meter type %s (known: %s)",
			  path, cy_describe(v, tmp, sizeof(tmp)),
			  kind_list(", ", known, sizeof(known)));
}

static bool name_valid(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			return false;
	return *s != '\0';
}

/* Whether s is a kind label: a-z 0-9 _ only, starting with a letter. */
static bool kind_valid(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return *s >= 'a' && *s <= 'z';
}

static int on_meter_key(struct parse_ctx *c, size_t idx, const char *path,
			const yaml_event_t *v, void *arg)
{
	struct meter_item *it = arg;
	struct meter_config *m = it->m;
	char tmp[64];
	int rc;

	it->seen |= METER_KEY_BIT(idx);
	it->mark[idx] = v->start_mark;
	switch ((enum meter_key)idx) {
	case METER_KEY_NAME:
		rc = meter_set_string(c, path, v, m->name, sizeof(m->name));
		if (rc == 0 && !name_valid(m->name))
			rc = cy_fail_at(c, &v->start_mark, "%s: a meter name holds only "
					"A-Z a-z 0-9 _ - .", path);
		return rc;
	case METER_KEY_TYPE:
		return set_type(c, path, v, m);
	case METER_KEY_INTERVAL:
		return cy_set_duration(c, path, v, &m->interval_ms);
	case METER_KEY_TIMEOUT:
		return cy_set_duration(c, path, v, &m->timeout_ms);
	case METER_KEY_MAX_GAP:
		return cy_set_duration(c, path, v, &m->max_gap_ms);
	case METER_KEY_COMMAND:
		return set_command(c, path, v, m);
	case METER_KEY_PATH:
		rc = meter_set_string(c, path, v, m->path, sizeof(m->path));
		if (rc == 0 && m->path[0] != '/')
			rc = cy_fail_at(c, &v->start_mark,
					"%s: the plugin must be an absolute path", path);
		return rc;
	case METER_KEY_ARGUMENT:
		return meter_set_string(c, path, v, m->argument, sizeof(m->argument));
	case METER_KEY_KIND:
		rc = meter_set_string(c, path, v, m->zone_kind,
				      sizeof(m->zone_kind));
		if (rc == 0 && !kind_valid(m->zone_kind))
			rc = cy_fail_at(c, &v->start_mark,
					"%s: a kind is a-z 0-9 _ starting with "
					"a letter (such as wall, outlet, gpu), "
					"got '%s'", path,
					cy_show(m->zone_kind,
						strlen(m->zone_kind), tmp,
						sizeof(tmp)));
		return rc;
	case METER_KEY_COUNT:
		return -EINVAL;
	default:
		return meter_net_on_key(c, (enum meter_key)idx, path, v, m);
	}
}

/* Checks what the kind of a finished item says: its keys only, a binary
 * built with what it needs, the key it needs, its own check. */
static int check_kind(struct parse_ctx *c, const char *path,
		      const struct meter_item *it)
{
	const struct meter_kind *k = it->m->kind;
	const yaml_mark_t *at = &it->start->start_mark;
	uint32_t allowed = METER_KEYS_COMMON | k->keys;

	for (size_t i = 0; i < METER_KEY_COUNT; i++)
		if ((it->seen & METER_KEY_BIT(i)) && !(allowed & METER_KEY_BIT(i)))
			return cy_fail_at(c, &it->mark[i], "%s.%s: not a setting of a "
					  "meter of type %s", path, meter_key_names[i],
					  k->name);
	if (!k->ops)
		return cy_fail_at(c, at, "%s: this virtmeter was built without %s, "
				  "which meters of type %s need", path,
				  k->built_without ? k->built_without : "a library",
				  k->name);
	if (k->need_what && !(it->seen & METER_KEY_BIT(k->need)))
		return cy_fail_at(c, at, "%s: a meter of type %s needs %s", path,
				  k->name, k->need_what);
	return k->check ? k->check(c, path, it) : 0;
}

/* Checks one finished item: required keys, its kind's rules, unique
 * names, one meter of a single kind. */
static int check_item(struct parse_ctx *c, const char *path,
		      const struct power_settings *all, const struct meter_item *it)
{
	const struct meter_config *m = it->m;
	char known[256];
	int rc;

	if (!(it->seen & METER_KEY_BIT(METER_KEY_NAME)))
		return cy_fail_at(c, &it->start->start_mark,
				  "%s: a meter needs a name", path);
	if (!(it->seen & METER_KEY_BIT(METER_KEY_TYPE)))
		return cy_fail_at(c, &it->start->start_mark,
				  "%s: a meter needs a type (%s)", path,
				  kind_list(" or ", known, sizeof(known)));
	rc = check_kind(c, path, it);
	if (rc)
		return rc;
	for (size_t i = 0; i < all->n; i++) {
		if (strcmp(all->m[i].name, m->name) == 0)
			return cy_fail_at(c, &it->mark[METER_KEY_NAME],
					  "%s.name: meter '%s' is defined twice", path, m->name);
		if (all->m[i].kind == m->kind && m->kind->single)
			return cy_fail_at(c, &it->mark[METER_KEY_TYPE],
					  "%s.type: only one meter of type %s (it reads "
					  "every zone)", path, m->kind->name);
	}
	return 0;
}

/* Makes room for one more meter at the end of the list. Returns 0 or
 * -ENOMEM (error recorded). */
static int list_grow(struct parse_ctx *c, struct meter_list *l)
{
	size_t cap = l->cap ? 2 * l->cap : 4;
	struct meter_config *m;

	if (l->s.n < l->cap)
		return 0;
	m = cap > SIZE_MAX / sizeof(*m) ? NULL : realloc(l->s.m, cap * sizeof(*m));
	if (!m) {
		config_err_set(c->err, c->file, 0, 0, "out of memory while parsing");
		return -ENOMEM;
	}
	l->s.m = m;
	l->cap = cap;
	return 0;
}

/* on_item of power_parse_meters: one meter, a mapping. */
static int parse_item(struct parse_ctx *c, const char *list_path,
		      const yaml_event_t *start, void *arg)
{
	struct meter_list *l = arg;
	struct meter_item it = {.start = start};
	char path[64], tmp[64];
	int rc;

	snprintf(path, sizeof(path), "%s[%zu]", list_path, l->s.n);
	if (start->type != YAML_MAPPING_START_EVENT)
		return cy_fail_at(c, &start->start_mark,
				  "%s: expected a mapping with name, type and the "
				  "settings of the meter, got %s", path,
				  cy_describe(start, tmp, sizeof(tmp)));
	rc = list_grow(c, l);
	if (rc)
		return rc;
	it.m = &l->s.m[l->s.n];
	memset(it.m, 0, sizeof(*it.m));
	const struct map_walk w = {
		.path = path,
		.keys = {.base = meter_key_names, .stride = sizeof(meter_key_names[0]),
			 .count = METER_KEY_COUNT, .noun = "key"},
		.on_value = on_meter_key,
		.arg = &it,
	};
	rc = cy_walk_map(c, start, &w);
	if (rc == 0)
		rc = check_item(c, path, &l->s, &it);
	if (rc == 0)
		l->s.n++;
	return rc;
}

int power_parse_meters(struct parse_ctx *c, const char *path,
		       const yaml_event_t *value, struct power_settings *out)
{
	struct meter_list l = {.s = {.present = true}};
	int rc;

	rc = cy_walk_list(c, path, value, "a list of meters (- name: ...)",
			  parse_item, &l);
	if (rc) {
		power_settings_free(&l.s);
		return rc;
	}
	power_settings_free(out);
	*out = l.s;
	return 0;
}

#endif /* HAVE_LIBYAML */
