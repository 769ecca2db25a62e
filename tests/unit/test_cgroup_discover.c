/* Tests of cgroup layout detection, container discovery and container names
 * (collectors/cgroup/{layout,discover,names}.c) on the fixture trees of
 * tests/fixtures/cgroup (a v2 systemd host, a v1 host without systemd, and
 * a hybrid host like the CI machine) and on broken inputs. The fixtures
 * are found through top_srcdir, which make check exports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "collectors/cgroup/discover.h"
#include "collectors/lib/cgroup_layout.h"
#include "collectors/cgroup/names.h"
#include "exporter/api/base.h"

/* Ids of the fixtures (sha256 of a label, so they look real). */
#define D_WEB "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
#define P_API "236afc24ae3e0fe15428343bd8b1f2c2cf3220c70f338d091f29166681157bcf"
#define K_APP "f0d64011ff21798ac98339dab250c8dc7bd8c3e3f91e40d5f4470a72a3b764b1"
#define K_SBX "9125f2177ab83f5c73fb81320caa3d23f4c19ea50066f638f196b6e9920fa0c1"
#define C_RED "a76d1df4defefef1abd638db99404eec38d9e4749976b8459b71585281d18c18"
#define K_GUA "aa21536d9fd228d6134e57c7df3a779d4da73897c1dc61e83d02f4dccc8205cc"
#define D_DB "aed4cebcaf364cb3d8e610e862b1e5ecdeae9c59aaab8913729ae5647465b7bc"
#define K_WRK "dc55ef9ff1d408f75998f8a78ee301852d82c4f2618ce621211b970c1af69ca3"
#define K_SB1 "088048bb33680e20da992e750dc8a5378548a3a3a0c758d72c8c326f53d1dbb2"
#define K_DSH "f61a0964e1c81c439346563e8b9bc1d9d7a8e062dc4a06cfa37e58f3797ebebc"
#define P_HYB "9b159382820d9642a11ec509f4ad0c8ff5ad37a729e12eb1e1ebcf274f27beae"
#define U1 "6b1f9a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
#define U2 "0f3e2d1c-5b4a-4968-8776-a5b4c3d2e1f0"
#define U3 "9d8c7b6a-1e2f-4a3b-9c4d-5e6f7a8b9c0d"
#define U4 "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b"
#define U5 "7c6b5a49-3827-4165-a4b3-c2d1e0f9a8b7"

#define BIT(h) (1u << (h))

/* Absolute path of a fixture, or skips the test without top_srcdir. */
static const char *fixture(const char *rel)
{
	static char path[4096];
	const char *src = getenv("top_srcdir");

	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/tests/fixtures/cgroup/%s", src, rel);
	return path;
}

static void detect(const char *tree, struct cg_layout *l)
{
	int rc = cg_layout_detect(fixture(tree), l);

	if (rc != 0)
		fail_msg("%s: %s", tree, strerror(-rc));
}

/* Asserts that dir ends with suffix ("" means the hierarchy is absent). */
static void assert_dir(const char *dir, const char *suffix)
{
	size_t n = strlen(dir), m = strlen(suffix);

	if (!m ? n != 0 : (n < m || strcmp(dir + n - m, suffix) != 0))
		fail_msg("directory '%s' does not end with '%s'", dir, suffix);
}

static void v2_fixture_is_detected_as_v2(void **state)
{
	struct cg_layout l;

	detect("v2-systemd", &l);
	assert_int_equal(l.mode, CG_MODE_V2);
	assert_string_equal(cg_mode_name(l.mode), "v2");
	assert_string_equal(l.dir[CG_HIER_UNIFIED], fixture("v2-systemd"));
	for (int h = CG_HIER_CPU; h < CG_NHIERS; h++)
		assert_dir(l.dir[h], "");
	assert_int_equal(l.v2_controllers, BIT(CG_HIER_CPU) | BIT(CG_HIER_MEMORY) |
						   BIT(CG_HIER_BLKIO) | BIT(CG_HIER_PIDS));
	assert_int_equal(cg_layout_walk_hier(&l), CG_HIER_UNIFIED);
}

static void v1_fixture_follows_comounted_cpu_cpuacct(void **state)
{
	struct cg_layout l;

	detect("v1-cgroupfs", &l);
	assert_int_equal(l.mode, CG_MODE_V1);
	/* The real directory, not the cpu and cpuacct symlinks beside it. */
	assert_dir(l.dir[CG_HIER_CPU], "/v1-cgroupfs/cpu,cpuacct");
	assert_dir(l.dir[CG_HIER_CPUACCT], "/v1-cgroupfs/cpu,cpuacct");
	assert_dir(l.dir[CG_HIER_MEMORY], "/v1-cgroupfs/memory");
	assert_dir(l.dir[CG_HIER_BLKIO], "/v1-cgroupfs/blkio");
	assert_dir(l.dir[CG_HIER_PIDS], "/v1-cgroupfs/pids");
	assert_dir(l.dir[CG_HIER_UNIFIED], "");
	assert_int_equal(l.v2_controllers, 0);
	assert_int_equal(cg_layout_walk_hier(&l), CG_HIER_MEMORY);
}

