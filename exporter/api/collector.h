/* The collector interface: one const struct per source, listed in one static
 * table (registry.c). A collector emits typed samples into a snap_set; it
 * never formats exposition text and never runs in an HTTP thread. */
#ifndef VIRTMETER_COLLECTOR_H
#define VIRTMETER_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/api/snapshot.h"

struct parse_ctx;    /* exporter/api/config_yaml.h */
struct yaml_event_s; /* libyaml's yaml_event_t */

/* What a collector gets at init: read-only for the collector's lifetime. */
struct collector_env {
	const char *procfs;   /* default /proc */
	const char *sysfs;    /* default /sys */
	const char *cgroupfs; /* default /sys/fs/cgroup */
	/* Directory for state that outlives a restart (--storage.path,
	 * default /var/lib/virtmeter); it may not exist yet. */
	const char *storage;
	/* The families the daemon publishes itself (collector status, build
	 * info, scrapes): a NULL-terminated list of NULL-terminated lists,
	 * or NULL. With every collector's families (collector_table), the
	 * names a collector that serves names read from outside must not
	 * take (the textfile collector). */
	const struct snap_family *const *const *self_families;
	/* Descriptors that the HTTP server may hold at its connection limits:
	 * a collector that sizes itself by RLIMIT_NOFILE leaves them free. */
	size_t fd_reserve;
	/* This collector's settings: the struct of settings_size bytes that
	 * its option table describes, filled from the defaults, the
	 * configuration file and the flags (in rising precedence). NULL for a
	 * collector without settings. Replaced only while the collector is
	 * stopped. */
	const void *settings;
};

/* The kinds of value a setting holds, and the C type of its field. */
enum setting_type {
	SETTING_BOOL,   /* bool: true/false (flag: --[no-]collector.N.K) */
	SETTING_UINT,   /* unsigned long, from min to max */
	SETTING_STRING, /* char * (owned by the settings), at most max bytes */
	SETTING_LIST,   /* struct setting_list: a YAML list in the file, a
			 * comma-separated value on the command line; at most
			 * max items of at most item_max bytes each */
};

/* The value of a SETTING_LIST field. */
struct setting_list {
	size_t n;
	char **v; /* n strings, owned by the settings */
};

/* One setting of a collector. One row serves the command line
 * (--collector.NAME.KEY), the configuration file (collectors: NAME: KEY,
 * with '_' for '-') and --help, with one default and one limit. */
struct collector_option {
	const char *key;  /* [a-z0-9-]+; NULL ends a table */
	enum setting_type type;
	size_t offset;    /* of the field in the collector's settings struct */
	const char *def;  /* the default in command-line form; NULL: none */
	unsigned long min, max; /* UINT: range; STRING: max bytes; LIST:
				 * max items (0: no limit) */
	size_t item_max;  /* LIST: bytes of one item (0: 4095) */
	const char *arg;  /* placeholder for --help (N, URI, LIST) */
	const char *help; /* one line, without the default (added) */
	/* Optional: checks one value (of a list: one item) beyond its type.
	 * Returns 0, or -EINVAL with what is wrong in err (the caller adds
	 * where: the flag, or file:line:column and the key). */
	int (*check)(const char *value, char *err, size_t errlen);
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
	/* The families among those whose samples say whether the sources the
	 * collector reads answer (1 up, 0 down), NULL-terminated; NULL: none.
	 * virtmeter_collector_up only says that the collector's cycles run;
	 * the landing page shows these beside it. */
	const struct snap_family *const *health;
	/* Its settings, NULL-key-terminated (NULL: none), and the size of
	 * the struct they are kept in (env->settings). */
	const struct collector_option *options;
	size_t settings_size;
	/* A top-level section of the configuration file that this collector
	 * owns besides collectors.NAME (e.g. "meters"), or NULL. */
	const char *section;
	/* Parses that section's value (the first event, consumed in full)
	 * into settings; NULL: the section is a mapping of the options, like
	 * collectors.NAME. Returns 0 or -EINVAL with the error recorded. */
	int (*parse_section)(struct parse_ctx *c, const char *path,
			     const struct yaml_event_s *value, void *settings);
	/* Frees what parse_section put into settings; NULL if nothing. */
	void (*free_section)(void *settings);
	/* Checks the settings as a whole, once the file and the flags are
	 * applied: values that are fine alone but not together. Returns 0,
	 * or -EINVAL with what is wrong in err (the caller names the
	 * collector). NULL: nothing to check. */
	int (*check_settings)(const void *settings, char *err, size_t errlen);
	/* Prepares the collector; *state is handed back to collect and fini.
	 * Returns 0 or a negative errno (the collector is then reported down
	 * and init is retried on the next cycle). */
	int (*init)(const struct collector_env *env, void **state);
	/* One cycle: add samples to out. Returns 0, COLLECT_UNCHANGED when
	 * its samples would be exactly those of its last successful cycle
	 * (out is then discarded and that cycle's set stays served: a
	 * collector whose figures change only now and then saves rebuilding
	 * them), or a negative errno when the cycle failed (out is discarded
	 * and the last good samples stay served). */
	int (*collect)(void *state, struct snap_set *out);
	/* Releases everything init and collect acquired. */
	void (*fini)(void *state);
};

