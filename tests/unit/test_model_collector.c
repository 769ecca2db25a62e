/* Tests of the energy model as a collector (collectors/model/): the other
 * collectors' sets are published by hand, with the families those
 * collectors declare and the times their cycles would carry, and each
 * figure the model emits is checked against a split computed by hand:
 * conservation to the joule, each idle policy, dynamic by CPU time and by
 * cycles, a VM's overhead, a workload that appears, one that ends, a
 * counter reset, a meter gap, a meter below idle, waiting for the meter's
 * reading past the interval's end, the estimate, learning, a corrupt
 * state file, and the Kubernetes pod and namespace of each container's
 * series. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"

extern const struct collector model_collector;

/* Interval of the hand-made cycles, in seconds. */
#define DT 5.0

static char storage[] = "/tmp/test_model_XXXXXX";
/* Times of the hand-made sets: in the future, so that no wall-clock
 * deadline of the model (max_gap past an interval's end) passes during a
 * test; each test moves on from where the last one stopped. */
static double base;

static void forget_learned(void);

/* The family called name that some collector of the registry declares. */
static const struct snap_family *fam(const char *name)
{
	for (size_t i = 0; collector_table[i]; i++) {
		const struct snap_family *const *f = collector_table[i]->families;

		for (; f && *f; f++)
			if (strcmp((*f)->name, name) == 0)
				return *f;
	}
	fail_msg("no collector declares %s", name);
	return NULL;
}

/* A set of collector name's slot, stamped with time t. */
static struct snap_set *new_set(double t)
{
	struct snap_set *s = snap_set_new();

	assert_non_null(s);
	s->time = t;
	return s;
}

/* Publishes set (a reference is taken) into collector name's slot and
 * drops the caller's reference. */
static void publish(const char *name, struct snap_set *set)
{
	int idx = collector_find(name);
	struct snap_update u;

	if (idx < 0) {
		snap_set_unref(set);
		skip();
	}
	u = (struct snap_update){(size_t)idx + 1, set};
	assert_int_equal(snap_publish(&u, 1), 0);
	snap_set_unref(set);
}

/* Empties every slot. */
static void clear_all(void)
{
	for (size_t i = 0; collector_table[i]; i++) {
		struct snap_update u = {i + 1, NULL};

		snap_publish(&u, 1);
	}
}

/* The host: busy and idle CPU seconds, 4 CPUs and 64 GiB. */
static void host(double t, double busy, double idle)
{
	struct snap_set *s = new_set(t);

	snap_add(s, fam("virtmeter_host_cpu_seconds"), busy, "user");
	snap_add(s, fam("virtmeter_host_cpu_seconds"), idle, "idle");
	snap_add(s, fam("virtmeter_host_cpu_seconds"), 1000, "steal");
	snap_add0(s, fam("virtmeter_host_cpus"), 4);
	snap_add0(s, fam("virtmeter_host_memory_total_bytes"), 64.0 * (1 << 30));
	publish("host", s);
}

/* A RAPL meter's psys counter read at time t, and package-0 inside it. */
static void meter(double t, double joules)
{
	struct snap_set *s = new_set(t);

	snap_add(s, fam("virtmeter_energy_joules"), joules, "rapl", "rapl",
		 "psys", "psys", "");
	snap_add(s, fam("virtmeter_energy_joules"), joules / 2, "rapl", "rapl",
		 "package-0", "package", "psys");
	snap_add(s, fam("virtmeter_meter_last_sample_timestamp_seconds"), t,
		 "rapl", "rapl");
	publish("power", s);
}

/* The identity labels of container i ("a", "b", ...), as the cgroup
 * collector gives them: a is a Kubernetes container (containerd, pod
 * shop-a in namespace prod), the others are docker's, outside Kubernetes
 * (pod and namespace ""). lbl has room for the family's own labels. */
