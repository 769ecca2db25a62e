/* Tests of the perf collector end to end on this machine's perf_event:
 * the VM and container paths over a hand-made cgroup published in the
 * workload table (VMs get mode labels, containers their runtime, pod and
 * namespace, unsupported events get no series, clocks are counted in
 * seconds in families of their own),
 * the max-cgroups cap preferring VMs, the descriptors of vanished
 * workloads closed, and the back-off of cgroups that cannot be opened.
 * Needs root and a cgroup2 tree; skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/perf/layout.h"
#include "collectors/perf/track.h"
#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"

extern const struct collector perf_collector;

static char cgroot[64]; /* the cgroup2 tree */
static char cgdir[512]; /* absolute */
static char cgrel[128]; /* relative to the hierarchy */

/* Makes a cgroup in the cgroup2 tree, or skips without root or cgroup2. */
static int setup(void **state)
{
	const char *roots[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	char probe[600];

	(void)state;
	if (geteuid() != 0)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", roots[i]);
		if (access(probe, F_OK) != 0)
			continue;
		snprintf(cgroot, sizeof(cgroot), "%s", roots[i]);
		snprintf(cgrel, sizeof(cgrel), "/vmperf-unit-%d", (int)getpid());
		snprintf(cgdir, sizeof(cgdir), "%s%s", roots[i], cgrel);
		return mkdir(cgdir, 0755) == 0 ? 0 : -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wl_publish(WL_SRC_LIBVIRT, NULL);
	wl_publish(WL_SRC_CGROUP, NULL);
	if (cgdir[0])
		rmdir(cgdir);
	return 0;
}

/* Publishes one VM and one container, both on the test cgroup. */
static void publish_both(void)
{
	struct wl_list *vms = wl_list_new(), *cts = wl_list_new();
	struct workload vm = {.kind = WL_VM, .id = "uuid-1", .name = "vm1",
			      .runtime = "libvirt", .cgroup = cgrel};
	struct workload ct = {.kind = WL_CONTAINER, .id = "ct-id", .name = "ct1",
			      .runtime = "containerd", .pod = "web-0",
			      .namespace = "shop", .cgroup = cgrel};

	assert_non_null(vms);
	assert_non_null(cts);
	assert_int_equal(wl_list_add(vms, &vm), 0);
	assert_int_equal(wl_list_add(cts, &ct), 0);
	assert_int_equal(wl_publish(WL_SRC_LIBVIRT, vms), 0);
	assert_int_equal(wl_publish(WL_SRC_CGROUP, cts), 0);
	wl_list_unref(vms);
	wl_list_unref(cts);
}

/* The events of these tests, given as the configuration file gives them. */
static const char events_yaml[] =
	"perf:\n  events: [task-clock, cycles, page-faults]\n";

/* Starts the collector on events task-clock, cycles and page-faults with
 * the given settings (NULL for none). */
static struct harness *start(const struct harness_setting *settings)
{
	const struct harness_opts opts = {.settings = settings,
					  .yaml = events_yaml};

	return harness_start(&perf_collector, &opts);
}

static void vms_and_containers_are_counted_on_their_cgroup(void **state)
{
	struct snap_set *set;
	struct harness *h;
	double v;

	(void)state;
	if (!cgdir[0])
		skip();
	publish_both();
	h = start(NULL);
	set = harness_cycle(h);
	/* task-clock counts time: seconds, in a family of its own. */
	v = harness_one(set, "virtmeter_vm_perf_event_seconds", "vm", "vm1",
			"event", "task-clock", NULL);
	assert_true(v >= 0);
	harness_none(set, "virtmeter_vm_perf_events", "vm", "vm1", "event",
		     "task-clock", NULL);
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_events", "vm",
				       "vm1", "event", "page-faults", "mode",
				       "all", NULL),
			 1);
	harness_none(set, "virtmeter_vm_perf_event_seconds", "event",
		     "page-faults", NULL);
	/* Not countable here: no series, and the split is said impossible. */
	harness_none(set, "virtmeter_vm_perf_events", "vm", "vm1", "event",
		     "cycles", NULL);
	v = harness_one(set, "virtmeter_perf_mode_split_supported", "event",
			"cycles", NULL);
	assert_true(v == 0);
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_scaling_ratio",
				       "vm", "vm1", "event", "task-clock",
				       NULL),
			 1);
	assert_int_equal(harness_count(set,
				       "virtmeter_container_perf_event_seconds",
				       "container", "ct1", "id", "ct-id",
				       "event", "task-clock", NULL),
			 1);
	harness_none(set, "virtmeter_container_perf_events", "event",
		     "task-clock", NULL);
	/* Every container series carries the workload table's runtime,
	 * Kubernetes pod and namespace. */
	assert_int_equal(harness_count(set, "virtmeter_container_perf_events",
				       "container", "ct1", "id", "ct-id",
				       "runtime", "containerd", "pod", "web-0",
				       "namespace", "shop", "event",
				       "page-faults", NULL),
			 1);
	assert_int_equal(harness_count(set, "virtmeter_container_perf_events",
				       NULL),
			 1);
	assert_int_equal(
	    harness_count(set, "virtmeter_container_perf_event_seconds", "id",
			  "ct-id", "runtime", "containerd", "pod", "web-0",
			  "namespace", "shop", "event", "task-clock", NULL),
	    1);
	assert_int_equal(
	    harness_count(set, "virtmeter_container_perf_scaling_ratio", "id",
			  "ct-id", "runtime", "containerd", "pod", "web-0",
			  "namespace", "shop", "event", "task-clock", NULL),
	    1);
	v = harness_one(set, "virtmeter_perf_cgroups_counted", NULL);
	assert_true(v == 2);
	/* 2 cgroups + the host, 2 groups (page-faults; task-clock) per CPU. */
	v = harness_one(set, "virtmeter_perf_open_fds", NULL);
	assert_true(v == 3.0 * 2 * (double)sysconf(_SC_NPROCESSORS_ONLN));
	harness_release(set);

	/* Both leave the table: their descriptors are closed. */
	wl_publish(WL_SRC_LIBVIRT, NULL);
	wl_publish(WL_SRC_CGROUP, NULL);
	set = harness_cycle(h);
	v = harness_one(set, "virtmeter_perf_cgroups_counted", NULL);
	assert_true(v == 0);
	v = harness_one(set, "virtmeter_perf_open_fds", NULL);
	assert_true(v == 2.0 * (double)sysconf(_SC_NPROCESSORS_ONLN));
	harness_none(set, "virtmeter_vm_perf_events", NULL);
	harness_none(set, "virtmeter_vm_perf_event_seconds", NULL);
	harness_release(set);
	harness_stop(h);
}

