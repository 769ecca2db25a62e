/* The cgroup collector: per-container CPU, memory, I/O, pids and pressure
 * figures read from the containers' cgroups (v1, v2 or hybrid), and the same
 * figures for each VM that the libvirt collector publishes, read from the
 * VM's cgroup on the host side. Publishes the containers it finds to the
 * workload table. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/cgroup/cgroup_read.h"
#include "exporter/api/base.h"
#include "collectors/cgroup/discover.h"
#include "collectors/cgroup/families.h"
#include "collectors/lib/cgroup_layout.h"
#include "collectors/cgroup/names.h"
#include "collectors/cgroup/watch.h"
#include "exporter/api/collector.h"
#include "exporter/api/log.h"
#include "exporter/api/workload.h"

static const struct snap_family ct_info = {
    .name = "virtmeter_container_info",
    .help = "Always 1 for each container found, with its runtime, image "
	    "and Kubernetes pod and namespace.",
    .type = SNAP_GAUGE,
    .labels = {"container", "id", "runtime", "image", "pod", "namespace",
	       NULL},
};

static const struct snap_family reads_fam = {
    .name = "virtmeter_cgroup_reads",
    .help = "Cgroups read by the cgroup collector, by kind: full (every "
	    "file) or probe (CPU time only: the cgroup was idle and its "
	    "other figures were carried over, see "
	    "--collector.cgroup.idle-cycles).",
    .type = SNAP_COUNTER,
    .labels = {"kind", NULL},
};

static const struct snap_family walks_fam = {
    .name = "virtmeter_cgroup_walks",
    .help = "Walks of the cgroup tree to discover containers: at start, "
	    "when inotify reports a cgroup made or removed under a watched "
	    "directory, and every 12 cycles regardless (every cycle without "
	    "inotify).",
    .type = SNAP_COUNTER,
    .labels = {NULL},
};

static const struct snap_family files_fam = {
    .name = "virtmeter_cgroup_file_reads",
    .help = "Files read by the cgroup collector. A full read skips the "
	    "memory limit (memory.max, memory.limit_in_bytes), the CPU quota "
	    "(cpu.max, cpu.cfs_quota_us, cpu.cfs_period_us) and cgroup2's "
	    "memory.events while inotify says they have not changed.",
    .type = SNAP_COUNTER,
    .labels = {NULL},
};

/* Every family, each container family beside its VM twin. */
static const struct snap_family *const cgroup_families[] = {
    &ct_info,
    &cg_ct_fams[CG_FAM_CPU], &cg_vm_fams[CG_FAM_CPU],
    &cg_ct_fams[CG_FAM_THR_SECONDS], &cg_vm_fams[CG_FAM_THR_SECONDS],
    &cg_ct_fams[CG_FAM_THR_PERIODS], &cg_vm_fams[CG_FAM_THR_PERIODS],
    &cg_ct_fams[CG_FAM_PERIODS], &cg_vm_fams[CG_FAM_PERIODS],
    &cg_ct_fams[CG_FAM_CPU_QUOTA], &cg_vm_fams[CG_FAM_CPU_QUOTA],
    &cg_ct_fams[CG_FAM_MEM_USAGE], &cg_vm_fams[CG_FAM_MEM_USAGE],
    &cg_ct_fams[CG_FAM_WORKING_SET], &cg_vm_fams[CG_FAM_WORKING_SET],
    &cg_ct_fams[CG_FAM_RSS], &cg_vm_fams[CG_FAM_RSS],
    &cg_ct_fams[CG_FAM_CACHE], &cg_vm_fams[CG_FAM_CACHE],
    &cg_ct_fams[CG_FAM_SWAP], &cg_vm_fams[CG_FAM_SWAP],
    &cg_ct_fams[CG_FAM_LIMIT], &cg_vm_fams[CG_FAM_LIMIT],
    &cg_ct_fams[CG_FAM_OOM], &cg_vm_fams[CG_FAM_OOM],
    &cg_ct_fams[CG_FAM_IO_RBYTES], &cg_vm_fams[CG_FAM_IO_RBYTES],
    &cg_ct_fams[CG_FAM_IO_WBYTES], &cg_vm_fams[CG_FAM_IO_WBYTES],
    &cg_ct_fams[CG_FAM_IO_RIOS], &cg_vm_fams[CG_FAM_IO_RIOS],
    &cg_ct_fams[CG_FAM_IO_WIOS], &cg_vm_fams[CG_FAM_IO_WIOS],
    &cg_ct_fams[CG_FAM_PIDS], &cg_vm_fams[CG_FAM_PIDS],
    &cg_ct_fams[CG_FAM_PSI_CPU_SOME], &cg_vm_fams[CG_FAM_PSI_CPU_SOME],
    &cg_ct_fams[CG_FAM_PSI_CPU_FULL], &cg_vm_fams[CG_FAM_PSI_CPU_FULL],
    &cg_ct_fams[CG_FAM_PSI_MEM_SOME], &cg_vm_fams[CG_FAM_PSI_MEM_SOME],
    &cg_ct_fams[CG_FAM_PSI_MEM_FULL], &cg_vm_fams[CG_FAM_PSI_MEM_FULL],
    &cg_ct_fams[CG_FAM_PSI_IO_SOME], &cg_vm_fams[CG_FAM_PSI_IO_SOME],
    &cg_ct_fams[CG_FAM_PSI_IO_FULL], &cg_vm_fams[CG_FAM_PSI_IO_FULL],
    &reads_fam,
    &walks_fam,
    &files_fam,
    NULL,
};

