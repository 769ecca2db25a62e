/* Unit tests of the configuration file parser: what valid files set, and
 * that every kind of bad input is refused with the right line, column and
 * message. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "build-config.h"
#include "exporter/api/base.h"
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

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ms = 0;
		if (config_parse_duration(good[i].s, &ms) != 0 || ms != good[i].ms)
			fail_msg("'%s' gave %u, want %u", good[i].s, ms, good[i].ms);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ms = 42;
		if (config_parse_duration(bad[i], &ms) != -EINVAL || ms != 42)
			fail_msg("'%s' was accepted as %u", bad[i], ms);
	}
	assert_int_equal(config_parse_duration(NULL, &ms), -EINVAL);
}

#ifdef HAVE_LIBYAML

#include "tests/unit/config_test.h"

/* Asserts that every collector of cfg is as the file left it: nothing
 * set, every setting at its default. */
static void assert_all_unset(const struct config *cfg)
{
	assert_int_equal(cfg->n, collector_count());
	for (size_t i = 0; i < cfg->n; i++) {
		assert_int_equal(cfg->c[i].enabled, -1);
		assert_int_equal(cfg->c[i].interval_ms, 0);
		assert_int_equal(cfg->c[i].timeout_ms, 0);
	}
	assert_int_equal(((const struct setting_list *)setting_of(cfg, "cgroup", "include"))->n, 0);
	assert_int_equal(((const struct setting_list *)setting_of(cfg, "cgroup", "exclude"))->n, 0);
	assert_int_equal(*(const unsigned long *)setting_of(cfg, "cgroup", "idle-cycles"), 3);
}

static void full_config_sets_each_collector(void **state)
{
	struct config *cfg = NULL;
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
			   "  power: {enabled: yes, interval: 2, timeout: 1m}\n";

	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(collector_of(cfg, "host")->enabled, 1);
	assert_int_equal(collector_of(cfg, "host")->interval_ms, 5000);
	assert_int_equal(collector_of(cfg, "host")->timeout_ms, 1500);
	assert_int_equal(collector_of(cfg, "process")->enabled, 0);
	assert_int_equal(collector_of(cfg, "process")->interval_ms, 500);
	assert_int_equal(collector_of(cfg, "process")->timeout_ms, 0);
	assert_int_equal(collector_of(cfg, "power")->enabled, 1);
	assert_int_equal(collector_of(cfg, "power")->interval_ms, 2000);
	assert_int_equal(collector_of(cfg, "power")->timeout_ms, 60000);
	assert_int_equal(collector_of(cfg, "cgroup")->enabled, -1);
	config_free(cfg);
}

static void empty_file_leaves_everything_unset(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	assert_int_equal(config_parse("", 0, "test.yml", collector_table, &cfg, &err), 0);
	assert_all_unset(cfg);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_parse(NULL, 0, "test.yml", collector_table, &cfg, &err), 0);
	assert_all_unset(cfg);
	config_free(cfg);
}

static void comment_only_file_leaves_everything_unset(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	assert_int_equal(parse("# nothing here\n\n   # still nothing\n", &cfg, &err), 0);
	assert_all_unset(cfg);
	config_free(cfg);
}

static void empty_sections_leave_everything_unset(void **state)
{
	static const char *const texts[] = {
		"---\n", "collectors:\n", "collectors:\n  host:\n  process: {}\n",
		"cgroup:\n", "cgroup: {}\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct config *cfg = NULL;
		struct config_error err;

		assert_int_equal(parse(texts[i], &cfg, &err), 0);
		assert_all_unset(cfg);
		config_free(cfg);
	}
}

static void unknown_top_level_key_is_refused_at_its_line(void **state)
{
	assert_fails("collectors:\n  host:\n    enabled: true\ncolectors:\n", 4, 1,
		     "unknown key 'colectors' at the top level (known: collectors, cgroup, meters, perf)");
}