static void ct_identity(size_t i, char *id, char *name, const char **lbl)
{
	id[0] = (char)('a' + i);
	id[1] = '\0';
	snprintf(name, 8, "ct-%s", id);
	lbl[WL_CT_CONTAINER] = name;
	lbl[WL_CT_ID] = id;
	lbl[WL_CT_RUNTIME] = i == 0 ? "containerd" : "docker";
	lbl[WL_CT_POD] = i == 0 ? "shop-a" : "";
	lbl[WL_CT_NAMESPACE] = i == 0 ? "prod" : "";
}

/* A cgroup cycle of n containers ("a", "b", ...) with their CPU seconds
 * (NAN: absent) and memory limits (0: none). */
static void cgroups(double t, size_t n, const double *cpu, const double *lim)
{
	struct snap_set *s = new_set(t);

	for (size_t i = 0; i < n; i++) {
		const char *lbl[SNAP_MAX_LABELS];
		char id[2], name[8];

		if (isnan(cpu[i]))
			continue;
		ct_identity(i, id, name, lbl);
		lbl[WL_CT_NLABELS] = "user";
		snap_add_array(s, fam("virtmeter_container_cpu_seconds"),
			       cpu[i] * 0.75, lbl, WL_CT_NLABELS + 1);
		lbl[WL_CT_NLABELS] = "system";
		snap_add_array(s, fam("virtmeter_container_cpu_seconds"),
			       cpu[i] * 0.25, lbl, WL_CT_NLABELS + 1);
		if (lim && lim[i] > 0)
			snap_add_array(s,
				       fam("virtmeter_container_memory_limit_bytes"),
				       lim[i], lbl, WL_CT_NLABELS);
	}
	assert_int_equal(s->err, 0);
	publish("cgroup", s);
}

static struct harness *start(const struct harness_setting *settings)
{
	struct harness_opts o = {.settings = settings, .storage = storage};

	clear_all();
	return harness_start(&model_collector, &o);
}

/* One model cycle; returns its set. */
static struct snap_set *cycle(struct harness *h)
{
	return harness_cycle(h);
}

static double ct(const struct snap_set *s, const char *fam_name,
		 const char *id, const char *comp)
{
	return harness_one(s, fam_name, "id", id, "component", comp, NULL);
}

/* The first two cycles of the basic case: host busy 4 of 10 CPU s, 150 J
 * (30 W) over DT, container a 2 CPU s, b 1 CPU s. */
static struct snap_set *basic(struct harness *h, const double *lim)
{
	const double c0[] = {10, 5}, c1[] = {12, 6};
	struct snap_set *s;

	host(base, 100, 1000);
	meter(base, 1000);
	cgroups(base, 2, c0, lim);
	s = cycle(h);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"first", NULL) == 1);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_release(s);
	host(base + DT, 104, 1006);
	meter(base + DT, 1150);
	cgroups(base + DT, 2, c1, lim);
	return cycle(h);
}

static void dynamic_energy_follows_cpu_and_idle_stays_with_the_host(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	struct harness *h = start(set);
	struct snap_set *s = basic(h, NULL);

	(void)st;
	/* 150 J: 100 J idle (20 W), 50 J dynamic; busy 4 CPU s. */
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "idle"), 0);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "overhead"), 0);
	HARNESS_NEAR(ct(s, "virtmeter_container_power_watts", "a", "dynamic"), 5);
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
		struct snap_set *again = cycle(h);

		assert_ptr_equal(again, s);
		harness_release(again);
	}
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void equal_policy_gives_each_workload_the_same_idle(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"idle-policy", "equal"}, {NULL, NULL}};
	struct harness *h = start(set);
	struct snap_set *s = basic(h, NULL);

	(void)st;
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "idle"), 50);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "idle"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 0);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void reserved_policy_charges_what_a_workload_holds(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double lim[] = {32.0 * (1 << 30), 0};
	struct harness *h = start(set);
	struct snap_set *s = basic(h, lim);

	(void)st;
	/* a holds half the memory and no CPU: weight 0.25 of 100 J. */
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "idle"), 25);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "idle"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 75);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void none_policy_leaves_all_idle_unattributed(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"idle-policy", "none"}, {NULL, NULL}};
	const double lim[] = {32.0 * (1 << 30), 0};
	struct harness *h = start(set);
	struct snap_set *s = basic(h, lim);

	(void)st;
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "idle"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 100);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void meter_below_idle_charges_no_dynamic_energy(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "40"}, {NULL, NULL}};
	struct harness *h = start(set);
	struct snap_set *s = basic(h, NULL);

	(void)st;
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 0);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "idle", NULL), 150);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 0);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

