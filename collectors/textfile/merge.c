/* The merge of one cycle's files: see merge.h. A file is checked in full
 * against what was taken before (check_file), then taken (take_file), so
 * that a refused file leaves nothing behind. */
#include "collectors/textfile/merge.h"
#include "exporter/api/buf.h"
#include "exporter/api/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(TF_MAX_LABELS == SNAP_MAX_LABELS,
	       "a textfile family has as many labels as a snapshot family");

#define HELP_PREFIX "Metric read from "

static const char *const type_names[] = {
    [TF_UNTYPED] = "untyped", [TF_COUNTER] = "counter", [TF_GAUGE] = "gauge"};

/* Units that OpenMetrics writes in a UNIT line when a family's name ends
 * in one (as Prometheus names base units). */
static const char *const units[] = {"seconds", "bytes",	  "joules",  "watts",
				    "volts",   "amperes", "celsius", "meters",
				    "grams",   "ratio"};



int tf_merge_reserve(struct tf_merge *m, const struct snap_family *const *fams)
{
	char name[256];

	for (size_t i = 0; fams && fams[i]; i++) {
		size_t len = strlen(fams[i]->name);
		int rc = tf_set_add(&m->reserved, fams[i]->name, len, 0, NULL);

		if (rc && rc != -EEXIST)
			return rc;
		if (fams[i]->type != SNAP_COUNTER ||
		    snprintf(name, sizeof(name), "%s_total", fams[i]->name) >=
			(int)sizeof(name))
			continue;
		rc = tf_set_add(&m->reserved, name, len + 6, 0, NULL);
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

void tf_merge_reset(struct tf_merge *m)
{
	tf_set_clear(&m->served);
	tf_set_clear(&m->series);
	m->nfams = m->nlinks = m->nwhere = m->nfiles = 0;
}

/* The name of merged family mf, as written. */
static const char *mfam_name(const struct tf_merge *m, const struct tf_mfam *mf)
{
	const struct tf_file *f = m->files[mf->file];

	return tf_str(f, f->fams[mf->fam].name);
}

/* How many label names fam of f adds to those of mf. */
static uint32_t new_lnames(const struct tf_mfam *mf, const struct tf_file *f,
			   const struct tf_family *fam, const char **out)
{
	uint32_t n = 0;

	for (uint32_t l = 0; l < fam->nlnames; l++) {
		const char *name = tf_str(f, fam->lnames[l]);
		uint32_t k = 0;

		while (k < mf->nlnames && strcmp(mf->lnames[k], name) != 0)
			k++;
		if (k == mf->nlnames) {
			if (out)
				out[n] = name;
			n++;
		}
	}
	return n;
}

/* Checks family fam of f (which has samples) against the merge: *found is
 * set to the merged family it joins, or TF_NONE for a new one. */
static int check_family(const struct tf_merge *m, const struct tf_file *f,
			const struct tf_family *fam, uint32_t *found,
			struct tf_error *err)
{
	const char *name = tf_str(f, fam->name);
	size_t keys[2] = {tf_snap_len(fam->len, fam->type), fam->len};
	uint32_t v;

	*found = TF_NONE;
	for (size_t k = 0; k < 2; k++) {
		const struct tf_mfam *mf;
		const struct tf_family *other;

		if (tf_set_find(&m->reserved, name, keys[k], &v) == 0 &&
		    keys[k] == fam->len)
			return tf_fail(err, fam->line,
				    "%s is a name of "
				    "virtmeter's own families",
				    name);
		if (tf_set_find(&m->reserved, name, keys[k], &v) == 0)
			return tf_fail(err, fam->line,
				    "%s would be served as "
				    "%.*s, a family of virtmeter's own",
				    name, (int)keys[k], name);
		if (tf_set_find(&m->served, name, keys[k], &v) != 0)
			continue;
		mf = &m->fams[v];
		other = &m->files[mf->file]->fams[mf->fam];
		if (strcmp(mfam_name(m, mf), name) != 0)
			return tf_fail(err, fam->line,
				    "%s would be served under "
				    "one name, %.*s, with %s of %s:%u",
				    name, (int)keys[k], name, mfam_name(m, mf),
				    m->paths[mf->file], (unsigned)other->line);
		if (other->type != fam->type)
			return tf_fail(err, fam->line,
				    "%s: TYPE %s here, %s in "
				    "%s:%u",
				    name, type_names[fam->type],
				    type_names[other->type], m->paths[mf->file],
				    (unsigned)other->line);
		*found = v;
	}
	if (*found == TF_NONE)
		return 0;
	{
		const struct tf_mfam *mf = &m->fams[*found];

		if (mf->help && fam->help != TF_NONE &&
		    strcmp(mf->help, tf_str(f, fam->help)) != 0)
			return tf_fail(err, fam->line,
				    "%s: another HELP than in "
				    "%s",
				    name, m->paths[mf->file]);
		if (mf->nlnames + new_lnames(mf, f, fam, NULL) > TF_MAX_LABELS)
			return tf_fail(err, fam->line,
				    "%s: more than %d label "
				    "names with those of %s",
				    name, TF_MAX_LABELS, m->paths[mf->file]);
	}
	return 0;
}

/* Checks the whole of f against the merge. Returns 0, -EINVAL with err,
 * or -ENOMEM. */
static int check_file(struct tf_merge *m, const struct tf_file *f,
		      struct tf_error *err)
{
	uint32_t v;
	int rc;

	for (size_t i = 0; i < f->nfams; i++) {
		if (f->fams[i].nsamples == 0)
			continue;
		rc = check_family(m, f, &f->fams[i], &v, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < f->nsamples; i++) {
		const struct tf_sample *s = &f->samples[i];
		size_t len = tf_series_key(f, s, &m->key, &m->capkey);

		if (len == 0)
			return -ENOMEM;
		if (tf_set_find(&m->series, m->key, len, &v) == 0)
			return tf_fail(err, s->line,
				    "%s: the same series as %s:%u",
				    tf_str(f, f->fams[s->fam].name),
				    m->paths[m->where[v].file],
				    (unsigned)m->where[v].line);
	}
	return 0;
}

/* Adds file fi to the chain of merged family mf. */
static int link_file(struct tf_merge *m, uint32_t mf, uint32_t fi)
{
	struct tf_mfam *fam;

	if (buf_grow_array((void **)&m->links, &m->caplinks, m->nlinks + 1,
		 sizeof(*m->links)))
		return -ENOMEM;
	m->links[m->nlinks] = (struct tf_link){.file = fi, .next = TF_NONE};
	fam = &m->fams[mf];
	if (fam->links == TF_NONE)
		fam->links = (uint32_t)m->nlinks;
	else
		m->links[fam->last].next = (uint32_t)m->nlinks;
	fam->last = (uint32_t)m->nlinks++;
	return 0;
}

/* Makes a merged family of family i of file fi. Returns 0 or -ENOMEM. */
static int new_family(struct tf_merge *m, uint32_t fi, uint32_t i)
{
	struct tf_file *f = m->files[fi];
	struct tf_family *fam = &f->fams[i];
	const char *name = tf_str(f, fam->name);
	size_t keys[2] = {tf_snap_len(fam->len, fam->type), fam->len};
	uint32_t mi = (uint32_t)m->nfams;

	if (buf_grow_array((void **)&m->fams, &m->capfams, m->nfams + 1,
		 sizeof(*m->fams)))
		return -ENOMEM;
	m->fams[mi] = (struct tf_mfam){
	    .file = fi, .fam = i, .links = TF_NONE, .last = TF_NONE};
	m->nfams++;
	for (size_t k = 0; k < 2; k++) {
		int rc = tf_set_add(&m->served, name, keys[k], mi, NULL);

		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* Takes f (checked) into the merge as file fi. */
static int take_file(struct tf_merge *m, uint32_t fi)
{
	struct tf_file *f = m->files[fi];
	uint32_t v;

	for (uint32_t i = 0; i < f->nfams; i++) {
		struct tf_family *fam = &f->fams[i];
		struct tf_mfam *mf;
		const char *name = tf_str(f, fam->name);

		if (fam->nsamples == 0)
			continue;
		if (tf_set_find(&m->served, name, fam->len, &v) != 0) {
			v = (uint32_t)m->nfams;
			if (new_family(m, fi, i))
				return -ENOMEM;
		}
		mf = &m->fams[v];
		fam->merged = v;
		if (!mf->help && fam->help != TF_NONE)
			mf->help = tf_str(f, fam->help);
		mf->nlnames += new_lnames(mf, f, fam, mf->lnames + mf->nlnames);
		if (link_file(m, v, fi))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < f->nsamples; i++) {
		size_t len =
		    tf_series_key(f, &f->samples[i], &m->key, &m->capkey);

		if (len == 0 || buf_grow_array((void **)&m->where, &m->capwhere,
				     m->nwhere + 1, sizeof(*m->where)))
			return -ENOMEM;
		m->where[m->nwhere] = (struct tf_where){fi, f->samples[i].line};
		if (tf_set_add(&m->series, m->key, len, (uint32_t)m->nwhere,
			       NULL))
			return -ENOMEM;
		m->nwhere++;
	}
	return 0;
}

int tf_merge_add(struct tf_merge *m, struct tf_file *f, const char *path,
		 struct tf_error *err)
{
	int rc = check_file(m, f, err);

	if (rc)
		return rc;
	if (buf_grow_array((void **)&m->files, &m->capfiles, m->nfiles + 1,
		 sizeof(*m->files)) ||
	    buf_grow_array((void **)&m->paths, &m->cappaths, m->nfiles + 1,
		 sizeof(*m->paths)))
		return -ENOMEM;
	m->files[m->nfiles] = f;
	m->paths[m->nfiles] = path;
	return take_file(m, (uint32_t)m->nfiles++);
}

/* The bytes of the HELP of mf: its own, or "Metric read from" and the
 * paths of its files (as node_exporter writes it), NUL included. */
static size_t help_size(const struct tf_merge *m, const struct tf_mfam *mf)
{
	size_t n = sizeof(HELP_PREFIX);

	if (mf->help)
		return strlen(mf->help) + 1;
	for (uint32_t l = mf->links; l != TF_NONE; l = m->links[l].next)
		n += strlen(m->paths[m->links[l].file]) + 2;
	return n;
}

/* Writes the HELP of mf (help_size bytes) at out. */
static void help_write(const struct tf_merge *m, const struct tf_mfam *mf,
		       char *out)
{
	size_t n = sizeof(HELP_PREFIX) - 1;

	if (mf->help) {
		memcpy(out, mf->help, strlen(mf->help) + 1);
		return;
	}
	memcpy(out, HELP_PREFIX, n);
	for (uint32_t l = mf->links; l != TF_NONE; l = m->links[l].next) {
		const char *p = m->paths[m->links[l].file];

		if (l != mf->links)
			memcpy(out + n, ", ", 2), n += 2;
		memcpy(out + n, p, strlen(p));
		n += strlen(p);
	}
	out[n] = '\0';
}

/* The unit that the name (len bytes) ends in, or NULL. */
static const char *unit_of(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t ul = strlen(units[i]);

		if (len > ul + 1 && name[len - ul - 1] == '_' &&
		    memcmp(name + len - ul, units[i], ul) == 0)
			return units[i];
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Makes the snapshot families of the merge in one block that the caller
 * frees: the descriptors first, then their strings. NULL without memory. */
static struct snap_family *make_families(const struct tf_merge *m)
{
	size_t bytes = m->nfams * sizeof(struct snap_family);
	struct snap_family *out;
	char *p;

	for (size_t i = 0; i < m->nfams; i++) {
		const struct tf_mfam *mf = &m->fams[i];

		bytes += strlen(mfam_name(m, mf)) + 1 + help_size(m, mf);
		for (uint32_t l = 0; l < mf->nlnames; l++)
			bytes += strlen(mf->lnames[l]) + 1;
	}
	out = calloc(1, bytes ? bytes : 1);
	if (!out)
		return NULL;
	p = (char *)(out + m->nfams);
	for (size_t i = 0; i < m->nfams; i++) {
		const struct tf_mfam *mf = &m->fams[i];
		const struct tf_file *f = m->files[mf->file];
		const struct tf_family *fam = &f->fams[mf->fam];
		const char *names[TF_MAX_LABELS];
		size_t snap = tf_snap_len(fam->len, fam->type);

		out[i].type = fam->type == TF_COUNTER ? SNAP_COUNTER
			      : fam->type == TF_GAUGE ? SNAP_GAUGE
						      : SNAP_UNTYPED;
		out[i].name = p;
		out[i].unit = unit_of(tf_str(f, fam->name), snap);
		memcpy(p, tf_str(f, fam->name), snap);
		p[snap] = '\0';
		p += snap + 1;
		out[i].help = p;
		help_write(m, mf, p);
		p += strlen(p) + 1;
		memcpy(names, mf->lnames, mf->nlnames * sizeof(*names));
		qsort(names, mf->nlnames, sizeof(*names), cmp_str);
		for (uint32_t l = 0; l < mf->nlnames; l++) {
			out[i].labels[l] = p;
			memcpy(p, names[l], strlen(names[l]) + 1);
			p += strlen(p) + 1;
		}
	}
	return out;
}

int tf_merge_emit(const struct tf_merge *m, struct snap_set *set)
{
	struct snap_family *fams = make_families(m);
	int rc;

	if (!fams)
		return -ENOMEM;
	rc = snap_set_attach(set, fams, free);
	if (rc) {
		free(fams);
		return rc;
	}
	for (size_t fi = 0; fi < m->nfiles; fi++) {
		const struct tf_file *f = m->files[fi];

		for (size_t i = 0; i < f->nsamples; i++) {
			const struct tf_sample *s = &f->samples[i];
			const struct snap_family *d =
			    &fams[f->fams[s->fam].merged];
			const char *values[TF_MAX_LABELS];
			size_t n = 0;

			while (n < TF_MAX_LABELS && d->labels[n])
				values[n++] = "";
			for (uint32_t l = 0; l < s->nlabels; l++) {
				const struct tf_label *lb =
				    &f->labels[s->labels + l];
				size_t k = 0;

				while (
				    strcmp(d->labels[k], tf_str(f, lb->name)))
					k++;
				values[k] = tf_str(f, lb->value);
			}
			snap_add_array(set, d, s->value, values, n);
		}
	}
	return set->err;
}

void tf_merge_free(struct tf_merge *m)
{
	tf_set_free(&m->reserved);
	tf_set_free(&m->served);
	tf_set_free(&m->series);
	free(m->fams);
	free(m->links);
	free(m->where);
	free(m->files);
	free(m->paths);
	free(m->key);
	memset(m, 0, sizeof(*m));
}
