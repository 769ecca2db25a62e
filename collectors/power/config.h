/* The power collector's configuration: the meters: list of the
 * configuration file (one struct meter_config per meter, in a heap array
 * of any length), the keys a meter may have, and the table of meter kinds
 * (kinds.c) that says, for each type, which meter_ops reads it, which
 * keys it takes and what a finished meter of that type must hold.
 * Parsed by config.c and config_net.c; see docs/config.md. */
#ifndef VIRTMETER_POWER_CONFIG_H
#define VIRTMETER_POWER_CONFIG_H

#include "build-config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of one meter's strings (documented in docs/config.md). */
#define METER_NAME_MAX 64    /* bytes of a meter name, with the NUL */
#define METER_MAX_ARGV 16    /* words of an exec command */
#define METER_ARG_MAX 256    /* bytes of a word or path, with the NUL */
#define METER_URL_MAX 512    /* bytes of a URL, with the NUL */
#define METER_SECRET_MAX 256 /* bytes of a user name or password */
#define METER_JPATH_MAX 128  /* bytes of a JSON path such as a.b[0].c */
#define METER_KIND_MAX 16    /* bytes of a zone's kind label, with the NUL */

/* The keys of a meter, in the order that error messages list them. */
enum meter_key {
	METER_KEY_NAME,
	METER_KEY_TYPE,
	METER_KEY_INTERVAL,
	METER_KEY_TIMEOUT,
	METER_KEY_MAX_GAP,
	METER_KEY_COMMAND,
	METER_KEY_PATH,
	METER_KEY_ARGUMENT,
	METER_KEY_KIND,
	/* The network and serial meters' keys, parsed by config_net.c. */
	METER_KEY_URL,
	METER_KEY_USERNAME,
	METER_KEY_PASSWORD,
	METER_KEY_PASSWORD_FILE,
	METER_KEY_CA_FILE,
	METER_KEY_TLS_INSECURE,
	METER_KEY_AUTH,
	METER_KEY_PRESET,
	METER_KEY_ZONE,
	METER_KEY_WATTS_PATH,
	METER_KEY_ENERGY_PATH,
	METER_KEY_VOLTS_PATH,
	METER_KEY_AMPERES_PATH,
	METER_KEY_WATTS_SCALE,
	METER_KEY_ENERGY_SCALE,
	METER_KEY_VOLTS_SCALE,
	METER_KEY_AMPERES_SCALE,
	METER_KEY_ENERGY_UNIT,
	METER_KEY_DEVICE,
	METER_KEY_COUNT
};

/* A set of keys: one bit per enum meter_key. */
#define METER_KEY_BIT(k) (UINT32_C(1) << (k))
/* The keys that every meter takes. */
#define METER_KEYS_COMMON                                                      \
	(METER_KEY_BIT(METER_KEY_NAME) | METER_KEY_BIT(METER_KEY_TYPE) |       \
	 METER_KEY_BIT(METER_KEY_INTERVAL) | METER_KEY_BIT(METER_KEY_TIMEOUT) | \
	 METER_KEY_BIT(METER_KEY_MAX_GAP))

/* The quantities an http meter reads, indexing path[] and scale[]. */
enum meter_quantity {
	METER_Q_WATTS,
	METER_Q_ENERGY,
	METER_Q_VOLTS,
	METER_Q_AMPERES,
	METER_Q_COUNT
};

/* Ready-made http meters: URL path and JSON paths of common devices. */
enum meter_http_preset {
	METER_PRESET_NONE,
	METER_PRESET_SHELLY_GEN1,
	METER_PRESET_SHELLY_GEN2,
	METER_PRESET_TASMOTA,
};

enum meter_http_auth { METER_AUTH_BASIC, METER_AUTH_SESSION };

