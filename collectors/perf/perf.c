/* The perf collector: hardware and software performance counters through
 * libpfm4 and perf_event, for the host (every online CPU, summed), for each
 * container and for each VM (cycles and instructions split into guest and
 * host mode where the PMU separates them). Event groups are kept open
 * across cycles and read with one read() per CPU per target. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/lib/cgroup_layout.h"
#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "collectors/lib/procfs.h"
#include "collectors/perf/events.h"
#include "collectors/perf/group.h"
#include "collectors/perf/layout.h"
#include "collectors/perf/track.h"
#include "exporter/api/log.h"
#include "exporter/api/workload.h"

/* Descriptors left to the rest of the daemon (cgroup files, libvirt)
 * when the perf collector sizes its budget, besides those of the HTTP
 * server (env->fd_reserve). */
#define PERF_FD_RESERVE 1024

static const struct snap_family fam_supported = {
    .name = "virtmeter_perf_event_supported",
    .help = "1 if this host can count the configured event, 0 if not (the "
	    "reason is logged once at start).",
    .type = SNAP_GAUGE,
    .labels = {"event", NULL},
};

static const struct snap_family fam_split = {
    .name = "virtmeter_perf_mode_split_supported",
    .help = "1 if the event of a VM is counted apart in guest and host "
	    "mode, 0 if the PMU or hypervisor cannot separate them (the VM "
	    "series then carry mode=\"all\").",
    .type = SNAP_GAUGE,
    .labels = {"event", NULL},
};

static const struct snap_family fam_host = {
    .name = "virtmeter_host_perf_events",
    .help = "Events counted on the whole host, summed over online CPUs and "
	    "scaled for multiplexing (the clocks are in "
	    "virtmeter_host_perf_event_seconds_total).",
    .type = SNAP_COUNTER,
    .labels = {"event", NULL},
};

static const struct snap_family fam_host_s = {
    .name = "virtmeter_host_perf_event_seconds",
    .help = "Time counted by a clock event (task-clock, cpu-clock) on the "
	    "whole host, summed over online CPUs.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"event", NULL},
};

static const struct snap_family fam_host_ratio = {
    .name = "virtmeter_host_perf_scaling_ratio",
    .help = "Share of the last interval the host's event group was on the "
	    "PMU (time_running / time_enabled; 1 without multiplexing).",
    .type = SNAP_GAUGE,
    .labels = {"event", NULL},
};

static const struct snap_family fam_vm = {
    .name = "virtmeter_vm_perf_events",
    .help = "Events counted on the VM's cgroup, scaled for multiplexing; "
	    "mode guest or host where the PMU separates them (host mode is "
	    "the VM's virtualization overhead), else all.",
    .type = SNAP_COUNTER,
    .labels = {"vm", "event", "mode", NULL},
};

static const struct snap_family fam_vm_s = {
    .name = "virtmeter_vm_perf_event_seconds",
    .help = "Time counted by a clock event (task-clock, cpu-clock) on the "
	    "VM's cgroup.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"vm", "event", NULL},
};

static const struct snap_family fam_vm_ratio = {
    .name = "virtmeter_vm_perf_scaling_ratio",
    .help = "Share of the last interval the VM's event group was on the "
	    "PMU (time_running / time_enabled).",
    .type = SNAP_GAUGE,
    .labels = {"vm", "event", NULL},
};

static const struct snap_family fam_ct = {
    .name = "virtmeter_container_perf_events",
    .help = "Events counted on the container's cgroup, scaled for "
	    "multiplexing.",
    .type = SNAP_COUNTER,
    .labels = {"container", "id", "runtime", "pod", "namespace", "event", NULL},
};

static const struct snap_family fam_ct_s = {
    .name = "virtmeter_container_perf_event_seconds",
    .help = "Time counted by a clock event (task-clock, cpu-clock) on the "
	    "container's cgroup.",
    .type = SNAP_COUNTER,
    .unit = "seconds",
    .labels = {"container", "id", "runtime", "pod", "namespace", "event", NULL},
};

static const struct snap_family fam_ct_ratio = {
    .name = "virtmeter_container_perf_scaling_ratio",
    .help = "Share of the last interval the container's event group was on "
	    "the PMU (time_running / time_enabled).",
    .type = SNAP_GAUGE,
    .labels = {"container", "id", "runtime", "pod", "namespace", "event", NULL},
};

