/* The cgroup collector run end to end (init, collect, fini) against the
 * fixture trees of a cgroup2, a v1 and a hybrid host: exact figures per
 * container, the host-side view of a published VM, and the release of a
 * vanished container's descriptors. Fixtures are found through top_srcdir,
 * which make check exports. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/api/collector.h"
#include "exporter/config.h"
#include "exporter/api/snapshot.h"
#include "exporter/api/workload.h"

extern const struct collector cgroup_collector;

#define V2_DOCKER "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
#define V1_DOCKER "aed4cebcaf364cb3d8e610e862b1e5ecdeae9c59aaab8913729ae5647465b7bc"
#define VM_CGROUP "/machine/qemu-1-vm.libvirt-qemu"

/* Absolute path of a fixture tree, or skips the test without top_srcdir. */
static const char *fixture(const char *tree)
{
	static char path[4096];
	const char *src = getenv("top_srcdir");

	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/tests/fixtures/cgroup/%s", src, tree);
	return path;
}

/* Runs one cycle of a collector initialised on root; returns the set. */
static struct snap_set *cycle(void *state)
{
	struct snap_set *set = snap_set_new();

	assert_non_null(set);
	assert_int_equal(cgroup_collector.collect(state, set), 0);
	return set;
}

static void *start(const char *root)
{
	struct collector_env env = {.procfs = "/proc", .sysfs = "/sys",
				    .cgroupfs = root};
	void *state = NULL;

	assert_int_equal(cgroup_collector.init(&env, &state), 0);
	return state;
}

/* Whether sample s of family entry e has every (label, value) pair of the
 * NULL-terminated list ap. */
static bool labels_match(const struct snap_set *set,
			 const struct snap_fam_entry *e,
			 const struct snap_sample *s, va_list ap)
{
	const char *name;

	while ((name = va_arg(ap, const char *))) {
		const char *want = va_arg(ap, const char *);
		const char *v = snap_sample_labels(set, s);
		size_t i = 0;

		while (e->desc->labels[i] && strcmp(e->desc->labels[i], name)) {
			v += strlen(v) + 1;
			i++;
		}
		if (!e->desc->labels[i] || strcmp(v, want) != 0)
			return false;
	}
	return true;
}

/* Counts the samples of family fam with the (label, value) pairs of ap
 * and returns the value of the last one, NAN if none. */
static double value_v(const struct snap_set *set, const char *fam,
		      int *count, va_list ap)
{
	double v = NAN;

	*count = 0;
	for (size_t f = 0; f < set->nfams; f++) {
		const struct snap_fam_entry *e = &set->fams[f];

		if (strcmp(e->desc->name, fam) != 0)
			continue;
		for (uint32_t i = e->first; i != UINT32_MAX;
		     i = set->samples[i].next) {
			va_list aq;

			va_copy(aq, ap);
			if (labels_match(set, e, &set->samples[i], aq)) {
				v = set->samples[i].value;
				(*count)++;
			}
			va_end(aq);
		}
	}
	return v;
}

/* Counts the samples of fam with the NULL-terminated (label, value)
 * pairs that follow. */
static int count(const struct snap_set *set, const char *fam, ...)
{
	va_list ap;
	int n;

	va_start(ap, fam);
	value_v(set, fam, &n, ap);
	va_end(ap);
	return n;
}

/* The value of the one sample of fam with the pairs that follow; fails
 * unless there is exactly one. */
static double one(const struct snap_set *set, const char *fam, ...)
{
	va_list ap;
	double v;
	int n;

	va_start(ap, fam);
	v = value_v(set, fam, &n, ap);
	va_end(ap);
	if (n != 1)
		fail_msg("%s: %d matching samples, expected 1", fam, n);
	return v;
}

#define ONE(set, fam, ...) one((set), (fam), __VA_ARGS__, NULL)

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static double hz(void)
{
	return (double)sysconf(_SC_CLK_TCK);
}

