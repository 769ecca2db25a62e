/* Unit tests of the pure parsers of the network meters: JSON paths, the
 * http meter's presets and mapping of an answer to a reading, and the
 * Redfish answers (Power of a Dell-like and an HPE-like BMC,
 * EnvironmentMetrics, collections, chassis links, a PowerSubsystem's power
 * supplies and their PowerSupplyMetrics), with exact values and the bad
 * answers a device may give. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/power/http_client.h"
#include "collectors/power/jpath.h"
#include "collectors/power/json.h"
#include "collectors/power/redfish_parse.h"

static void jpath_parses_members_and_indexes(void **st)
{
	struct jpath p;
	char err[96];

	(void)st;
	assert_int_equal(meter_jpath_parse("meters[0].total", 15, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.names + p.step[0].key, "meters");
	assert_true(p.step[1].is_index);
	assert_int_equal(p.step[1].index, 0);
	assert_string_equal(p.names + p.step[2].key, "total");
	assert_int_equal(meter_jpath_parse("[2][10].a-b_c:d", 15, &p, err, sizeof(err)), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.step[1].index, 10);
	assert_string_equal(p.names + p.step[2].key, "a-b_c:d");
}

static void jpath_refuses_bad_syntax_with_offset(void **st)
{
	static const char *const bad[] = {"", ".a", "a.", "a..b", "a[", "a[]",
					  "a[x]", "a]", "a b", "a[0]b", "a\"b",
					  "a[1234567]"};
	struct jpath p;
	char err[96];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(meter_jpath_parse(bad[i], strlen(bad[i]), &p, err,
						   sizeof(err)), -EINVAL);
	meter_jpath_parse("a[0]b", 5, &p, err, sizeof(err));
	assert_string_equal(err, "unexpected byte at byte 5");
}

static void jpath_more_than_16_steps_refused(void **st)
{
	const char *s = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q";
	struct jpath p;
	char err[96];

	(void)st;
	assert_int_equal(meter_jpath_parse(s, strlen(s), &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(meter_jpath_parse(s, 31, &p, err, sizeof(err)), 0);
}

/* Parses json and extracts with the spec of n. */
static int extract(const struct meter_net_config *n, const char *json,
		   struct virtmeter_reading *r, char *err)
{
	struct http_spec spec;
	yajl_val root;
	int rc;

	assert_int_equal(meter_http_spec(n, &spec, err, 200), 0);
	rc = meter_json_parse(json, strlen(json), &root, err, 200);
	if (rc)
		return rc;
	rc = meter_http_extract(root, &spec, r, err, 200);
	yajl_tree_free(root);
	return rc;
}

