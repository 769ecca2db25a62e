/* Content negotiation for /metrics: parses the Accept and Accept-Encoding
 * request headers (RFC 9110 lists of values with ";name=value" parameters
 * and q-values) without allocating, for any input a client may send. */
#include "exporter/accept.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Weights are kept in thousandths: "q=0.75" is 750, no q at all is 1000. */
#define Q_MAX 1000u

/* One element of a header list. Every pointer points into the header. */
struct elem {
	const char *type, *sub; /* sub is NULL for a content coding */
	size_t ntype, nsub;
	const char *version; /* raw value of version=, NULL when absent */
	size_t nversion;
	unsigned q; /* 0..Q_MAX */
};

/* RFC 9110 tchar: the characters allowed in a token. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t span_token(const char *s)
{
	size_t n = 0;

	while (is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* Length of the quoted string that starts at s (s[0] is '"'), quotes
 * included, or 0 when it is not terminated. */
static size_t span_quoted(const char *s)
{
	size_t n = 1;

	while (s[n] && s[n] != '"') {
		if (s[n] == '\\' && s[n + 1])
			n++;
		n++;
	}
	return s[n] == '"' ? n + 1 : 0;
}

static void skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Moves *p to the comma that ends the current element (or to the end),
 * stepping over quoted strings: used to resynchronise after a bad element. */
static void skip_element(const char **p)
{
	const char *s = *p;

	while (*s && *s != ',') {
		if (*s == '"') {
			size_t n = span_quoted(s);

			/* An unterminated quote runs to the end. */
			s += n ? n : strlen(s);
		} else {
			s++;
		}
	}
	*p = s;
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Whether a parameter value (a token, or a quoted string with backslash
 * escapes) equals lit exactly. */
static bool value_eq(const char *v, size_t n, const char *lit)
{
	size_t i = 0, j = 0;

	if (n == 0 || v[0] != '"')
		return strlen(lit) == n && memcmp(v, lit, n) == 0;
	for (i = 1; i + 1 < n; i++, j++) {
		if (v[i] == '\\')
			i++;
		if (lit[j] == '\0' || v[i] != lit[j])
			return false;
	}
	return lit[j] == '\0';
}

/* Parses an RFC 9110 qvalue ("0", "0.5", "1.000", at most three decimals)
 * into thousandths. Returns 0 or -EINVAL. */
static int parse_qvalue(const char *v, size_t n, unsigned *q)
{
	unsigned frac = 0, scale = 100;

	if (n == 0 || (v[0] != '0' && v[0] != '1'))
		return -EINVAL;
	if (n > 1 && (v[1] != '.' || n > 5))
		return -EINVAL;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		frac += (unsigned)(v[i] - '0') * scale;
	}
	if (v[0] == '1' && frac != 0)
		return -EINVAL;
	*q = v[0] == '1' ? Q_MAX : frac;
	return 0;
}

/* Parses one "name=value" parameter at *p and applies q and version to e.
 * seen_q is set by the first q (later ones are extensions, ignored).
 * Returns 0 or -EINVAL for bad syntax or a bad q-value. */
static int parse_param(const char **p, struct elem *e, bool *seen_q)
{
	const char *name = *p, *val;
	size_t nname = span_token(name), nval;

	if (nname == 0)
		return -EINVAL;
	*p += nname;
	skip_ows(p);
	if (**p != '=')
		return -EINVAL;
	(*p)++;
	skip_ows(p);
	val = *p;
	nval = *val == '"' ? span_quoted(val) : span_token(val);
	if (nval == 0)
		return -EINVAL;
	*p += nval;

	if (token_eq(name, nname, "q") && !*seen_q) {
		*seen_q = true;
		return parse_qvalue(val, nval, &e->q);
	}
	if (token_eq(name, nname, "version")) {
		e->version = val;
		e->nversion = nval;
	}
	return 0;
}

/* Parses one list element at *p: "type/subtype" (media) or a content
 * coding, then its parameters, up to the next top-level comma or the end.
 * Returns 0 with *p on that comma or end, or -EINVAL (then *p is somewhere
 * inside the element). */
static int parse_elem(const char **p, bool media, struct elem *e)
{
	bool seen_q = false;

	memset(e, 0, sizeof(*e));
	e->q = Q_MAX;
	skip_ows(p);
	e->type = *p;
	e->ntype = span_token(*p);
	if (e->ntype == 0)
		return -EINVAL;
	*p += e->ntype;
	if (media) {
		if (**p != '/')
			return -EINVAL;
		e->sub = ++*p;
		e->nsub = span_token(*p);
		if (e->nsub == 0)
			return -EINVAL;
		*p += e->nsub;
	}
	for (;;) {
		skip_ows(p);
		if (**p == ',' || **p == '\0')
			return 0;
		if (**p != ';')
			return -EINVAL;
		(*p)++;
		skip_ows(p);
		/* RFC 9110 allows empty parameters: "a/b;;q=1", "a/b;". */
		if (**p == ';' || **p == ',' || **p == '\0')
			continue;
		if (parse_param(p, e, &seen_q) < 0)
			return -EINVAL;
	}
}

/* The format that a media range asks for, or -1 when we cannot serve it. */
static int media_format(const struct elem *e)
{
	if (token_eq(e->type, e->ntype, "application") &&
	    token_eq(e->sub, e->nsub, "openmetrics-text"))
		return EXPO_OPENMETRICS;
	if (token_eq(e->type, e->ntype, "text") &&
	    token_eq(e->sub, e->nsub, "plain")) {
		/* Text 1.0.0 differs from 0.0.4 only for UTF-8 names, which we
		 * never emit, so escaping= needs no check either. */
		if (!e->version || value_eq(e->version, e->nversion, "0.0.4") ||
		    value_eq(e->version, e->nversion, "1.0.0"))
			return EXPO_TEXT;
		return -1;
	}
	if (token_eq(e->sub, e->nsub, "*") &&
	    (token_eq(e->type, e->ntype, "text") ||
	     token_eq(e->type, e->ntype, "*")))
		return EXPO_TEXT;
	return -1;
}

enum expo_format accept_format(const char *accept)
{
	enum expo_format best = EXPO_TEXT;
	unsigned best_q = 0;
	const char *p = accept;

	if (!p)
		return EXPO_TEXT;
	while (*p) {
		struct elem e;
		int fmt;

		if (parse_elem(&p, true, &e) < 0) {
			skip_element(&p);
		} else {
			fmt = media_format(&e);
			/* Strictly greater: on a tie the earlier entry wins. */
			if (fmt >= 0 && e.q > best_q) {
				best = (enum expo_format)fmt;
				best_q = e.q;
			}
		}
		if (*p == ',')
			p++;
	}
	return best;
}

bool accept_gzip(const char *accept_encoding)
{
	int gzip_q = -1, star_q = -1;
	const char *p = accept_encoding;

	if (!p)
		return false;
	while (*p) {
		struct elem e;

		if (parse_elem(&p, false, &e) < 0) {
			skip_element(&p);
		} else if (token_eq(e.type, e.ntype, "gzip") ||
			   token_eq(e.type, e.ntype, "x-gzip")) {
			if (gzip_q < 0)
				gzip_q = (int)e.q;
		} else if (token_eq(e.type, e.ntype, "*")) {
			if (star_q < 0)
				star_q = (int)e.q;
		}
		if (*p == ',')
			p++;
	}
	/* A named gzip decides, even against "*": "gzip;q=0, *" refuses. */
	if (gzip_q >= 0)
		return gzip_q > 0;
	return star_q > 0;
}
