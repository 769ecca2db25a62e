/* Tests of the energy model as a collector (collectors/model/): the other
 * collectors' sets are published by hand (model_inputs.c), and each figure
 * the model emits is checked against a split computed by hand:
 * conservation to the joule, each idle policy, dynamic by CPU time and by
 * cycles, a VM's overhead, idle waste, a workload that appears, one that
 * ends, a counter reset, a meter gap, a meter below idle, waiting for the
 * meter's reading past the interval's end, and the Kubernetes pod and
 * namespace of each container's series. The host's source, the estimate
 * and learning are in test_model_source.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"
#include "tests/unit/model_inputs.h"

static void dynamic_energy_follows_cpu_and_idle_stays_with_the_host(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, NULL);

	(void)st;
	/* 150 J: 100 J idle (20 W), 50 J dynamic; busy 4 CPU s. */
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "idle"), 0);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "overhead"), 0);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_power_watts", "a", "dynamic"), 5);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 12.5);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 100);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", "source",
				 "rapl", NULL), 150);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_power_watts", NULL), 30);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "configured", NULL), 20);
	HARNESS_NEAR(harness_one(s, "virtmeter_attribution_error_ratio", NULL), 0);
	assert_true(harness_one(s, "virtmeter_host_power_source_info", "meter",
				"rapl", "zone", "psys", NULL) == 1);
	assert_true(harness_one(s, "virtmeter_model_dynamic_split_info", "by",
				"cpu", NULL) == 1);
	assert_int_equal(harness_count(s, "virtmeter_container_energy_joules",
				       "source", "rapl", NULL), 6);
	/* Nothing new: the cycle reports its samples unchanged, and the
	 * set served is the same one. */
	{
		struct snap_set *again = harness_cycle(h);

		assert_ptr_equal(again, s);
		harness_release(again);
	}
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void equal_policy_gives_each_workload_the_same_idle(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"idle-policy", "equal"}, {NULL, NULL}};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, NULL);

	(void)st;
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "idle"), 50);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "idle"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 0);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void reserved_policy_charges_what_a_workload_holds(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double lim[] = {32.0 * (1 << 30), 0};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, lim);

	(void)st;
	/* a holds half the memory and no CPU: weight 0.25 of 100 J. */
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "idle"), 25);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "idle"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 75);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void none_policy_leaves_all_idle_unattributed(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"idle-policy", "none"}, {NULL, NULL}};
	const double lim[] = {32.0 * (1 << 30), 0};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, lim);

	(void)st;
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "idle"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 100);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void meter_below_idle_charges_no_dynamic_energy(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "40"}, {NULL, NULL}};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, NULL);

	(void)st;
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 150);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 0);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void vm_overhead_is_priced_in_joules(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {11};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	/* libvirt reads a second before each cgroup cycle, its VM using 0.48
	 * CPU s per s of which 0.384 in its vCPUs: interpolated to the
	 * interval's ends, 2.4 CPU s and 1.92 vCPU s, an overhead share of
	 * 0.2. The libvirt cycle past the interval's end comes with the
	 * cgroup cycle that ends it. */
	mi_vm(mi_base - 1, 99.52, 79.616);
	mi_host(mi_base, 100, 1000);
	mi_meter(mi_base, 1000);
	mi_cgroups(mi_base, 1, c0, NULL);
	harness_release(harness_cycle(h));
	mi_vm(mi_base + DT - 1, 101.92, 81.536);
	harness_release(harness_cycle(h));
	mi_vm(mi_base + DT + 1, 102.88, 82.304);
	mi_host(mi_base + DT, 104, 1006);
	mi_meter(mi_base + DT, 1150);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	s = harness_cycle(h);
	/* Dynamic 50 J over 4 busy CPU s: the VM's 2.4 s get 30 J, 6 J of
	 * which overhead; a's 1 s 12.5 J; the host 7.5 J. */
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_energy_joules", "vm", "web",
				 "component", "dynamic", NULL), 24);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_energy_joules", "vm", "web",
				 "component", "overhead", NULL), 6);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_power_watts", "vm", "web",
				 "component", "overhead", NULL), 1.2);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 12.5);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 7.5);
	/* Idle 100 J: the VM holds half the CPUs and half the memory. */
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_energy_joules", "vm", "web",
				 "component", "idle", NULL), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_idle_seconds", "vm", "web",
				 NULL), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_attribution_error_ratio", NULL), 0);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void idle_vm_is_counted_as_waste(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {14};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	/* 0.1 CPU s in 5 s of 2 vCPUs: 1 %, under the 2 % threshold. */
	mi_vm(mi_base - 1, 50, 40);
	mi_host(mi_base, 100, 1000);
	mi_meter(mi_base, 1000);
	mi_cgroups(mi_base, 1, c0, NULL);
	harness_release(harness_cycle(h));
	mi_vm(mi_base + DT + 1, 50.12, 40.06);
	mi_host(mi_base + DT, 104, 1006);
	mi_meter(mi_base + DT, 1150);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	s = harness_cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_idle_seconds", "vm", "web",
				 NULL), DT);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_idle_energy_joules", "vm",
				 "web", NULL), 50);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

