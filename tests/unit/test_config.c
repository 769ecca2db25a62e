/* Unit tests of the configuration file parser: what valid files set, and
 * that every kind of bad input is refused with the right line, column and
 * message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "build-config.h"
#include "exporter/config.h"

static void durations_parse_to_milliseconds(void **state)
{
	static const struct {
		const char *s;
		unsigned ms;
	} good[] = {
		{"500ms", 500}, {"5s", 5000}, {"1m", 60000}, {"1.5s", 1500},
		{"2h", 7200000}, {"3", 3000}, {"0.25", 250}, {"24h", 86400000},
		{"1ms", 1}, {"1440m", 86400000}, {"007s", 7000}, {"1.", 1000},
	};
	/* Zero, signs, spaces, other units, trailing junk, what strtod alone
	 * would take (exponents, hex, inf, nan), overflow and over a day. */
	static const char *const bad[] = {
		"", "0", "0s", "0.0001s", "-5s", "+5s", " 5s", "5s ", "5 s",
		"5sec", "abc", "5x", "1.2.3s", ".", "s", "inf", "nan", "1e3",
		"0x10", "24.001h", "25h", "86401", "1d",
		"99999999999999999999999999999999999999999999s",
	};
	unsigned ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 0;
		if (config_parse_duration(good[i].s, &ms) != 0 || ms != good[i].ms)
			fail_msg("'%s' gave %u, want %u", good[i].s, ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 42;
		if (config_parse_duration(bad[i], &ms) != -EINVAL || ms != 42)
			fail_msg("'%s' was accepted as %u", bad[i], ms);
	}
	assert_int_equal(config_parse_duration(NULL, &ms), -EINVAL);
}

#ifdef HAVE_LIBYAML

enum { HOST, PROCESS, LIBVIRT };

static const char *const known[] = {"host", "process", "libvirt", NULL};

#include "tests/unit/config_test.h"

static void assert_all_unset(const struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_MAX_COLLECTORS; i++) {
		assert_int_equal(cfg->collectors[i].enabled, -1);
		assert_int_equal(cfg->collectors[i].interval_ms, 0);
		assert_int_equal(cfg->collectors[i].timeout_ms, 0);
	}
	assert_int_equal(cfg->cgroup.include.n, 0);
	assert_int_equal(cfg->cgroup.exclude.n, 0);
	assert_false(cfg->meters.present);
	assert_int_equal(cfg->meters.n, 0);
	assert_null(cfg->meters.m);
}

static void full_config_sets_each_collector(void **state)
{
	struct config cfg;
	struct config_error err;
	const char *text = "# virtmeter\n"
			   "collectors:\n"
			   "  host:\n"
			   "    enabled: true\n"
			   "    interval: 5s\n"
			   "    timeout: 1.5s\n"
			   "  process:\n"
			   "    enabled: off\n"
			   "    interval: \"500ms\"\n"
			   "  libvirt: {enabled: yes, interval: 2, timeout: 1m}\n";

	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.collectors[HOST].enabled, 1);
	assert_int_equal(cfg.collectors[HOST].interval_ms, 5000);
	assert_int_equal(cfg.collectors[HOST].timeout_ms, 1500);
	assert_int_equal(cfg.collectors[PROCESS].enabled, 0);
	assert_int_equal(cfg.collectors[PROCESS].interval_ms, 500);
	assert_int_equal(cfg.collectors[PROCESS].timeout_ms, 0);
	assert_int_equal(cfg.collectors[LIBVIRT].enabled, 1);
	assert_int_equal(cfg.collectors[LIBVIRT].interval_ms, 2000);
	assert_int_equal(cfg.collectors[LIBVIRT].timeout_ms, 60000);
	assert_int_equal(cfg.collectors[3].enabled, -1);
}

static void empty_file_leaves_everything_unset(void **state)
{
	struct config cfg;
	struct config_error err;

	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(config_parse("", 0, "test.yml", known, &cfg, &err), 0);
	assert_all_unset(&cfg);
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(config_parse(NULL, 0, "test.yml", known, &cfg, &err), 0);
	assert_all_unset(&cfg);
}

static void comment_only_file_leaves_everything_unset(void **state)
{
	struct config cfg;
	struct config_error err;

	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(parse("# nothing here\n\n   # still nothing\n", &cfg, &err), 0);
	assert_all_unset(&cfg);
}

