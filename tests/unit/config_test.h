/* Helpers of the configuration file tests: a text parsed as "test.yml",
 * a refusal asserted at its line and column with a fragment of its
 * message, and a table of such refusals. Include it after defining
 * `known`, the collector names the test's texts may configure. */
#ifndef VIRTMETER_TEST_CONFIG_TEST_H
#define VIRTMETER_TEST_CONFIG_TEST_H

#include <errno.h>
#include <string.h>

#include "exporter/config.h"

/* A text the parser must refuse, where, and with which words. */
struct ct_refusal {
	const char *text;
	unsigned line, column;
	const char *words;
};

/* Parses text as the file "test.yml" into *cfg. */
static inline int parse(const char *text, struct config *cfg,
			struct config_error *err)
{
	return config_parse(text, strlen(text), "test.yml", known, cfg, err);
}

/* Asserts a failed parse at line:column with fragment in its message. */
static inline void assert_fails(const char *text, unsigned line,
				unsigned column, const char *fragment)
{
	struct config cfg;
	struct config_error err;
	int rc = parse(text, &cfg, &err);

	if (rc == 0)
		config_free(&cfg);
	if (rc != -EINVAL || err.line != line || err.column != column ||
	    !strstr(err.msg, fragment))
		fail_msg("rc %d at %u:%u '%s'; wanted -EINVAL at %u:%u with '%s'",
			 rc, err.line, err.column, err.msg, line, column,
			 fragment);
	assert_string_equal(err.file, "test.yml");
}

/* Asserts that each of bad[0..n) is refused where it says, and leaves the
 * configuration it was parsed into as it was. */
static inline void assert_refusals(const struct ct_refusal *bad, size_t n)
{
	static struct config cfg, before;
	struct config_error err;

	config_defaults(&before);
	for (size_t i = 0; i < n; i++) {
		config_defaults(&cfg);
		if (parse(bad[i].text, &cfg, &err) != -EINVAL) {
			config_free(&cfg);
			fail_msg("case %zu was accepted", i);
		}
		if (err.line != bad[i].line || err.column != bad[i].column ||
		    !strstr(err.msg, bad[i].words))
			fail_msg("case %zu: got %u:%u '%s', want %u:%u '%s'", i,
				 err.line, err.column, err.msg, bad[i].line,
				 bad[i].column, bad[i].words);
		if (memcmp(&cfg, &before, sizeof(cfg)) != 0)
			fail_msg("case %zu changed the configuration", i);
	}
}

#endif
