/* The harness of the collectors' unit tests (tests/unit/harness.h). The
 * only test code that knows how settings and the configuration reach a
 * collector: when that changes, this file changes and the tests do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/buf.h"
#include "exporter/api/collector.h"
#include "exporter/api/snapshot.h"
#include "exporter/config.h"
#include "exporter/expo.h"
#include "tests/unit/harness.h"

/* procfs, sysfs, cgroupfs and storage, copied like the settings. */
#define ROOTS 4

struct harness {
	const struct collector *c;
	void *state;
	struct collector_env env;
	struct config *cfg;
	bool refused; /* a setting was refused (load_config) */
	struct snap_set *last; /* the last successful cycle's set */
	/* Copies of the caller's strings that env points at. */
	char **copies;
	size_t ncopies;
};

/* Returns a copy of s (NULL for NULL) that h frees at its stop. */
static const char *keep(struct harness *h, const char *s)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	assert_non_null(copy);
	h->copies[h->ncopies++] = copy;
	return copy;
}

/* Frees h and what it holds, without stopping its collector. */
static void harness_free(struct harness *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->ncopies; i++)
		free(h->copies[i]);
	free(h->copies);
	config_free(h->cfg);
	free(h);
}

/* Builds the configuration of h as the daemon builds its own: the
 * defaults, the YAML text yaml (none when NULL), then the settings as
 * --collector.NAME.KEY=VALUE flags of h's collector. Returns 0, or
 * config_parse's error after printing where the text is wrong, or -EINVAL
 * for a refused setting, whose message (naming the flag) is then the
 * collector's error, as collector_take_error() returns it. */
static int load_config(struct harness *h, const char *yaml,
		       const struct harness_setting *settings)
{
	struct config_error err = {.line = 0};
	struct config_flag *flags;
	size_t n = 0, idx;
	char msg[512];
	int rc;

	if (yaml) {
		rc = config_parse(yaml, strlen(yaml), "harness.yml",
				  collector_table, &h->cfg, &err);
		if (rc < 0) {
			print_error("%s:%u:%u: %s\n", err.file, err.line,
				    err.column, err.msg);
			return rc;
		}
	} else {
		h->cfg = config_new(collector_table);
		assert_non_null(h->cfg);
	}
	for (idx = 0; idx < h->cfg->n && h->cfg->table[idx] != h->c; idx++)
		;
	if (idx == h->cfg->n)
		fail_msg("%s is not in the registry", h->c->name);
	while (settings && settings[n].key)
		n++;
	flags = calloc(n ? n : 1, sizeof(*flags));
	assert_non_null(flags);
	for (size_t i = 0; i < n; i++) {
		flags[i] = (struct config_flag){
		    .collector = idx,
		    .opt = collector_option_find(h->c, settings[i].key),
		    .value = settings[i].value,
		};
		if (!flags[i].opt)
			fail_msg("%s has no setting '%s'", h->c->name,
				 settings[i].key);
	}
	rc = config_apply_flags(h->cfg, flags, n, msg, sizeof(msg));
	free(flags);
	if (rc == -EINVAL) {
		collector_error("%s", msg);
		h->refused = true;
	}
	h->env.settings = h->cfg->c[idx].settings;
	return rc;
}

/* A new harness for collector c with the roots of opts copied and the
 * configuration left to build; never NULL. */
static struct harness *harness_new(const struct collector *c,
				   const struct harness_opts *opts)
{
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->c = c;
	h->copies = calloc(ROOTS, sizeof(*h->copies));
	assert_non_null(h->copies);
	h->env = (struct collector_env){
	    .procfs = keep(h, opts->procfs ? opts->procfs : "/proc"),
	    .sysfs = keep(h, opts->sysfs ? opts->sysfs : "/sys"),
	    .cgroupfs =
		keep(h, opts->cgroupfs ? opts->cgroupfs : "/sys/fs/cgroup"),
	    .storage = opts->storage ? keep(h, opts->storage) : NULL,
	};
	return h;
}

