/* The keys of the network and serial meters (redfish, http, powerspy) in
 * the meters: section: their names, which meter types take them, how each
 * value is parsed and what a finished meter must hold. Used by
 * config.c, which walks the list. Internal to the config module. */
#ifndef VIRTMETER_POWER_CONFIG_NET_H
#define VIRTMETER_POWER_CONFIG_NET_H

#include "exporter/api/config_yaml.h"

#ifdef HAVE_LIBYAML

enum net_key {
	NK_URL, NK_USERNAME, NK_PASSWORD, NK_PASSWORD_FILE, NK_CA_FILE,
	NK_TLS_INSECURE, NK_AUTH, NK_PRESET, NK_ZONE, NK_WATTS_PATH,
	NK_ENERGY_PATH, NK_VOLTS_PATH, NK_AMPERES_PATH, NK_WATTS_SCALE,
	NK_ENERGY_SCALE, NK_VOLTS_SCALE, NK_AMPERES_SCALE, NK_ENERGY_UNIT,
	NK_DEVICE, NK_COUNT
};

/* The name of each key, in enum net_key order. */
extern const char *const config_net_key_names[NK_COUNT];

/* For each key, the meter types (1 << enum config_meter_type) that take
 * it. */
extern const unsigned config_net_key_types[NK_COUNT];

/* Parses the value of net key k of meter m (consuming it). Returns 0 or
 * -EINVAL with the error recorded at the value. */
int config_net_on_key(struct parse_ctx *c, unsigned k, const char *path,
		      const yaml_event_t *v, struct config_meter *m);

/* Checks a finished meter of a network or serial type: required keys,
 * keys that exclude each other, a type this binary was built without.
 * seen has bit k set for each net key k given, marks[k] says where; start
 * is the item's mapping event. Returns 0 or -EINVAL (error recorded). */
int config_net_check(struct parse_ctx *c, const char *path,
		     const yaml_event_t *start, const struct config_meter *m,
		     unsigned seen, const yaml_mark_t *marks);

#endif /* HAVE_LIBYAML */
#endif