static void cgroup2_docker_figures_are_exact(void **unused)
{
	void *st = start(fixture("v2-systemd"));
	struct snap_set *s = cycle(st);
	const char *c = "virtmeter_container_";
	char f[128];

	(void)unused;
#define F(x) (snprintf(f, sizeof(f), "%s%s", c, x), f)
	NEAR(ONE(s, F("cpu_seconds"), "id", V2_DOCKER, "mode", "user"),
	     0.864196);
	NEAR(ONE(s, F("cpu_seconds"), "id", V2_DOCKER, "mode", "system"),
	     0.370371);
	NEAR(ONE(s, F("cpu_throttled_seconds"), "id", V2_DOCKER), 0.045);
	NEAR(ONE(s, F("cpu_throttled_periods"), "id", V2_DOCKER), 3);
	NEAR(ONE(s, F("cpu_periods"), "id", V2_DOCKER), 120);
	NEAR(ONE(s, F("memory_usage_bytes"), "id", V2_DOCKER), 15755784);
	NEAR(ONE(s, F("memory_working_set_bytes"), "id", V2_DOCKER),
	     15755784 - 1572864);
	NEAR(ONE(s, F("memory_rss_bytes"), "id", V2_DOCKER), 8388608);
	NEAR(ONE(s, F("memory_cache_bytes"), "id", V2_DOCKER), 3145728);
	NEAR(ONE(s, F("memory_limit_bytes"), "id", V2_DOCKER), 536870912);
	NEAR(ONE(s, F("io_read_bytes"), "id", V2_DOCKER, "device", "8:0"),
	     409600);
	NEAR(ONE(s, F("io_write_operations"), "id", V2_DOCKER, "device",
		 "253:0"),
	     0);
	NEAR(ONE(s, F("pids"), "id", V2_DOCKER), 7);
	NEAR(ONE(s, F("pressure_cpu_waiting_seconds"), "id", V2_DOCKER), 0.001);
	NEAR(ONE(s, F("pressure_memory_stalled_seconds"), "id", V2_DOCKER),
	     0.0008);
	NEAR(ONE(s, F("pressure_io_waiting_seconds"), "id", V2_DOCKER), 0.003);
	NEAR(ONE(s, F("info"), "id", V2_DOCKER, "runtime", "docker"), 1);
#undef F
	snap_set_unref(s);
	cgroup_collector.fini(st);
}

