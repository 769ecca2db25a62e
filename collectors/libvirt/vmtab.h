/* The libvirt collector's per-VM state between cycles, keyed by UUID:
 * emulator-overhead history, the parsed domain XML and the cgroup path. A
 * VM not met during a cycle is freed by the sweep that ends it. */
#ifndef VIRTMETER_LIBVIRT_VMTAB_H
#define VIRTMETER_LIBVIRT_VMTAB_H

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>

#include "collectors/libvirt/map.h"
#include "collectors/libvirt/meta.h"

/* Per-VM state kept between cycles, keyed by UUID. Owned by the table. */
struct lv_vm {
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct lv_vm *next; /* hash chain */
	bool seen;	    /* met during the current cycle */
	int dom_id;	    /* libvirt's domain id last seen; INT_MIN: never */
	struct lv_emu emu;
	struct lv_meta *meta;  /* parsed XML, NULL until read */
	bool meta_dirty;       /* read the XML again this cycle */
	char *cgroup;	       /* NULL if unknown */
	unsigned cgroup_tries; /* discovery attempts for this dom_id */
	int test_max_vcpus;    /* TEST driver: maximum vCPUs, read with the
				* XML (0: unknown) */
};

/* The table of lv_vm. Zero-initialised is an empty, usable table. */
struct lv_vmtab {
	struct lv_vm **buckets;
	size_t nbuckets, n;
};

/* Returns the VM with this UUID, creating it if absent, and marks it seen
 * in the current cycle. NULL without memory. */
struct lv_vm *lv_vmtab_get(struct lv_vmtab *t, const char *uuid);

/* Returns the VM with this UUID or NULL; does not mark it seen. */
struct lv_vm *lv_vmtab_find(const struct lv_vmtab *t, const char *uuid);

/* Ends a cycle: frees every VM not seen since the last sweep (its
 * emulator state, metadata and cgroup go with it) and clears the marks of
 * the others. Returns the number of VMs freed. */
size_t lv_vmtab_sweep(struct lv_vmtab *t);

/* Calls fn on every VM of the table. */
void lv_vmtab_each(struct lv_vmtab *t, void (*fn)(struct lv_vm *vm, void *arg),
		   void *arg);

/* Frees every VM and the table's storage; the table is empty again. */
void lv_vmtab_clear(struct lv_vmtab *t);

#endif
