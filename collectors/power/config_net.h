/* Internal to the meters: parser (config.c, config_net.c, kinds.c): one
 * list item while it is parsed, the values of the keys of the network and
 * serial meters (redfish, http, powerspy), and the checks of a finished
 * redfish or http meter that kinds.c names in their rows. */
#ifndef VIRTMETER_POWER_CONFIG_NET_H
#define VIRTMETER_POWER_CONFIG_NET_H

#include "collectors/power/config.h"
#include "exporter/api/config_yaml.h"

#ifdef HAVE_LIBYAML

/* One list item while it is parsed: the meter, its mapping event, and
 * which keys were given and where each value was (for errors found once
 * the whole item is known). */
struct meter_item {
	struct meter_config *m;
	const yaml_event_t *start;
	uint32_t seen; /* METER_KEY_BIT of each key given */
	yaml_mark_t mark[METER_KEY_COUNT];
};

/* The name of each key, in enum meter_key order. */
extern const char *const meter_key_names[METER_KEY_COUNT];

/* Copies the value, a non-empty string of at most size - 1 bytes without
 * NUL bytes, into out. Returns 0 or -EINVAL (error recorded). */
int meter_set_string(struct parse_ctx *c, const char *path,
		     const yaml_event_t *v, char *out, size_t size);

/* Parses the value of key k (METER_KEY_URL or later) of meter m,
 * consuming it. Returns 0 or -EINVAL with the error recorded at the
 * value. */
int meter_net_on_key(struct parse_ctx *c, enum meter_key k, const char *path,
		     const yaml_event_t *v, struct meter_config *m);

/* The further checks of a finished redfish or http meter (its url was
 * checked before): ca_file with tls_insecure, a preset or JSON paths and
 * their scales (http), credentials (required by redfish). Return 0 or
 * -EINVAL (error recorded). */
int meter_check_redfish(struct parse_ctx *c, const char *path,
			const struct meter_item *it);
int meter_check_http(struct parse_ctx *c, const char *path,
		     const struct meter_item *it);

#endif /* HAVE_LIBYAML */
#endif
