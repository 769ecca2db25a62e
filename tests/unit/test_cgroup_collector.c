/* The cgroup collector run end to end (init, collect, fini) against the
 * fixture trees of a cgroup2, a v1 and a hybrid host: exact figures per
 * container, the host-side view of a published VM, and the release of a
 * vanished container's descriptors. Fixtures are found through top_srcdir,
 * which make check exports. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/api/collector.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"
#include "exporter/api/base.h"

extern const struct collector cgroup_collector;

#define V2_DOCKER "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
#define V2_PODMAN "236afc24ae3e0fe15428343bd8b1f2c2cf3220c70f338d091f29166681157bcf"
#define V1_DOCKER "aed4cebcaf364cb3d8e610e862b1e5ecdeae9c59aaab8913729ae5647465b7bc"
#define HY_PODMAN "9b159382820d9642a11ec509f4ad0c8ff5ad37a729e12eb1e1ebcf274f27beae"
#define VM_CGROUP "/machine/qemu-1-vm.libvirt-qemu"

/* Absolute path of a fixture tree, or skips the test without top_srcdir. */
static const char *fixture(const char *tree)
{
	static char path[4096];
	const char *src = getenv("top_srcdir");

	/* skip() jumps out of the test, but cmocka does not declare it
	 * noreturn: gcc's -fsanitize build would see a NULL %s below. */
	if (!src) {
		skip();
		return "";
	}
	snprintf(path, sizeof(path), "%s/tests/fixtures/cgroup/%s", src, tree);
	return path;
}

/* The collector started on the cgroup tree root, with no settings. */
static struct harness *start(const char *root)
{
	return harness_start(&cgroup_collector,
			     &(struct harness_opts){.cgroupfs = root});
}

static double hz(void)
{
	return (double)sysconf(_SC_CLK_TCK);
}

static void cgroup2_docker_figures_are_exact(void **unused)
{
	struct harness *h = start(fixture("v2-systemd"));
	struct snap_set *s = harness_cycle(h);

	(void)unused;
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds", "id",
				 V2_DOCKER, "mode", "user", NULL),
		     0.864196);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds", "id",
				 V2_DOCKER, "mode", "system", NULL),
		     0.370371);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_throttled_seconds",
				 "id", V2_DOCKER, NULL),
		     0.045);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_throttled_periods",
				 "id", V2_DOCKER, NULL),
		     3);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_periods", "id",
				 V2_DOCKER, NULL),
		     120);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_usage_bytes",
				 "id", V2_DOCKER, NULL),
		     15755784);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_memory_working_set_bytes",
				 "id", V2_DOCKER, NULL),
		     15755784 - 1572864);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_rss_bytes",
				 "id", V2_DOCKER, NULL),
		     8388608);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_cache_bytes",
				 "id", V2_DOCKER, NULL),
		     3145728);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_limit_bytes",
				 "id", V2_DOCKER, NULL),
		     536870912);
	/* cpu.max "200000 100000"; the podman container's is "max". */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 V2_DOCKER, NULL),
		     2);
	harness_none(s, "virtmeter_container_cpu_quota_cpus", "id", V2_PODMAN,
		     NULL);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_io_read_bytes", "id",
				 V2_DOCKER, "device", "8:0", NULL),
		     409600);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_io_write_operations",
				 "id", V2_DOCKER, "device", "253:0", NULL),
		     0);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_pids", "id",
				 V2_DOCKER, NULL),
		     7);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_pressure_cpu_waiting_seconds",
				 "id", V2_DOCKER, NULL),
		     0.001);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_pressure_memory_stalled_seconds",
				 "id", V2_DOCKER, NULL),
		     0.0008);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_pressure_io_waiting_seconds",
				 "id", V2_DOCKER, NULL),
		     0.003);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_info", "id",
				 V2_DOCKER, "runtime", "docker", NULL),
		     1);
	harness_release(s);
	harness_stop(h);
}

