/* Per-cgroup targets of the perf collector (see perf_track.h). */
#include "collectors/perf/track.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/lib/cgroup_layout.h"

/* Orders workloads by kind, cgroup path, then id. */
static int key_cmp(enum wl_kind ka, const char *ca, const char *ia,
		   enum wl_kind kb, const char *cb, const char *ib)
{
	int c;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	c = strcmp(ca, cb);
	return c ? c : strcmp(ia, ib);
}

static int track_cmp(const void *a, const void *b)
{
	const struct perf_track *x = a, *y = b;

	return key_cmp(x->kind, x->cgroup, x->id, y->kind, y->cgroup, y->id);
}

static int retry_cmp(const void *a, const void *b)
{
	const struct perf_retry *x = a, *y = b;

	return key_cmp(x->kind, x->cgroup, x->id, y->kind, y->cgroup, y->id);
}

static void track_free(struct perf_track *tr)
{
	perf_target_close(&tr->t);
	free(tr->cgroup);
	free(tr->id);
	free(tr->name);
	free(tr->runtime);
	free(tr->pod);
	free(tr->ns);
	memset(tr, 0, sizeof(*tr));
}

static void retry_free(struct perf_retry *r)
{
	free(r->cgroup);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

void perf_tracks_free(struct perf_tracks *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		track_free(&ts->v[i]);
	for (size_t i = 0; i < ts->nretry; i++)
		retry_free(&ts->retry[i]);
	free(ts->v);
	free(ts->retry);
	memset(ts, 0, sizeof(*ts));
}

/* The existing track of workload w, or NULL. */
static struct perf_track *track_find(struct perf_tracks *ts,
				     const struct workload *w)
{
	struct perf_track key = {
	    .kind = w->kind, .cgroup = (char *)w->cgroup, .id = (char *)w->id};

	if (ts->n == 0)
		return NULL;
	return bsearch(&key, ts->v, ts->n, sizeof(*ts->v), track_cmp);
}

/* The back-off of workload w, or NULL. */
static struct perf_retry *retry_find(struct perf_tracks *ts,
				     const struct workload *w)
{
	struct perf_retry key = {
	    .kind = w->kind, .cgroup = (char *)w->cgroup, .id = (char *)w->id};

	if (ts->nretry == 0)
		return NULL;
	return bsearch(&key, ts->retry, ts->nretry, sizeof(*ts->retry),
		       retry_cmp);
}

/* Carries back-off r over to next (which takes its strings). */
static void retry_keep(struct perf_retry *r, struct perf_tracks *next)
{
	r->keep = true;
	next->retry[next->nretry++] = *r;
}

/* Opens a new track for w into tr. Returns 0; -ENOENT when the cgroup is
 * gone (not an error); -EMFILE, -ENFILE or -ENOMEM when out of room; or
 * another negative errno when no CPU took the group. */
static int track_open(struct perf_track *tr, const struct perf_track_env *env,
		      const struct workload *w)
{
	const struct perf_layout *lay = w->kind == WL_VM ? env->vm : env->plain;
	char dir[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX];
	int err;

	memset(tr, 0, sizeof(*tr));
	tr->kind = w->kind;
	tr->cgroup = strdup(w->cgroup);
	tr->id = strdup(w->id);
	tr->name = strdup(w->name);
	tr->runtime = strdup(w->runtime ? w->runtime : "");
	tr->pod = strdup(w->pod ? w->pod : "");
	tr->ns = strdup(w->namespace ? w->namespace : "");
	err = perf_target_init(&tr->t, lay);
	if (err == 0 && (!tr->cgroup || !tr->id || !tr->name || !tr->runtime ||
			 !tr->pod || !tr->ns))
		err = -ENOMEM;
	if (err == 0 && (size_t)snprintf(dir, sizeof(dir), "%s%s", env->cgroot,
					 w->cgroup) >= sizeof(dir))
		err = -ENAMETOOLONG;
	if (err == 0)
		err = perf_target_sync(&tr->t, env->cpus, env->ncpu, dir);
	if (err < 0)
		track_free(tr);
	return err;
}

/* Whether w is a workload whose cgroup can be counted. */
static bool countable(const struct workload *w)
{
	return w->cgroup && cg_rel_path_valid(w->cgroup) &&
	       strcmp(w->cgroup, "/") != 0;
}

/* Carries track old over to next, re-syncing it when CPUs changed. */
static void track_keep(struct perf_track *old, struct perf_tracks *next,
		       const struct perf_track_env *env)
{
	char dir[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX];

	if (env->cpus_changed &&
	    (size_t)snprintf(dir, sizeof(dir), "%s%s", env->cgroot,
			     old->cgroup) < sizeof(dir))
		(void)perf_target_sync(&old->t, env->cpus, env->ncpu, dir);
	next->v[next->n] = *old;
	next->nfds += old->t.nfds;
	next->n++;
	old->keep = true;
}

/* Counts w as skipped this cycle, keeping its back-off r if any. */
static void skip(struct perf_tracks *next, struct perf_retry *r)
{
	if (r)
		retry_keep(r, next);
	next->skipped++;
}

/* Opens a track for the new workload w into next, unless its back-off r
 * (or NULL) says to wait. Returns 0 or -ENOMEM. */
static int add_new(struct perf_tracks *next, const struct perf_track_env *env,
		   const struct workload *w, struct perf_retry *r)
{
	struct perf_retry fresh = {.kind = w->kind, .gap = 1};
	int err;

	if (r && r->wait > 0) {
		r->wait--;
		skip(next, r);
		return 0;
	}
	next->open_tries++;
	err = track_open(&next->v[next->n], env, w);
	if (err == -ENOMEM)
		return err;
	if (err == 0) {
		/* r, not kept, is forgotten. */
		next->nfds += next->v[next->n].t.nfds;
		next->n++;
		return 0;
	}
	/* A directory that is no cgroup (EBADF from perf_event_open) stays
	 * one: not tried again while the workload lives. */
	if (err == -EBADF) {
		if (r)
			r->gap = r->wait = PERF_RETRY_NEVER;
		fresh.gap = fresh.wait = PERF_RETRY_NEVER;
	}
	/* Out of descriptors, refused, or no such directory in the hierarchy
	 * perf counts in (maybe not yet: a VM starting up): tried again after
	 * a wait that doubles with each failure, so that cgroups perf can
	 * never count cost little. */
	if (r && r->gap == PERF_RETRY_NEVER) {
		skip(next, r);
		return 0;
	}
	if (r) {
		r->gap = r->gap * 2 < PERF_RETRY_MAX_GAP ? r->gap * 2
							 : PERF_RETRY_MAX_GAP;
		r->wait = r->gap - 1;
		skip(next, r);
		return 0;
	}
	fresh.cgroup = strdup(w->cgroup);
	fresh.id = strdup(w->id);
	if (!fresh.cgroup || !fresh.id) {
		retry_free(&fresh);
		return -ENOMEM;
	}
	skip(next, &fresh);
	return 0;
}

/* Adds the workloads of list (of kind kind) to next: known ones keep their
 * groups, new ones are opened while the cap, the budget and their back-off
 * allow. Returns 0 or -ENOMEM. */
static int add_list(struct perf_tracks *ts, struct perf_tracks *next,
		    size_t cap, const struct perf_track_env *env,
		    const struct wl_list *list, enum wl_kind kind)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const struct workload *w = &list->items[i];
		const struct perf_layout *lay =
		    kind == WL_VM ? env->vm : env->plain;
		struct perf_track *old;
		struct perf_retry *r;
		int err;

		if (w->kind != kind || !countable(w))
			continue;
		old = track_find(ts, w);
		r = old ? NULL : retry_find(ts, w);
		if ((old && old->keep) || (r && r->keep))
			continue; /* listed twice */
		if (next->n == cap) {
			skip(next, r);
			continue;
		}
		if (old) {
			track_keep(old, next, env);
			continue;
		}
		if (next->nfds + lay->n * env->ncpu > env->fd_budget) {
			skip(next, r);
			continue;
		}
		err = add_new(next, env, w, r);
		if (err < 0)
			return err;
	}
	return 0;
}

