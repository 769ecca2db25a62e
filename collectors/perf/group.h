/* The event groups of one counted target (the host, a container's or a
 * VM's cgroup): one group per online CPU, opened, kept in step with CPU
 * hotplug, read with one read() each and summed into scaled totals that
 * never go backwards. */
#ifndef VIRTMETER_PERF_GROUP_H
#define VIRTMETER_PERF_GROUP_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/perf/events.h"

#define PERF_MAX_SLOTS (2 * PERF_MAX_EVENTS)

/* Which share of an event a group member counts. */
enum perf_mode { PERF_MODE_ALL, PERF_MODE_GUEST, PERF_MODE_HOST };

/* The events of one kind of target (slots), in groups of consecutive
 * slots, each leader first: group g is slots [start[g], start[g + 1]). */
struct perf_layout {
	size_t n;
	struct perf_event_attr attr[PERF_MAX_SLOTS];
	int ev[PERF_MAX_SLOTS]; /* index of the event definition */
	enum perf_mode mode[PERF_MAX_SLOTS];
	size_t ngroups;
	size_t start[PERF_MAX_SLOTS + 1];
};

/* The groups of a layout on one CPU. */
struct perf_cpu_group {
	int cpu;
	int *fd;	/* lay->n descriptors, one per slot */
	uint64_t *prev; /* per group g, PERF_PREV_WORDS(its size) words at
			 * 2 * g + start[g] (see perf_scale.h) */
};

struct perf_target {
	const struct perf_layout *lay; /* not owned; outlives the target */
	struct perf_cpu_group *g;      /* sorted by CPU */
	size_t ng;
	uint64_t *total; /* lay->n scaled counts since the target was opened
			  * (nanoseconds for a clock), saturated at
			  * UINT64_MAX */
	double *ratio; /* lay->n: running / enabled of the slot's group in
			* the last read */
	size_t nfds;   /* descriptors open */
};

/* Prepares t for layout lay, with no group open. Returns 0 or -ENOMEM. */
int perf_target_init(struct perf_target *t, const struct perf_layout *lay);

/* Makes t's groups match the CPUs cpus[0..n) (sorted): groups of CPUs that
 * went offline are closed (what they counted stays in the totals), groups
 * are opened on CPUs that came online. cgdir is the cgroup directory to
 * count (perf_event v1 or cgroup2 hierarchy), or NULL to count the whole
 * CPU. A CPU that refuses a group (it went offline meanwhile) is left out
 * and tried again at the next call. Returns 0; -ENOENT when the cgroup
 * directory is gone; -EMFILE, -ENFILE or -ENOMEM when out of descriptors
 * or memory (t then keeps what it had and is still consistent); or the
 * negative errno of perf_event_open when no CPU accepted a group at all
 * while at least one was asked for. */
int perf_target_sync(struct perf_target *t, const int *cpus, size_t n,
		     const char *cgdir);

/* Reads every group of t once (one read() per group and CPU) and adds the
 * scaled increases to t->total, and sets t->ratio. Returns 0, or the negative
 * errno of the first failed read (the other groups are still read). */
int perf_target_read(struct perf_target *t);

/* Closes every descriptor and frees t's memory. */
void perf_target_close(struct perf_target *t);

#endif