/* The collector's settings (--collector.cgroup.KEY, collectors.cgroup,
 * or the older top-level cgroup: section). */
struct cg_settings {
	unsigned long idle_cycles;
	bool io_uring;
	struct setting_list include, exclude;
};

static const struct collector_option cgroup_options[] = {
    {.key = "idle-cycles",
     .type = SETTING_UINT,
     .offset = offsetof(struct cg_settings, idle_cycles),
     .def = "3",
     .min = 1,
     .max = 1000,
     .arg = "N",
     .help = "read an idle cgroup (CPU time unchanged since its last full "
	     "read) in full only every Nth cycle, carrying its other figures "
	     "over meanwhile; 1 reads every file of every cgroup every cycle"},
    {.key = "io-uring",
     .type = SETTING_BOOL,
     .offset = offsetof(struct cg_settings, io_uring),
     .def = "true",
     .help = "read a cycle's cgroup files in batches through an io_uring, "
	     "two system calls per 16 cgroups instead of one per file (pread "
	     "where the kernel refuses io_uring)"},
    {.key = "include",
     .type = SETTING_LIST,
     .offset = offsetof(struct cg_settings, include),
     .item_max = 255,
     .arg = "PATTERNS",
     .help = "report only the containers whose name or id matches one of "
	     "these glob patterns (comma-separated on the command line; "
	     "none: every container)"},
    {.key = "exclude",
     .type = SETTING_LIST,
     .offset = offsetof(struct cg_settings, exclude),
     .item_max = 255,
     .arg = "PATTERNS",
     .help = "leave out the containers whose name or id matches one of "
	     "these glob patterns (after include)"},
    {.key = NULL},
};

/* One cgroup followed across cycles: a container or a VM. */
struct cg_track {
	char *rel;  /* cgroup path relative to the hierarchies' roots */
	char *id;   /* container id or VM UUID */
	char *name; /* container or VM name */
	/* Containers only, "" if unknown: the image (on the info series),
	 * the Kubernetes pod and namespace (on every series). */
	char *image, *pod, *ns;
	enum cg_runtime runtime;
	struct cgr_files files;
	/* The figures of the last full read (its I/O devices only), and the
	 * cycles since then in which the cgroup stayed idle. */
	struct cgr_stats *last;
	unsigned idle;
	bool moved; /* handed over to the next cycle's array */
};

struct cg_tracks {
	struct cg_track *v;
	size_t n;
};

