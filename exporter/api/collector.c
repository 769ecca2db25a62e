/* The helpers of the collector interface (exporter/api/collector.h):
 * looking collectors up in the registry's table, reading, defaulting and
 * freeing the settings their option tables describe, and the per-thread
 * message of a failing cycle. */
#include "exporter/api/collector.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether a (flag spelling) and b name the same key, '_' matching '-'. */
static bool key_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
				  (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

const struct collector_option *collector_option_find(const struct collector *c,
						     const char *key)
{
	for (size_t i = 0; c->options && c->options[i].key; i++)
		if (key_equal(c->options[i].key, key))
			return &c->options[i];
	return NULL;
}

/* The field of opt in settings. */
static void *field(void *settings, const struct collector_option *opt)
{
	return (char *)settings + opt->offset;
}

static void list_free(struct setting_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Parses a boolean the way flags and config files spell one. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* Parses a whole number from min to max (digits only). */
static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* Checks one string value or list item against opt's size and check. */
static int check_item(const struct collector_option *opt, const char *v,
		      size_t max, char *err, size_t errlen)
{
	if (!*v) {
		snprintf(err, errlen, "an empty %s", opt->type == SETTING_LIST ?
			 "item" : "value");
		return -EINVAL;
	}
	if (strlen(v) > max) {
		snprintf(err, errlen, "'%.40s...' is longer than %zu bytes", v,
			 max);
		return -EINVAL;
	}
	return opt->check ? opt->check(v, err, errlen) : 0;
}

/* Appends item to l after the checks of opt: not empty, not too long,
 * opt's own check, not listed twice, not one item too many. */
static int list_add(struct setting_list *l, const struct collector_option *opt,
		    const char *item, char *err, size_t errlen)
{
	size_t item_max = opt->item_max ? opt->item_max : 4095;
	char *copy, **nv;
	int rc = check_item(opt, item, item_max, err, errlen);

	if (rc)
		return rc;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], item) == 0) {
			snprintf(err, errlen, "'%s' is listed twice", item);
			return -EINVAL;
		}
	if (opt->max && l->n >= opt->max) {
		snprintf(err, errlen, "more than %lu items", opt->max);
		return -EINVAL;
	}
	copy = strdup(item);
	nv = copy ? realloc(l->v, (l->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	l->v = nv;
	l->v[l->n++] = copy;
	return 0;
}

/* Sets a list from comma-separated text (empty text: an empty list); on
 * error the list is left as it was. */
static int set_list(struct setting_list *l, const struct collector_option *opt,
		    const char *value, char *err, size_t errlen)
{
	struct setting_list tmp = {0};
	int rc = 0;

	for (const char *p = value; *p && rc == 0;) {
		size_t len = strcspn(p, ",");
		char *item = strndup(p, len);

		p += len + (p[len] == ',');
		rc = item ? list_add(&tmp, opt, item, err, errlen) : -ENOMEM;
		free(item);
	}
	if (rc) {
		list_free(&tmp);
		return rc;
	}
	list_free(l);
	*l = tmp;
	return 0;
}

int setting_add_item(void *settings, const struct collector_option *opt,
		     const char *item, char *err, size_t errlen)
{
	if (opt->type != SETTING_LIST)
		return -EINVAL;
	return list_add(field(settings, opt), opt, item, err, errlen);
}

void setting_clear(void *settings, const struct collector_option *opt)
{
	void *f = field(settings, opt);

	if (opt->type == SETTING_LIST)
		list_free(f);
	else if (opt->type == SETTING_STRING) {
		free(*(char **)f);
		*(char **)f = NULL;
	}
}

int setting_set_text(void *settings, const struct collector_option *opt,
		     const char *value, char *err, size_t errlen)
{
	void *f = field(settings, opt);
	unsigned long n;
	char *copy;
	int rc;

	switch (opt->type) {
	case SETTING_BOOL:
		if (parse_bool(value, f) == 0)
			return 0;
		snprintf(err, errlen, "expected true or false, got '%.40s'",
			 value);
		return -EINVAL;
	case SETTING_UINT:
		if (parse_uint(value, opt->min, opt->max, &n) == 0) {
			*(unsigned long *)f = n;
			return 0;
		}
		snprintf(err, errlen, "expected a whole number from %lu to %lu, "
			 "got '%.40s'", opt->min, opt->max, value);
		return -EINVAL;
	case SETTING_STRING:
		rc = check_item(opt, value, opt->max ? opt->max : 4095, err,
				errlen);
		if (rc)
			return rc;
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
		free(*(char **)f);
		*(char **)f = copy;
		return 0;
	case SETTING_LIST:
		return set_list(f, opt, value, err, errlen);
	}
	return -EINVAL;
}

int settings_defaults(const struct collector *c, void *settings)
{
	char err[256];

	for (size_t i = 0; c->options && c->options[i].key; i++) {
		const struct collector_option *opt = &c->options[i];
		int rc;

		if (!opt->def)
			continue;
		rc = setting_set_text(settings, opt, opt->def, err, sizeof(err));
		if (rc)
			return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

void settings_free(const struct collector *c, void *settings)
{
	if (!settings)
		return;
	if (c->free_section)
		c->free_section(settings);
	for (size_t i = 0; c->options && c->options[i].key; i++)
		setting_clear(settings, &c->options[i]);
}

const char *setting_help(const struct collector_option *opt, char *out,
			 size_t size)
{
	int n = snprintf(out, size, "%s", opt->help);
	bool on = false;

	if (opt->type == SETTING_BOOL && opt->def)
		parse_bool(opt->def, &on);
	if (n < 0 || (size_t)n >= size)
		return out;
	if (opt->type == SETTING_UINT)
		n += snprintf(out + n, size - (size_t)n, " (%lu to %lu", opt->min,
			      opt->max);
	else if (opt->type == SETTING_LIST && opt->max)
		n += snprintf(out + n, size - (size_t)n, " (at most %lu items",
			      opt->max);
	else
		n += snprintf(out + n, size - (size_t)n, " (");
	if ((size_t)n >= size)
		return out;
	if (opt->type == SETTING_BOOL)
		snprintf(out + n, size - (size_t)n, "%sdefault %s)",
			 out[n - 1] == '(' ? "" : "; ", on ? "on" : "off");
	else if (opt->def && *opt->def)
		snprintf(out + n, size - (size_t)n, "%sdefault %s)",
			 out[n - 1] == '(' ? "" : "; ", opt->def);
	else if (out[n - 1] == '(')
		out[n - 2] = '\0';
	else
		snprintf(out + n, size - (size_t)n, ")");
	return out;
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
