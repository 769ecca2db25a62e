/* Command-line flags in node_exporter's style, and --help. */
#ifndef VIRTMETER_OPTIONS_H
#define VIRTMETER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exporter/api/collector.h"
#include "exporter/api/log.h"
#include "exporter/config.h"

#define OPT_MAX_LISTEN 16
#define VIRTMETER_DEFAULT_PORT "10171"

struct options {
	const char *listen[OPT_MAX_LISTEN];
	size_t nlisten;
	const char *telemetry_path;
	const char *config_file;
	const char *web_config_file; /* exporter-toolkit web configuration */
	bool check_config;
	bool help;
	bool version;
	bool dump_metrics;
	bool dump_settings;
	/* --collector.disable-defaults: every collector starts off, so only
	 * those that --collector.NAME or the file's "enabled: true" turn on
	 * run. */
	bool disable_defaults;
	enum log_level log_level;
	enum log_format log_format;
	const char *procfs, *sysfs, *cgroupfs;
	const char *storage; /* --storage.path */
	const char *runas;   /* --runas: the user to become, or NULL */
	unsigned max_connections;
	unsigned max_requests; /* 0: no cap */
	unsigned timeout_s;
	/* Per registry collector: -1 not given, 0 --no-collector.X, 1
	 * --collector.X. */
	int *collector_flag;
	/* --collector.NAME.KEY settings, in command-line order, each checked
	 * against its option (type, limit, check) by opts_parse. */
	struct config_flag *flags;
	size_t nflags;
};

/* Parses argv into o (defaults first). Strings point into argv. Returns 0,
 * or -EINVAL with a one-line message naming the flag in err, or -ENOMEM.
 * Free o with opts_free, whatever the result. */
int opts_parse(int argc, char **argv, struct options *o, char *err,
	       size_t errlen);

/* Frees what opts_parse allocated in o. */
void opts_free(struct options *o);

/* Whether collector i of the registry runs, by rising precedence: its
 * default (off for all with --collector.disable-defaults), then the
 * file's "enabled:" (file_enabled: -1 when the file does not say, else 0
 * or 1), then --collector.NAME or --no-collector.NAME. */
bool opts_collector_enabled(const struct options *o, size_t i,
			    int file_enabled, bool default_enabled);

/* Prints --help to f. */
void opts_usage(FILE *f);

#endif
