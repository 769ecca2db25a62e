/* Unit tests of the meters: section of the configuration file: what a
 * valid list sets, that no list means discovery and an empty one turns it
 * off, that a list has no fixed length, that every mistake names its line
 * and column, and that the table of kinds ties each type to its meter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build-config.h"
#include "collectors/power/config.h"
#include "collectors/power/meter.h"
#include "exporter/config.h"

#ifdef HAVE_LIBYAML

#include "tests/unit/config_test.h"

/* The meters: list of the power collector in cfg. */
#define METERS(cfg) ((const struct power_settings *)collector_of(cfg, "power")->settings)

static void meters_list_sets_every_type(void **st)
{
	static const char text[] =
		"meters:\n"
		"  - name: rapl\n"
		"    type: rapl\n"
		"    interval: 2s\n"
		"  - name: pdu\n"
		"    type: exec\n"
		"    command: [/usr/bin/pdu-read, --outlet, \"3\"]\n"
		"    timeout: 500ms\n"
		"    max_gap: 30s\n"
		"  - name: lab\n"
		"    type: plugin\n"
		"    path: /usr/lib/virtmeter/example.so\n"
		"    argument: watts=40\n"
		"    kind: gpu_1\n";
	struct config *cfg = NULL;
	struct config_error err;

	(void)st;
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_true(METERS(cfg)->present);
	assert_int_equal(METERS(cfg)->n, 3);
	assert_string_equal(METERS(cfg)->m[0].name, "rapl");
	assert_ptr_equal(METERS(cfg)->m[0].kind, meter_kind_find("rapl", 4));
	assert_ptr_equal(METERS(cfg)->m[0].kind->ops, &meter_rapl_ops);
	assert_int_equal(METERS(cfg)->m[0].interval_ms, 2000);
	assert_ptr_equal(METERS(cfg)->m[1].kind->ops, &meter_exec_ops);
	assert_int_equal(METERS(cfg)->m[1].argc, 3);
	assert_string_equal(METERS(cfg)->m[1].argv[0], "/usr/bin/pdu-read");
	assert_string_equal(METERS(cfg)->m[1].argv[2], "3");
	assert_int_equal(METERS(cfg)->m[1].timeout_ms, 500);
	assert_int_equal(METERS(cfg)->m[1].max_gap_ms, 30000);
	assert_ptr_equal(METERS(cfg)->m[2].kind->ops, &meter_plugin_ops);
	assert_string_equal(METERS(cfg)->m[2].path, "/usr/lib/virtmeter/example.so");
	assert_string_equal(METERS(cfg)->m[2].argument, "watts=40");
	assert_string_equal(METERS(cfg)->m[2].zone_kind, "gpu_1");
	assert_string_equal(METERS(cfg)->m[1].zone_kind, ""); /* wall */
	config_free(cfg);
	cfg = NULL;
}

/* The list is grown as it is parsed: 40 meters, more than the 16 of old. */
static void a_list_of_forty_meters_parses(void **st)
{
	enum { N = 40 };
	static char text[N * 96 + 16];
	struct config *cfg = NULL;
	struct config_error err;
	size_t o;

	(void)st;
	o = (size_t)snprintf(text, sizeof(text), "meters:\n");
	for (int i = 0; i < N; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "  - {name: pdu%d, type: exec, command: "
				      "[/usr/bin/pdu-read, \"%d\"]}\n", i, i);
	assert_true(o < sizeof(text));
	if (parse(text, &cfg, &err))
		fail_msg("%u:%u %s", err.line, err.column, err.msg);
	assert_true(METERS(cfg)->present);
	assert_int_equal(METERS(cfg)->n, N);
	for (int i = 0; i < N; i++) {
		char name[16], arg[16];

		snprintf(name, sizeof(name), "pdu%d", i);
		snprintf(arg, sizeof(arg), "%d", i);
		assert_string_equal(METERS(cfg)->m[i].name, name);
		assert_ptr_equal(METERS(cfg)->m[i].kind->ops, &meter_exec_ops);
		assert_int_equal(METERS(cfg)->m[i].argc, 2);
		assert_string_equal(METERS(cfg)->m[i].argv[1], arg);
	}
	config_free(cfg);
}

/* A duplicate name is found however far down the list it is. */
static void a_name_twice_far_apart_is_refused(void **st)
{
	static char text[24 * 64 + 16];
	size_t o;

	(void)st;
	o = (size_t)snprintf(text, sizeof(text), "meters:\n");
	for (int i = 0; i < 24; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      "  - {name: m%d, type: exec, command: [/bin/true]}\n",
				      i == 23 ? 1 : i);
	assert_true(o < sizeof(text));
	assert_fails(text, 25, 12, "meters[23].name: meter 'm1' is defined twice");
}

