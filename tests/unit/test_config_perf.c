/* Tests of the perf: section of the configuration file
 * (exporter/config_perf.c): the event list and the cgroup cap, and the
 * errors for bad names, repeats, wrong types and out-of-range numbers. */
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

static const char *const known[] = {"host", "perf", NULL};

#include "tests/unit/config_test.h"

static void without_a_perf_section_the_defaults_stay(void **state)
{
	struct config cfg;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("collectors:\n  perf:\n    interval: 2s\n", &cfg,
			       &err),
			 0);
	assert_false(cfg.perf.events_set);
	assert_int_equal(cfg.perf.max_cgroups, -1);
}

static void events_and_max_cgroups_are_read(void **state)
{
	struct config cfg;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("perf:\n  events: [cycles, task-clock,\n"
			       "    \"DTLB_LOAD_MISSES:WALK_COMPLETED\"]\n"
			       "  max_cgroups: 40\n",
			       &cfg, &err),
			 0);
	assert_true(cfg.perf.events_set);
	assert_int_equal(cfg.perf.nevents, 3);
	assert_string_equal(cfg.perf.events[0], "cycles");
	assert_string_equal(cfg.perf.events[2],
			    "DTLB_LOAD_MISSES:WALK_COMPLETED");
	assert_int_equal(cfg.perf.max_cgroups, 40);
}

static void an_empty_event_list_is_set_and_empty(void **state)
{
	struct config cfg;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("perf:\n  events: []\n", &cfg, &err), 0);
	assert_true(cfg.perf.events_set);
	assert_int_equal(cfg.perf.nevents, 0);
}

static void bad_event_lists_are_refused_where_they_are(void **state)
{
	(void)state;
	assert_fails("perf:\n  events: cycles\n", 2, 11,
		     "perf.events: expected a list of event names");
	assert_fails("perf:\n  events: [cycles, cycles]\n", 2, 20,
		     "event 'cycles' is listed twice");
	assert_fails("perf:\n  events: [\"cy cles\"]\n", 2, 12,
		     "is not an event name");
	assert_fails("perf:\n  events: [[a]]\n", 2, 12,
		     "expected an event name");
	assert_fails("perf:\n  evnts: []\n", 2, 3,
		     "unknown key 'evnts' in perf (known: events, max_cgroups)");
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
		cmocka_unit_test(an_empty_event_list_is_set_and_empty),
		cmocka_unit_test(bad_event_lists_are_refused_where_they_are),
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
