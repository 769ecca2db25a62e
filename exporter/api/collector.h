/* The collector interface: one const struct per source, listed in one static
 * table (registry.c). A collector emits typed samples into a snap_set; it
 * never formats exposition text and never runs in an HTTP thread. */
#ifndef VIRTMETER_COLLECTOR_H
#define VIRTMETER_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/api/snapshot.h"

struct config;

/* A setting of one collector given on the command line as
 * --collector.NAME.KEY=VALUE (or --[no-]collector.NAME.KEY for a boolean). */
struct collector_setting {
	const char *collector;
	const char *key;
	const char *value;
};

/* What a collector gets at init: read-only for the collector's lifetime. */
struct collector_env {
	const char *procfs;   /* default /proc */
	const char *sysfs;    /* default /sys */
	const char *cgroupfs; /* default /sys/fs/cgroup */
	const struct collector_setting *settings;
	size_t nsettings;
	/* The configuration file's settings (defaults without a file); NULL
	 * in tests that need none. Replaced only while collectors are
	 * stopped. */
	const struct config *cfg;
};

/* A setting a collector accepts, for the flag parser and --help. */
struct collector_option {
	const char *key;  /* NULL ends a table */
	const char *arg;  /* placeholder for --help, NULL for a boolean */
	const char *help; /* one line, with the default */
	const char *def;  /* default value ("true"/"false" for booleans) */
};

struct collector {
	const char *name;        /* [a-z0-9_]+, used in flags and labels */
	const char *help;        /* one line for --help and the landing page */
	bool default_enabled;
	unsigned interval_ms;    /* default cycle interval */
	unsigned timeout_ms;     /* a cycle longer than this counts as stuck */
	/* Every family the collector can emit, NULL-terminated: the source of
	 * --dump-metrics and of the docs/metrics.md check. */
	const struct snap_family *const *families;
	/* Settings it accepts as --collector.NAME.KEY, NULL-key-terminated;
	 * may be NULL. */
	const struct collector_option *options;
	/* Prepares the collector; *state is handed back to collect and fini.
	 * Returns 0 or a negative errno (the collector is then reported down
	 * and init is retried on the next cycle). */
	int (*init)(const struct collector_env *env, void **state);
	/* One cycle: add samples to out. Returns 0, or a negative errno when
	 * the cycle failed (out is then discarded and the last good samples
	 * stay served). */
	int (*collect)(void *state, struct snap_set *out);
	/* Releases everything init and collect acquired. */
	void (*fini)(void *state);
};

/* The table of collectors compiled into this binary, NULL-terminated. */
extern const struct collector *const collector_table[];

/* Number of entries in collector_table. */
size_t collector_count(void);

/* Returns the index of the collector called name, or -ENOENT. */
int collector_find(const char *name);

/* Returns the value of setting key of collector c: the last one given in
 * env, else the option's default, else NULL. The string lives as long as
 * env. */
const char *collector_setting(const struct collector_env *env,
			      const struct collector *c, const char *key);

/* The setting key of collector c as a boolean in *out: true, yes, on, 1
 * or false, no, off, 0 (any case). Returns 0, or -EINVAL after
 * collector_error() names the flag and its value. */
int collector_setting_bool(const struct collector_env *env,
			   const struct collector *c, const char *key,
			   bool *out);

/* Records why the current cycle of the calling collector is failing, in
 * words that name the file, device or privilege at fault. The scheduler
 * puts it in its one log line when the collector starts failing (and never
 * repeats it while the failure lasts). Call it just before returning a
 * negative errno from init or collect; it only affects the calling thread. */
void collector_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns and clears the calling thread's message from collector_error()
 * ("" if none). For the scheduler. */
const char *collector_take_error(void);

/* Returns the option key of collector c, or NULL if c has none by that
 * name. */
const struct collector_option *collector_option_find(const struct collector *c,
						     const char *key);

#endif
