/* Tests of the arrangement of events into groups
 * (collectors/perf/layout.c) with hand-made event definitions, so that the
 * hardware cases run on hosts without a PMU: PMU events at most 4 to a
 * group, software events and each clock apart, a VM's split events twice
 * (guest, then host) in groups of their own, unsupported events left out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "collectors/perf/layout.h"

static struct perf_event_def evs[PERF_MAX_EVENTS];
static struct perf_layout plain, vm;

/* Defines event i: hw (type HARDWARE) or software with config cfg. */
static void def(size_t i, const char *name, bool hw, unsigned long cfg,
		bool split)
{
	struct perf_event_def *e = &evs[i];

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->attr.type = hw ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE;
	e->attr.config = cfg;
	e->resolved = e->supported = true;
	e->hardware = hw;
	e->want_split = e->split = split;
}

/* The 8 default events, as a host with a PMU and a hypervisor that
 * separates guest and host would probe them. */
static int defaults(void **state)
{
	(void)state;
	def(0, "cycles", true, PERF_COUNT_HW_CPU_CYCLES, true);
	def(1, "instructions", true, PERF_COUNT_HW_INSTRUCTIONS, true);
	def(2, "dTLB-load-misses", true, 0x10003, false);
	def(3, "iTLB-load-misses", true, 0x10004, false);
	def(4, "cache-misses", true, PERF_COUNT_HW_CACHE_MISSES, false);
	def(5, "task-clock", false, PERF_COUNT_SW_TASK_CLOCK, false);
	def(6, "page-faults", false, PERF_COUNT_SW_PAGE_FAULTS, false);
	def(7, "context-switches", false, PERF_COUNT_SW_CONTEXT_SWITCHES,
	    false);
	return 0;
}

/* Asserts that group g of lay holds the events ev[0..n) in that order. */
static void assert_group(const struct perf_layout *lay, size_t g,
			 const int *ev, size_t n)
{
	assert_true(g < lay->ngroups);
	assert_int_equal(lay->start[g + 1] - lay->start[g], n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(lay->ev[lay->start[g] + i], ev[i]);
}

static void pmu_events_go_four_to_a_group_then_software_then_clocks(void **s)
{
	static const int g0[] = {0, 1, 2, 3}, g1[] = {4}, g2[] = {6, 7},
			 g3[] = {5};

	(void)s;
	perf_layouts_build(evs, 8, &plain, &vm);
	assert_int_equal(plain.n, 8);
	assert_int_equal(plain.ngroups, 4);
	assert_group(&plain, 0, g0, 4);
	assert_group(&plain, 1, g1, 1);
	assert_group(&plain, 2, g2, 2);
	assert_group(&plain, 3, g3, 1);
	for (size_t i = 0; i < plain.n; i++) {
		assert_int_equal(plain.mode[i], PERF_MODE_ALL);
		assert_false(plain.attr[i].exclude_guest);
		assert_false(plain.attr[i].exclude_host);
	}
}

static void a_vm_counts_split_events_twice_in_groups_of_their_own(void **s)
{
	static const int g0[] = {0, 0, 1, 1}, g1[] = {2, 3, 4}, g2[] = {6, 7},
			 g3[] = {5};

	(void)s;
	perf_layouts_build(evs, 8, &plain, &vm);
	assert_int_equal(vm.n, 10);
	assert_int_equal(vm.ngroups, 4);
	assert_group(&vm, 0, g0, 4);
	assert_group(&vm, 1, g1, 3);
	assert_group(&vm, 2, g2, 2);
	assert_group(&vm, 3, g3, 1);
	/* Guest mode excludes the host, host mode excludes the guest. */
	assert_int_equal(vm.mode[0], PERF_MODE_GUEST);
	assert_true(vm.attr[0].exclude_host && !vm.attr[0].exclude_guest);
	assert_int_equal(vm.mode[1], PERF_MODE_HOST);
	assert_true(vm.attr[1].exclude_guest && !vm.attr[1].exclude_host);
	assert_int_equal(vm.mode[4], PERF_MODE_ALL);
}

static void without_a_split_a_vm_is_laid_out_like_a_container(void **s)
{
	(void)s;
	evs[0].split = evs[1].split = false;
	perf_layouts_build(evs, 8, &plain, &vm);
	assert_int_equal(vm.n, plain.n);
	assert_int_equal(vm.ngroups, plain.ngroups);
	for (size_t i = 0; i < vm.n; i++) {
		assert_int_equal(vm.ev[i], plain.ev[i]);
		assert_int_equal(vm.mode[i], PERF_MODE_ALL);
	}
}

static void unsupported_events_take_no_slot(void **s)
{
	static const int g0[] = {6, 7}, g1[] = {5};

	(void)s;
	for (size_t i = 0; i < 5; i++)
		evs[i].supported = false; /* no PMU */
	perf_layouts_build(evs, 8, &plain, &vm);
	assert_int_equal(plain.n, 3);
	assert_int_equal(plain.ngroups, 2);
	assert_group(&plain, 0, g0, 2);
	assert_group(&plain, 1, g1, 1);
	assert_int_equal(vm.n, 3);
}

static void each_clock_has_a_group_of_its_own(void **s)
{
	(void)s;
	def(0, "cpu-clock", false, PERF_COUNT_SW_CPU_CLOCK, false);
	def(1, "task-clock", false, PERF_COUNT_SW_TASK_CLOCK, false);
	perf_layouts_build(evs, 2, &plain, &vm);
	assert_int_equal(plain.n, 2);
	assert_int_equal(plain.ngroups, 2);
}

static void no_event_gives_no_group(void **s)
{
	(void)s;
	perf_layouts_build(evs, 0, &plain, &vm);
	assert_int_equal(plain.n, 0);
	assert_int_equal(plain.ngroups, 0);
	assert_int_equal(vm.ngroups, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			pmu_events_go_four_to_a_group_then_software_then_clocks,
			defaults),
		cmocka_unit_test_setup(
			a_vm_counts_split_events_twice_in_groups_of_their_own,
			defaults),
		cmocka_unit_test_setup(
			without_a_split_a_vm_is_laid_out_like_a_container,
			defaults),
		cmocka_unit_test_setup(unsupported_events_take_no_slot, defaults),
		cmocka_unit_test_setup(each_clock_has_a_group_of_its_own,
				       defaults),
		cmocka_unit_test_setup(no_event_gives_no_group, defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
