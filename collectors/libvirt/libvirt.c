/* The libvirt collector: one read-only connection, one bulk
 * virConnectGetAllDomainStats per cycle (NOWAIT, so a domain whose monitor
 * is busy reports what it can), mapped to samples by libvirt_map.c; every
 * domain entered in the shared workload table with its host-side cgroup.
 *
 * virtmeter_libvirt_up says whether libvirt answered this cycle. A cycle
 * without libvirt still succeeds (virtmeter_collector_up stays 1: the
 * collector works, libvirt does not) and carries only virtmeter_libvirt_up
 * 0, so no VM series is served stale while libvirt is away. A lost or
 * refused connection is retried at collect time with back-off (1 s doubling
 * to 60 s); the attempt runs in its own thread and a cycle waits for it at
 * most LV_DIAL_WAIT_MS. The workload table keeps the last list while
 * libvirt is away (qemu processes and their cgroups outlive a libvirtd
 * restart, and readers should not drop their state for them); the list is
 * withdrawn when the collector stops. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "exporter/api/collector.h"
#include "exporter/api/base.h"
#include "collectors/libvirt/cgroup.h"
#include "collectors/libvirt/conn.h"
#include "collectors/libvirt/map.h"
#include "collectors/libvirt/meta.h"
#include "collectors/libvirt/testdrv.h"
#include "collectors/libvirt/vmtab.h"
#include "exporter/api/log.h"
#include "exporter/api/workload.h"

#define LV_DIAL_WAIT_MS 3000
#define LV_BACKOFF_MIN 1.0
#define LV_BACKOFF_MAX 60.0
/* Cgroup discovery attempts per domain run before giving up until the
 * domain restarts (a running domain's cgroup exists from its start). */
#define LV_CGROUP_TRIES 3

/* The statistics groups of the bulk call. VIR_DOMAIN_STATS_VM is an enum
 * constant (no #ifdef); a daemon that does not know a group ignores it
 * because ENFORCE_STATS is not set. */
#if LIBVIR_CHECK_VERSION(8, 9, 0)
#define LV_STATS_VM VIR_DOMAIN_STATS_VM
#else
#define LV_STATS_VM 0
#endif
#define LV_STATS                                                               \
	(VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |                 \
	 VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |                    \
	 VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK | LV_STATS_VM)

extern const struct collector libvirt_collector;

/* The collector's settings (--collector.libvirt.KEY, collectors.libvirt). */
struct lv_settings {
	char *uri;
	bool openstack;
};

static const struct collector_option lv_options[] = {
    {.key = "uri",
     .type = SETTING_STRING,
     .offset = offsetof(struct lv_settings, uri),
     .def = "qemu:///system",
     .max = 1024,
     .arg = "URI",
     .help = "libvirt connection URI, opened read-only"},
    {.key = "openstack",
     .type = SETTING_BOOL,
     .offset = offsetof(struct lv_settings, openstack),
     .def = "true",
     .help = "export OpenStack Nova's instance metadata of domains that "
	     "carry it"},
    {.key = NULL},
};

struct lv_state {
	char *uri;
	bool openstack;
	bool loop_ref;
	struct lv_cg_roots roots; /* piddir NULL: no PID file lookup */
	bool cgroups;		  /* the domains' cgroups are on this host */
	char piddir[64];
	char driver[32]; /* lower-case driver name: "qemu" */
	bool is_test;	 /* the TEST driver: per-domain fallback */
	struct lv_testdrv_buf test_buf; /* its parameters, reused */
	struct lv_conn c;
	struct lv_dial *dial;
	double next_try, backoff;
	bool ever_connected;
	struct log_once conn_log, query_log;
	struct lv_vmtab vms;
};

static void mark_dirty(struct lv_vm *vm, void *arg)
{
	(void)arg;
	vm->meta_dirty = true;
}

/* After connecting: learn the driver, decide whether its domains' cgroups
 * can be found from here, and re-read every domain's XML (events were
 * missed while disconnected). */