/* A VM seen by libvirt only: whole CPU and vCPU seconds, 2 of 4 vCPUs and
 * half the memory. */
static void vm(double t, double cpu, double vcpu)
{
	struct snap_set *s = new_set(t);

	snap_add(s, fam("virtmeter_vm_cpu_seconds"), cpu, "web");
	snap_add(s, fam("virtmeter_vm_vcpu_seconds"), vcpu * 0.5, "web", "0");
	snap_add(s, fam("virtmeter_vm_vcpu_seconds"), vcpu * 0.5, "web", "1");
	snap_add(s, fam("virtmeter_vm_vcpus"), 2, "web");
	snap_add(s, fam("virtmeter_vm_memory_max_bytes"), 32.0 * (1 << 30), "web");
	publish("libvirt", s);
}

static void vm_overhead_is_priced_in_joules(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {11};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	/* libvirt reads a second before each cgroup cycle, its VM using 0.48
	 * CPU s per s of which 0.384 in its vCPUs: interpolated to the
	 * interval's ends, 2.4 CPU s and 1.92 vCPU s, an overhead share of
	 * 0.2. The libvirt cycle past the interval's end comes with the
	 * cgroup cycle that ends it. */
	vm(base - 1, 99.52, 79.616);
	host(base, 100, 1000);
	meter(base, 1000);
	cgroups(base, 1, c0, NULL);
	harness_release(cycle(h));
	vm(base + DT - 1, 101.92, 81.536);
	harness_release(cycle(h));
	vm(base + DT + 1, 102.88, 82.304);
	host(base + DT, 104, 1006);
	meter(base + DT, 1150);
	cgroups(base + DT, 1, c1, NULL);
	s = cycle(h);
	/* Dynamic 50 J over 4 busy CPU s: the VM's 2.4 s get 30 J, 6 J of
	 * which overhead; a's 1 s 12.5 J; the host 7.5 J. */
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_energy_joules", "vm", "web",
				 "component", "dynamic", NULL), 24);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_energy_joules", "vm", "web",
				 "component", "overhead", NULL), 6);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_power_watts", "vm", "web",
				 "component", "overhead", NULL), 1.2);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 12.5);
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
	base += 100;
}

static void idle_vm_is_counted_as_waste(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {14};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	/* 0.1 CPU s in 5 s of 2 vCPUs: 1 %, under the 2 % threshold. */
	vm(base - 1, 50, 40);
	host(base, 100, 1000);
	meter(base, 1000);
	cgroups(base, 1, c0, NULL);
	harness_release(cycle(h));
	vm(base + DT + 1, 50.12, 40.06);
	host(base + DT, 104, 1006);
	meter(base + DT, 1150);
	cgroups(base + DT, 1, c1, NULL);
	s = cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_idle_seconds", "vm", "web",
				 NULL), DT);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_idle_energy_joules", "vm",
				 "web", NULL), 50);
	harness_release(s);
	harness_stop(h);
	base += 100;
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
	struct harness *h = start(set);
	struct snap_set *s = NULL;
	double v;

	(void)st;
	/* Intervals of 5.1 s and 5.2 s, the VM idle in both (1.2 % of its 2
	 * vCPUs): in double, 5.1 after base is a multiple of 2^-22 s, and
	 * the sum of such differences is not a whole nanosecond. */
	for (size_t k = 0; k < 3; k++) {
		vm(base + ts[k] + (k ? 1 : -1), 50 + 0.12 * (double)k,
		   40 + 0.06 * (double)k);
		host(base + ts[k], 100 + 4 * (double)k, 1000 + 6 * (double)k);
		meter(base + ts[k], 1000 + 150 * (double)k);
		cgroups(base + ts[k], 1, &c[k], NULL);
		harness_release(s);
		s = cycle(h);
	}
	v = harness_one(s, "virtmeter_vm_idle_seconds", "vm", "web", NULL);
	assert_true(fabs(v - 10.3) < 1e-6);
	assert_true(whole_ns(v));
	harness_release(s);
	harness_stop(h);
	base += 100;
}

