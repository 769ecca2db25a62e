/* The interface of the built-in power meters (rapl, hwmon, exec, plugin):
 * open, read every zone into struct virtmeter_reading (the same struct as
 * the installed plugin ABI, include/virtmeter/meter.h), close. A meter is
 * read from a thread of its own, so read may block; it never sees the
 * snapshot or the scheduler. */
#ifndef VIRTMETER_POWER_METER_H
#define VIRTMETER_POWER_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/power/config.h"
#include "include/virtmeter/meter.h"

/* Zones one meter may report per read. */
#define METER_MAX_ZONES 64
/* Bytes of a meter's one-line error message. */
#define METER_ERR_MAX 256
/* The kind of the zones of a meter that does not tell them apart (exec,
 * plugin, redfish, http, powerspy) when its configuration sets none: the
 * whole machine, measured at its power input. */
#define METER_KIND_WALL "wall"

/* What a meter is opened with. */
struct meter_args {
	const char *name;  /* the meter's name, for messages */
	const char *sysfs; /* root of sysfs (--path.sysfs) */
	/* The meter's settings from the configuration file, or NULL for a
	 * meter found without one. */
	const struct meter_config *cfg;
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
	/* Optional (may be NULL): called from another thread while a read
	 * runs, when the meter stops, to end that read soon. Must not block. */
	void (*interrupt)(void *state);
	/* Optional (NULL if the meter has none): how many malformed frames
	 * the meter skipped since it was opened (serial meters). */
	uint64_t (*skipped)(void *state);
	/* Optional (NULL: every zone is of the meter's configured kind, else
	 * METER_KIND_WALL, and inside no other zone): writes the kind label
	 * of zone into kind (METER_KIND_MAX bytes) and the zone that already
	 * counts its energy into part_of (VIRTMETER_ZONE_MAX bytes, "" for
	 * none), as the meter found them at open ("" and "" for a zone it does
	 * not know). Called from the meter's thread after a read; must not
	 * block. */
	void (*describe)(void *state, const char *zone, char *kind,
			 char *part_of);
};

extern const struct meter_ops meter_rapl_ops;
extern const struct meter_ops meter_hwmon_ops;
extern const struct meter_ops meter_exec_ops;
extern const struct meter_ops meter_plugin_ops;
/* The network and serial meters (redfish and http need libcurl and yajl). */
extern const struct meter_ops meter_redfish_ops;
extern const struct meter_ops meter_http_ops;
extern const struct meter_ops meter_powerspy_ops;

/* Whether sysfs has at least one RAPL zone (for discovery without a
 * configuration file). */
bool meter_rapl_present(const char *sysfs);

/* Whether sysfs has at least one hwmon power or energy channel. */
bool meter_hwmon_present(const char *sysfs);

/* Writes a printf-style one-line reason into err (METER_ERR_MAX bytes,
 * cut if longer). */
void meter_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes a printf-style string into out (size bytes). Returns 0, or
 * -ENAMETOOLONG when it did not fit (out is then cut). */
int meter_fmt(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* sysfs helpers shared by the rapl and hwmon meters (sysfs.c). */

/* Reads the small file at path (at most cap - 1 bytes) into buf. Returns
 * the length, or a negative errno (-EFBIG when longer). */
int meter_sysfs_read(const char *path, char *buf, size_t cap);

/* Re-reads the integer file behind fd (kept open) from offset 0. Returns
 * 0, a negative errno of pread, or -EINVAL / -ERANGE for bad content. */
int meter_sysfs_u64(int fd, uint64_t *out);

/* Lists the entries of dir whose names start with prefix, sorted, into a
 * malloc'd array of malloc'd strings (*names, *n) that the caller frees
 * with meter_names_free. Returns 0 (also when there is none) or a negative
 * errno (-ENOENT when dir does not exist). */
int meter_sysfs_list(const char *dir, const char *prefix, char ***names,
		     size_t *n);

/* Frees what meter_sysfs_list returned. */
void meter_names_free(char **names, size_t n);

#endif