int harness_try_start(const struct collector *c,
		      const struct harness_opts *opts, struct harness **out)
{
	static const struct harness_opts defaults = {.settings = NULL};
	struct harness *h;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	h = harness_new(c, opts);
	rc = load_config(h, opts->yaml, opts->settings);
	if (rc == -EINVAL && h->refused) {
		harness_free(h); /* a refused setting, as init would refuse it */
		return rc;
	}
	if (rc < 0) {
		harness_free(h);
		/* Without libyaml the configuration cannot be given at all. */
		if (rc == -ENOTSUP)
			skip();
		fail_msg("the configuration of %s does not parse", c->name);
	}
	rc = c->init(&h->env, &h->state);
	if (rc > 0)
		fail_msg("%s: init returned %d, neither 0 nor a negative errno",
			 c->name, rc);
	if (rc < 0 && h->state)
		fail_msg("%s: init failed (%d) but handed back a state",
			 c->name, rc);
	if (rc < 0)
		goto out;
	*out = h;
	h = NULL;
out:
	harness_free(h);
	return rc;
}

struct harness *harness_start(const struct collector *c,
			      const struct harness_opts *opts)
{
	struct harness *h = NULL;
	int rc = harness_try_start(c, opts, &h);

	if (rc < 0)
		fail_msg("%s: init returned %d (%s): %s", c->name, rc,
			 strerror(-rc), collector_take_error());
	return h;
}

int harness_try_cycle(struct harness *h, struct snap_set **out)
{
	struct snap_set *set = snap_set_new();
	int rc;

	assert_non_null(set);
	rc = h->c->collect(h->state, set);
	if (rc == COLLECT_UNCHANGED) {
		/* As the scheduler does: the last successful set stays. */
		if (!h->last)
			fail_msg("%s: an unchanged cycle with no cycle before it",
				 h->c->name);
		snap_set_unref(set);
		set = h->last;
		atomic_fetch_add(&set->refs, 1);
		rc = 0;
	} else if (rc == 0 && set->err) {
		fail_msg("%s: the cycle succeeded but its set holds error %d",
			 h->c->name, set->err);
	}
	if (rc == 0 && set != h->last) {
		snap_set_unref(h->last);
		h->last = set;
		atomic_fetch_add(&set->refs, 1);
	}
	if (rc != 0 || !out) {
		snap_set_unref(set);
		set = NULL;
	}
	if (out)
		*out = set;
	return rc;
}

struct snap_set *harness_cycle(struct harness *h)
{
	struct snap_set *set = NULL;
	int rc = harness_try_cycle(h, &set);

	if (rc != 0)
		fail_msg("%s: collect returned %d (%s): %s", h->c->name, rc,
			 strerror(rc < 0 ? -rc : rc), collector_take_error());
	return set;
}

void harness_release(struct snap_set *set)
{
	snap_set_unref(set);
}

void harness_stop(struct harness *h)
{
	if (!h)
		return;
	h->c->fini(h->state);
	snap_set_unref(h->last);
	harness_free(h);
}

/* ---- lookups ---------------------------------------------------------- */

/* A family and the label values its samples must have. */
struct query {
	const char *fam;
	size_t n;
	const char *name[SNAP_MAX_LABELS];
	const char *value[SNAP_MAX_LABELS];
};

/* Reads the NULL-terminated label pairs of ap into q; fails the test on a
 * counter's exposed name, a label without a value or too many pairs. */
static void query_read(struct query *q, const char *fam, va_list ap)
{
	const char *suffix = "_total";
	size_t len = strlen(fam);
	const char *name;

	if (len >= strlen(suffix) &&
	    strcmp(fam + len - strlen(suffix), suffix) == 0)
		fail_msg("%s: families are named without the _total that "
			 "counters get when exposed",
			 fam);
	q->fam = fam;
	q->n = 0;
	while ((name = va_arg(ap, const char *))) {
		if (q->n == SNAP_MAX_LABELS)
			fail_msg("%s: more than %d labels", fam,
				 SNAP_MAX_LABELS);
		q->name[q->n] = name;
		q->value[q->n] = va_arg(ap, const char *);
		if (!q->value[q->n])
			fail_msg("%s: label %s has no value", fam, name);
		q->n++;
	}
}

/* q as the exposition would write it, e.g. fam{a="x",b="y"}, in a static
 * buffer (cut short if long). */
