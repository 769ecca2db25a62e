/* The inputs of the energy model's unit tests (test_model_collector.c,
 * test_model_source.c): the other collectors' sets, made by hand with the
 * families those collectors declare and the times their cycles would
 * carry, and published into their slots. */
#include "tests/unit/model_inputs.h"

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
#include "exporter/api/workload.h"

extern const struct collector model_collector;

char mi_storage[sizeof(MI_STORAGE_TEMPLATE)] = MI_STORAGE_TEMPLATE;
double mi_base;

/* The family called name that some collector of the registry declares. */
const struct snap_family *mi_fam(const char *name)
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
struct snap_set *mi_new_set(double t)
{
	struct snap_set *s = snap_set_new();

	assert_non_null(s);
	s->time = t;
	return s;
}

/* Publishes set (a reference is taken) into collector name's slot and
 * drops the caller's reference. */
void mi_publish(const char *name, struct snap_set *set)
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
void mi_clear_all(void)
{
	for (size_t i = 0; collector_table[i]; i++) {
		struct snap_update u = {i + 1, NULL};

		snap_publish(&u, 1);
	}
}

/* The host: busy and idle CPU seconds, 4 CPUs and 64 GiB. */
void mi_host(double t, double busy, double idle)
{
	struct snap_set *s = mi_new_set(t);

	snap_add(s, mi_fam("virtmeter_host_cpu_seconds"), busy, "user");
	snap_add(s, mi_fam("virtmeter_host_cpu_seconds"), idle, "idle");
	snap_add(s, mi_fam("virtmeter_host_cpu_seconds"), 1000, "steal");
	snap_add0(s, mi_fam("virtmeter_host_cpus"), 4);
	snap_add0(s, mi_fam("virtmeter_host_memory_total_bytes"), 64.0 * (1 << 30));
	mi_publish("host", s);
}

/* A RAPL meter's psys counter read at time t, and package-0 inside it. */
void mi_meter(double t, double joules)
{
	struct snap_set *s = mi_new_set(t);

	snap_add(s, mi_fam("virtmeter_energy_joules"), joules, "rapl", "rapl",
		 "psys", "psys", "");
	snap_add(s, mi_fam("virtmeter_energy_joules"), joules / 2, "rapl", "rapl",
		 "package-0", "package", "psys");
	snap_add(s, mi_fam("virtmeter_meter_last_sample_timestamp_seconds"), t,
		 "rapl", "rapl");
	mi_publish("power", s);
}

/* The identity labels of container i ("a", "b", ...), as the cgroup
 * collector gives them: a is a Kubernetes container (containerd, pod
 * shop-a in namespace prod), the others are docker's, outside Kubernetes
 * (pod and namespace ""). lbl has room for the family's own labels. */
void mi_ct_identity(size_t i, char *id, char *name, const char **lbl)
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
void mi_cgroups(double t, size_t n, const double *cpu, const double *lim)
{
	struct snap_set *s = mi_new_set(t);

	for (size_t i = 0; i < n; i++) {
		const char *lbl[SNAP_MAX_LABELS];
		char id[2], name[8];

		if (isnan(cpu[i]))
			continue;
		mi_ct_identity(i, id, name, lbl);
		lbl[WL_CT_NLABELS] = "user";
		snap_add_array(s, mi_fam("virtmeter_container_cpu_seconds"),
			       cpu[i] * 0.75, lbl, WL_CT_NLABELS + 1);
		lbl[WL_CT_NLABELS] = "system";
		snap_add_array(s, mi_fam("virtmeter_container_cpu_seconds"),
			       cpu[i] * 0.25, lbl, WL_CT_NLABELS + 1);
		if (lim && lim[i] > 0)
			snap_add_array(s,
				       mi_fam("virtmeter_container_memory_limit_bytes"),
				       lim[i], lbl, WL_CT_NLABELS);
	}
	assert_int_equal(s->err, 0);
	mi_publish("cgroup", s);
}