static void v1_docker_figures_are_exact(void **unused)
{
	void *st = start(fixture("v1-cgroupfs"));
	struct snap_set *s = cycle(st);

	(void)unused;
	NEAR(ONE(s, "virtmeter_container_cpu_seconds", "id", V1_DOCKER, "mode",
		 "user"),
	     160 / hz());
	NEAR(ONE(s, "virtmeter_container_cpu_seconds", "id", V1_DOCKER, "mode",
		 "system"),
	     70 / hz());
	NEAR(ONE(s, "virtmeter_container_cpu_throttled_seconds", "id",
		 V1_DOCKER),
	     0.07);
	NEAR(ONE(s, "virtmeter_container_memory_usage_bytes", "id", V1_DOCKER),
	     12582912);
	NEAR(ONE(s, "virtmeter_container_memory_working_set_bytes", "id",
		 V1_DOCKER),
	     12582912 - 1572864);
	NEAR(ONE(s, "virtmeter_container_memory_limit_bytes", "id", V1_DOCKER),
	     1073741824);
	NEAR(ONE(s, "virtmeter_container_io_read_bytes", "id", V1_DOCKER,
		 "device", "8:0"),
	     409600);
	NEAR(ONE(s, "virtmeter_container_io_write_operations", "id", V1_DOCKER,
		 "device", "8:0"),
	     20);
	NEAR(ONE(s, "virtmeter_container_pids", "id", V1_DOCKER), 5);
	NEAR(ONE(s, "virtmeter_container_info", "id", V1_DOCKER, "runtime",
		 "docker"),
	     1);
	snap_set_unref(s);
	cgroup_collector.fini(st);
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
	void *st = start(fixture("hybrid"));
	struct snap_set *s;
	struct wl_table *t;

	(void)unused;
	publish_vm();
	s = cycle(st);
	/* LXC: CPU from cpuacct, memory from v1, PSI from the cgroup2 tree. */
	NEAR(ONE(s, "virtmeter_container_cpu_seconds", "container", "web2",
		 "mode", "user"),
	     160 / hz());
	NEAR(ONE(s, "virtmeter_container_memory_usage_bytes", "container",
		 "web2"),
	     12582912);
	NEAR(ONE(s, "virtmeter_container_pressure_memory_stalled_seconds",
		 "container", "web2"),
	     0.001);
	/* An unlimited v1 limit has no sample. */
	assert_int_equal(count(s, "virtmeter_container_memory_limit_bytes",
			       "container", "web2", NULL),
			 0);
	NEAR(ONE(s, "virtmeter_container_info", "container", "web2", "runtime",
		 "lxc"),
	     1);
	/* The VM is no container; its CPU comes from the unified cpu.stat. */
	assert_int_equal(count(s, "virtmeter_vm_cgroup_memory_usage_bytes",
			       NULL),
			 1);
	/* web2 and the podman container */
	assert_int_equal(count(s, "virtmeter_container_info", NULL), 2);
	NEAR(ONE(s, "virtmeter_vm_cgroup_cpu_seconds", "vm", "vm1", "mode",
		 "user"),
	     2.59259);
	NEAR(ONE(s, "virtmeter_vm_cgroup_memory_usage_bytes", "vm", "vm1"),
	     37748736);
	NEAR(ONE(s, "virtmeter_vm_cgroup_pressure_io_waiting_seconds", "vm",
		 "vm1"),
	     0.009);
	t = wl_current();
	assert_non_null(t);
	assert_non_null(t->lists[WL_SRC_CGROUP]);
	assert_int_equal(t->lists[WL_SRC_CGROUP]->n, 2);
	for (size_t i = 0; i < t->lists[WL_SRC_CGROUP]->n; i++)
		assert_int_equal(t->lists[WL_SRC_CGROUP]->items[i].kind,
				 WL_CONTAINER);
	wl_table_unref(t);
	snap_set_unref(s);
	wl_publish(WL_SRC_LIBVIRT, NULL);
	cgroup_collector.fini(st);
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
	int base, before, after;
	void *st;

	(void)unused;
	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/t", tmp);
	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s'", src, root);
	assert_int_equal(system(cmd), 0);
	base = count_fds();
	st = start(root);
	s = cycle(st);
	NEAR(ONE(s, "virtmeter_container_pids", "id", V1_DOCKER), 5);
	snap_set_unref(s);
	before = count_fds();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/*/docker/" V1_DOCKER, root);
	assert_int_equal(system(cmd), 0);
	s = cycle(st);
	after = count_fds();
	assert_int_equal(
	    count(s, "virtmeter_container_info", "id", V1_DOCKER, NULL), 0);
	assert_int_equal(
	    count(s, "virtmeter_container_cpu_seconds", "id", V1_DOCKER, NULL),
	    0);
	assert_true(count(s, "virtmeter_container_info", NULL) > 0);
	assert_true(after < before);
	snap_set_unref(s);
	cgroup_collector.fini(st);
	assert_int_equal(count_fds(), base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void excluded_container_is_not_reported(void **unused)
{
	static struct config cfg;
	struct collector_env env = {.cgroupfs = fixture("v2-systemd"),
				    .cfg = &cfg};
	struct snap_set *s;
	void *st = NULL;

	(void)unused;
	config_defaults(&cfg);
	cfg.cgroup.exclude.n = 1;
	snprintf(cfg.cgroup.exclude.pattern[0], CONFIG_PATTERN_MAX, "f31f*");
	assert_int_equal(cgroup_collector.init(&env, &st), 0);
	s = cycle(st);
	assert_int_equal(
	    count(s, "virtmeter_container_info", "id", V2_DOCKER, NULL), 0);
	assert_true(count(s, "virtmeter_container_info", NULL) > 0);
	snap_set_unref(s);
	cgroup_collector.fini(st);
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
static double mem_of(void *st)
{
	struct snap_set *s = cycle(st);
	double v = ONE(s, "virtmeter_container_memory_usage_bytes", "id",
		       V2_DOCKER);

	snap_set_unref(s);
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
	void *st;

	(void)unused;
	st = start(root);
	NEAR(mem_of(st), 15755784); /* first sight: a full read */
	put(root, "memory.current", "1000\n");
	NEAR(mem_of(st), 15755784); /* CPU time unchanged: carried over */
	NEAR(mem_of(st), 15755784);
	NEAR(mem_of(st), 1000); /* the third idle cycle reads in full */
	put(root, "memory.current", "2000\n");
	put(root, "cpu.stat", cpu_stat_moved);
	NEAR(mem_of(st), 2000); /* CPU time moved: read in full at once */
	s = cycle(st);
	NEAR(ONE(s, "virtmeter_container_cpu_seconds", "id", V2_DOCKER,
		 "mode", "user"),
	     0.864197);
	assert_true(ONE(s, "virtmeter_cgroup_reads", "kind", "probe") >=
		    3);
	assert_true(ONE(s, "virtmeter_cgroup_reads", "kind", "full") >=
		    3);
	snap_set_unref(s);
	cgroup_collector.fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* Starts the collector on root with --collector.cgroup.KEY=v; returns its
 * init's result and the state in *st. */
static int start_with(const char *root, const char *key, const char *v,
		      void **st)
{
	static struct collector_setting set;
	struct collector_env env = {.procfs = "/proc", .sysfs = "/sys",
				    .cgroupfs = root, .settings = &set,
				    .nsettings = 1};

	set = (struct collector_setting){"cgroup", key, v};
	*st = NULL;
	return cgroup_collector.init(&env, st);
}

static int start_idle_cycles(const char *root, const char *v, void **st)
{
	return start_with(root, "idle-cycles", v, st);
}

static void idle_cycles_1_reads_every_file_every_cycle(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgi.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	void *st;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &st), 0);
	NEAR(mem_of(st), 15755784);
	put(root, "memory.current", "1000\n");
	NEAR(mem_of(st), 1000);
	cgroup_collector.fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void files_longer_than_their_slot_are_read_whole(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgl.XXXXXX";
	char cmd[256], line[128], io[8192] = "";
	const char *root = copy_fixture("v2-systemd", tmp);
	struct snap_set *s;
	size_t o = 0;
	void *st;

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
	st = start(root);
	s = cycle(st);
	NEAR(ONE(s, "virtmeter_container_io_read_bytes", "id", V2_DOCKER,
		 "device", "8:59"),
	     1059);
	assert_int_equal(count(s, "virtmeter_container_io_read_bytes", "id",
			       V2_DOCKER, NULL),
			 60);
	snap_set_unref(s);
	cgroup_collector.fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

/* One cycle's files-read counter, memory limit and OOM kills of the v2
 * docker container. */
static double files_read(void *st, double *limit, double *ooms)
{
	struct snap_set *s = cycle(st);
	double n = ONE(s, "virtmeter_cgroup_file_reads", NULL);

	*limit = ONE(s, "virtmeter_container_memory_limit_bytes", "id",
		     V2_DOCKER);
	*ooms = ONE(s, "virtmeter_container_oom_events", "id", V2_DOCKER);
	snap_set_unref(s);
	return n;
}

static void watched_memory_files_are_read_only_after_they_change(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgf.XXXXXX";
	char cmd[256];
	const char *root = copy_fixture("v2-systemd", tmp);
	double n0, n1, n2, n3, n4, limit, ooms, limit0, ooms0;
	void *st;

	(void)unused;
	assert_int_equal(start_idle_cycles(root, "1", &st), 0);
	n0 = files_read(st, &limit0, &ooms0);
	n1 = files_read(st, &limit, &ooms);
	NEAR(limit, limit0); /* carried over, not lost */
	NEAR(ooms, ooms0);
	n2 = files_read(st, &limit, &ooms);
	/* Every cycle after the first skips memory.max and memory.events of
	 * each cgroup2 container (the fixture has several). */
	assert_true(n1 - n0 < n0 - 2);
	NEAR(n2 - n1, n1 - n0);
	put(root, "memory.max", "123456789\n");
	n3 = files_read(st, &limit, &ooms);
	NEAR(limit, 123456789); /* inotify: read again at once */
	NEAR(n3 - n2, n2 - n1 + 1);
	put(root, "memory.events", "low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\n");
	n4 = files_read(st, &limit, &ooms);
	NEAR(ooms, 3);
	NEAR(limit, 123456789);
	NEAR(n4 - n3, n2 - n1 + 1);
	cgroup_collector.fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void pread_and_io_uring_read_the_same_figures(void **unused)
{
	struct snap_set *a, *b;
	void *st;

	(void)unused;
	assert_int_equal(start_with(fixture("v2-systemd"), "io-uring", "false",
				    &st),
			 0);
	a = cycle(st);
	cgroup_collector.fini(st);
	st = start(fixture("v2-systemd"));
	b = cycle(st);
	cgroup_collector.fini(st);
	assert_true(count(a, "virtmeter_container_info", NULL) > 1);
	assert_int_equal(count(a, "virtmeter_container_info", NULL),
			 count(b, "virtmeter_container_info", NULL));
	NEAR(ONE(a, "virtmeter_container_memory_usage_bytes", "id", V2_DOCKER),
	     ONE(b, "virtmeter_container_memory_usage_bytes", "id", V2_DOCKER));
	NEAR(ONE(a, "virtmeter_container_memory_working_set_bytes", "id",
		 V2_DOCKER),
	     ONE(b, "virtmeter_container_memory_working_set_bytes", "id",
		 V2_DOCKER));
	NEAR(ONE(a, "virtmeter_container_oom_events", "id", V2_DOCKER),
	     ONE(b, "virtmeter_container_oom_events", "id", V2_DOCKER));
	NEAR(ONE(a, "virtmeter_cgroup_file_reads", NULL),
	     ONE(b, "virtmeter_cgroup_file_reads", NULL));
	snap_set_unref(a);
	snap_set_unref(b);
	assert_int_equal(start_with(fixture("v2-systemd"), "io-uring", "maybe",
				    &st),
			 -EINVAL);
	assert_non_null(strstr(collector_take_error(),
			       "--collector.cgroup.io-uring=maybe"));
}

/* The walks counter and the number of containers of one cycle. */
static void walks_and_containers(void *st, double *walks, int *n)
{
	struct snap_set *s = cycle(st);

	*walks = ONE(s, "virtmeter_cgroup_walks", NULL);
	*n = count(s, "virtmeter_container_info", NULL);
	snap_set_unref(s);
}

static void tree_is_walked_again_only_when_a_cgroup_comes_or_goes(void **unused)
{
	char tmp[] = "/tmp/virtmeter-cgw.XXXXXX";
	char cmd[512];
	const char *root = copy_fixture("v2-systemd", tmp);
	double w;
	int n0, n;
	void *st;

	(void)unused;
	st = start(root);
	walks_and_containers(st, &w, &n0);
	NEAR(w, 1);
	walks_and_containers(st, &w, &n);
	walks_and_containers(st, &w, &n);
	NEAR(w, 1); /* nothing changed: no walk */
	assert_int_equal(n, n0);
	snprintf(cmd, sizeof(cmd),
		 "cp -R '%s/system.slice/docker-" V2_DOCKER ".scope' "
		 "'%s/system.slice/docker-%064d.scope'", root, root, 7);
	assert_int_equal(system(cmd), 0);
	walks_and_containers(st, &w, &n);
	NEAR(w, 2); /* inotify saw the new cgroup */
	assert_int_equal(n, n0 + 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/system.slice/docker-%064d.scope'",
		 root, 7);
	assert_int_equal(system(cmd), 0);
	walks_and_containers(st, &w, &n);
	NEAR(w, 3);
	assert_int_equal(n, n0);
	for (int i = 0; i < 12; i++)
		walks_and_containers(st, &w, &n);
	NEAR(w, 4); /* and every 12 cycles regardless */
	cgroup_collector.fini(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void bad_idle_cycles_fails_init_naming_the_flag(void **unused)
{
	static const char *const bad[] = {"0", "-1", "x", "3s", "", "1001"};
	void *st;

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(start_idle_cycles(fixture("v2-systemd"),
						   bad[i], &st),
				 -EINVAL);
		assert_non_null(strstr(collector_take_error(),
				       "--collector.cgroup.idle-cycles"));
	}
}

static void missing_hierarchy_fails_init(void **unused)
{
	struct collector_env env = {.cgroupfs = "/nonexistent-cgroupfs"};
	void *state = NULL;

	(void)unused;
	assert_true(cgroup_collector.init(&env, &state) < 0);
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
	    cmocka_unit_test(pread_and_io_uring_read_the_same_figures),
	    cmocka_unit_test(files_longer_than_their_slot_are_read_whole),
	    cmocka_unit_test(
		tree_is_walked_again_only_when_a_cgroup_comes_or_goes),
	};

	return cmocka_run_group_tests_name("cgroup_collector", tests, NULL,
					   NULL);
}
