/* A pure, strict parser of the Prometheus text exposition format (0.0.4),
 * as batch jobs write it for node_exporter's textfile collector. It takes
 * a buffer and its length, never looks for a NUL, and refuses what the
 * Prometheus text parser refuses, plus what virtmeter cannot serve as
 * written:
 * - metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
 *   (not __name__, not twice in a sample), at most TF_MAX_LABELS label
 *   names per family; names in quotes are refused;
 * - label values and HELP texts with the escapes \\, \" and \n only;
 *   invalid UTF-8 and NUL bytes anywhere;
 * - values that are not numbers (Go's syntax: 1, -1.5e3, .5, NaN, +Inf,
 *   Infinity; no hex, no '_'), and any timestamp after the value;
 * - a second HELP or TYPE for a name, a TYPE after the name's samples,
 *   TYPE summary or histogram (not supported: only counter, gauge and
 *   untyped), a counter whose samples are not named NAME_total (every
 *   counter is served with _total, as OpenMetrics asks);
 * - the same series (name and label set; an empty label value is an
 *   absent label) twice, and two families that would be served under one
 *   name (a gauge foo and a counter foo_total);
 * - a last line without its newline (a file still being written).
 * Blank lines and comments other than HELP and TYPE are skipped; a HELP or
 * TYPE line without its text is a comment, as in Prometheus. */
#ifndef VIRTMETER_TEXTFILE_PARSE_H
#define VIRTMETER_TEXTFILE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/textfile/strset.h"

/* Label names of one family (the snapshot's SNAP_MAX_LABELS). */
#define TF_MAX_LABELS 8
/* The largest text tf_parse takes. */
#define TF_PARSE_MAX (64u << 20)
/* No such string or index. */
#define TF_NONE UINT32_MAX

enum tf_type { TF_UNTYPED, TF_COUNTER, TF_GAUGE };

/* ---- one line ------------------------------------------------------------ */

enum tf_line_kind {
	TF_LINE_EMPTY,	 /* nothing but blanks */
	TF_LINE_COMMENT, /* a comment, or HELP/TYPE without text */
	TF_LINE_HELP,
	TF_LINE_TYPE,
	TF_LINE_SAMPLE,
};

/* A stretch of the line: p points into the caller's buffer. */
struct tf_span {
	const char *p;
	size_t n;
};

/* What one line says. Spans point into the line. */
struct tf_line {
	enum tf_line_kind kind;
	struct tf_span name; /* HELP, TYPE, SAMPLE: the metric name */
	struct tf_span help; /* HELP: the text, escapes checked, not undone */
	enum tf_type type;   /* TYPE */
	size_t nlabels;	     /* SAMPLE */
	struct tf_span lname[TF_MAX_LABELS];
	struct tf_span lvalue[TF_MAX_LABELS]; /* as written, between quotes */
	double value;
};

/* Parses one line of n bytes at p, without its '\n'. Returns 0 with *out
 * filled, or -EINVAL with the reason in err (a sentence without the
 * place). */
int tf_parse_line(const char *p, size_t n, struct tf_line *out, char *err,
		  size_t errlen);

/* Writes the text of span s with its escapes (\\, \", \n) undone to out,
 * which has room for s.n bytes; no NUL is added. Returns the length
 * written. The escapes must have been checked (tf_parse_line did). */
size_t tf_unescape(struct tf_span s, char *out);

/* Whether the n bytes at p are valid UTF-8 (no overlong form, surrogate or
 * code point past U+10FFFF). */
bool tf_utf8_valid(const char *p, size_t n);

/* ---- one file ------------------------------------------------------------ */

/* A label of a sample: offsets of NUL-terminated strings in the arena. */
struct tf_label {
	uint32_t name, value;
};

struct tf_sample {
	uint32_t fam;	  /* index in fams */
	uint32_t line;	  /* 1-based */
	uint32_t labels;  /* index of its first label in labels */
	uint32_t nlabels; /* sorted by name */
	double value;
};

struct tf_family {
	uint32_t name; /* as written (a counter's with _total), in the arena */
	uint32_t len;  /* of the name */
	uint32_t help; /* unescaped, in the arena; TF_NONE without HELP */
	enum tf_type type;
	uint32_t type_line; /* of its TYPE line; 0: none (untyped) */
	uint32_t line;	    /* the first line that named it */
	uint32_t nsamples;  /* 0: only HELP or TYPE named it (not served) */
	uint32_t nlnames;   /* label names its samples use, in order of use */
	uint32_t lnames[TF_MAX_LABELS];
	uint32_t merged; /* for the merge of files (merge.h); TF_NONE here */
};

/* The parse of one file. Zero-initialise it; tf_parse reuses its storage
 * from one file to the next; tf_file_free frees it. */
struct tf_file {
	struct tf_family *fams;
	size_t nfams, capfams;
	struct tf_sample *samples;
	size_t nsamples, capsamples;
	struct tf_label *labels;
	size_t nlabels, caplabels;
	char *arena; /* NUL-terminated strings */
	size_t narena, caparena;
	struct tf_set names;  /* name as written -> family */
	struct tf_set served; /* each name a family is served under -> family */
	struct tf_set series; /* series key -> sample */
	char *key;	      /* scratch for series keys */
	size_t capkey;
};

/* Where and why a text was refused. */
struct tf_error {
	unsigned line; /* 1-based; 0 for the text as a whole */
	char msg[256];
};

/* Records in err why line line is refused (printf-style). Returns -EINVAL,
 * for "return tf_fail(...)". */
int tf_fail(struct tf_error *err, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses the text of one file, len bytes at buf, into f (emptied first).
 * Returns 0; -EINVAL with err filled when the text breaks a rule of this
 * header; -E2BIG past TF_PARSE_MAX bytes; -ENOMEM. After a failure f holds
 * nothing usable but may be reused. */
int tf_parse(struct tf_file *f, const char *buf, size_t len,
	     struct tf_error *err);

/* Frees what f holds and leaves it zeroed. */
void tf_file_free(struct tf_file *f);

/* The NUL-terminated string at offset off of f's arena. */
static inline const char *tf_str(const struct tf_file *f, uint32_t off)
{
	return f->arena + off;
}

/* The length of the name under which a family of this name (len bytes)
 * and type is kept in a snapshot: a counter's name without its "_total"
 * (the exposition adds it back), any other name whole. */
size_t tf_snap_len(size_t len, enum tf_type type);

/* Writes the key of sample s of f to *key (grown as needed; *cap its
 * size): the family's name as written, then each label with a non-empty
 * value as name and value, sorted by name, every string followed by a
 * NUL. Two samples are the same series exactly when their keys are equal.
 * Returns the key's length, or 0 without memory. */
size_t tf_series_key(const struct tf_file *f, const struct tf_sample *s,
		     char **key, size_t *cap);

#endif
