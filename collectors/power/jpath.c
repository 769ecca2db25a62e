/* The JSON path parser of the http meter (see jpath.h). */
#include "collectors/power/jpath.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool name_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '.' && c != '[' && c != ']' &&
	       c != '"';
}

/* Parses "[N]" at s[*i]; returns 0 or -EINVAL. */
static int parse_index(const char *s, size_t len, size_t *i, size_t *out)
{
	size_t v = 0, digits = 0;

	(*i)++;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (v > 100000)
			return -EINVAL;
		v = v * 10 + (size_t)(s[*i] - '0');
		digits++;
		(*i)++;
	}
	if (digits == 0 || *i >= len || s[*i] != ']')
		return -EINVAL;
	(*i)++;
	*out = v;
	return 0;
}

/* Adds one step; returns 0 or -E2BIG. */
static int add_step(struct jpath *out, int is_index, size_t index,
		    unsigned key)
{
	if (out->n >= JPATH_MAX_STEPS)
		return -E2BIG;
	out->step[out->n].is_index = is_index;
	out->step[out->n].index = index;
	out->step[out->n].key = key;
	out->n++;
	return 0;
}

static int fail(char *err, size_t errlen, size_t at, const char *why)
{
	snprintf(err, errlen, "%s at byte %zu", why, at + 1);
	return -EINVAL;
}

int meter_jpath_parse(const char *s, size_t len, struct jpath *out, char *err,
		      size_t errlen)
{
	size_t i = 0, used = 0;
	bool want_name = true;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(err, errlen, 0, "empty path");
	if (len >= JPATH_MAX)
		return fail(err, errlen, JPATH_MAX - 1, "path too long");
	if (s[0] == '[')
		want_name = false;
	while (i < len) {
		if (want_name) {
			size_t start = i;

			while (i < len && name_byte((unsigned char)s[i]))
				i++;
			if (i == start)
				return fail(err, errlen, i, "expected a member name");
			if (add_step(out, 0, 0, (unsigned)used))
				return fail(err, errlen, start, "more than 16 steps");
			memcpy(out->names + used, s + start, i - start);
			used += i - start + 1; /* names[] is zeroed: NUL kept */
			want_name = false;
			continue;
		}
		if (s[i] == '[') {
			size_t at = i, idx;

			if (parse_index(s, len, &i, &idx))
				return fail(err, errlen, at, "expected an index like [0]");
			if (add_step(out, 1, idx, 0))
				return fail(err, errlen, at, "more than 16 steps");
		} else if (s[i] == '.') {
			i++;
			want_name = true;
			if (i == len)
				return fail(err, errlen, i - 1, "path ends with '.'");
		} else {
			return fail(err, errlen, i, "unexpected byte");
		}
	}
	return 0;
}
