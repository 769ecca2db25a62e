/* One line of the Prometheus text format: names, label sets, escapes,
 * values and UTF-8, checked as parse.h says. Pure: a line is a buffer and
 * its length, never a C string. */
#include "collectors/textfile/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/lib/scan.h"
#include "exporter/api/base.h"

/* The longest value written out that is parsed (Go has no limit; 255
 * bytes hold every double with all its digits). */
#define VALUE_MAX 255

bool tf_utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned cp;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4, cp = s[i] & 0x07;
		else
			return false;
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

static bool is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_label_char(char c)
{
	return is_alpha_(c) || scan_is_digit(c);
}

static bool is_name_char(char c)
{
	return is_label_char(c) || c == ':';
}

/* Whether the n bytes at p equal s, ignoring ASCII case. */
static bool equal_nocase(const char *p, size_t n, const char *s)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != s[i])
			return false;
	}
	return true;
}

/* Parses a sample value as Go's strconv.ParseFloat does, less its hex and
 * '_' forms (which the Prometheus parser refuses): [+-]digits[.digits]
 * [e[+-]digits] with a digit somewhere before the exponent, [+-]Inf,
 * [+-]Infinity or NaN in any case. A finite value too large for a double
 * is refused, as Go refuses it. Returns 0 or -EINVAL. */
static int parse_value(const char *p, size_t n, double *out)
{
	char tmp[VALUE_MAX + 1];
	size_t i = 0, digits = 0;
	char *end;
	double v;

	if (n == 0 || n > VALUE_MAX)
		return -EINVAL;
	if (p[0] == '+' || p[0] == '-')
		i++;
	if (equal_nocase(p + i, n - i, "inf") ||
	    equal_nocase(p + i, n - i, "infinity")) {
		*out = p[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (i == 0 && equal_nocase(p, n, "nan")) {
		*out = NAN;
		return 0;
	}
	for (; i < n && scan_is_digit(p[i]); i++)
		digits++;
	if (i < n && p[i] == '.')
		for (i++; i < n && scan_is_digit(p[i]); i++)
			digits++;
	if (digits == 0)
		return -EINVAL;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t exp = 0;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		for (; i < n && scan_is_digit(p[i]); i++)
			exp++;
		if (exp == 0)
			return -EINVAL;
	}
	if (i != n)
		return -EINVAL;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (end != tmp + n || (errno == ERANGE && isinf(v)))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Moves c past a quoted string whose opening quote it is on, checking its
 * escapes; *s is set to what lies between the quotes. Returns 0, or
 * -EINVAL with the reason in err. */
static int scan_quoted(struct scan *c, struct tf_span *s, char *err,
		       size_t errlen)
{
	const char *start = ++c->p;

	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\') {
			c->p++;
			if (c->p == c->end)
				break;
			if (*c->p != '\\' && *c->p != '"' && *c->p != 'n') {
				snprintf(
				    err, errlen,
				    "invalid escape \\%c in a "
				    "label value (only \\\\, \\\" and \\n)",
				    *c->p);
				return -EINVAL;
			}
		}
		c->p++;
	}
	if (c->p == c->end) {
		snprintf(err, errlen,
			 "label value not closed by '\"' before "
			 "the end of the line");
		return -EINVAL;
	}
	s->p = start;
	s->n = (size_t)(c->p - start);
	c->p++;
	return 0;
}

/* Checks one label name of the sample being read in out (the nlabels
 * before it included). Returns 0 or -EINVAL with the reason in err. */
static int check_label(const struct tf_line *out, struct tf_span name,
		       char *err, size_t errlen)
{
	if (name.n == 8 && memcmp(name.p, "__name__", 8) == 0) {
		snprintf(err, errlen, "label name __name__ is reserved");
		return -EINVAL;
	}
	for (size_t i = 0; i < out->nlabels; i++) {
		if (out->lname[i].n == name.n &&
		    memcmp(out->lname[i].p, name.p, name.n) == 0) {
			snprintf(err, errlen, "label %.*s given twice",
				 (int)name.n, name.p);
			return -EINVAL;
		}
	}
	if (out->nlabels == TF_MAX_LABELS) {
		snprintf(err, errlen, "more than %d labels", TF_MAX_LABELS);
		return -EINVAL;
	}
	return 0;
}

/* Reads the label set of a sample, c on its '{', into out. Returns 0 or
 * -EINVAL with the reason in err. */