static void unknown_collector_lists_the_known_ones(void **state)
{
	assert_fails("collectors:\n  host: {}\n  gpu:\n    enabled: true\n", 3, 3,
		     "unknown collector 'gpu' in collectors (known: host, process, cgroup, power");
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
		     "process, cgroup, power");
	assert_fails("collectors:\n  host: yes\n", 2, 9,
		     "collectors.host: expected a mapping of keys (known: enabled, "
		     "interval, timeout), got 'yes'");
	assert_fails("collectors:\n  cgroup: yes\n", 2, 11,
		     "collectors.cgroup: expected a mapping of keys (known: enabled, "
		     "interval, timeout, idle_cycles, io_uring, include, exclude), "
		     "got 'yes'");
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
	struct config *cfg = NULL;
	struct config_error err;

	assert_non_null(text);
	memset(text, '\n', max + 1);
	memcpy(text, "# big\n", 6);
	assert_int_equal(config_parse(text, max, "big.yml", collector_table, &cfg, &err), 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_parse(text, max + 1, "big.yml", collector_table, &cfg, &err),
			 -EINVAL);
	assert_null(cfg);
	assert_string_equal(err.file, "big.yml");
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "larger than 1 MiB"));
	free(text);
}

static const struct setting_list *patterns(const struct config *cfg,
					   const char *key)
{
	return setting_of(cfg, "cgroup", key);
}

static void cgroup_patterns_are_kept_in_order(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;
	const char *text = "cgroup:\n"
			   "  include:\n"
			   "    - web*\n"
			   "    - \"3f1a2b*\"\n"
			   "  exclude: ['*-canary', 'k8s_POD_*']\n";

	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(patterns(cfg, "include")->n, 2);
	assert_string_equal(patterns(cfg, "include")->v[0], "web*");
	assert_string_equal(patterns(cfg, "include")->v[1], "3f1a2b*");
	assert_int_equal(patterns(cfg, "exclude")->n, 2);
	assert_string_equal(patterns(cfg, "exclude")->v[0], "*-canary");
	assert_string_equal(patterns(cfg, "exclude")->v[1], "k8s_POD_*");
	assert_int_equal(collector_of(cfg, "host")->enabled, -1);
	config_free(cfg);
	cfg = NULL;
	/* No value and an empty list both mean "no patterns". */
	assert_int_equal(parse("cgroup:\n  include:\n  exclude: []\n", &cfg, &err), 0);
	assert_int_equal(patterns(cfg, "include")->n, 0);
	assert_int_equal(patterns(cfg, "exclude")->n, 0);
	config_free(cfg);
}

/* The settings that were flag-only (idle-cycles, io-uring) or file-only
 * (include, exclude) have both forms, and collectors.cgroup takes what
 * the older cgroup: section takes. */
static void every_cgroup_setting_has_a_file_form(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;
	const char *text = "collectors:\n"
			   "  cgroup:\n"
			   "    idle_cycles: 5\n"
			   "    io_uring: false\n"
			   "    include: [db*]\n"
			   "cgroup:\n"
			   "  exclude: [db-test]\n";

	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(*(const unsigned long *)setting_of(cfg, "cgroup", "idle-cycles"), 5);
	assert_false(*(const bool *)setting_of(cfg, "cgroup", "io-uring"));
	assert_string_equal(patterns(cfg, "include")->v[0], "db*");
	assert_string_equal(patterns(cfg, "exclude")->v[0], "db-test");
	config_free(cfg);
	assert_fails("collectors:\n  cgroup:\n    include: [a]\ncgroup:\n  include: [b]\n",
		     5, 12, "cgroup.include: set twice (first at line 3)");
	assert_fails("collectors:\n  cgroup:\n    idle_cycles: 0\n", 3, 18,
		     "collectors.cgroup.idle_cycles: expected a whole number from 1 to 1000, got '0'");
}

