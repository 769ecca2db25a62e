/* The helpers of the collector interface (exporter/api/collector.h):
 * looking collectors and their settings up in the registry's table, and
 * the per-thread message of a failing cycle. */
#include "exporter/api/collector.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int collector_find(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++)
		if (strcmp(collector_table[i]->name, name) == 0)
			return (int)i;
	return -ENOENT;
}

const struct collector_option *collector_option_find(const struct collector *c,
						     const char *key)
{
	for (size_t i = 0; c->options && c->options[i].key; i++)
		if (strcmp(c->options[i].key, key) == 0)
			return &c->options[i];
	return NULL;
}

const char *collector_setting(const struct collector_env *env,
			      const struct collector *c, const char *key)
{
	const struct collector_option *opt = collector_option_find(c, key);
	const char *v = opt ? opt->def : NULL;

	for (size_t i = 0; env && i < env->nsettings; i++)
		if (strcmp(env->settings[i].collector, c->name) == 0 &&
		    strcmp(env->settings[i].key, key) == 0)
			v = env->settings[i].value;
	return v;
}

int collector_setting_bool(const struct collector_env *env,
			   const struct collector *c, const char *key,
			   bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	const char *v = collector_setting(env, c, key);

	for (size_t i = 0; v && i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	collector_error("--collector.%s.%s=%s is not a boolean (true or "
			"false)", c->name, key, v ? v : "");
	return -EINVAL;
}

/* The failing cycle's message, per worker thread. */
static _Thread_local char cycle_error[512];
static _Thread_local char taken_error[512];

void collector_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cycle_error, sizeof(cycle_error), fmt, ap);
	va_end(ap);
}

const char *collector_take_error(void)
{
	memcpy(taken_error, cycle_error, sizeof(taken_error));
	cycle_error[0] = '\0';
	return taken_error;
}
