/* The YAML configuration file (--config.file): what flags express badly.
 * Parsing is a pure function over a buffer (fuzzed); unknown keys, wrong
 * types and bad values are errors that name the file, line and column. */
#ifndef VIRTMETER_CONFIG_H
#define VIRTMETER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

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

/* The meters: section, a list of power meters (see docs/config.md). */
#define CONFIG_MAX_METERS 16
#define CONFIG_METER_NAME_MAX 64 /* bytes, with the NUL */
#define CONFIG_MAX_ARGV 16       /* words of an exec command */
#define CONFIG_ARG_MAX 256       /* bytes of a word or path, with the NUL */

enum config_meter_type {
	CONFIG_METER_RAPL,
	CONFIG_METER_HWMON,
	CONFIG_METER_EXEC,
	CONFIG_METER_PLUGIN,
	CONFIG_METER_REDFISH,
	CONFIG_METER_HTTP,
	CONFIG_METER_POWERSPY,
};

/* Settings of the network and serial meters (redfish, http, powerspy). */
#define CONFIG_URL_MAX 512    /* bytes of a URL, with the NUL */
#define CONFIG_SECRET_MAX 256 /* bytes of a user name or password */
#define CONFIG_JPATH_MAX 128  /* bytes of a JSON path such as a.b[0].c */

/* The quantities an http meter reads, indexing path[] and scale[]. */
enum config_quantity {
	CONFIG_Q_WATTS,
	CONFIG_Q_ENERGY,
	CONFIG_Q_VOLTS,
	CONFIG_Q_AMPERES,
	CONFIG_Q_COUNT
};

/* Ready-made http meters: URL path and JSON paths of common devices. */
enum config_http_preset {
	CONFIG_PRESET_NONE,
	CONFIG_PRESET_SHELLY_GEN1,
	CONFIG_PRESET_SHELLY_GEN2,
	CONFIG_PRESET_TASMOTA,
};

enum config_http_auth { CONFIG_AUTH_BASIC, CONFIG_AUTH_SESSION };

struct config_meter_net {
	char url[CONFIG_URL_MAX]; /* http:// or https://, no user:password@ */
	char username[CONFIG_SECRET_MAX];
	char password[CONFIG_SECRET_MAX];     /* never logged */
	char password_file[CONFIG_ARG_MAX];   /* absolute path, read at open */
	char ca_file[CONFIG_ARG_MAX];         /* absolute path, or "" */
	int tls_insecure;                     /* 1: no TLS verification */
	enum config_http_auth auth;           /* redfish: basic or session */
	enum config_http_preset preset;       /* http */
	char zone[64];                        /* http: the zone label */
	char path[CONFIG_Q_COUNT][CONFIG_JPATH_MAX]; /* http: JSON paths */
	double scale[CONFIG_Q_COUNT]; /* http: into W, J, V, A; 0 unset = 1 */
	char device[CONFIG_ARG_MAX];  /* powerspy: tty or rfcomm device */
};

struct config_meter {
	char name[CONFIG_METER_NAME_MAX]; /* [a-z0-9_-]+, unique */
	enum config_meter_type type;
	unsigned interval_ms; /* 0 unset */
	unsigned timeout_ms;  /* 0 unset */
	unsigned max_gap_ms;  /* 0 unset */
	/* exec: the command, run without a shell. */
	size_t argc;
	char argv[CONFIG_MAX_ARGV][CONFIG_ARG_MAX];
	/* plugin: the shared object and the argument handed to its open. */
	char path[CONFIG_ARG_MAX];
	char argument[CONFIG_ARG_MAX];
	/* redfish, http, powerspy. */
	struct config_meter_net net;
};

struct config_meters {
	bool present; /* the file has a meters: list (else: discovery) */
	size_t n;
	struct config_meter m[CONFIG_MAX_METERS];
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
	struct config_meters meters;
	struct config_perf perf;
};

struct config_error {
	char file[256];
	unsigned line;   /* 1-based; 0 when not tied to a line */
	unsigned column; /* 1-based; 0 when not tied to a column */
	char msg[512]; /* room for a key list such as a meter's 27 keys */
};

/* Sets every field of cfg to "unset". */
void config_defaults(struct config *cfg);

/* Parses YAML text of len bytes (need not be NUL-terminated). known is the
 * NULL-terminated list of collector names that this binary has; filename is
 * used in error messages only. Returns 0, or -EINVAL (bad content),
 * -ENOMEM, or -ENOTSUP (built without libyaml) with err filled in; on any
 * error cfg is left as it was, so a rejected reload keeps the old one. */
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
