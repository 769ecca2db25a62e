/* Tests of the perf collector end to end on this machine's perf_event:
 * the VM and container paths over a hand-made cgroup published in the
 * workload table (VMs get mode labels, unsupported events get no series),
 * the max-cgroups cap preferring VMs, and the descriptors of vanished
 * workloads closed. Needs root and a cgroup2 tree; skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter/api/collector.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"

extern const struct collector perf_collector;

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
			      .runtime = "lxc", .cgroup = cgrel};

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
	v = harness_one(set, "virtmeter_vm_perf_events", "vm", "vm1", "event",
			"task-clock", "mode", "all", NULL);
	assert_true(v >= 0);
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_events", "vm",
				       "vm1", "event", "page-faults", "mode",
				       "all", NULL),
			 1);
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
	assert_int_equal(harness_count(set, "virtmeter_container_perf_events",
				       "container", "ct1", "id", "ct-id",
				       "event", "task-clock", NULL),
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
	assert_int_equal(harness_count(set, "virtmeter_vm_perf_events", "vm",
				       "vm1", NULL),
			 2);
	harness_none(set, "virtmeter_container_perf_events", NULL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vms_and_containers_are_counted_on_their_cgroup),
		cmocka_unit_test(the_cap_counts_vms_first_and_shows_the_skipped),
		cmocka_unit_test(a_bad_max_cgroups_flag_fails_init),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
