/* Tests of the meter input parsers (collectors/power/parse.c): sysfs
 * integers and names as RAPL and hwmon print them, the kinds of RAPL zones
 * and hwmon channels told from their names, and the exec meter's line
 * format with good, garbage and truncated output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "collectors/power/parse.h"

#define S(lit) lit, sizeof(lit) - 1

static void u64_reads_sysfs_values(void **st)
{
	uint64_t v = 0;

	(void)st;
	assert_int_equal(meter_parse_u64(S("262143328850\n"), &v), 0);
	assert_true(v == 262143328850ull);
	assert_int_equal(meter_parse_u64(S("0"), &v), 0);
	assert_true(v == 0);
	assert_int_equal(meter_parse_u64(S("18446744073709551615\n"), &v), 0);
	assert_true(v == UINT64_MAX);
}

static void u64_rejects_garbage_and_overflow(void **st)
{
	uint64_t v = 7;

	(void)st;
	assert_int_equal(meter_parse_u64(S(""), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S("\n"), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S("-1\n"), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S(" 12\n"), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S("12\n\n"), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S("12x"), &v), -EINVAL);
	assert_int_equal(meter_parse_u64(S("18446744073709551616"), &v), -ERANGE);
	assert_true(v == 7);
}

static void name_becomes_a_zone(void **st)
{
	char out[VIRTMETER_ZONE_MAX];

	(void)st;
	assert_int_equal(meter_parse_name(S("package-0\n"), out), 0);
	assert_string_equal(out, "package-0");
	assert_int_equal(meter_parse_name(S("CPU power\n"), out), 0);
	assert_string_equal(out, "CPU_power");
	assert_int_equal(meter_parse_name(S("\n"), out), -EINVAL);
}

static void exec_reads_every_quantity_and_zone(void **st)
{
	static const char text[] = "# from a PDU\n"
				   "watts 123.4\n"
				   "joules 5678\n"
				   "volts 230.1\n"
				   "amperes 0.54\n"
				   "\n"
				   "watts 20 outlet3\n"
				   "joules 99.5 outlet3\n";
	struct virtmeter_reading r[8];
	unsigned line = 99;
	char err[128] = "";

	(void)st;
	assert_int_equal(meter_parse_exec(S(text), r, 8, &line, err, sizeof(err)), 2);
	assert_int_equal(line, 0);
	assert_string_equal(r[0].zone, "");
	assert_int_equal(r[0].have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES |
					    VIRTMETER_HAVE_VOLTS | VIRTMETER_HAVE_AMPERES);
	assert_true(r[0].watts == 123.4 && r[0].joules == 5678);
	assert_true(r[0].volts == 230.1 && r[0].amperes == 0.54);
	assert_string_equal(r[1].zone, "outlet3");
	assert_int_equal(r[1].have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES);
	assert_true(r[1].watts == 20 && r[1].joules == 99.5);
}

/* Each bad output names the line at fault. */
static void exec_rejects_bad_lines(void **st)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{"watts 12\nwatts 13\n", 2},          /* twice for one zone */
		{"watts 12\ngarbage\n", 2},
		{"watt 12\n", 1},
		{"watts -12\n", 1},
		{"watts 1e3\n", 1},
		{"watts nan\n", 1},
		{"watts inf\n", 1},
		{"watts 1.2.3\n", 1},
		{"watts  12\n", 1},                  /* two spaces */
		{"watts 12 \n", 1},                  /* trailing space */
		{"watts 12\r\n", 1},
		{"watts 12 zone x\n", 1},
		{"watts 12 bad$zone\n", 1},
		{"watts\n", 1},
		{"watts 12\nwatts 1", 2},            /* cut short */
		{"watts 12", 1},
		{"\n# nothing\n", 0},                /* no reading at all */
		{"", 0},
	};
	struct virtmeter_reading r[4];
	char err[128];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned line = 99;

		err[0] = '\0';
		assert_int_equal(meter_parse_exec(bad[i].text, strlen(bad[i].text), r, 4,
						  &line, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(line, bad[i].line);
		assert_true(err[0] != '\0');
	}
}

static void exec_refuses_more_zones_than_room(void **st)
{
	static const char text[] = "watts 1 a\nwatts 2 b\nwatts 3 c\n";
	struct virtmeter_reading r[2];
	unsigned line;
	char err[128];

	(void)st;
	assert_int_equal(meter_parse_exec(S(text), r, 2, &line, err, sizeof(err)), -E2BIG);
	assert_int_equal(line, 3);
}

static void exec_never_reads_past_the_length(void **st)
{
	/* "watts 12\n" with the newline outside the length: cut short. */
	static const char text[] = "watts 12\n";
	struct virtmeter_reading r[2];
	unsigned line;
	char err[128];

	(void)st;
	assert_int_equal(meter_parse_exec(text, 8, r, 2, &line, err, sizeof(err)), -EINVAL);
	assert_int_equal(meter_parse_exec(text, 9, r, 2, &line, err, sizeof(err)), 1);
}

static void zone_names_are_checked(void **st)
{
	(void)st;
	assert_true(meter_zone_valid("package-0/dram"));
	assert_true(meter_zone_valid("psu1"));
	assert_false(meter_zone_valid(""));
	assert_false(meter_zone_valid("a b"));
	assert_false(meter_zone_valid("é"));
}

static void rapl_zone_names_give_their_kind(void **st)
{
	(void)st;
	assert_string_equal(meter_rapl_kind("package-0"), "package");
	assert_string_equal(meter_rapl_kind("package-1-die-0"), "package");
	assert_string_equal(meter_rapl_kind("psys"), "psys");
	assert_string_equal(meter_rapl_kind("core"), "core");
	assert_string_equal(meter_rapl_kind("uncore"), "uncore");
	assert_string_equal(meter_rapl_kind("dram"), "dram");
	assert_string_equal(meter_rapl_kind("package"), "other");
	assert_string_equal(meter_rapl_kind("psys-1"), "other");
	assert_string_equal(meter_rapl_kind("Core"), "other");
}

static void hwmon_labels_give_their_kind_and_number(void **st)
{
	static const struct {
		const char *label, *kind;
		long num;
	} cases[] = {
		{"Esocket0", "socket", 0},
		{"Esocket12", "socket", 12},
		{"Package_id_1", "socket", 1},
		{"Ecore000", "core", 0},
		{"Ecore127", "core", 127},
		{"SVI2_P_Core", "core", -1},
		{"Uncore", "sensor", -1},
		{"power1", "sensor", 1},
		{"PPT", "sensor", -1},
		{"Ecore1234567890123", "core", 567890123}, /* the last 9 digits */
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long num = -7;

		assert_string_equal(meter_hwmon_kind(cases[i].label, &num),
				    cases[i].kind);
		assert_int_equal(num, cases[i].num);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u64_reads_sysfs_values),
		cmocka_unit_test(u64_rejects_garbage_and_overflow),
		cmocka_unit_test(name_becomes_a_zone),
		cmocka_unit_test(exec_reads_every_quantity_and_zone),
		cmocka_unit_test(exec_rejects_bad_lines),
		cmocka_unit_test(exec_refuses_more_zones_than_room),
		cmocka_unit_test(exec_never_reads_past_the_length),
		cmocka_unit_test(zone_names_are_checked),
		cmocka_unit_test(rapl_zone_names_give_their_kind),
		cmocka_unit_test(hwmon_labels_give_their_kind_and_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