static void hybrid_fixture_has_v1_and_a_unified_tree(void **state)
{
	struct cg_layout l;

	detect("hybrid", &l);
	assert_int_equal(l.mode, CG_MODE_HYBRID);
	assert_dir(l.dir[CG_HIER_UNIFIED], "/hybrid/unified");
	assert_dir(l.dir[CG_HIER_CPU], "/hybrid/cpu");
	assert_dir(l.dir[CG_HIER_CPUACCT], "/hybrid/cpuacct");
	assert_dir(l.dir[CG_HIER_MEMORY], "/hybrid/memory");
	/* Only hugetlb is on cgroup2 there: none of ours. */
	assert_int_equal(l.v2_controllers, 0);
	assert_int_equal(cg_layout_walk_hier(&l), CG_HIER_MEMORY);
}

static void tree_without_hierarchies_is_refused(void **state)
{
	char tmp[] = "/tmp/virtmeter-cg-XXXXXX", sub[64];
	struct cg_layout l;

	assert_non_null(mkdtemp(tmp));
	assert_int_equal(cg_layout_detect(tmp, &l), -ENOENT);
	/* Empty mount points (no cgroup.procs, no cgroup.controllers). */
	snprintf(sub, sizeof(sub), "%s/memory", tmp);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/unified", tmp);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(cg_layout_detect(tmp, &l), -ENOENT);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/memory", tmp);
	rmdir(sub);
	rmdir(tmp);
	assert_int_equal(cg_layout_detect("/nonexistent/cgroup", &l), -ENOENT);
	assert_int_equal(cg_layout_detect(NULL, &l), -EINVAL);
}

static void controllers_file_parses_to_a_mask(void **state)
{
	static const char all[] = "cpuset cpu io memory hugetlb pids rdma misc\n";
	char longword[100];
	unsigned m = 42;

	assert_int_equal(cg_layout_parse_controllers(all, strlen(all), &m), 0);
	assert_int_equal(m, BIT(CG_HIER_CPU) | BIT(CG_HIER_MEMORY) |
				    BIT(CG_HIER_BLKIO) | BIT(CG_HIER_PIDS));
	/* "cpuset" is not "cpu", and len bounds the input: "memory c". */
	assert_int_equal(cg_layout_parse_controllers("cpuset memory", 13, &m), 0);
	assert_int_equal(m, BIT(CG_HIER_MEMORY));
	assert_int_equal(cg_layout_parse_controllers("memory cpu", 8, &m), 0);
	assert_int_equal(m, BIT(CG_HIER_MEMORY));
	assert_int_equal(cg_layout_parse_controllers("", 0, &m), 0);
	assert_int_equal(m, 0);
	memset(longword, 'x', sizeof(longword));
	assert_int_equal(cg_layout_parse_controllers(longword, sizeof(longword), &m),
			 -EINVAL);
}

static void paths_join_and_stay_inside_the_hierarchy(void **state)
{
	struct cg_layout l;
	char out[CG_LAYOUT_PATH_MAX + CG_REL_PATH_MAX], small[8];

	detect("hybrid", &l);
	assert_int_equal(cg_layout_path(&l, CG_HIER_MEMORY, "/", out, sizeof(out)), 0);
	assert_string_equal(out, l.dir[CG_HIER_MEMORY]);
	assert_int_equal(cg_layout_path(&l, CG_HIER_UNIFIED, "/lxc.payload.web2", out,
					sizeof(out)), 0);
	assert_dir(out, "/hybrid/unified/lxc.payload.web2");
	assert_int_equal(cg_layout_path(&l, CG_HIER_MEMORY, "/a", small, sizeof(small)),
			 -ENAMETOOLONG);
	assert_int_equal(cg_layout_path(&l, CG_HIER_MEMORY, "/../../etc", out,
					sizeof(out)), -EINVAL);
	assert_false(cg_rel_path_valid("relative"));
	assert_false(cg_rel_path_valid("/a/./b"));
	assert_false(cg_rel_path_valid("/a/.."));
	assert_true(cg_rel_path_valid("/a/..b/.c"));
	detect("v2-systemd", &l);
	assert_int_equal(cg_layout_path(&l, CG_HIER_MEMORY, "/", out, sizeof(out)),
			 -ENOENT);
}

