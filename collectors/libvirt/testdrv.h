/* The per-domain fallback for libvirt's test driver (test:///...), whose
 * virConnectGetAllDomainStats answers with the state group only: the
 * missing groups are fetched with per-domain calls and written as the same
 * typed parameters the bulk call would give, so that both paths go through
 * the one mapping (libvirt_map.c). Used for the TEST driver only: on a
 * real hypervisor that would be one RPC per domain per group. */
#ifndef VIRTMETER_LIBVIRT_TESTDRV_H
#define VIRTMETER_LIBVIRT_TESTDRV_H

#include <libvirt/libvirt.h>

#include "collectors/libvirt/meta.h"

/* Returns in *out (nout entries; free with virTypedParamsFree) a copy of
 * the record's n parameters followed by cpu.*, vcpu.*, balloon.*, block.*
 * and net.* of domain dom, from virDomainGetInfo, virDomainGetVcpus,
 * virDomainMemoryStats, virDomainBlockStats and virDomainInterfaceStats;
 * disks and interfaces are those of meta (which may be NULL). A call that
 * fails leaves its group out. Returns 0 or -ENOMEM. */
int lv_testdrv_stats(virDomainPtr dom, const virTypedParameter *params, int n,
		     const struct lv_meta *meta, virTypedParameterPtr *out,
		     int *nout);

#endif