static const struct snap_family fam_counted = {
    .name = "virtmeter_perf_cgroups_counted",
    .help = "VM and container cgroups whose events are counted.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family fam_skipped = {
    .name = "virtmeter_perf_cgroups_skipped",
    .help = "VM and container cgroups left uncounted this cycle: past the "
	    "max_cgroups cap or the descriptor budget, or a cgroup that could "
	    "not be opened for counting.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family fam_fds = {
    .name = "virtmeter_perf_open_fds",
    .help = "perf_event descriptors the perf collector holds open.",
    .type = SNAP_GAUGE,
    .labels = {NULL},
};

static const struct snap_family *const perf_families[] = {
    &fam_supported, &fam_split,	  &fam_host,	 &fam_host_s, &fam_host_ratio,
    &fam_vm,	    &fam_vm_s,	  &fam_vm_ratio, &fam_ct,     &fam_ct_s,
    &fam_ct_ratio,  &fam_counted, &fam_skipped,	 &fam_fds,    NULL,
};

/* The collector's settings (--collector.perf.KEY, collectors.perf, or
 * the older top-level perf: section). */
struct perf_settings {
	struct setting_list events;
	unsigned long max_cgroups;
};

static const struct collector_option perf_options[] = {
    {.key = "events",
     .type = SETTING_LIST,
     .offset = offsetof(struct perf_settings, events),
     .def = "cycles,instructions,dTLB-load-misses,iTLB-load-misses,"
	    "cache-misses,task-clock,page-faults,context-switches",
     .max = PERF_MAX_EVENTS,
     .item_max = PERF_EVENT_NAME_MAX - 1,
     .arg = "LIST",
     .help = "event names in libpfm4 syntax (e.g. "
	     "DTLB_LOAD_MISSES:WALK_COMPLETED), comma-separated on the "
	     "command line",
     .check = perf_events_check_name},
    {.key = "max-cgroups",
     .type = SETTING_UINT,
     .offset = offsetof(struct perf_settings, max_cgroups),
     .def = "256",
     .min = 0,
     .max = 100000,
     .arg = "N",
     .help = "count at most N VM and container cgroups (VMs first)"},
    {.key = NULL},
};

extern const struct collector perf_collector;

struct perf_state {
	const char *sysfs;
	char cgroot[CG_LAYOUT_PATH_MAX]; /* "" when no usable hierarchy */
	struct perf_event_def ev[PERF_MAX_EVENTS];
	size_t nev;
	struct perf_layout plain, vm;
	int cpus[PROCFS_MAX_CPUS];
	size_t ncpu;
	int online_fd;
	char *buf;
	size_t cap;
	struct perf_target host;
	struct perf_tracks tracks;
	size_t max_cgroups, fd_budget;
	bool any_supported;
	struct log_once cgroot_log;
};

/* Copies the configured events into st (the settings checked their
 * names, count and repeats). */
static void choose_events(struct perf_state *st,
			  const struct perf_settings *set)
{
	for (size_t i = 0; i < set->events.n && st->nev < PERF_MAX_EVENTS; i++)
		snprintf(st->ev[st->nev++].name, PERF_EVENT_NAME_MAX, "%s",
			 set->events.v[i]);
}

/* Raises the soft descriptor limit to the hard one and sizes the budget of
 * the per-cgroup groups from it, leaving reserve descriptors to the HTTP
 * server. */
static void size_fd_budget(struct perf_state *st, size_t reserve)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		st->fd_budget = 0;
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = {rl.rlim_max, rl.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 24)
		rl.rlim_cur = 1u << 24;
	st->fd_budget = rl.rlim_cur > PERF_FD_RESERVE + reserve
			    ? (size_t)(rl.rlim_cur - PERF_FD_RESERVE - reserve)
			    : 0;
}

/* Re-reads the online CPUs into st->cpus; *changed tells whether the set
 * differs from the last one. Without the sysfs file, CPUs 0..n-1 of
 * sysconf are used. Returns 0 or a negative errno (st->cpus kept). */
