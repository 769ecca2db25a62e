/* Unit tests of the keys of the redfish, http and powerspy meters in the
 * meters: section: what a valid list sets, and that each mistake (missing
 * url, both password and password_file, unknown preset, a preset with its
 * own paths...) names its line and column. */
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
#include "exporter/config.h"

#ifdef HAVE_LIBYAML

#if defined(HAVE_LIBCURL) && defined(HAVE_YAJL)
#define HAVE_NET_METERS 1
#endif

#include "tests/unit/config_test.h"

/* The meters: list of the power collector in cfg. */
#define METERS(cfg) ((const struct power_settings *)collector_of(cfg, "power")->settings)

#ifdef HAVE_NET_METERS
static void net_meters_set_their_keys(void **st)
{
	static const char text[] =
		"meters:\n"
		"  - name: bmc\n"
		"    type: redfish\n"
		"    url: https://bmc.example:8443\n"
		"    auth: session\n"
		"    username: monitor\n"
		"    password_file: /etc/virtmeter/bmc.pass\n"
		"    ca_file: /etc/virtmeter/bmc-ca.pem\n"
		"    timeout: 3s\n"
		"  - name: plug\n"
		"    type: http\n"
		"    preset: shelly_gen2\n"
		"    url: http://192.0.2.7\n"
		"  - name: pdu\n"
		"    type: http\n"
		"    url: http://pdu/api/outlets\n"
		"    zone: outlet2\n"
		"    watts_path: outlets[1].power_mw\n"
		"    watts_scale: 0.001\n"
		"    energy_path: outlets[1].energy_wh\n"
		"    energy_unit: Wh\n"
		"    tls_insecure: true\n"
		"  - name: spy\n"
		"    type: powerspy\n"
		"    device: /dev/rfcomm0\n";
	struct config *cfg = NULL;
	struct config_error err;
	const struct meter_net_config *n;

	(void)st;
	if (parse(text, &cfg, &err))
		fail_msg("%u:%u %s", err.line, err.column, err.msg);
	assert_int_equal(METERS(cfg)->n, 4);
	n = &METERS(cfg)->m[0].net;
	assert_string_equal(METERS(cfg)->m[0].kind->name, "redfish");
	assert_string_equal(n->url, "https://bmc.example:8443");
	assert_int_equal(n->auth, METER_AUTH_SESSION);
	assert_string_equal(n->username, "monitor");
	assert_string_equal(n->password_file, "/etc/virtmeter/bmc.pass");
	assert_string_equal(n->ca_file, "/etc/virtmeter/bmc-ca.pem");
	assert_int_equal(METERS(cfg)->m[0].timeout_ms, 3000);
	n = &METERS(cfg)->m[1].net;
	assert_string_equal(METERS(cfg)->m[1].kind->name, "http");
	assert_int_equal(n->preset, METER_PRESET_SHELLY_GEN2);
	n = &METERS(cfg)->m[2].net;
	assert_string_equal(n->zone, "outlet2");
	assert_string_equal(n->path[METER_Q_WATTS], "outlets[1].power_mw");
	assert_float_equal(n->scale[METER_Q_WATTS], 0.001, 0);
	assert_float_equal(n->scale[METER_Q_ENERGY], 3600, 0);
	assert_int_equal(n->tls_insecure, 1);
	assert_string_equal(METERS(cfg)->m[3].kind->name, "powerspy");
	assert_string_equal(METERS(cfg)->m[3].net.device, "/dev/rfcomm0");
	config_free(cfg);
	cfg = NULL;
}

#endif /* HAVE_NET_METERS */

static void net_meter_mistakes_name_line_and_column(void **st)
{
	static const struct ct_refusal bad[] = {
#ifdef HAVE_NET_METERS
		{"meters:\n  - name: b\n    type: redfish\n    username: u\n    password: p\n",
		 2, 5, "needs a url"},
		{"meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n", 2, 5,
		 "needs a username and a password"},
		{"meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n    username: u\n"
		 "    password: p\n    password_file: /p\n", 7, 20,
		 "give password or password_file, not both"},
		{"meters:\n  - name: b\n    type: redfish\n    url: ftp://bmc\n", 4, 10,
		 "starting with http:// or https://"},
		{"meters:\n  - name: b\n    type: redfish\n    url: https://user:secret@bmc/\n", 4, 10,
		 "not in the URL"},
		{"meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n    auth: digest\n",
		 5, 11, "unknown value"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    preset: kasa\n", 5, 13,
		 "unknown value 'kasa'"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n", 2, 5,
		 "needs a preset"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    preset: tasmota\n"
		 "    watts_path: a.b\n", 6, 17, "a preset sets the JSON paths"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    watts_path: a..b\n",
		 5, 17, "not a JSON path like a.b[0].c: expected a member name at byte 3"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    watts_path: a\n"
		 "    watts_scale: -1\n", 6, 18, "expected a number greater than 0"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    watts_path: a\n"
		 "    energy_unit: Wh\n", 6, 18, "no energy_path to scale"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    energy_path: a\n"
		 "    energy_unit: BTU\n", 6, 18, "unknown energy unit"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    preset: tasmota\n"
		 "    username: u\n", 6, 15, "needs a password or password_file"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    preset: tasmota\n"
		 "    auth: session\n", 6, 11, "not a setting of a meter of type http"},
		{"meters:\n  - name: p\n    type: http\n    url: http://p\n    preset: tasmota\n"
		 "    zone: a b\n", 6, 11, "a zone holds only"},
#endif
		{"meters:\n  - name: s\n    type: powerspy\n", 2, 5, "needs a device"},
		{"meters:\n  - name: s\n    type: powerspy\n    device: rfcomm0\n", 4, 13,
		 "expected an absolute path"},
		{"meters:\n  - name: s\n    type: powerspy\n    device: /dev/rfcomm0\n"
		 "    url: http://x\n", 5, 10, "not a setting of a meter of type powerspy"},
#ifdef HAVE_NET_METERS
		{"meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n    username: u\n"
		 "    password: p\n    tls_insecure: true\n    ca_file: /ca.pem\n", 7, 19,
		 "ca_file"},
#else
		{"meters:\n  - name: b\n    type: redfish\n    url: https://bmc\n", 2, 5,
		 "built without libcurl or yajl, which meters of type redfish need"},
		{"meters:\n  - name: p\n    type: http\n    preset: tasmota\n", 2, 5,
		 "built without libcurl or yajl, which meters of type http need"},
#endif
	};

	(void)st;
	assert_refusals(bad, sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef HAVE_NET_METERS
		cmocka_unit_test(net_meters_set_their_keys),
#endif
		cmocka_unit_test(net_meter_mistakes_name_line_and_column),
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
