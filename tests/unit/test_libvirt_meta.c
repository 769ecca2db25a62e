/* Tests of the libvirt collector's parsers of outside input: the domain XML
 * (collectors/libvirt/meta.c: type, OS, partition, devices, Nova metadata,
 * and the documents it must refuse) and the cgroup discovery
 * (collectors/libvirt/cgroup.c: libvirt's naming rules, /proc/PID/cgroup on
 * v1, v2 and hybrid hosts, and the file lookups on a temporary tree). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/libvirt/cgroup.h"
#include "collectors/libvirt/meta.h"
#include "exporter/api/base.h"

static struct lv_meta *parse_ok(const char *xml)
{
	struct lv_meta *m = NULL;

	assert_int_equal(lv_meta_parse(xml, strlen(xml), &m), 0);
	assert_non_null(m);
	return m;
}

static void domain_facts_are_read(void **state)
{
	static const char xml[] =
		"<domain type='kvm' id='3'><name>web</name>"
		"<resource><partition>/machine</partition></resource>"
		"<os><type arch='x86_64' machine='pc'>hvm</type></os>"
		"<devices><emulator>/usr/bin/qemu</emulator>"
		"<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>"
		"<disk type='file' device='cdrom'><target dev='hdc'/></disk>"
		"<disk type='file'><source file='/x'/></disk>"
		"<interface type='ethernet'><mac address='52:54:00:aa:bb:cc'/>"
		"<target dev='vnet3'/></interface>"
		"<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
		"</devices></domain>";
	struct lv_meta *m = parse_ok(xml);

	(void)state;
	assert_string_equal(m->type, "kvm");
	assert_string_equal(m->os_type, "hvm");
	assert_string_equal(m->partition, "/machine");
	assert_int_equal(m->ndisks, 3);
	assert_string_equal(m->disks[0].target, "vda");
	assert_string_equal(m->disks[1].target, "hdc");
	assert_string_equal(m->disks[2].target, "");
	assert_int_equal(m->nifaces, 2);
	assert_string_equal(m->ifaces[0].target, "vnet3");
	assert_string_equal(m->ifaces[0].mac, "52:54:00:aa:bb:cc");
	assert_string_equal(m->ifaces[1].target, "");
	assert_false(m->has_nova);
	assert_string_equal(m->nova.name, "");
	lv_meta_free(m);
}

static void nova_metadata_is_read(void **state)
{
	static const char xml[] =
		"<domain type='kvm'><metadata>"
		"<other:thing xmlns:other='urn:x'><other:name>no</other:name></other:thing>"
		"<nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">"
		"<nova:package version=\"27.1.0\"/>"
		"<nova:name>db &quot;primary&quot; &amp; &#955;</nova:name>"
		"<nova:flavor name=\"m1.small\">"
		"<nova:memory>2048</nova:memory><nova:disk> 20 </nova:disk>"
		"<nova:swap>0</nova:swap><nova:ephemeral>x1</nova:ephemeral>"
		"<nova:vcpus>2</nova:vcpus></nova:flavor>"
		"<nova:owner><nova:user uuid=\"u-1\">alice</nova:user>"
		"<nova:project uuid=\"p-1\"><![CDATA[de]]>mo</nova:project></nova:owner>"
		"</nova:instance></metadata></domain>";
	struct lv_meta *m = parse_ok(xml);

	(void)state;
	assert_true(m->has_nova);
	assert_string_equal(m->nova.name, "db \"primary\" & \xce\xbb");
	assert_string_equal(m->nova.flavor, "m1.small");
	assert_int_equal(m->nova.memory_mib, 2048);
	assert_int_equal(m->nova.disk_gib, 20);
	assert_int_equal(m->nova.swap_mib, 0);
	assert_true(m->nova.ephemeral_gib == LV_NOVA_UNSET); /* garbage */
	assert_int_equal(m->nova.vcpus, 2);
	assert_string_equal(m->nova.user_id, "u-1");
	assert_string_equal(m->nova.user_name, "alice");
	assert_string_equal(m->nova.project_id, "p-1");
	assert_string_equal(m->nova.project_name, "demo");
	lv_meta_free(m);
}

static void nova_namespace_is_required(void **state)
{
	static const char v10[] =
		"<domain type='kvm'><metadata><n:instance "
		"xmlns:n='http://openstack.org/xmlns/libvirt/nova/1.0'>"
		"<n:name>old</n:name></n:instance></metadata></domain>";
	static const char other[] =
		"<domain type='kvm'><metadata><n:instance xmlns:n='urn:not-nova'>"
		"<n:name>fake</n:name></n:instance><instance><name>bare</name>"
		"</instance></metadata></domain>";
	struct lv_meta *m = parse_ok(v10);

	(void)state;
	/* Any Nova version, under any prefix. */
	assert_true(m->has_nova);
	assert_string_equal(m->nova.name, "old");
	assert_string_equal(m->nova.flavor, "");
	assert_true(m->nova.vcpus == LV_NOVA_UNSET);
	lv_meta_free(m);
	m = parse_ok(other);
	assert_false(m->has_nova);
	lv_meta_free(m);
}