/* Whether v is a whole number of nanoseconds converted to seconds once:
 * what a sum of differences of Unix times in double seldom is. */
static bool whole_ns(double v)
{
	return clock_ns_to_s((uint64_t)llround(v * 1e9)) == v;
}

static void idle_time_is_summed_in_whole_nanoseconds(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c[] = {10, 14, 18}, ts[] = {0, 5.1, 10.3};
	struct harness *h = mi_start(set);
	struct snap_set *s = NULL;
	double v;

	(void)st;
	/* Intervals of 5.1 s and 5.2 s, the VM idle in both (1.2 % of its 2
	 * vCPUs): in double, 5.1 after mi_base is a multiple of 2^-22 s, and
	 * the sum of such differences is not a whole nanosecond. */
	for (size_t k = 0; k < 3; k++) {
		mi_vm(mi_base + ts[k] + (k ? 1 : -1), 50 + 0.12 * (double)k,
		   40 + 0.06 * (double)k);
		mi_host(mi_base + ts[k], 100 + 4 * (double)k, 1000 + 6 * (double)k);
		mi_meter(mi_base + ts[k], 1000 + 150 * (double)k);
		mi_cgroups(mi_base + ts[k], 1, &c[k], NULL);
		harness_release(s);
		s = harness_cycle(h);
	}
	v = harness_one(s, "virtmeter_vm_idle_seconds", "vm", "web", NULL);
	assert_true(fabs(v - 10.3) < 1e-6);
	assert_true(whole_ns(v));
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void new_workload_is_charged_from_its_first_sample(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10, NAN}, c1[] = {12, 100}, c2[] = {14, 101};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	harness_release(mi_step(h, 0, 2, c0));
	s = mi_step(h, 1, 2, c1);
	/* b's 100 CPU s were used before it was seen: not charged. */
	harness_none(s, "virtmeter_container_energy_joules", "id", "b", NULL);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	s = mi_step(h, 2, 2, c2);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void ended_workload_keeps_its_counters_until_retired(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"retire-after", "1s"}, {NULL, NULL}};
	const double c0[] = {10, 5}, c1[] = {12, 6}, c2[] = {14, NAN};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	harness_release(mi_step(h, 0, 2, c0));
	harness_release(mi_step(h, 1, 2, c1));
	s = mi_step(h, 2, 2, c2);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	harness_none(s, "virtmeter_container_power_watts", "id", "b", NULL);
	assert_true(harness_one(s, "virtmeter_model_retired_workloads", NULL) == 1);
	/* The energy of b's last interval was charged once, to a and the
	 * host: the parts still sum to the meter. */
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_attribution_error_ratio", NULL), 0);
	harness_release(s);
	usleep(1100 * 1000);
	s = harness_cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", "id", "b", NULL);
	assert_true(harness_one(s, "virtmeter_model_retired_workloads", NULL) == 0);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void counter_reset_is_not_charged(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {1}, c2[] = {3};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	harness_release(mi_step(h, 0, 1, c0));
	s = mi_step(h, 1, 1, c1);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 50);
	harness_release(s);
	s = mi_step(h, 2, 1, c2);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void model_waits_for_the_meter_past_the_interval(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	/* A 30 W meter read every second, half a second off the cycles. */
	mi_host(mi_base, 100, 1000);
	mi_meter(mi_base - 0.5, 985);
	mi_cgroups(mi_base, 1, c0, NULL);
	harness_release(harness_cycle(h));
	mi_meter(mi_base + 0.5, 1015);
	harness_release(harness_cycle(h));
	mi_meter(mi_base + 4.5, 1135);
	mi_host(mi_base + DT, 104, 1006);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	s = harness_cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_release(s);
	mi_meter(mi_base + 5.5, 1165);
	s = harness_cycle(h);
	/* 1000 J at mi_base and 1150 J at mi_base + 5, interpolated. */
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 150);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

#define UNTIL "virtmeter_model_attributed_until_timestamp_seconds"

