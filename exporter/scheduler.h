/* The scheduler: one worker thread per enabled collector, each on its own
 * interval; a watchdog that marks a collector stuck past its timeout; and the
 * self-metrics (collector status, build info, process metrics) published
 * with every cycle. */
#ifndef VIRTMETER_SCHEDULER_H
#define VIRTMETER_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter/api/collector.h"

/* How one collector is to be run. */
struct sched_entry {
	const struct collector *c;
	bool enabled;
	unsigned interval_ms;
	unsigned timeout_ms;
	const void *settings; /* the collector's settings (env->settings) */
};

/* A copy of one collector's state, for the landing page and the tests. */
struct sched_status {
	const char *name;
	bool enabled;
	bool up;
	bool stuck;             /* running for longer than its timeout */
	double last_duration_s;
	double last_success_s;  /* Unix time, 0 if never */
	uint64_t errors;
	uint64_t cycles;
};

/* The snapshot slot of the self-metrics (collector status, build info,
 * scrapes, reloads). */
#define SCHED_STATUS_SLOT 0

/* The snapshot slot that collector i of the registry publishes into. */
static inline size_t sched_slot(size_t i)
{
	return i + 1;
}

/* Every family the scheduler itself emits, NULL-terminated. */
extern const struct snap_family *const sched_families[];

/* Starts the workers for n entries (one per registry collector, in registry
 * order). Each collector's init gets env with the settings of its entry.
 * Returns 0 or a negative errno. */
int sched_start(const struct sched_entry *entries, size_t n,
		const struct collector_env *env);

/* Stops and joins every worker, calling each collector's fini. A worker
 * stuck in its source past grace_ms is left behind (logged). Returns true
 * if every worker was joined, false if one was left behind (it may still
 * read its settings: the caller must not free them). */
bool sched_stop(unsigned grace_ms);

/* Records the outcome of a load of the configuration (the start-up load,
 * or a reload on SIGHUP) for virtmeter_config_last_reload_successful and,
 * when ok, virtmeter_config_last_reload_success_timestamp_seconds (now),
 * and publishes the self-metrics at once if the collectors run. Call it
 * from the thread that starts and stops the scheduler. */
void sched_note_reload(bool ok);

/* Copies the status of up to max collectors into out; returns the count. */
size_t sched_status_get(struct sched_status *out, size_t max);

#endif
