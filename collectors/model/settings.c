/* The energy model's settings (--collector.model.KEY, collectors.model in
 * the configuration file): the option table, the checks of its values and
 * their conversion to numbers. */
#include "collectors/model/learn.h"
#include "collectors/model/model.h"
#include "exporter/api/base.h"
#include "exporter/api/config_yaml.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a number of watts: finite, from 0 to 100000. */
static int parse_watts(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 100000)
		return -EINVAL;
	*out = v;
	return 0;
}

static int check_watts(const char *value, char *err, size_t errlen)
{
	double v;

	if (*value == '\0' || parse_watts(value, &v) == 0)
		return 0;
	snprintf(err, errlen, "expected watts from 0 to 100000 (e.g. 3.5), "
		 "got '%s'", value);
	return -EINVAL;
}

static int check_duration(const char *value, char *err, size_t errlen)
{
	unsigned ms;

	if (config_parse_duration(value, &ms) == 0)
		return 0;
	snprintf(err, errlen, "expected a duration such as 15s, 5m or 24h "
		 "(at most a day), got '%s'", value);
	return -EINVAL;
}

static const char *const policy_names[] = {
	[IDLE_NONE] = "none", [IDLE_EQUAL] = "equal",
	[IDLE_RESERVED] = "reserved"};
static const char *const by_names[] = {
	[DYN_CPU] = "cpu", [DYN_CYCLES] = "cycles", [DYN_AUTO] = "auto"};

/* The index of value in names, or -1. */
static int name_index(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

static int check_policy(const char *value, char *err, size_t errlen)
{
	if (name_index(policy_names, ARRAY_SIZE(policy_names), value) >= 0)
		return 0;
	snprintf(err, errlen, "expected none, equal or reserved, got '%s'",
		 value);
	return -EINVAL;
}

static int check_by(const char *value, char *err, size_t errlen)
{
	if (name_index(by_names, ARRAY_SIZE(by_names), value) >= 0)
		return 0;
	snprintf(err, errlen, "expected cpu, cycles or auto, got '%s'", value);
	return -EINVAL;
}

/* A learning window: a duration or hours, at most a week (a day is the
 * most config_parse_duration takes, so "168h" is read here). */
static int parse_window(const char *s, double *out)
{
	unsigned ms;
	char *end;
	double h;

	if (config_parse_duration(s, &ms) == 0) {
		*out = ms / 1000.0;
		return *out >= 60 ? 0 : -EINVAL;
	}
	errno = 0;
	h = strtod(s, &end);
	if (errno || end == s || strcmp(end, "h") || !(h * 3600 >= 60) ||
	    h * 3600 > LEARN_MAX_WINDOW_S)
		return -EINVAL;
	*out = h * 3600;
	return 0;
}

static int check_window(const char *value, char *err, size_t errlen)
{
	double w;

	if (parse_window(value, &w) == 0)
		return 0;
	snprintf(err, errlen, "expected a duration from 1m to 168h, got '%s'",
		 value);
	return -EINVAL;
}

/* A host-meter item: METER (a meter's name, as the meters section allows
 * them) or METER/ZONE. */
static int check_meter_item(const char *value, char *err, size_t errlen)
{
	size_t n = strspn(value, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
	const char *zone = value + n;

	if (n > 0 && (*zone == '\0' ||
		      (*zone == '/' && zone[1] != '\0' && !strchr(zone + 1, '/'))))
		return 0;
	snprintf(err, errlen, "expected METER or METER/ZONE (a meter's name of "
		 "letters, digits, _, - and .), got '%s'", value);
	return -EINVAL;
}

const struct collector_option model_options[] = {
    {.key = "host-meter",
     .type = SETTING_LIST,
     .offset = offsetof(struct model_settings, host_meter),
     .max = MODEL_MAX_ZONES,
     .item_max = 95,
     .arg = "LIST",
     .check = check_meter_item,
     .help = "the meter that measures the whole host: METER (its zones "
	     "that no other contains, part_of=\"\") or METER/ZONE items, "
	     "summed; empty: the best one found (a wall meter, PDU or BMC, "
	     "else RAPL psys, else RAPL packages and DRAM, else hwmon)"},
    {.key = "estimate",
     .type = SETTING_BOOL,
     .offset = offsetof(struct model_settings, estimate),
     .def = "true",
     .help = "without any meter, estimate the host's power from its CPU "
	     "utilisation (labelled source=\"estimate\")"},
    {.key = "estimate-min-watts",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, estimate_min_watts),
     .def = "0.74",
     .max = 31,
     .arg = "W",
     .help = "estimate: watts per online CPU at idle",
     .check = check_watts},
    {.key = "estimate-max-watts",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, estimate_max_watts),
     .def = "3.5",
     .max = 31,
     .arg = "W",
     .help = "estimate: watts per online CPU at full load",
     .check = check_watts},
    {.key = "idle-watts",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, idle_watts),
     .def = NULL,
     .max = 31,
     .arg = "W",
     .help = "the host's idle power; unset: learned from its history "
	     "(or the estimate's idle power until enough is learned)",
     .check = check_watts},
    {.key = "idle-policy",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, idle_policy),
     .def = "reserved",
     .max = 15,
     .arg = "POLICY",
     .help = "how idle energy is split: none (all to the host), equal "
	     "(the same to each workload) or reserved (by reserved CPUs "
	     "and memory)",
     .check = check_policy},
    {.key = "dynamic-by",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, dynamic_by),
     .def = "auto",
     .max = 15,
     .arg = "BY",
     .help = "what dynamic energy is split by: cpu (CPU time), cycles "
	     "(perf cycles) or auto (cycles where the perf collector counts "
	     "every workload, else cpu)",
     .check = check_by},
    {.key = "idle-threshold",
     .type = SETTING_UINT,
     .offset = offsetof(struct model_settings, idle_threshold),
     .def = "2",
     .min = 0,
     .max = 100,
     .arg = "PCT",
     .help = "a workload using less than PCT % of its reserved CPUs is "
	     "counted as idle"},
    {.key = "max-gap",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, max_gap),
     .def = "15s",
     .max = 31,
     .arg = "DURATION",
     .help = "readings further apart than this are not bridged: the "
	     "interval is not charged to anyone",
     .check = check_duration},
    {.key = "retire-after",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, retire_after),
     .def = "5m",
     .max = 31,
     .arg = "DURATION",
     .help = "a workload that ended keeps its final counters exported "
	     "for this long",
     .check = check_duration},
    {.key = "learn-window",
     .type = SETTING_STRING,
     .offset = offsetof(struct model_settings, learn_window),
     .def = "24h",
     .max = 31,
     .arg = "DURATION",
     .help = "history over which idle power is learned (1m to 168h)",
     .check = check_window},
    {.key = NULL},
};

