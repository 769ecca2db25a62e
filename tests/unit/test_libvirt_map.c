/* Tests of the libvirt collector's pure half (collectors/libvirt/map.c and
 * libvirt_vmtab.c): hand-built typed-parameter arrays, as
 * virConnectGetAllDomainStats returns them, mapped to samples; the KVM
 * statistics a TCG guest cannot produce; the emulator-overhead counter; and
 * the per-VM state table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "collectors/libvirt/map.h"
#include "collectors/libvirt/meta.h"
#include "collectors/libvirt/vmtab.h"
#include "tests/unit/harness.h"

/* A statistics record being built. */
struct rec {
	virTypedParameterPtr p;
	int n, max;
};

static void u(struct rec *r, const char *key, unsigned long long v)
{
	assert_int_equal(virTypedParamsAddULLong(&r->p, &r->n, &r->max, key, v), 0);
}

static void i32(struct rec *r, const char *key, int v)
{
	assert_int_equal(virTypedParamsAddInt(&r->p, &r->n, &r->max, key, v), 0);
}

static void str(struct rec *r, const char *key, const char *v)
{
	assert_int_equal(virTypedParamsAddString(&r->p, &r->n, &r->max, key, v), 0);
}

static void boolean(struct rec *r, const char *key, int v)
{
	assert_int_equal(virTypedParamsAddBoolean(&r->p, &r->n, &r->max, key, v), 0);
}

static void rec_free(struct rec *r)
{
	virTypedParamsFree(r->p, r->n);
	memset(r, 0, sizeof(*r));
}

/* The record a running TCG guest gave (tests/libvirt/README.md). */
static void real_guest(struct rec *r)
{
	i32(r, "state.state", 1);
	i32(r, "state.reason", 1);
	u(r, "cpu.time", 8292961000ULL);
	u(r, "cpu.user", 7102545000ULL);
	u(r, "cpu.system", 1190415000ULL);
	u(r, "cpu.haltpoll.success.time", 0);
	u(r, "balloon.current", 262144);
	u(r, "balloon.maximum", 262144);
	u(r, "balloon.swap_in", 3);
	u(r, "balloon.swap_out", 4);
	u(r, "balloon.major_fault", 5);
	u(r, "balloon.minor_fault", 1317);
	u(r, "balloon.unused", 181512);
	u(r, "balloon.available", 210484);
	u(r, "balloon.usable", 184860);
	u(r, "balloon.last-update", 1795640481);
	u(r, "balloon.disk_caches", 2488);
	u(r, "balloon.rss", 240956);
	u(r, "vcpu.current", 2);
	u(r, "vcpu.maximum", 2);
	i32(r, "vcpu.0.state", 1);
	u(r, "vcpu.0.time", 5240000000ULL);
	u(r, "vcpu.0.wait", 0);
	u(r, "vcpu.0.delay", 108902903);
	i32(r, "vcpu.1.state", 1);
	u(r, "vcpu.1.time", 1910000000ULL);
	u(r, "vcpu.1.wait", 7);
	u(r, "vcpu.1.delay", 98365463);
	u(r, "net.count", 1);
	str(r, "net.0.name", "vnet0");
	u(r, "net.0.rx.bytes", 586);
	u(r, "net.0.rx.pkts", 7);
	u(r, "net.0.rx.errs", 1);
	u(r, "net.0.rx.drop", 2);
	u(r, "net.0.tx.bytes", 1242);
	u(r, "net.0.tx.pkts", 9);
	u(r, "net.0.tx.errs", 3);
	u(r, "net.0.tx.drop", 4);
	u(r, "block.count", 1);
	str(r, "block.0.name", "vda");
	str(r, "block.0.path", "/var/lib/libvirt/images/vm.img");
	u(r, "block.0.backingIndex", 1);
	u(r, "block.0.rd.reqs", 37);
	u(r, "block.0.rd.bytes", 2114048);
	u(r, "block.0.rd.times", 7017653);
	u(r, "block.0.wr.reqs", 32);
	u(r, "block.0.wr.bytes", 2097152);
	u(r, "block.0.wr.times", 7128598);
	u(r, "block.0.fl.reqs", 1);
	u(r, "block.0.fl.times", 4248915);
	u(r, "block.0.allocation", 4194304);
	u(r, "block.0.capacity", 67108864);
	u(r, "block.0.physical", 2101248);
}

