/* virtmeter power meter plugins: the installed ABI.
 *
 * A plugin is a shared object that exports one symbol, VIRTMETER_METER_SYMBOL,
 * of type const struct virtmeter_meter. virtmeter loads it with dlopen,
 * checks abi_version and struct_size, calls open once, read once per
 * interval (from a thread of its own, so a read may block), and close when
 * the meter stops. The built-in meters (RAPL, hwmon, exec) fill the same
 * struct virtmeter_reading.
 *
 * Threads: calls on one state never overlap (open, then reads one after
 * the other, then close, all from that meter's thread). One plugin may be
 * listed as several meters, which share the loaded object: keep all state
 * behind the state pointer, not in globals. A read that fails makes
 * virtmeter close the state and open a new one for the next read.
 *
 * Compatibility: abi_version changes only when a field changes meaning;
 * new slots are appended to the end of struct virtmeter_meter and found
 * through struct_size, so a plugin built against an older header of the
 * same abi_version keeps loading. */
#ifndef VIRTMETER_METER_PLUGIN_H
#define VIRTMETER_METER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIRTMETER_METER_ABI_VERSION 1
#define VIRTMETER_METER_SYMBOL "virtmeter_meter"
#define VIRTMETER_ZONE_MAX 64 /* bytes of a zone name, with the NUL */

/* Which fields of a reading are set. */
enum virtmeter_have {
	VIRTMETER_HAVE_WATTS = 1u << 0,
	VIRTMETER_HAVE_JOULES = 1u << 1,   /* the meter's own energy counter */
	VIRTMETER_HAVE_VOLTS = 1u << 2,
	VIRTMETER_HAVE_AMPERES = 1u << 3,
};

/* One reading of one zone (a sub-domain of the meter: package-0, dram,
 * psu1, outlet3...; "" for a meter with a single reading). */
struct virtmeter_reading {
	char zone[VIRTMETER_ZONE_MAX]; /* [A-Za-z0-9_.:/-]*, NUL-terminated */
	uint32_t have;                 /* enum virtmeter_have bits */
	double watts;                  /* power now, W */
	/* The meter's own energy counter in joules. It may start anywhere;
	 * virtmeter counts only its increases, so it need not start at 0. */
	double joules;
	/* If > 0: the value at which joules wraps back to 0 (RAPL's
	 * max_energy_range_uj). 0: it never wraps, a decrease is a reset. */
	double joules_range;
	double volts;   /* RMS voltage, V */
	double amperes; /* RMS current, A */
	/* When the values were measured, in seconds since the Unix epoch;
	 * 0 means "when read returned". */
	double timestamp;
};

/* The descriptor a plugin exports as VIRTMETER_METER_SYMBOL. */
struct virtmeter_meter {
	uint32_t abi_version; /* VIRTMETER_METER_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct virtmeter_meter) */
	const char *name;     /* for log lines, e.g. "example" */
	/* Opens the meter. arg is the meter's "argument" setting ("" if not
	 * set). Stores the plugin's state in *state. Returns 0, or a negative
	 * errno with a one-line reason in err (errlen bytes). */
	int (*open)(const char *arg, void **state, char *err, size_t errlen);
	/* Reads every zone into out (room for max readings, zeroed by the
	 * caller). Returns the number of readings (at least 1), or a negative
	 * errno with a one-line reason in err. May block: virtmeter calls it
	 * from the meter's own thread and reports the meter down while a read
	 * runs past its timeout. */
	int (*read)(void *state, struct virtmeter_reading *out, size_t max,
		    char *err, size_t errlen);
	/* Releases the state. */
	void (*close)(void *state);
};

#ifdef __cplusplus
}
#endif

#endif