/* What collect returns when nothing changed since its last successful
 * cycle. Never from the first cycle after init. */
#define COLLECT_UNCHANGED 1

/* The table of collectors compiled into this binary, NULL-terminated. */
extern const struct collector *const collector_table[];

/* A capability that a collector uses when it holds it, beyond what any
 * user may do: one row of collector_caps. Without it the collector, or
 * the part of it that needs it, is down and says so in one log line. */
struct collector_cap {
	const char *collector; /* a collector's name; NULL ends the table */
	int cap;               /* CAP_* of <linux/capability.h> */
	/* The capability kept instead where the kernel does not know cap
	 * (CAP_SYS_ADMIN for CAP_PERFMON before Linux 5.8), or -1. */
	int fallback;
	const char *why; /* what it is for, in a few words, for the log */
};

/* The capabilities of the collectors compiled in, in one table (several
 * rows for a collector that uses several): what --runas keeps for the
 * enabled collectors. The PRIVILEGES section of virtmeter(8) and the
 * systemd unit grant the same. */
extern const struct collector_cap collector_caps[];

/* Number of entries in collector_table. */
size_t collector_count(void);

/* Returns the index of the collector called name, or -ENOENT. */
int collector_find(const char *name);

/* Records why the current cycle of the calling collector is failing, in
 * words that name the file, device or privilege at fault. The scheduler
 * puts it in its one log line when the collector starts failing (and never
 * repeats it while the failure lasts). Call it just before returning a
 * negative errno from init or collect; it only affects the calling thread. */
void collector_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns and clears the calling thread's message from collector_error()
 * ("" if none). For the scheduler. */
const char *collector_take_error(void);

/* Returns the option key of collector c (flag spelling; '_' matches '-'),
 * or NULL if c has none by that name. */
const struct collector_option *collector_option_find(const struct collector *c,
						     const char *key);

/* Sets the setting opt of the settings struct to the text value
 * (command-line form: "true", "3", "a,b"). Returns 0, or -EINVAL with what
 * is wrong in err (without the flag's name), or -ENOMEM. */
int setting_set_text(void *settings, const struct collector_option *opt,
		     const char *value, char *err, size_t errlen);

/* Appends item to the SETTING_LIST opt after its checks (not empty, not
 * too long, opt->check, not twice, not past the limit). Returns 0, -EINVAL
 * with what is wrong in err, or -ENOMEM. */
int setting_add_item(void *settings, const struct collector_option *opt,
		     const char *item, char *err, size_t errlen);

/* Empties the SETTING_LIST or SETTING_STRING opt (frees what it held). */
void setting_clear(void *settings, const struct collector_option *opt);

/* Writes the settings of c from the options' defaults into settings
 * (settings_size zeroed bytes). Returns 0 or -ENOMEM. */
int settings_defaults(const struct collector *c, void *settings);

/* Frees what the settings of c own (strings, lists, the section's part),
 * leaving zeroed fields; not the struct itself. */
void settings_free(const struct collector *c, void *settings);

/* The help line of opt with its default and limit, into out. */
const char *setting_help(const struct collector_option *opt, char *out,
			 size_t size);
#endif
