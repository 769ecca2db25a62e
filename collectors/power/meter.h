/* The interface of the built-in power meters (rapl, hwmon, exec, plugin):
 * open, read every zone into struct virtmeter_reading (the same struct as
 * the installed plugin ABI, include/virtmeter/meter.h), close. A meter is
 * read from a thread of its own, so read may block; it never sees the
 * snapshot or the scheduler. */
#ifndef VIRTMETER_POWER_METER_H
#define VIRTMETER_POWER_METER_H

#include <stdbool.h>
#include <stddef.h>

#include "include/virtmeter/meter.h"

/* Zones one meter may report per read. */
#define METER_MAX_ZONES 64
/* Bytes of a meter's one-line error message. */
#define METER_ERR_MAX 256

struct config_meter;

/* What a meter is opened with. */
struct meter_args {
	const char *name;  /* the meter's name, for messages */
	const char *sysfs; /* root of sysfs (--path.sysfs) */
	/* The meter's settings from the configuration file, or NULL for a
	 * meter found without one. */
	const struct config_meter *cfg;
	unsigned timeout_ms; /* how long one read may take */
};

/* One kind of meter: its source label and its three operations. open and
 * read return 0 / the number of readings, or a negative errno with a
 * one-line reason in err (METER_ERR_MAX bytes). */
struct meter_ops {
	const char *source; /* rapl, hwmon, exec, plugin: the "source" label */
	int (*open)(const struct meter_args *a, void **state, char *err);
	int (*read)(void *state, struct virtmeter_reading *out, size_t max,
		    char *err);
	void (*close)(void *state);
};

extern const struct meter_ops meter_rapl_ops;
extern const struct meter_ops meter_hwmon_ops;
extern const struct meter_ops meter_exec_ops;
extern const struct meter_ops meter_plugin_ops;

/* Whether sysfs has at least one RAPL zone (for discovery without a
 * configuration file). */
bool meter_rapl_present(const char *sysfs);

/* Whether sysfs has at least one hwmon power or energy channel. */
bool meter_hwmon_present(const char *sysfs);

#endif