#define V1(set, fam) harness_one((set), (fam), "vm", "vm", NULL)

static void running_domain_maps_every_key_in_base_units(void **state)
{
	struct snap_set *s = snap_set_new();
	struct lv_emu emu = {0};
	struct lv_summary sum;
	struct rec r = {0};

	(void)state;
	real_guest(&r);
	assert_int_equal(lv_map_stats(r.p, r.n, "vm", &emu, s, &sum), 0);
	assert_int_equal(V1(s, "virtmeter_vm_state"), 1);
	HARNESS_TEXT(V1(s, "virtmeter_vm_cpu_seconds"), "8.292961");
	HARNESS_NEAR(V1(s, "virtmeter_vm_cpu_user_seconds"), 7.102545);
	HARNESS_NEAR(V1(s, "virtmeter_vm_cpu_system_seconds"), 1.190415);
	/* 8.292961 - (5.24 + 1.91), made on the nanoseconds: in double
	 * seconds it was 1.1429609999999997. */
	HARNESS_TEXT(V1(s, "virtmeter_vm_emulator_cpu_seconds"), "1.142961");
	assert_int_equal(V1(s, "virtmeter_vm_vcpus"), 2);
	assert_int_equal(V1(s, "virtmeter_vm_vcpus_maximum"), 2);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_vcpu_seconds", "vm", "vm", "vcpu", "1",
				 NULL),
		     1.91);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_vcpu_wait_seconds", "vm", "vm", "vcpu",
				 "1", NULL),
		     7e-9);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_vcpu_delay_seconds", "vm", "vm", "vcpu",
				 "0", NULL),
		     0.108902903);
	assert_int_equal(harness_count(s, "virtmeter_vm_vcpu_seconds", NULL), 2);
	/* Balloon sizes are KiB. */
	assert_int_equal(V1(s, "virtmeter_vm_memory_max_bytes"), 268435456);
	assert_int_equal(V1(s, "virtmeter_vm_memory_balloon_bytes"), 268435456);
	assert_int_equal(V1(s, "virtmeter_vm_memory_rss_bytes"), 240956 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_available_bytes"), 210484 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_usable_bytes"), 184860 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_unused_bytes"), 181512 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_disk_caches_bytes"), 2488 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_swap_in_bytes"), 3 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_swap_out_bytes"), 4 * 1024.0);
	assert_int_equal(V1(s, "virtmeter_vm_memory_major_faults"), 5);
	assert_int_equal(V1(s, "virtmeter_vm_memory_minor_faults"), 1317);
	/* Block: bytes and requests as they are, times from ns. */
#define DEV(fam) harness_one(s, fam, "vm", "vm", "device", dev, NULL)
	{
		const char *dev = "vda";

		assert_int_equal(DEV("virtmeter_vm_block_read_bytes"), 2114048);
		assert_int_equal(DEV("virtmeter_vm_block_read_requests"), 37);
		HARNESS_NEAR(DEV("virtmeter_vm_block_read_time_seconds"), 0.007017653);
		assert_int_equal(DEV("virtmeter_vm_block_write_bytes"), 2097152);
		assert_int_equal(DEV("virtmeter_vm_block_write_requests"), 32);
		HARNESS_NEAR(DEV("virtmeter_vm_block_write_time_seconds"), 0.007128598);
		assert_int_equal(DEV("virtmeter_vm_block_flush_requests"), 1);
		HARNESS_NEAR(DEV("virtmeter_vm_block_flush_time_seconds"), 0.004248915);
		assert_int_equal(DEV("virtmeter_vm_block_capacity_bytes"), 67108864);
		assert_int_equal(DEV("virtmeter_vm_block_allocation_bytes"), 4194304);
		assert_int_equal(DEV("virtmeter_vm_block_physical_bytes"), 2101248);
	}
	{
		const char *dev = "vnet0";

		assert_int_equal(DEV("virtmeter_vm_net_receive_bytes"), 586);
		assert_int_equal(DEV("virtmeter_vm_net_receive_packets"), 7);
		assert_int_equal(DEV("virtmeter_vm_net_receive_errors"), 1);
		assert_int_equal(DEV("virtmeter_vm_net_receive_drops"), 2);
		assert_int_equal(DEV("virtmeter_vm_net_transmit_bytes"), 1242);
		assert_int_equal(DEV("virtmeter_vm_net_transmit_packets"), 9);
		assert_int_equal(DEV("virtmeter_vm_net_transmit_errors"), 3);
		assert_int_equal(DEV("virtmeter_vm_net_transmit_drops"), 4);
	}