/* The basic case's first cycle, then one cgroup cycle (host, meter and
 * containers at base + DT * k) with the containers' CPU seconds. */
static struct snap_set *step(struct harness *h, int k, size_t n,
			     const double *cpu)
{
	host(base + DT * k, 100 + 4 * k, 1000 + 6 * k);
	meter(base + DT * k, 1000 + 150 * k);
	cgroups(base + DT * k, n, cpu, NULL);
	return cycle(h);
}

static void new_workload_is_charged_from_its_first_sample(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10, NAN}, c1[] = {12, 100}, c2[] = {14, 101};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	harness_release(step(h, 0, 2, c0));
	s = step(h, 1, 2, c1);
	/* b's 100 CPU s were used before it was seen: not charged. */
	harness_none(s, "virtmeter_container_energy_joules", "id", "b", NULL);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	s = step(h, 2, 2, c2);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void ended_workload_keeps_its_counters_until_retired(void **st)
{
	const struct harness_setting set[] = {
		{"idle-watts", "20"}, {"retire-after", "1s"}, {NULL, NULL}};
	const double c0[] = {10, 5}, c1[] = {12, 6}, c2[] = {14, NAN};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	harness_release(step(h, 0, 2, c0));
	harness_release(step(h, 1, 2, c1));
	s = step(h, 2, 2, c2);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 12.5);
	harness_none(s, "virtmeter_container_power_watts", "id", "b", NULL);
	assert_true(harness_one(s, "virtmeter_model_retired_workloads", NULL) == 1);
	/* The energy of b's last interval was charged once, to a and the
	 * host: the parts still sum to the meter. */
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_attribution_error_ratio", NULL), 0);
	harness_release(s);
	usleep(1100 * 1000);
	s = cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", "id", "b", NULL);
	assert_true(harness_one(s, "virtmeter_model_retired_workloads", NULL) == 0);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void counter_reset_is_not_charged(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {1}, c2[] = {3};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	harness_release(step(h, 0, 1, c0));
	s = step(h, 1, 1, c1);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_unattributed_energy_joules",
				 "component", "dynamic", NULL), 50);
	harness_release(s);
	s = step(h, 2, 1, c2);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void model_waits_for_the_meter_past_the_interval(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	/* A 30 W meter read every second, half a second off the cycles. */
	host(base, 100, 1000);
	meter(base - 0.5, 985);
	cgroups(base, 1, c0, NULL);
	harness_release(cycle(h));
	meter(base + 0.5, 1015);
	harness_release(cycle(h));
	meter(base + 4.5, 1135);
	host(base + DT, 104, 1006);
	cgroups(base + DT, 1, c1, NULL);
	s = cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_release(s);
	meter(base + 5.5, 1165);
	s = cycle(h);
	/* 1000 J at base and 1150 J at base + 5, interpolated. */
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 150);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 25);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void cycles_wait_in_order_for_a_slow_meter(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12}, c2[] = {14};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	harness_release(step(h, 0, 1, c0));
	/* Two cgroup cycles before the meter's next reading, 10 s later. */
	host(base + DT, 104, 1006);
	cgroups(base + DT, 1, c1, NULL);
	harness_release(cycle(h));
	host(base + 2 * DT, 108, 1012);
	cgroups(base + 2 * DT, 1, c2, NULL);
	s = cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_release(s);
	meter(base + 2 * DT, 1300);
	s = cycle(h);
	/* Both intervals, each 150 J of which 50 J dynamic: a gets half. */
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"attributed", NULL) == 2);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"gap", NULL) == 0);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 50);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 300);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void saturated_host_is_learned_at_full_utilisation(void **st)
{
	struct harness *h;
	struct snap_set *s;
	double e = 0, busy = 0, idle = 0;

	(void)st;
	forget_learned();
	h = start(NULL);
	/* Every third interval the host is saturated, and its busy time reads
	 * a hair above its total (the two come from different counters). */
	for (int k = 0; k <= 70; k++) {
		double u = k % 3 ? 0.1 + 0.1 * (k % 7) : 1.0, c[] = {busy};

		host(base + DT * k, busy, idle);
		meter(base + DT * k, e);
		cgroups(base + DT * k, 1, c, NULL);
		harness_release(cycle(h));
		busy += 4 * DT * u + (u == 1.0 ? 1e-9 : 0);
		idle += u == 1.0 ? 0 : 4 * DT * (1 - u);
		e += (25 + 50 * u) * DT;
	}
	s = cycle(h);
	/* 70 intervals attributed, every one learned. */
	assert_true(harness_one(s, "virtmeter_host_idle_power_samples", NULL) == 70);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	harness_release(s);
	harness_stop(h);
	forget_learned();
	base += DT * 71 + 100;
}

