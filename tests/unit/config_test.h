/* Helpers of the configuration tests: a text parsed as "test.yml" with a
 * table of collectors (the registry's unless the test defines
 * CONFIG_TEST_TABLE first), a setting looked up by collector and key, a
 * refusal asserted at its line and column with a fragment of its message,
 * and a table of such refusals. */
#ifndef VIRTMETER_TEST_CONFIG_TEST_H
#define VIRTMETER_TEST_CONFIG_TEST_H

#include <errno.h>
#include <string.h>

#include "exporter/api/collector.h"
#include "exporter/config.h"

#ifndef CONFIG_TEST_TABLE
#define CONFIG_TEST_TABLE collector_table
#endif

/* A text the parser must refuse, where, and with which words. */
struct ct_refusal {
	const char *text;
	unsigned line, column;
	const char *words;
};

/* Parses text as the file "test.yml" into a new *cfg (freed by the
 * caller); on failure *cfg is left as it was. */
static inline int parse(const char *text, struct config **cfg,
			struct config_error *err)
{
	return config_parse(text, strlen(text), "test.yml", CONFIG_TEST_TABLE,
			    cfg, err);
}

/* The index of collector name in cfg; fails the test if there is none. */
static inline size_t collector_index(const struct config *cfg,
				     const char *name)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->table[i]->name, name) == 0)
			return i;
	fail_msg("no collector '%s'", name);
	return 0;
}

/* The part of cfg of collector name. */
static inline const struct config_collector *collector_of(const struct config *cfg,
							  const char *name)
{
	return &cfg->c[collector_index(cfg, name)];
}

/* The field of setting key of collector name in cfg (cast it to the
 * option's type: bool, unsigned long, char *, struct setting_list). */
static inline const void *setting_of(const struct config *cfg,
				     const char *name, const char *key)
{
	size_t i = collector_index(cfg, name);
	const struct collector_option *opt =
		collector_option_find(cfg->table[i], key);

	if (!opt)
		fail_msg("collector '%s' has no setting '%s'", name, key);
	return (const char *)cfg->c[i].settings + opt->offset;
}

/* Asserts a failed parse at line:column with fragment in its message. */
static inline void assert_fails(const char *text, unsigned line,
				unsigned column, const char *fragment)
{
	struct config *cfg = NULL;
	struct config_error err;
	int rc = parse(text, &cfg, &err);

	if (rc != -EINVAL || err.line != line || err.column != column ||
	    !strstr(err.msg, fragment))
		fail_msg("rc %d at %u:%u '%s'; wanted -EINVAL at %u:%u with '%s'",
			 rc, err.line, err.column, err.msg, line, column,
			 fragment);
	assert_string_equal(err.file, "test.yml");
	assert_null(cfg);
}

/* Asserts that each of bad[0..n) is refused where it says, and hands no
 * configuration back. */
static inline void assert_refusals(const struct ct_refusal *bad, size_t n)
{
	struct config_error err;

	for (size_t i = 0; i < n; i++) {
		struct config *cfg = NULL;

		if (parse(bad[i].text, &cfg, &err) != -EINVAL)
			fail_msg("case %zu was accepted", i);
		if (err.line != bad[i].line || err.column != bad[i].column ||
		    !strstr(err.msg, bad[i].words))
			fail_msg("case %zu: got %u:%u '%s', want %u:%u '%s'", i,
				 err.line, err.column, err.msg, bad[i].line,
				 bad[i].column, bad[i].words);
		if (cfg)
			fail_msg("case %zu handed a configuration back", i);
	}
}

#endif