struct cg_state {
	struct cg_layout layout;
	struct cg_filter filter; /* points into the settings */
	double hz;
	struct cg_tracks ct; /* containers, sorted by rel */
	struct cg_tracks vm; /* VMs */
	struct cg_watch watch; /* when the tree must be walked again */
	struct cg_fwatch fwatch; /* memory and CPU limits, memory.events */
	unsigned idle_cycles;  /* --collector.cgroup.idle-cycles */
	double full_reads, probe_reads, walks;
	struct cgr_batch batch;
	struct cgr_stats stats[CGR_BATCH]; /* one batch's figures */
	int errs[CGR_BATCH];		   /* 0, or -ENOENT: gone */
	bool carried[CGR_BATCH];	   /* idle: the last full read served */
};

/* Closes and frees one tracked cgroup. */
static void track_free(struct cg_track *t)
{
	cgr_close(&t->files);
	free(t->last);
	free(t->rel);
	free(t->id);
	free(t->name);
	free(t->image);
	free(t->pod);
	free(t->ns);
	memset(t, 0, sizeof(*t));
}

static void tracks_free(struct cg_tracks *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		track_free(&ts->v[i]);
	free(ts->v);
	ts->v = NULL;
	ts->n = 0;
}

static void cgroup_fini(void *state)
{
	struct cg_state *st = state;

	if (!st)
		return;
	tracks_free(&st->ct);
	tracks_free(&st->vm);
	cg_fwatch_close(&st->fwatch); /* after the tracks dropped their watches */
	cg_watch_close(&st->watch);
	wl_publish(WL_SRC_CGROUP, NULL);
	cgr_batch_fini(&st->batch);
	free(st);
}

extern const struct collector cgroup_collector;

static int cgroup_init(const struct collector_env *env, void **state)
{
	struct cg_state *st = calloc(1, sizeof(*st));
	long hz = sysconf(_SC_CLK_TCK);
	const struct cg_settings *set = env->settings;
	int err;

	if (!st)
		return -ENOMEM;
	st->idle_cycles = (unsigned)set->idle_cycles;
	/* The settings outlive the collector: main replaces them only while
	 * collectors are stopped. */
	st->filter = (struct cg_filter){
		(const char *const *)set->include.v, set->include.n,
		(const char *const *)set->exclude.v, set->exclude.n};
	st->hz = hz > 0 ? (double)hz : 100.0;
	err = cg_layout_detect(env->cgroupfs, &st->layout);
	if (err < 0) {
		collector_error("no cgroup hierarchy found under %s: %s",
				env->cgroupfs, strerror(-err));
		free(st);
		return err;
	}
	err = cgr_batch_init(&st->batch, st->hz, set->io_uring);
	if (err < 0) {
		free(st);
		return err;
	}
	if (br_uses_ring(&st->batch.br))
		log_debug("cgroup: reading through an io_uring");
	else
		log_info("cgroup: io_uring %s: reading each cgroup file with "
			 "its own pread", st->batch.br.why_not);
	cg_watch_init(&st->watch);
	cg_fwatch_init(&st->fwatch);
	log_debug("cgroup: %s layout under %s",
		  cg_mode_name(st->layout.mode), env->cgroupfs);
	*state = st;
	return 0;
}

/* Copies s, or "" for NULL; NULL without memory. */
static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* Fills t from container c (whose names were resolved). Returns 0 or
 * -ENOMEM (t is then freed). */
static int track_from_container(struct cg_track *t,
				const struct cg_container *c)
{
	memset(t, 0, sizeof(*t));
	cgr_files_init(&t->files);
	t->runtime = c->runtime;
	t->rel = dup_or_empty(c->rel_path);
	t->id = dup_or_empty(c->id);
	t->name = dup_or_empty(c->name);
	t->image = dup_or_empty(c->image);
	t->pod = dup_or_empty(c->pod);
	t->ns = dup_or_empty(c->namespace);
	if (!t->rel || !t->id || !t->name || !t->image || !t->pod || !t->ns) {
		track_free(t);
		return -ENOMEM;
	}
	return 0;
}

static int track_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cg_track *)a)->rel,
		      ((const struct cg_track *)b)->rel);
}

/* Returns the tracked container at rel in ts (sorted), or NULL. */
static struct cg_track *track_find(struct cg_tracks *ts, const char *rel)
{
	struct cg_track key = {.rel = (char *)rel};