static void bad_documents_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<domain type='kvm'>",                       /* truncated */
		"<network><name>x</name></network>",         /* not a domain */
		"<d:domain xmlns:d='urn:x'/>",               /* namespaced root */
		/* a DTD */
		("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaa'>"
		 "<!ENTITY b '&a;&a;&a;&a;'>]><domain type='&b;'/>"),
		"<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain/>",
	};
	struct lv_meta *m = (struct lv_meta *)&m;
	char *big;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(lv_meta_parse(bad[i], strlen(bad[i]), &m), -EINVAL);
		assert_null(m);
	}
	/* Length is honoured: no NUL needed, nothing read past it. */
	assert_int_equal(lv_meta_parse("<domain/>trailing", 9, &m), 0);
	lv_meta_free(m);
	big = calloc(1, LV_META_MAX_XML + 2);
	assert_non_null(big);
	assert_int_equal(lv_meta_parse(big, LV_META_MAX_XML + 1, &m), -E2BIG);
	free(big);
}

static void machine_name_follows_libvirt(void **state)
{
	char out[128], name[64];

	(void)state;
	assert_int_equal(lv_cg_machine_name("qemu", 1, "vmtest1", out, sizeof(out)), 0);
	assert_string_equal(out, "qemu-1-vmtest1");
	/* Only letters, digits and single inner separators survive. */
	assert_int_equal(lv_cg_machine_name("qemu", 12, "-web_1..a--b \"q\" \xce\xbb.",
					    out, sizeof(out)), 0);
	assert_string_equal(out, "qemu-12-web1.a-bq");
	assert_int_equal(lv_cg_machine_name("qemu", 3, "___", out, sizeof(out)), 0);
	assert_string_equal(out, "qemu-3");
	/* Cut at 64 bytes in all ("qemu-7-" and 57 more), then trailing
	 * separators dropped. */
	memset(name, 'a', 56);
	memcpy(name + 56, "-bcd", 5);
	assert_int_equal(lv_cg_machine_name("qemu", 7, name, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 63);
	assert_memory_equal(out, "qemu-7-aaa", 10);
	name[56] = 'b';
	assert_int_equal(lv_cg_machine_name("qemu", 7, name, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 64);
	assert_int_equal(lv_cg_machine_name("qemu", 1, "vm", out, 8), -ENAMETOOLONG);
}

static void candidate_paths_for_systemd_and_libvirt(void **state)
{
	char c[2][LV_CG_PATH_MAX];

	(void)state;
	assert_int_equal(lv_cg_candidates("qemu", 1, "web-1", "", c, 2), 2);
	assert_string_equal(c[0], "/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope");
	assert_string_equal(c[1], "/machine/qemu-1-web-1.libvirt-qemu");
	assert_int_equal(lv_cg_candidates("qemu", 4, "a.b", "/machine", c, 2), 2);
	assert_string_equal(c[0], "/machine.slice/machine-qemu\\x2d4\\x2da.b.scope");
	assert_string_equal(c[1], "/machine/qemu-4-a.b.libvirt-qemu");
	/* A custom partition: nested slices, or .partition directories. */
	assert_int_equal(lv_cg_candidates("qemu", 2, "x", "/machine/gold", c, 2), 2);
	assert_string_equal(c[0], "/machine.slice/machine-gold.slice/"
				  "machine-qemu\\x2d2\\x2dx.scope");
	assert_string_equal(c[1], "/machine/gold.partition/qemu-2-x.libvirt-qemu");
	assert_int_equal(lv_cg_candidates("lxc", 9, "c", "", c, 1), 1);
	assert_string_equal(c[0], "/machine.slice/machine-lxc\\x2d9\\x2dc.scope");
}

static void proc_cgroup_names_the_vm(void **state)
{
	/* Hybrid v1 + v2, no systemd (this project's test machine). */
	static const char hybrid[] =
		"9:name=systemd:/\n8:pids:/\n"
		"7:blkio:/machine/qemu-1-vmtest1.libvirt-qemu\n"
		"4:memory:/machine/qemu-1-vmtest1.libvirt-qemu\n"
		"3:cpuset:/machine/qemu-1-vmtest1.libvirt-qemu/emulator\n"
		"2:cpuacct:/\n"
		"1:cpu:/machine/qemu-1-vmtest1.libvirt-qemu/emulator\n"
		"0::/machine/qemu-1-vmtest1.libvirt-qemu/emulator\n";
	/* cgroup v2 with systemd (libvirt 7+ adds a libvirt/ level). */
	static const char v2[] =
		"0::/machine.slice/machine-qemu\\x2d5\\x2dweb.scope/libvirt/emulator\n";
	/* v1 with systemd, no cgroup2 line. */
	static const char v1[] =
		"12:cpu,cpuacct:/machine.slice/machine-qemu\\x2d2\\x2dd.scope/emulator\n"
		"5:memory:/machine.slice/machine-qemu\\x2d2\\x2dd.scope\n"
		"1:name=systemd:/machine.slice/machine-qemu\\x2d2\\x2dd.scope";
	/* A process in no VM cgroup (cgroups disabled in qemu.conf). */
	static const char none[] = "0::/system.slice/libvirtd.service\n1:cpu:/\n";
	char out[LV_CG_PATH_MAX];

	(void)state;
	assert_int_equal(lv_cg_from_proc(hybrid, strlen(hybrid), "qemu", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine/qemu-1-vmtest1.libvirt-qemu");
	assert_int_equal(lv_cg_from_proc(v2, strlen(v2), "qemu", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine.slice/machine-qemu\\x2d5\\x2dweb.scope");
	assert_int_equal(lv_cg_from_proc(v1, strlen(v1), "qemu", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine.slice/machine-qemu\\x2d2\\x2dd.scope");
	assert_int_equal(lv_cg_from_proc(none, strlen(none), "qemu", out, sizeof(out)), -ENOENT);
	assert_int_equal(lv_cg_from_proc("", 0, "qemu", out, sizeof(out)), -ENOENT);
	assert_int_equal(lv_cg_from_proc("garbage\n::\n:", 13, "qemu", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(lv_cg_from_proc(hybrid, strlen(hybrid), "qemu", out, 10),
			 -ENAMETOOLONG);
}

static void pid_files_parse_strictly(void **state)
{
	long pid = 0;

	(void)state;
	assert_int_equal(lv_cg_parse_pid("1234\n", 5, &pid), 0);
	assert_int_equal(pid, 1234);
	assert_int_equal(lv_cg_parse_pid("77", 2, &pid), 0); /* no newline */
	assert_int_equal(pid, 77);
	assert_int_equal(lv_cg_parse_pid("", 0, &pid), -EINVAL);
	assert_int_equal(lv_cg_parse_pid("0\n", 2, &pid), -EINVAL);
	assert_int_equal(lv_cg_parse_pid("-1", 2, &pid), -EINVAL);
	assert_int_equal(lv_cg_parse_pid("12x", 3, &pid), -EINVAL);
	assert_int_equal(lv_cg_parse_pid("99999999999999", 14, &pid), -EINVAL);
}

/* Writes text into dir/rel, making parent directories. */
static void put(const char *dir, const char *rel, const char *text)
{
	char path[1024], cmd[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void discovery_prefers_the_process_then_the_names(void **state)
{
	char tmp[] = "/tmp/vm-lvcg-XXXXXX", root[1100], out[LV_CG_PATH_MAX];
	char cmd[1200];
	struct lv_cg_roots r;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cg", tmp);
	r.procfs = tmp;
	r.cgroupfs = root;
	r.piddir = tmp;
	/* The PID file and /proc/PID/cgroup win. */
	put(tmp, "web.pid", "4242\n");
	put(tmp, "4242/cgroup", "0::/machine/qemu-7-web.libvirt-qemu/emulator\n");
	assert_int_equal(lv_cg_discover(&r, "qemu", 7, "web", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine/qemu-7-web.libvirt-qemu");
	/* No PID file: the naming rules, checked on the hybrid layout. */
	assert_int_equal(lv_cg_discover(&r, "qemu", 8, "db_1", "", out, sizeof(out)),
			 -ENOENT);
	put(root, "unified/machine/qemu-8-db1.libvirt-qemu/cgroup.procs", "");
	assert_int_equal(lv_cg_discover(&r, "qemu", 8, "db_1", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine/qemu-8-db1.libvirt-qemu");
	/* A systemd host (cgroup2 at the root): the scope. */
	put(root, "machine.slice/machine-qemu\\x2d9\\x2dapp.scope/cgroup.procs", "");
	assert_int_equal(lv_cg_discover(&r, "qemu", 9, "app", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine.slice/machine-qemu\\x2d9\\x2dapp.scope");
	/* A v1-only host: under a controller. */
	put(root, "cpu,cpuacct/machine/qemu-10-old.libvirt-qemu/tasks", "");
	assert_int_equal(lv_cg_discover(&r, "qemu", 10, "old", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine/qemu-10-old.libvirt-qemu");
	/* A stale PID file whose process is elsewhere: the names decide. */
	put(tmp, "old.pid", "4243\n");
	put(tmp, "4243/cgroup", "0::/user.slice\n");
	assert_int_equal(lv_cg_discover(&r, "qemu", 10, "old", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/machine/qemu-10-old.libvirt-qemu");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domain_facts_are_read),
		cmocka_unit_test(nova_metadata_is_read),
		cmocka_unit_test(nova_namespace_is_required),
		cmocka_unit_test(bad_documents_are_refused),
		cmocka_unit_test(machine_name_follows_libvirt),
		cmocka_unit_test(candidate_paths_for_systemd_and_libvirt),
		cmocka_unit_test(proc_cgroup_names_the_vm),
		cmocka_unit_test(pid_files_parse_strictly),
		cmocka_unit_test(discovery_prefers_the_process_then_the_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
