/* The collector selection of a scrape: see filter.h. Nothing here
 * allocates but filter_self_set, and nothing reads beyond the strings
 * given, whatever a client puts in its query string. */
#include "exporter/filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The label of the self-metrics that names a collector. */
#define COLLECTOR_LABEL "collector"

/* Returns the index of name in k, or -1. */
static int known_index(const struct filter_known *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Whether collector i of k is enabled (all are without an enabled list). */
static bool is_enabled(const struct filter_known *k, size_t i)
{
	return !k->enabled || k->enabled[i];
}

/* Copies name into out (FILTER_MAX_QUOTED + 4 bytes) as it may be shown
 * to the client: printable ASCII only, cut with "..." when too long. */
static void quote_name(const char *name, char *out)
{
	size_t i;

	for (i = 0; name[i] && i < FILTER_MAX_QUOTED; i++) {
		unsigned char c = (unsigned char)name[i];

		out[i] = c > 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
	}
	if (name[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* Appends s to the NUL-terminated text in out (size outlen), cutting it
 * where out is full. */
static void append(char *out, size_t outlen, const char *s)
{
	size_t len = strnlen(out, outlen), n = strlen(s);

	if (len + 1 >= outlen)
		return;
	if (n > outlen - 1 - len)
		n = outlen - 1 - len;
	memcpy(out + len, s, n);
	out[len + n] = '\0';
}

/* Writes before, then the collectors of k (only the enabled ones if
 * enabled_only) separated by ", ", into err. */
static void list_names(char *err, size_t errlen, const char *before,
		       const struct filter_known *k, bool enabled_only)
{
	size_t shown = 0;

	if (errlen == 0)
		return;
	err[0] = '\0';
	append(err, errlen, before);
	for (size_t i = 0; i < k->n; i++) {
		if (enabled_only && !is_enabled(k, i))
			continue;
		append(err, errlen, shown++ ? ", " : "");
		append(err, errlen, k->names[i]);
	}
	if (shown == 0)
		append(err, errlen, "(none)");
}

int filter_parse(const char *const *values, size_t nvalues,
		 const struct filter_known *k, uint32_t *mask, char *err,
		 size_t errlen)
{
	char quoted[FILTER_MAX_QUOTED + 4], before[160];
	uint32_t m = 0;

	*mask = 0;
	if (nvalues > FILTER_MAX_VALUES) {
		snprintf(err, errlen, "collect[]: more than %d values",
			 FILTER_MAX_VALUES);
		return -EINVAL;
	}
	for (size_t v = 0; v < nvalues; v++) {
		const char *name = values[v] ? values[v] : "";
		int i = known_index(k, name);

		quote_name(name, quoted);
		if (i < 0 || i >= FILTER_MAX_COLLECTORS) {
			snprintf(before, sizeof(before),
				 "collect[]: unknown collector '%s'; known "
				 "collectors: ", quoted);
			list_names(err, errlen, before, k, false);
			return -EINVAL;
		}
		if (!is_enabled(k, (size_t)i)) {
			snprintf(before, sizeof(before),
				 "collect[]: collector '%s' is disabled; "
				 "enabled collectors: ", quoted);
			list_names(err, errlen, before, k, true);
			return -EINVAL;
		}
		m |= UINT32_C(1) << i;
	}
	*mask = m;
	return 0;
}

/* The position of the "collector" label in fam, or -1. */
static int collector_label(const struct snap_family *fam)
{
	for (int l = 0; l < SNAP_MAX_LABELS && fam->labels[l]; l++)
		if (strcmp(fam->labels[l], COLLECTOR_LABEL) == 0)
			return l;
	return -1;
}

/* Whether a sample whose label values are v (back to back, n of them)
 * belongs to the selection, given the position of its collector label. */
static bool keep_sample(const char *v, uint32_t n, int pos, uint32_t mask,
			const struct filter_known *k, const char **values)
{
	int i;

	for (uint32_t l = 0; l < n; l++) {
		values[l] = v;
		v += strlen(v) + 1;
	}
	if (pos < 0)
		return true;
	i = known_index(k, values[pos]);
	return i < 0 || i >= FILTER_MAX_COLLECTORS ||
	       (mask & (UINT32_C(1) << i));
}

struct snap_set *filter_self_set(const struct snap_set *self, uint32_t mask,
				 const struct filter_known *k)
{
	struct snap_set *out = snap_set_new();
	const char *values[SNAP_MAX_LABELS];

	if (!out || !self)
		return out;
	for (size_t f = 0; f < self->nfams; f++) {
		const struct snap_fam_entry *e = &self->fams[f];
		int pos = collector_label(e->desc);

		for (uint32_t s = e->first; s != UINT32_MAX;
		     s = self->samples[s].next) {
			const struct snap_sample *sm = &self->samples[s];

			if (!keep_sample(snap_sample_labels(self, sm),
					 e->nlabels, pos, mask, k, values))
				continue;
			snap_add_array(out, e->desc, sm->value, values,
				       e->nlabels);
		}
	}
	if (out->err) {
		snap_set_unref(out);
		return NULL;
	}
	return out;
}