static void empty_sections_leave_everything_unset(void **state)
{
	struct config cfg;
	struct config_error err;

	assert_int_equal(parse("---\n", &cfg, &err), 0);
	assert_all_unset(&cfg);
	assert_int_equal(parse("collectors:\n", &cfg, &err), 0);
	assert_all_unset(&cfg);
	assert_int_equal(parse("collectors:\n  host:\n  process: {}\n", &cfg, &err), 0);
	assert_all_unset(&cfg);
}

static void unknown_top_level_key_is_refused_at_its_line(void **state)
{
	assert_fails("collectors:\n  host:\n    enabled: true\ncolectors:\n", 4, 1,
		     "unknown key 'colectors' at the top level (known: collectors, cgroup, meters, perf)");
}

static void unknown_collector_lists_the_known_ones(void **state)
{
	assert_fails("collectors:\n  host: {}\n  gpu:\n    enabled: true\n", 3, 3,
		     "unknown collector 'gpu' in collectors (known: host, process, libvirt)");
}

static void unknown_collector_setting_names_its_path(void **state)
{
	assert_fails("collectors:\n  host:\n    enable: true\n", 3, 5,
		     "unknown key 'enable' in collectors.host");
}

static void bad_bool_names_path_and_value(void **state)
{
	assert_fails("collectors:\n  host:\n    enabled: maybe\n", 3, 14,
		     "collectors.host.enabled: expected true or false, got 'maybe'");
	assert_fails("collectors:\n  host:\n    enabled: \"true\"\n", 3, 14,
		     "quoted string 'true' (remove the quotes)");
	assert_fails("collectors:\n  host:\n    enabled:\n", 3, 13,
		     "collectors.host.enabled: expected true or false, got nothing");
	assert_fails("collectors:\n  host:\n    enabled: [true]\n", 3, 14,
		     "got a list");
}

static void bad_duration_names_path_and_value(void **state)
{
	assert_fails("collectors:\n  host:\n    interval: abc\n", 3, 15,
		     "collectors.host.interval: expected a duration like 5s");
	assert_fails("collectors:\n  host:\n    interval: abc\n", 3, 15,
		     "got 'abc'");
	assert_fails("collectors:\n  process:\n    timeout: 0s\n", 3, 14,
		     "collectors.process.timeout: expected a duration");
	assert_fails("collectors:\n  process:\n    timeout: \"5\\0s\"\n", 3, 14,
		     "got '5?s'");
}

static void duplicate_key_is_refused_at_the_second(void **state)
{
	assert_fails("collectors:\n  host:\n    enabled: true\n    enabled: false\n",
		     4, 5, "duplicate key 'enabled' in collectors.host (first at line 3)");
	assert_fails("collectors:\n  host: {}\n  host: {}\n", 3, 3,
		     "duplicate key 'host' in collectors");
	assert_fails("collectors: {}\ncollectors: {}\n", 2, 1,
		     "duplicate key 'collectors' at the top level");
}

static void non_mapping_top_level_is_refused(void **state)
{
	assert_fails("- collectors\n- host\n", 1, 1,
		     "the top level must be a mapping of 'key: value' lines, got a list");
	assert_fails("hello\n", 1, 1, "got 'hello'");
	assert_fails("collectors: [host]\n", 1, 13,
		     "collectors: expected a mapping of collectors (known: host, "
		     "process, libvirt), got a list");
	assert_fails("collectors:\n  host: yes\n", 2, 9,
		     "collectors.host: expected a mapping of keys (known: enabled, "
		     "interval, timeout), got 'yes'");
}

static void non_name_key_is_refused(void **state)
{
	assert_fails("? [a, b]\n: c\n", 1, 3,
		     "keys must be names, got a list (at the top level)");
}

static void yaml_syntax_error_reports_libyaml_problem(void **state)
{
	assert_fails("collectors:\n  host:\n    enabled: true\n   interval: 5s\n",
		     4, 4, "YAML syntax error: did not find expected key");
	assert_fails("collectors: {host: \n", 2, 1, "YAML syntax error: ");
	assert_fails("collectors:\n  host: \"open\n", 3, 1,
		     "found unexpected end of stream");
	assert_fails("collectors:\n\thost: {}\n", 2, 1,
		     "YAML does not allow tabs for indentation");
}