static void locate_tells_which_hierarchies_hold_a_cgroup(void **state)
{
	const unsigned v1 = BIT(CG_HIER_CPU) | BIT(CG_HIER_CPUACCT) |
			    BIT(CG_HIER_MEMORY) | BIT(CG_HIER_BLKIO) | BIT(CG_HIER_PIDS);
	struct cg_layout l;
	unsigned m;

	detect("hybrid", &l);
	assert_int_equal(cg_layout_locate(&l, "/lxc.payload.web2", &m), 0);
	assert_int_equal(m, v1 | BIT(CG_HIER_UNIFIED));
	assert_int_equal(cg_layout_locate(&l, "/libpod_parent/libpod-" P_HYB, &m), 0);
	assert_int_equal(m, v1);
	/* libvirt leaves cpuacct out: CPU time must come from cgroup2. */
	assert_int_equal(cg_layout_locate(&l, "/machine/qemu-1-vm.libvirt-qemu", &m), 0);
	assert_int_equal(m, BIT(CG_HIER_CPU) | BIT(CG_HIER_MEMORY) |
				    BIT(CG_HIER_BLKIO) | BIT(CG_HIER_UNIFIED));
	assert_int_equal(cg_layout_locate(&l, "/gone", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(cg_layout_locate(&l, "/..", &m), -EINVAL);
}

/* ---- discovery ---------------------------------------------------------- */

struct want {
	const char *rel_path;
	enum cg_runtime runtime;
	const char *id, *name, *pod_uid;
	enum cg_qos qos;
};

static const struct cg_container *find(const struct cg_list *l, const char *rel)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].rel_path, rel) == 0)
			return &l->items[i];
	}
	fail_msg("no container at %s", rel);
	return NULL;
}

/* Discovers tree and checks the exact set of containers against want. */
static void discover_exactly(const char *tree, const struct want *want, size_t n,
			     struct cg_list *out)
{
	struct cg_layout l;

	detect(tree, &l);
	assert_int_equal(cg_discover(&l, NULL, out), 0);
	assert_false(out->truncated);
	for (size_t i = 0; i < out->n; i++) {
		if (i > 0)
			assert_true(strcmp(out->items[i - 1].rel_path,
					   out->items[i].rel_path) < 0);
		/* VMs are the libvirt collector's, never containers. */
		assert_null(strstr(out->items[i].rel_path, "qemu"));
	}
	for (size_t i = 0; i < n; i++) {
		const struct cg_container *c = find(out, want[i].rel_path);

		assert_string_equal(cg_runtime_name(c->runtime),
				    cg_runtime_name(want[i].runtime));
		assert_string_equal(c->id, want[i].id);
		assert_string_equal(c->name, want[i].name);
		assert_string_equal(c->pod_uid, want[i].pod_uid);
		assert_string_equal(cg_qos_name(c->qos), cg_qos_name(want[i].qos));
		assert_string_equal(c->image, "");
		assert_string_equal(c->pod, "");
		assert_string_equal(c->namespace, "");
	}
	assert_int_equal(out->n, n);
}

#define KB "/kubepods.slice/kubepods-"
static const struct want v2_want[] = {
	{"/system.slice/docker-" D_WEB ".scope", CG_RT_DOCKER, D_WEB, "f31f384749f9", "",
	 CG_QOS_NONE},
	{"/system.slice/libpod-" P_API ".scope", CG_RT_PODMAN, P_API, "236afc24ae3e", "",
	 CG_QOS_NONE},
	{KB "burstable.slice/kubepods-burstable-pod6b1f9a2e_3c4d_4e5f_8a9b_0c1d2e3f4a5b"
	    ".slice/cri-containerd-" K_APP ".scope",
	 CG_RT_CONTAINERD, K_APP, "f0d64011ff21", U1, CG_QOS_BURSTABLE},
	{KB "burstable.slice/kubepods-burstable-pod6b1f9a2e_3c4d_4e5f_8a9b_0c1d2e3f4a5b"
	    ".slice/cri-containerd-" K_SBX ".scope",
	 CG_RT_CONTAINERD, K_SBX, "9125f2177ab8", U1, CG_QOS_BURSTABLE},
	{KB "besteffort.slice/kubepods-besteffort-pod0f3e2d1c_5b4a_4968_8776_a5b4c3d2e1f0"
	    ".slice/crio-" C_RED ".scope",
	 CG_RT_CRIO, C_RED, "a76d1df4defe", U2, CG_QOS_BESTEFFORT},
	{KB "pod9d8c7b6a_1e2f_4a3b_9c4d_5e6f7a8b9c0d.slice/cri-containerd-" K_GUA ".scope",
	 CG_RT_CONTAINERD, K_GUA, "aa21536d9fd2", U3, CG_QOS_GUARANTEED},
	{"/machine.slice/machine-debian\\x2dbox.scope", CG_RT_SYSTEMD, "debian-box",
	 "debian-box", "", CG_QOS_NONE},
	{"/lxc.payload.web1", CG_RT_LXC, "web1", "web1", "", CG_QOS_NONE},
};