static void no_list_means_discovery_and_empty_list_none(void **st)
{
	struct config *cfg = NULL;
	struct config_error err;

	(void)st;
	assert_int_equal(parse("collectors: {}\n", &cfg, &err), 0);
	assert_false(METERS(cfg)->present);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(parse("meters: []\n", &cfg, &err), 0);
	assert_true(METERS(cfg)->present);
	assert_int_equal(METERS(cfg)->n, 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(parse("meters:\n", &cfg, &err), 0);
	assert_true(METERS(cfg)->present);
	config_free(cfg);
	cfg = NULL;
}

static void meter_mistakes_name_line_and_column(void **st)
{
	static const struct ct_refusal bad[] = {
		{"meters: {a: 1}\n", 1, 9, "expected a list of meters"},
		{"meters:\n  - 5\n", 2, 5, "expected a mapping"},
		{"meters:\n  - type: rapl\n", 2, 5, "needs a name"},
		{"meters:\n  - name: x\n", 2, 5, "needs a type"},
		{"meters:\n  - name: x\n    type: bogus\n", 3, 11, "unknown meter type"},
		{"meters:\n  - name: x\n    type: exec\n", 2, 5, "needs a command"},
		{"meters:\n  - name: x\n    type: plugin\n", 2, 5, "needs a path"},
		{"meters:\n  - name: x\n    type: exec\n    command: [rel/prog]\n", 4, 15,
		 "absolute path"},
		{"meters:\n  - name: x\n    type: exec\n    command: /bin/true\n", 4, 14,
		 "expected a list of words"},
		{"meters:\n  - name: x\n    type: exec\n    command: []\n", 4, 14,
		 "command is empty"},
		{"meters:\n  - name: x\n    type: rapl\n    command: [/bin/true]\n", 4, 14,
		 "not a setting of a meter of type rapl"},
		{"meters:\n  - name: x\n    type: plugin\n    path: lib.so\n", 4, 11,
		 "absolute path"},
		{"meters:\n  - name: a b\n    type: rapl\n", 2, 11, "meter name holds only"},
		{"meters:\n  - name: x\n    type: rapl\n  - name: x\n    type: hwmon\n", 4, 11,
		 "defined twice"},
		{"meters:\n  - name: x\n    type: rapl\n  - name: y\n    type: rapl\n", 5, 11,
		 "only one meter of type rapl"},
		{"meters:\n  - name: x\n    type: rapl\n    interval: 0s\n", 4, 15,
		 "expected a duration"},
		{"meters:\n  - name: x\n    type: rapl\n    colour: red\n", 4, 5,
		 "unknown key 'colour'"},
		{"meters:\n  - name: x\n    type: rapl\n    kind: wall\n", 4, 11,
		 "meters[0].kind: not a setting of a meter of type rapl"},
		{"meters:\n  - name: x\n    type: hwmon\n    kind: wall\n", 4, 11,
		 "not a setting of a meter of type hwmon"},
		{"meters:\n  - name: x\n    type: exec\n    command: [/bin/true]\n"
		 "    kind: Wall\n", 5, 11,
		 "meters[0].kind: a kind is a-z 0-9 _ starting with a letter "
		 "(such as wall, outlet, gpu), got 'Wall'"},
		{"meters:\n  - name: x\n    type: exec\n    command: [/bin/true]\n"
		 "    kind: 2nd\n", 5, 11, "a kind is a-z 0-9 _"},
		{"meters:\n  - name: x\n    type: exec\n    command: [/bin/true]\n"
		 "    kind: a_kind_of_16_byt\n", 5, 11, "longer than 15 bytes"},
	};

	(void)st;
	assert_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

/* An unknown key is answered with every key a meter may have, the last one
 * included (the list was once cut off at 160 bytes). */
static void unknown_meter_key_lists_every_key(void **st)
{
	(void)st;
	assert_fails("meters:\n  - name: x\n    type: rapl\n    colour: red\n", 4, 5,
		     "unknown key 'colour' in meters[0] (known: name, type, interval, "
		     "timeout, max_gap, command, path, argument, kind, url, username, "
		     "password, password_file, ca_file, tls_insecure, auth, preset, "
		     "zone, watts_path, energy_path, volts_path, amperes_path, "
		     "watts_scale, energy_scale, volts_scale, amperes_scale, "
		     "energy_unit, device)");
}

/* The lists of types in messages come from the table of kinds. */
static void type_mistakes_list_every_type(void **st)
{
	(void)st;
	assert_fails("meters:\n  - name: x\n    type: bogus\n", 3, 11,
		     "meters[0].type: unknown meter type 'bogus' (known: rapl, hwmon, "
		     "exec, plugin, redfish, http, powerspy)");
	assert_fails("meters:\n  - name: x\n", 2, 5,
		     "meters[0]: a meter needs a type (rapl, hwmon, exec, plugin, "
		     "redfish, http or powerspy)");
}

/* Each row of the table: found by its name, and (when built) read by the
 * meter whose source label is that name. */
static void each_kind_is_found_by_name_and_read_by_its_meter(void **st)
{
	(void)st;
	assert_int_equal(meter_nkinds, 7);
	for (size_t i = 0; i < meter_nkinds; i++) {
		const struct meter_kind *k = &meter_kinds[i];

		assert_ptr_equal(meter_kind_find(k->name, strlen(k->name)), k);
		if (k->ops)
			assert_string_equal(k->ops->source, k->name);
		else
			assert_non_null(k->built_without);
		if (k->need_what)
			assert_true(k->keys & METER_KEY_BIT(k->need));
	}
	assert_null(meter_kind_find("rap", 3));
	assert_null(meter_kind_find("rapl\0", 5));
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(meters_list_sets_every_type),
		cmocka_unit_test(a_list_of_forty_meters_parses),
		cmocka_unit_test(a_name_twice_far_apart_is_refused),
		cmocka_unit_test(no_list_means_discovery_and_empty_list_none),
		cmocka_unit_test(meter_mistakes_name_line_and_column),
		cmocka_unit_test(unknown_meter_key_lists_every_key),
		cmocka_unit_test(type_mistakes_list_every_type),
		cmocka_unit_test(each_kind_is_found_by_name_and_read_by_its_meter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
	printf("1..0 # SKIP built without libyaml\n");
	return 0;
}

#endif
