/* Microbenchmark of the libvirt collector's production path: what a cycle
 * costs virtmeter once libvirt has returned the bulk statistics records.
 *
 *   tests/bench/lv_bulk_bench [-c CYCLES] [-n DOMAINS] [-k]
 *
 * It builds DOMAINS (default 1,000) synthetic records as libvirt 9 returns
 * them from virConnectGetAllDomainStats for a running qemu/KVM guest with
 * 2 vCPUs, 1 disk, 1 NIC, a balloon and KVM's binary statistics (the
 * record of tests/libvirt/README.md plus vcpu.N.NAME.TYPE and
 * vm.NAME.TYPE), then runs CYCLES (default 20) cycles. Each cycle maps
 * every record into a fresh snap_set as collectors/libvirt/libvirt.c does (per-VM
 * table, lv_map_stats, lv_map_info with Nova metadata, lv_map_cgroup,
 * wl_list_add; then the sweep and the workload publication), publishes the
 * set and renders the generation as a scrape would: text, then gzip.
 *
 * CPU time is read with CLOCK_PROCESS_CPUTIME_ID around each phase (the
 * program has one thread). It prints the median over cycles per domain and
 * whether the goal (under 20 us of CPU per domain per cycle) holds. -k
 * uses the shorter KVM list of the estimate (20 statistics per
 * vCPU, 10 per VM) instead of all that a 6.1 kernel reports on x86. Not
 * measured: libvirt's RPC decoding of the records and its accessors
 * (virDomainGetName, virDomainGetUUIDString); freeing the records is
 * timed on its own and printed apart. See tests/bench/README-libvirt.md. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "collectors/libvirt/map.h"
#include "collectors/libvirt/meta.h"
#include "collectors/libvirt/vmtab.h"
#include "exporter/render.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"
#include "exporter/api/base.h"

#define GOAL_US 20.0
#define NVCPUS 2

/* KVM's per-vCPU statistics on x86 (Linux 6.1) as libvirt names them,
 * NAME.TYPE; histograms are left out, as libvirt leaves them out. The
 * first 20 are the short list (-k). */
/* clang-format off */
static const char *const kvm_vcpu[] = {
    "exits.sum", "halt_exits.sum", "io_exits.sum", "mmio_exits.sum",
    "insn_emulation.sum", "irq_exits.sum", "signal_exits.sum",
    "halt_poll_success_ns.sum", "halt_poll_fail_ns.sum", "halt_wait_ns.sum",
    "halt_successful_poll.sum", "halt_attempted_poll.sum", "halt_wakeup.sum",
    "pf_taken.sum", "pf_fixed.sum", "tlb_flush.sum", "irq_injections.sum",
    "request_irq_exits.sum", "hypercalls.sum", "blocking.cur",
    "halt_poll_invalid.sum", "pf_emulate.sum", "pf_spurious.sum",
    "pf_fast.sum", "pf_mmio_spte_created.sum", "pf_guest.sum", "invlpg.sum",
    "irq_window_exits.sum", "nmi_window_exits.sum", "l1d_flush.sum",
    "host_state_reload.sum", "fpu_reload.sum", "insn_emulation_fail.sum",
    "nmi_injections.sum", "req_event.sum", "nested_run.sum",
    "directed_yield_attempted.sum", "directed_yield_successful.sum",
    "preemption_reported.sum", "preemption_other.sum",
    "notify_window_exits.sum", "guest_mode.cur",
};
/* clang-format on */

/* KVM's per-VM statistics on x86 (Linux 6.1); the first 10 are the short
 * list. */
/* clang-format off */
static const char *const kvm_vm[] = {
    "remote_tlb_flush.sum", "remote_tlb_flush_requests.sum",
    "mmu_shadow_zapped.sum", "mmu_pte_write.sum", "mmu_pde_zapped.sum",
    "mmu_cache_miss.sum", "pages_4k.cur", "pages_2m.cur", "pages_1g.cur",
    "max_mmu_rmap_size.max", "mmu_flooded.sum", "mmu_recycled.sum",
    "mmu_unsync.sum", "nx_lpage_splits.cur",
    "max_mmu_page_hash_collisions.max",
};
/* clang-format on */