#undef DEV
	/* What the collector needs besides samples. */
	assert_int_equal(sum.state, 1);
	assert_int_equal(sum.vcpus, 2);
	assert_int_equal(sum.memory_max, 268435456);
	assert_true(sum.emulator);
	/* Keys without a family (state.reason, block.0.path, haltpoll,
	 * backingIndex, last-update, vcpu.N.state, the counts) add nothing:
	 * state, cpu, emulator, vcpus, per-vCPU, balloon, net, block. */
	assert_int_equal(s->nsamples, 1 + 3 + 1 + 2 + 6 + 11 + 8 + 11);
	rec_free(&r);
	snap_set_unref(s);
}

static void kvm_statistics_map_by_type(void **state)
{
	struct snap_set *s = snap_set_new();
	struct lv_emu emu = {0};
	struct lv_summary sum;
	struct rec r = {0};

	(void)state;
	u(&r, "vcpu.current", 2);
	u(&r, "vcpu.0.time", 1000000000);
	boolean(&r, "vcpu.0.halted", 1);            /* libvirt's own: ignored */
	u(&r, "vcpu.0.exits.sum", 123456);
	u(&r, "vcpu.0.halt_exits.sum", 1000);
	u(&r, "vcpu.0.io_exits.sum", 2000);
	u(&r, "vcpu.0.mmio_exits.sum", 3000);
	u(&r, "vcpu.0.insn_emulation.sum", 40);
	u(&r, "vcpu.0.irq_exits.sum", 50);
	u(&r, "vcpu.0.signal_exits.sum", 6);
	u(&r, "vcpu.0.halt_poll_fail_ns.sum", 7000);
	boolean(&r, "vcpu.0.blocking.cur", 1);
	u(&r, "vcpu.1.exits.sum", 99);
	u(&r, "vcpu.1.halt_wait_hist.max", 12);
	u(&r, "vm.remote_tlb_flush.sum", 17);
	u(&r, "vm.pages_4k.cur", 65536);
	u(&r, "vm.pages_2m.cur", 0);
	u(&r, "vm.max_mmu_page_hash_collisions.max", 3);
	/* Not of the NAME.TYPE form, or an unknown TYPE: ignored. */
	u(&r, "vm.nosuffix", 1);
	u(&r, "vm..sum", 1);
	u(&r, "vm.exits.avg", 1);
	u(&r, "vcpu.0.exits.hist", 1);
	u(&r, "vcpu.x.exits.sum", 1);
	assert_int_equal(lv_map_stats(r.p, r.n, "k", &emu, s, &sum), 0);
#define VCPU(fam, cpu, st) \
	harness_one(s, fam, "vm", "k", "vcpu", cpu, "stat", st, NULL)
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "exits"), 123456);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "halt_exits"), 1000);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "io_exits"), 2000);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "mmio_exits"), 3000);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "insn_emulation"), 40);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "irq_exits"), 50);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "signal_exits"), 6);
	/* KVM's own names and units are kept (this one is nanoseconds). */
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "0", "halt_poll_fail_ns"), 7000);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat", "1", "exits"), 99);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat_current", "0", "blocking"), 1);
	assert_int_equal(VCPU("virtmeter_vm_kvm_vcpu_stat_peak", "1", "halt_wait_hist"), 12);
#undef VCPU
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_vcpu_stat", NULL), 9);
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_vcpu_stat_current", NULL), 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_vcpu_stat_peak", NULL), 1);
	assert_int_equal(harness_one(s, "virtmeter_vm_kvm_stat", "vm", "k", "stat",
				     "remote_tlb_flush", NULL), 17);
	assert_int_equal(harness_one(s, "virtmeter_vm_kvm_stat_current", "vm", "k", "stat",
				     "pages_4k", NULL), 65536);
	assert_int_equal(harness_one(s, "virtmeter_vm_kvm_stat_current", "vm", "k", "stat",
				     "pages_2m", NULL), 0);
	assert_int_equal(harness_one(s, "virtmeter_vm_kvm_stat_peak", "vm", "k", "stat",
				     "max_mmu_page_hash_collisions", NULL), 3);
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_stat", NULL), 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_stat_current", NULL), 2);
	assert_int_equal(harness_count(s, "virtmeter_vm_kvm_stat_peak", NULL), 1);
	/* vcpu.0.time still counts as vCPU time. */
	assert_int_equal(harness_count(s, "virtmeter_vm_vcpu_seconds", NULL), 1);
	rec_free(&r);
	snap_set_unref(s);
}