static const struct want v1_want[] = {
	{"/docker/" D_DB, CG_RT_DOCKER, D_DB, "aed4cebcaf36", "", CG_QOS_NONE},
	{"/kubepods/besteffort/pod" U4 "/" K_WRK, CG_RT_CONTAINERD, K_WRK, "dc55ef9ff1d4",
	 U4, CG_QOS_BESTEFFORT},
	{"/kubepods/besteffort/pod" U4 "/" K_SB1, CG_RT_CONTAINERD, K_SB1, "088048bb3368",
	 U4, CG_QOS_BESTEFFORT},
	{"/kubepods/pod" U5 "/" K_DSH, CG_RT_CONTAINERD, K_DSH, "f61a0964e1c8", U5,
	 CG_QOS_GUARANTEED},
	{"/lxc/old1", CG_RT_LXC, "old1", "old1", "", CG_QOS_NONE},
};

static const struct want hybrid_want[] = {
	{"/lxc.payload.web2", CG_RT_LXC, "web2", "web2", "", CG_QOS_NONE},
	{"/libpod_parent/libpod-" P_HYB, CG_RT_PODMAN, P_HYB, "9b159382820d", "",
	 CG_QOS_NONE},
};


static void v2_systemd_tree_yields_every_container(void **state)
{
	struct cg_list l;

	discover_exactly("v2-systemd", v2_want, ARRAY_SIZE(v2_want), &l);
	cg_discover_free(&l);
	assert_null(l.items);
}

static void v1_cgroupfs_tree_yields_every_container(void **state)
{
	struct cg_list l;

	discover_exactly("v1-cgroupfs", v1_want, ARRAY_SIZE(v1_want), &l);
	cg_discover_free(&l);
}

static void hybrid_tree_yields_lxc_and_podman(void **state)
{
	struct cg_list l;

	discover_exactly("hybrid", hybrid_want, ARRAY_SIZE(hybrid_want), &l);
	cg_discover_free(&l);
}

static void walk_bounds_are_kept_and_reported(void **state)
{
	struct cg_discover_limits two = {.max_containers = 2};
	struct cg_discover_limits shallow = {.max_depth = 1};
	struct cg_discover_limits few = {.max_dirs = 3};
	struct cg_layout lay;
	struct cg_list l;

	detect("v2-systemd", &lay);
	assert_int_equal(cg_discover(&lay, &two, &l), 0);
	assert_int_equal(l.n, 2);
	assert_true(l.truncated);
	cg_discover_free(&l);
	/* Depth 1: only the top-level LXC container; depth is not a
	 * truncation (deep non-container trees are normal). */
	assert_int_equal(cg_discover(&lay, &shallow, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].rel_path, "/lxc.payload.web1");
	assert_false(l.truncated);
	cg_discover_free(&l);
	assert_int_equal(cg_discover(&lay, &few, &l), 0);
	assert_true(l.truncated);
	cg_discover_free(&l);
}

static void classify_knows_each_runtime_and_leaves_vms_alone(void **state)
{
	static const struct {
		const char *path;
		enum cg_class cls;
		const char *name; /* fallback name when a container */
	} cases[] = {
		{"/machine.slice/machine-qemu\\x2d1\\x2dweb.scope", CG_CLASS_PRUNE, NULL},
		{"/machine.slice/machine-lxc\\x2d4242\\x2dbox.scope", CG_CLASS_PRUNE, NULL},
		{"/machine/qemu-1-vm.libvirt-qemu", CG_CLASS_PRUNE, NULL},
		{"/machine.slice/machine-my\\x2dbox.scope", CG_CLASS_CONTAINER, "my-box"},
		{"/machine.slice/machine-qemu\\x2dtest.scope", CG_CLASS_CONTAINER, "qemu-test"},
		{"/user.slice/machine-foo.scope", CG_CLASS_DESCEND, NULL},
		{"/system.slice/libpod-conmon-" P_API ".scope", CG_CLASS_PRUNE, NULL},
		{"/x/crio-conmon-" C_RED ".scope", CG_CLASS_PRUNE, NULL},
		{"/lxc.monitor.web1", CG_CLASS_PRUNE, NULL},
		{"/lxc.pivot", CG_CLASS_PRUNE, NULL},
		{"/lxc.payload.", CG_CLASS_DESCEND, NULL},
		{"/lxc.payload.a.b-c", CG_CLASS_CONTAINER, "a.b-c"},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" P_API
		 ".scope", CG_CLASS_CONTAINER, "236afc24ae3e"},
		{"/docker/" D_DB "/", CG_CLASS_CONTAINER, "aed4cebcaf36"},
		{"/other/" D_DB, CG_CLASS_DESCEND, NULL},
		{"/docker/F31F384749F9115ACF01FCF82F5A966B59DCC0A4CBD7C9740888C0BF32AA2BBB",
		 CG_CLASS_DESCEND, NULL},
		{"/system.slice/docker-f31f.scope", CG_CLASS_DESCEND, NULL},
		{"/kubepods/burstable/pod" U1 "/crio-" C_RED, CG_CLASS_CONTAINER,
		 "a76d1df4defe"},
		{"", CG_CLASS_DESCEND, NULL},
		{"/", CG_CLASS_DESCEND, NULL},
		{"/kubepods", CG_CLASS_DESCEND, NULL},
		{"/kubepods.slice/kubepods-besteffort.slice", CG_CLASS_DESCEND, NULL},
	};
	struct cg_match m;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum cg_class cls = cg_classify(cases[i].path, &m);

		if (cls != cases[i].cls)
			fail_msg("%s: class %d, want %d", cases[i].path, cls, cases[i].cls);
		if (cls == CG_CLASS_CONTAINER && strcmp(m.name, cases[i].name) != 0)
			fail_msg("%s: name '%s', want '%s'", cases[i].path, m.name,
				 cases[i].name);
	}
}

