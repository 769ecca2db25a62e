/* The meters: section of the configuration file, as the power collector
 * keeps it. (Interim: the power collector's own configuration module
 * replaces this header.) */
#ifndef VIRTMETER_CONFIG_METERS_H
#define VIRTMETER_CONFIG_METERS_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/api/config_yaml.h"

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


#ifdef HAVE_LIBYAML
/* Parses the meters: list into all. Returns 0 or -EINVAL (recorded). */
int config_parse_meters(struct parse_ctx *c, const char *path,
			const yaml_event_t *value, struct config_meters *all);
#endif

#endif
