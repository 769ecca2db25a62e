/* The per-domain fallback for libvirt's test driver (test:///...), whose
 * virConnectGetAllDomainStats answers with the state group only: the
 * missing groups are fetched with per-domain calls and written as the same
 * typed parameters the bulk call would give, so that both paths go through
 * the one mapping (libvirt_map.c). Used for the TEST driver only: on a
 * real hypervisor that would be one RPC per domain per group. */
#ifndef VIRTMETER_LIBVIRT_TESTDRV_H
#define VIRTMETER_LIBVIRT_TESTDRV_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

#include "collectors/libvirt/meta.h"

/* A parameter list reused from domain to domain: it grows to the largest
 * domain and is freed once, with lv_testdrv_free. Its entries own nothing:
 * string values point into the record's parameters and the domain's
 * lv_meta, which must outlive its use. Zero-initialised is empty. */
struct lv_testdrv_buf {
	virTypedParameter *p;
	size_t n, cap;
};

/* Fills buf with a shallow copy of the record's n parameters followed by
 * cpu.*, vcpu.*, balloon.*, block.* and net.* of domain dom, from
 * virDomainGetInfo, virDomainGetVcpus, virDomainMemoryStats,
 * virDomainBlockStats and virDomainInterfaceStats; disks and interfaces
 * are those of meta (which may be NULL). active says whether the domain
 * runs (a domain id of -1 does not); max_vcpus is its maximum number of
 * vCPUs, or 0 when unknown. A call that fails leaves its group out.
 * Returns 0 or -ENOMEM. */
int lv_testdrv_stats(virDomainPtr dom, const virTypedParameter *params, int n,
		     const struct lv_meta *meta, bool active, int max_vcpus,
		     struct lv_testdrv_buf *buf);

/* Frees buf's list and empties it. */
void lv_testdrv_free(struct lv_testdrv_buf *buf);

#endif