static void missing_groups_add_only_what_is_there(void **state)
{
	struct snap_set *s = snap_set_new();
	struct lv_emu emu = {0};
	struct lv_summary sum;
	struct rec r = {0};

	(void)state;
	/* A shut-off domain: state, defined vCPUs and memory. libvirt 9 adds
	 * its own daemon's CPU time as cpu.*, which is dropped. */
	u(&r, "cpu.time", 650000000);
	u(&r, "cpu.user", 290000000);
	i32(&r, "state.state", 5);
	u(&r, "vcpu.maximum", 4);
	u(&r, "balloon.maximum", 1024);
	assert_int_equal(lv_map_stats(r.p, r.n, "off", &emu, s, &sum), 0);
	assert_int_equal(s->nsamples, 3);
	assert_int_equal(sum.state, 5);
	assert_int_equal(sum.vcpus, 4); /* vcpu.maximum when no current */
	assert_int_equal(sum.memory_max, 1048576);
	assert_false(sum.emulator);
	rec_free(&r);
	/* cpu.time without vCPU times (the vcpu group timed out): no
	 * emulator sample, which would otherwise be all of cpu.time. */
	u(&r, "cpu.time", 5000000000ULL);
	assert_int_equal(lv_map_stats(r.p, r.n, "busy", &emu, s, &sum), 0);
	harness_none(s, "virtmeter_vm_emulator_cpu_seconds", NULL);
	assert_int_equal(sum.state, -1);
	assert_false(emu.valid);
	rec_free(&r);
	/* Nothing at all. */
	assert_int_equal(lv_map_stats(NULL, 0, "none", &emu, s, &sum), 0);
	assert_int_equal(s->nsamples, 4);
	snap_set_unref(s);
}

static void device_names_are_kept_or_made_unique(void **state)
{
	static const char odd[] = "net \"0\"\\\n\xce\xba\xcf\x8c";
	struct snap_set *s = snap_set_new();
	struct lv_emu emu = {0};
	struct lv_summary sum;
	struct rec r = {0};
	double v;

	(void)state;
	u(&r, "block.count", 5);
	str(&r, "block.0.name", "vda");
	u(&r, "block.0.rd.bytes", 10);
	str(&r, "block.1.name", "");
	u(&r, "block.1.rd.bytes", 11);
	str(&r, "block.2.name", "vda");
	u(&r, "block.2.rd.bytes", 12);
	u(&r, "block.3.rd.bytes", 13);     /* no name at all */
	str(&r, "block.4.name", "sda#1"); /* looks made up, is not */
	u(&r, "block.4.rd.bytes", 14);
	u(&r, "block.7.rd.bytes", 17);     /* past block.count: ignored */
	i32(&r, "block.4.name", 3);        /* a name that is not a string */
	u(&r, "net.count", 1);
	str(&r, "net.0.name", odd);
	u(&r, "net.0.tx.bytes", 5);
	u(&r, "net.1.tx.bytes", 6);        /* past net.count */
	assert_int_equal(lv_map_stats(r.p, r.n, "d", &emu, s, &sum), 0);
	assert_int_equal(harness_one(s, "virtmeter_vm_block_read_bytes", "vm", "d", "device",
				     "vda", NULL), 10);
	assert_int_equal(harness_one(s, "virtmeter_vm_block_read_bytes", "vm", "d", "device",
				     "#1", NULL), 11);
	assert_int_equal(harness_one(s, "virtmeter_vm_block_read_bytes", "vm", "d", "device",
				     "vda#2", NULL), 12);
	assert_int_equal(harness_one(s, "virtmeter_vm_block_read_bytes", "vm", "d", "device",
				     "#3", NULL), 13);
	assert_int_equal(harness_one(s, "virtmeter_vm_block_read_bytes", "vm", "d", "device",
				     "sda#1", NULL), 14);
	assert_int_equal(harness_count(s, "virtmeter_vm_block_read_bytes", NULL), 5);
	v = harness_one(s, "virtmeter_vm_net_transmit_bytes", "vm", "d", "device", odd,
			NULL);
	assert_int_equal(v, 5);
	assert_int_equal(harness_count(s, "virtmeter_vm_net_transmit_bytes", NULL), 1);
	rec_free(&r);
	/* Without a count, device keys have no index to belong to. */
	str(&r, "block.0.name", "vda");
	u(&r, "block.0.rd.bytes", 1);
	assert_int_equal(lv_map_stats(r.p, r.n, "e", &emu, s, &sum), 0);
	harness_none(s, "virtmeter_vm_block_read_bytes", "vm", "e", "device", "vda",
		     NULL);
	rec_free(&r);
	snap_set_unref(s);
}