/* Whether v is a whole number of nanoseconds converted to seconds once:
 * what a sum or difference of seconds in double seldom is. */
static bool whole_ns(double v)
{
	return clock_ns_to_s((uint64_t)llround(v * 1e9)) == v;
}

static void the_host_clock_is_counted_in_seconds_apart_from_events(
    void **state)
{
	const double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
	struct snap_set *set;
	struct harness *h;
	double t0, t1, faults;

	(void)state;
	if (geteuid() != 0)
		skip();
	h = start(NULL);
	set = harness_cycle(h);
	t0 = harness_one(set, "virtmeter_host_perf_event_seconds", "event",
			 "task-clock", NULL);
	harness_release(set);
	usleep(300 * 1000);
	set = harness_cycle(h);
	t1 = harness_one(set, "virtmeter_host_perf_event_seconds", "event",
			 "task-clock", NULL);
	faults = harness_one(set, "virtmeter_host_perf_events", "event",
			     "page-faults", NULL);
	harness_none(set, "virtmeter_host_perf_events", "event", "task-clock",
		     NULL);
	harness_none(set, "virtmeter_host_perf_event_seconds", "event",
		     "page-faults", NULL);
	/* System-wide, task-clock runs with the wall clock on every online
	 * CPU: 0.3 s of it is about 0.3 s per CPU, not 3e8 (nanoseconds). */
	assert_true(t1 - t0 > 0.15 * ncpu && t1 - t0 < 3 * ncpu);
	assert_true(whole_ns(t0) && whole_ns(t1));
	/* A count stays a whole number of events. */
	assert_true(faults >= 0 && faults == floor(faults));
	harness_release(set);
	harness_stop(h);
}