static void classify_reads_pod_and_qos_from_parents(void **state)
{
	struct cg_match m;

	/* A kubelet with its own cgroup root prefixes the slices. */
	assert_int_equal(cg_classify("/kubelet.slice/kubelet-kubepods.slice/"
				     "kubelet-kubepods-besteffort.slice/"
				     "kubelet-kubepods-besteffort-pod" "0f3e2d1c_5b4a_4968"
				     "_8776_a5b4c3d2e1f0.slice/cri-containerd-" K_APP ".scope",
				     &m), CG_CLASS_CONTAINER);
	assert_int_equal(m.qos, CG_QOS_BESTEFFORT);
	assert_string_equal(m.pod_uid, U2);
	assert_int_equal(cg_classify("/kubepods/pod" U3 "/" K_GUA, &m), CG_CLASS_CONTAINER);
	assert_int_equal(m.qos, CG_QOS_GUARANTEED);
	assert_int_equal(m.runtime, CG_RT_CONTAINERD);
	/* Not a pod: no pod UID, and a bare id there is no container. */
	assert_int_equal(cg_classify("/system.slice/docker-" D_WEB ".scope", &m),
			 CG_CLASS_CONTAINER);
	assert_string_equal(m.pod_uid, "");
	assert_int_equal(m.qos, CG_QOS_NONE);
	assert_int_equal(cg_classify("/kubepods/weird/pod" U3 "/" K_GUA, &m),
			 CG_CLASS_DESCEND);
	assert_int_equal(cg_classify("/kubepods/pod" U3 "\\x2f/" K_GUA, &m),
			 CG_CLASS_DESCEND);
}

static void systemd_escapes_are_undone(void **state)
{
	char out[16];

	assert_int_equal(cg_unescape_systemd("debian\\x2dbox", 13, out, sizeof(out)), 0);
	assert_string_equal(out, "debian-box");
	/* Malformed, cut and NUL-producing escapes stay as written. */
	assert_int_equal(cg_unescape_systemd("a\\x00b\\xZZ\\x2", 13, out, sizeof(out)), 0);
	assert_string_equal(out, "a\\x00b\\xZZ\\x2");
	/* len bounds the input: the escape is cut short, so kept. */
	assert_int_equal(cg_unescape_systemd("x\\x2d", 4, out, sizeof(out)), 0);
	assert_string_equal(out, "x\\x2");
	assert_int_equal(cg_unescape_systemd("0123456789abcdef", 16, out, sizeof(out)),
			 -ENAMETOOLONG);
}

static void filter_matches_name_or_id_and_exclude_wins(void **state)
{
	static const char *const inc[] = {"web*", "aed4*"};
	static const char *const exc[] = {"*-canary", "aed4cebcaf364cb3*"};
	const struct cg_filter f = {inc, 2, exc, 2};
	const struct cg_filter only_exc = {NULL, 0, exc, 1};
	struct cg_layout lay;
	struct cg_list l;

	assert_true(cg_filter_match(NULL, "anything", "0"));
	assert_true(cg_filter_match(&f, "web1", "1234"));
	assert_true(cg_filter_match(&f, "x", "aed4ffff"));
	assert_false(cg_filter_match(&f, "api", "1234"));
	assert_false(cg_filter_match(&f, "web-canary", "1234"));
	assert_false(cg_filter_match(&f, "web", D_DB));
	assert_true(cg_filter_match(&only_exc, "api", "1234"));
	assert_false(cg_filter_match(&only_exc, "api-canary", "1234"));
	detect("v2-systemd", &lay);
	assert_int_equal(cg_discover(&lay, NULL, &l), 0);
	cg_list_filter(&l, &(struct cg_filter){(const char *const[]){"web1", "f31f*"}, 2,
					      NULL, 0});
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].rel_path, "/lxc.payload.web1");
	assert_string_equal(l.items[1].id, D_WEB);
	cg_discover_free(&l);
}

/* ---- names ---------------------------------------------------------------- */

#ifdef HAVE_YAJL

/* The state fixtures, as the collector would pass them. */
static struct cg_state_paths state_paths(void)
{
	static char d[4096], c[4096], r[4096], p[4096];

