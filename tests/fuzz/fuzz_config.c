/* Fuzz target for the configuration file parser: any bytes go to
 * config_parse (and a short prefix to config_parse_duration), which must
 * neither crash nor leak, and must keep its promises about what it
 * returns. The collectors are the fuzzer's own: one with a setting of
 * every type and a section of its own, one without settings, and the
 * power collector's meters: list parser. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/collector.h"
#include "exporter/config.h"
#include "collectors/power/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_settings {
	bool on;
	unsigned long n;
	char *word;
	struct setting_list list;
};

/* A check that refuses one value, as perf's refuses unknown events. */
static int fz_check(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "bad") == 0) {
		snprintf(err, errlen, "'bad' is refused");
		return -EINVAL;
	}
	return 0;
}

static const struct collector_option fz_options[] = {
    {.key = "on", .type = SETTING_BOOL,
     .offset = offsetof(struct fz_settings, on), .def = "true", .help = "b"},
    {.key = "n", .type = SETTING_UINT,
     .offset = offsetof(struct fz_settings, n), .def = "3", .min = 1,
     .max = 1000, .arg = "N", .help = "u"},
    {.key = "the-word", .type = SETTING_STRING,
     .offset = offsetof(struct fz_settings, word), .max = 64, .arg = "W",
     .help = "s", .check = fz_check},
    {.key = "list", .type = SETTING_LIST,
     .offset = offsetof(struct fz_settings, list), .def = "a,b", .max = 8,
     .item_max = 16, .arg = "LIST", .help = "l", .check = fz_check},
    {.key = NULL},
};

static const struct collector fz_alpha = {
    .name = "alpha",
    .options = fz_options,
    .settings_size = sizeof(struct fz_settings),
    .section = "alpha",
};

static const struct collector fz_beta = {.name = "beta"};

#ifdef HAVE_LIBYAML
static int fz_meters(struct parse_ctx *c, const char *path,
		     const struct yaml_event_s *value, void *settings)
{
	return power_parse_meters(c, path, value, settings);
}
#endif

static void fz_meters_free(void *settings)
{
	power_settings_free(settings);
}

static const struct collector fz_power = {
    .name = "power",
    .settings_size = sizeof(struct power_settings),
#ifdef HAVE_LIBYAML
    .section = "meters",
    .parse_section = fz_meters,
#endif
    .free_section = fz_meters_free,
};

static const struct collector *const fz_table[] = {&fz_alpha, &fz_beta,
						   &fz_power, NULL};

/* Every string of a list or setting is a short, NUL-terminated string
 * that passed the checks. */
static void check_alpha(const struct fz_settings *s)
{
	if (s->n < 1 || s->n > 1000 || s->list.n > 8)
		abort();
	if (s->word && (!s->word[0] || strlen(s->word) > 64 ||
			strcmp(s->word, "bad") == 0))
		abort();
	for (size_t i = 0; i < s->list.n; i++) {
		const char *v = s->list.v[i];

		if (!v[0] || strlen(v) > 16 || strcmp(v, "bad") == 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->list.v[j], v) == 0)
				abort();
	}
}

/* A finished parse either set only valid values or explained itself. */
static void check_result(int rc, const struct config *cfg,
			 const struct config_error *err)
{
	const struct power_settings *m;

	if (rc != 0) {
		if ((rc != -EINVAL && rc != -ENOMEM && rc != -ENOTSUP) || cfg ||
		    !memchr(err->msg, '\0', sizeof(err->msg)) || !err->msg[0] ||
		    strcmp(err->file, "fuzz.yml") != 0)
			abort();
		return;
	}
	if (!cfg || cfg->n != 3)
		abort();
	for (size_t i = 0; i < cfg->n; i++) {
		const struct config_collector *c = &cfg->c[i];

		if (c->enabled < -1 || c->enabled > 1 ||
		    c->interval_ms > 86400000u || c->timeout_ms > 86400000u)
			abort();
	}
	check_alpha(cfg->c[0].settings);
	if (cfg->c[1].settings)
		abort();
	m = cfg->c[2].settings;
	if ((m->n && (!m->present || !m->m)) || (!m->n && m->m))
		abort();
	for (size_t i = 0; i < m->n; i++) {
		const struct meter_kind *k = m->m[i].kind;

		if (!m->m[i].name[0] || !k ||
		    meter_kind_find(k->name, strlen(k->name)) != k ||
		    !memchr(m->m[i].name, '\0', sizeof(m->m[i].name)))
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->m[i].name, m->m[j].name) == 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct config_error err;
	char dur[32];
	size_t n = size < sizeof(dur) - 1 ? size : sizeof(dur) - 1;
	unsigned ms = 0;
	int rc;

	rc = config_parse((const char *)data, size, "fuzz.yml", fz_table, &cfg,
			  &err);
	check_result(rc, cfg, &err);
	config_free(cfg);

	memcpy(dur, data, n);
	dur[n] = '\0';
	if (config_parse_duration(dur, &ms) == 0 && (ms == 0 || ms > 86400000u))
		abort();
	return 0;
}
