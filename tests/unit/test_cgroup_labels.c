/* The labels that identify a container on its series: the cgroup collector
 * run on the kubepods fixtures with the runtimes' state fixtures gives
 * every series of a Kubernetes container its pod, namespace and
 * Kubernetes container name, those of a docker, LXC or systemd container
 * (or of a Kubernetes one whose state is missing) an empty pod and
 * namespace, and hands them to the workload table that perf and the model
 * read; and every per-container family of every collector starts with
 * these labels, in the order the model reads them by. Fixtures are found
 * through top_srcdir, which make check exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build-config.h"
#include "collectors/cgroup/names.h"
#include "exporter/api/base.h"
#include "exporter/api/collector.h"
#include "exporter/api/workload.h"
#include "tests/unit/harness.h"

extern const struct collector cgroup_collector;

/* Ids of the fixture containers (see test_cgroup_discover.c). */
#define D_WEB "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
#define K_APP "f0d64011ff21798ac98339dab250c8dc7bd8c3e3f91e40d5f4470a72a3b764b1"
#define K_SBX "9125f2177ab83f5c73fb81320caa3d23f4c19ea50066f638f196b6e9920fa0c1"
#define C_RED "a76d1df4defefef1abd638db99404eec38d9e4749976b8459b71585281d18c18"
#define K_GUA "aa21536d9fd228d6134e57c7df3a779d4da73897c1dc61e83d02f4dccc8205cc"
#define K_DSH "f61a0964e1c81c439346563e8b9bc1d9d7a8e062dc4a06cfa37e58f3797ebebc"
#define K_WRK "dc55ef9ff1d408f75998f8a78ee301852d82c4f2618ce621211b970c1af69ca3"

/* Writes the absolute path of fixture rel (under tests/fixtures/cgroup)
 * into out, or skips the test without top_srcdir. Returns out. */
static const char *fixture(char *out, size_t size, const char *rel)
{
	const char *src = getenv("top_srcdir");

	if (!src)
		skip();
	snprintf(out, size, "%s/tests/fixtures/cgroup/%s", src, rel);
	return out;
}

/* The cgroup collector started on fixture tree, reading the runtimes'
 * state from the state fixtures (state false: from the defaults, which
 * this host has none of the fixtures' ids under); its first cycle's set
 * in *out. */
static struct harness *start(const char *tree, bool state,
			     struct snap_set **out)
{
	static char d[4096], c[4096], r[4096], p[4096];
	static struct cg_state_paths paths;
	char root[4096];
	struct harness *h;

	paths = (struct cg_state_paths){
	    .docker = fixture(d, sizeof(d), "state/docker"),
	    .containerd = fixture(c, sizeof(c), "state/containerd"),
	    .crio = fixture(r, sizeof(r), "state/crio"),
	    .podman = fixture(p, sizeof(p), "state/podman"),
	};
	cg_names_use_paths(state ? &paths : NULL);
	h = harness_start(&cgroup_collector,
			  &(struct harness_opts){
			      .cgroupfs = fixture(root, sizeof(root), tree)});
	*out = harness_cycle(h);
	return h;
}

/* Puts the state paths back to the defaults after each test, also after
 * one that failed. */
static int teardown(void **unused)
{
	(void)unused;
	cg_names_use_paths(NULL);
	return 0;
}

/* Releases s and stops h. */
static void stop(struct harness *h, struct snap_set *s)
{
	harness_release(s);
	harness_stop(h);
}

/* What every series of one container must carry. */
struct ident {
	const char *id, *container, *runtime, *pod, *ns;
};

/* Checks that container w has series in at least min per-container
 * families of the cgroup collector, and that each of its samples carries
 * exactly w's container, runtime, pod and namespace. */
static void carries(const struct snap_set *s, const struct ident *w, size_t min)
{
	size_t fams = 0;

	for (const struct snap_family *const *f = cgroup_collector.families; *f;
	     f++) {
		const char *name = (*f)->name;
		size_t all, exact;

		if (strncmp(name, "virtmeter_container_", 20) != 0)
			continue;
		all = harness_count(s, name, "id", w->id, NULL);
		exact = harness_count(s, name, "id", w->id, "container",
				      w->container, "runtime", w->runtime,
				      "pod", w->pod, "namespace", w->ns, NULL);
		if (exact != all)
			fail_msg("%s{id=%.12s}: %zu of %zu samples carry "
				 "container=%s pod=\"%s\" namespace=\"%s\"",
				 name, w->id, exact, all, w->container, w->pod,
				 w->ns);
		fams += all > 0;
	}
	if (fams < min)
		fail_msg("container %s has series in %zu families, want %zu at "
			 "least",
			 w->container, fams, min);
}

/* Finds container id in the cgroup source's list of the workload table. */
static const struct workload *published(const struct wl_table *t,
					const char *id)
{
	const struct workload *w = wl_find(t, WL_CONTAINER, id);

	if (!w)
		fail_msg("container %.12s is not in the workload table", id);
	return w;
}