static void v1_docker_figures_are_exact(void **unused)
{
	struct harness *h = start(fixture("v1-cgroupfs"));
	struct snap_set *s = harness_cycle(h);

	(void)unused;
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds", "id",
				 V1_DOCKER, "mode", "user", NULL),
		     160 / hz());
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds", "id",
				 V1_DOCKER, "mode", "system", NULL),
		     70 / hz());
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_throttled_seconds",
				 "id", V1_DOCKER, NULL),
		     0.07);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_usage_bytes",
				 "id", V1_DOCKER, NULL),
		     12582912);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_memory_working_set_bytes",
				 "id", V1_DOCKER, NULL),
		     12582912 - 1572864);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_limit_bytes",
				 "id", V1_DOCKER, NULL),
		     1073741824);
	/* cpu.cfs_quota_us 50000 of cpu.cfs_period_us 100000; LXC's old1
	 * has -1, no limit. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 V1_DOCKER, NULL),
		     0.5);
	harness_none(s, "virtmeter_container_cpu_quota_cpus", "container",
		     "old1", NULL);
	assert_true(harness_count(s, "virtmeter_container_info", "container",
				  "old1", NULL) == 1);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_io_read_bytes", "id",
				 V1_DOCKER, "device", "8:0", NULL),
		     409600);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_io_write_operations",
				 "id", V1_DOCKER, "device", "8:0", NULL),
		     20);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_pids", "id",
				 V1_DOCKER, NULL),
		     5);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_info", "id",
				 V1_DOCKER, "runtime", "docker", NULL),
		     1);
	harness_release(s);
	harness_stop(h);
}

/* Publishes one libvirt VM with the hybrid fixture's VM cgroup. */
static void publish_vm(void)
{
	struct wl_list *l = wl_list_new();
	struct workload w = {.kind = WL_VM, .id = "uuid-1", .name = "vm1",
			     .runtime = "libvirt", .cgroup = VM_CGROUP};

	assert_non_null(l);
	assert_int_equal(wl_list_add(l, &w), 0);
	assert_int_equal(wl_publish(WL_SRC_LIBVIRT, l), 0);
	wl_list_unref(l);
}

static void hybrid_lxc_and_vm_are_read_from_their_hierarchies(void **unused)
{
	struct harness *h = start(fixture("hybrid"));
	struct snap_set *s;
	struct wl_table *t;

	(void)unused;
	publish_vm();
	s = harness_cycle(h);
	/* LXC: CPU from cpuacct, memory from v1, PSI from the cgroup2 tree. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds",
				 "container", "web2", "mode", "user", NULL),
		     160 / hz());
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_usage_bytes",
				 "container", "web2", NULL),
		     12582912);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_container_pressure_memory_stalled_seconds",
				 "container", "web2", NULL),
		     0.001);
	/* An unlimited v1 limit has no sample, memory or CPU. */
	harness_none(s, "virtmeter_container_memory_limit_bytes", "container",
		     "web2", NULL);
	harness_none(s, "virtmeter_container_cpu_quota_cpus", "container",
		     "web2", NULL);
	/* podman: 150000 of 100000 us in the v1 cpu hierarchy. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 HY_PODMAN, NULL),
		     1.5);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_info", "container",
				 "web2", "runtime", "lxc", NULL),
		     1);
	/* The VM is no container; its CPU comes from the unified cpu.stat. */
	assert_int_equal(
	    harness_count(s, "virtmeter_vm_cgroup_memory_usage_bytes", NULL), 1);
	/* web2 and the podman container */
	assert_int_equal(harness_count(s, "virtmeter_container_info", NULL), 2);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_cgroup_cpu_seconds", "vm",
				 "vm1", "mode", "user", NULL),
		     2.59259);
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_cgroup_memory_usage_bytes",
				 "vm", "vm1", NULL),
		     37748736);
	HARNESS_NEAR(harness_one(s,
				 "virtmeter_vm_cgroup_pressure_io_waiting_seconds",
				 "vm", "vm1", NULL),
		     0.009);
	/* 100000 us of every 50000 us period. */
	HARNESS_NEAR(harness_one(s, "virtmeter_vm_cgroup_cpu_quota_cpus", "vm",
				 "vm1", NULL),
		     2);
	t = wl_current();
	assert_non_null(t);
	assert_non_null(t->lists[WL_SRC_CGROUP]);
	assert_int_equal(t->lists[WL_SRC_CGROUP]->n, 2);
	for (size_t i = 0; i < t->lists[WL_SRC_CGROUP]->n; i++)
		assert_int_equal(t->lists[WL_SRC_CGROUP]->items[i].kind,
				 WL_CONTAINER);
	wl_table_unref(t);
	harness_release(s);
	wl_publish(WL_SRC_LIBVIRT, NULL);
	harness_stop(h);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void removed_container_vanishes_and_its_fds_close(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgc.XXXXXX";
	char root[64], cmd[8192];
	const char *src = fixture("v1-cgroupfs");
	struct snap_set *s;
	struct harness *h;
	int base, before, after;

	(void)unused;
	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/t", tmp);
	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s'", src, root);
	assert_int_equal(system(cmd), 0);
	base = count_fds();
	h = start(root);
	s = harness_cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_pids", "id",
				 V1_DOCKER, NULL),
		     5);
	harness_release(s);
	before = count_fds();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/*/docker/" V1_DOCKER, root);
	assert_int_equal(system(cmd), 0);
	s = harness_cycle(h);
	after = count_fds();
	harness_none(s, "virtmeter_container_info", "id", V1_DOCKER, NULL);
	harness_none(s, "virtmeter_container_cpu_seconds", "id", V1_DOCKER,
		     NULL);
	assert_true(harness_count(s, "virtmeter_container_info", NULL) > 0);
	assert_true(after < before);
	harness_release(s);
	harness_stop(h);
	assert_int_equal(count_fds(), base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void excluded_container_is_not_reported(void **unused)
{
	const struct harness_opts opts = {
	    .cgroupfs = fixture("v2-systemd"),
	    .yaml = "cgroup:\n  exclude: [\"f31f*\"]\n",
	};
	struct harness *h = harness_start(&cgroup_collector, &opts);
	struct snap_set *s = harness_cycle(h);

	(void)unused;
	harness_none(s, "virtmeter_container_info", "id", V2_DOCKER, NULL);
	assert_true(harness_count(s, "virtmeter_container_info", NULL) > 0);
	harness_release(s);
	harness_stop(h);
}

/* A copy of fixture tree under a new temporary directory; returns the
 * copy's root (static) and the directory to remove in tmp. */
