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
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter/api/collector.h"
#include "exporter/config.h"
#include "exporter/api/workload.h"

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

/* Counts samples of family fam whose label values start with the n given
 * ones; returns the value of the last in *v. */
static int count(const struct snap_set *set, const char *fam, double *v,
		 size_t n, ...)
{
	int found = 0;

	for (size_t f = 0; f < set->nfams; f++) {
		const struct snap_fam_entry *e = &set->fams[f];

		if (strcmp(e->desc->name, fam) != 0)
			continue;
		for (uint32_t i = e->first; i != UINT32_MAX;
		     i = set->samples[i].next) {
			const char *l = snap_sample_labels(set, &set->samples[i]);
			bool ok = true;
			va_list ap;

			va_start(ap, n);
			for (size_t k = 0; k < n; k++, l += strlen(l) + 1)
				ok = ok && strcmp(l, va_arg(ap, const char *)) == 0;
			va_end(ap);
			if (ok) {
				found++;
				if (v)
					*v = set->samples[i].value;
			}
		}
	}
	return found;
}

/* Starts the collector on events task-clock, cycles and page-faults with
 * the given settings. */
static void *start(struct config *cfg, const struct collector_setting *s,
		   size_t ns)
{
	struct collector_env env = {.procfs = "/proc", .sysfs = "/sys",
				    .cgroupfs = "/sys/fs/cgroup",
				    .settings = s, .nsettings = ns, .cfg = cfg};
	void *st = NULL;

	config_defaults(cfg);
	cfg->perf.events_set = true;
	cfg->perf.nevents = 3;
	snprintf(cfg->perf.events[0], CONFIG_PERF_EVENT_MAX, "task-clock");
	snprintf(cfg->perf.events[1], CONFIG_PERF_EVENT_MAX, "cycles");
	snprintf(cfg->perf.events[2], CONFIG_PERF_EVENT_MAX, "page-faults");
	assert_int_equal(perf_collector.init(&env, &st), 0);
	return st;
}

static struct snap_set *cycle(void *st)
{
	struct snap_set *set = snap_set_new();

	assert_non_null(set);
	assert_int_equal(perf_collector.collect(st, set), 0);
	return set;
}

static void vms_and_containers_are_counted_on_their_cgroup(void **state)
{
	static struct config cfg;
	struct snap_set *set;
	void *st;
	double v = NAN;

	(void)state;
	if (!cgdir[0])
		skip();
	publish_both();
	st = start(&cfg, NULL, 0);
	set = cycle(st);
	assert_int_equal(count(set, "virtmeter_vm_perf_events", &v, 3, "vm1",
			       "task-clock", "all"), 1);
	assert_true(v >= 0);
	assert_int_equal(count(set, "virtmeter_vm_perf_events", NULL, 3, "vm1",
			       "page-faults", "all"), 1);
	/* Not countable here: no series, and the split is said impossible. */
	assert_int_equal(count(set, "virtmeter_vm_perf_events", NULL, 2, "vm1",
			       "cycles"), 0);
	assert_int_equal(count(set, "virtmeter_perf_mode_split_supported", &v,
			       1, "cycles"), 1);
	assert_true(v == 0);
	assert_int_equal(count(set, "virtmeter_vm_perf_scaling_ratio", NULL, 2,
			       "vm1", "task-clock"), 1);
	assert_int_equal(count(set, "virtmeter_container_perf_events", NULL, 3,
			       "ct1", "ct-id", "task-clock"), 1);
	assert_int_equal(count(set, "virtmeter_perf_cgroups_counted", &v, 0), 1);
	assert_true(v == 2);
	/* 2 cgroups + the host, 2 groups (page-faults; task-clock) per CPU. */
	assert_int_equal(count(set, "virtmeter_perf_open_fds", &v, 0), 1);
	assert_true(v == 3.0 * 2 * (double)sysconf(_SC_NPROCESSORS_ONLN));
	snap_set_unref(set);

	/* Both leave the table: their descriptors are closed. */
	wl_publish(WL_SRC_LIBVIRT, NULL);
	wl_publish(WL_SRC_CGROUP, NULL);
	set = cycle(st);
	assert_int_equal(count(set, "virtmeter_perf_cgroups_counted", &v, 0), 1);
	assert_true(v == 0);
	assert_int_equal(count(set, "virtmeter_perf_open_fds", &v, 0), 1);
	assert_true(v == 2.0 * (double)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(count(set, "virtmeter_vm_perf_events", NULL, 0), 0);
	snap_set_unref(set);
	perf_collector.fini(st);
}

static void the_cap_counts_vms_first_and_shows_the_skipped(void **state)
{
	static struct config cfg;
	const struct collector_setting s = {"perf", "max-cgroups", "1"};
	struct snap_set *set;
	void *st;
	double v = NAN;

	(void)state;
	if (!cgdir[0])
		skip();
	publish_both();
	st = start(&cfg, &s, 1);
	set = cycle(st);
	assert_int_equal(count(set, "virtmeter_perf_cgroups_counted", &v, 0), 1);
	assert_true(v == 1);
	assert_int_equal(count(set, "virtmeter_perf_cgroups_skipped", &v, 0), 1);
	assert_true(v == 1);
	assert_int_equal(count(set, "virtmeter_vm_perf_events", NULL, 1, "vm1"),
			 2);
	assert_int_equal(count(set, "virtmeter_container_perf_events", NULL, 0),
			 0);
	snap_set_unref(set);
	perf_collector.fini(st);
}

static void a_bad_max_cgroups_flag_fails_init(void **state)
{
	static struct config cfg;
	const struct collector_setting s = {"perf", "max-cgroups", "many"};
	struct collector_env env = {.procfs = "/proc", .sysfs = "/sys",
				    .cgroupfs = "/sys/fs/cgroup",
				    .settings = &s, .nsettings = 1, .cfg = &cfg};
	void *st = NULL;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(perf_collector.init(&env, &st), -EINVAL);
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
