/* Fuzz target for the configuration file parser: any bytes go to
 * config_parse (and a short prefix to config_parse_duration), which must
 * neither crash nor leak (the meters list is freed by config_free), and
 * must keep its promises about what it returns. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finished parse either set only valid values or explained itself. */
static void check_result(int rc, const struct config *cfg,
			 const struct config_error *err)
{
	if (rc != 0) {
		if ((rc != -EINVAL && rc != -ENOMEM && rc != -ENOTSUP) ||
		    !memchr(err->msg, '\0', sizeof(err->msg)) || !err->msg[0] ||
		    strcmp(err->file, "fuzz.yml") != 0)
			abort();
		return;
	}
	for (size_t i = 0; i < CONFIG_MAX_COLLECTORS; i++) {
		const struct config_collector *c = &cfg->collectors[i];

		if (c->enabled < -1 || c->enabled > 1 ||
		    c->interval_ms > 86400000u || c->timeout_ms > 86400000u)
			abort();
		/* Only the three known collectors can be set. */
		if (i >= 3 && (c->enabled != -1 || c->interval_ms || c->timeout_ms))
			abort();
	}
	/* perf: at most 32 distinct, NUL-terminated event names. */
	if (cfg->perf.nevents > CONFIG_PERF_MAX_EVENTS ||
	    cfg->perf.max_cgroups < -1 || cfg->perf.max_cgroups > 100000)
		abort();
	for (size_t i = 0; i < cfg->perf.nevents; i++)
		if (!memchr(cfg->perf.events[i], '\0', CONFIG_PERF_EVENT_MAX) ||
		    !cfg->perf.events[i][0])
			abort();
	/* meters: a list only when present, each meter named and of a kind
	 * of the table. */
	if ((cfg->meters.n > 0 || cfg->meters.m) && !cfg->meters.present)
		abort();
	for (size_t i = 0; i < cfg->meters.n; i++) {
		const struct meter_config *m = &cfg->meters.m[i];

		if (!memchr(m->name, '\0', sizeof(m->name)) || !m->name[0] ||
		    !m->kind ||
		    meter_kind_find(m->kind->name, strlen(m->kind->name)) != m->kind ||
		    m->argc > METER_MAX_ARGV)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"host", "process", "libvirt", NULL};
	struct config cfg;
	struct config_error err;
	char dur[32];
	size_t n = size < sizeof(dur) - 1 ? size : sizeof(dur) - 1;
	unsigned ms = 0;
	int rc;

	rc = config_parse((const char *)data, size, "fuzz.yml", known, &cfg, &err);
	check_result(rc, &cfg, &err);
	if (rc == 0)
		config_free(&cfg);

	memcpy(dur, data, n);
	dur[n] = '\0';
	if (config_parse_duration(dur, &ms) == 0 && (ms == 0 || ms > 86400000u))
		abort();
	return 0;
}
