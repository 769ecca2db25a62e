/* The metric families of the figures that the cgroup collector reads for
 * both containers and VMs: one table for each, indexed by the same enum, so
 * that one emitting function serves both. */
#ifndef VIRTMETER_CGROUP_FAMILIES_H
#define VIRTMETER_CGROUP_FAMILIES_H

#include "exporter/api/snapshot.h"

/* A figure that containers and VMs share: the index of its family in
 * cg_ct_fams and in cg_vm_fams. */
enum cg_fam {
	CG_FAM_CPU,
	CG_FAM_THR_SECONDS,
	CG_FAM_THR_PERIODS,
	CG_FAM_PERIODS,
	CG_FAM_CPU_QUOTA,
	CG_FAM_MEM_USAGE,
	CG_FAM_WORKING_SET,
	CG_FAM_RSS,
	CG_FAM_CACHE,
	CG_FAM_SWAP,
	CG_FAM_LIMIT,
	CG_FAM_OOM,
	CG_FAM_IO_RBYTES,
	CG_FAM_IO_WBYTES,
	CG_FAM_IO_RIOS,
	CG_FAM_IO_WIOS,
	CG_FAM_PIDS,
	CG_FAM_PSI_CPU_SOME,
	CG_FAM_PSI_CPU_FULL,
	CG_FAM_PSI_MEM_SOME,
	CG_FAM_PSI_MEM_FULL,
	CG_FAM_PSI_IO_SOME,
	CG_FAM_PSI_IO_FULL,
	CG_FAM_N
};

/* The containers' families, virtmeter_container_*, labelled container, id,
 * runtime, pod, namespace and, for some, one more label (mode or
 * device). */
extern const struct snap_family cg_ct_fams[CG_FAM_N];

/* The same figures of VMs from their host-side cgroups,
 * virtmeter_vm_cgroup_*, labelled vm and the same extra label. */
extern const struct snap_family cg_vm_fams[CG_FAM_N];

#endif
