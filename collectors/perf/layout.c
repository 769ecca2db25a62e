/* Arrangement of the perf collector's events into groups (see
 * perf_layout.h). */
#include "collectors/perf/layout.h"

#include <stdbool.h>
#include <string.h>

/* Appends slot (event i, mode) to lay. */
static void layout_add(struct perf_layout *lay, const struct perf_event_def *ev,
		       int i, enum perf_mode mode)
{
	struct perf_event_attr attr = ev->attr;

	attr.exclude_guest = mode == PERF_MODE_HOST;
	attr.exclude_host = mode == PERF_MODE_GUEST;
	lay->attr[lay->n] = attr;
	lay->ev[lay->n] = i;
	lay->mode[lay->n] = mode;
	lay->n++;
}

/* Ends the group that the last slots of lay form, if any. */
static void layout_close_group(struct perf_layout *lay)
{
	if (lay->n > lay->start[lay->ngroups])
		lay->start[++lay->ngroups] = lay->n;
}

/* The rank of an event: 0 for PMU events, 1 for the kernel's software
 * events, 2 for the clocks, which go alone: a task-clock or cpu-clock
 * leader leaves its software siblings at 0, and as a sibling it reads 0
 * too (seen on Linux 6.18). */
static int slot_rank(const struct perf_event_def *ev)
{
	if (ev->hardware)
		return 0;
	if (perf_events_is_clock(&ev->attr))
		return 2;
	return 1;
}

/* Appends the slots of event i to lay (two for a VM's split event),
 * starting a new group when the PMU events of the current one reach
 * PERF_GROUP_HW_MAX. */
static void layout_put(struct perf_layout *lay, const struct perf_event_def *ev,
		       int i, bool split)
{
	size_t need = split ? 2 : 1;
	size_t in_group = lay->n - lay->start[lay->ngroups];

	if (ev->hardware && in_group + need > PERF_GROUP_HW_MAX)
		layout_close_group(lay);
	if (split) {
		layout_add(lay, ev, i, PERF_MODE_GUEST);
		layout_add(lay, ev, i, PERF_MODE_HOST);
	} else {
		layout_add(lay, ev, i, PERF_MODE_ALL);
	}
}

/* Adds the supported events of rank rank to lay; VMs (vm true) get the
 * split events first, twice each. */
static void layout_rank(struct perf_layout *lay,
			const struct perf_event_def *evs, size_t nev, int rank,
			bool vm)
{
	for (int pass = vm ? 0 : 1; pass < 2; pass++) {
		for (size_t i = 0; i < nev; i++) {
			const struct perf_event_def *ev = &evs[i];
			bool split = vm && ev->split;

			if (!ev->supported || slot_rank(ev) != rank ||
			    split != (pass == 0))
				continue;
			layout_put(lay, ev, (int)i, split);
			if (rank == 2)
				layout_close_group(lay);
		}
		layout_close_group(lay);
	}
}

void perf_layouts_build(const struct perf_event_def *evs, size_t nev,
			struct perf_layout *plain, struct perf_layout *vm)
{
	memset(plain, 0, sizeof(*plain));
	memset(vm, 0, sizeof(*vm));
	for (int rank = 0; rank < 3; rank++) {
		layout_rank(plain, evs, nev, rank, false);
		layout_rank(vm, evs, nev, rank, true);
	}
}
