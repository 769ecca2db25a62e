/* How the perf collector arranges its events into groups: which slots
 * (event and guest/host mode) a target of each kind opens, and which of
 * them share a group. A pure function of the probed event definitions, so
 * that the hardware arrangement is unit-tested on hosts without a PMU. */
#ifndef VIRTMETER_PERF_LAYOUT_H
#define VIRTMETER_PERF_LAYOUT_H

#include <stddef.h>

#include "collectors/perf/events.h"
#include "collectors/perf/group.h"

/* At most this many PMU events share a group: a group is scheduled on the
 * PMU as a whole, and one that needs more counters than the PMU has is
 * never scheduled. */
#define PERF_GROUP_HW_MAX 4

/* Fills plain (the host and containers) and vm (VMs) from the supported
 * events of evs[0..nev): PMU events first, at most PERF_GROUP_HW_MAX per
 * group; then the kernel's other software events in a group of their own;
 * then each clock (task-clock, cpu-clock) alone. In vm, each event with
 * split set takes two slots, guest (exclude_host) then host
 * (exclude_guest), and the split events come first, in groups of their
 * own. Every slot counts user and kernel levels as resolved; a slot of
 * mode all counts guest and host alike. nev is at most PERF_MAX_EVENTS. */
void perf_layouts_build(const struct perf_event_def *evs, size_t nev,
			struct perf_layout *plain, struct perf_layout *vm);

#endif