static void bad_cgroup_patterns_are_refused_at_their_line(void **state)
{
	char text[1024];
	int n;

	assert_fails("cgroup:\n  includes: [a]\n", 2, 3,
		     "unknown key 'includes' in cgroup (known: idle_cycles, io_uring, include, exclude)");
	assert_fails("cgroup:\n  include: web*\n", 2, 12,
		     "cgroup.include: expected a list like [a, b], got 'web*'");
	assert_fails("cgroup:\n  exclude:\n    - a\n    - {b: c}\n", 4, 7,
		     "cgroup.exclude: expected a string as list item, got a mapping");
	assert_fails("cgroup:\n  exclude:\n    - a\n    -\n", 4, 6,
		     "cgroup.exclude: expected a string as list item, got nothing");
	assert_fails("cgroup:\n  exclude: ['']\n", 2, 13,
		     "cgroup.exclude: an empty item");
	assert_fails("cgroup:\n  include: [\"a\\0b\"]\n", 2, 13,
		     "cgroup.include: a NUL byte is not allowed");
	assert_fails("cgroup: [a]\n", 1, 9, "cgroup: expected a mapping of keys");
	assert_fails("cgroup:\n  exclude:\n    - *-canary\n", 3, 7,
		     "aliases (*-canary) are not supported: write the value out "
		     "(or quote it, if it is a glob pattern)");
	assert_fails("cgroup:\n  exclude: [a, b, a]\n", 2, 19,
		     "cgroup.exclude: 'a' is listed twice");
	n = snprintf(text, sizeof(text), "cgroup:\n  include:\n    - ");
	memset(text + n, 'x', 256);
	memcpy(text + n + 256, "\n", 2);
	assert_fails(text, 3, 7, "cgroup.include: 'xxxxxxxx");
	assert_fails(text, 3, 7, "is longer than 255 bytes");
}

/* Lists have no fixed cap: a host with many tenants may list hundreds of
 * patterns. */
static void many_patterns_are_kept(void **state)
{
	size_t cap = 64 * 1024, n;
	char *text = malloc(cap);
	struct config *cfg = NULL;
	struct config_error err;

	assert_non_null(text);
	n = (size_t)snprintf(text, cap, "cgroup:\n  exclude:\n");
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(text + n, cap - n, "    - tenant-%d-*\n", i);
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(patterns(cfg, "exclude")->n, 500);
	assert_string_equal(patterns(cfg, "exclude")->v[499], "tenant-499-*");
	config_free(cfg);
	free(text);
}

static void failed_parse_hands_nothing_back(void **state)
{
	struct config *cfg = NULL, *kept;
	struct config_error err;

	assert_int_equal(parse("collectors: {host: {interval: 7s}}\n", &cfg, &err), 0);
	kept = cfg;
	assert_int_equal(parse("collectors: {host: {interval: 9s, enabled: 2}}\n",
			       &cfg, &err), -EINVAL);
	assert_ptr_equal(cfg, kept);
	assert_int_equal(collector_of(cfg, "host")->interval_ms, 7000);
	config_free(cfg);
}