static void on_connected(struct lv_state *st)
{
	const char *host = strstr(st->uri, "://");
	size_t i;

	for (i = 0; st->c.type[i] && i + 1 < sizeof(st->driver); i++)
		st->driver[i] = (char)tolower((unsigned char)st->c.type[i]);
	st->driver[i] = '\0';
	st->is_test = strcmp(st->c.type, "TEST") == 0;
	/* A URI with a host names another machine's domains; session
	 * daemons do not put domains in machine cgroups. */
	st->cgroups =
	    host && host[3] == '/' && !strstr(st->uri, "/session") &&
	    (strcmp(st->driver, "qemu") == 0 || strcmp(st->driver, "lxc") == 0);
	snprintf(st->piddir, sizeof(st->piddir), "/run/libvirt/%s", st->driver);
	st->roots.piddir = st->piddir;
	lv_vmtab_each(&st->vms, mark_dirty, NULL);
	if (!log_recover(&st->conn_log, "libvirt: connected to %s again",
			 st->uri) &&
	    !st->ever_connected)
		log_info("libvirt: connected to %s (driver %s)", st->uri,
			 st->c.type);
	st->ever_connected = true;
}

/* Tries to (re)connect if the back-off allows; never waits longer than
 * LV_DIAL_WAIT_MS (a slow attempt is picked up by a later cycle). */
static void lv_reconnect(struct lv_state *st)
{
	virConnectPtr conn = NULL;
	char err[512];
	double now = clock_mono_s();

	if (!st->dial) {
		if (now < st->next_try || lv_dial_start(st->uri, &st->dial) < 0)
			return;
		st->next_try = now + st->backoff;
		st->backoff = st->backoff * 2 > LV_BACKOFF_MAX
				  ? LV_BACKOFF_MAX
				  : st->backoff * 2;
	}
	if (!lv_dial_wait(st->dial, LV_DIAL_WAIT_MS, &conn, err, sizeof(err)))
		return;
	st->dial = NULL;
	if (!conn) {
		log_fail_once(
		    &st->conn_log,
		    "libvirt: cannot connect to %s: %s; retrying with "
		    "back-off, virtmeter_libvirt_up is 0 meanwhile",
		    st->uri, err);
		return;
	}
	if (lv_conn_setup(&st->c, conn) < 0)
		return;
	st->backoff = LV_BACKOFF_MIN;
	on_connected(st);
}

/* Drops a connection that libvirt reports gone; the next attempt is
 * immediate, then backs off. */
static void lv_drop(struct lv_state *st, const char *why)
{
	log_fail_once(&st->conn_log,
		      "libvirt: lost the connection to %s: %s; reconnecting "
		      "with back-off",
		      st->uri, why);
	lv_conn_close(&st->c);
	st->next_try = 0;
	st->backoff = LV_BACKOFF_MIN;
}

/* Marks the domains whose definition or metadata changed (from events). */
static void apply_dirty(struct lv_state *st)
{
	char(*uuids)[VIR_UUID_STRING_BUFLEN];
	size_t n;
	bool all;

	lv_conn_take_dirty(&st->c, &uuids, &n, &all);
	if (all)
		lv_vmtab_each(&st->vms, mark_dirty, NULL);
	for (size_t i = 0; i < n; i++) {
		struct lv_vm *vm = lv_vmtab_find(&st->vms, uuids[i]);

		if (vm)
			vm->meta_dirty = true;
	}
	free(uuids);
}

/* Reads and parses the domain's XML (one RPC), when the domain is new,
 * restarted or redefined. A failure keeps the old copy and retries next
 * cycle, unless the XML itself is unusable. */
