/* Per-domain calls standing in for the statistics groups that libvirt's
 * test driver leaves out of virConnectGetAllDomainStats. This is the only
 * place where the collector makes one call per domain per group, and only
 * for the TEST driver (libvirt.c checks virConnectGetType()): the test
 * driver runs in process, so these calls cost no RPC. */
#include "collectors/libvirt/testdrv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A parameter list being built; the first failure sticks in err. */
struct tp {
	virTypedParameterPtr p;
	int n, max;
	int err;
};

/* The bulk API's balloon key for each virDomainMemoryStatTags value. */
static const char *const mem_keys[VIR_DOMAIN_MEMORY_STAT_NR] = {
    [VIR_DOMAIN_MEMORY_STAT_SWAP_IN] = "balloon.swap_in",
    [VIR_DOMAIN_MEMORY_STAT_SWAP_OUT] = "balloon.swap_out",
    [VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT] = "balloon.major_fault",
    [VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT] = "balloon.minor_fault",
    [VIR_DOMAIN_MEMORY_STAT_UNUSED] = "balloon.unused",
    [VIR_DOMAIN_MEMORY_STAT_AVAILABLE] = "balloon.available",
    [VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON] = "balloon.current",
    [VIR_DOMAIN_MEMORY_STAT_RSS] = "balloon.rss",
    [VIR_DOMAIN_MEMORY_STAT_USABLE] = "balloon.usable",
    [VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE] = "balloon.last-update",
    [VIR_DOMAIN_MEMORY_STAT_DISK_CACHES] = "balloon.disk_caches",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC] = "balloon.hugetlb_pgalloc",
    [VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL] = "balloon.hugetlb_pgfail",
};

static void tp_check(struct tp *t, int rc)
{
	if (rc < 0 && !t->err)
		t->err = -ENOMEM;
}

static void add_ull(struct tp *t, const char *key, unsigned long long v)
{
	if (!t->err)
		tp_check(
		    t, virTypedParamsAddULLong(&t->p, &t->n, &t->max, key, v));
}

/* Adds "PREFIX.I.SUFFIX" = v unless v is negative (libvirt's "unknown"). */
static void add_idx(struct tp *t, const char *prefix, int i, const char *suffix,
		    long long v)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH];

	if (v < 0)
		return;
	snprintf(key, sizeof(key), "%s.%d.%s", prefix, i, suffix);
	add_ull(t, key, (unsigned long long)v);
}

static void add_name(struct tp *t, const char *prefix, int i, const char *name)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH];

	snprintf(key, sizeof(key), "%s.%d.name", prefix, i);
	if (!t->err)
		tp_check(t, virTypedParamsAddString(&t->p, &t->n, &t->max, key,
						    name));
}

/* Appends a copy of one parameter of whatever type. */
static void copy_param(struct tp *t, const virTypedParameter *p)
{
	int rc = 0;

	switch (p->type) {
	case VIR_TYPED_PARAM_INT:
		rc = virTypedParamsAddInt(&t->p, &t->n, &t->max, p->field,
					  p->value.i);
		break;
	case VIR_TYPED_PARAM_UINT:
		rc = virTypedParamsAddUInt(&t->p, &t->n, &t->max, p->field,
					   p->value.ui);
		break;
	case VIR_TYPED_PARAM_LLONG:
		rc = virTypedParamsAddLLong(&t->p, &t->n, &t->max, p->field,
					    p->value.l);
		break;
	case VIR_TYPED_PARAM_ULLONG:
		rc = virTypedParamsAddULLong(&t->p, &t->n, &t->max, p->field,
					     p->value.ul);
		break;
	case VIR_TYPED_PARAM_DOUBLE:
		rc = virTypedParamsAddDouble(&t->p, &t->n, &t->max, p->field,
					     p->value.d);
		break;
	case VIR_TYPED_PARAM_BOOLEAN:
		rc = virTypedParamsAddBoolean(&t->p, &t->n, &t->max, p->field,
					      p->value.b);
		break;
	case VIR_TYPED_PARAM_STRING:
		rc = virTypedParamsAddString(&t->p, &t->n, &t->max, p->field,
					     p->value.s);
		break;
	default:
		break;
	}
	tp_check(t, rc);
}

/* vcpu.N.state and vcpu.N.time of a running domain. */
static void add_vcpus(struct tp *t, virDomainPtr dom, unsigned nvcpu)
{
	virVcpuInfoPtr info;
	int got;

	if (nvcpu == 0)
		return;
	info = calloc(nvcpu, sizeof(*info));
	if (!info) {
		t->err = -ENOMEM;
		return;
	}
	got = virDomainGetVcpus(dom, info, (int)nvcpu, NULL, 0);
	for (int i = 0; i < got; i++) {
		add_idx(t, "vcpu", (int)info[i].number, "state", info[i].state);
		add_idx(t, "vcpu", (int)info[i].number, "time",
			(long long)info[i].cpuTime);
	}
	free(info);
}

