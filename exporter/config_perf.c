/* The perf: section of the configuration file: the list of events the perf
 * collector counts (names as libpfm4 knows them, checked for shape here
 * and resolved by the collector) and the cap on counted cgroups. */
#include "exporter/api/config_yaml.h"
#include "exporter/api/base.h"

#ifdef HAVE_LIBYAML

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* More cgroups than fit in any descriptor limit. */
#define PERF_MAX_CGROUPS_LIMIT 100000

/* Whether the n bytes at s can be an event name: libpfm4 names are made of
 * letters, digits and "_-:.=" (PMU::EVENT:UMASK:mod=value). */
static bool event_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= CONFIG_PERF_EVENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_-:.=", ch)))
			return false;
	}
	return true;
}

/* Adds the scalar ev to the event list, refusing bad names and repeats. */
static int add_event(struct parse_ctx *c, const char *path,
		     const yaml_event_t *ev, struct config_perf *p)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	char tmp[64];

	if (strlen(v) != len || !event_name_ok(v, len))
		return cy_fail_at(
		    c, &ev->start_mark,
		    "%s: %s is not an event name (letters, digits "
		    "and _-:.=, at most %d bytes)",
		    path, cy_describe(ev, tmp, sizeof(tmp)),
		    CONFIG_PERF_EVENT_MAX - 1);
	for (size_t i = 0; i < p->nevents; i++)
		if (strcmp(p->events[i], v) == 0)
			return cy_fail_at(c, &ev->start_mark,
					  "%s: event '%s' is listed twice",
					  path, p->events[i]);
	if (p->nevents >= CONFIG_PERF_MAX_EVENTS)
		return cy_fail_at(c, &ev->start_mark, "%s: more than %d events",
				  path, CONFIG_PERF_MAX_EVENTS);
	memcpy(p->events[p->nevents++], v, len + 1);
	return 0;
}

/* on_item of set_events: one event name. */
static int event_item(struct parse_ctx *c, const char *path,
		      const yaml_event_t *ev, void *arg)
{
	char tmp[64];

	if (ev->type != YAML_SCALAR_EVENT || cy_is_null(ev))
		return cy_fail_at(c, &ev->start_mark,
				  "%s: expected an event name, got %s", path,
				  cy_describe(ev, tmp, sizeof(tmp)));
	return add_event(c, path, ev, arg);
}

/* events: a list of event names; null is an empty list. */
static int set_events(struct parse_ctx *c, const char *path,
		      const yaml_event_t *value, struct config_perf *p)
{
	p->nevents = 0;
	p->events_set = true;
	return cy_walk_list(c, path, value,
			    "a list of event names like [cycles, task-clock]",
			    event_item, p);
}

/* max_cgroups: a whole number from 0 to PERF_MAX_CGROUPS_LIMIT. */
static int set_max_cgroups(struct parse_ctx *c, const char *path,
			   const yaml_event_t *value, long *out)
{
	const char *v = (const char *)value->data.scalar.value;
	char tmp[64], *end;
	long n;

	if (value->type != YAML_SCALAR_EVENT || cy_is_null(value) ||
	    value->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || v[0] < '0' ||
	    v[0] > '9')
		goto bad;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || (size_t)(end - v) != value->data.scalar.length ||
	    n > PERF_MAX_CGROUPS_LIMIT)
		goto bad;
	*out = n;
	return 0;
bad:
	return cy_fail_at(c, &value->start_mark,
			  "%s: expected a whole number from 0 to %d, got %s",
			  path, PERF_MAX_CGROUPS_LIMIT,
			  cy_describe(value, tmp, sizeof(tmp)));
}

static const char *const perf_keys[] = {"events", "max_cgroups"};

static int on_perf_key(struct parse_ctx *c, size_t idx, const char *path,
		       const yaml_event_t *value, void *arg)
{
	struct config_perf *p = arg;

	if (idx == 0)
		return set_events(c, path, value, p);
	return set_max_cgroups(c, path, value, &p->max_cgroups);
}

int config_parse_perf(struct parse_ctx *c, const char *path,
		      const yaml_event_t *value)
{
	const struct map_walk w = {
	    .path = path,
	    .keys = {.base = perf_keys,
		     .stride = sizeof(perf_keys[0]),
		     .count = ARRAY_SIZE(perf_keys),
		     .noun = "key"},
	    .on_value = on_perf_key,
	    .arg = &c->cfg->perf,
	};

	return cy_walk_map(c, value, &w);
}

#endif /* HAVE_LIBYAML */