static void refresh_meta(struct lv_vm *vm, virDomainPtr dom)
{
	struct lv_meta *m = NULL;
	char *xml = virDomainGetXMLDesc(dom, 0);
	int err;

	if (!xml) {
		log_debug("libvirt: no XML for domain %s: %s", vm->uuid,
			  virGetLastErrorMessage());
		return;
	}
	err = lv_meta_parse(xml, strlen(xml), &m);
	free(xml);
	if (err == -ENOMEM)
		return;
	vm->meta_dirty = false;
	if (err < 0) {
		log_debug("libvirt: unusable XML for domain %s: %s", vm->uuid,
			  strerror(-err));
		return;
	}
	lv_meta_free(vm->meta);
	vm->meta = m;
}

/* Finds the cgroup of a running domain, once per run (see
 * libvirt_cgroup.h); costs nothing once found. */
static void find_cgroup(struct lv_state *st, struct lv_vm *vm, const char *name)
{
	char path[LV_CG_PATH_MAX];
	int err;

	if (!st->cgroups || vm->dom_id < 0 || vm->cgroup ||
	    vm->cgroup_tries >= LV_CGROUP_TRIES)
		return;
	vm->cgroup_tries++;
	err = lv_cg_discover(&st->roots, st->driver, vm->dom_id, name,
			     vm->meta ? vm->meta->partition : "", path,
			     sizeof(path));
	if (err == 0)
		vm->cgroup = strdup(path);
	else if (vm->cgroup_tries == LV_CGROUP_TRIES)
		log_debug("libvirt: no cgroup found for domain %s: %s",
			  vm->uuid, strerror(-err));
}

/* A domain seen with a new id (first sight, start, stop, restart) is a new
 * run: its emulator history and cgroup belong to the old one. */
static void note_id(struct lv_vm *vm, int id)
{
	if (vm->dom_id == id)
		return;
	if (vm->dom_id != INT_MIN)
		memset(&vm->emu, 0, sizeof(vm->emu));
	vm->dom_id = id;
	free(vm->cgroup);
	vm->cgroup = NULL;
	vm->cgroup_tries = 0;
	vm->meta_dirty = true;
}

/* Maps one record and enters the domain in the workload list. */
static int lv_domain(struct lv_state *st, virDomainStatsRecordPtr rec,
		     struct snap_set *out, struct wl_list *list)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	const char *name = virDomainGetName(rec->dom);
	virTypedParameterPtr params = rec->params;
	int n = rec->nparams, err;
	struct lv_summary sum;
	struct lv_vm *vm;
	struct workload w;

	if (!name || lv_uuid_string(rec->dom, uuid) < 0)
		return 0;
	vm = lv_vmtab_get(&st->vms, uuid);
	if (!vm)
		return -ENOMEM;
	note_id(vm, (int)virDomainGetID(rec->dom));
	if (vm->meta_dirty) {
		refresh_meta(vm, rec->dom);
		if (st->is_test && vm->dom_id >= 0)
			vm->test_max_vcpus = virDomainGetMaxVcpus(rec->dom);
	}
	if (st->is_test) {
		err = lv_testdrv_stats(rec->dom, rec->params, rec->nparams,
				       vm->meta, vm->dom_id >= 0,
				       vm->test_max_vcpus, &st->test_buf);
		if (err < 0)
			return err;
		params = st->test_buf.p;
		n = (int)st->test_buf.n;
	}
	err = lv_map_stats(params, n, name, &vm->emu, out, &sum);
	if (err == 0)
		err = lv_map_info(out, name, uuid, vm->meta, st->openstack);
	if (err < 0)
		return err;
	find_cgroup(st, vm, name);
	err = lv_map_cgroup(out, name, vm->cgroup);
	if (err < 0)
		return err;
	w = (struct workload){.kind = WL_VM,
			      .id = uuid,
			      .name = name,
			      .runtime = "libvirt",
			      .cgroup = vm->cgroup,
			      .vcpus = sum.vcpus,
			      .memory_bytes = sum.memory_max};
	return wl_list_add(list, &w);
}

/* One bulk query and its mapping. Returns 0, -ENOMEM, or -EIO when libvirt
 * failed the query (nothing was added to out then). */
