/* The pure half of the libvirt collector: libvirt's typed statistics of one
 * domain (the virTypedParameter array of a virDomainStatsRecord, as
 * virConnectGetAllDomainStats returns it) -> typed samples, in base units;
 * the emulator-overhead counter kept monotonic per VM; the info and
 * OpenStack samples. No libvirt connection call is made here. */
#ifndef VIRTMETER_LIBVIRT_MAP_H
#define VIRTMETER_LIBVIRT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "collectors/libvirt/families.h"
#include "collectors/libvirt/meta.h"
#include "exporter/api/snapshot.h"

/* Emulator-overhead state of one VM: cpu.time minus the vCPUs' time, made
 * monotonic, in libvirt's integer nanoseconds (converted to seconds once,
 * when emitted, so that the sample is the exact decimal it is).
 * Zero-initialised means "no previous value". */
struct lv_emu {
	bool valid;
	uint64_t cpu;	/* cpu.time of the last cycle, ns */
	uint64_t vcpus; /* sum of vcpu.N.time of the last cycle, ns */
	uint64_t last;	/* value emitted last cycle, ns */
};

/* What lv_map_stats learnt about a domain besides its samples; a field the
 * record lacked is 0 (state -1). */
struct lv_summary {
	int state;	       /* state.state (virDomainState) */
	unsigned vcpus;	       /* vcpu.current, else vcpu.maximum */
	uint64_t memory_max;   /* balloon.maximum in bytes */
	bool emulator;	       /* an emulator sample was emitted */
	double emulator_value; /* its value, seconds */
};

/* Maps the n statistics of the domain whose "vm" label value is vm into
 * samples of out (see docs/metrics.md, section VMs, for the keys and
 * families) and fills *sum. emu is the VM's emulator state: updated in
 * place (reset when cpu.time went backwards: the VM restarted). Keys it
 * does not know are ignored; a device with no name, or with the name of an
 * earlier device of the same record, is labelled "NAME#N" ("#N" without a
 * name), N being libvirt's index. Returns 0 or -ENOMEM (also sticky in
 * out->err). */
int lv_map_stats(const virTypedParameter *params, int n, const char *vm,
		 struct lv_emu *emu, struct snap_set *out,
		 struct lv_summary *sum);

/* Returns the emulator CPU time to emit, in nanoseconds, for a VM whose
 * domain CPU time is cpu and whose vCPUs' times add up to vcpus (both
 * nanoseconds, as libvirt gives them): cpu - vcpus,
 * clamped at 0 and never below the value returned last time, unless cpu
 * went backwards (a restart), which starts over. A sample whose vCPU times
 * went backwards while cpu did not (libvirt reports 0 for the vCPUs of a
 * qemu that is going away) is not trusted: the last value is returned and
 * *emu is left as it was, so a glitch cannot inflate the counter for good.
 * Otherwise updates *emu. */
uint64_t lv_emu_update(struct lv_emu *emu, uint64_t cpu, uint64_t vcpus);

/* Adds virtmeter_vm_cgroup_info for a domain whose cgroup (relative path)
 * is known; nothing when cgroup is NULL. Returns 0 or the set's error. */
int lv_map_cgroup(struct snap_set *out, const char *vm, const char *cgroup);

/* Adds virtmeter_vm_info for the VM and, when openstack is set and meta
 * carries Nova's metadata, virtmeter_vm_openstack_info and the flavor
 * gauges. meta may be NULL (labels then empty). Returns 0 or -ENOMEM. */
int lv_map_info(struct snap_set *out, const char *vm, const char *uuid,
		const struct lv_meta *meta, bool openstack);

#endif