/* Nanoseconds in a second, for the emulator tests' figures. */
#define S 1000000000ULL

static void emulator_overhead_is_clamped_and_monotonic(void **state)
{
	struct lv_emu emu = {0};

	(void)state;
	assert_int_equal(lv_emu_update(&emu, 10 * S, 4 * S), 6 * S);
	/* vCPU time (sampled in ticks) ran ahead: never less than before. */
	assert_int_equal(lv_emu_update(&emu, 11 * S, 6 * S), 6 * S);
	assert_int_equal(lv_emu_update(&emu, 12 * S, 11 * S + S / 2), 6 * S);
	assert_int_equal(lv_emu_update(&emu, 20 * S, 12 * S), 8 * S);
	/* More vCPU time than domain time: clamped, still monotonic. */
	assert_int_equal(lv_emu_update(&emu, 21 * S, 22 * S), 8 * S);
	/* cpu.time went backwards: a new qemu process, a legitimate reset. */
	assert_int_equal(lv_emu_update(&emu, 2 * S, S + S / 2), S / 2);
	assert_int_equal(lv_emu_update(&emu, 3 * S, 2900000000ULL), S / 2);
	/* The vCPU times drop to 0 while cpu.time does not (a qemu going
	 * away): not trusted, and the counter is not inflated for good. */
	assert_int_equal(lv_emu_update(&emu, 4 * S, 0), S / 2);
	assert_int_equal(lv_emu_update(&emu, 4 * S + S / 2, 3800000000ULL),
			 700000000ULL);
	/* A first value below zero is zero. */
	memset(&emu, 0, sizeof(emu));
	assert_int_equal(lv_emu_update(&emu, S, 3 * S), 0);
	/* Past 2^53 ns, where a double no longer holds every nanosecond,
	 * the difference is still exact. */
	memset(&emu, 0, sizeof(emu));
	assert_int_equal(lv_emu_update(&emu, 9007199254740993ULL,
				       9007199254740992ULL),
			 1);
}

/* Maps cpu.time and one vCPU's time and returns the emulator sample. */
static double emulator_of(struct lv_emu *emu, unsigned long long cpu_ns,
			  unsigned long long vcpu_ns)
{
	struct snap_set *s = snap_set_new();
	struct lv_summary sum;
	struct rec r = {0};
	double v;

	u(&r, "cpu.time", cpu_ns);
	u(&r, "vcpu.0.time", vcpu_ns);
	assert_int_equal(lv_map_stats(r.p, r.n, "vm", emu, s, &sum), 0);
	v = V1(s, "virtmeter_vm_emulator_cpu_seconds");
	rec_free(&r);
	snap_set_unref(s);
	return v;
}

static void emulator_sample_stays_monotonic_across_cycles(void **state)
{
	struct lv_emu emu = {0};

	(void)state;
	HARNESS_NEAR(emulator_of(&emu, 3000000000ULL, 1000000000ULL), 2);
	HARNESS_NEAR(emulator_of(&emu, 3500000000ULL, 1600000000ULL), 2);
	HARNESS_NEAR(emulator_of(&emu, 5000000000ULL, 2000000000ULL), 3);
	/* A glitch: every vCPU reports 0. */
	HARNESS_NEAR(emulator_of(&emu, 5100000000ULL, 0), 3);
	HARNESS_NEAR(emulator_of(&emu, 5200000000ULL, 2100000000ULL), 3.1);
	/* A restart: cpu.time starts over. */
	HARNESS_NEAR(emulator_of(&emu, 1000000000ULL, 900000000ULL), 0.1);
}