/* balloon.* from virDomainMemoryStats; returns true if it gave
 * balloon.current (the actual balloon size). */
static bool add_memstats(struct tp *t, virDomainPtr dom)
{
	virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	bool actual = false;

	for (int i = 0; i < n; i++) {
		if (ms[i].tag < 0 || ms[i].tag >= VIR_DOMAIN_MEMORY_STAT_NR ||
		    !mem_keys[ms[i].tag])
			continue;
		add_ull(t, mem_keys[ms[i].tag], ms[i].val);
		actual |= ms[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON;
	}
	return actual;
}

static void add_blocks(struct tp *t, virDomainPtr dom, const struct lv_meta *m)
{
	int k = 0;

	for (size_t i = 0; m && i < m->ndisks; i++) {
		virDomainBlockStatsStruct bs;
		const char *dev = m->disks[i].target;

		if (!dev[0] ||
		    virDomainBlockStats(dom, dev, &bs, sizeof(bs)) < 0)
			continue;
		add_name(t, "block", k, dev);
		add_idx(t, "block", k, "rd.reqs", bs.rd_req);
		add_idx(t, "block", k, "rd.bytes", bs.rd_bytes);
		add_idx(t, "block", k, "wr.reqs", bs.wr_req);
		add_idx(t, "block", k, "wr.bytes", bs.wr_bytes);
		k++;
	}
	add_ull(t, "block.count", (unsigned long long)k);
}

static void add_ifaces(struct tp *t, virDomainPtr dom, const struct lv_meta *m)
{
	int k = 0;

	for (size_t i = 0; m && i < m->nifaces; i++) {
		virDomainInterfaceStatsStruct is;
		const struct lv_meta_dev *d = &m->ifaces[i];
		/* The MAC tells interfaces apart; the target names them. */
		const char *ask = d->mac[0] ? d->mac : d->target;

		if (!ask[0] ||
		    virDomainInterfaceStats(dom, ask, &is, sizeof(is)) < 0)
			continue;
		add_name(t, "net", k, d->target[0] ? d->target : d->mac);
		add_idx(t, "net", k, "rx.bytes", is.rx_bytes);
		add_idx(t, "net", k, "rx.pkts", is.rx_packets);
		add_idx(t, "net", k, "rx.errs", is.rx_errs);
		add_idx(t, "net", k, "rx.drop", is.rx_drop);
		add_idx(t, "net", k, "tx.bytes", is.tx_bytes);
		add_idx(t, "net", k, "tx.pkts", is.tx_packets);
		add_idx(t, "net", k, "tx.errs", is.tx_errs);
		add_idx(t, "net", k, "tx.drop", is.tx_drop);
		k++;
	}
	add_ull(t, "net.count", (unsigned long long)k);
}

int lv_testdrv_stats(virDomainPtr dom, const virTypedParameter *params, int n,
		     const struct lv_meta *meta, virTypedParameterPtr *out,
		     int *nout)
{
	struct tp t = {NULL, 0, 0, 0};
	virDomainInfo info;
	bool active = virDomainIsActive(dom) == 1, actual = false;

	for (int i = 0; i < n && !t.err; i++)
		copy_param(&t, &params[i]);
	if (virDomainGetInfo(dom, &info) == 0) {
		int max = active ? virDomainGetMaxVcpus(dom) : -1;

		/* Like the bulk API, an inactive domain reports its defined
		 * vCPUs and memory but no CPU time. */
		if (active) {
			add_ull(&t, "cpu.time", info.cpuTime);
			add_vcpus(&t, dom, info.nrVirtCpu);
			actual = add_memstats(&t, dom);
		}
		add_ull(&t, "vcpu.current", info.nrVirtCpu);
		add_ull(&t, "vcpu.maximum",
			max > 0 ? (unsigned)max : info.nrVirtCpu);
		add_ull(&t, "balloon.maximum", info.maxMem);
		if (!actual)
			add_ull(&t, "balloon.current", info.memory);
	}
	if (active) {
		add_blocks(&t, dom, meta);
		add_ifaces(&t, dom, meta);
	}
	if (t.err) {
		virTypedParamsFree(t.p, t.n);
		return t.err;
	}
	*out = t.p;
	*nout = t.n;
	return 0;
}
