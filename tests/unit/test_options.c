/* Unit tests of command-line parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exporter/api/collector.h"
#include "exporter/options.h"

static struct options o;
static char err[512];

/* Parses a NULL-terminated argument list (program name added). */
static int parse(const char *const *args)
{
	char *argv[32] = {"virtmeter"};
	int argc = 1;

	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	err[0] = '\0';
	opts_free(&o);
	return opts_parse(argc, argv, &o, err, sizeof(err));
}

static void defaults_listen_on_the_virtmeter_port(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){NULL}), 0);
	assert_int_equal(o.nlisten, 1);
	assert_string_equal(o.listen[0], ":" VIRTMETER_DEFAULT_PORT);
	assert_string_equal(o.telemetry_path, "/metrics");
	assert_string_equal(o.procfs, "/proc");
	assert_int_equal(o.log_level, LOG_LVL_INFO);
	assert_int_equal(o.collector_flag[0], -1);
}

static void listen_address_repeats_in_both_spellings(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--web.listen-address=127.0.0.1:1",
		"--web.listen-address", "[::1]:2", NULL}), 0);
	assert_int_equal(o.nlisten, 2);
	assert_string_equal(o.listen[0], "127.0.0.1:1");
	assert_string_equal(o.listen[1], "[::1]:2");
}

static void collector_flags_switch_collectors(void **state)
{
	int host = collector_find("host");

	(void)state;
	assert_true(host >= 0);
	assert_int_equal(parse((const char *[]){"--no-collector.host", NULL}), 0);
	assert_int_equal(o.collector_flag[host], 0);
	assert_int_equal(parse((const char *[]){"--collector.host", NULL}), 0);
	assert_int_equal(o.collector_flag[host], 1);
}

static void unknown_collector_is_named_in_the_error(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--collector.nosuch", NULL}), -EINVAL);
	assert_non_null(strstr(err, "nosuch"));
}

static void unknown_flag_is_named_in_the_error(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--web.listen-adress=:1", NULL}), -EINVAL);
	assert_non_null(strstr(err, "--web.listen-adress"));
	assert_int_equal(parse((const char *[]){"stray", NULL}), -EINVAL);
	assert_non_null(strstr(err, "stray"));
}