/* Maps cpu.time and vCPU times vcpu_ns[0..n) of a fresh VM and returns the
 * emulator sample. */
static double emulator_of_vcpus(unsigned long long cpu_ns,
				const unsigned long long *vcpu_ns, size_t n)
{
	struct snap_set *s = snap_set_new();
	struct lv_emu emu = {0};
	struct lv_summary sum;
	struct rec r = {0};
	char key[32];
	double v;

	u(&r, "cpu.time", cpu_ns);
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "vcpu.%zu.time", i);
		u(&r, key, vcpu_ns[i]);
	}
	assert_int_equal(lv_map_stats(r.p, r.n, "vm", &emu, s, &sum), 0);
	v = V1(s, "virtmeter_vm_emulator_cpu_seconds");
	HARNESS_NEAR(sum.emulator_value, v);
	rec_free(&r);
	snap_set_unref(s);
	return v;
}

static void emulator_seconds_are_the_exact_decimal_of_the_nanoseconds(
    void **state)
{
	/* Records whose emulator share, made in double seconds, was written
	 * 0.4945440000000012, 1.621617999999998 and 1.1429609999999997. */
	const unsigned long long one[] = {16505456000ULL};
	const unsigned long long other[] = {32378382000ULL};
	const unsigned long long three[] = {2835152000ULL, 2835152000ULL,
					    2835152000ULL};
	const unsigned long long guest[] = {5240000000ULL, 1910000000ULL};

	(void)state;
	HARNESS_TEXT(emulator_of_vcpus(17000000000ULL, one, 1), "0.494544");
	HARNESS_TEXT(emulator_of_vcpus(34000000000ULL, other, 1), "1.621618");
	HARNESS_TEXT(emulator_of_vcpus(9000000000ULL, three, 3), "0.494544");
	HARNESS_TEXT(emulator_of_vcpus(8292961000ULL, guest, 2), "1.142961");
	/* A nanosecond stays a nanosecond. */
	HARNESS_TEXT(emulator_of_vcpus(1000000001ULL, (const unsigned long long[]){
						       1000000000ULL}, 1),
		     "1e-09");
}

static void vanished_vm_state_is_dropped(void **state)
{
	struct lv_vmtab t = {0};
	struct lv_vm *a, *b;
	char uuid[64];

	(void)state;
	a = lv_vmtab_get(&t, "aaaaaaaa-0000-0000-0000-000000000001");
	b = lv_vmtab_get(&t, "bbbbbbbb-0000-0000-0000-000000000002");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->meta_dirty); /* a new VM reads its XML */
	a->emu.valid = true;
	a->emu.last = 42;
	b->cgroup = strdup("/machine/qemu-2-b.libvirt-qemu");
	assert_int_equal(lv_meta_parse("<domain type='kvm'/>", 20, &b->meta), 0);
	assert_int_equal(lv_vmtab_sweep(&t), 0);
	/* Next cycle: only a. b's state (cgroup, XML) is freed. */
	assert_ptr_equal(lv_vmtab_get(&t, "aaaaaaaa-0000-0000-0000-000000000001"), a);
	assert_int_equal(lv_vmtab_sweep(&t), 1);
	assert_null(lv_vmtab_find(&t, "bbbbbbbb-0000-0000-0000-000000000002"));
	HARNESS_NEAR(lv_vmtab_find(&t, "aaaaaaaa-0000-0000-0000-000000000001")->emu.last,
		     42);
	/* b comes back: new, with no history. */
	lv_vmtab_get(&t, "aaaaaaaa-0000-0000-0000-000000000001");
	b = lv_vmtab_get(&t, "bbbbbbbb-0000-0000-0000-000000000002");
	assert_false(b->emu.valid);
	assert_null(b->cgroup);
	/* Growth keeps every VM findable. */
	for (int i = 0; i < 2000; i++) {
		snprintf(uuid, sizeof(uuid), "%08d-0000-4000-8000-000000000000", i);
		assert_non_null(lv_vmtab_get(&t, uuid));
	}
	assert_int_equal(t.n, 2002);
	for (int i = 0; i < 2000; i += 7) {
		snprintf(uuid, sizeof(uuid), "%08d-0000-4000-8000-000000000000", i);
		assert_non_null(lv_vmtab_find(&t, uuid));
	}
	assert_int_equal(lv_vmtab_sweep(&t), 0);
	assert_int_equal(lv_vmtab_sweep(&t), 2002); /* nobody seen */
	assert_int_equal(t.n, 0);
	/* Not a UUID-sized key: refused. */
	memset(uuid, 'x', sizeof(uuid) - 1);
	uuid[sizeof(uuid) - 1] = '\0';
	assert_null(lv_vmtab_get(&t, uuid));
	lv_vmtab_clear(&t);
}

