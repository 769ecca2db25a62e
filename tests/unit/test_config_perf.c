/* Tests of the perf collector's settings in the configuration file (the
 * top-level perf: section and collectors.perf): the event list, checked
 * against libpfm4 so that a typo fails --check-config, and the cgroup
 * cap, with the errors for bad names, repeats, wrong types and
 * out-of-range numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "build-config.h"
#include "exporter/config.h"

#ifdef HAVE_LIBYAML

#include "tests/unit/config_test.h"

static const struct setting_list *events(const struct config *cfg)
{
	return setting_of(cfg, "perf", "events");
}

static unsigned long max_cgroups(const struct config *cfg)
{
	return *(const unsigned long *)setting_of(cfg, "perf", "max-cgroups");
}

static void without_a_perf_section_the_defaults_stay(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("collectors:\n  perf:\n    interval: 2s\n", &cfg,
			       &err),
			 0);
	assert_int_equal(events(cfg)->n, 8);
	assert_string_equal(events(cfg)->v[0], "cycles");
	assert_string_equal(events(cfg)->v[7], "context-switches");
	assert_int_equal(max_cgroups(cfg), 256);
	config_free(cfg);
}

/* An event with umasks in libpfm4's own syntax, from the perf_events PMU
 * that libpfm4 has on every host: a vendor event (Intel's
 * DTLB_LOAD_MISSES:WALK_COMPLETED) is unknown on another vendor's CPU or
 * where the hypervisor hides the PMU. */
static void events_and_max_cgroups_are_read(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("perf:\n  events: [cycles, task-clock,\n"
			       "    \"PERF_COUNT_HW_CACHE_DTLB:READ:MISS\"]\n"
			       "  max_cgroups: 40\n",
			       &cfg, &err),
			 0);
	assert_int_equal(events(cfg)->n, 3);
	assert_string_equal(events(cfg)->v[0], "cycles");
	assert_string_equal(events(cfg)->v[2],
			    "PERF_COUNT_HW_CACHE_DTLB:READ:MISS");
	assert_int_equal(max_cgroups(cfg), 40);
	config_free(cfg);
}

static void collectors_perf_takes_the_same_keys(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("collectors:\n  perf:\n    events: [task-clock]\n"
			       "    max_cgroups: 7\n",
			       &cfg, &err),
			 0);
	assert_int_equal(events(cfg)->n, 1);
	assert_string_equal(events(cfg)->v[0], "task-clock");
	assert_int_equal(max_cgroups(cfg), 7);
	config_free(cfg);
	assert_fails("collectors:\n  perf:\n    max_cgroups: 7\n"
		     "perf:\n  max_cgroups: 8\n",
		     5, 16, "perf.max_cgroups: set twice (first at line 3)");
}

static void an_empty_event_list_is_set_and_empty(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("perf:\n  events: []\n", &cfg, &err), 0);
	assert_int_equal(events(cfg)->n, 0);
	config_free(cfg);
}

static void bad_event_lists_are_refused_where_they_are(void **state)
{
	static const char *const names[] = {
		"cycles", "instructions", "cache-references", "cache-misses",
		"branches", "branch-misses", "task-clock", "cpu-clock",
		"page-faults", "context-switches", "cpu-migrations",
	};
	static const char *const mods[] = {"", ":u", ":k"};
	char text[2048];
	int n;

	(void)state;
	assert_fails("perf:\n  events: cycles\n", 2, 11,
		     "perf.events: expected a list like [a, b], got 'cycles'");
	assert_fails("perf:\n  events: [cycles, cycles]\n", 2, 20,
		     "'cycles' is listed twice");
	assert_fails("perf:\n  events: [\"cy cles\"]\n", 2, 12,
		     "is not an event name");
	assert_fails("perf:\n  events: [[a]]\n", 2, 12,
		     "expected a string as list item, got a list");
	assert_fails("perf:\n  evnts: []\n", 2, 3,
		     "unknown key 'evnts' in perf (known: events, max_cgroups)");
	/* 33 names libpfm4 knows: 11 events, each alone, :u and :k. */
	n = snprintf(text, sizeof(text), "perf:\n  events: [");
	for (size_t i = 0; i < 33; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s%s",
			      i ? ", " : "", names[i / 3], mods[i % 3]);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n");
	assert_fails(text, 2, 485, "perf.events: more than 32 items");
}

/* A name libpfm4 does not know fails the configuration (and so
 * --check-config), where before it passed and failed only at run time. */
static void a_misspelt_event_is_refused_at_its_place(void **state)
{
	(void)state;
	assert_fails("perf:\n  events: [cycles, cyclez]\n", 2, 20,
		     "perf.events: unknown event 'cyclez' (libpfm4: ");
	assert_fails("collectors:\n  perf:\n    events:\n      - task-clok\n", 4, 9,
		     "collectors.perf.events: unknown event 'task-clok'");
}

static void bad_max_cgroups_are_refused(void **state)
{
	(void)state;
	assert_fails("perf:\n  max_cgroups: -1\n", 2, 16,
		     "expected a whole number from 0 to 100000");
	assert_fails("perf:\n  max_cgroups: 100001\n", 2, 16,
		     "expected a whole number");
	assert_fails("perf:\n  max_cgroups: \"5\"\n", 2, 16,
		     "expected a whole number");
	assert_fails("perf:\n  max_cgroups: 5x\n", 2, 16,
		     "expected a whole number");
	assert_fails("perf:\n  max_cgroups:\n", 2, 15,
		     "expected a whole number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_a_perf_section_the_defaults_stay),
		cmocka_unit_test(events_and_max_cgroups_are_read),
		cmocka_unit_test(collectors_perf_takes_the_same_keys),
		cmocka_unit_test(an_empty_event_list_is_set_and_empty),
		cmocka_unit_test(bad_event_lists_are_refused_where_they_are),
		cmocka_unit_test(a_misspelt_event_is_refused_at_its_place),
		cmocka_unit_test(bad_max_cgroups_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !HAVE_LIBYAML */

int main(void)
{
	printf("1..0 # SKIP built without libyaml\n");
	return 0;
}

#endif
