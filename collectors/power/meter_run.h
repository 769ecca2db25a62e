/* One power meter at run time: its own thread, which opens the meter,
 * reads it on its interval and accounts energy per zone, and the state that
 * the power collector copies each cycle. The state is shared under a lock
 * held only for copies, never during a read. */
#ifndef VIRTMETER_POWER_METER_RUN_H
#define VIRTMETER_POWER_METER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "collectors/power/energy.h"
#include "collectors/power/meter.h"
#include "collectors/power/config.h"

/* Defaults of a meter's timing (docs/config.md). */
#define METER_DEFAULT_INTERVAL_MS 1000
#define METER_DEFAULT_TIMEOUT_MS 5000

/* One zone of a meter: what it is, its energy counter and its last
 * reading. */
struct meter_zone {
	char name[VIRTMETER_ZONE_MAX];
	char kind[METER_KIND_MAX];       /* the kind label; "" until read */
	char part_of[VIRTMETER_ZONE_MAX]; /* the zone that contains it, or "" */
	struct energy_acc acc;
	struct virtmeter_reading last;
	bool fresh; /* present in the last successful read */
};

/* A copy of a meter's state at one moment. */
struct meter_view {
	char name[METER_NAME_MAX];
	const char *source; /* static string: rapl, hwmon, exec, plugin */
	bool up;            /* last read succeeded, none running past timeout */
	double last_sample; /* Unix time of the last successful read, or 0 */
	size_t nzones;
	struct meter_zone zones[METER_MAX_ZONES];
	bool has_skipped;   /* the meter counts skipped frames */
	uint64_t skipped;   /* frames skipped since virtmeter started */
};

struct meter_run;

/* The timing of a meter: cm's settings, else the defaults; max_gap
 * defaults to the larger of 5 intervals and 2 timeouts. */
void meter_timing(const struct meter_config *cm, unsigned *interval_ms,
		  unsigned *timeout_ms, unsigned *max_gap_ms);

/* Starts meter name of kind ops in a thread of its own. cm (may be NULL)
 * and sysfs are copied. The first read starts at once. Returns 0 with the
 * meter in *out (freed by meter_run_stop), or a negative errno. */
int meter_run_start(const char *name, const struct meter_ops *ops,
		    const struct meter_config *cm, const char *sysfs,
		    struct meter_run **out);

/* Copies the meter's state into out; now is CLOCK_MONOTONIC seconds, to
 * tell whether a running read is past its timeout (then up is false and
 * one warning is logged). Never waits for a read. */
void meter_run_view(struct meter_run *m, double now, struct meter_view *out);

/* Adds joules to the energy counter of zone (created if new): the total
 * a previous run of the same meter reached, so that a reload does not
 * reset it. Safe while the meter runs. */
void meter_run_seed(struct meter_run *m, const char *zone, double joules);

/* Asks the meter's thread to stop, without waiting. */
void meter_run_signal_stop(struct meter_run *m);

/* Waits for the meter's thread until deadline (CLOCK_REALTIME); a thread
 * still blocked in a read then is left behind (logged) and frees its own
 * state when the read returns. Drops the caller's hold on m. */
void meter_run_stop(struct meter_run *m, const struct timespec *deadline);

#endif