static const char nova_xml[] =
	"<domain type='kvm'><name>i</name><os><type>hvm</type></os><metadata>"
	"<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
	"<nova:name>web</nova:name><nova:flavor name='m1.small'>"
	"<nova:memory>2048</nova:memory><nova:disk>20</nova:disk>"
	"<nova:swap>0</nova:swap><nova:vcpus>1</nova:vcpus></nova:flavor>"
	"<nova:owner><nova:user uuid='u1'>alice</nova:user>"
	"<nova:project uuid='p1'>demo</nova:project></nova:owner>"
	"</nova:instance></metadata></domain>";

static void info_and_openstack_samples(void **state)
{
	struct snap_set *s = snap_set_new();
	struct lv_meta *m;
	double v;

	(void)state;
	assert_int_equal(lv_meta_parse(nova_xml, strlen(nova_xml), &m), 0);
	assert_int_equal(lv_map_info(s, "i", "u-1", m, true), 0);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", "vm", "i", "uuid", "u-1",
				       "hypervisor", "kvm", "os_type", "hvm", NULL), 1);
	v = harness_one(s, "virtmeter_vm_openstack_info", "vm", "i", "instance_name", "web",
			"flavor", "m1.small", "project_id", "p1", "project_name", "demo",
			"user_id", "u1", "user_name", "alice", NULL);
	assert_int_equal(v, 1);
	assert_int_equal(harness_one(s, "virtmeter_vm_openstack_flavor_vcpus", "vm", "i",
				     NULL), 1);
	assert_int_equal(harness_one(s, "virtmeter_vm_openstack_flavor_memory_bytes", "vm",
				     "i", NULL), 2048.0 * 1048576);
	assert_int_equal(harness_one(s, "virtmeter_vm_openstack_flavor_disk_bytes", "vm", "i",
				     NULL), 20.0 * 1073741824);
	assert_int_equal(harness_one(s, "virtmeter_vm_openstack_flavor_swap_bytes", "vm", "i",
				     NULL), 0);
	/* Nova gave no ephemeral size: no sample rather than a made-up 0. */
	harness_none(s, "virtmeter_vm_openstack_flavor_ephemeral_bytes", NULL);
	snap_set_unref(s);
	/* --no-collector.libvirt.openstack: the info only. */
	s = snap_set_new();
	assert_int_equal(lv_map_info(s, "i", "u-1", m, false), 0);
	assert_int_equal(s->nsamples, 1);
	snap_set_unref(s);
	/* No XML read yet: empty labels, still one info sample. */
	s = snap_set_new();
	assert_int_equal(lv_map_info(s, "i", "u-1", NULL, true), 0);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", "vm", "i", "uuid", "u-1",
				       "hypervisor", "", "os_type", "", NULL), 1);
	assert_int_equal(s->nsamples, 1);
	lv_meta_free(m);
	snap_set_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(running_domain_maps_every_key_in_base_units),
		cmocka_unit_test(kvm_statistics_map_by_type),
		cmocka_unit_test(missing_groups_add_only_what_is_there),
		cmocka_unit_test(device_names_are_kept_or_made_unique),
		cmocka_unit_test(emulator_overhead_is_clamped_and_monotonic),
		cmocka_unit_test(emulator_sample_stays_monotonic_across_cycles),
		cmocka_unit_test(
		    emulator_seconds_are_the_exact_decimal_of_the_nanoseconds),
		cmocka_unit_test(vanished_vm_state_is_dropped),
		cmocka_unit_test(info_and_openstack_samples),
	};

	/* libvirt's typed-parameter helpers need its thread-local state. */
	if (virInitialize() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