static void shelly_gen1_total_is_watt_minutes(void **st)
{
	struct meter_net_config n = {.url = "http://plug/", .preset = METER_PRESET_SHELLY_GEN1};
	struct virtmeter_reading r;
	struct http_spec spec;
	char err[200];

	(void)st;
	assert_int_equal(meter_http_spec(&n, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.url, "http://plug/status");
	assert_int_equal(extract(&n, "{\"relays\":[{\"ison\":true}],\"meters\":[{\"power\":61.36,"
				 "\"is_valid\":true,\"total\":123456}]}", &r, err), 0);
	assert_int_equal(r.have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES);
	assert_float_equal(r.watts, 61.36, 1e-9);
	assert_float_equal(r.joules, 123456.0 * 60, 1e-6);
	assert_string_equal(r.zone, "");
}

static void shelly_gen2_gives_every_quantity(void **st)
{
	struct meter_net_config n = {.url = "https://plug:8443", .preset = METER_PRESET_SHELLY_GEN2};
	struct virtmeter_reading r;
	struct http_spec spec;
	char err[200];

	(void)st;
	assert_int_equal(meter_http_spec(&n, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.url, "https://plug:8443/rpc/Switch.GetStatus?id=0");
	assert_int_equal(extract(&n, "{\"id\":0,\"output\":true,\"apower\":48.7,\"voltage\":231.4,"
				 "\"current\":0.241,\"aenergy\":{\"total\":3912.443,\"by_minute\":[1,2,3]}}",
				 &r, err), 0);
	assert_int_equal(r.have, 0xf);
	assert_float_equal(r.watts, 48.7, 1e-9);
	assert_float_equal(r.joules, 3912.443 * 3600, 1e-6);
	assert_float_equal(r.volts, 231.4, 1e-9);
	assert_float_equal(r.amperes, 0.241, 1e-9);
}

static void tasmota_total_is_kwh(void **st)
{
	struct meter_net_config n = {.url = "http://10.0.0.9", .preset = METER_PRESET_TASMOTA};
	struct virtmeter_reading r;
	struct http_spec spec;
	char err[200];

	(void)st;
	assert_int_equal(meter_http_spec(&n, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.url, "http://10.0.0.9/cm?cmnd=Status%208");
	assert_int_equal(extract(&n, "{\"StatusSNS\":{\"Time\":\"2026-01-01T00:00:00\",\"ENERGY\":"
				 "{\"Total\":12.345,\"Power\":27,\"Voltage\":229,\"Current\":0.170}}}",
				 &r, err), 0);
	assert_int_equal(r.have, 0xf);
	assert_float_equal(r.watts, 27, 1e-9);
	assert_float_equal(r.joules, 12.345 * 3.6e6, 1e-3);
	assert_float_equal(r.volts, 229, 1e-9);
	assert_float_equal(r.amperes, 0.17, 1e-9);
}

static void generic_paths_and_scales(void **st)
{
	struct meter_net_config n = {.url = "http://pdu/api/outlets", .zone = "outlet2"};
	struct virtmeter_reading r;
	char err[200];

	(void)st;
	snprintf(n.path[METER_Q_WATTS], METER_JPATH_MAX, "outlets[1].power_mw");
	snprintf(n.path[METER_Q_ENERGY], METER_JPATH_MAX, "outlets[1].energy_wh");
	snprintf(n.path[METER_Q_VOLTS], METER_JPATH_MAX, "outlets[1].voltage_dv");
	n.scale[METER_Q_WATTS] = 0.001;
	n.scale[METER_Q_ENERGY] = 3600;
	n.scale[METER_Q_VOLTS] = 0.1;
	assert_int_equal(extract(&n, "{\"outlets\":[{\"id\":1},{\"id\":2,\"power_mw\":98000,"
				 "\"energy_wh\":1000.5,\"voltage_dv\":2301}]}", &r, err), 0);
	assert_string_equal(r.zone, "outlet2");
	assert_int_equal(r.have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES | VIRTMETER_HAVE_VOLTS);
	assert_float_equal(r.watts, 98, 1e-9);
	assert_float_equal(r.joules, 1000.5 * 3600, 1e-6);
	assert_float_equal(r.volts, 230.1, 1e-9);
}

static void bad_plug_answers_are_refused_with_reason(void **st)
{
	struct meter_net_config n = {.url = "http://p", .preset = METER_PRESET_SHELLY_GEN2};
	struct virtmeter_reading r;
	char err[200];

	(void)st;
	assert_int_equal(extract(&n, "{\"apower\":\"48.7\",\"aenergy\":{\"total\":1}}", &r, err), -EINVAL);
	assert_string_equal(err, "watts at apower is a string, not a number");
	assert_int_equal(extract(&n, "{\"aenergy\":{\"total\":1}}", &r, err), -EINVAL);
	assert_string_equal(err, "no watts at apower");
	assert_int_equal(extract(&n, "{\"apower\":-3,\"aenergy\":{\"total\":1}}", &r, err), -EINVAL);
	assert_int_equal(extract(&n, "{\"apower\":1e308,\"aenergy\":{\"total\":1e308}}", &r, err), -EINVAL);
	assert_string_equal(err, "energy at aenergy.total is inf: negative or out of range");
	assert_int_equal(extract(&n, "{\"apower\":48.7,\"aenergy\":{\"tot", &r, err), -EINVAL);
	assert_true(strncmp(err, "bad JSON: ", 10) == 0);
	assert_int_equal(extract(&n, "{\"apower\": [1, 2", &r, err), -EINVAL);
	assert_string_equal(err, "bad JSON: parse error: premature EOF");
	assert_int_equal(extract(&n, "<html>\n", &r, err), -EINVAL);
	assert_string_equal(err, "bad JSON: lexical error: invalid char in json text");
	assert_int_equal(extract(&n, "<html>", &r, err), -EINVAL);
	assert_int_equal(extract(&n, "", &r, err), -EINVAL);
	/* Volts and amperes may be missing or null. */
	assert_int_equal(extract(&n, "{\"apower\":1,\"aenergy\":{\"total\":2},\"voltage\":null}", &r, err), 0);
	assert_int_equal(r.have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES);
}

static void json_nesting_is_bounded(void **st)
{
	char deep[200];
	yajl_val root;
	char err[100];

	(void)st;
	memset(deep, '[', sizeof(deep));
	assert_int_equal(meter_json_parse(deep, sizeof(deep), &root, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "JSON nested deeper than 64 levels");
}

static const char dell_power[] =
	"{\"@odata.id\":\"/redfish/v1/Chassis/System.Embedded.1/Power\","
	"\"PowerControl\":[{\"MemberId\":\"PowerControl\",\"PowerConsumedWatts\":238,"
	"\"PowerMetrics\":{\"AverageConsumedWatts\":232}}],"
	"\"PowerSupplies\":[{\"MemberId\":\"PSU.Slot.1\",\"LineInputVoltage\":null},"
	"{\"MemberId\":\"PSU.Slot.2\",\"LineInputVoltage\":232}],"
	"\"Voltages\":[{\"PhysicalContext\":\"PowerSupply\",\"ReadingVolts\":230}]}";

static void redfish_power_control_per_member(void **st)
{
	struct virtmeter_reading r[4];
	char err[200];

	(void)st;
	assert_int_equal(meter_redfish_readings(dell_power, strlen(dell_power),
						"System.Embedded.1", r, 4, err, sizeof(err)), 1);
	assert_string_equal(r[0].zone, "System.Embedded.1/PowerControl");
	assert_int_equal(r[0].have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_VOLTS);
	assert_float_equal(r[0].watts, 238, 0);
	assert_float_equal(r[0].volts, 232, 0);
}

static void redfish_two_members_and_voltage_sensor(void **st)
{
	static const char hpe[] =
		"{\"PowerControl\":[{\"@odata.id\":\"/redfish/v1/Chassis/1/Power/#PowerControl/0\","
		"\"MemberId\":\"0\",\"PowerConsumedWatts\":142.5},"
		"{\"PowerConsumedWatts\":null},{\"PowerConsumedWatts\":20}],"
		"\"Voltages\":[{\"PhysicalContext\":\"SystemBoard\",\"ReadingVolts\":12},"
		"{\"PhysicalContext\":\"PowerSupply\",\"ReadingVolts\":208}]}";
	struct virtmeter_reading r[4];
	char err[200];

	(void)st;
	assert_int_equal(meter_redfish_readings(hpe, strlen(hpe), "1", r, 4, err,
						sizeof(err)), 2);
	assert_string_equal(r[0].zone, "1/0");
	assert_float_equal(r[0].watts, 142.5, 0);
	assert_float_equal(r[0].volts, 208, 0);
	assert_string_equal(r[1].zone, "1/2");
	assert_int_equal(r[1].have, VIRTMETER_HAVE_WATTS);
}

static void redfish_environment_metrics_kwh_to_joules(void **st)
{
	static const char env[] =
		"{\"@odata.type\":\"#EnvironmentMetrics.v1_3_0.EnvironmentMetrics\","
		"\"TemperatureCelsius\":{\"Reading\":22.5},"
		"\"PowerWatts\":{\"DataSourceUri\":\"/x\",\"Reading\":374.12},"
		"\"EnergykWh\":{\"Reading\":36166.40325}}";
	static const char psu[] =
		"{\"InputVoltage\":{\"Reading\":230.5},\"InputCurrentAmps\":{\"Reading\":1.25},"
		"\"InputPowerWatts\":{\"Reading\":288},\"EnergyJoules\":{\"Reading\":5e6}}";
	struct virtmeter_reading r[2];
	char err[200];

	(void)st;
	assert_int_equal(meter_redfish_readings(env, strlen(env), "1U", r, 2, err,
						sizeof(err)), 1);
	assert_string_equal(r[0].zone, "1U");
	assert_int_equal(r[0].have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES);
	assert_float_equal(r[0].watts, 374.12, 0);
	assert_float_equal(r[0].joules, 36166.40325 * 3.6e6, 1e-3);
	assert_int_equal(meter_redfish_readings(psu, strlen(psu), "c:1", r, 2, err,
						sizeof(err)), 1);
	assert_int_equal(r[0].have, 0xf);
	assert_float_equal(r[0].joules, 5e6, 0);
	assert_float_equal(r[0].amperes, 1.25, 0);
	assert_float_equal(r[0].volts, 230.5, 0);
}

static void redfish_bad_answers(void **st)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
		{"<html>restarting</html>", NULL},
		{"[1,2]", "the answer is not a JSON object"},
		{"{\"PowerControl\":[{\"PowerConsumedWatts\":\"238 W\"}]}",
		 "PowerControl[].PowerConsumedWatts is not a number"},
		{"{\"PowerControl\":[{\"PowerConsumedWatts\":null}]}",
		 "no PowerControl member has a PowerConsumedWatts reading (is the host powered off?)"},
		{"{\"PowerControl\":{}}", "PowerControl is not a list"},
		{"{\"PowerWatts\":{\"Reading\":-1}}", "PowerWatts.Reading is -1: negative or out of range"},
		{"{\"PowerWatts\":{\"Reading\":null}}", "no PowerWatts, EnergyJoules or EnergykWh reading"},
		{"{\"Id\":\"Thermal\"}", "neither PowerControl nor PowerWatts nor EnergykWh: not a "
					 "Power or EnvironmentMetrics resource"},
		{"{\"PowerControl\":[{\"PowerConsumedWatts\":238}", NULL},
	};
	struct virtmeter_reading r[2];
	char err[200];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(meter_redfish_readings(bad[i].json, strlen(bad[i].json), "1",
							r, 2, err, sizeof(err)), -EINVAL);
		if (bad[i].why)
			assert_string_equal(err, bad[i].why);
	}
}

static void redfish_collection_and_links(void **st)
{
	static const char coll[] =
		"{\"Members\":[{\"@odata.id\":\"/redfish/v1/Chassis/1/\"},{\"@odata.id\":7},"
		"{\"@odata.id\":\"../etc\"},{\"@odata.id\":\"/redfish/v1/Chassis/Enclosure.Internal.0-1\"}]}";
	static const char chassis[] =
		"{\"Id\":\"1U\",\"Power\":{\"@odata.id\":\"/redfish/v1/Chassis/1U/Power\"},"
		"\"EnvironmentMetrics\":{\"@odata.id\":\"/redfish/v1/Chassis/1U/EnvironmentMetrics\"}}";
	char ids[4][RF_PATH_MAX], id[64], err[200];
	struct rf_links l;

	(void)st;
	assert_int_equal(meter_redfish_members(coll, strlen(coll), ids, 4, err, sizeof(err)), 2);
	assert_string_equal(ids[0], "/redfish/v1/Chassis/1/");
	assert_string_equal(ids[1], "/redfish/v1/Chassis/Enclosure.Internal.0-1");
	meter_redfish_id(ids[0], id, sizeof(id));
	assert_string_equal(id, "1");
	assert_int_equal(meter_redfish_members("{}", 2, ids, 4, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a Redfish collection: no Members list");
	assert_int_equal(meter_redfish_links(chassis, strlen(chassis), &l, err, sizeof(err)), 0);
	assert_string_equal(l.env, "/redfish/v1/Chassis/1U/EnvironmentMetrics");
	assert_string_equal(l.power, "/redfish/v1/Chassis/1U/Power");
}

static void redfish_power_subsystem_to_supply_metrics(void **st)
{
	static const char chassis[] =
		"{\"@odata.type\":\"#Chassis.v1_14_0.Chassis\",\"Id\":\"1\","
		"\"PowerSubsystem\":{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem\"},"
		"\"Power\":{\"@odata.id\":\"/redfish/v1/Chassis/1/Power\"}}";
	static const char subsystem[] =
		"{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem\","
		"\"@odata.type\":\"#PowerSubsystem.v1_1_0.PowerSubsystem\",\"CapacityWatts\":1600,"
		"\"PowerSupplies\":{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies\"}}";
	static const char supplies[] =
		"{\"@odata.type\":\"#PowerSupplyCollection.PowerSupplyCollection\","
		"\"Members\":[{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay1\"},"
		"{\"Id\":\"Bay2\"},"
		"{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay 3\"}],"
		"\"Members@odata.count\":3}";
	static const char supply[] =
		"{\"@odata.type\":\"#PowerSupply.v1_5_0.PowerSupply\",\"Id\":\"Bay1\","
		"\"Metrics\":{\"@odata.id\":\"/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay1/Metrics\"}}";
	static const char empty_bay[] =
		"{\"Id\":\"Bay3\",\"Status\":{\"State\":\"Absent\"},\"Metrics\":{}}";
	static const char metrics[] =
		"{\"@odata.type\":\"#PowerSupplyMetrics.v1_0_0.PowerSupplyMetrics\","
		"\"InputVoltage\":{\"Reading\":230.1},\"InputCurrentAmps\":{\"Reading\":0.79},"
		"\"InputPowerWatts\":{\"Reading\":181.5},\"OutputPowerWatts\":{\"Reading\":167},"
		"\"EnergykWh\":{\"Reading\":1.25}}";
	char ids[RF_MAX_PSUS][RF_PATH_MAX], link[RF_PATH_MAX], id[64], err[200];
	struct virtmeter_reading r;
	struct rf_links l;

	(void)st;
	assert_int_equal(meter_redfish_links(chassis, strlen(chassis), &l, err, sizeof(err)), 0);
	assert_string_equal(l.env, "");
	assert_string_equal(l.subsystem, "/redfish/v1/Chassis/1/PowerSubsystem");
	assert_string_equal(l.power, "/redfish/v1/Chassis/1/Power");
	assert_int_equal(meter_redfish_link(subsystem, strlen(subsystem), "PowerSupplies",
					    link, err, sizeof(err)), 0);
	assert_string_equal(link, "/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies");
	/* A member without @odata.id or with a space in it is skipped. */
	assert_int_equal(meter_redfish_members(supplies, strlen(supplies), ids, RF_MAX_PSUS,
					       err, sizeof(err)), 1);
	assert_string_equal(ids[0], "/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay1");
	meter_redfish_id(ids[0], id, sizeof(id));
	assert_string_equal(id, "Bay1");
	assert_int_equal(meter_redfish_link(supply, strlen(supply), "Metrics", link, err,
					    sizeof(err)), 0);
	assert_string_equal(link, "/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay1/Metrics");
	assert_int_equal(meter_redfish_link(empty_bay, strlen(empty_bay), "Metrics", link, err,
					    sizeof(err)), -ENOENT);
	assert_string_equal(err, "no Metrics link");
	assert_string_equal(link, "");
	assert_int_equal(meter_redfish_link("[]", 2, "Metrics", link, err, sizeof(err)), -EINVAL);

	assert_int_equal(meter_redfish_psu_readings(metrics, strlen(metrics), "1", "Bay1", &r,
						    err, sizeof(err)), 1);
	assert_string_equal(r.zone, "1/Bay1");
	assert_int_equal(r.have, 0xf);
	assert_float_equal(r.watts, 181.5, 0);
	assert_float_equal(r.joules, 1.25 * 3.6e6, 0);
	assert_float_equal(r.volts, 230.1, 0);
	assert_float_equal(r.amperes, 0.79, 0);
	assert_int_equal(meter_redfish_psu_readings(metrics, strlen(metrics), "Chassis 1", "PSU#2",
						    &r, err, sizeof(err)), 1);
	assert_string_equal(r.zone, "Chassis_1/PSU_2");
}

static void redfish_bad_supply_metrics(void **st)
{
	static const char off[] =
		"{\"InputPowerWatts\":{\"Reading\":null},\"InputVoltage\":{\"Reading\":0}}";
	static const char wrong[] = "{\"InputPowerWatts\":{\"Reading\":\"181 W\"}}";
	struct virtmeter_reading r;
	char err[200];

	(void)st;
	assert_int_equal(meter_redfish_psu_readings(off, strlen(off), "1", "Bay1", &r, err,
						    sizeof(err)), 0);
	assert_string_equal(err, "no InputPowerWatts, EnergyJoules or EnergykWh reading "
			    "(is the power supply off?)");
	assert_int_equal(meter_redfish_psu_readings(wrong, strlen(wrong), "1", "Bay1", &r, err,
						    sizeof(err)), -EINVAL);
	assert_string_equal(err, "InputPowerWatts.Reading is not a number");
	assert_int_equal(meter_redfish_psu_readings("{\"InputPowerWatts\":", 19, "1", "Bay1",
						    &r, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, "bad JSON: ", 10) == 0);
}

static void url_shown_hides_secret_parameters(void **st)
{
	char out[256];

	(void)st;
	meter_url_shown("http://t/cm?cmnd=Status%208&user=admin&password=x%26y", out, sizeof(out));
	assert_string_equal(out, "http://t/cm?cmnd=Status%208&user=***&password=***");
	meter_url_shown("https://p/api?apiKey=abc&outlet=2&Token=t#frag", out, sizeof(out));
	assert_string_equal(out, "https://p/api?apiKey=***&outlet=2&Token=***#frag");
	meter_url_shown("http://p/status", out, sizeof(out));
	assert_string_equal(out, "http://p/status");
	meter_url_shown("http://p/?&&pass&x=1", out, sizeof(out));
	assert_string_equal(out, "http://p/?&&pass&x=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jpath_parses_members_and_indexes),
		cmocka_unit_test(jpath_refuses_bad_syntax_with_offset),
		cmocka_unit_test(jpath_more_than_16_steps_refused),
		cmocka_unit_test(shelly_gen1_total_is_watt_minutes),
		cmocka_unit_test(shelly_gen2_gives_every_quantity),
		cmocka_unit_test(tasmota_total_is_kwh),
		cmocka_unit_test(generic_paths_and_scales),
		cmocka_unit_test(bad_plug_answers_are_refused_with_reason),
		cmocka_unit_test(json_nesting_is_bounded),
		cmocka_unit_test(redfish_power_control_per_member),
		cmocka_unit_test(redfish_two_members_and_voltage_sensor),
		cmocka_unit_test(redfish_environment_metrics_kwh_to_joules),
		cmocka_unit_test(redfish_bad_answers),
		cmocka_unit_test(redfish_collection_and_links),
		cmocka_unit_test(redfish_power_subsystem_to_supply_metrics),
		cmocka_unit_test(redfish_bad_supply_metrics),
		cmocka_unit_test(url_shown_hides_secret_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