static const char *copy_fixture(const char *tree, char *tmp)
{
	static char root[128];
	char cmd[8192];
	const char *src = fixture(tree);

	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/t", tmp);
	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s'", src, root);
	assert_int_equal(system(cmd), 0);
	return root;
}

/* Writes text into file name of the v2 docker container under root. */
static void put(const char *root, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path),
		 "%s/system.slice/docker-" V2_DOCKER ".scope/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* One cycle's memory usage of the v2 docker container. */
static double mem_of(struct harness *h)
{
	struct snap_set *s = harness_cycle(h);
	double v = harness_one(s, "virtmeter_container_memory_usage_bytes",
			       "id", V2_DOCKER, NULL);

	harness_release(s);
	return v;
}

static const char *const cpu_stat_moved =
    "usage_usec 1234568\nuser_usec 864197\nsystem_usec 370371\n"
    "nr_periods 120\nnr_throttled 3\nthrottled_usec 45000\n";

static void idle_container_is_read_in_full_every_third_cycle(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgi.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	struct snap_set *s;
	struct harness *h;

	(void)unused;
	h = start(root);
	HARNESS_NEAR(mem_of(h), 15755784); /* first sight: a full read */
	put(root, "memory.current", "1000\n");
	HARNESS_NEAR(mem_of(h), 15755784); /* CPU time unchanged: carried over */
	HARNESS_NEAR(mem_of(h), 15755784);
	HARNESS_NEAR(mem_of(h), 1000); /* the third idle cycle reads in full */
	put(root, "memory.current", "2000\n");
	put(root, "cpu.stat", cpu_stat_moved);
	HARNESS_NEAR(mem_of(h), 2000); /* CPU time moved: read in full at once */
	s = harness_cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_seconds", "id",
				 V2_DOCKER, "mode", "user", NULL),
		     0.864197);
	assert_true(harness_one(s, "virtmeter_cgroup_reads", "kind", "probe",
				NULL) >= 3);
	assert_true(harness_one(s, "virtmeter_cgroup_reads", "kind", "full",
				NULL) >= 3);
	harness_release(s);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* Starts the collector on root with --collector.cgroup.KEY=value; returns
 * its init's result and the started collector in *h. */
static int start_with(const char *root, const char *key, const char *value,
		      struct harness **h)
{
	const struct harness_setting set[] = {
	    {.key = key, .value = value},
	    {.key = NULL},
	};

	return harness_try_start(&cgroup_collector,
				 &(struct harness_opts){.cgroupfs = root,
							.settings = set},
				 h);
}

static int start_idle_cycles(const char *root, const char *v,
			     struct harness **h)
{
	return start_with(root, "idle-cycles", v, h);
}

