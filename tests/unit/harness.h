/* The harness of the collectors' unit tests: start a collector on fixture
 * trees with its settings and configuration, run its cycles, look samples
 * up by family and labels, compare figures with one tolerance, and stop
 * it. What goes wrong fails the running cmocka test. */
#ifndef VIRTMETER_TEST_HARNESS_H
#define VIRTMETER_TEST_HARNESS_H

#include <stddef.h>

struct collector;
struct snap_set;

/* A collector started by the harness, with everything its start needed. */
struct harness;

/* One setting of the collector under test: what
 * --collector.NAME.KEY=VALUE gives, NAME being the collector's. */
struct harness_setting {
	const char *key;
	const char *value;
};

/* How to start a collector. Every field may be left out; the harness
 * copies what it needs, so nothing here has to outlive the start. */
struct harness_opts {
	const char *procfs;   /* NULL: /proc */
	const char *sysfs;    /* NULL: /sys */
	const char *cgroupfs; /* NULL: /sys/fs/cgroup */
	const char *storage;  /* NULL: none (a collector that keeps state
			       * must be given one) */
	/* Settings, ended by one with a NULL key; NULL for none. */
	const struct harness_setting *settings;
	/* YAML text read as the configuration file is (NULL: the defaults
	 * of a run without one). A text that does not parse fails the test;
	 * a build without libyaml skips it. */
	const char *yaml;
};

/* Starts collector c as opts says (opts may be NULL). Returns init's
 * result, or -EINVAL when the configuration refuses one of the settings
 * (as the daemon refuses a bad flag; the message, naming the flag, is
 * then what collector_take_error() returns); on 0, *out is the started
 * collector, which the caller stops with harness_stop(); else *out is NULL
 * and nothing is left behind. Fails the test if a failed init handed back
 * a state anyway. */
int harness_try_start(const struct collector *c,
		      const struct harness_opts *opts, struct harness **out);

/* Like harness_try_start, but fails the test, with init's result and
 * message, unless init succeeds. Returns the started collector. */
struct harness *harness_start(const struct collector *c,
			      const struct harness_opts *opts);

/* Runs one cycle into a fresh set. A cycle that reports its samples
 * unchanged (COLLECT_UNCHANGED) gives the last successful cycle's set
 * again and returns 0, as the scheduler serves it. Returns collect's
 * result; on 0, *out
 * (if out is not NULL) is the set, which the caller releases with
 * harness_release(); on failure the set is discarded, as the scheduler
 * does, and *out is NULL. Fails the test if a cycle that succeeded left
 * an error in its set. */
int harness_try_cycle(struct harness *h, struct snap_set **out);

/* Like harness_try_cycle, but fails the test, with collect's result and
 * message, unless the cycle succeeds. Returns the set, which the caller
 * releases with harness_release(). */
struct snap_set *harness_cycle(struct harness *h);

/* Releases a set that harness_cycle() returned. NULL is ignored. */
void harness_release(struct snap_set *set);

/* Stops the collector (its fini) and frees everything its start took.
 * NULL is ignored. */
void harness_stop(struct harness *h);

/* The lookups below take a family by its name in the set: the exposed
 * name without the "_total" of a counter (snapshot.h), which they refuse.
 * After the name come label name and value pairs, then NULL; a sample
 * matches when it has every label given with that value (labels left out
 * match any value). A label the family does not have fails the test, so
 * that a misspelt one cannot pass as "no sample". */

/* Returns the value of the one sample of family fam that matches; fails
 * the test, naming the family and the labels, unless exactly one does. */
double harness_one(const struct snap_set *set, const char *fam, ...)
    __attribute__((sentinel));

/* Fails the test, naming the family and the labels, if any sample of
 * family fam matches. */
void harness_none(const struct snap_set *set, const char *fam, ...)
    __attribute__((sentinel));

/* Returns how many samples of family fam match (0 when the set has no
 * such family). */
size_t harness_count(const struct snap_set *set, const char *fam, ...)
    __attribute__((sentinel));

/* The tolerance of HARNESS_NEAR: got passes when
 * |got - want| <= HARNESS_ABS_TOL + HARNESS_REL_TOL * |want|.
 * The absolute part absorbs the rounding of figures computed from
 * nanoseconds, microseconds or clock ticks (a few ulps off the decimal
 * written in the test); the relative part absorbs the rounding of large
 * figures, yet stays below 1 up to 1e12, so a count or a byte size that is
 * off by one always fails. A test that needs an exact value compares with
 * == instead. */
#define HARNESS_ABS_TOL 1e-9
#define HARNESS_REL_TOL 1e-12

/* Fails the test, at the caller's line, unless got is within the
 * tolerance above of want. */
#define HARNESS_NEAR(got, want)                                                \
	harness_near((got), (want), #got, __FILE__, __LINE__)

/* HARNESS_NEAR's function: expr is the text of got, file and line the
 * place of the assertion. */
void harness_near(double got, double want, const char *expr, const char *file,
		  int line);

/* Fails the test, at the caller's line, unless got is written in the
 * exposition as the text want ("0.494544"): for figures that must come out
 * as the exact decimals they are, where a tolerance would let float noise
 * such as 0.4945440000000012 pass. */
#define HARNESS_TEXT(got, want)                                                \
	harness_text((got), (want), #got, __FILE__, __LINE__)

/* HARNESS_TEXT's function: expr is the text of got, file and line the
 * place of the assertion. */
void harness_text(double got, const char *want, const char *expr,
		  const char *file, int line);

#endif