static void cycles_wait_in_order_for_a_slow_meter(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12}, c2[] = {14};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	harness_release(mi_step(h, 0, 1, c0));
	/* Two cgroup cycles before the meter's next reading, 10 s later. */
	mi_host(mi_base + DT, 104, 1006);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	harness_release(harness_cycle(h));
	mi_host(mi_base + 2 * DT, 108, 1012);
	mi_cgroups(mi_base + 2 * DT, 1, c2, NULL);
	s = harness_cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	/* Only the first cycle is closed: the counters stand for its time. */
	assert_true(harness_one(s, UNTIL, NULL) == mi_base);
	harness_release(s);
	mi_meter(mi_base + 2 * DT, 1300);
	s = harness_cycle(h);
	assert_true(harness_one(s, UNTIL, NULL) == mi_base + 2 * DT);
	/* Both intervals, each 150 J of which 50 J dynamic: a gets half. */
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"attributed", NULL) == 2);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"gap", NULL) == 0);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 300);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void meter_gap_is_charged_to_no_one(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12}, c2[] = {14}, c3[] = {16};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	harness_release(mi_step(h, 0, 1, c0));
	/* The meter's next reading comes 20 s later, past max_gap (15 s). */
	mi_host(mi_base + DT, 104, 1006);
	mi_cgroups(mi_base + DT, 1, c1, NULL);
	harness_release(harness_cycle(h));
	mi_host(mi_base + 2 * DT, 108, 1012);
	mi_cgroups(mi_base + 2 * DT, 1, c2, NULL);
	harness_release(harness_cycle(h));
	mi_host(mi_base + 3 * DT, 112, 1018);
	mi_cgroups(mi_base + 3 * DT, 1, c3, NULL);
	harness_release(harness_cycle(h));
	mi_meter(mi_base + 4 * DT, 1600);
	s = harness_cycle(h);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"gap", NULL) >= 2);
	/* Nothing was ever charged to a: it has no energy series yet. */
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 0);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

static void dynamic_energy_follows_cycles_where_counted(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	struct harness *h = mi_start(set);
	struct snap_set *s;

	(void)st;
	mi_cycles(mi_base, 0, 0, 0);
	harness_release(harness_cycle(h));
	mi_cycles(mi_base + DT, 1000, 600, 200);
	s = mi_basic(h, NULL);
	/* By cycles: a 60 %, b 20 % of 50 J, whatever their CPU time. */
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 30);
	HARNESS_NEAR(mi_ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 10);
	assert_true(harness_one(s, "virtmeter_model_dynamic_split_info", "by",
				"cycles", NULL) == 1);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

/* Every per-container family the model emits carries the pod and
 * namespace that the cgroup collector's series of the container carry:
 * a Kubernetes container's, and "" for one outside Kubernetes. */
static void container_series_carry_pod_and_namespace(void **st)
{
	static const struct {
		const char *fam;
		size_t n; /* samples per container */
	} fams[] = {
	    {"virtmeter_container_energy_joules", 3},
	    {"virtmeter_container_power_watts", 3},
	    {"virtmeter_container_idle_seconds", 1},
	    {"virtmeter_container_idle_energy_joules", 1},
	};
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	struct harness *h = mi_start(set);
	struct snap_set *s = mi_basic(h, NULL);

	(void)st;
	for (size_t k = 0; k < ARRAY_SIZE(fams); k++) {
		const char *f = fams[k].fam;

		assert_int_equal(harness_count(s, f, "id", "a", NULL), fams[k].n);
		assert_int_equal(harness_count(s, f, "id", "a", "container",
					       "ct-a", "runtime", "containerd",
					       "pod", "shop-a", "namespace",
					       "prod", NULL),
				 fams[k].n);
		assert_int_equal(harness_count(s, f, "id", "b", NULL), fams[k].n);
		assert_int_equal(harness_count(s, f, "id", "b", "container",
					       "ct-b", "runtime", "docker", "pod",
					       "", "namespace", "", NULL),
				 fams[k].n);
	}
	/* sum by (namespace) without a join: prod holds a's 25 J. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_energy_joules",
				 "namespace", "prod", "component", "dynamic",
				 NULL), 25);
	harness_release(s);
	harness_stop(h);
	mi_base += 100;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dynamic_energy_follows_cpu_and_idle_stays_with_the_host),
		cmocka_unit_test(equal_policy_gives_each_workload_the_same_idle),
		cmocka_unit_test(reserved_policy_charges_what_a_workload_holds),
		cmocka_unit_test(none_policy_leaves_all_idle_unattributed),
		cmocka_unit_test(meter_below_idle_charges_no_dynamic_energy),
		cmocka_unit_test(vm_overhead_is_priced_in_joules),
		cmocka_unit_test(idle_vm_is_counted_as_waste),
		cmocka_unit_test(idle_time_is_summed_in_whole_nanoseconds),
		cmocka_unit_test(new_workload_is_charged_from_its_first_sample),
		cmocka_unit_test(ended_workload_keeps_its_counters_until_retired),
		cmocka_unit_test(counter_reset_is_not_charged),
		cmocka_unit_test(model_waits_for_the_meter_past_the_interval),
		cmocka_unit_test(meter_gap_is_charged_to_no_one),
		cmocka_unit_test(cycles_wait_in_order_for_a_slow_meter),
		cmocka_unit_test(dynamic_energy_follows_cycles_where_counted),
		cmocka_unit_test(container_series_carry_pod_and_namespace),
	};
	int rc;

	if (mi_init())
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mi_done();
	return rc;
}