static void idle_cycles_1_reads_every_file_every_cycle(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgi.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	struct harness *h;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &h), 0);
	HARNESS_NEAR(mem_of(h), 15755784);
	put(root, "memory.current", "1000\n");
	HARNESS_NEAR(mem_of(h), 1000);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void files_longer_than_their_slot_are_read_whole(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgl.XXXXXX";
	char cmd[256], line[128], io[8192] = "";
	const char *root = copy_fixture("v2-systemd", tmp);
	struct snap_set *s;
	struct harness *h;
	size_t o = 0;

	(void)unused;
	/* 60 devices: an io.stat of over 5 KiB, past its 2 KiB slot and
	 * the 4 KiB that a second read starts with. */
	for (int d = 0; d < 60; d++) {
		int n = snprintf(line, sizeof(line),
				 "8:%d rbytes=%d wbytes=2000000000000 "
				 "rios=3000000000 wios=4000000000 dbytes=0 "
				 "dios=0\n", d, 1000 + d);

		memcpy(io + o, line, (size_t)n);
		o += (size_t)n;
	}
	io[o] = '\0';
	assert_true(o > 4096);
	put(root, "io.stat", io);
	/* cpu.max padded past its 64-byte slot with blanks, which may end a
	 * line. */
	snprintf(line, sizeof(line), "300000 100000%100s\n", "");
	put(root, "cpu.max", line);
	h = start(root);
	s = harness_cycle(h);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 V2_DOCKER, NULL),
		     3);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_io_read_bytes", "id",
				 V2_DOCKER, "device", "8:59", NULL),
		     1059);
	assert_int_equal(harness_count(s, "virtmeter_container_io_read_bytes",
				       "id", V2_DOCKER, NULL),
			 60);
	harness_release(s);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* One cycle's files-read counter, memory limit and OOM kills of the v2
 * docker container. */
static double files_read(struct harness *h, double *limit, double *ooms)
{
	struct snap_set *s = harness_cycle(h);
	double n = harness_one(s, "virtmeter_cgroup_file_reads", NULL);

	*limit = harness_one(s, "virtmeter_container_memory_limit_bytes", "id",
			     V2_DOCKER, NULL);
	*ooms = harness_one(s, "virtmeter_container_oom_events", "id",
			    V2_DOCKER, NULL);
	harness_release(s);
	return n;
}

static void watched_memory_files_are_read_only_after_they_change(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgf.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	double n0, n1, n2, n3, n4, limit, ooms, limit0, ooms0;
	struct harness *h;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &h), 0);
	n0 = files_read(h, &limit0, &ooms0);
	n1 = files_read(h, &limit, &ooms);
	HARNESS_NEAR(limit, limit0); /* carried over, not lost */
	HARNESS_NEAR(ooms, ooms0);
	n2 = files_read(h, &limit, &ooms);
	/* Every cycle after the first skips memory.max and memory.events of
	 * each cgroup2 container (the fixture has several). */
	assert_true(n1 - n0 < n0 - 2);
	HARNESS_NEAR(n2 - n1, n1 - n0);
	put(root, "memory.max", "123456789\n");
	n3 = files_read(h, &limit, &ooms);
	HARNESS_NEAR(limit, 123456789); /* inotify: read again at once */
	HARNESS_NEAR(n3 - n2, n2 - n1 + 1);
	put(root, "memory.events", "low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\n");
	n4 = files_read(h, &limit, &ooms);
	HARNESS_NEAR(ooms, 3);
	HARNESS_NEAR(limit, 123456789);
	HARNESS_NEAR(n4 - n3, n2 - n1 + 1);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* Writes text into file name of the v1 docker container's cpu cgroup
 * under root. */
static void put_v1_cpu(const char *root, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu,cpuacct/docker/" V1_DOCKER "/%s",
		 root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* One cycle's files-read counter and CPU quota of container id (-1 when
 * it has no quota sample). */
static double quota_cycle(struct harness *h, const char *id, double *cpus)
{
	struct snap_set *s = harness_cycle(h);
	double n = harness_one(s, "virtmeter_cgroup_file_reads", NULL);

	*cpus = -1;
	if (harness_count(s, "virtmeter_container_cpu_quota_cpus", "id", id,
			  NULL) > 0)
		*cpus = harness_one(s, "virtmeter_container_cpu_quota_cpus",
				    "id", id, NULL);
	harness_release(s);
	return n;
}

