/* Per-domain calls standing in for the statistics groups that libvirt's
 * test driver leaves out of virConnectGetAllDomainStats. This is the only
 * place where the collector makes one call per domain per group, and only
 * for the TEST driver (libvirt.c checks virConnectGetType()): the test
 * driver runs in process, so these calls cost no RPC. The parameters are
 * written straight into a reused array: no libvirt call, allocation or
 * printf per parameter. */
#include "collectors/libvirt/testdrv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/base.h"

/* Parameters added beside the per-vCPU, per-disk and per-interface ones:
 * cpu.time, vcpu.current, vcpu.maximum, balloon.maximum, balloon.current,
 * block.count, net.count. */
#define FIXED_PARAMS 7
#define PER_VCPU 2  /* state, time */
#define PER_DISK 5  /* name, rd.reqs, rd.bytes, wr.reqs, wr.bytes */
#define PER_IFACE 9 /* name and eight counters */

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

/* The next free entry with its field set to key, or NULL when the array is
 * full (it was sized for the domain, so that is a bug, not an input). */
static virTypedParameter *next(struct lv_testdrv_buf *b, const char *key)
{
	virTypedParameter *p;
	size_t len = strlen(key);

	if (b->n == b->cap || len >= VIR_TYPED_PARAM_FIELD_LENGTH)
		return NULL;
	p = &b->p[b->n++];
	memcpy(p->field, key, len + 1);
	return p;
}

static void add_ull(struct lv_testdrv_buf *b, const char *key,
		    unsigned long long v)
{
	virTypedParameter *p = next(b, key);

	if (p) {
		p->type = VIR_TYPED_PARAM_ULLONG;
		p->value.ul = v;
	}
}

/* Writes "PREFIX.I.SUFFIX" into key (VIR_TYPED_PARAM_FIELD_LENGTH bytes);
 * every caller's pieces are short constants and a small index. */
static void idx_key(char *key, const char *prefix, unsigned i,
		    const char *suffix)
{
	char digits[12];
	size_t np = strlen(prefix), ns = strlen(suffix), nd = 0, at;

	do {
		digits[nd++] = (char)('0' + i % 10);
		i /= 10;
	} while (i && nd < sizeof(digits));
	if (np + nd + ns + 3 > VIR_TYPED_PARAM_FIELD_LENGTH) {
		key[0] = '\0';
		return;
	}
	memcpy(key, prefix, np);
	at = np;
	key[at++] = '.';
	while (nd)
		key[at++] = digits[--nd];
	key[at++] = '.';
	memcpy(key + at, suffix, ns + 1);
}

/* Adds "PREFIX.I.SUFFIX" = v unless v is negative (libvirt's "unknown"). */
static void add_idx(struct lv_testdrv_buf *b, const char *prefix, unsigned i,
		    const char *suffix, long long v)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH];

	if (v < 0)
		return;
	idx_key(key, prefix, i, suffix);
	add_ull(b, key, (unsigned long long)v);
}

/* Adds "PREFIX.I.name" = name, borrowing the string. */
static void add_name(struct lv_testdrv_buf *b, const char *prefix, unsigned i,
		     const char *name)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH];
	virTypedParameter *p;

	idx_key(key, prefix, i, "name");
	p = next(b, key);
	if (p) {
		p->type = VIR_TYPED_PARAM_STRING;
		p->value.s = (char *)name;
	}
}

/* vcpu.N.state and vcpu.N.time of a running domain. */
static void add_vcpus(struct lv_testdrv_buf *b, virDomainPtr dom,
		      unsigned nvcpu)
{
	virVcpuInfo small[16], *info = small;
	int got;

	if (nvcpu == 0)
		return;
	if (nvcpu > ARRAY_SIZE(small)) {
		info = calloc(nvcpu, sizeof(*info));
		if (!info)
			return;
	}
	got = virDomainGetVcpus(dom, info, (int)nvcpu, NULL, 0);
	for (int i = 0; i < got; i++) {
		add_idx(b, "vcpu", info[i].number, "state", info[i].state);
		add_idx(b, "vcpu", info[i].number, "time",
			(long long)info[i].cpuTime);
	}
	if (info != small)
		free(info);
}

/* balloon.* from virDomainMemoryStats; returns true if it gave
 * balloon.current (the actual balloon size). */