	if (ts->n == 0)
		return NULL;
	return bsearch(&key, ts->v, ts->n, sizeof(*ts->v), track_cmp);
}

/* Replaces the tracked containers with those of list: known ones keep
 * their descriptors and names, new ones get their names resolved once, and
 * vanished ones are closed. Returns 0, or -ENOMEM (then the old set is
 * kept, or the new one lacks the containers that could not be copied). */
static int update_containers(struct cg_state *st, struct cg_list *list)
{
	struct cg_tracks next = {calloc(list->n ? list->n : 1, sizeof(*next.v)),
				 0};
	struct cg_track *old;
	int err = 0;

	if (!next.v)
		return -ENOMEM;
	for (size_t i = 0; i < list->n; i++) {
		struct cg_container *c = &list->items[i];

		old = track_find(&st->ct, c->rel_path);
		if (old && !old->moved && strcmp(old->id, c->id) == 0) {
			next.v[next.n++] = *old;
			old->moved = true; /* skipped by the sweep below */
			continue;
		}
		/* Names cost a state-file read: only for new containers. The
		 * Kubernetes pod and namespace come with them (labels of
		 * every series of the container, "" when the state does not
		 * say); they are fixed for a container id, so they are never
		 * looked up again. */
		cg_names_resolve(NULL, c);
		/* Without memory the container waits for the next cycle. */
		if (track_from_container(&next.v[next.n], c) < 0)
			err = -ENOMEM;
		else
			next.n++;
	}
	for (size_t i = 0; i < st->ct.n; i++)
		if (!st->ct.v[i].moved)
			track_free(&st->ct.v[i]);
	free(st->ct.v);
	qsort(next.v, next.n, sizeof(*next.v), track_cmp);
	st->ct = next;
	return err;
}

/* Adds the per-device I/O samples of s with label values lbl[0..nl) and
 * the device (lbl has room for it) to out, from the family table fams
 * (cg_ct_fams or cg_vm_fams). */
static void emit_io(struct snap_set *out, const struct snap_family *fams,
		    const char **lbl, size_t nl, const struct cgr_stats *s)
{
	char dev[32];

	for (size_t d = 0; d < s->nio; d++) {
		const struct cg_io_dev *io = &s->io[d];

		snprintf(dev, sizeof(dev), "%u:%u", io->major, io->minor);
		lbl[nl] = dev;
		if (io->present & CG_IO_RBYTES)
			snap_add_array(out, &fams[CG_FAM_IO_RBYTES],
				       (double)io->rbytes, lbl, nl + 1);
		if (io->present & CG_IO_WBYTES)
			snap_add_array(out, &fams[CG_FAM_IO_WBYTES],
				       (double)io->wbytes, lbl, nl + 1);
		if (io->present & CG_IO_RIOS)
			snap_add_array(out, &fams[CG_FAM_IO_RIOS],
				       (double)io->rios, lbl, nl + 1);
		if (io->present & CG_IO_WIOS)
			snap_add_array(out, &fams[CG_FAM_IO_WIOS],
				       (double)io->wios, lbl, nl + 1);
	}
}

/* Adds the samples of s with label values lbl[0..nl) to out, from the
 * family table fams, cg_ct_fams or cg_vm_fams (lbl has room for one more
 * label). */