int model_check_settings(const void *settings, char *err, size_t errlen)
{
	const struct model_settings *s = settings;
	double lo, hi;

	/* Each value passed its own check; only the pair is looked at. */
	if (parse_watts(s->estimate_min_watts, &lo) ||
	    parse_watts(s->estimate_max_watts, &hi) || hi >= lo)
		return 0;
	snprintf(err, errlen, "estimate-max-watts (%g) is below "
		 "estimate-min-watts (%g)", hi, lo);
	return -EINVAL;
}

int model_conf_from(const struct model_settings *s, struct model_conf *c)
{
	unsigned gap_ms, retire_ms;

	memset(c, 0, sizeof(*c));
	c->host_meter = &s->host_meter;
	c->estimate = s->estimate;
	c->idle_w = NAN;
	if (parse_watts(s->estimate_min_watts, &c->est_min_w) ||
	    parse_watts(s->estimate_max_watts, &c->est_max_w) ||
	    (s->idle_watts && *s->idle_watts &&
	     parse_watts(s->idle_watts, &c->idle_w)) ||
	    config_parse_duration(s->max_gap, &gap_ms) ||
	    config_parse_duration(s->retire_after, &retire_ms) ||
	    parse_window(s->learn_window, &c->window)) {
		collector_error("collector model: a setting is out of range");
		return -EINVAL;
	}
	if (c->est_max_w < c->est_min_w) {
		collector_error("--collector.model.estimate-max-watts (%g) is "
				"below --collector.model.estimate-min-watts "
				"(%g)", c->est_max_w, c->est_min_w);
		return -EINVAL;
	}
	c->policy = (enum idle_policy)name_index(
		policy_names, ARRAY_SIZE(policy_names), s->idle_policy);
	c->by = (enum dyn_by)name_index(by_names, ARRAY_SIZE(by_names),
					s->dynamic_by);
	c->threshold = s->idle_threshold / 100.0;
	c->max_gap = gap_ms / 1000.0;
	c->retire_after = retire_ms / 1000.0;
	return 0;
}