int perf_tracks_update(struct perf_tracks *ts, const struct perf_track_env *env,
		       const struct wl_table *tab)
{
	const struct wl_list *vms = tab->lists[WL_SRC_LIBVIRT];
	const struct wl_list *cts = tab->lists[WL_SRC_CGROUP];
	size_t want = (vms ? vms->n : 0) + (cts ? cts->n : 0);
	size_t cap = want < env->max_cgroups ? want : env->max_cgroups;
	struct perf_tracks next = {
	    .v = calloc(cap ? cap : 1, sizeof(*next.v)),
	    .retry = calloc(want ? want : 1, sizeof(*next.retry)),
	    .open_tries = ts->open_tries,
	};
	int err;

	if (!next.v || !next.retry) {
		free(next.v);
		free(next.retry);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ts->n; i++)
		ts->v[i].keep = false;
	for (size_t i = 0; i < ts->nretry; i++)
		ts->retry[i].keep = false;
	err = add_list(ts, &next, cap, env, vms, WL_VM);
	if (err == 0)
		err = add_list(ts, &next, cap, env, cts, WL_CONTAINER);
	/* Every descriptor of a workload that left the table is closed. */
	for (size_t i = 0; i < ts->n; i++)
		if (!ts->v[i].keep)
			track_free(&ts->v[i]);
	/* So is the back-off of one that left it, or that opened. */
	for (size_t i = 0; i < ts->nretry; i++)
		if (!ts->retry[i].keep)
			retry_free(&ts->retry[i]);
	free(ts->v);
	free(ts->retry);
	qsort(next.v, next.n, sizeof(*next.v), track_cmp);
	qsort(next.retry, next.nretry, sizeof(*next.retry), retry_cmp);
	*ts = next;
	for (size_t i = 0; i < ts->n; i++)
		(void)perf_target_read(&ts->v[i].t);
	return err;
}