static void invalid_utf8_is_refused_at_its_position(void **state)
{
	assert_fails("collectors:\n  h\xffst: {}\n", 2, 4, "invalid YAML input: ");
}

static void aliases_anchors_and_tags_are_refused(void **state)
{
	assert_fails("collectors:\n  host: &h {enabled: true}\n  process: *h\n", 2, 9,
		     "anchors (&h) are not supported");
	assert_fails("collectors:\n  host:\n    enabled: *x\n", 3, 14,
		     "aliases (*x) are not supported");
	assert_fails("collectors:\n  host:\n    enabled: !!bool true\n", 3, 14,
		     "tags (tag:yaml.org,2002:bool) are not supported");
}

static void second_document_is_refused(void **state)
{
	assert_fails("collectors: {}\n---\ncollectors: {}\n", 2, 1,
		     "only one YAML document is allowed");
}

static void input_over_one_mib_is_refused(void **state)
{
	size_t max = 1024 * 1024;
	char *text = malloc(max + 1);
	struct config cfg;
	struct config_error err;

	assert_non_null(text);
	memset(text, '\n', max + 1);
	memcpy(text, "# big\n", 6);
	assert_int_equal(config_parse(text, max, "big.yml", known, &cfg, &err), 0);
	assert_int_equal(config_parse(text, max + 1, "big.yml", known, &cfg, &err),
			 -EINVAL);
	assert_string_equal(err.file, "big.yml");
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "larger than 1 MiB"));
	free(text);
}

static void cgroup_patterns_are_kept_in_order(void **state)
{
	struct config cfg;
	struct config_error err;
	const char *text = "cgroup:\n"
			   "  include:\n"
			   "    - web*\n"
			   "    - \"3f1a2b*\"\n"
			   "  exclude: ['*-canary', 'k8s_POD_*']\n";

	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.cgroup.include.n, 2);
	assert_string_equal(cfg.cgroup.include.pattern[0], "web*");
	assert_string_equal(cfg.cgroup.include.pattern[1], "3f1a2b*");
	assert_int_equal(cfg.cgroup.exclude.n, 2);
	assert_string_equal(cfg.cgroup.exclude.pattern[0], "*-canary");
	assert_string_equal(cfg.cgroup.exclude.pattern[1], "k8s_POD_*");
	assert_int_equal(cfg.collectors[HOST].enabled, -1);
	/* No value and an empty list both mean "no patterns". */
	assert_int_equal(parse("cgroup:\n  include:\n  exclude: []\n", &cfg, &err), 0);
	assert_int_equal(cfg.cgroup.include.n, 0);
	assert_int_equal(cfg.cgroup.exclude.n, 0);
}

static void bad_cgroup_patterns_are_refused_at_their_line(void **state)
{
	char text[1024];
	int n;

	assert_fails("cgroup:\n  includes: [a]\n", 2, 3,
		     "unknown key 'includes' in cgroup (known: include, exclude)");
	assert_fails("cgroup:\n  include: web*\n", 2, 12,
		     "cgroup.include: expected a list of glob patterns like [\"web*\"], got 'web*'");
	assert_fails("cgroup:\n  exclude:\n    - a\n    - {b: c}\n", 4, 7,
		     "cgroup.exclude: expected a glob pattern, got a mapping");
	assert_fails("cgroup:\n  exclude:\n    - a\n    -\n", 4, 6,
		     "cgroup.exclude: empty pattern");
	assert_fails("cgroup:\n  include: [\"a\\0b\"]\n", 2, 13,
		     "cgroup.include: a pattern cannot hold a NUL byte");
	assert_fails("cgroup: [a]\n", 1, 9, "cgroup: expected a mapping of keys");
	assert_fails("cgroup:\n  exclude:\n    - *-canary\n", 3, 7,
		     "aliases (*-canary) are not supported: write the value out "
		     "(or quote it, if it is a glob pattern)");
	n = snprintf(text, sizeof(text), "cgroup:\n  include:\n    - ");
	memset(text + n, 'x', 256);
	memcpy(text + n + 256, "\n", 2);
	assert_fails(text, 3, 7, "cgroup.include: pattern 'xxxxxxxx");
	assert_fails(text, 3, 7, "is longer than 255 bytes");
	n = snprintf(text, sizeof(text), "cgroup:\n  exclude: [");
	for (int i = 0; i < 33; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "p%d, ", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "]\n");
	assert_fails(text, 2, 163, "cgroup.exclude: more than 32 patterns");
}