static int lv_cycle(struct lv_state *st, struct snap_set *out)
{
	virDomainStatsRecordPtr *recs = NULL;
	struct wl_list *list;
	char why[512];
	int n, err = 0;

	n = virConnectGetAllDomainStats(
	    st->c.conn, LV_STATS, &recs,
	    VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (n < 0) {
		const char *msg = virGetLastErrorMessage();

		if (lv_conn_lost(&st->c, why, sizeof(why)))
			lv_drop(st, msg);
		else
			log_fail_once(
			    &st->query_log,
			    "libvirt: domain statistics from %s failed: %s",
			    st->uri, msg);
		return -EIO;
	}
	log_recover(&st->query_log,
		    "libvirt: domain statistics from %s are back", st->uri);
	list = wl_list_new();
	if (!list)
		err = -ENOMEM;
	apply_dirty(st);
	for (int i = 0; i < n && err == 0; i++)
		err = lv_domain(st, recs[i], out, list);
	virDomainStatsRecordListFree(recs);
	if (err == 0) {
		lv_vmtab_sweep(&st->vms);
		err = wl_publish(WL_SRC_LIBVIRT, list);
	}
	wl_list_unref(list);
	return err;
}

static int lv_collect(void *state, struct snap_set *out)
{
	struct lv_state *st = state;
	char why[512];
	int err = -EIO;

	if (st->c.conn && lv_conn_lost(&st->c, why, sizeof(why)))
		lv_drop(st, why);
	if (!st->c.conn)
		lv_reconnect(st);
	if (st->c.conn)
		err = lv_cycle(st, out);
	if (err == -ENOMEM)
		return err;
	snap_add0(out, &lv_fam_up, err == 0 ? 1 : 0);
	return out->err;
}

static void lv_fini(void *state)
{
	struct lv_state *st = state;

	if (!st)
		return;
	if (st->dial)
		lv_dial_abandon(st->dial);
	lv_conn_close(&st->c);
	lv_vmtab_clear(&st->vms);
	lv_testdrv_free(&st->test_buf);
	/* This source's VMs leave the workload table with it. */
	wl_publish(WL_SRC_LIBVIRT, NULL);
	if (st->loop_ref)
		lv_loop_unref();
	free(st->uri);
	free(st);
}

static int lv_init(const struct collector_env *env, void **state)
{
	const struct lv_settings *set = env->settings;
	struct lv_state *st = calloc(1, sizeof(*st));
	int err = -ENOMEM;

	if (!st)
		return -ENOMEM;
	st->uri = strdup(set->uri);
	if (!st->uri)
		goto out;
	st->openstack = set->openstack;
	err = lv_loop_ref();
	if (err < 0) {
		collector_error("cannot start libvirt's event loop: %s",
				strerror(-err));
		goto out;
	}
	st->loop_ref = true;
	st->c.cb_lifecycle = st->c.cb_metadata = -1;
	st->roots.procfs = env->procfs;
	st->roots.cgroupfs = env->cgroupfs;
	st->backoff = LV_BACKOFF_MIN;
	*state = st;
	st = NULL;
out:
	lv_fini(st);
	return err;
}

/* Whether libvirtd answers, for the landing page. */
static const struct snap_family *const lv_health[] = {&lv_fam_up, NULL};

const struct collector libvirt_collector = {
    .name = "libvirt",
    .help = "VMs from libvirt: CPU, vCPU, memory, block and network "
	    "statistics, KVM statistics, OpenStack metadata",
    .default_enabled = true,
    .interval_ms = 5000,
    /* Above keepalive's ~20 s, so that a dead daemon fails the call
     * (libvirt_up 0) before the cycle counts as stuck. */
    .timeout_ms = 25000,
    .families = lv_families,
    .health = lv_health,
    .options = lv_options,
    .settings_size = sizeof(struct lv_settings),
    .init = lv_init,
    .collect = lv_collect,
    .fini = lv_fini,
};