static void meter_gap_is_charged_to_no_one(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12}, c2[] = {14}, c3[] = {16};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	harness_release(step(h, 0, 1, c0));
	/* The meter's next reading comes 20 s later, past max_gap (15 s). */
	host(base + DT, 104, 1006);
	cgroups(base + DT, 1, c1, NULL);
	harness_release(cycle(h));
	host(base + 2 * DT, 108, 1012);
	cgroups(base + 2 * DT, 1, c2, NULL);
	harness_release(cycle(h));
	host(base + 3 * DT, 112, 1018);
	cgroups(base + 3 * DT, 1, c3, NULL);
	harness_release(cycle(h));
	meter(base + 4 * DT, 1600);
	s = cycle(h);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"gap", NULL) >= 2);
	/* Nothing was ever charged to a: it has no energy series yet. */
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL), 0);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

/* Perf counts: the host's cycles and the containers'. */
static void cycles(double t, double host_c, double a, double b)
{
	struct snap_set *s = new_set(t);

	snap_add(s, fam("virtmeter_host_perf_events"), host_c, "cycles");
	for (size_t i = 0; i < 2; i++) {
		const char *lbl[SNAP_MAX_LABELS];
		char id[2], name[8];

		ct_identity(i, id, name, lbl);
		lbl[WL_CT_NLABELS] = "cycles";
		snap_add_array(s, fam("virtmeter_container_perf_events"),
			       i == 0 ? a : b, lbl, WL_CT_NLABELS + 1);
	}
	assert_int_equal(s->err, 0);
	publish("perf", s);
}

static void dynamic_energy_follows_cycles_where_counted(void **st)
{
	const struct harness_setting set[] = {{"idle-watts", "20"}, {NULL, NULL}};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	cycles(base, 0, 0, 0);
	harness_release(cycle(h));
	cycles(base + DT, 1000, 600, 200);
	s = basic(h, NULL);
	/* By cycles: a 60 %, b 20 % of 50 J, whatever their CPU time. */
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "a", "dynamic"), 30);
	HARNESS_NEAR(ct(s, "virtmeter_container_energy_joules", "b", "dynamic"), 10);
	assert_true(harness_one(s, "virtmeter_model_dynamic_split_info", "by",
				"cycles", NULL) == 1);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

/* One zone of a power set: its labels and its counter at the two reads. */
struct zone_row {
	const char *meter, *source, *zone, *kind, *part_of;
	double j0, j1;
};

/* Two cycles with the power set of rows (read 0 then 1), the host and one
 * container; returns the second cycle's set. */