static void the_cap_counts_vms_first_and_shows_the_skipped(void **state)
{
	const struct harness_setting s[] = {
	    {.key = "max-cgroups", .value = "1"},
	    {.key = NULL},
	};
	struct snap_set *set;
	struct harness *h;
	double v;

	(void)state;
	if (!cgdir[0])
		skip();
	publish_both();
	h = start(s);
	set = harness_cycle(h);
	v = harness_one(set, "virtmeter_perf_cgroups_counted", NULL);
	assert_true(v == 1);
	v = harness_one(set, "virtmeter_perf_cgroups_skipped", NULL);
	assert_true(v == 1);
	/* The VM's page-faults and task-clock. */
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_events", "vm",
				       "vm1", NULL),
			 1);
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_event_seconds",
				       "vm", "vm1", NULL),
			 1);
	harness_none(set, "virtmeter_container_perf_events", NULL);
	harness_none(set, "virtmeter_container_perf_event_seconds", NULL);
	harness_release(set);
	harness_stop(h);
}

static void a_bad_max_cgroups_flag_fails_init(void **state)
{
	const struct harness_setting s[] = {
	    {.key = "max-cgroups", .value = "many"},
	    {.key = NULL},
	};
	struct harness *h;

	(void)state;
	assert_int_equal(harness_try_start(&perf_collector,
					   &(struct harness_opts){.settings = s},
					   &h),
			 -EINVAL);
	assert_non_null(strstr(collector_take_error(), "max-cgroups"));
}

/* Adds a workload of kind kind, id id, on cgroup cgrel/sub to list. */
static void add_sub(struct wl_list *list, enum wl_kind kind, const char *id,
		    const char *sub)
{
	char rel[256];
	struct workload w = {.kind = kind,
			     .id = id,
			     .name = id,
			     .runtime = "test",
			     .cgroup = rel};

	snprintf(rel, sizeof(rel), "%s/%s", cgrel, sub);
	assert_int_equal(wl_list_add(list, &w), 0);
}

/* Runs one cycle of ts over vms and cts; returns the open tries it made. */
static size_t track_cycle(struct perf_tracks *ts,
			  const struct perf_track_env *env, struct wl_list *vms,
			  struct wl_list *cts)
{
	struct wl_table tab = {
	    .lists = {[WL_SRC_LIBVIRT] = vms, [WL_SRC_CGROUP] = cts}};
	size_t before = ts->open_tries;

	assert_int_equal(perf_tracks_update(ts, env, &tab), 0);
	return ts->open_tries - before;
}

static void
a_cgroup_that_cannot_be_opened_is_retried_after_a_doubling_wait(void **state)
{
	static struct perf_layout plain, vm;
	struct perf_event_def tc = {
	    .name = "task-clock", .resolved = true, .supported = true};
	const int cpus[] = {0};
	const struct perf_track_env env = {.cgroot = cgroot,
					   .plain = &plain,
					   .vm = &vm,
					   .cpus = cpus,
					   .ncpu = 1,
					   .max_cgroups = 16,
					   .fd_budget = 1024};
	/* The cycles of the tries: gaps of 1, 2, 4, 8, then 12 at most. */
	const int tries[] = {0, 1, 3, 7, 15, 27, 39};
	struct wl_list *vms = wl_list_new(), *cts = wl_list_new();
	struct perf_tracks ts = {0};
	char late[600];
	size_t t = 0;

	(void)state;
	if (!cgdir[0])
		skip();
	tc.attr.size = sizeof(tc.attr);
	tc.attr.type = PERF_TYPE_SOFTWARE;
	tc.attr.config = PERF_COUNT_SW_TASK_CLOCK;
	tc.attr.read_format = PERF_FORMAT_GROUP |
			      PERF_FORMAT_TOTAL_TIME_ENABLED |
			      PERF_FORMAT_TOTAL_TIME_RUNNING;
	perf_layouts_build(&tc, 1, &plain, &vm);
	assert_non_null(vms);
	assert_non_null(cts);
	/* Neither directory exists yet. */
	add_sub(vms, WL_VM, "vm-late", "late");
	add_sub(cts, WL_CONTAINER, "ct-never", "never");
	for (int c = 0; c < 40; c++) {
		bool due = t < ARRAY_SIZE(tries) && tries[t] == c;

		assert_int_equal(track_cycle(&ts, &env, vms, cts), due ? 2 : 0);
		t += due;
		assert_int_equal(ts.n, 0);
		assert_int_equal(ts.skipped, 2);
		assert_int_equal(ts.nretry, 2);
	}
	assert_int_equal(t, ARRAY_SIZE(tries));

	/* The VM's cgroup appears: counted at the next try, within 12
	 * cycles, and its back-off cleared. */
	snprintf(late, sizeof(late), "%s/late", cgdir);
	assert_int_equal(mkdir(late, 0755), 0);
	for (int c = 40; c < 51; c++) {
		assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);
		assert_int_equal(ts.n, 0);
	}
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 2);
	assert_int_equal(ts.n, 1);
	assert_string_equal(ts.v[0].id, "vm-late");
	assert_int_equal(ts.skipped, 1);
	assert_int_equal(ts.nretry, 1);
	assert_string_equal(ts.retry[0].id, "ct-never");

	/* The container leaves the table: its back-off is forgotten, so on
	 * its return it is tried at once, then after 1 cycle. */
	wl_list_unref(cts);
	cts = wl_list_new();
	assert_non_null(cts);
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);
	assert_int_equal(ts.nretry, 0);
	assert_int_equal(ts.skipped, 0);
	add_sub(cts, WL_CONTAINER, "ct-never", "never");
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 1);
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 1);
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);
	assert_int_equal(ts.nretry, 1);

	perf_tracks_free(&ts);
	wl_list_unref(vms);
	wl_list_unref(cts);
	assert_int_equal(rmdir(late), 0);
}

