/* The inputs of the energy model's unit tests: see model_inputs.c. Each
 * test moves mi_base on (by 100 s) when it ends, so that the next starts
 * past every set the last one published. */
#ifndef VIRTMETER_TESTS_MODEL_INPUTS_H
#define VIRTMETER_TESTS_MODEL_INPUTS_H

#include <stddef.h>

#include "exporter/api/snapshot.h"
#include "tests/unit/harness.h"

/* Interval of the hand-made cycles, in seconds. */
#define DT 5.0

#define MI_STORAGE_TEMPLATE "/tmp/test_model_XXXXXX"

/* The model's --storage.path, a directory made by mi_init. */
extern char mi_storage[sizeof(MI_STORAGE_TEMPLATE)];

/* Times of the hand-made sets: in the future, so that no wall-clock
 * deadline of the model (max_gap past an interval's end) passes during a
 * test; each test moves on from where the last one stopped. */
extern double mi_base;

/* Makes the storage directory, sets mi_base and starts the snapshots.
 * Returns 0 or -1. */
int mi_init(void);

/* Stops the snapshots and removes the storage directory. */
void mi_done(void);

/* The family called name that some collector of the registry declares
 * (fails the test if none does). */
const struct snap_family *mi_fam(const char *name);

/* A new set stamped with time t (the caller owns its reference). */
struct snap_set *mi_new_set(double t);

/* Publishes set into collector name's slot (the test is skipped if this
 * build has no such collector) and drops the caller's reference. */
void mi_publish(const char *name, struct snap_set *set);

/* Empties every slot. */
void mi_clear_all(void);

/* The host at time t: busy and idle CPU seconds, 4 CPUs and 64 GiB. */
void mi_host(double t, double busy, double idle);

/* A RAPL meter's psys counter read at time t, and package-0 inside it. */
void mi_meter(double t, double joules);

/* The identity labels of container i ("a", "b", ...) into lbl (room for
 * the family's own labels after them); id and name are its buffers (2 and
 * 8 bytes). a is a Kubernetes container (containerd, pod shop-a in
 * namespace prod), the others docker's, with pod and namespace "". */
void mi_ct_identity(size_t i, char *id, char *name, const char **lbl);

/* A cgroup cycle at time t of n containers ("a", "b", ...) with their CPU
 * seconds (NAN: absent) and memory limits (lim NULL or 0: none). */
void mi_cgroups(double t, size_t n, const double *cpu, const double *lim);

/* A VM "web" seen by libvirt only at time t: whole CPU and vCPU seconds,
 * 2 of 4 vCPUs and half the memory. */
void mi_vm(double t, double cpu, double vcpu);

/* Perf counts at time t: the host's cycles and containers a's and b's. */
void mi_cycles(double t, double host_c, double a, double b);

/* Empties every slot and starts the model with settings (NULL-terminated
 * pairs) on mi_storage. */
struct harness *mi_start(const struct harness_setting *settings);

/* Container id's sample of fam_name with component comp in set s. */
double mi_ct(const struct snap_set *s, const char *fam_name, const char *id,
	     const char *comp);

/* The first two cycles of the basic case: host busy 4 of 10 CPU s, 150 J
 * (30 W) over DT, container a 2 CPU s, b 1 CPU s; returns the second
 * cycle's set. */
struct snap_set *mi_basic(struct harness *h, const double *lim);

/* One cgroup cycle after the basic case's first (host, meter and n
 * containers at mi_base + DT * k, the containers' CPU seconds cpu); returns
 * the model's set. */
struct snap_set *mi_step(struct harness *h, int k, size_t n, const double *cpu);

/* Removes the state file that earlier tests' stops saved. */
void mi_forget_learned(void);

#endif