static void emit(struct snap_set *out, const struct snap_family *fams,
		 const char **lbl, size_t nl, const struct cgr_stats *s)
{
	/* The families of each entry of s->psi, in its order: cpu, memory, io. */
	static const struct {
		unsigned bit;
		enum cg_fam some, full;
	} psi_fams[] = {
	    {CGR_HAVE_PSI_CPU, CG_FAM_PSI_CPU_SOME, CG_FAM_PSI_CPU_FULL},
	    {CGR_HAVE_PSI_MEM, CG_FAM_PSI_MEM_SOME, CG_FAM_PSI_MEM_FULL},
	    {CGR_HAVE_PSI_IO, CG_FAM_PSI_IO_SOME, CG_FAM_PSI_IO_FULL},
	};
	const struct {
		unsigned bit;
		enum cg_fam fam;
		double v;
	} plain[] = {
	    {CGR_HAVE_THROTTLE, CG_FAM_THR_SECONDS, s->throttled_s},
	    {CGR_HAVE_THROTTLE, CG_FAM_THR_PERIODS, s->throttled_periods},
	    {CGR_HAVE_THROTTLE, CG_FAM_PERIODS, s->periods},
	    {CGR_HAVE_QUOTA, CG_FAM_CPU_QUOTA, s->quota_cpus},
	    {CGR_HAVE_MEM, CG_FAM_MEM_USAGE, s->mem_usage},
	    {CGR_HAVE_MEM_STAT, CG_FAM_WORKING_SET, s->working_set},
	    {CGR_HAVE_MEM_STAT, CG_FAM_RSS, s->rss},
	    {CGR_HAVE_MEM_STAT, CG_FAM_CACHE, s->cache},
	    {CGR_HAVE_SWAP, CG_FAM_SWAP, s->swap},
	    {CGR_HAVE_LIMIT, CG_FAM_LIMIT, s->limit},
	    {CGR_HAVE_OOM, CG_FAM_OOM, s->oom_kills},
	    {CGR_HAVE_PIDS, CG_FAM_PIDS, s->pids},
	};

	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		if (s->present & plain[i].bit)
			snap_add_array(out, &fams[plain[i].fam], plain[i].v,
				       lbl, nl);
	for (size_t p = 0; p < ARRAY_SIZE(psi_fams); p++) {
		if (!(s->present & psi_fams[p].bit))
			continue;
		snap_add_array(out, &fams[psi_fams[p].some],
			       (double)s->psi[p].some_total_us / 1e6, lbl, nl);
		if (s->psi[p].has_full)
			snap_add_array(out, &fams[psi_fams[p].full],
				       (double)s->psi[p].full_total_us / 1e6,
				       lbl, nl);
	}
	if (s->present & CGR_HAVE_CPU) {
		lbl[nl] = "user";
		snap_add_array(out, &fams[CG_FAM_CPU], s->user_s, lbl, nl + 1);
		lbl[nl] = "system";
		snap_add_array(out, &fams[CG_FAM_CPU], s->system_s, lbl,
			       nl + 1);
	}
	emit_io(out, fams, lbl, nl, s);
}

/* Keeps a copy of s (its I/O devices only) as t's last full read. */
static void keep_last(struct cg_track *t, const struct cgr_stats *s)
{
	size_t size = offsetof(struct cgr_stats, io) + s->nio * sizeof(s->io[0]);
	struct cgr_stats *p = realloc(t->last, size);

	if (!p) { /* the next cycle reads in full */
		free(t->last);
		t->last = NULL;
		return;
	}
	memcpy(p, s, size);
	t->last = p;
	t->idle = 0;
}

/* Whether t's cgroup, probed into s, may skip its full read: its CPU time
 * has not moved since the last full read (no task of it ran, so little
 * else can have changed), that read is less than idle_cycles old, and
 * inotify reported no write to a limit since (a new limit shows at the
 * next cycle, idle or not). */
static bool stays_idle(const struct cg_state *st, const struct cg_track *t,
		       const struct cgr_stats *s)
{
	return t->last && (s->present & CGR_HAVE_PROBE) &&
	       (t->last->present & CGR_HAVE_PROBE) &&
	       s->probe == t->last->probe && t->idle + 1 < st->idle_cycles &&
	       !cgr_watched_changed(&t->files);
}

/* Reads the cgroups of ts[0..n) (n at most CGR_BATCH) into st->stats,
 * st->errs[k] saying for each whether it could: 0, or -ENOENT when the
 * cgroup is gone or going (skipped this cycle). Each cgroup is opened if
 * needed and probed (its CPU time); those that moved, or whose last full
 * read is idle_cycles old, are read in full, the others carry the last
 * full read's figures over. Returns 0 or -ENOMEM. */