static bool add_memstats(struct lv_testdrv_buf *b, virDomainPtr dom)
{
	virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
	int n = virDomainMemoryStats(dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	bool actual = false;

	for (int i = 0; i < n; i++) {
		if (ms[i].tag < 0 || ms[i].tag >= VIR_DOMAIN_MEMORY_STAT_NR ||
		    !mem_keys[ms[i].tag])
			continue;
		add_ull(b, mem_keys[ms[i].tag], ms[i].val);
		actual |= ms[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON;
	}
	return actual;
}

static void add_blocks(struct lv_testdrv_buf *b, virDomainPtr dom,
		       const struct lv_meta *m)
{
	unsigned k = 0;

	for (size_t i = 0; m && i < m->ndisks; i++) {
		virDomainBlockStatsStruct bs;
		const char *dev = m->disks[i].target;

		if (!dev[0] ||
		    virDomainBlockStats(dom, dev, &bs, sizeof(bs)) < 0)
			continue;
		add_name(b, "block", k, dev);
		add_idx(b, "block", k, "rd.reqs", bs.rd_req);
		add_idx(b, "block", k, "rd.bytes", bs.rd_bytes);
		add_idx(b, "block", k, "wr.reqs", bs.wr_req);
		add_idx(b, "block", k, "wr.bytes", bs.wr_bytes);
		k++;
	}
	add_ull(b, "block.count", k);
}

static void add_ifaces(struct lv_testdrv_buf *b, virDomainPtr dom,
		       const struct lv_meta *m)
{
	unsigned k = 0;

	for (size_t i = 0; m && i < m->nifaces; i++) {
		virDomainInterfaceStatsStruct is;
		const struct lv_meta_dev *d = &m->ifaces[i];
		/* The MAC tells interfaces apart; the target names them. */
		const char *ask = d->mac[0] ? d->mac : d->target;

		if (!ask[0] ||
		    virDomainInterfaceStats(dom, ask, &is, sizeof(is)) < 0)
			continue;
		add_name(b, "net", k, d->target[0] ? d->target : d->mac);
		add_idx(b, "net", k, "rx.bytes", is.rx_bytes);
		add_idx(b, "net", k, "rx.pkts", is.rx_packets);
		add_idx(b, "net", k, "rx.errs", is.rx_errs);
		add_idx(b, "net", k, "rx.drop", is.rx_drop);
		add_idx(b, "net", k, "tx.bytes", is.tx_bytes);
		add_idx(b, "net", k, "tx.pkts", is.tx_packets);
		add_idx(b, "net", k, "tx.errs", is.tx_errs);
		add_idx(b, "net", k, "tx.drop", is.tx_drop);
		k++;
	}
	add_ull(b, "net.count", k);
}

/* Makes room for need entries; the array only grows. */
static int reserve(struct lv_testdrv_buf *b, size_t need)
{
	virTypedParameter *p;

	if (need <= b->cap)
		return 0;
	p = realloc(b->p, need * sizeof(*p));
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = need;
	return 0;
}

int lv_testdrv_stats(virDomainPtr dom, const virTypedParameter *params, int n,
		     const struct lv_meta *meta, bool active, int max_vcpus,
		     struct lv_testdrv_buf *buf)
{
	virDomainInfo info;
	bool have = virDomainGetInfo(dom, &info) == 0, actual = false;
	size_t need = (size_t)n + FIXED_PARAMS + VIR_DOMAIN_MEMORY_STAT_NR;

	if (have)
		need += (size_t)info.nrVirtCpu * PER_VCPU;
	if (meta)
		need += meta->ndisks * PER_DISK + meta->nifaces * PER_IFACE;
	if (reserve(buf, need) < 0)
		return -ENOMEM;
	memcpy(buf->p, params, (size_t)n * sizeof(*params));
	buf->n = (size_t)n;
	if (have) {
		/* Like the bulk API, an inactive domain reports its defined
		 * vCPUs and memory but no CPU time. */
		if (active) {
			add_ull(buf, "cpu.time", info.cpuTime);
			add_vcpus(buf, dom, info.nrVirtCpu);
			actual = add_memstats(buf, dom);
		}
		add_ull(buf, "vcpu.current", info.nrVirtCpu);
		add_ull(buf, "vcpu.maximum",
			active && max_vcpus > 0 ? (unsigned)max_vcpus
						: info.nrVirtCpu);
		add_ull(buf, "balloon.maximum", info.maxMem);
		if (!actual)
			add_ull(buf, "balloon.current", info.memory);
	}
	if (active) {
		add_blocks(buf, dom, meta);
		add_ifaces(buf, dom, meta);
	}
	return 0;
}

void lv_testdrv_free(struct lv_testdrv_buf *buf)
{
	free(buf->p);
	*buf = (struct lv_testdrv_buf){0};
}