/* Settings of the network and serial meters (redfish, http, powerspy). */
struct meter_net_config {
	char url[METER_URL_MAX]; /* http:// or https://, no user:password@ */
	char username[METER_SECRET_MAX];
	char password[METER_SECRET_MAX];    /* never logged */
	char password_file[METER_ARG_MAX];  /* absolute path, read at open */
	char ca_file[METER_ARG_MAX];        /* absolute path, or "" */
	int tls_insecure;                   /* 1: no TLS verification */
	enum meter_http_auth auth;          /* redfish: basic or session */
	enum meter_http_preset preset;      /* http */
	char zone[64];                      /* http: the zone label */
	char path[METER_Q_COUNT][METER_JPATH_MAX]; /* http: JSON paths */
	double scale[METER_Q_COUNT]; /* http: into W, J, V, A; 0 unset = 1 */
	char device[METER_ARG_MAX];  /* powerspy: tty or rfcomm device */
};

struct meter_kind;

/* One meter of the list. A plain value: copied as it is, nothing to free. */
struct meter_config {
	char name[METER_NAME_MAX];     /* [A-Za-z0-9_.-]+, unique */
	const struct meter_kind *kind; /* its row of meter_kinds[] */
	unsigned interval_ms;          /* 0 unset */
	unsigned timeout_ms;           /* 0 unset */
	unsigned max_gap_ms;           /* 0 unset */
	/* exec: the command, run without a shell. */
	size_t argc;
	char argv[METER_MAX_ARGV][METER_ARG_MAX];
	/* plugin: the shared object and the argument handed to its open. */
	char path[METER_ARG_MAX];
	char argument[METER_ARG_MAX];
	/* exec, plugin, redfish, http, powerspy: the kind label of the
	 * meter's zones ("" unset: METER_KIND_WALL). */
	char zone_kind[METER_KIND_MAX];
	/* redfish, http, powerspy. */
	struct meter_net_config net;
};

/* The meters: section. A zeroed struct is the empty, absent list; m is
 * malloc'd and freed by power_settings_free. */
struct power_settings {
	bool present; /* the file has a meters: list (else: discovery) */
	size_t n;
	struct meter_config *m;
};

struct meter_ops;
struct meter_item;
struct parse_ctx;

/* One kind of meter: a row of meter_kinds[]. A new kind is a file with
 * its meter_ops and one row. */
struct meter_kind {
	const char *name;            /* its type: value */
	const struct meter_ops *ops; /* NULL: not built into this binary */
	const char *built_without;   /* with ops NULL: what the binary lacks */
	uint32_t keys;               /* its own keys, beyond METER_KEYS_COMMON */
	/* A key it cannot do without (when need_what is set) and how the
	 * error names it: "a command". */
	enum meter_key need;
	const char *need_what;
	bool single; /* reads every zone itself: at most one in the list */
	/* Optional: checks a finished meter of this kind further (keys that
	 * go together or exclude each other). Returns 0 or -EINVAL with the
	 * error recorded in c. */
	int (*check)(struct parse_ctx *c, const char *path,
		     const struct meter_item *it);
};

/* Every kind of meter, in the order that error messages list them. */
extern const struct meter_kind meter_kinds[];
extern const size_t meter_nkinds;

/* The kind whose type name is the len bytes at name, or NULL. */
const struct meter_kind *meter_kind_find(const char *name, size_t len);

/* Frees the list of s and leaves s zeroed (absent and empty). */
void power_settings_free(struct power_settings *s);

#ifdef HAVE_LIBYAML
#include "exporter/api/config_yaml.h"

/* Parses the meters: list that starts with the event value (a null value
 * is an empty list, which turns discovery off); path names it in errors.
 * Never touches c->cfg. On success the list replaces *out, whose previous
 * list is freed, and the caller frees the new one with
 * power_settings_free; returns 0. On error *out is left as it was and
 * -EINVAL (or -ENOMEM) is returned with the error recorded in c. */
int power_parse_meters(struct parse_ctx *c, const char *path,
		       const yaml_event_t *value, struct power_settings *out);
#endif

#endif