static struct snap_set *two_reads(struct harness *h, const struct zone_row *z,
				  size_t n)
{
	const double c0[] = {10}, c1[] = {12};

	for (int k = 0; k < 2; k++) {
		struct snap_set *p = new_set(base + k * DT);

		for (size_t i = 0; i < n; i++)
			snap_add(p, fam("virtmeter_energy_joules"),
				 k ? z[i].j1 : z[i].j0, z[i].meter, z[i].source,
				 z[i].zone, z[i].kind, z[i].part_of);
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(z[i].meter, z[i - 1].meter))
				snap_add(p, fam("virtmeter_meter_last_sample_"
						"timestamp_seconds"),
					 base + k * DT, z[i].meter, z[i].source);
		host(base + k * DT, 100 + 4 * k, 1000 + 6 * k);
		publish("power", p);
		cgroups(base + k * DT, 1, k ? c1 : c0, NULL);
		if (k == 0)
			harness_release(cycle(h));
	}
	return cycle(h);
}

/* The host's energy is the sum of the chosen meter's zones that no other
 * contains (part_of ""): RAPL without psys gives packages + DRAM, never
 * core or uncore; hwmon its socket, not the cores in it; a wall meter
 * wins over both; a meter named whole gives its outermost zones. */
static void source_sums_the_zones_no_other_contains(void **st)
{
	static const struct zone_row rapl[] = {
		{"rapl", "rapl", "package-0", "package", "", 1000, 1100},
		{"rapl", "rapl", "package-0/core", "core", "package-0", 500, 580},
		{"rapl", "rapl", "package-0/uncore", "uncore", "package-0", 10, 15},
		{"rapl", "rapl", "package-0/dram", "dram", "", 200, 250},
		{"hwmon", "hwmon", "amd/Esocket0", "socket", "", 0, 70},
		{"hwmon", "hwmon", "amd/Ecore000", "core", "amd/Esocket0", 0, 30},
		{"pdu", "exec", "outlet3", "wall", "", 0, 400},
	};
	const struct harness_setting named[] = {{"host-meter", "hwmon"},
						{NULL, NULL}};
	const struct {
		size_t first, n;
		const struct harness_setting *set;
		const char *zone;
		double joules;
	} cases[] = {
		{0, 4, NULL, "package-0+package-0/dram", 150},
		{4, 2, NULL, "amd/Esocket0", 70},
		{0, 7, NULL, "outlet3", 400},
		{0, 7, named, "amd/Esocket0", 70},
	};

	(void)st;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct harness *h = start(cases[c].set);
		struct snap_set *s = two_reads(h, rapl + cases[c].first, cases[c].n);

		assert_true(harness_one(s, "virtmeter_host_power_source_info",
					"zone", cases[c].zone, NULL) == 1);
		HARNESS_NEAR(harness_one(s, "virtmeter_host_energy_joules", NULL),
			     cases[c].joules);
		harness_release(s);
		harness_stop(h);
		base += 100;
	}
}

static void estimate_stands_in_without_a_meter(void **st)
{
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = start(NULL);
	struct snap_set *s;

	(void)st;
	/* The model waits a moment for a meter before it estimates. */
	usleep((unsigned)(3.2e6));
	host(base, 100, 1000);
	cgroups(base, 1, c0, NULL);
	harness_release(cycle(h));
	host(base + DT, 104, 1006);
	cgroups(base + DT, 1, c1, NULL);
	s = cycle(h);
	/* 4 CPUs: 2.96 W idle, 14 W full; utilisation 0.4: 7.376 W. */
	HARNESS_NEAR(harness_one(s, "virtmeter_host_power_watts", "source",
				 "estimate", NULL), 7.376);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "estimate", NULL), 2.96);
	/* Dynamic 36.88 - 14.8 = 22.08 J; a used 2 of 4 busy CPU s. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_energy_joules", "id", "a",
				 "component", "dynamic", "source", "estimate",
				 NULL), 11.04);
	assert_true(harness_one(s, "virtmeter_host_power_source_info", "source",
				"estimate", NULL) == 1);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void estimate_can_be_turned_off(void **st)
{
	const struct harness_setting set[] = {{"estimate", "false"}, {NULL, NULL}};
	const double c0[] = {10}, c1[] = {12};
	struct harness *h = start(set);
	struct snap_set *s;

	(void)st;
	usleep((unsigned)(3.2e6));
	host(base, 100, 1000);
	cgroups(base, 1, c0, NULL);
	harness_release(cycle(h));
	host(base + DT, 104, 1006);
	cgroups(base + DT, 1, c1, NULL);
	s = cycle(h);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_none(s, "virtmeter_host_power_source_info", NULL);
	harness_release(s);
	harness_stop(h);
	base += 100;
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
	struct harness *h = start(set);
	struct snap_set *s = basic(h, NULL);

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
	base += 100;
}

/* Removes the state file that earlier tests' stops saved. */
static void forget_learned(void)
{
	char path[sizeof(storage) + 32];

	snprintf(path, sizeof(path), "%s/idle-power.state", storage);
	unlink(path);
}