static void
kubernetes_containers_carry_pod_and_namespace_on_every_series(void **unused)
{
	/* The fixture containers of a cgroup2 host, with what their
	 * runtime's state says (names.h). Each has CPU, memory, I/O, pids
	 * and pressure series: a dozen families at least. */
	static const struct ident want[] = {
	    {K_APP, "app", "containerd", "shop-7d9f8b6c5-x2x4q", "prod"},
	    /* The pod's sandbox, named as kubelet names it. */
	    {K_SBX, "POD", "containerd", "shop-7d9f8b6c5-x2x4q", "prod"},
	    {C_RED, "redis", "crio", "cache-0", "data"},
	    /* Under kubepods, but no runtime's state has it: its short
	     * id, no pod, no namespace (never guessed). */
	    {K_GUA, "aa21536d9fd2", "containerd", "", ""},
	    /* Outside Kubernetes. */
	    {D_WEB, "web", "docker", "", ""},
	    {"web1", "web1", "lxc", "", ""},
	    {"debian-box", "debian-box", "systemd", "", ""},
	};
	struct snap_set *s;
	struct harness *h = start("v2-systemd", true, &s);
	struct wl_table *t;

	(void)unused;
#ifndef HAVE_YAJL
	stop(h, s);
	skip(); /* no state is read: every container keeps its fallback */
#endif
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		carries(s, &want[i], 12);
	/* The figures are those of the container's own cgroup. */
	HARNESS_NEAR(
	    harness_one(s, "virtmeter_container_pids", "namespace", "data",
			NULL),
	    harness_one(s, "virtmeter_container_pids", "id", C_RED, NULL));
	/* The image stays on the info series alone. */
	assert_true(harness_one(s, "virtmeter_container_info", "id", K_APP,
				"image", "registry.example.com/shop/app:2.1.0",
				"pod", "shop-7d9f8b6c5-x2x4q", "namespace",
				"prod", NULL) == 1);
	/* sum by (namespace): the two containers of prod's pod. */
	assert_int_equal(harness_count(s,
				       "virtmeter_container_memory_usage_bytes",
				       "namespace", "prod", NULL),
			 2);
	t = wl_current();
	assert_non_null(t);
	assert_string_equal(published(t, K_APP)->pod, "shop-7d9f8b6c5-x2x4q");
	assert_string_equal(published(t, K_APP)->namespace, "prod");
	assert_string_equal(published(t, K_APP)->name, "app");
	assert_string_equal(published(t, D_WEB)->pod, "");
	assert_string_equal(published(t, D_WEB)->namespace, "");
	wl_table_unref(t);
	stop(h, s);
}

static void v1_dockershim_pod_containers_carry_pod_and_namespace(void **unused)
{
	static const struct ident want[] = {
	    /* The docker of a cgroupfs-driver pod (dockershim). */
	    {K_DSH, "metrics", "docker", "node-exporter-x7k2p", "monitoring"},
	    {K_WRK, "worker", "containerd", "batch-job-8k2lm", "jobs"},
	    {"old1", "old1", "lxc", "", ""},
	};
	struct snap_set *s;
	struct harness *h = start("v1-cgroupfs", true, &s);

	(void)unused;
#ifndef HAVE_YAJL
	stop(h, s);
	skip();
#endif
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		carries(s, &want[i], 1);
	assert_true(harness_one(s, "virtmeter_container_cpu_seconds", "pod",
				"node-exporter-x7k2p", "mode", "user",
				NULL) > 0);
	stop(h, s);
}

static void without_runtime_state_pod_and_namespace_are_empty(void **unused)
{
	struct snap_set *s;
	struct harness *h = start("v2-systemd", false, &s);

	(void)unused;
	carries(s, &(struct ident){K_APP, "f0d64011ff21", "containerd", "", ""},
		12);
	carries(s, &(struct ident){D_WEB, "f31f384749f9", "docker", "", ""},
		12);
	assert_int_equal(
	    harness_count(s, "virtmeter_container_cpu_seconds", "pod", "",
			  "namespace", "", NULL),
	    harness_count(s, "virtmeter_container_cpu_seconds", NULL));
	stop(h, s);
}

/* Whether family f has the label called name. */
static bool has_label(const struct snap_family *f, const char *name)
{
	for (size_t k = 0; f->labels[k]; k++)
		if (strcmp(f->labels[k], name) == 0)
			return true;
	return false;
}

/* The model reads a container's identity labels by position (workload.h's
 * wl_ct_label): every per-container family of every collector starts with
 * them, in that order; the info series carries them too. */
static void
every_container_family_starts_with_the_identity_labels(void **unused)
{
	static const char *const want[WL_CT_NLABELS] = {
	    [WL_CT_CONTAINER] = "container", [WL_CT_ID] = "id",
	    [WL_CT_RUNTIME] = "runtime",     [WL_CT_POD] = "pod",
	    [WL_CT_NAMESPACE] = "namespace",
	};
	size_t seen = 0;

	(void)unused;
	for (size_t i = 0; collector_table[i]; i++) {
		const struct snap_family *const *f =
		    collector_table[i]->families;

		for (; f && *f; f++) {
			const char *name = (*f)->name;
			bool info =
			    strcmp(name, "virtmeter_container_info") == 0;

			if (strncmp(name, "virtmeter_container_", 20) != 0)
				continue;
			seen++;
			for (size_t k = 0; k < WL_CT_NLABELS; k++) {
				const char *got = (*f)->labels[k];

				if (info && !has_label(*f, want[k]))
					fail_msg("%s lacks %s", name, want[k]);
				if (!info && (!got || strcmp(got, want[k])))
					fail_msg("%s: label %zu is %s, not %s",
						 name, k, got ? got : "(none)",
						 want[k]);
			}
		}
	}
	/* The cgroup collector's 24 and the model's 4 at least. */
	assert_true(seen >= 28);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
		kubernetes_containers_carry_pod_and_namespace_on_every_series,
		teardown),
	    cmocka_unit_test_teardown(
		v1_dockershim_pod_containers_carry_pod_and_namespace, teardown),
	    cmocka_unit_test_teardown(
		without_runtime_state_pod_and_namespace_are_empty, teardown),
	    cmocka_unit_test(
		every_container_family_starts_with_the_identity_labels),
	};

	return cmocka_run_group_tests_name("cgroup_labels", tests, NULL, NULL);
}