static int read_cpus(struct perf_state *st, bool *changed)
{
	int next[PROCFS_MAX_CPUS];
	size_t n = 0;
	ssize_t len;
	int err;

	*changed = false;
	if (st->online_fd >= 0) {
		len = procfs_read_fd_grow(st->online_fd, &st->buf, &st->cap,
					  64 * 1024);
		if (len < 0)
			return (int)len;
		err = procfs_parse_cpus(st->buf, (size_t)len, next,
					  PROCFS_MAX_CPUS, &n);
		if (err < 0)
			return err;
	} else {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		for (long i = 0; i < c && i < PROCFS_MAX_CPUS; i++)
			next[n++] = (int)i;
	}
	if (n == st->ncpu && memcmp(next, st->cpus, n * sizeof(*next)) == 0)
		return 0;
	memcpy(st->cpus, next, n * sizeof(*next));
	st->ncpu = n;
	*changed = true;
	return 0;
}

/* The hierarchy whose directories perf_event_open accepts as cgroups: a
 * v1 perf_event hierarchy if mounted (cgroup2 fds are refused while it
 * is), else the cgroup2 tree. */
static void find_cgroot(struct perf_state *st, const char *cgroupfs)
{
	static const struct {
		const char *sub, *probe;
	} roots[] = {
	    {"/perf_event", "/perf_event/cgroup.procs"},
	    {"", "/cgroup.controllers"},
	    {"/unified", "/unified/cgroup.controllers"},
	};
	char path[CG_LAYOUT_PATH_MAX];
	struct stat sb;

	st->cgroot[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s%s", cgroupfs, roots[i].probe);
		if (stat(path, &sb) == 0) {
			snprintf(st->cgroot, sizeof(st->cgroot), "%s%s",
				 cgroupfs, roots[i].sub);
			return;
		}
	}
}

/* Reads kernel.perf_event_paranoid, or returns 99 if unreadable. */
static int paranoid_level(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int v = 99;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 99;
		fclose(f);
	}
	return v;
}

/* The words that name what counting needs, for the log. */
static void need_privilege(char *out, size_t size)
{
	snprintf(out, size,
		 "not permitted to open counters: virtmeter needs CAP_PERFMON "
		 "(CAP_SYS_ADMIN before Linux 5.8) or "
		 "kernel.perf_event_paranoid <= 0 (now %d)",
		 paranoid_level());
}

/* Whether ev was refused for lack of privilege. */
static bool denied(const struct perf_event_def *ev)
{
	return strncmp(ev->reason, "not permitted", 13) == 0;
}

/* Whether the unsupported events of st and their reasons differ from
 * what the last call said, over the whole process: a reload with the same
 * events does not say it all again. */
static bool news(const struct perf_state *st)
{
	static char said[2048];
	char now[sizeof(said)];
	size_t o = 0;
	int n;

	now[0] = '\0';
	for (size_t i = 0; i < st->nev && o < sizeof(now); i++) {
		if (st->ev[i].supported)
			continue;
		n = snprintf(now + o, sizeof(now) - o, "%s=%s;", st->ev[i].name,
			     st->ev[i].reason);
		o += n > 0 ? (size_t)n : 0;
	}
	if (o < sizeof(now))
		snprintf(now + o, sizeof(now) - o, "%d", st->any_supported);
	if (strcmp(now, said) == 0)
		return false;
	memcpy(said, now, sizeof(said));
	return true;
}

/* Logs the events this host cannot count, once: one line per event, and
 * one line for all those refused for lack of privilege (left to the
 * collector's failure line when nothing at all can be counted). */
static void log_unsupported(const struct perf_state *st)
{
	char names[512] = "", need[256];
	size_t o = 0;

	if (!news(st))
		return;
	for (size_t i = 0; i < st->nev; i++) {
		const struct perf_event_def *ev = &st->ev[i];

		if (ev->supported)
			continue;
		if (denied(ev)) {
			int n = snprintf(names + o, sizeof(names) - o, "%s%s",
					 o ? ", " : "", ev->name);

			if (n > 0 && (size_t)n < sizeof(names) - o)
				o += (size_t)n;
			continue;
		}
		if (!ev->resolved)
			log_warn("perf: event %s is not counted: %s", ev->name,
				 ev->reason);
		else
			log_info("perf: event %s is not counted: %s", ev->name,
				 ev->reason);
	}
	if (o && st->any_supported) {
		need_privilege(need, sizeof(need));
		log_warn("perf: %s; not counted: %s", need, names);
	}
}

/* Probes every event on the first online CPU; sets st->any_supported. */
static void probe_events(struct perf_state *st)
{
	st->any_supported = false;
	for (size_t i = 0; i < st->nev; i++) {
		struct perf_event_def *ev = &st->ev[i];

		if (!ev->resolved || st->ncpu == 0)
			continue;
		if (perf_events_probe(ev, st->cpus[0], st->sysfs) == 0)
			st->any_supported = true;
	}
}