#define NELEM(a) (ARRAY_SIZE(a))

/* One synthetic domain: its record (the template copied each cycle) and
 * what libvirt.c would know about it. */
struct dom {
	int idx;
	char name[32];
	char uuid[VIR_UUID_STRING_BUFLEN];
	char cgroup[80];
	virTypedParameterPtr p; /* template record */
	int n, max;
	struct lv_meta *meta;
};

static void die(const char *what)
{
	fprintf(stderr, "lv_bulk_bench: %s\n", what);
	exit(1);
}

/* A reproducible pseudo-random number (splitmix64). */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A counter-like value around base that differs between domains, so that
 * the rendered body compresses as a real one does. */
static unsigned long long val(const struct dom *d, unsigned long long base)
{
	uint64_t h = mix(((uint64_t)d->idx << 20) | (uint64_t)d->n);

	return base + h % (base / 4 + 97);
}

static void add_u(struct dom *d, const char *key, unsigned long long v)
{
	if (virTypedParamsAddULLong(&d->p, &d->n, &d->max, key, v) < 0)
		die("virTypedParamsAddULLong failed");
}

static void add_ui(struct dom *d, const char *key, unsigned v)
{
	if (virTypedParamsAddUInt(&d->p, &d->n, &d->max, key, v) < 0)
		die("virTypedParamsAddUInt failed");
}

static void add_i(struct dom *d, const char *key, int v)
{
	if (virTypedParamsAddInt(&d->p, &d->n, &d->max, key, v) < 0)
		die("virTypedParamsAddInt failed");
}

static void add_s(struct dom *d, const char *key, const char *v)
{
	if (virTypedParamsAddString(&d->p, &d->n, &d->max, key, v) < 0)
		die("virTypedParamsAddString failed");
}

/* Adds a KVM statistic "PREFIX.NAME.TYPE": blocking is a boolean. */
static void add_kvm(struct dom *d, const char *prefix, const char *stat)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH];

	snprintf(key, sizeof(key), "%s.%s", prefix, stat);
	if (strcmp(stat, "blocking.cur") == 0) {
		if (virTypedParamsAddBoolean(&d->p, &d->n, &d->max, key, 0) < 0)
			die("virTypedParamsAddBoolean failed");
	} else {
		add_u(d, key, val(d, 100000));
	}
}

/* The record of a running KVM guest, in libvirt's order of groups. */
static void build_record(struct dom *d, size_t nkvm_vcpu, size_t nkvm_vm)
{
	char key[VIR_TYPED_PARAM_FIELD_LENGTH], pfx[16];
	static const char *const balloon[] = {
	    "current",	      "maximum",     "swap_in",	    "swap_out",
	    "major_fault",    "minor_fault", "unused",	    "available",
	    "usable",	      "last-update", "disk_caches", "hugetlb_pgalloc",
	    "hugetlb_pgfail", "rss"};
	static const char *const net[] = {"rx.bytes", "rx.pkts",  "rx.errs",
					  "rx.drop",  "tx.bytes", "tx.pkts",
					  "tx.errs",  "tx.drop"};
	static const char *const blk[] = {"rd.reqs",  "rd.bytes", "rd.times",
					  "wr.reqs",  "wr.bytes", "wr.times",
					  "fl.reqs",  "fl.times", "allocation",
					  "capacity", "physical"};

	add_i(d, "state.state", VIR_DOMAIN_RUNNING);
	add_i(d, "state.reason", 1);
	add_u(d, "cpu.time", val(d, 8292961000ULL));
	add_u(d, "cpu.user", val(d, 7102545000ULL));
	add_u(d, "cpu.system", val(d, 1190415000ULL));
	add_u(d, "cpu.haltpoll.success.time", 0);
	add_u(d, "cpu.haltpoll.fail.time", 0);
	add_ui(d, "cpu.cache.monitor.count", 0);
	for (size_t i = 0; i < NELEM(balloon); i++) {
		snprintf(key, sizeof(key), "balloon.%s", balloon[i]);
		add_u(d, key, i < 2 ? 2097152 : val(d, 200000));
	}
	add_ui(d, "vcpu.current", NVCPUS);
	add_ui(d, "vcpu.maximum", NVCPUS);
	for (int c = 0; c < NVCPUS; c++) {
		snprintf(pfx, sizeof(pfx), "vcpu.%d", c);
		snprintf(key, sizeof(key), "%s.state", pfx);
		add_i(d, key, 1);
		snprintf(key, sizeof(key), "%s.time", pfx);
		add_u(d, key, val(d, 3000000000ULL));
		snprintf(key, sizeof(key), "%s.wait", pfx);
		add_u(d, key, 0);
		snprintf(key, sizeof(key), "%s.delay", pfx);
		add_u(d, key, val(d, 100000000));
		for (size_t k = 0; k < nkvm_vcpu; k++)
			add_kvm(d, pfx, kvm_vcpu[k]);
	}
	add_ui(d, "net.count", 1);
	add_s(d, "net.0.name", "tap0b1c2d3e-4f");
	for (size_t i = 0; i < NELEM(net); i++) {
		snprintf(key, sizeof(key), "net.0.%s", net[i]);
		add_u(d, key, val(d, 1000000));
	}
	add_ui(d, "block.count", 1);
	add_s(d, "block.0.name", "vda");
	add_s(d, "block.0.path", "/var/lib/nova/instances/disk");
	add_ui(d, "block.0.backingIndex", 1);
	for (size_t i = 0; i < NELEM(blk); i++) {
		snprintf(key, sizeof(key), "block.0.%s", blk[i]);
		add_u(d, key, val(d, 50000000));
	}
	for (size_t k = 0; k < nkvm_vm; k++)
		add_kvm(d, "vm", kvm_vm[k]);
}