static void failed_parse_leaves_config_untouched(void **state)
{
	struct config cfg;
	struct config_error err;

	assert_int_equal(parse("collectors: {host: {interval: 7s}}\n", &cfg, &err), 0);
	assert_int_equal(parse("collectors: {host: {interval: 9s, enabled: 2}}\n",
			       &cfg, &err), -EINVAL);
	assert_int_equal(cfg.collectors[HOST].interval_ms, 7000);
}

static void load_of_missing_file_names_the_path(void **state)
{
	struct config cfg;
	struct config_error err;
	const char *path = "/nonexistent/virtmeter-test.yml";

	assert_int_equal(config_load(path, known, &cfg, &err), -ENOENT);
	assert_string_equal(err.file, path);
	assert_string_equal(err.msg, "cannot read /nonexistent/virtmeter-test.yml: "
				     "No such file or directory");
}

static void load_reads_and_parses_a_file(void **state)
{
	char path[] = "/tmp/virtmeter-test-config-XXXXXX";
	const char *text = "collectors:\n  process:\n    enabled: no\n    bogus: 1\n";
	struct config cfg;
	struct config_error err;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(config_load(path, known, &cfg, &err), -EINVAL);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 5);
	assert_non_null(strstr(err.msg, "unknown key 'bogus' in collectors.process"));
	unlink(path);
}

/* The example shipped in deploy/ must stay valid (top_srcdir is set by
 * make check; run by hand, the test is skipped without it). */
static void shipped_example_config_parses(void **state)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096];
	struct config cfg;
	struct config_error err;

	if (!srcdir)
		skip();
	snprintf(path, sizeof(path), "%s/deploy/virtmeter.yml", srcdir);
	if (config_load(path, known, &cfg, &err) != 0)
		fail_msg("%s:%u:%u: %s", err.file, err.line, err.column, err.msg);
	assert_int_equal(cfg.collectors[HOST].enabled, 1);
	config_free(&cfg);
}

#else /* !HAVE_LIBYAML */

static void parse_without_libyaml_says_how_to_get_it(void **state)
{
	struct config cfg;
	struct config_error err;

	assert_int_equal(config_parse("", 0, "x.yml", NULL, &cfg, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "install libyaml-dev"));
	assert_int_equal(config_load("x.yml", NULL, &cfg, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "install libyaml-dev"));
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_parse_to_milliseconds),
#ifdef HAVE_LIBYAML
		cmocka_unit_test(full_config_sets_each_collector),
		cmocka_unit_test(empty_file_leaves_everything_unset),
		cmocka_unit_test(comment_only_file_leaves_everything_unset),
		cmocka_unit_test(empty_sections_leave_everything_unset),
		cmocka_unit_test(unknown_top_level_key_is_refused_at_its_line),
		cmocka_unit_test(unknown_collector_lists_the_known_ones),
		cmocka_unit_test(unknown_collector_setting_names_its_path),
		cmocka_unit_test(bad_bool_names_path_and_value),
		cmocka_unit_test(bad_duration_names_path_and_value),
		cmocka_unit_test(duplicate_key_is_refused_at_the_second),
		cmocka_unit_test(non_mapping_top_level_is_refused),
		cmocka_unit_test(non_name_key_is_refused),
		cmocka_unit_test(yaml_syntax_error_reports_libyaml_problem),
		cmocka_unit_test(invalid_utf8_is_refused_at_its_position),
		cmocka_unit_test(aliases_anchors_and_tags_are_refused),
		cmocka_unit_test(second_document_is_refused),
		cmocka_unit_test(input_over_one_mib_is_refused),
		cmocka_unit_test(cgroup_patterns_are_kept_in_order),
		cmocka_unit_test(bad_cgroup_patterns_are_refused_at_their_line),
		cmocka_unit_test(failed_parse_leaves_config_untouched),
		cmocka_unit_test(load_of_missing_file_names_the_path),
		cmocka_unit_test(load_reads_and_parses_a_file),
		cmocka_unit_test(shipped_example_config_parses),
#else
		cmocka_unit_test(parse_without_libyaml_says_how_to_get_it),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