static int parse_labels(struct scan *c, struct tf_line *out, char *err,
			size_t errlen)
{
	c->p++;
	for (;;) {
		struct tf_span name, value;
		int rc;

		scan_skip_blanks(c);
		if (c->p < c->end && *c->p == '}')
			break;
		name.p = c->p;
		if (c->p < c->end && is_alpha_(*c->p))
			while (c->p < c->end && is_label_char(*c->p))
				c->p++;
		name.n = (size_t)(c->p - name.p);
		if (name.n == 0) {
			snprintf(err, errlen, "invalid label name at \"%.*s\"",
				 (int)(c->end - c->p > 16 ? 16 : c->end - c->p),
				 c->p);
			return -EINVAL;
		}
		scan_skip_blanks(c);
		if (c->p == c->end || *c->p != '=') {
			snprintf(
			    err, errlen,
			    "expected '=' after label name "
			    "%.*s (a label name is [a-zA-Z_][a-zA-Z0-9_]*)",
			    (int)name.n, name.p);
			return -EINVAL;
		}
		c->p++;
		scan_skip_blanks(c);
		if (c->p == c->end || *c->p != '"') {
			snprintf(err, errlen,
				 "expected '\"' to open the value "
				 "of label %.*s",
				 (int)name.n, name.p);
			return -EINVAL;
		}
		rc = check_label(out, name, err, errlen);
		if (rc == 0)
			rc = scan_quoted(c, &value, err, errlen);
		if (rc)
			return rc;
		out->lname[out->nlabels] = name;
		out->lvalue[out->nlabels++] = value;
		scan_skip_blanks(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}')
			break;
		snprintf(err, errlen,
			 "expected ',' or '}' after the value of "
			 "label %.*s",
			 (int)name.n, name.p);
		return -EINVAL;
	}
	c->p++;
	return 0;
}

/* Reads what follows a sample's labels: its value, and refuses anything
 * after it. Returns 0 or -EINVAL with the reason in err. */
static int parse_tail(struct scan *c, struct tf_line *out, char *err,
		      size_t errlen)
{
	struct scan word;

	scan_next_word(c, &word);
	if (word.p == word.end) {
		snprintf(err, errlen,
			 "expected a value after the metric name "
			 "and labels");
		return -EINVAL;
	}
	if (parse_value(word.p, (size_t)(word.end - word.p), &out->value)) {
		bool cr = memchr(word.p, '\r', (size_t)(word.end - word.p));

		snprintf(err, errlen,
			 "expected a number as the value, got "
			 "\"%.*s\"%s",
			 (int)(word.end - word.p > 40 ? 40 : word.end - word.p),
			 word.p,
			 cr ? " (a carriage return: DOS line ends?)" : "");
		return -EINVAL;
	}
	if (c->p == c->end)
		return 0;
	scan_skip_blanks(c);
	if (c->p == c->end) {
		snprintf(err, errlen, "blanks after the value");
		return -EINVAL;
	}
	snprintf(err, errlen,
		 "a timestamp or text after the value (\"%.*s\"):"
		 " samples in text files take no timestamp",
		 (int)(c->end - c->p > 24 ? 24 : c->end - c->p), c->p);
	return -EINVAL;
}

/* Reads a sample line, c on the first byte of its name. */
static int parse_sample(struct scan *c, struct tf_line *out, char *err,
			size_t errlen)
{
	out->kind = TF_LINE_SAMPLE;
	out->name.p = c->p;
	if (is_alpha_(*c->p) || *c->p == ':')
		while (c->p < c->end && is_name_char(*c->p))
			c->p++;
	out->name.n = (size_t)(c->p - out->name.p);
	if (out->name.n == 0 ||
	    (c->p < c->end && !scan_is_blank(*c->p) && *c->p != '{')) {
		snprintf(err, errlen,
			 "invalid metric name at \"%.*s\" (a "
			 "metric name is [a-zA-Z_:][a-zA-Z0-9_:]*)",
			 (int)(c->end - out->name.p > 24
				   ? 24
				   : c->end - out->name.p),
			 out->name.p);
		return -EINVAL;
	}
	scan_skip_blanks(c);
	if (c->p < c->end && *c->p == '{') {
		int rc = parse_labels(c, out, err, errlen);

		if (rc)
			return rc;
		scan_skip_blanks(c);
	}
	return parse_tail(c, out, err, errlen);
}

/* Reads the metric name of a HELP or TYPE line into out->name. Returns 0,
 * or -EINVAL with the reason in err. */
