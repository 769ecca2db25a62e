/* The cgroups the perf collector counts, followed across cycles: one
 * perf_target per VM or container of the workload table, matched by kind,
 * cgroup path and id, with the cap on how many are counted, the
 * descriptor budget, and a back-off for cgroups that could not be opened. */
#ifndef VIRTMETER_PERF_TRACK_H
#define VIRTMETER_PERF_TRACK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "collectors/perf/group.h"
#include "exporter/api/workload.h"

/* One counted workload. */
struct perf_track {
	enum wl_kind kind;
	char *cgroup; /* path relative to the hierarchy's root */
	char *id;
	char *name;
	/* A container's runtime, Kubernetes pod and namespace, as the
	 * workload table gave them when it was opened ("" when unknown). */
	char *runtime, *pod, *ns;
	struct perf_target t;
	bool keep; /* still in the workload table this cycle */
};

/* Cycles at most between two tries to open the groups of a workload whose
 * cgroup could not be opened: a minute at the default 5 s interval. */
#define PERF_RETRY_MAX_GAP 12

/* The wait of a workload whose directory is not a cgroup of the hierarchy
 * perf counts in (EBADF): that cannot change while the workload lives. */
#define PERF_RETRY_NEVER UINT_MAX

/* A workload of the table whose groups could not be opened, tried again
 * after 1, 2, 4, ... cycles, at most PERF_RETRY_MAX_GAP, or never (see
 * PERF_RETRY_NEVER). */
struct perf_retry {
	enum wl_kind kind;
	char *cgroup;
	char *id;
	unsigned gap;  /* cycles from the last try to the next */
	unsigned wait; /* cycles still to skip before the next try */
	bool keep;     /* still in the workload table this cycle */
};

/* Everything the tracker needs from the collector, read-only. */
struct perf_track_env {
	const char *cgroot; /* perf_event v1 or cgroup2 root directory */
	const struct perf_layout *plain; /* containers */
	const struct perf_layout *vm;	 /* VMs */
	const int *cpus;		 /* online CPUs, sorted */
	size_t ncpu;
	bool cpus_changed; /* since the last cycle */
	size_t max_cgroups;
	size_t fd_budget; /* descriptors the tracks may hold in all */
};

struct perf_tracks {
	struct perf_track *v; /* sorted by kind, cgroup, id */
	size_t n;
	struct perf_retry *retry; /* sorted by kind, cgroup, id */
	size_t nretry;
	size_t skipped;	   /* workloads with a cgroup left out this cycle (cap,
			    * budget, or a cgroup that could not be opened or
			    * waits to be tried again) */
	size_t nfds;	   /* descriptors the tracks hold */
	size_t open_tries; /* tries to open a new workload's groups, in all */
};

/* Makes ts follow the VMs and containers of table tab (VMs first, up to
 * env->max_cgroups and the descriptor budget): opens groups for new ones
 * (one whose open failed is tried again after a back-off, see
 * perf_retry), closes every descriptor of those that left the table and
 * forgets them, re-syncs CPUs when they changed, then reads every track.
 * Returns 0 or -ENOMEM (the tracks are then still consistent). */
int perf_tracks_update(struct perf_tracks *ts, const struct perf_track_env *env,
		       const struct wl_table *tab);

/* Closes and frees every track. */
void perf_tracks_free(struct perf_tracks *ts);

#endif