	snprintf(d, sizeof(d), "%s", fixture("state/docker"));
	snprintf(c, sizeof(c), "%s", fixture("state/containerd"));
	snprintf(r, sizeof(r), "%s", fixture("state/crio"));
	snprintf(p, sizeof(p), "%s", fixture("state/podman"));
	return (struct cg_state_paths){.docker = d, .containerd = c, .crio = r, .podman = p};
}

struct named {
	const char *id;
	int rc;
	const char *runtime, *name, *image, *pod, *ns;
};

/* Discovers tree, resolves every name and checks them against want. */
static void resolve_exactly(const char *tree, const struct named *want, size_t n)
{
	struct cg_state_paths sp = state_paths();
	struct cg_layout lay;
	struct cg_list l;

	detect(tree, &lay);
	assert_int_equal(cg_discover(&lay, NULL, &l), 0);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++) {
		struct cg_container *c = NULL;
		int rc;

		for (size_t k = 0; k < l.n; k++) {
			if (strcmp(l.items[k].id, want[i].id) == 0)
				c = &l.items[k];
		}
		assert_non_null(c);
		rc = cg_names_resolve(&sp, c);
		if (rc != want[i].rc)
			fail_msg("%s: rc %d, want %d", want[i].id, rc, want[i].rc);
		assert_string_equal(cg_runtime_name(c->runtime), want[i].runtime);
		assert_string_equal(c->name, want[i].name);
		assert_string_equal(c->image, want[i].image);
		assert_string_equal(c->pod, want[i].pod);
		assert_string_equal(c->namespace, want[i].ns);
	}
	cg_discover_free(&l);
}

static void v2_names_come_from_each_runtimes_state(void **state)
{
	static const struct named want[] = {
		{D_WEB, 0, "docker", "web", "nginx:1.25", "", ""},
		{P_API, 0, "podman", "api", "quay.io/example/api:latest", "", ""},
		{K_APP, 0, "containerd", "app", "registry.example.com/shop/app:2.1.0",
		 "shop-7d9f8b6c5-x2x4q", "prod"},
		{K_SBX, 0, "containerd", "POD", "", "shop-7d9f8b6c5-x2x4q", "prod"},
		{C_RED, 0, "crio", "redis", "docker.io/library/redis:7.2", "cache-0", "data"},
		/* No state anywhere: the short id stays the name. */
		{K_GUA, -ENOENT, "containerd", "aa21536d9fd2", "", "", ""},
		{"debian-box", 0, "systemd", "debian-box", "", "", ""},
		{"web1", 0, "lxc", "web1", "", "", ""},
	};

	resolve_exactly("v2-systemd", want, ARRAY_SIZE(want));
}

static void v1_dockershim_pod_container_turns_out_docker(void **state)
{
	static const struct named want[] = {
		{D_DB, 0, "docker", "db", "postgres:16", "", ""},
		{K_WRK, 0, "containerd", "worker", "docker.io/library/busybox:1.36",
		 "batch-job-8k2lm", "jobs"},
		{K_SB1, -ENOENT, "containerd", "088048bb3368", "", "", ""},
		{K_DSH, 0, "docker", "metrics", "quay.io/prometheus/node-exporter:v1.7.0",
		 "node-exporter-x7k2p", "monitoring"},
		{"old1", 0, "lxc", "old1", "", "", ""},
	};

	resolve_exactly("v1-cgroupfs", want, ARRAY_SIZE(want));
}

static void hybrid_podman_without_image_keeps_image_empty(void **state)
{
	static const struct named want[] = {
		{P_HYB, 0, "podman", "hyb", "", "", ""},
		{"web2", 0, "lxc", "web2", "", "", ""},
	};

	resolve_exactly("hybrid", want, ARRAY_SIZE(want));
}

/* Reads a fixture file into a malloc'd buffer of exactly its size (no
 * NUL after it, so a parser reading past len is caught by ASan). */
static char *slurp(const char *rel, size_t *len)
{
	FILE *f = fopen(fixture(rel), "rb");
	char *buf = malloc(64 * 1024);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 64 * 1024, f);
	fclose(f);
	return realloc(buf, *len);
}

static void docker_parser_takes_real_files_and_refuses_broken_ones(void **state)
{
	struct cg_meta m = {0};
	size_t len;
	char *buf = slurp("state/docker/containers/" K_DSH "/config.v2.json", &len);

	assert_int_equal(cg_names_parse_docker(buf, len, &m), 0);
	assert_string_equal(m.name, "metrics");
	assert_string_equal(m.pod, "node-exporter-x7k2p");
	assert_false(m.sandbox);
	cg_meta_free(&m);
	assert_null(m.name);
	/* Truncated anywhere before the end: refused. */
	for (size_t cut = 0; cut < len - 1; cut += 97)
		assert_int_equal(cg_names_parse_docker(buf, cut, &m), -EINVAL);
	free(buf);
#define P(s) cg_names_parse_docker(s, strlen(s), &m)
	assert_int_equal(P("[]"), -EINVAL);
	assert_int_equal(P("\"x\""), -EINVAL);
	assert_int_equal(P("{\"Name\": \"/w\xff\"}"), -EINVAL); /* bad UTF-8 */
	/* Wrong types and empty values count as absent. */
	assert_int_equal(P("{\"Name\": 42, \"Config\": {\"Image\": [], \"Labels\": \"x\"}}"),
			 0);
	assert_null(m.name);
	assert_null(m.image);
	assert_int_equal(P("{\"Name\": \"/\", \"Config\": null}"), 0);
	assert_null(m.name);
	assert_int_equal(P("{\"Name\": \"//web\", \"Config\": {\"Labels\": "
			   "{\"io.kubernetes.container.name\": \"POD\"}}}"), 0);
	assert_string_equal(m.name, "POD");
	assert_true(m.sandbox);
	cg_meta_free(&m);
#undef P
}