static int comment_name(struct scan *c, struct tf_line *out, char *err,
			size_t errlen)
{
	out->name.p = c->p;
	if (c->p < c->end && (is_alpha_(*c->p) || *c->p == ':'))
		while (c->p < c->end && is_name_char(*c->p))
			c->p++;
	out->name.n = (size_t)(c->p - out->name.p);
	if (out->name.n == 0 || (c->p < c->end && !scan_is_blank(*c->p))) {
		snprintf(err, errlen,
			 "invalid metric name at \"%.*s\" (a "
			 "metric name is [a-zA-Z_:][a-zA-Z0-9_:]*)",
			 (int)(c->end - out->name.p > 24
				   ? 24
				   : c->end - out->name.p),
			 out->name.p);
		return -EINVAL;
	}
	return 0;
}

/* Reads the type of a TYPE line: counter, gauge or untyped in any case. */
static int comment_type(struct tf_span t, struct tf_line *out, char *err,
			size_t errlen)
{
	static const char *const unsupported[] = {
	    "summary", "histogram", "gauge_histogram", "gaugehistogram"};

	if (equal_nocase(t.p, t.n, "counter")) {
		out->type = TF_COUNTER;
	} else if (equal_nocase(t.p, t.n, "gauge")) {
		out->type = TF_GAUGE;
	} else if (equal_nocase(t.p, t.n, "untyped")) {
		out->type = TF_UNTYPED;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
			if (equal_nocase(t.p, t.n, unsupported[i])) {
				snprintf(
				    err, errlen,
				    "TYPE %.*s of %.*s: "
				    "summaries and histograms are not "
				    "supported (counter, gauge or untyped)",
				    (int)t.n, t.p, (int)out->name.n,
				    out->name.p);
				return -EINVAL;
			}
		}
		snprintf(err, errlen,
			 "unknown TYPE \"%.*s\" of %.*s (counter, "
			 "gauge or untyped)",
			 (int)(t.n > 24 ? 24 : t.n), t.p, (int)out->name.n,
			 out->name.p);
		return -EINVAL;
	}
	out->kind = TF_LINE_TYPE;
	return 0;
}

/* Checks the escapes of a HELP text (\\, \" and \n). */
static int check_help(struct tf_span h, char *err, size_t errlen)
{
	for (size_t i = 0; i < h.n; i++) {
		if (h.p[i] != '\\')
			continue;
		if (i + 1 == h.n || (h.p[i + 1] != '\\' && h.p[i + 1] != 'n' &&
				     h.p[i + 1] != '"')) {
			snprintf(err, errlen,
				 "invalid escape in HELP text (only "
				 "\\\\, \\\" and \\n)");
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/* Reads a comment line, c just past its '#'. */
static int parse_comment(struct scan *c, struct tf_line *out, char *err,
			 size_t errlen)
{
	struct scan word;
	struct tf_span rest;
	bool help;

	out->kind = TF_LINE_COMMENT;
	scan_skip_blanks(c);
	scan_next_word(c, &word);
	help = scan_word_is(&word, "HELP");
	if (!help && !scan_word_is(&word, "TYPE"))
		return 0;
	scan_skip_blanks(c);
	if (c->p == c->end)
		return 0;
	if (comment_name(c, out, err, errlen))
		return -EINVAL;
	scan_skip_blanks(c);
	if (c->p == c->end)
		return 0; /* no text: a comment, as in Prometheus */
	rest.p = c->p;
	rest.n = (size_t)(c->end - c->p);
	if (!help)
		return comment_type(rest, out, err, errlen);
	if (check_help(rest, err, errlen))
		return -EINVAL;
	out->kind = TF_LINE_HELP;
	out->help = rest;
	return 0;
}

int tf_parse_line(const char *p, size_t n, struct tf_line *out, char *err,
		  size_t errlen)
{
	struct scan c = {p, p + n};

	memset(out, 0, sizeof(*out));
	if (memchr(p, '\0', n)) {
		snprintf(err, errlen, "NUL byte in the line");
		return -EINVAL;
	}
	if (!tf_utf8_valid(p, n)) {
		snprintf(err, errlen, "invalid UTF-8");
		return -EINVAL;
	}
	scan_skip_blanks(&c);
	if (c.p == c.end) {
		out->kind = TF_LINE_EMPTY;
		return 0;
	}
	if (*c.p == '#') {
		c.p++;
		return parse_comment(&c, out, err, errlen);
	}
	return parse_sample(&c, out, err, errlen);
}

size_t tf_unescape(struct tf_span s, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < s.n; i++) {
		char ch = s.p[i];

		if (ch == '\\' && i + 1 < s.n) {
			ch = s.p[++i];
			if (ch == 'n')
				ch = '\n';
		}
		out[o++] = ch;
	}
	return o;
}
