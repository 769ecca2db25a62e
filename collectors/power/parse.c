/* Pure parsers of meter input (see parse.h). */
#include "collectors/power/parse.h"
#include "exporter/api/base.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest VALUE of an exec line; 1e15 W is already absurd. */
#define VALUE_MAX 32

int meter_parse_u64(const char *buf, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		d = (unsigned)(buf[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int meter_parse_name(const char *buf, size_t len, char *out)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= VIRTMETER_ZONE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		out[i] = (c > 0x20 && c < 0x7f) ? (char)c : '_';
	}
	out[len] = '\0';
	return 0;
}

const char *meter_rapl_kind(const char *name)
{
	static const char *const exact[] = {"psys", "core", "uncore", "dram"};

	if (strncmp(name, "package-", 8) == 0)
		return "package";
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
		if (strcmp(name, exact[i]) == 0)
			return exact[i];
	return "other";
}

/* Whether word (lower case) occurs in s at i, ignoring case. */
static bool word_at(const char *s, size_t i, const char *word)
{
	for (size_t k = 0; word[k]; k++) {
		unsigned char c = (unsigned char)s[i + k];

		if (c == '\0' || tolower(c) != word[k])
			return false;
	}
	return true;
}

/* The first position of word (lower case) in s ignoring case, or -1. */
static long word_find(const char *s, const char *word)
{
	for (size_t i = 0; s[i]; i++)
		if (word_at(s, i, word))
			return (long)i;
	return -1;
}

const char *meter_hwmon_kind(const char *label, long *num)
{
	size_t n = strlen(label), d = n;
	long core = word_find(label, "core");
	bool uncore = core >= 2 && word_at(label, (size_t)core - 2, "un");

	while (d > 0 && n - d < 9 && label[d - 1] >= '0' && label[d - 1] <= '9')
		d--;
	*num = d < n ? strtol(label + d, NULL, 10) : -1;
	if (word_find(label, "socket") >= 0 || word_at(label, 0, "package"))
		return "socket";
	if (core >= 0 && !uncore)
		return "core";
	return "sensor";
}

static bool zone_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	       c == '/' || c == '-';
}

static bool zone_valid_n(const char *s, size_t n)
{
	if (n == 0 || n >= VIRTMETER_ZONE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!zone_char(s[i]))
			return false;
	return true;
}

bool meter_zone_valid(const char *s)
{
	return zone_valid_n(s, strlen(s));
}

/* Parses a VALUE field of n bytes. Returns 0 or -EINVAL. */
static int parse_value(const char *s, size_t n, double *out)
{
	char tmp[VALUE_MAX + 1];
	size_t digits = 0, dots = 0;
	char *end;

	if (n == 0 || n > VALUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return -EINVAL;
	}
	if (digits == 0 || dots > 1)
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &end);
	return end == tmp + n ? 0 : -EINVAL;
}

static const struct {
	const char *word;
	uint32_t bit;
} quantities[] = {
	{"watts", VIRTMETER_HAVE_WATTS},
	{"joules", VIRTMETER_HAVE_JOULES},
	{"volts", VIRTMETER_HAVE_VOLTS},
	{"amperes", VIRTMETER_HAVE_AMPERES},
};

/* Index into quantities of the n-byte word at s, or -1. */
static int quantity_find(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(quantities); i++)
		if (strlen(quantities[i].word) == n &&
		    memcmp(quantities[i].word, s, n) == 0)
			return (int)i;
	return -1;
}

/* The entry of out for zone (n bytes), added if new. NULL when full. */
static struct virtmeter_reading *zone_entry(struct virtmeter_reading *out,
					    size_t *count, size_t max,
					    const char *zone, size_t n)
{
	for (size_t i = 0; i < *count; i++)
		if (strlen(out[i].zone) == n && memcmp(out[i].zone, zone, n) == 0)
			return &out[i];
	if (*count >= max)
		return NULL;
	memset(&out[*count], 0, sizeof(out[0]));
	memcpy(out[*count].zone, zone, n);
	out[*count].zone[n] = '\0';
	return &out[(*count)++];
}

static void store(struct virtmeter_reading *r, uint32_t bit, double v)
{
	r->have |= bit;
	if (bit == VIRTMETER_HAVE_WATTS)
		r->watts = v;
	else if (bit == VIRTMETER_HAVE_JOULES)
		r->joules = v;
	else if (bit == VIRTMETER_HAVE_VOLTS)
		r->volts = v;
	else
		r->amperes = v;
}

/* Parses one line (n bytes, no newline) into out. Returns 0, -EINVAL or
 * -E2BIG with err set. */
static int parse_line(const char *s, size_t n, struct virtmeter_reading *out,
		      size_t *count, size_t max, char *err, size_t errlen)
{
	const char *f[3];
	size_t flen[3], nf = 0, start = 0;
	struct virtmeter_reading *r;
	double v;
	bool extra = false;
	int q;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start) {
			snprintf(err, errlen, "expected 'QUANTITY VALUE [ZONE]' "
				 "separated by single spaces");
			return -EINVAL;
		}
		if (nf == 3) {
			extra = true;
			break;
		}
		f[nf] = s + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	q = quantity_find(f[0], flen[0]);
	if (q < 0) {
		snprintf(err, errlen, "unknown quantity (expected watts, joules, "
			 "volts or amperes)");
		return -EINVAL;
	}
	if (nf < 2 || extra) {
		snprintf(err, errlen, "expected 'QUANTITY VALUE [ZONE]'");
		return -EINVAL;
	}
	if (parse_value(f[1], flen[1], &v)) {
		snprintf(err, errlen, "bad value (expected a non-negative decimal "
			 "number such as 123.4)");
		return -EINVAL;
	}
	if (nf == 3 && !zone_valid_n(f[2], flen[2])) {
		snprintf(err, errlen, "bad zone name (1 to 63 of A-Z a-z 0-9 _ . : / -)");
		return -EINVAL;
	}
	r = zone_entry(out, count, max, nf == 3 ? f[2] : "", nf == 3 ? flen[2] : 0);
	if (!r) {
		snprintf(err, errlen, "more than %zu zones", max);
		return -E2BIG;
	}
	if (r->have & quantities[q].bit) {
		snprintf(err, errlen, "%s given twice for one zone", quantities[q].word);
		return -EINVAL;
	}
	store(r, quantities[q].bit, v);
	return 0;
}

int meter_parse_exec(const char *buf, size_t len,
		     struct virtmeter_reading *out, size_t max,
		     unsigned *bad_line, char *err, size_t errlen)
{
	size_t count = 0, pos = 0;
	unsigned line = 0;
	int rc;

	*bad_line = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n;

		line++;
		if (!nl) {
			*bad_line = line;
			snprintf(err, errlen, "output ends in the middle of a line "
				 "(every line must end with a newline)");
			return -EINVAL;
		}
		n = (size_t)(nl - (buf + pos));
		if (n > 0 && buf[pos] != '#') {
			rc = parse_line(buf + pos, n, out, &count, max, err, errlen);
			if (rc) {
				*bad_line = line;
				return rc;
			}
		}
		pos += n + 1;
	}
	if (count == 0) {
		snprintf(err, errlen, "no reading in the output");
		return -EINVAL;
	}
	return (int)count;
}
