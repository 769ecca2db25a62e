/* The libvirt collector run in process (init, collect, fini) against
 * libvirt's test driver: the fixture tests/fixtures/libvirt/domains.xml
 * (several states, awkward names, Nova metadata) for exact values, and the
 * shared test:///default driver, changed through a second connection, for
 * domains that come and go and metadata that changes between cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "collectors/libvirt/conn.h"
#include "exporter/api/collector.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"

extern const struct collector libvirt_collector;

#define WEB "web 1 \"quoted\" back\\slash\nnewline \xc3\xbc" "n\xc3\xaf" \
	    "c\xc3\xb6" "d\xc3\xa9"
#define NOVA "instance-0000002a"
#define SPACES "name with  spaces"
#define GREEK "\xce\xba\xcf\x8c\xce\xbc\xce\xb2\xce\xbf\xcf\x82-\xe8\x8a\x82" \
	      "\xe7\x82\xb9"
#define KIB 1024.0

static char fixture[PATH_MAX + 64];
static char fixture_uri[PATH_MAX + 80];

/* The collector started on uri, with --collector.libvirt.openstack when
 * openstack is not NULL. */
static struct harness *start(const char *uri, const char *openstack)
{
	const struct harness_setting set[] = {
	    {.key = "uri", .value = uri},
	    {.key = openstack ? "openstack" : NULL, .value = openstack},
	    {.key = NULL},
	};

	return harness_start(&libvirt_collector,
			     &(struct harness_opts){.settings = set});
}

static double up(const struct snap_set *s)
{
	return harness_one(s, "virtmeter_libvirt_up", NULL);
}

/* The value of the one sample of family fam of VM vm, a family with no
 * other label. */
static double vm_value(const struct snap_set *s, const char *fam,
		       const char *vm)
{
	return harness_one(s, fam, "vm", vm, NULL);
}

static void fixture_domains_have_exact_values(void **state)
{
	struct harness *h;
	struct snap_set *s;
	double v;

	(void)state;
	h = start(fixture_uri, NULL);
	s = harness_cycle(h);
	assert_int_equal(up(s), 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", NULL), 5);
	/* Names exactly as libvirt gives them; info from the XML. */
	assert_int_equal(harness_count(s, "virtmeter_vm_info", "vm", WEB,
				       "uuid",
				       "6a0e5b1c-0000-4000-8000-000000000001",
				       "hypervisor", "test", "os_type", "hvm",
				       NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", "vm", GREEK,
				       "uuid",
				       "6a0e5b1c-0000-4000-8000-000000000005",
				       "hypervisor", "test", "os_type", "hvm",
				       NULL),
			 1);
	/* State codes: running, paused, shut off. */
	assert_int_equal(vm_value(s, "virtmeter_vm_state", WEB), 1);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", NOVA), 3);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", "off"), 5);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", SPACES), 1);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", GREEK), 1);
	/* vCPUs and memory from the definitions. */
	assert_int_equal(vm_value(s, "virtmeter_vm_vcpus", WEB), 3);
	assert_int_equal(vm_value(s, "virtmeter_vm_vcpus", "off"), 4);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_max_bytes", WEB), 1048576 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_max_bytes", "off"), 262144 * KIB);
	/* The test driver's 13 memory statistics, derived from the current
	 * memory (524288 KiB): actual, unused = /2, usable = /2, rss = /2,
	 * available, disk caches = /8, swap and faults 0. */
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_balloon_bytes", WEB), 524288 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_unused_bytes", WEB), 262144 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_usable_bytes", WEB), 262144 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_rss_bytes", WEB), 262144 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_available_bytes", WEB), 524288 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_disk_caches_bytes", WEB), 65536 * KIB);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_swap_in_bytes", WEB), 0);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_minor_faults", WEB), 0);
	/* Per-domain calls: vCPU times, disks, interfaces. */
	v = harness_one(s, "virtmeter_vm_vcpu_seconds", "vm", WEB, "vcpu", "2",
			NULL);
	assert_true(v > 0);
	assert_int_equal(harness_count(s, "virtmeter_vm_block_read_bytes", "vm",
				       WEB, "device", "vda", NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_block_write_requests",
				       "vm", WEB, "device", "vdb", NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_net_receive_bytes",
				       "vm", WEB, "device", "testnet0", NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_net_transmit_packets",
				       "vm", SPACES, "device", "testnet1",
				       NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_cpu_seconds", "vm", WEB,
				       NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_emulator_cpu_seconds",
				       "vm", WEB, NULL),
			 1);
	/* No balloon device: no guest memory statistics, the current size
	 * from virDomainGetInfo. */
	harness_none(s, "virtmeter_vm_memory_rss_bytes", "vm", SPACES, NULL);
	assert_int_equal(vm_value(s, "virtmeter_vm_memory_balloon_bytes", SPACES), 524288 * KIB);
	/* Shut off: no CPU time, no device statistics. */
	harness_none(s, "virtmeter_vm_cpu_seconds", "vm", "off", NULL);
	harness_none(s, "virtmeter_vm_block_read_bytes", "vm", "off", "device",
		     "vda", NULL);
	/* Nova's metadata of the paused instance. */
	assert_int_equal(harness_count(s, "virtmeter_vm_openstack_info", NULL),
			 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_openstack_info", "vm",
				       NOVA, "instance_name",
				       "db \"primary\" 1", "flavor", "m1.small",
				       "project_id",
				       "a1b2c3d4e5f60718293a4b5c6d7e8f90",
				       "project_name", "demo", "user_id",
				       "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
				       "user_name", "alice", NULL),
			 1);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_vcpus", NOVA), 1);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_memory_bytes", NOVA),
			 2048 * 1048576.0);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_disk_bytes", NOVA),
			 20 * 1073741824.0);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_swap_bytes", NOVA),
			 512 * 1048576.0);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_ephemeral_bytes", NOVA),
			 1073741824.0);
	harness_release(s);
	harness_stop(h);
}

