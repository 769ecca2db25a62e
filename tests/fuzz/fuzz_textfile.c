/* Fuzz target for the textfile collector's parser of the Prometheus text
 * format (collectors/textfile/parse.c, parse_line.c) and the merge of
 * files (merge.c): every input goes to tf_parse as raw bytes (no NUL
 * terminator). A refused input must say where and why; an accepted one
 * must keep the promises of parse.h (valid names, sorted distinct labels,
 * no series twice, counters named _total), read back the same from the
 * text written from it, be refused by a merge that holds it already (if
 * it has samples), and give a snapshot set of as many samples. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/textfile/merge.h"
#include "collectors/textfile/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A growable text; aborts without memory, as a fuzz run cannot go on. */
struct text {
	char *p;
	size_t n, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		if (!t->p)
			abort();
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
}

static void puts_escaped(struct text *t, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			put(t, "\\", 1), put(t, s, 1);
		else if (*s == '\n')
			put(t, "\\n", 2);
		else
			put(t, s, 1);
	}
}

/* Writes f back as text: TYPE and HELP lines of every family with
 * samples, then every sample, values with all their digits. */
static void write_back(const struct tf_file *f, struct text *t)
{
	static const char *const types[] = {"untyped", "counter", "gauge"};
	char num[64];

	for (size_t i = 0; i < f->nfams; i++) {
		const struct tf_family *fam = &f->fams[i];

		if (!fam->nsamples)
			continue;
		put(t, "# TYPE ", 7);
		put(t, tf_str(f, fam->name), fam->len);
		put(t, " ", 1);
		put(t, types[fam->type], strlen(types[fam->type]));
		put(t, "\n", 1);
		if (fam->help == TF_NONE)
			continue;
		put(t, "# HELP ", 7);
		put(t, tf_str(f, fam->name), fam->len);
		put(t, " ", 1);
		puts_escaped(t, tf_str(f, fam->help));
		put(t, "\n", 1);
	}
	for (size_t i = 0; i < f->nsamples; i++) {
		const struct tf_sample *s = &f->samples[i];

		put(t, tf_str(f, f->fams[s->fam].name), f->fams[s->fam].len);
		put(t, "{", 1);
		for (uint32_t l = 0; l < s->nlabels; l++) {
			const struct tf_label *lb = &f->labels[s->labels + l];

			put(t, tf_str(f, lb->name), strlen(tf_str(f, lb->name)));
			put(t, "=\"", 2);
			puts_escaped(t, tf_str(f, lb->value));
			put(t, "\",", 2);
		}
		if (isnan(s->value))
			snprintf(num, sizeof(num), "} NaN\n");
		else if (isinf(s->value))
			snprintf(num, sizeof(num), "} %cInf\n",
				 s->value > 0 ? '+' : '-');
		else
			snprintf(num, sizeof(num), "} %.17g\n", s->value);
		put(t, num, strlen(num));
	}
}

/* Aborts unless f keeps the promises of parse.h. */
static void check_file(const struct tf_file *f)
{
	size_t total = 0;

	for (size_t i = 0; i < f->nfams; i++) {
		const struct tf_family *fam = &f->fams[i];
		const char *name = tf_str(f, fam->name);

		total += fam->nsamples;
		if (fam->len == 0 || strlen(name) != fam->len ||
		    fam->nlnames > TF_MAX_LABELS)
			abort();
		if (fam->nsamples && fam->type == TF_COUNTER &&
		    (fam->len <= 6 || strcmp(name + fam->len - 6, "_total")))
			abort();
	}
	if (total != f->nsamples)
		abort();
	for (size_t i = 0; i < f->nsamples; i++) {
		const struct tf_sample *s = &f->samples[i];

		if (s->fam >= f->nfams || s->nlabels > TF_MAX_LABELS)
			abort();
		for (uint32_t l = 1; l < s->nlabels; l++)
			if (strcmp(tf_str(f, f->labels[s->labels + l - 1].name),
				   tf_str(f, f->labels[s->labels + l].name)) >= 0)
				abort();
	}
}

/* Aborts unless a and b hold the same samples in the same order. */
static void check_same(const struct tf_file *a, struct tf_file *b)
{
	char *ka = NULL, *kb = NULL;
	size_t ca = 0, cb = 0;

	if (a->nsamples != b->nsamples)
		abort();
	for (size_t i = 0; i < a->nsamples; i++) {
		const struct tf_sample *sa = &a->samples[i], *sb = &b->samples[i];
		size_t la = tf_series_key(a, sa, &ka, &ca);
		size_t lb = tf_series_key(b, sb, &kb, &cb);

		if (!la || la != lb || memcmp(ka, kb, la) ||
		    a->fams[sa->fam].type != b->fams[sb->fam].type ||
		    !(sa->value == sb->value ||
		      (isnan(sa->value) && isnan(sb->value))))
			abort();
	}
	free(ka);
	free(kb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_file f = {0}, back = {0};
	struct tf_merge m = {0};
	struct tf_error err;
	struct text t = {0};
	struct snap_set *set;
	int rc = tf_parse(&f, (const char *)data, size, &err);

	if (rc != 0 && rc != -EINVAL && rc != -E2BIG && rc != -ENOMEM)
		abort();
	if (rc != 0) {
		if (err.msg[0] == '\0' || (rc == -EINVAL && err.line == 0))
			abort();
		goto out;
	}
	check_file(&f);
	write_back(&f, &t);
	if (tf_parse(&back, t.p ? t.p : "", t.n, &err) != 0)
		abort();
	check_same(&f, &back);
	/* A file holding the same series as one taken is refused whole. */
	if (tf_merge_add(&m, &f, "a.prom", &err) != 0)
		abort();
	rc = tf_merge_add(&m, &back, "b.prom", &err);
	if ((f.nsamples > 0) != (rc == -EINVAL) ||
	    m.nfiles != (f.nsamples > 0 ? 1u : 2u))
		abort();
	set = snap_set_new();
	if (!set || tf_merge_emit(&m, set) != 0 || set->nsamples != f.nsamples)
		abort();
	snap_set_unref(set);
out:
	free(t.p);
	tf_merge_free(&m);
	tf_file_free(&back);
	tf_file_free(&f);
	return 0;
}