struct harness *mi_start(const struct harness_setting *settings)
{
	struct harness_opts o = {.settings = settings, .storage = mi_storage};

	mi_clear_all();
	return harness_start(&model_collector, &o);
}

double mi_ct(const struct snap_set *s, const char *fam_name,
		 const char *id, const char *comp)
{
	return harness_one(s, fam_name, "id", id, "component", comp, NULL);
}

/* The first two cycles of the basic case: host busy 4 of 10 CPU s, 150 J
 * (30 W) over DT, container a 2 CPU s, b 1 CPU s. */
struct snap_set *mi_basic(struct harness *h, const double *lim)
{
	const double c0[] = {10, 5}, c1[] = {12, 6};
	struct snap_set *s;

	mi_host(mi_base, 100, 1000);
	mi_meter(mi_base, 1000);
	mi_cgroups(mi_base, 2, c0, lim);
	s = harness_cycle(h);
	assert_true(harness_one(s, "virtmeter_model_intervals", "outcome",
				"first", NULL) == 1);
	harness_none(s, "virtmeter_container_energy_joules", NULL);
	harness_release(s);
	mi_host(mi_base + DT, 104, 1006);
	mi_meter(mi_base + DT, 1150);
	mi_cgroups(mi_base + DT, 2, c1, lim);
	return harness_cycle(h);
}

/* A VM seen by libvirt only: whole CPU and vCPU seconds, 2 of 4 vCPUs and
 * half the memory. */
void mi_vm(double t, double cpu, double vcpu)
{
	struct snap_set *s = mi_new_set(t);

	snap_add(s, mi_fam("virtmeter_vm_cpu_seconds"), cpu, "web");
	snap_add(s, mi_fam("virtmeter_vm_vcpu_seconds"), vcpu * 0.5, "web", "0");
	snap_add(s, mi_fam("virtmeter_vm_vcpu_seconds"), vcpu * 0.5, "web", "1");
	snap_add(s, mi_fam("virtmeter_vm_vcpus"), 2, "web");
	snap_add(s, mi_fam("virtmeter_vm_memory_max_bytes"), 32.0 * (1 << 30), "web");
	mi_publish("libvirt", s);
}

/* The basic case's first cycle, then one cgroup cycle (host, meter and
 * containers at mi_base + DT * k) with the containers' CPU seconds. */
struct snap_set *mi_step(struct harness *h, int k, size_t n,
			     const double *cpu)
{
	mi_host(mi_base + DT * k, 100 + 4 * k, 1000 + 6 * k);
	mi_meter(mi_base + DT * k, 1000 + 150 * k);
	mi_cgroups(mi_base + DT * k, n, cpu, NULL);
	return harness_cycle(h);
}

/* Perf counts: the host's cycles and the containers'. */
void mi_cycles(double t, double host_c, double a, double b)
{
	struct snap_set *s = mi_new_set(t);

	snap_add(s, mi_fam("virtmeter_host_perf_events"), host_c, "cycles");
	for (size_t i = 0; i < 2; i++) {
		const char *lbl[SNAP_MAX_LABELS];
		char id[2], name[8];

		mi_ct_identity(i, id, name, lbl);
		lbl[WL_CT_NLABELS] = "cycles";
		snap_add_array(s, mi_fam("virtmeter_container_perf_events"),
			       i == 0 ? a : b, lbl, WL_CT_NLABELS + 1);
	}
	assert_int_equal(s->err, 0);
	mi_publish("perf", s);
}

/* Removes the state file that earlier tests' stops saved. */
void mi_forget_learned(void)
{
	char path[sizeof(mi_storage) + 32];

	snprintf(path, sizeof(path), "%s/idle-power.state", mi_storage);
	unlink(path);
}

int mi_init(void)
{
	if (!mkdtemp(mi_storage))
		return -1;
	mi_base = clock_real_s() + 100000;
	return snap_init() ? -1 : 0;
}

void mi_done(void)
{
	snap_shutdown();
	mi_forget_learned();
	rmdir(mi_storage);
}
