/* The configuration: for each collector of the registry, whether it runs,
 * its interval and timeout, and its settings (the struct its option table
 * describes), built from the defaults, the YAML file (--config.file) and
 * the flags, in rising precedence. Heap-allocated; a reload builds a new
 * one and swaps it in. Parsing is a pure function over a buffer (fuzzed);
 * unknown keys, wrong types and bad values are errors that name the file,
 * line and column. */
#ifndef VIRTMETER_CONFIG_H
#define VIRTMETER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/api/collector.h"
#include "exporter/api/config_yaml.h"

/* One collector's part of the configuration. */
struct config_collector {
	int enabled;          /* -1 unset, 0 or 1 */
	unsigned interval_ms; /* 0 unset */
	unsigned timeout_ms;  /* 0 unset */
	void *settings;       /* settings_size bytes; NULL without settings */
};

struct config {
	const struct collector *const *table; /* NULL-terminated */
	size_t n;                             /* collectors in table */
	struct config_collector *c;           /* n entries, as table */
};

/* One --collector.NAME.KEY=VALUE of the command line. */
struct config_flag {
	size_t collector; /* index in the table */
	const struct collector_option *opt;
	const char *value; /* command-line form */
};

/* Returns a new configuration of the collectors of table (NULL-terminated)
 * holding their defaults, or NULL without memory. Free it with
 * config_free. */
struct config *config_new(const struct collector *const *table);

/* Frees cfg and everything it owns; NULL is a no-op. */
void config_free(struct config *cfg);

/* Parses YAML text of len bytes (need not be NUL-terminated) into a new
 * configuration of the collectors of table; filename is used in error
 * messages only. Returns 0 with *out set (the caller frees it), or
 * -EINVAL (bad content), -ENOMEM, or -ENOTSUP (built without libyaml)
 * with err filled in and *out untouched. */
int config_parse(const char *text, size_t len, const char *filename,
		 const struct collector *const *table, struct config **out,
		 struct config_error *err);

/* Reads at most max bytes of path into a NUL-terminated malloc'd buffer
 * that the caller frees (*outlen bytes before the NUL). Only a regular
 * file (or a symlink to one) is read, and never with a blocking open (a
 * FIFO would wait for a writer; a reload runs in the thread that takes
 * SIGTERM). Returns 0, or a negative errno: -EINVAL with *kind set to what
 * path is ("a FIFO", "a directory", ...) when it is not a regular file,
 * else with *kind NULL. A larger file is cut at max: pass one byte more
 * than you accept to see it. */
int config_read_file(const char *path, size_t max, char **out,
		     size_t *outlen, const char **kind);

/* Reads and parses a file (see config_parse). Only a regular file (or a
 * symlink to one) is read, and never with a blocking open: a FIFO, a
 * device or a directory is refused at once. Returns 0, -EINVAL (bad
 * content, or not a regular file) or a negative errno from reading, with
 * err filled in. */
int config_load(const char *path, const struct collector *const *table,
		struct config **out, struct config_error *err);

/* Checks each collector's settings as a whole (its check_settings: values
 * fine alone but not together). Returns 0, or -EINVAL with the message,
 * naming the collector, in err. */
int config_check(const struct config *cfg, char *err, size_t errlen);

/* Applies n command-line settings to cfg, in order. Returns 0, or -EINVAL
 * with the message, naming the flag, in err (cfg then holds the settings
 * before the bad one), or -ENOMEM. */
int config_apply_flags(struct config *cfg, const struct config_flag *flags,
		       size_t n, char *err, size_t errlen);

#endif