static const char *query_text(const struct query *q)
{
	static char text[1024];
	size_t o;

	o = (size_t)snprintf(text, sizeof(text), "%s", q->fam);
	for (size_t i = 0; i < q->n && o < sizeof(text); i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s=\"%s\"",
				      i ? "," : "{", q->name[i], q->value[i]);
	if (q->n && o < sizeof(text))
		snprintf(text + o, sizeof(text) - o, "}");
	return text;
}

/* Whether sample s of family entry e has every label value of q; at[i] is
 * the index in e's labels of q's label i. */
static bool sample_matches(const struct snap_set *set,
			   const struct snap_fam_entry *e,
			   const struct snap_sample *s, const struct query *q,
			   const size_t *at)
{
	const char *values[SNAP_MAX_LABELS];
	const char *v = snap_sample_labels(set, s);

	for (uint32_t l = 0; l < e->nlabels; l++) {
		values[l] = v;
		v += strlen(v) + 1;
	}
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(values[at[i]], q->value[i]) != 0)
			return false;
	return true;
}

/* Counts the samples of set that match q and stores the value of the last
 * in *value. Fails the test if q names a label its family does not have. */
static size_t query_run(const struct snap_set *set, const struct query *q,
			double *value)
{
	size_t found = 0;

	assert_non_null(set);
	for (size_t f = 0; f < set->nfams; f++) {
		const struct snap_fam_entry *e = &set->fams[f];
		size_t at[SNAP_MAX_LABELS];

		if (strcmp(e->desc->name, q->fam) != 0)
			continue;
		for (size_t i = 0; i < q->n; i++) {
			for (at[i] = 0; at[i] < e->nlabels; at[i]++)
				if (strcmp(e->desc->labels[at[i]],
					   q->name[i]) == 0)
					break;
			if (at[i] == e->nlabels)
				fail_msg("%s has no label %s", q->fam,
					 q->name[i]);
		}
		for (uint32_t i = e->first; i != UINT32_MAX;
		     i = set->samples[i].next) {
			if (!sample_matches(set, e, &set->samples[i], q, at))
				continue;
			found++;
			*value = set->samples[i].value;
		}
	}
	return found;
}

double harness_one(const struct snap_set *set, const char *fam, ...)
{
	struct query q;
	double value = NAN;
	size_t n;
	va_list ap;

	va_start(ap, fam);
	query_read(&q, fam, ap);
	va_end(ap);
	n = query_run(set, &q, &value);
	if (n != 1)
		fail_msg("%s: %zu samples match, expected 1", query_text(&q),
			 n);
	return value;
}

void harness_none(const struct snap_set *set, const char *fam, ...)
{
	struct query q;
	double value = NAN;
	size_t n;
	va_list ap;

	va_start(ap, fam);
	query_read(&q, fam, ap);
	va_end(ap);
	n = query_run(set, &q, &value);
	if (n != 0)
		fail_msg("%s: %zu samples match (one is %.17g), expected none",
			 query_text(&q), n, value);
}

size_t harness_count(const struct snap_set *set, const char *fam, ...)
{
	struct query q;
	double value;
	va_list ap;

	va_start(ap, fam);
	query_read(&q, fam, ap);
	va_end(ap);
	return query_run(set, &q, &value);
}

void harness_near(double got, double want, const char *expr, const char *file,
		  int line)
{
	double tolerance = HARNESS_ABS_TOL + HARNESS_REL_TOL * fabs(want);

	/* Written so that a NaN fails too. */
	if (fabs(got - want) <= tolerance)
		return;
	print_error("%s is %.17g, want %.17g (tolerance %.3g)\n", expr, got,
		    want, tolerance);
	_fail(file, line);
}

void harness_text(double got, const char *want, const char *expr,
		  const char *file, int line)
{
	struct buf b;

	buf_init(&b, 64);
	expo_put_value(&b, got);
	if (buf_err(&b) == 0 && b.len == strlen(want) &&
	    memcmp(b.data, want, b.len) == 0) {
		buf_free(&b);
		return;
	}
	print_error("%s is written %.*s, want %s\n", expr, (int)b.len,
		    b.data ? b.data : "", want);
	buf_free(&b);
	_fail(file, line);
}