static void a_directory_that_is_no_cgroup_is_tried_once(void **state)
{
	static struct perf_layout plain, vm;
	struct perf_event_def tc = {
	    .name = "task-clock", .resolved = true, .supported = true};
	const int cpus[] = {0};
	char root[] = "/tmp/virtmeter-perf-plain-XXXXXX", mid[320], dir[340];
	struct perf_track_env env = {.plain = &plain,
				     .vm = &vm,
				     .cpus = cpus,
				     .ncpu = 1,
				     .max_cgroups = 16,
				     .fd_budget = 1024};
	struct wl_list *vms = wl_list_new(), *cts = wl_list_new();
	struct perf_tracks ts = {0};

	(void)state;
	tc.attr.size = sizeof(tc.attr);
	tc.attr.type = PERF_TYPE_SOFTWARE;
	tc.attr.config = PERF_COUNT_SW_TASK_CLOCK;
	tc.attr.read_format = PERF_FORMAT_GROUP |
			      PERF_FORMAT_TOTAL_TIME_ENABLED |
			      PERF_FORMAT_TOTAL_TIME_RUNNING;
	perf_layouts_build(&tc, 1, &plain, &vm);
	assert_non_null(vms);
	assert_non_null(cts);
	/* A plain directory, as in a copied or generated tree: it exists,
	 * but perf_event_open refuses it (EBADF). */
	assert_non_null(mkdtemp(root));
	snprintf(mid, sizeof(mid), "%s%s", root, cgrel);
	snprintf(dir, sizeof(dir), "%s/plain", mid);
	assert_int_equal(mkdir(mid, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	env.cgroot = root;
	add_sub(cts, WL_CONTAINER, "ct-plain", "plain");
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 1);
	for (int c = 1; c < 40; c++) {
		assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);
		assert_int_equal(ts.n, 0);
		assert_int_equal(ts.skipped, 1);
		assert_int_equal(ts.nretry, 1);
	}
	/* Gone from the table and back (a new run): tried again at once. */
	wl_list_unref(cts);
	cts = wl_list_new();
	assert_non_null(cts);
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);
	assert_int_equal(ts.nretry, 0);
	add_sub(cts, WL_CONTAINER, "ct-plain", "plain");
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 1);
	assert_int_equal(track_cycle(&ts, &env, vms, cts), 0);

	perf_tracks_free(&ts);
	wl_list_unref(vms);
	wl_list_unref(cts);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(mid), 0);
	assert_int_equal(rmdir(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vms_and_containers_are_counted_on_their_cgroup),
		cmocka_unit_test(a_directory_that_is_no_cgroup_is_tried_once),
		cmocka_unit_test(
		    the_host_clock_is_counted_in_seconds_apart_from_events),
		cmocka_unit_test(the_cap_counts_vms_first_and_shows_the_skipped),
		cmocka_unit_test(a_bad_max_cgroups_flag_fails_init),
		cmocka_unit_test(
		    a_cgroup_that_cannot_be_opened_is_retried_after_a_doubling_wait),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