/* The domain's XML as far as lv_meta_parse reads it, with Nova's
 * metadata (the collector exports it by default). */
static void build_meta(struct dom *d, int i)
{
	char xml[2048];
	int len = snprintf(
	    xml, sizeof(xml),
	    "<domain type='kvm'><name>%s</name><uuid>%s</uuid><metadata>"
	    "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/"
	    "nova/1.1'><nova:name>web-%d</nova:name>"
	    "<nova:flavor name='m1.medium'><nova:memory>2048</nova:memory>"
	    "<nova:disk>20</nova:disk><nova:swap>0</nova:swap>"
	    "<nova:ephemeral>0</nova:ephemeral><nova:vcpus>2</nova:vcpus>"
	    "</nova:flavor><nova:owner>"
	    "<nova:user "
	    "uuid='5f1c9e2a7d3b4c6e8f0a1b2c3d4e5f60'>alice</nova:user>"
	    "<nova:project uuid='0a1b2c3d4e5f60718293a4b5c6d7e8f9'>web-prod"
	    "</nova:project></nova:owner></nova:instance></metadata>"
	    "<os><type arch='x86_64'>hvm</type></os><devices>"
	    "<disk type='file' device='disk'><target dev='vda'/></disk>"
	    "<interface type='bridge'><mac address='fa:16:3e:00:00:01'/>"
	    "<target dev='tap0b1c2d3e-4f'/></interface></devices></domain>",
	    d->name, d->uuid, i);

	if (len < 0 || (size_t)len >= sizeof(xml) ||
	    lv_meta_parse(xml, (size_t)len, &d->meta) < 0)
		die("lv_meta_parse failed on the synthetic XML");
}

/* A fresh copy of a template record, as the RPC layer hands one over:
 * its own array and its own strings. */
