/* One file of the Prometheus text format: the rules that span lines (HELP
 * and TYPE once, TYPE before samples, counters named _total, one name
 * served once, no series twice, the newline at the end), on top of
 * parse_line.c. Pure: the text is a buffer and its length. */
#include "collectors/textfile/parse.h"
#include "exporter/api/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/lib/scan.h"

#define TOTAL "_total"
#define TOTAL_LEN 6

int tf_fail(struct tf_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}


/* Appends the text of s (escapes undone when unescape) and a NUL to the
 * arena. Returns its offset, or TF_NONE without memory. */
static uint32_t arena_add(struct tf_file *f, struct tf_span s, bool unescape)
{
	uint32_t off = (uint32_t)f->narena;

	if (buf_grow_array((void **)&f->arena, &f->caparena, f->narena + s.n + 1, 1))
		return TF_NONE;
	if (unescape)
		f->narena += tf_unescape(s, f->arena + f->narena);
	else if (s.n)
		memcpy(f->arena + f->narena, s.p, s.n), f->narena += s.n;
	f->arena[f->narena++] = '\0';
	return off;
}

/* Finds the family called name, or makes it (untyped, first named at
 * line). Returns 0 with its index in *idx, or -ENOMEM. */
static int family_of(struct tf_file *f, struct tf_span name, unsigned line,
		     uint32_t *idx)
{
	struct tf_family *fam;
	uint32_t off;
	int rc;

	if (tf_set_find(&f->names, name.p, name.n, idx) == 0)
		return 0;
	if (buf_grow_array((void **)&f->fams, &f->capfams, f->nfams + 1, sizeof(*fam)))
		return -ENOMEM;
	off = arena_add(f, name, false);
	if (off == TF_NONE)
		return -ENOMEM;
	*idx = (uint32_t)f->nfams;
	rc = tf_set_add(&f->names, name.p, name.n, *idx, NULL);
	if (rc)
		return rc;
	fam = &f->fams[f->nfams++];
	*fam = (struct tf_family){.name = off,
				  .len = (uint32_t)name.n,
				  .help = TF_NONE,
				  .type = TF_UNTYPED,
				  .line = line,
				  .merged = TF_NONE};
	return 0;
}

static int on_help(struct tf_file *f, const struct tf_line *ln, unsigned line,
		   struct tf_error *err)
{
	uint32_t i;

	if (family_of(f, ln->name, line, &i))
		return -ENOMEM;
	if (f->fams[i].help != TF_NONE)
		return tf_fail(err, line, "second HELP line for %.*s",
			    (int)ln->name.n, ln->name.p);
	f->fams[i].help = arena_add(f, ln->help, true);
	return f->fams[i].help == TF_NONE ? -ENOMEM : 0;
}

static int on_type(struct tf_file *f, const struct tf_line *ln, unsigned line,
		   struct tf_error *err)
{
	struct tf_family *fam;
	uint32_t i;

	if (family_of(f, ln->name, line, &i))
		return -ENOMEM;
	fam = &f->fams[i];
	if (fam->type_line)
		return tf_fail(err, line,
			    "second TYPE line for %.*s (the first "
			    "is line %u)",
			    (int)ln->name.n, ln->name.p,
			    (unsigned)fam->type_line);
	if (fam->nsamples)
		return tf_fail(err, line,
			    "TYPE of %.*s after its samples (from "
			    "line %u): it must come first",
			    (int)ln->name.n, ln->name.p, (unsigned)fam->line);
	fam->type = ln->type;
	fam->type_line = line;
	return 0;
}

/* The checks of a family's first sample: a counter is named NAME_total,
 * and no other family of the file is served under one of its names (the
 * snapshot's name, and the name as written). */
static int first_sample(struct tf_file *f, uint32_t i, unsigned line,
			struct tf_error *err)
{
	const struct tf_family *fam = &f->fams[i];
	const char *name = tf_str(f, fam->name);
	size_t keys[2] = {tf_snap_len(fam->len, fam->type), fam->len};

