/* Unit tests of the shared workload table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/api/workload.h"

static void added_workloads_are_copied(void **state)
{
	struct wl_list *l = wl_list_new();
	char name[8] = "web";
	struct workload w = {.kind = WL_VM, .id = "u-1", .name = name,
			     .runtime = "libvirt", .vcpus = 2};

	(void)state;
	assert_int_equal(wl_list_add(l, &w), 0);
	memcpy(name, "xxx", 4);
	assert_string_equal(l->items[0].name, "web");
	assert_null(l->items[0].cgroup);
	assert_int_equal(l->items[0].vcpus, 2);
	/* No pod or namespace given: "" (a VM, or a container outside
	 * Kubernetes). */
	assert_string_equal(l->items[0].pod, "");
	assert_string_equal(l->items[0].namespace, "");
	wl_list_unref(l);
}

static void sources_publish_independently(void **state)
{
	struct wl_list *vms = wl_list_new(), *cts = wl_list_new();
	struct workload vm = {.kind = WL_VM, .id = "u-1", .name = "web",
			      .runtime = "libvirt", .cgroup = "/machine/x"};
	struct workload ct = {.kind = WL_CONTAINER, .id = "abc", .name = "db",
			      .runtime = "containerd", .pod = "db-0",
			      .namespace = "data"};
	struct wl_table *t1, *t2;

	(void)state;
	wl_list_add(vms, &vm);
	wl_list_add(cts, &ct);
	assert_int_equal(wl_publish(WL_SRC_LIBVIRT, vms), 0);
	t1 = wl_current();
	assert_int_equal(wl_publish(WL_SRC_CGROUP, cts), 0);
	t2 = wl_current();
	/* The older table is unchanged; the newer one has both sources. */
	assert_null(t1->lists[WL_SRC_CGROUP]);
	assert_non_null(wl_find(t2, WL_VM, "u-1"));
	assert_string_equal(wl_find(t2, WL_CONTAINER, "abc")->name, "db");
	assert_string_equal(wl_find(t2, WL_CONTAINER, "abc")->pod, "db-0");
	assert_string_equal(wl_find(t2, WL_CONTAINER, "abc")->namespace,
			    "data");
	assert_null(wl_find(t2, WL_VM, "abc"));
	/* A vanished VM leaves the next table. */
	assert_int_equal(wl_publish(WL_SRC_LIBVIRT, NULL), 0);
	wl_table_unref(t2);
	t2 = wl_current();
	assert_null(wl_find(t2, WL_VM, "u-1"));
	assert_non_null(wl_find(t1, WL_VM, "u-1"));
	wl_table_unref(t1);
	wl_table_unref(t2);
	wl_list_unref(vms);
	wl_list_unref(cts);
}

static void bad_source_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(wl_publish(WL_NSOURCES, NULL), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(added_workloads_are_copied),
		cmocka_unit_test(sources_publish_independently),
		cmocka_unit_test(bad_source_is_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