static int read_batch(struct cg_state *st, struct cg_track *ts, size_t n)
{
	struct cgr_batch *b = &st->batch;
	int err;

	for (size_t k = 0; k < n; k++) {
		struct cg_track *t = &ts[k];

		st->errs[k] = 0;
		st->carried[k] = false;
		if (!t->files.open) {
			free(t->last);
			t->last = NULL;
			if (cgr_open(&st->layout, t->rel, &st->fwatch,
				     &t->files) < 0) {
				st->errs[k] = -ENOENT;
				continue;
			}
		}
		cgr_queue_probe(b, &t->files, &st->stats[k]);
	}
	err = cgr_batch_run(b);
	for (size_t k = 0; k < n && err == 0; k++) {
		struct cg_track *t = &ts[k];
		struct cgr_stats *s = &st->stats[k];

		if (st->errs[k] < 0)
			continue;
		if (!t->files.open) {
			st->errs[k] = -ENOENT;
		} else if (stays_idle(st, t, s)) {
			memcpy(s, t->last, offsetof(struct cgr_stats, io) +
					       t->last->nio * sizeof(s->io[0]));
			t->idle++;
			st->probe_reads++;
			st->carried[k] = true;
		} else {
			cgr_queue_rest(b, &t->files, s, t->last);
		}
	}
	if (err == 0)
		err = cgr_batch_run(b);
	for (size_t k = 0; k < n && err == 0; k++) {
		if (st->errs[k] < 0 || st->carried[k])
			continue;
		if (!ts[k].files.open) {
			st->errs[k] = -ENOENT;
		} else {
			keep_last(&ts[k], &st->stats[k]);
			st->full_reads++;
		}
	}
	return err;
}

/* Emits every tracked container and adds it to the workload list wl.
 * Returns 0 or -ENOMEM. */
static int collect_containers(struct cg_state *st, struct snap_set *out,
			      struct wl_list *wl)
{
	for (size_t i = 0; i < st->ct.n; i += CGR_BATCH) {
		size_t n = st->ct.n - i < CGR_BATCH ? st->ct.n - i : CGR_BATCH;
		int err = read_batch(st, &st->ct.v[i], n);

		if (err < 0)
			return err;
		for (size_t k = 0; k < n; k++) {
			struct cg_track *t = &st->ct.v[i + k];
			const char *rt = cg_runtime_name(t->runtime);
			const char *lbl[SNAP_MAX_LABELS] = {
			    [WL_CT_CONTAINER] = t->name,
			    [WL_CT_ID] = t->id,
			    [WL_CT_RUNTIME] = rt,
			    [WL_CT_POD] = t->pod,
			    [WL_CT_NAMESPACE] = t->ns,
			};
			struct workload w = {.kind = WL_CONTAINER, .id = t->id,
					     .name = t->name, .runtime = rt,
					     .pod = t->pod,
					     .namespace = t->ns,
					     .cgroup = t->rel};

			if (st->errs[k] < 0)
				continue;
			snap_add(out, &ct_info, 1, t->name, t->id, rt, t->image,
				 t->pod, t->ns);
			emit(out, cg_ct_fams, lbl, WL_CT_NLABELS,
			     &st->stats[k]);
			wl_list_add(wl, &w);
		}
	}
	return 0;
}

/* Returns the tracked VM with id and cgroup rel, or NULL. */
static struct cg_track *vm_find(struct cg_tracks *ts, const char *id,
				const char *rel)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!ts->v[i].moved && strcmp(ts->v[i].id, id) == 0 &&
		    strcmp(ts->v[i].rel, rel) == 0)
			return &ts->v[i];
	return NULL;
}

/* Replaces the tracked VMs with the VMs of the workload table that have a
 * cgroup, keeping the descriptors of known ones. Returns 0 or -ENOMEM
 * (VMs that could not be copied are left out). */