	if (fam->type == TF_COUNTER &&
	    (fam->len <= TOTAL_LEN ||
	     memcmp(name + fam->len - TOTAL_LEN, TOTAL, TOTAL_LEN) != 0))
		return tf_fail(err, line,
			    "counter %s: its samples must be named "
			    "%s_total (every counter is served with _total); "
			    "rename it or declare it a gauge",
			    name, name);
	for (size_t k = 0; k < (keys[0] == keys[1] ? 1u : 2u); k++) {
		uint32_t other;
		int rc = tf_set_add(&f->served, name, keys[k], i, &other);

		if (rc == -EEXIST && other != i)
			return tf_fail(err, line,
				    "%s and %s (line %u) would be "
				    "served under one name, %.*s",
				    name, tf_str(f, f->fams[other].name),
				    (unsigned)f->fams[other].line, (int)keys[k],
				    name);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* Adds the label names of sample s to those of its family. */
static int add_label_names(struct tf_file *f, struct tf_family *fam,
			   const struct tf_sample *s, unsigned line,
			   struct tf_error *err)
{
	for (uint32_t l = 0; l < s->nlabels; l++) {
		const char *name = tf_str(f, f->labels[s->labels + l].name);
		uint32_t k = 0;

		while (k < fam->nlnames &&
		       strcmp(tf_str(f, fam->lnames[k]), name) != 0)
			k++;
		if (k < fam->nlnames)
			continue;
		if (fam->nlnames == TF_MAX_LABELS)
			return tf_fail(err, line,
				    "%s: more than %d label names "
				    "in one family",
				    tf_str(f, fam->name), TF_MAX_LABELS);
		fam->lnames[fam->nlnames++] = f->labels[s->labels + l].name;
	}
	return 0;
}

/* Stores the labels of ln, sorted by name, for sample s. */
static int store_labels(struct tf_file *f, const struct tf_line *ln,
			struct tf_sample *s)
{
	struct tf_label *lb;

	s->labels = (uint32_t)f->nlabels;
	s->nlabels = (uint32_t)ln->nlabels;
	/* Until a sample has labels, f->labels is NULL, and NULL + 0 is
	 * undefined behaviour. */
	if (ln->nlabels == 0)
		return 0;
	if (buf_grow_array((void **)&f->labels, &f->caplabels, f->nlabels + ln->nlabels,
		 sizeof(*lb)))
		return -ENOMEM;
	lb = f->labels + f->nlabels;
	for (size_t i = 0; i < ln->nlabels; i++) {
		struct tf_label cur = {arena_add(f, ln->lname[i], false),
				       arena_add(f, ln->lvalue[i], true)};
		size_t j = i;

		if (cur.name == TF_NONE || cur.value == TF_NONE)
			return -ENOMEM;
		while (j > 0 && strcmp(tf_str(f, lb[j - 1].name),
				       tf_str(f, cur.name)) > 0) {
			lb[j] = lb[j - 1];
			j--;
		}
		lb[j] = cur;
	}
	f->nlabels += ln->nlabels;
	return 0;
}

static int on_sample(struct tf_file *f, const struct tf_line *ln, unsigned line,
		     struct tf_error *err)
{
	struct tf_sample *s;
	uint32_t i, first;
	size_t klen;
	int rc;

	if (family_of(f, ln->name, line, &i) ||
	    buf_grow_array((void **)&f->samples, &f->capsamples, f->nsamples + 1,
		 sizeof(*s)))
		return -ENOMEM;
	if (f->fams[i].nsamples == 0) {
		rc = first_sample(f, i, line, err);
		if (rc)
			return rc;
	}
	s = &f->samples[f->nsamples];
	*s = (struct tf_sample){.fam = i, .line = line, .value = ln->value};
	rc = store_labels(f, ln, s);
	if (rc == 0)
		rc = add_label_names(f, &f->fams[i], s, line, err);
	if (rc)
		return rc;
	klen = tf_series_key(f, s, &f->key, &f->capkey);
	if (klen == 0)
		return -ENOMEM;
	rc =
	    tf_set_add(&f->series, f->key, klen, (uint32_t)f->nsamples, &first);
	if (rc == -EEXIST)
		return tf_fail(err, line,
			    "%.*s: the same series as line %u (one "
			    "name and label set; an empty value is no label)",
			    (int)ln->name.n, ln->name.p,
			    (unsigned)f->samples[first].line);
	if (rc)
		return rc;
	f->fams[i].nsamples++;
	f->nsamples++;
	return 0;
}

/* Empties f, keeping its storage. */
static void file_reset(struct tf_file *f)
{
	f->nfams = f->nsamples = f->nlabels = f->narena = 0;
	tf_set_clear(&f->names);
	tf_set_clear(&f->served);
	tf_set_clear(&f->series);
}

int tf_parse(struct tf_file *f, const char *buf, size_t len,
	     struct tf_error *err)
{
	struct scan rest = {buf, buf + len}, ln;
	unsigned line = 0;

	err->line = 0;
	err->msg[0] = '\0';
	file_reset(f);
	if (len > TF_PARSE_MAX) {
		snprintf(err->msg, sizeof(err->msg),
			 "%zu bytes, more than "
			 "the %u a text file may hold",
			 len, TF_PARSE_MAX);
		return -E2BIG;
	}
	while (scan_next_line(&rest, &ln)) {
		size_t n = (size_t)(ln.end - ln.p);
		struct tf_line parsed;
		int rc;

		line++;
		if (ln.end == buf + len) {
			struct scan tail = ln;

			/* Blanks may end the text; anything else is a
			 * line cut short. */
			scan_skip_blanks(&tail);
			if (tail.p != tail.end)
				return tf_fail(err, line,
					    "no newline at the end "
					    "of the file (still being written? "
					    "write a temporary file, then "
					    "rename it)");
		}
		rc =
		    tf_parse_line(ln.p, n, &parsed, err->msg, sizeof(err->msg));
		if (rc) {
			err->line = line;
			return rc;
		}
		if (parsed.kind == TF_LINE_HELP)
			rc = on_help(f, &parsed, line, err);
		else if (parsed.kind == TF_LINE_TYPE)
			rc = on_type(f, &parsed, line, err);
		else if (parsed.kind == TF_LINE_SAMPLE)
			rc = on_sample(f, &parsed, line, err);
		if (rc) {
			if (rc != -EINVAL)
				snprintf(err->msg, sizeof(err->msg), "%s",
					 strerror(-rc));
			err->line = line;
			return rc;
		}
	}
	return 0;
}

void tf_file_free(struct tf_file *f)
{
	free(f->fams);
	free(f->samples);
	free(f->labels);
	free(f->arena);
	free(f->key);
	tf_set_free(&f->names);
	tf_set_free(&f->served);
	tf_set_free(&f->series);
	memset(f, 0, sizeof(*f));
}

size_t tf_snap_len(size_t len, enum tf_type type)
{
	return type == TF_COUNTER && len > TOTAL_LEN ? len - TOTAL_LEN : len;
}

size_t tf_series_key(const struct tf_file *f, const struct tf_sample *s,
		     char **key, size_t *cap)
{
	const struct tf_family *fam = &f->fams[s->fam];
	size_t len = fam->len + 1;

	for (uint32_t l = 0; l < s->nlabels; l++) {
		const struct tf_label *lb = &f->labels[s->labels + l];
		const char *v = tf_str(f, lb->value);

		if (*v)
			len += strlen(tf_str(f, lb->name)) + strlen(v) + 2;
	}
	if (buf_grow_array((void **)key, cap, len, 1))
		return 0;
	memcpy(*key, tf_str(f, fam->name), fam->len + 1);
	len = fam->len + 1;
	for (uint32_t l = 0; l < s->nlabels; l++) {
		const struct tf_label *lb = &f->labels[s->labels + l];
		const char *v = tf_str(f, lb->value);
		size_t nn = strlen(tf_str(f, lb->name)) + 1, nv = strlen(v) + 1;

		if (nv == 1)
			continue;
		memcpy(*key + len, tf_str(f, lb->name), nn);
		memcpy(*key + len + nn, v, nv);
		len += nn + nv;
	}
	return len;
}