static void bad_values_are_rejected_with_the_flag_named(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--log.level=loud", NULL}), -EINVAL);
	assert_string_equal(err, "--log.level: invalid value 'loud' (expected "
				 "error, warn, info or debug)");
	assert_int_equal(parse((const char *[]){"--log.format=xml", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.max-connections=0", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.max-connections=12x", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=metrics", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=/healthz", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--check-config=yes", NULL}), -EINVAL);
}

/* A value that would only fail once the daemon runs (a listen address
 * it cannot parse, a root that is not there, a path that no decoded
 * request can match) fails the command line instead. */
static void values_that_would_fail_later_fail_the_command_line(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--web.listen-address=foo", NULL}), -EINVAL);
	assert_non_null(strstr(err, "--web.listen-address: invalid value 'foo'"));
	assert_int_equal(parse((const char *[]){"--web.listen-address=:65536", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.listen-address=::1:80", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.listen-address=[::1]:80",
		"--web.listen-address=localhost:0", NULL}), 0);
	assert_int_equal(parse((const char *[]){"--path.procfs=/nonexistent-root", NULL}), -EINVAL);
	assert_string_equal(err, "--path.procfs: '/nonexistent-root': No such file or directory");
	assert_int_equal(parse((const char *[]){"--path.sysfs=/dev/null", NULL}), -EINVAL);
	assert_string_equal(err, "--path.sysfs: '/dev/null' is not a directory");
	assert_int_equal(parse((const char *[]){"--path.cgroupfs=", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=/a/../metrics", NULL}), -EINVAL);
	assert_non_null(strstr(err, "must be a plain path"));
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=/m%65trics", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=/m etrics", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--web.telemetry-path=/prom/metrics-1.0", NULL}), 0);
	/* Settings fine alone but not together: without a file, which could
	 * set the other one, the pair is checked on the command line. */
	assert_int_equal(parse((const char *[]){"--collector.model.estimate-min-watts=5",
		"--collector.model.estimate-max-watts=1", NULL}), -EINVAL);
	assert_string_equal(err, "collector model: estimate-max-watts (1) is below "
				 "estimate-min-watts (5)");
	assert_int_equal(parse((const char *[]){"--collector.model.estimate-min-watts=5",
		"--config.file=/x.yml", NULL}), 0);
	assert_int_equal(parse((const char *[]){"--collector.model.host-meter=wall,rapl/package-0",
		NULL}), 0);
	assert_int_equal(parse((const char *[]){"--collector.model.host-meter=rapl/", NULL}), -EINVAL);
	assert_non_null(strstr(err, "expected METER or METER/ZONE"));
	assert_int_equal(parse((const char *[]){"--collector.model.host-meter=a/b/c", NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--collector.model.host-meter=my meter", NULL}), -EINVAL);
}

static void web_limits_default_and_parse(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){NULL}), 0);
	assert_int_equal(o.max_connections, 4096);
	assert_int_equal(o.max_requests, 40);
	assert_int_equal(parse((const char *[]){"--web.max-requests=0", NULL}), 0);
	assert_int_equal(o.max_requests, 0);
	assert_int_equal(parse((const char *[]){"--web.max-requests", "7", NULL}), 0);
	assert_int_equal(o.max_requests, 7);
	assert_int_equal(parse((const char *[]){"--web.max-requests=-1", NULL}), -EINVAL);
	assert_string_equal(err, "--web.max-requests: invalid value '-1' (expected a "
				 "whole number from 0 to 100000)");
	assert_int_equal(parse((const char *[]){"--web.max-requests=100001", NULL}), -EINVAL);
}

static void missing_value_is_reported(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--config.file", NULL}), -EINVAL);
	assert_non_null(strstr(err, "--config.file needs a value"));
}

static void values_are_stored(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--log.level=debug", "--log.format",
		"json", "--web.max-connections=7", "--web.timeout=3s",
		"--path.procfs=/tmp", "--config.file=/x.yml", "--check-config",
		"--web.telemetry-path=/m", NULL}), 0);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	assert_int_equal(o.log_format, LOG_FMT_JSON);
	assert_int_equal(o.max_connections, 7);
	assert_int_equal(o.timeout_s, 3);
	assert_string_equal(o.procfs, "/tmp");
	assert_string_equal(o.config_file, "/x.yml");
	assert_true(o.check_config);
	assert_string_equal(o.telemetry_path, "/m");
}

static void collector_settings_are_checked_on_the_command_line(void **state)
{
	(void)state;
	assert_int_equal(parse((const char *[]){"--collector.cgroup.idle-cycles=4",
		"--no-collector.cgroup.io-uring", "--collector.cgroup.include",
		"web*,db*", NULL}), 0);
	assert_int_equal(o.nflags, 3);
	assert_string_equal(o.flags[0].opt->key, "idle-cycles");
	assert_string_equal(o.flags[0].value, "4");
	assert_string_equal(o.flags[1].value, "false");
	assert_string_equal(o.flags[2].value, "web*,db*");
	/* A value the configuration would refuse is a bad command line. */
	assert_int_equal(parse((const char *[]){"--collector.cgroup.idle-cycles=0",
		NULL}), -EINVAL);
	assert_string_equal(err, "--collector.cgroup.idle-cycles=0: expected a "
				 "whole number from 1 to 1000, got '0'");
	assert_int_equal(parse((const char *[]){"--collector.cgroup.io-uring=maybe",
		NULL}), -EINVAL);
	assert_non_null(strstr(err, "expected true or false"));
	assert_int_equal(parse((const char *[]){"--collector.cgroup.idle-cycles",
		NULL}), -EINVAL);
	assert_non_null(strstr(err, "needs a value (N)"));
	assert_int_equal(parse((const char *[]){"--no-collector.cgroup.include",
		NULL}), -EINVAL);
	assert_int_equal(parse((const char *[]){"--collector.cgroup.colour=red",
		NULL}), -EINVAL);
	assert_non_null(strstr(err, "collector 'cgroup' has no setting 'colour'"));
}

static void disable_defaults_leaves_only_what_is_turned_on(void **state)
{
	int host = collector_find("host");

	(void)state;
	assert_int_equal(parse((const char *[]){NULL}), 0);
	assert_false(o.disable_defaults);
	assert_true(opts_collector_enabled(&o, (size_t)host, -1, true));
	assert_false(opts_collector_enabled(&o, (size_t)host, -1, false));
	assert_int_equal(parse((const char *[]){"--collector.disable-defaults",
						NULL}),
			 0);
	assert_true(o.disable_defaults);
	assert_false(opts_collector_enabled(&o, (size_t)host, -1, true));
	/* The file's "enabled: true" turns a collector on again... */
	assert_true(opts_collector_enabled(&o, (size_t)host, 1, true));
	assert_false(opts_collector_enabled(&o, (size_t)host, 0, true));
	/* ...and a flag wins over the file either way. */
	assert_int_equal(parse((const char *[]){"--collector.disable-defaults",
						"--collector.host", NULL}),
			 0);
	assert_true(opts_collector_enabled(&o, (size_t)host, -1, true));
	assert_true(opts_collector_enabled(&o, (size_t)host, 0, true));
	assert_int_equal(parse((const char *[]){"--collector.disable-defaults",
						"--no-collector.host", NULL}),
			 0);
	assert_false(opts_collector_enabled(&o, (size_t)host, 1, true));
	assert_int_equal(parse((const char *[]){"--collector.disable-defaults=1",
						NULL}),
			 -EINVAL);
	assert_non_null(strstr(err, "--collector.disable-defaults takes no value"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_listen_on_the_virtmeter_port),
		cmocka_unit_test(listen_address_repeats_in_both_spellings),
		cmocka_unit_test(collector_flags_switch_collectors),
		cmocka_unit_test(collector_settings_are_checked_on_the_command_line),
		cmocka_unit_test(unknown_collector_is_named_in_the_error),
		cmocka_unit_test(unknown_flag_is_named_in_the_error),
		cmocka_unit_test(bad_values_are_rejected_with_the_flag_named),
		cmocka_unit_test(missing_value_is_reported),
		cmocka_unit_test(values_that_would_fail_later_fail_the_command_line),
		cmocka_unit_test(web_limits_default_and_parse),
		cmocka_unit_test(values_are_stored),
		cmocka_unit_test(disable_defaults_leaves_only_what_is_turned_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