static void load_of_missing_file_names_the_path(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;
	const char *path = "/nonexistent/virtmeter-test.yml";

	assert_int_equal(config_load(path, collector_table, &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_string_equal(err.file, path);
	assert_string_equal(err.msg, "cannot read /nonexistent/virtmeter-test.yml: "
				     "No such file or directory");
}

/* Whatever is not a regular file is refused at once with what it is, and
 * a FIFO without a writer, which a blocking open would wait on, does not
 * block; a symlink to a regular file is read. */
static void load_refuses_what_is_not_a_regular_file(void **state)
{
	char dir[] = "/tmp/virtmeter-test-config-XXXXXX";
	char fifo[64], link_ok[64], file[64], link_dev[64];
	const char *text = "collectors:\n  process:\n    enabled: no\n";
	struct config *cfg = NULL;
	struct config_error err;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file.yml", dir);
	snprintf(link_ok, sizeof(link_ok), "%s/link.yml", dir);
	snprintf(link_dev, sizeof(link_dev), "%s/dev.yml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(symlink(file, link_ok), 0);
	assert_int_equal(symlink("/dev/zero", link_dev), 0);

	assert_int_equal(config_load(fifo, collector_table, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err.file, fifo);
	assert_non_null(strstr(err.msg, "it is a FIFO, not a regular file"));
	assert_int_equal(config_load(dir, collector_table, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "it is a directory, not a regular file"));
	assert_int_equal(config_load("/dev/null", collector_table, &cfg, &err), -EINVAL);
	assert_string_equal(err.msg, "cannot read /dev/null: it is a character "
				     "device, not a regular file");
	assert_int_equal(config_load(link_dev, collector_table, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "it is a character device"));
	assert_int_equal(config_load(link_ok, collector_table, &cfg, &err), 0);
	assert_int_equal(collector_of(cfg, "process")->enabled, 0);
	config_free(cfg);
	unlink(fifo);
	unlink(link_ok);
	unlink(link_dev);
	unlink(file);
	rmdir(dir);
}

/* config_check runs each collector's check of its settings as a whole
 * and names the collector. */
static void settings_fine_alone_but_not_together_are_refused(void **state)
{
	const char *ok = "collectors:\n  model:\n    estimate_min_watts: '1'\n"
			 "    estimate_max_watts: '1'\n";
	const char *bad = "collectors:\n  model:\n    estimate_min_watts: '4'\n"
			  "    estimate_max_watts: '2.5'\n";
	struct config *cfg = NULL;
	struct config_error err;
	char msg[256];

	(void)state;
	assert_int_equal(config_parse(ok, strlen(ok), "ok.yml", collector_table,
				      &cfg, &err), 0);
	assert_int_equal(config_check(cfg, msg, sizeof(msg)), 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_parse(bad, strlen(bad), "bad.yml", collector_table,
				      &cfg, &err), 0);
	assert_int_equal(config_check(cfg, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "collector model: estimate-max-watts (2.5) is "
				 "below estimate-min-watts (4)");
	config_free(cfg);
}

static void load_reads_and_parses_a_file(void **state)
{
	char path[] = "/tmp/virtmeter-test-config-XXXXXX";
	const char *text = "collectors:\n  process:\n    enabled: no\n    bogus: 1\n";
	struct config *cfg = NULL;
	struct config_error err;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(config_load(path, collector_table, &cfg, &err), -EINVAL);
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
	struct config *cfg = NULL;
	struct config_error err;

	if (!srcdir)
		skip();
	snprintf(path, sizeof(path), "%s/deploy/virtmeter.yml", srcdir);
	if (config_load(path, collector_table, &cfg, &err) != 0)
		fail_msg("%s:%u:%u: %s", err.file, err.line, err.column, err.msg);
	assert_int_equal(collector_of(cfg, "host")->enabled, 1);
	config_free(cfg);
}

#else /* !HAVE_LIBYAML */

static void parse_without_libyaml_says_how_to_get_it(void **state)
{
	struct config *cfg = NULL;
	struct config_error err;

	assert_int_equal(config_parse("", 0, "x.yml", collector_table, &cfg, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "install libyaml-dev"));
	assert_int_equal(config_load("x.yml", collector_table, &cfg, &err), -ENOTSUP);
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
		cmocka_unit_test(every_cgroup_setting_has_a_file_form),
		cmocka_unit_test(bad_cgroup_patterns_are_refused_at_their_line),
		cmocka_unit_test(many_patterns_are_kept),
		cmocka_unit_test(failed_parse_hands_nothing_back),
		cmocka_unit_test(load_of_missing_file_names_the_path),
		cmocka_unit_test(load_reads_and_parses_a_file),
		cmocka_unit_test(load_refuses_what_is_not_a_regular_file),
		cmocka_unit_test(settings_fine_alone_but_not_together_are_refused),
		cmocka_unit_test(shipped_example_config_parses),
#else
		cmocka_unit_test(parse_without_libyaml_says_how_to_get_it),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