static void
written_cpu_max_is_seen_at_the_next_cycle_and_read_only_then(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgq.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	double n0, n1, n2, n3, n4, n5, cpus;
	struct harness *h;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &h), 0);
	n0 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 2);
	n1 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 2); /* carried over while unwritten */
	n2 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(n2 - n1, n1 - n0);
	put(root, "cpu.max", "50000 100000\n");
	n3 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 0.5); /* inotify: read again at once ... */
	HARNESS_NEAR(n3 - n2, n2 - n1 + 1); /* ... that file alone */
	n4 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 0.5); /* quota and period carried together */
	HARNESS_NEAR(n4 - n3, n2 - n1);
	put(root, "cpu.max", "max 100000\n");
	n5 = quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, -1); /* unlimited now: no sample */
	HARNESS_NEAR(n5 - n4, n2 - n1 + 1);
	quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, -1);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void written_v1_quota_or_period_is_seen_at_the_next_cycle(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgq.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v1-cgroupfs", tmp);
	double n0, n1, n2, n3, n4, cpus;
	struct harness *h;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &h), 0);
	n0 = quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 0.5);
	n1 = quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 0.5);
	/* Both files skipped, as the memory limit, after the first cycle. */
	assert_true(n1 - n0 < n0 - 2);
	/* The period alone: the quota is carried and divided anew. */
	put_v1_cpu(root, "cpu.cfs_period_us", "25000\n");
	n2 = quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 2);
	HARNESS_NEAR(n2 - n1, n1 - n0 + 1);
	put_v1_cpu(root, "cpu.cfs_quota_us", "-1\n");
	n3 = quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, -1);
	HARNESS_NEAR(n3 - n2, n1 - n0 + 1);
	put_v1_cpu(root, "cpu.cfs_quota_us", "100000\n");
	n4 = quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 4); /* the period written before is kept */
	HARNESS_NEAR(n4 - n3, n1 - n0 + 1);
	quota_cycle(h, V1_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 4);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void
written_quota_of_an_idle_container_is_seen_at_the_next_cycle(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgq.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	struct snap_set *s;
	struct harness *h;
	double cpus, probes;

	(void)unused;
	h = start(root); /* idle-cycles 3: an idle container is probed */
	quota_cycle(h, V2_DOCKER, &cpus);
	HARNESS_NEAR(cpus, 2);
	put(root, "memory.current", "1000\n");
	HARNESS_NEAR(mem_of(h), 15755784); /* idle: carried over */
	put(root, "cpu.max", "300000 100000\n");
	s = harness_cycle(h);
	probes =
	    harness_one(s, "virtmeter_cgroup_reads", "kind", "probe", NULL);
	/* The write ends the idle spell: a full read at once. */
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 V2_DOCKER, NULL),
		     3);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_memory_usage_bytes",
				 "id", V2_DOCKER, NULL),
		     1000);
	harness_release(s);
	/* Nothing written since: idle again, probed. */
	s = harness_cycle(h);
	assert_true(harness_one(s, "virtmeter_cgroup_reads", "kind", "probe",
				NULL) > probes);
	HARNESS_NEAR(harness_one(s, "virtmeter_container_cpu_quota_cpus", "id",
				 V2_DOCKER, NULL),
		     3);
	harness_release(s);
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void pread_and_io_uring_read_the_same_figures(void **unused)
{
	struct snap_set *a, *b;
	struct harness *h;

	(void)unused;
	assert_int_equal(start_with(fixture("v2-systemd"), "io-uring", "false",
				    &h),
			 0);
	a = harness_cycle(h);
	harness_stop(h);
	h = start(fixture("v2-systemd"));
	b = harness_cycle(h);
	harness_stop(h);
	assert_true(harness_count(a, "virtmeter_container_info", NULL) > 1);
	assert_int_equal(harness_count(a, "virtmeter_container_info", NULL),
			 harness_count(b, "virtmeter_container_info", NULL));
	HARNESS_NEAR(harness_one(a, "virtmeter_container_memory_usage_bytes",
				 "id", V2_DOCKER, NULL),
		     harness_one(b, "virtmeter_container_memory_usage_bytes",
				 "id", V2_DOCKER, NULL));
	HARNESS_NEAR(harness_one(a,
				 "virtmeter_container_memory_working_set_bytes",
				 "id", V2_DOCKER, NULL),
		     harness_one(b,
				 "virtmeter_container_memory_working_set_bytes",
				 "id", V2_DOCKER, NULL));
	HARNESS_NEAR(harness_one(a, "virtmeter_container_oom_events", "id",
				 V2_DOCKER, NULL),
		     harness_one(b, "virtmeter_container_oom_events", "id",
				 V2_DOCKER, NULL));
	HARNESS_NEAR(harness_one(a, "virtmeter_cgroup_file_reads", NULL),
		     harness_one(b, "virtmeter_cgroup_file_reads", NULL));
	harness_release(a);
	harness_release(b);
	assert_int_equal(start_with(fixture("v2-systemd"), "io-uring", "maybe",
				    &h),
			 -EINVAL);
	assert_non_null(strstr(collector_take_error(),
			       "--collector.cgroup.io-uring=maybe"));
}