static void oci_parser_reads_containerd_and_crio_annotations(void **state)
{
	struct cg_meta m = {0};
	size_t len;
	char *buf = slurp("state/crio/overlay-containers/" C_RED "/userdata/config.json",
			  &len);

	assert_int_equal(cg_names_parse_oci(buf, len, &m), 0);
	assert_string_equal(m.name, "redis");
	assert_string_equal(m.namespace, "data");
	cg_meta_free(&m);
	free(buf);
#define P(s) cg_names_parse_oci(s, strlen(s), &m)
	assert_int_equal(P("{\"annotations\": []}"), 0);
	assert_null(m.name);
	assert_int_equal(P("{\"annotations\": {\"io.kubernetes.cri-o.ContainerType\": "
			   "\"sandbox\", \"io.kubernetes.pod.name\": \"p\"}}"), 0);
	assert_string_equal(m.name, "POD");
	assert_string_equal(m.pod, "p");
	cg_meta_free(&m);
	assert_int_equal(P("{\"annotations\": {\"io.kubernetes.cri.container-name\": "
			   "\"a\", \"io.kubernetes.container.name\": \"b\"}}"), 0);
	assert_string_equal(m.name, "a");
	cg_meta_free(&m);
	assert_int_equal(P("{\"annotations\": {"), -EINVAL);
	assert_int_equal(P(""), -EINVAL);
	assert_int_equal(cg_names_parse_oci(NULL, 0, &m), -EINVAL);
#undef P
}

static void parsers_refuse_huge_strings_and_deep_nesting(void **state)
{
	size_t big = 100 * 1024, deep = 200000;
	char *buf = malloc(CG_NAMES_MAX_STORE + 2);
	struct cg_meta m = {0};
	int n;

	assert_non_null(buf);
	/* A name longer than CG_NAMES_MAX_VALUE is dropped, not cut. */
	n = snprintf(buf, 32, "{\"Name\": \"/");
	memset(buf + n, 'a', big);
	memcpy(buf + n + big, "\"}", 2);
	assert_int_equal(cg_names_parse_docker(buf, n + big + 2, &m), 0);
	assert_null(m.name);
	/* Nesting that would exhaust the stack when yajl frees the tree. */
	memset(buf, '[', deep);
	assert_int_equal(cg_names_parse_oci(buf, deep, &m), -EINVAL);
	memset(buf, '{', 1);
	memset(buf + 1, ' ', deep);
	assert_int_equal(cg_names_parse_podman(buf, deep, "x", &m), -EINVAL);
	/* Brackets inside strings do not count as nesting. */
	n = snprintf(buf, 4096, "{\"Name\": \"/[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
				"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}");
	assert_int_equal(cg_names_parse_docker(buf, (size_t)n, &m), 0);
	assert_non_null(m.name);
	cg_meta_free(&m);
	/* Over the size caps. */
	memset(buf, ' ', CG_NAMES_MAX_STORE + 1);
	buf[0] = '{';
	buf[CG_NAMES_MAX_FILE] = '}';
	assert_int_equal(cg_names_parse_docker(buf, CG_NAMES_MAX_FILE + 1, &m), -EINVAL);
	buf[0] = '[';
	buf[CG_NAMES_MAX_STORE] = ']';
	assert_int_equal(cg_names_parse_podman(buf, CG_NAMES_MAX_STORE + 1, "x", &m),
			 -EINVAL);
	free(buf);
}

