/* A bounded cursor over the bytes of a kernel file, and the few scanning
 * steps that every parser of /proc, /sys and cgroup files shares. Nothing
 * here looks for a NUL: every read checks p < end, so fuzz targets can feed
 * raw bytes. Header-only, so that each fuzz target stays one compile. */
#ifndef VIRTMETER_SCAN_H
#define VIRTMETER_SCAN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A window [p, end) of the input. */
struct scan {
	const char *p;
	const char *end;
};

static inline bool scan_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool scan_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Moves past spaces and tabs. */
static inline void scan_skip_blanks(struct scan *c)
{
	while (c->p < c->end && scan_is_blank(*c->p))
		c->p++;
}

/* Reads a run of decimal digits into *out. Returns 0, -EINVAL if there is
 * no digit, or -ERANGE if the number does not fit in 64 bits (*out is then
 * untouched). */
static inline int scan_digits(struct scan *c, uint64_t *out)
{
	const char *start = c->p;
	uint64_t v = 0;

	while (c->p < c->end && scan_is_digit(*c->p)) {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Moves *rest past the next line and sets line to it (without its '\n').
 * Returns false when no input is left. */
static inline bool scan_next_line(struct scan *rest, struct scan *line)
{
	const char *nl;

	if (rest->p >= rest->end)
		return false;
	nl = memchr(rest->p, '\n', (size_t)(rest->end - rest->p));
	line->p = rest->p;
	line->end = nl ? nl : rest->end;
	rest->p = nl ? nl + 1 : rest->end;
	return true;
}

/* Sets word to the run of non-blank bytes at the start of line and moves
 * line past it. */
static inline void scan_next_word(struct scan *line, struct scan *word)
{
	word->p = line->p;
	while (line->p < line->end && !scan_is_blank(*line->p))
		line->p++;
	word->end = line->p;
}

/* Whether word is exactly the string s. */
static inline bool scan_word_is(const struct scan *w, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(w->end - w->p) == n && memcmp(w->p, s, n) == 0;
}

/* Whether the arrays and objects of a JSON text nest at most max deep,
 * counting brackets outside strings only (the text need not be valid).
 * yajl frees a tree recursively, so a deep one is refused before it is
 * built. */
static inline bool scan_json_depth_ok(const char *buf, size_t len,
				      unsigned max)
{
	unsigned depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				return false;
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

#endif
