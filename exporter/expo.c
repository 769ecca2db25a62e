/* The exposition writer: Prometheus text 0.0.4 and OpenMetrics 1.0.0.
 *
 * Families of all sets are merged by name and sorted, so a family is never
 * split or repeated whichever collectors emitted it. Counter families are
 * named without "_total"; the suffix is written here, as each format asks:
 * text 0.0.4 names the family "x_total", OpenMetrics names it "x" and its
 * samples "x_total". No sample timestamps are written. */
#include "exporter/expo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/api/log.h"

const char *expo_content_type(enum expo_format fmt)
{
	if (fmt == EXPO_OPENMETRICS)
		return "application/openmetrics-text; version=1.0.0; charset=utf-8";
	return "text/plain; version=0.0.4; charset=utf-8";
}

/* Writes an unsigned integer without going through printf. */
static void put_u64(struct buf *out, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(out, tmp + i, sizeof(tmp) - i);
}

void expo_put_value(struct buf *out, double v)
{
	char tmp[40];

	if (isnan(v)) {
		buf_puts(out, "NaN");
	} else if (isinf(v)) {
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	} else if (fabs(v) < 1e15 && v == floor(v)) {
		if (v < 0) {
			buf_putc(out, '-');
			v = -v;
		}
		put_u64(out, (unsigned long long)v);
	} else {
		/* Shortest of 15 or 17 significant digits that reads back
		 * exactly: 0.1 stays "0.1", not "0.10000000000000001". */
		snprintf(tmp, sizeof(tmp), "%.15g", v);
		if (strtod(tmp, NULL) != v)
			snprintf(tmp, sizeof(tmp), "%.17g", v);
		buf_puts(out, tmp);
	}
}

/* Returns the length of the valid UTF-8 sequence at s (at most n bytes
 * available), or 0 if it is invalid (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Writes s with backslash, newline and (if quote) double quote escaped, and
 * invalid UTF-8 replaced by U+FFFD. */
static void put_escaped(struct buf *out, const char *s, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), run = 0;

	while (run < n) {
		size_t start = run, l;

		/* Copy the longest stretch that needs no escaping at once. */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		       p[run] != '\\' && p[run] != '"')
			run++;
		while (run < n && p[run] >= 0x80 && (l = utf8_len(p + run, n - run)))
			run += l;
		buf_add(out, s + start, run - start);
		if (run >= n)
			break;
		if (run > start)
			continue;
		if (p[run] == '\\') {
			buf_add(out, "\\\\", 2);
		} else if (p[run] == '\n') {
			buf_add(out, "\\n", 2);
		} else if (p[run] == '"') {
			buf_add(out, quote ? "\\\"" : "\"", quote ? 2 : 1);
		} else if (p[run] < 0x80) {
			buf_putc(out, (char)p[run]); /* other control bytes */
		} else {
			buf_add(out, "\xef\xbf\xbd", 3);
		}
		run++;
	}
}

void expo_put_label_value(struct buf *out, const char *s)
{
	put_escaped(out, s, 1);
}

/* A family of one set, for sorting by name across sets. */
struct fam_ref {
	const struct snap_set *set;
	const struct snap_fam_entry *e;
	size_t order;
};

static int fam_ref_cmp(const void *a, const void *b)
{
	const struct fam_ref *x = a, *y = b;
	int c = strcmp(x->e->desc->name, y->e->desc->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool has_unit_suffix(const struct snap_family *f)
{
	size_t nl, ul;

	if (!f->unit || !*f->unit)
		return false;
	nl = strlen(f->name);
	ul = strlen(f->unit);
	return nl > ul + 1 && f->name[nl - ul - 1] == '_' &&
	       strcmp(f->name + nl - ul, f->unit) == 0;
}

/* Writes the HELP/TYPE (and UNIT) lines of a family. */
static void put_header(struct buf *out, const struct snap_family *f,
		       enum expo_format fmt)
{
	static const char *const types[][2] = {
		[SNAP_GAUGE] = {"gauge", "gauge"},
		[SNAP_COUNTER] = {"counter", "counter"},
		[SNAP_UNTYPED] = {"untyped", "unknown"},
	};
	const char *type = types[f->type][fmt == EXPO_OPENMETRICS];
	const char *sfx = "";

	if (fmt == EXPO_TEXT && f->type == SNAP_COUNTER)
		sfx = "_total";
	buf_printf(out, "# HELP %s%s ", f->name, sfx);
	put_escaped(out, f->help ? f->help : "", fmt == EXPO_OPENMETRICS);
	buf_printf(out, "\n# TYPE %s%s %s\n", f->name, sfx, type);
	if (fmt == EXPO_OPENMETRICS && has_unit_suffix(f))
		buf_printf(out, "# UNIT %s %s\n", f->name, f->unit);
}

/* Writes every sample of one family entry of one set. */
static void put_samples(struct buf *out, const struct snap_set *set,
			const struct snap_fam_entry *e)
{
	const struct snap_family *f = e->desc;
	size_t nl = strlen(f->name);

	for (uint32_t i = e->first; i != UINT32_MAX; i = set->samples[i].next) {
		const struct snap_sample *s = &set->samples[i];
		const char *v = snap_sample_labels(set, s);

		buf_add(out, f->name, nl);
		if (f->type == SNAP_COUNTER)
			buf_add(out, "_total", 6);
		for (uint32_t l = 0; l < e->nlabels; l++) {
			buf_putc(out, l ? ',' : '{');
			buf_puts(out, f->labels[l]);
			buf_add(out, "=\"", 2);
			put_escaped(out, v, 1);
			buf_putc(out, '"');
			v += strlen(v) + 1;
		}
		buf_puts(out, e->nlabels ? "} " : " ");
		expo_put_value(out, s->value);
		buf_putc(out, '\n');
	}
}

int expo_render_sets(struct snap_set *const *sets, size_t nsets,
		     enum expo_format fmt, struct buf *out)
{
	struct fam_ref *refs;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < nsets; i++)
		total += sets[i] ? sets[i]->nfams : 0;
	refs = calloc(total ? total : 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < nsets; i++) {
		for (size_t j = 0; sets[i] && j < sets[i]->nfams; j++) {
			if (sets[i]->fams[j].count == 0)
				continue;
			refs[n].set = sets[i];
			refs[n].e = &sets[i]->fams[j];
			refs[n].order = n;
			n++;
		}
	}
	qsort(refs, n, sizeof(*refs), fam_ref_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct snap_family *f = refs[i].e->desc;

		if (i == 0 || strcmp(f->name, refs[i - 1].e->desc->name) != 0) {
			put_header(out, f, fmt);
		} else if (f->type != refs[i - 1].e->desc->type ||
			   refs[i].e->nlabels != refs[i - 1].e->nlabels) {
			/* Two declarations disagree: a bug, but one that
			 * must not make the whole scrape unparseable. */
			log_debug("family %s declared twice differently", f->name);
			continue;
		}
		put_samples(out, refs[i].set, refs[i].e);
	}
	if (fmt == EXPO_OPENMETRICS)
		buf_puts(out, "# EOF\n");
	free(refs);
	return buf_err(out);
}

int expo_render(const struct snap_gen *gen, enum expo_format fmt,
		struct buf *out)
{
	return expo_render_sets(gen->sets, SNAP_MAX_SLOTS, fmt, out);
}