static void podman_store_lookup_by_id(void **state)
{
	struct cg_meta m = {0};
	size_t len;
	char *buf = slurp("state/podman/overlay-containers/containers.json", &len);

	assert_int_equal(cg_names_parse_podman(buf, len, P_API, &m), 0);
	assert_string_equal(m.name, "api");
	assert_string_equal(m.image, "quay.io/example/api:latest");
	cg_meta_free(&m);
	assert_int_equal(cg_names_parse_podman(buf, len, "nope", &m), -ENOENT);
	free(buf);
#define P(s, id) cg_names_parse_podman(s, strlen(s), id, &m)
	assert_int_equal(P("{}", "x"), -EINVAL);
	assert_int_equal(P("[1, \"x\", {\"id\": 7}]", "x"), -ENOENT);
	/* Metadata that is not JSON: the name still comes from names. */
	assert_int_equal(P("[{\"id\": \"x\", \"names\": [\"n\"], \"metadata\": \"{\"}]", "x"),
			 0);
	assert_string_equal(m.name, "n");
	assert_null(m.image);
	cg_meta_free(&m);
	assert_int_equal(P("[{\"id\": \"x\", \"names\": [], \"metadata\": "
			   "\"{\\\"name\\\": \\\"fromMeta\\\"}\"}]", "x"), 0);
	assert_string_equal(m.name, "fromMeta");
	cg_meta_free(&m);
#undef P
}

static void resolve_refuses_unsafe_ids_and_oversized_files(void **state)
{
	char dir[] = "/tmp/virtmeter-cgstate-XXXXXX", path[256];
	struct cg_state_paths sp = {0};
	struct cg_match mt = {.runtime = CG_RT_DOCKER, .id = "../../etc", .name = "x"};
	struct cg_list l = {0};
	FILE *f;

	assert_int_equal(cg_list_add(&l, "/docker/x", &mt), 0);
	assert_int_equal(cg_names_resolve(NULL, &l.items[0]), -EINVAL);
	assert_string_equal(l.items[0].name, "x");
	assert_non_null(mkdtemp(dir));
	sp.docker = dir;
	snprintf(path, sizeof(path), "%s/containers", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers/" D_WEB, dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/containers/" D_WEB "/config.v2.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, CG_NAMES_MAX_FILE, SEEK_SET), 0);
	fputc('}', f);
	fclose(f);
	assert_int_equal(cg_set_string(&l.items[0].id, D_WEB), 0);
	assert_int_equal(cg_names_resolve(&sp, &l.items[0]), -EFBIG);
	assert_int_equal(truncate(path, 3), 0);
	assert_int_equal(cg_names_resolve(&sp, &l.items[0]), -EINVAL);
	assert_string_equal(l.items[0].name, "x");
	unlink(path);
	snprintf(path, sizeof(path), "%s/containers/" D_WEB, dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/containers", dir);
	rmdir(path);
	rmdir(dir);
	cg_discover_free(&l);
}

#else /* !HAVE_YAJL */

static void names_without_yajl_keep_the_fallback(void **state)
{
	struct cg_match mt = {.runtime = CG_RT_DOCKER, .id = D_WEB, .name = "f31f384749f9"};
	struct cg_list l = {0};
	struct cg_meta m = {0};

	assert_int_equal(cg_list_add(&l, "/docker/" D_WEB, &mt), 0);
	assert_int_equal(cg_names_resolve(NULL, &l.items[0]), -ENOTSUP);
	assert_string_equal(l.items[0].name, "f31f384749f9");
	assert_int_equal(cg_names_parse_docker("{}", 2, &m), -ENOTSUP);
	cg_discover_free(&l);
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v2_fixture_is_detected_as_v2),
		cmocka_unit_test(v1_fixture_follows_comounted_cpu_cpuacct),
		cmocka_unit_test(hybrid_fixture_has_v1_and_a_unified_tree),
		cmocka_unit_test(tree_without_hierarchies_is_refused),
		cmocka_unit_test(controllers_file_parses_to_a_mask),
		cmocka_unit_test(paths_join_and_stay_inside_the_hierarchy),
		cmocka_unit_test(locate_tells_which_hierarchies_hold_a_cgroup),
		cmocka_unit_test(v2_systemd_tree_yields_every_container),
		cmocka_unit_test(v1_cgroupfs_tree_yields_every_container),
		cmocka_unit_test(hybrid_tree_yields_lxc_and_podman),
		cmocka_unit_test(walk_bounds_are_kept_and_reported),
		cmocka_unit_test(classify_knows_each_runtime_and_leaves_vms_alone),
		cmocka_unit_test(classify_reads_pod_and_qos_from_parents),
		cmocka_unit_test(systemd_escapes_are_undone),
		cmocka_unit_test(filter_matches_name_or_id_and_exclude_wins),
#ifdef HAVE_YAJL
		cmocka_unit_test(v2_names_come_from_each_runtimes_state),
		cmocka_unit_test(v1_dockershim_pod_container_turns_out_docker),
		cmocka_unit_test(hybrid_podman_without_image_keeps_image_empty),
		cmocka_unit_test(docker_parser_takes_real_files_and_refuses_broken_ones),
		cmocka_unit_test(oci_parser_reads_containerd_and_crio_annotations),
		cmocka_unit_test(parsers_refuse_huge_strings_and_deep_nesting),
		cmocka_unit_test(podman_store_lookup_by_id),
		cmocka_unit_test(resolve_refuses_unsafe_ids_and_oversized_files),
#else
		cmocka_unit_test(names_without_yajl_keep_the_fallback),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