static void workload_table_has_one_entry_per_domain(void **state)
{
	static const struct {
		const char *uuid, *name;
		unsigned vcpus;
		double mem_kib;
	} want[] = {
		{"6a0e5b1c-0000-4000-8000-000000000001", WEB, 3, 1048576},
		{"6a0e5b1c-0000-4000-8000-000000000002", NOVA, 1, 2097152},
		{"6a0e5b1c-0000-4000-8000-000000000003", "off", 4, 262144},
		{"6a0e5b1c-0000-4000-8000-000000000004", SPACES, 2, 524288},
		{"6a0e5b1c-0000-4000-8000-000000000005", GREEK, 1, 131072},
	};
	struct harness *h;
	struct wl_table *t;

	(void)state;
	h = start(fixture_uri, "false");
	harness_release(harness_cycle(h));
	harness_release(harness_cycle(h)); /* a second cycle adds no duplicate */
	t = wl_current();
	assert_non_null(t->lists[WL_SRC_LIBVIRT]);
	assert_int_equal(t->lists[WL_SRC_LIBVIRT]->n, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct workload *w = wl_find(t, WL_VM, want[i].uuid);

		assert_non_null(w);
		assert_string_equal(w->name, want[i].name);
		assert_string_equal(w->runtime, "libvirt");
		assert_int_equal(w->vcpus, want[i].vcpus);
		assert_int_equal(w->memory_bytes, want[i].mem_kib * KIB);
		assert_null(w->cgroup); /* the test driver has no processes */
	}
	wl_table_unref(t);
	harness_stop(h);
	/* A stopped collector's VMs leave the table. */
	t = wl_current();
	assert_true(!t->lists[WL_SRC_LIBVIRT] || t->lists[WL_SRC_LIBVIRT]->n == 0);
	wl_table_unref(t);
}