static int update_vms(struct cg_state *st, const struct wl_list *vms)
{
	size_t n = vms ? vms->n : 0;
	struct cg_tracks next = {calloc(n ? n : 1, sizeof(*next.v)), 0};
	int err = 0;

	if (!next.v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct workload *w = &vms->items[i];
		struct cg_track *old, *t = &next.v[next.n];

		if (w->kind != WL_VM || !w->cgroup || !cg_rel_path_valid(w->cgroup))
			continue;
		old = vm_find(&st->vm, w->id, w->cgroup);
		if (old) {
			*t = *old;
			old->moved = true;
		} else {
			memset(t, 0, sizeof(*t));
			cgr_files_init(&t->files);
			t->rel = strdup(w->cgroup);
			t->id = strdup(w->id);
		}
		/* A VM may be renamed while its cgroup stays. */
		free(t->name);
		t->name = strdup(w->name);
		if (!t->rel || !t->id || !t->name) {
			/* Without memory the VM waits for the next cycle. */
			track_free(t);
			err = -ENOMEM;
			continue;
		}
		next.n++;
	}
	for (size_t i = 0; i < st->vm.n; i++)
		if (!st->vm.v[i].moved)
			track_free(&st->vm.v[i]);
	free(st->vm.v);
	st->vm = next;
	return err;
}

/* Emits the host-side cgroup figures of each VM of the workload table. */
static int collect_vms(struct cg_state *st, struct snap_set *out)
{
	struct wl_table *tab = wl_current();
	int err;

	if (!tab)
		return -ENOMEM;
	err = update_vms(st, tab->lists[WL_SRC_LIBVIRT]);
	wl_table_unref(tab);
	if (err < 0)
		return err;
	for (size_t i = 0; i < st->vm.n; i += CGR_BATCH) {
		size_t n = st->vm.n - i < CGR_BATCH ? st->vm.n - i : CGR_BATCH;

		err = read_batch(st, &st->vm.v[i], n);
		if (err < 0)
			return err;
		for (size_t k = 0; k < n; k++) {
			const char *lbl[SNAP_MAX_LABELS] = {st->vm.v[i + k].name};

			if (st->errs[k] == 0)
				emit(out, cg_vm_fams, lbl, 1, &st->stats[k]);
		}
	}
	return 0;
}

/* Walks the tree and brings the tracked containers up to date; watches
 * every directory walked. Returns 0 or a negative errno. */
static int rediscover(struct cg_state *st)
{
	struct cg_discover_limits lim = {.on_dir = cg_watch_dir,
					 .arg = &st->watch};
	struct cg_list list;
	int err = cg_discover(&st->layout, &lim, &list);

	if (err < 0) {
		collector_error("cannot walk the cgroup hierarchy: %s",
				strerror(-err));
		goto out;
	}
	if (list.truncated)
		log_debug("cgroup: discovery bound reached, some containers "
			  "left out");
	cg_list_filter(&list, &st->filter);
	err = update_containers(st, &list);
	if (err == 0)
		cg_watch_walked(&st->watch);
	st->walks++;
out:
	cg_discover_free(&list);
	return err;
}

static int cgroup_collect(void *state, struct snap_set *out)
{
	struct cg_state *st = state;
	struct wl_list *wl = NULL;
	int err = 0;

	cg_fwatch_poll(&st->fwatch);
	if (cg_watch_changed(&st->watch))
		err = rediscover(st);
	if (err < 0)
		goto out;
	wl = wl_list_new();
	if (!wl) {
		err = -ENOMEM;
		goto out;
	}
	err = collect_containers(st, out, wl);
	if (err == 0)
		err = collect_vms(st, out);
	snap_add(out, &reads_fam, st->full_reads, "full");
	snap_add(out, &reads_fam, st->probe_reads, "probe");
	snap_add0(out, &walks_fam, st->walks);
	snap_add0(out, &files_fam, st->batch.files_read);
	if (err == 0 && wl->err == 0)
		err = wl_publish(WL_SRC_CGROUP, wl);
	if (err == 0)
		err = out->err;
out:
	wl_list_unref(wl);
	return err;
}

const struct collector cgroup_collector = {
    .name = "cgroup",
    .help = "per-container and per-VM CPU, memory, I/O, pids and pressure "
	    "from the cgroup filesystem",
    .default_enabled = true,
    .interval_ms = 5000,
    .timeout_ms = 10000,
    .families = cgroup_families,
    .options = cgroup_options,
    .settings_size = sizeof(struct cg_settings),
    .section = "cgroup",
    .init = cgroup_init,
    .collect = cgroup_collect,
    .fini = cgroup_fini,
};