static virTypedParameterPtr copy_record(const struct dom *d)
{
	virTypedParameterPtr p = malloc((size_t)d->n * sizeof(*p));

	if (!p)
		die("out of memory");
	memcpy(p, d->p, (size_t)d->n * sizeof(*p));
	for (int i = 0; i < d->n; i++)
		if (p[i].type == VIR_TYPED_PARAM_STRING &&
		    !(p[i].value.s = strdup(d->p[i].value.s)))
			die("out of memory");
	return p;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Maps every record into set as lv_cycle/lv_domain do, minus the libvirt
 * calls. Returns 0 or a negative errno. */
static int map_all(struct dom *doms, virTypedParameterPtr *recs, int ndom,
		   struct lv_vmtab *tab, struct snap_set *set)
{
	struct wl_list *list = wl_list_new();
	int err = list ? 0 : -ENOMEM;

	for (int i = 0; i < ndom && err == 0; i++) {
		struct dom *d = &doms[i];
		struct lv_vm *vm = lv_vmtab_get(tab, d->uuid);
		struct lv_summary sum;
		struct workload w;

		if (!vm) {
			err = -ENOMEM;
			break;
		}
		/* First sight: libvirt.c reads the XML and finds the cgroup
		 * once; both are kept in the table afterwards. */
		if (!vm->meta) {
			vm->meta = d->meta;
			d->meta = NULL;
			vm->cgroup = strdup(d->cgroup);
		}
		err = lv_map_stats(recs[i], d->n, d->name, &vm->emu, set, &sum);
		if (err == 0)
			err =
			    lv_map_info(set, d->name, d->uuid, vm->meta, true);
		if (err == 0)
			err = lv_map_cgroup(set, d->name, vm->cgroup);
		if (err < 0)
			break;
		w = (struct workload){.kind = WL_VM,
				      .id = d->uuid,
				      .name = d->name,
				      .runtime = "libvirt",
				      .cgroup = vm->cgroup,
				      .vcpus = sum.vcpus,
				      .memory_bytes = sum.memory_max};
		err = wl_list_add(list, &w);
	}
	if (err == 0) {
		lv_vmtab_sweep(tab);
		err = wl_publish(WL_SRC_LIBVIRT, list);
	}
	wl_list_unref(list);
	snap_add0(set, &lv_fam_up, err == 0 ? 1 : 0);
	return err ? err : set->err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Parses a positive number of at most max for option opt. */
static int parse_count(const char *s, int max, char opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "lv_bulk_bench: -%c wants 1..%d\n", opt, max);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	int ncycles = 20, ndom = 1000, opt;
	size_t nkvm_vcpu = NELEM(kvm_vcpu), nkvm_vm = NELEM(kvm_vm);
	double *t_map, *t_text, *t_gzip, *t_free, *t_total;
	size_t nsamples = 0, text_len = 0, gzip_len = 0;
	struct lv_vmtab tab = {0};
	struct dom *doms;
	virTypedParameterPtr *recs;

	while ((opt = getopt(argc, argv, "c:n:k")) != -1) {
		if (opt == 'c')
			ncycles = parse_count(optarg, 10000, 'c');
		else if (opt == 'n')
			ndom = parse_count(optarg, 100000, 'n');
		else if (opt == 'k')
			nkvm_vcpu = 20, nkvm_vm = 10;
		else {
			fprintf(stderr,
				"usage: %s [-c CYCLES] [-n DOMAINS] [-k]\n",
				argv[0]);
			return 2;
		}
	}
	doms = calloc((size_t)ndom, sizeof(*doms));
	recs = calloc((size_t)ndom, sizeof(*recs));
	t_map = calloc((size_t)ncycles, sizeof(double));
	t_text = calloc((size_t)ncycles, sizeof(double));
	t_gzip = calloc((size_t)ncycles, sizeof(double));
	t_free = calloc((size_t)ncycles, sizeof(double));
	t_total = calloc((size_t)ncycles, sizeof(double));
	if (!doms || !recs || !t_map || !t_text || !t_gzip || !t_free ||
	    !t_total || snap_init() < 0)
		die("out of memory");
	/* libvirt's error state must exist before virTypedParamsAdd*. */
	if (virInitialize() < 0)
		die("virInitialize failed");
	/* Nova's names (instance-%08x), made-up UUIDs, libvirt's cgroups. */
	for (int i = 0; i < ndom; i++) {
		struct dom *d = &doms[i];
		uint64_t h = mix((uint64_t)i);

		d->idx = i;
		snprintf(d->name, sizeof(d->name), "instance-%08x", i + 1);
		snprintf(d->uuid, sizeof(d->uuid),
			 "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(h >> 32),
			 (unsigned)(h >> 16) & 0xffff, (unsigned)h & 0xfff,
			 (unsigned)(h >> 4) & 0xfff,
			 (unsigned long long)(mix(h) & 0xffffffffffffULL));
		snprintf(d->cgroup, sizeof(d->cgroup),
			 "/machine/qemu-%d-%s.libvirt-qemu", i + 1, d->name);
		build_record(d, nkvm_vcpu, nkvm_vm);
		build_meta(d, i);
	}

	for (int c = 0; c < ncycles; c++) {
		struct snap_set *set = snap_set_new();
		struct snap_update up = {.slot = 0, .set = set};
		struct snap_gen *gen;
		const char *body;
		double t0, t1, t2, t3, t4;

		if (!set)
			die("out of memory");
		/* Untimed: the records as virConnectGetAllDomainStats hands
		 * them over, freshly allocated every cycle. */
		for (int i = 0; i < ndom; i++)
			recs[i] = copy_record(&doms[i]);
		t0 = cpu_now();
		if (map_all(doms, recs, ndom, &tab, set) < 0)
			die("mapping failed");
		t1 = cpu_now();
		/* virDomainStatsRecordListFree's work: libvirt's. */
		for (int i = 0; i < ndom; i++)
			virTypedParamsFree(recs[i], doms[i].n);
		t2 = cpu_now();
		if (snap_publish(&up, 1) < 0 || !(gen = snap_current()))
			die("publishing failed");
		snap_set_unref(set);
		t3 = cpu_now();
		if (render_get(gen, EXPO_TEXT, false, &body, &text_len) < 0)
			die("rendering failed");
		t4 = cpu_now();
		if (render_get(gen, EXPO_TEXT, true, &body, &gzip_len) < 0)
			die("gzip failed (built without zlib?)");
		t_gzip[c] = (cpu_now() - t4) * 1e6 / ndom;
		t_map[c] = (t1 - t0) * 1e6 / ndom;
		t_free[c] = (t2 - t1) * 1e6 / ndom;
		t_text[c] = (t4 - t3) * 1e6 / ndom;
		t_total[c] = t_map[c] + t_text[c] + t_gzip[c];
		nsamples = gen->sets[0]->nsamples;
		snap_gen_unref(gen);
	}

	double m_total = median(t_total, ncycles);

	printf("lv_bulk_bench: %d domains, %d cycles; per domain: %d vCPUs, "
	       "1 disk, 1 NIC, balloon, Nova metadata, KVM statistics %zu per "
	       "vCPU and %zu per VM\n",
	       ndom, ncycles, NVCPUS, nkvm_vcpu, nkvm_vm);
	printf("record: %d typed parameters; %.1f samples per domain; body "
	       "%.1f KB per domain as text, %.1f KB gzipped\n",
	       doms[0].n, (double)nsamples / ndom,
	       (double)text_len / 1e3 / ndom, (double)gzip_len / 1e3 / ndom);
	printf("CPU per domain per cycle, median of %d cycles:\n", ncycles);
	printf("  map    %7.2f us  (lv_map_stats, lv_map_info, lv_map_cgroup, "
	       "wl_list_add, table)\n",
	       median(t_map, ncycles));
	printf(
	    "  text   %7.2f us  (render_get: expo_render of the generation)\n",
	    median(t_text, ncycles));
	printf("  gzip   %7.2f us  (render_get: compressing that body)\n",
	       median(t_gzip, ncycles));
	/* The goal is the collection's: mapping runs every cycle. Rendering
	 * runs once per scraped generation, whatever the number of scrapes. */
	printf("  total  %7.2f us  (map + text + gzip)\n", m_total);
	printf("  collection %.2f us per domain per cycle (goal < %.0f us): %s\n",
	       median(t_map, ncycles), GOAL_US,
	       median(t_map, ncycles) < GOAL_US ? "met" : "MISSED");
	printf("  free   %7.2f us  (virTypedParamsFree of the records: "
	       "libvirt's, not in total)\n",
	       median(t_free, ncycles));

	for (int i = 0; i < ndom; i++) {
		virTypedParamsFree(doms[i].p, doms[i].n);
		lv_meta_free(doms[i].meta);
	}
	lv_vmtab_clear(&tab);
	wl_publish(WL_SRC_LIBVIRT, NULL);
	snap_shutdown();
	free(doms);
	free(recs);
	free(t_map);
	free(t_text);
	free(t_gzip);
	free(t_free);
	free(t_total);
	return 0;
}