static void openstack_off_hides_nova(void **state)
{
	const struct harness_setting maybe[] = {
	    {.key = "openstack", .value = "maybe"},
	    {.key = NULL},
	};
	struct harness *h;
	struct snap_set *s;

	(void)state;
	h = start(fixture_uri, "false");
	s = harness_cycle(h);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", NULL), 5);
	harness_none(s, "virtmeter_vm_openstack_info", NULL);
	harness_none(s, "virtmeter_vm_openstack_flavor_vcpus", NULL);
	harness_release(s);
	harness_stop(h);
	assert_int_equal(harness_try_start(&libvirt_collector,
					   &(struct harness_opts){.settings = maybe},
					   &h),
			 -EINVAL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void unreachable_libvirt_is_down_then_reconnects(void **state)
{
	char dir[] = "/tmp/vm-lvtd-XXXXXX", path[PATH_MAX], uri[PATH_MAX + 16];
	char cmd[3 * PATH_MAX];
	struct snap_set *s;
	struct harness *h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/domains.xml", dir);
	snprintf(uri, sizeof(uri), "test://%s", path);
	h = start(uri, NULL);
	/* No such file: the cycle succeeds with libvirt_up 0 and nothing
	 * else, twice (the second inside the back-off). */
	for (int i = 0; i < 2; i++) {
		s = harness_cycle(h);
		assert_int_equal(s->nsamples, 1);
		assert_int_equal(up(s), 0);
		harness_release(s);
	}
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", fixture, path);
	assert_int_equal(system(cmd), 0);
	/* The first back-off is 1 s; then the next cycle reconnects. */
	sleep_ms(1100);
	s = harness_cycle(h);
	assert_int_equal(up(s), 1);
	assert_int_equal(harness_count(s, "virtmeter_vm_info", NULL), 5);
	harness_release(s);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static const char new_domain[] =
	"<domain type='test'><name>tmp \"vm\"</name>"
	"<uuid>6a0e5b1c-0000-4000-8000-0000000000aa</uuid>"
	"<memory unit='KiB'>65536</memory><vcpu>2</vcpu>"
	"<os><type>hvm</type></os></domain>";

static const char nova_xml[] =
	"<instance><name>renamed</name><flavor name='m1.tiny'>"
	"<vcpus>1</vcpus><memory>512</memory></flavor></instance>";

#define NOVA_NS "http://openstack.org/xmlns/libvirt/nova/1.1"

/* Cycles until the domain has Nova metadata (the event that says so is
 * delivered by libvirt's event loop thread), at most about 3 s. */
static struct snap_set *cycle_until_nova(struct harness *h, const char *vm)
{
	for (int i = 0; i < 30; i++) {
		struct snap_set *s = harness_cycle(h);

		if (harness_count(s, "virtmeter_vm_openstack_info", "vm", vm,
				  "instance_name", "renamed", "flavor",
				  "m1.tiny", "project_id", "", "project_name",
				  "", "user_id", "", "user_name", "",
				  NULL) == 1)
			return s;
		harness_release(s);
		sleep_ms(100);
	}
	return NULL;
}

static void domains_come_and_go_and_metadata_refreshes(void **state)
{
	virConnectPtr rw = virConnectOpen("test:///default");
	const char *vm = "tmp \"vm\"";
	struct snap_set *s;
	struct wl_table *t;
	struct harness *h;
	virDomainPtr dom;

	(void)state;
	assert_non_null(rw);
	h = start("test:///default", NULL);
	s = harness_cycle(h);
	harness_none(s, "virtmeter_vm_state", "vm", vm, NULL);
	harness_release(s);
	/* A domain appears between cycles... */
	dom = virDomainDefineXML(rw, new_domain);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	s = harness_cycle(h);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", vm), 1);
	assert_int_equal(vm_value(s, "virtmeter_vm_vcpus", vm), 2);
	harness_none(s, "virtmeter_vm_openstack_info", NULL);
	harness_release(s);
	/* ... gets Nova metadata: read again on the event, not per cycle. */
	assert_int_equal(virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
					      nova_xml, "nova", NOVA_NS,
					      VIR_DOMAIN_AFFECT_LIVE), 0);
	s = cycle_until_nova(h, vm);
	assert_non_null(s);
	assert_int_equal(vm_value(s, "virtmeter_vm_openstack_flavor_memory_bytes", vm),
			 512 * 1048576.0);
	harness_release(s);
	/* ... is paused ... */
	assert_int_equal(virDomainSuspend(dom), 0);
	s = harness_cycle(h);
	assert_int_equal(vm_value(s, "virtmeter_vm_state", vm), 3);
	harness_release(s);
	/* ... and vanishes: its series and its workload entry go with it. */
	assert_int_equal(virDomainDestroy(dom), 0);
	assert_int_equal(virDomainUndefine(dom), 0);
	s = harness_cycle(h);
	assert_int_equal(up(s), 1);
	harness_none(s, "virtmeter_vm_state", "vm", vm, NULL);
	harness_none(s, "virtmeter_vm_info", "vm", vm, "uuid",
		     "6a0e5b1c-0000-4000-8000-0000000000aa", "hypervisor",
		     "test", "os_type", "hvm", NULL);
	assert_int_equal(harness_count(s, "virtmeter_vm_state", "vm", "test",
				       NULL),
			 1);
	harness_release(s);
	t = wl_current();
	assert_null(wl_find(t, WL_VM, "6a0e5b1c-0000-4000-8000-0000000000aa"));
	assert_non_null(wl_find(t, WL_VM, "6695eb01-f6a4-8304-79aa-97f2502e193f"));
	wl_table_unref(t);
	virDomainFree(dom);
	harness_stop(h);
	virConnectClose(rw);
}

/* lv_uuid_string writes what virDomainGetUUIDString does, for a UUID
 * with every hex digit, and fails as it does for a domain that is gone. */
static void uuid_string_matches_libvirt(void **state)
{
	static const char xml[] =
		"<domain type='test'><name>uuid-digits</name>"
		"<uuid>fedcba98-7654-3210-a1b2-c3d4e5f60789</uuid>"
		"<memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
		"<os><type>hvm</type></os></domain>";
	virConnectPtr c = virConnectOpen("test:///default");
	char ours[VIR_UUID_STRING_BUFLEN], theirs[VIR_UUID_STRING_BUFLEN];
	virDomainPtr *doms = NULL, dom;
	int n;

	(void)state;
	assert_non_null(c);
	dom = virDomainDefineXML(c, xml);
	assert_non_null(dom);
	assert_int_equal(lv_uuid_string(dom, ours), 0);
	assert_string_equal(ours, "fedcba98-7654-3210-a1b2-c3d4e5f60789");
	virDomainFree(dom);
	n = virConnectListAllDomains(c, &doms, 0);
	assert_true(n >= 2);
	for (int i = 0; i < n; i++) {
		memset(ours, 'x', sizeof(ours));
		assert_int_equal(lv_uuid_string(doms[i], ours), 0);
		assert_int_equal(virDomainGetUUIDString(doms[i], theirs), 0);
		assert_string_equal(ours, theirs);
		virDomainFree(doms[i]);
	}
	free(doms);
	assert_int_equal(lv_uuid_string(NULL, ours), -1);
	virConnectClose(c);
}

/* libvirt prints errors on stderr without a handler (the collector sets
 * its own; the test's second connection may fail before that). */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixture_domains_have_exact_values),
		cmocka_unit_test(workload_table_has_one_entry_per_domain),
		cmocka_unit_test(openstack_off_hides_nova),
		cmocka_unit_test(unreachable_libvirt_is_down_then_reconnects),
		cmocka_unit_test(domains_come_and_go_and_metadata_refreshes),
		cmocka_unit_test(uuid_string_matches_libvirt),
	};
	const char *top = getenv("top_srcdir");
	char abs[PATH_MAX];

	if (!top || !realpath(top, abs)) {
		printf("1..0 # SKIP top_srcdir is not set to the source tree\n");
		return 77;
	}
	snprintf(fixture, sizeof(fixture), "%s/tests/fixtures/libvirt/domains.xml", abs);
	snprintf(fixture_uri, sizeof(fixture_uri), "test://%s", fixture);
	virSetErrorFunc(NULL, quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