static void idle_power_is_learned_and_kept_across_restarts(void **st)
{
	struct harness *h;
	struct snap_set *s;
	double e = 0, busy = 0, idle = 0;

	(void)st;
	forget_learned();
	h = start(NULL);
	/* 80 intervals of 5 s at utilisations from 0.1 to 0.9; the meter
	 * reads 25 W + 50 W x utilisation. */
	for (int k = 0; k <= 80; k++) {
		double u = 0.1 + 0.1 * (k % 9), c[] = {busy};

		host(base + DT * k, busy, idle);
		meter(base + DT * k, e);
		cgroups(base + DT * k, 1, c, NULL);
		harness_release(cycle(h));
		busy += 4 * DT * u;
		idle += 4 * DT * (1 - u);
		e += (25 + 50 * u) * DT;
	}
	s = cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	assert_true(harness_one(s, "virtmeter_host_idle_power_samples", NULL) >= 60);
	harness_release(s);
	harness_stop(h);

	/* A new start reads the state the stop saved. */
	base += DT * 81;
	h = start(NULL);
	{
		const double c0[] = {0}, c1[] = {1};

		host(base, 0, 0);
		meter(base, 0);
		cgroups(base, 1, c0, NULL);
		harness_release(cycle(h));
		/* On the learned line: 0.2 busy, 35 W. */
		host(base + DT, 4, 16);
		meter(base + DT, 175);
		cgroups(base + DT, 1, c1, NULL);
		s = cycle(h);
	}
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "learned", NULL), 25);
	harness_release(s);
	harness_stop(h);
	base += 100;
}

static void corrupt_state_file_is_ignored(void **st)
{
	char path[sizeof(storage) + 32];
	struct harness *h;
	struct snap_set *s;
	FILE *f;

	(void)st;
	snprintf(path, sizeof(path), "%s/idle-power.state", storage);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a state file\n", f);
	fclose(f);
	h = start(NULL);
	s = basic(h, NULL);
	HARNESS_NEAR(harness_one(s, "virtmeter_host_idle_power_watts", "method",
				 "estimate", NULL), 2.96);
	harness_release(s);
	harness_stop(h);
	unlink(path);
	base += 100;
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
		cmocka_unit_test(saturated_host_is_learned_at_full_utilisation),
		cmocka_unit_test(dynamic_energy_follows_cycles_where_counted),
		cmocka_unit_test(source_sums_the_zones_no_other_contains),
		cmocka_unit_test(estimate_stands_in_without_a_meter),
		cmocka_unit_test(estimate_can_be_turned_off),
		cmocka_unit_test(idle_power_is_learned_and_kept_across_restarts),
		cmocka_unit_test(corrupt_state_file_is_ignored),
		cmocka_unit_test(container_series_carry_pod_and_namespace),
	};
	int rc;

	assert_non_null(mkdtemp(storage));
	base = clock_real_s() + 100000;
	if (snap_init())
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snap_shutdown();
	forget_learned();
	rmdir(storage);
	return rc;
}