static void perf_fini(void *state)
{
	struct perf_state *st = state;

	if (!st)
		return;
	perf_tracks_free(&st->tracks);
	perf_target_close(&st->host);
	if (st->online_fd >= 0)
		close(st->online_fd);
	free(st->buf);
	free(st);
}

/* Opens <sysfs>/devices/system/cpu/online into st->online_fd (-1 when
 * absent) and reads it once. */
static int open_cpus(struct perf_state *st)
{
	char path[CG_LAYOUT_PATH_MAX];
	bool changed;

	snprintf(path, sizeof(path), "%s/devices/system/cpu/online", st->sysfs);
	st->online_fd = open(path, O_RDONLY | O_CLOEXEC);
	return read_cpus(st, &changed);
}

static int perf_init(const struct collector_env *env, void **state)
{
	struct perf_state *st = calloc(1, sizeof(*st));
	char why[256];
	int err;

	if (!st)
		return -ENOMEM;
	st->sysfs = env->sysfs;
	st->online_fd = -1;
	err = perf_events_init(why, sizeof(why));
	if (err < 0) {
		collector_error("perf: %s", why);
		goto fail;
	}
	st->max_cgroups = ((const struct perf_settings *)env->settings)->max_cgroups;
	choose_events(st, env->settings);
	err = open_cpus(st);
	if (err < 0) {
		collector_error(
		    "perf: cannot read the online CPUs under %s: %s",
		    env->sysfs, strerror(-err));
		goto fail;
	}
	for (size_t i = 0; i < st->nev; i++)
		(void)perf_events_resolve(&st->ev[i]);
	probe_events(st);
	log_unsupported(st);
	perf_layouts_build(st->ev, st->nev, &st->plain, &st->vm);
	size_fd_budget(st, env->fd_reserve);
	find_cgroot(st, env->cgroupfs);
	err = perf_target_init(&st->host, &st->plain);
	if (err < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	perf_fini(st);
	return err;
}

/* When nothing could be counted at start (no privilege yet), probes again
 * quietly. Returns 0 once something can be counted, else a negative errno
 * with the reason recorded for the scheduler's log line. */
static int retry_probe(struct perf_state *st)
{
	const char *reason = "";
	char need[256];

	if (st->any_supported)
		return 0;
	probe_events(st);
	if (st->any_supported) {
		perf_layouts_build(st->ev, st->nev, &st->plain, &st->vm);
		/* The host's totals are sized for the layout: start again. */
		perf_target_close(&st->host);
		if (perf_target_init(&st->host, &st->plain) < 0)
			return -ENOMEM;
		log_info("perf: counters can now be opened");
		return 0;
	}
	for (size_t i = 0; i < st->nev; i++) {
		if (denied(&st->ev[i])) {
			need_privilege(need, sizeof(need));
			collector_error("perf: %s", need);
			return -EACCES;
		}
		if (st->ev[i].reason[0] && !reason[0])
			reason = st->ev[i].reason;
	}
	collector_error("perf: no configured event can be counted on this "
			"host: %s",
			reason[0] ? reason : "no event configured");
	return -ENOENT;
}

/* The label of a slot's mode. */
static const char *mode_name(enum perf_mode m)
{
	return m == PERF_MODE_GUEST  ? "guest"
	       : m == PERF_MODE_HOST ? "host"
				     : "all";
}

/* Adds the total of slot i of target t for workload tr (NULL: the host):
 * a clock's nanoseconds as seconds, converted once (never split, so a
 * VM's clock has no mode), any other event's count as it is. */
static void emit_total(const struct perf_state *st, struct snap_set *out,
		       const struct perf_target *t, size_t i,
		       const struct perf_track *tr)
{
	const struct perf_layout *lay = t->lay;
	const char *ev = st->ev[lay->ev[i]].name;
	double n = (double)t->total[i];

	if (perf_events_is_clock(&lay->attr[i])) {
		double s = clock_ns_to_s(t->total[i]);

		if (!tr)
			snap_add(out, &fam_host_s, s, ev);
		else if (tr->kind == WL_VM)
			snap_add(out, &fam_vm_s, s, tr->name, ev);
		else
			snap_add(out, &fam_ct_s, s, tr->name, tr->id,
				 tr->runtime, tr->pod, tr->ns, ev);
	} else if (!tr) {
		snap_add(out, &fam_host, n, ev);
	} else if (tr->kind == WL_VM) {
		snap_add(out, &fam_vm, n, tr->name, ev,
			 mode_name(lay->mode[i]));
	} else {
		snap_add(out, &fam_ct, n, tr->name, tr->id, tr->runtime,
			 tr->pod, tr->ns, ev);
	}
}

/* Adds the samples of target t for workload tr (NULL: the host). */
static void emit_target(const struct perf_state *st, struct snap_set *out,
			const struct perf_target *t,
			const struct perf_track *tr)
{
	const struct perf_layout *lay = t->lay;

	for (size_t i = 0; i < lay->n; i++) {
		const char *ev = st->ev[lay->ev[i]].name;
		bool first = i == 0 || lay->ev[i - 1] != lay->ev[i];

		emit_total(st, out, t, i, tr);
		if (!tr)
			snap_add(out, &fam_host_ratio, t->ratio[i], ev);
		else if (tr->kind == WL_VM && first)
			snap_add(out, &fam_vm_ratio, t->ratio[i], tr->name, ev);
		else if (tr->kind != WL_VM)
			snap_add(out, &fam_ct_ratio, t->ratio[i], tr->name,
				 tr->id, tr->runtime, tr->pod, tr->ns, ev);
	}
}

/* Adds every sample of the cycle. */
static void emit(const struct perf_state *st, struct snap_set *out)
{
	size_t fds = st->host.nfds + st->tracks.nfds;

	for (size_t i = 0; i < st->nev; i++) {
		const struct perf_event_def *ev = &st->ev[i];

		snap_add(out, &fam_supported, ev->supported ? 1 : 0, ev->name);
		if (ev->want_split)
			snap_add(out, &fam_split, ev->split ? 1 : 0, ev->name);
	}
	emit_target(st, out, &st->host, NULL);
	for (size_t i = 0; i < st->tracks.n; i++)
		emit_target(st, out, &st->tracks.v[i].t, &st->tracks.v[i]);
	snap_add0(out, &fam_counted, (double)st->tracks.n);
	snap_add0(out, &fam_skipped, (double)st->tracks.skipped);
	snap_add0(out, &fam_fds, (double)fds);
}

/* Follows the VMs and containers of the workload table. */
static int update_cgroups(struct perf_state *st, bool cpus_changed)
{
	struct perf_track_env tenv = {
	    .cgroot = st->cgroot,
	    .plain = &st->plain,
	    .vm = &st->vm,
	    .cpus = st->cpus,
	    .ncpu = st->ncpu,
	    .cpus_changed = cpus_changed,
	    .max_cgroups = st->cgroot[0] ? st->max_cgroups : 0,
	    .fd_budget = st->fd_budget > st->host.nfds
			     ? st->fd_budget - st->host.nfds
			     : 0,
	};
	struct wl_table *tab = wl_current();
	int err;

	if (!tab)
		return -ENOMEM;
	if (!st->cgroot[0])
		log_fail_once(&st->cgroot_log,
			      "perf: no perf_event or cgroup2 "
			      "hierarchy found: VMs and containers are not "
			      "counted");
	err = perf_tracks_update(&st->tracks, &tenv, tab);
	wl_table_unref(tab);
	return err;
}

static int perf_collect(void *state, struct snap_set *out)
{
	struct perf_state *st = state;
	bool changed = false;
	int err;

	err = read_cpus(st, &changed);
	if (err < 0)
		log_debug("perf: online CPUs unreadable, keeping the last "
			  "list: %s",
			  strerror(-err));
	err = retry_probe(st);
	if (err < 0)
		return err;
	if (changed || st->host.ng != st->ncpu) {
		err = perf_target_sync(&st->host, st->cpus, st->ncpu, NULL);
		if (err == -ENOMEM)
			return err;
	}
	(void)perf_target_read(&st->host);
	err = update_cgroups(st, changed);
	if (err < 0)
		return err;
	emit(st, out);
	return out->err;
}

const struct collector perf_collector = {
    .name = "perf",
    .help = "hardware and software performance counters (libpfm4, "
	    "perf_event) for the host, each VM and each container",
    .default_enabled = true,
    .interval_ms = 5000,
    .timeout_ms = 10000,
    .families = perf_families,
    .options = perf_options,
    .settings_size = sizeof(struct perf_settings),
    .section = "perf",
    .init = perf_init,
    .collect = perf_collect,
    .fini = perf_fini,
};