/* The walks counter and the number of containers of one cycle. */
static void walks_and_containers(struct harness *h, double *walks, int *n)
{
	struct snap_set *s = harness_cycle(h);

	*walks = harness_one(s, "virtmeter_cgroup_walks", NULL);
	*n = (int)harness_count(s, "virtmeter_container_info", NULL);
	harness_release(s);
}

static void tree_is_walked_again_only_when_a_cgroup_comes_or_goes(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgw.XXXXXX";
	char cmd[512];
	const char *root = copy_fixture("v2-systemd", tmp);
	struct harness *h;
	double w;
	int n0, n;

	(void)unused;
	h = start(root);
	walks_and_containers(h, &w, &n0);
	HARNESS_NEAR(w, 1);
	walks_and_containers(h, &w, &n);
	walks_and_containers(h, &w, &n);
	HARNESS_NEAR(w, 1); /* nothing changed: no walk */
	assert_int_equal(n, n0);
	snprintf(cmd, sizeof(cmd),
		 "cp -R '%s/system.slice/docker-" V2_DOCKER ".scope' "
		 "'%s/system.slice/docker-%064d.scope'", root, root, 7);
	assert_int_equal(system(cmd), 0);
	walks_and_containers(h, &w, &n);
	HARNESS_NEAR(w, 2); /* inotify saw the new cgroup */
	assert_int_equal(n, n0 + 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/system.slice/docker-%064d.scope'",
		 root, 7);
	assert_int_equal(system(cmd), 0);
	walks_and_containers(h, &w, &n);
	HARNESS_NEAR(w, 3);
	assert_int_equal(n, n0);
	for (int i = 0; i < 12; i++)
		walks_and_containers(h, &w, &n);
	HARNESS_NEAR(w, 4); /* and every 12 cycles regardless */
	harness_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void bad_idle_cycles_fails_init_naming_the_flag(void **unused)
{
	static const char *const bad[] = {"0", "-1", "x", "3s", "", "1001"};
	struct harness *h;

	(void)unused;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(start_idle_cycles(fixture("v2-systemd"),
						   bad[i], &h),
				 -EINVAL);
		assert_non_null(strstr(collector_take_error(),
				       "--collector.cgroup.idle-cycles"));
	}
}

static void missing_hierarchy_fails_init(void **unused)
{
	const struct harness_opts opts = {.cgroupfs = "/nonexistent-cgroupfs"};
	struct harness *h;

	(void)unused;
	assert_true(harness_try_start(&cgroup_collector, &opts, &h) < 0);
	assert_non_null(strstr(collector_take_error(), "/nonexistent-cgroupfs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cgroup2_docker_figures_are_exact),
	    cmocka_unit_test(v1_docker_figures_are_exact),
	    cmocka_unit_test(hybrid_lxc_and_vm_are_read_from_their_hierarchies),
	    cmocka_unit_test(removed_container_vanishes_and_its_fds_close),
	    cmocka_unit_test(excluded_container_is_not_reported),
	    cmocka_unit_test(missing_hierarchy_fails_init),
	    cmocka_unit_test(idle_container_is_read_in_full_every_third_cycle),
	    cmocka_unit_test(idle_cycles_1_reads_every_file_every_cycle),
	    cmocka_unit_test(bad_idle_cycles_fails_init_naming_the_flag),
	    cmocka_unit_test(
		watched_memory_files_are_read_only_after_they_change),
	    cmocka_unit_test(
		written_cpu_max_is_seen_at_the_next_cycle_and_read_only_then),
	    cmocka_unit_test(
		written_v1_quota_or_period_is_seen_at_the_next_cycle),
	    cmocka_unit_test(
		written_quota_of_an_idle_container_is_seen_at_the_next_cycle),
	    cmocka_unit_test(pread_and_io_uring_read_the_same_figures),
	    cmocka_unit_test(files_longer_than_their_slot_are_read_whole),
	    cmocka_unit_test(
		tree_is_walked_again_only_when_a_cgroup_comes_or_goes),
	};

	return cmocka_run_group_tests_name("cgroup_collector", tests, NULL,
					   NULL);
}
