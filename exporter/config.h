/* The YAML configuration file (--config.file): what flags express badly.
 * Parsing is a pure function over a buffer (fuzzed); unknown keys, wrong
 * types and bad values are errors that name the file, line and column. */
#ifndef VIRTMETER_CONFIG_H
#define VIRTMETER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Interim: the meters: section is the power collector's (its settings
 * live in struct config until the configuration core hands each
 * collector its own). */
#include "collectors/power/config.h"

#define CONFIG_MAX_COLLECTORS 32

/* Settings of one collector; fields left unset in the file keep -1 / 0. */
struct config_collector {
	int enabled;           /* -1 unset, 0 or 1 */
	unsigned interval_ms;  /* 0 unset */
	unsigned timeout_ms;   /* 0 unset */
};

/* A list of glob patterns (fnmatch syntax), kept in the struct so that a
 * config is copied by value and needs no freeing. */
#define CONFIG_MAX_PATTERNS 32
#define CONFIG_PATTERN_MAX 256 /* bytes, with the terminating NUL */

struct config_patterns {
	size_t n;
	char pattern[CONFIG_MAX_PATTERNS][CONFIG_PATTERN_MAX];
};

/* The cgroup: section: which containers the cgroup collector reports,
 * matched against each container's name and id. Empty lists mean all. */
struct config_cgroup {
	struct config_patterns include;
	struct config_patterns exclude;
};

/* The perf: section: which events the perf collector counts and how many
 * cgroups at most. */
#define CONFIG_PERF_MAX_EVENTS 32
#define CONFIG_PERF_EVENT_MAX 128 /* bytes, with the terminating NUL */

struct config_perf {
	size_t nevents; /* 0 with events_set: count nothing but the set-up */
	bool events_set; /* false: the collector's default list */
	char events[CONFIG_PERF_MAX_EVENTS][CONFIG_PERF_EVENT_MAX];
	long max_cgroups; /* -1 unset */
};

struct config {
	/* Indexed like the known-collector list given to config_parse. */
	struct config_collector collectors[CONFIG_MAX_COLLECTORS];
	struct config_cgroup cgroup;
	struct power_settings meters; /* owns a heap list: config_free */
	struct config_perf perf;
};

struct config_error {
	char file[256];
	unsigned line;   /* 1-based; 0 when not tied to a line */
	unsigned column; /* 1-based; 0 when not tied to a column */
	char msg[512]; /* room for a key list such as a meter's 27 keys */
};

/* Sets every field of cfg to "unset", without freeing what it held. */
void config_defaults(struct config *cfg);

/* Frees what cfg owns (the meters list) and leaves cfg as config_defaults
 * does. */
void config_free(struct config *cfg);

/* Parses YAML text of len bytes (need not be NUL-terminated). known is the
 * NULL-terminated list of collector names that this binary has; filename is
 * used in error messages only. Returns 0, or -EINVAL (bad content),
 * -ENOMEM, or -ENOTSUP (built without libyaml) with err filled in; on any
 * error cfg is left as it was, so a rejected reload keeps the old one. On
 * success cfg is overwritten without freeing what it held: the caller
 * frees the new configuration with config_free. */
int config_parse(const char *text, size_t len, const char *filename,
		 const char *const *known, struct config *cfg,
		 struct config_error *err);

/* Reads and parses a file. Returns 0, -EINVAL (bad content) or a negative
 * errno from reading, with err filled in either way. */
int config_load(const char *path, const char *const *known,
		struct config *cfg, struct config_error *err);

/* Parses a duration such as "5s", "500ms", "1m", "1.5s" or a bare number
 * of seconds into milliseconds. Returns 0 or -EINVAL (also for 0 and for
 * more than a day). */
int config_parse_duration(const char *s, unsigned *ms);

#endif
