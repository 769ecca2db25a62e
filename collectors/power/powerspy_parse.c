/* Pure parsers of the PowerSpy protocol (see powerspy_parse.h). */
#include "collectors/power/powerspy_parse.h"

#include <errno.h>
#include <math.h>
#include <string.h>

size_t psy_scan_next(struct psy_scan *s, const char *data, size_t len,
		     char *frame, bool *got)
{
	*got = false;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (c == '<') {
			if (s->in_frame)
				s->broken++; /* a frame cut short by the next one */
			s->in_frame = true;
			s->len = 0;
		} else if (!s->in_frame) {
			if (c != '\r' && c != '\n')
				s->noise++;
		} else if (c == '>') {
			s->in_frame = false;
			memcpy(frame, s->buf, s->len);
			frame[s->len] = '\0';
			*got = true;
			return i + 1;
		} else if (s->len + 1 >= PSY_FRAME_MAX || c == '\0') {
			s->broken++; /* overlong or binary: drop it */
			s->in_frame = false;
		} else {
			s->buf[s->len++] = c;
		}
	}
	return len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads exactly n hex digits at s into *out. Returns 0 or -EINVAL. */
static int hexn(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

int psy_parse_ident(const char *f, size_t n, struct psy_ident *out)
{
	uint32_t v[5];

	if (n != 21 || memcmp(f, "POWERSPY", 8) != 0 || !strchr("RWAC", f[8]) ||
	    f[8] == '\0')
		return -EINVAL;
	if (hexn(f + 9, 2, &v[0]) || hexn(f + 11, 2, &v[1]) ||
	    hexn(f + 13, 2, &v[2]) || hexn(f + 15, 2, &v[3]) ||
	    hexn(f + 17, 4, &v[4]))
		return -EINVAL;
	out->status = f[8];
	out->pll = v[0];
	out->trigger = v[1];
	out->sw = v[2];
	out->hw = v[3];
	out->serial = v[4];
	return 0;
}

int psy_parse_byte(const char *f, size_t n, uint8_t *out)
{
	uint32_t v;

	if (n != 2 || hexn(f, 2, &v))
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

int psy_parse_freq(const char *f, size_t n, unsigned hw, double *hz)
{
	uint32_t div;

	if (n != 5 || hexn(f + 1, 4, &div) || div == 0)
		return -EINVAL;
	*hz = (hw == 2 ? 1000000.0 : 1382400.0) / div;
	return 0;
}

int psy_parse_frame(const char *f, size_t n, struct psy_raw *out)
{
	static const size_t maxd[5] = {8, 8, 8, 4, 4};
	uint32_t v[5];
	size_t i = 0;

	for (int k = 0; k < 5; k++) {
		size_t start = i;

		while (i < n && f[i] != ' ')
			i++;
		if (i == start || i - start > maxd[k] || hexn(f + start, i - start, &v[k]))
			return -EINVAL;
		if (k < 4) {
			if (i >= n) /* fewer than five fields */
				return -EINVAL;
			i++; /* the one space */
		}
	}
	if (i != n)
		return -EINVAL;
	out->v2 = v[0];
	out->i2 = v[1];
	out->p = v[2];
	out->pv = (uint16_t)v[3];
	out->pi = (uint16_t)v[4];
	return 0;
}

float psy_float_le(const uint8_t b[4])
{
	uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		     (uint32_t)b[3] << 24;
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

int psy_reading(const double sum[3], unsigned count, double uscale,
		double iscale, struct virtmeter_reading *out)
{
	double v2, i2, p;

	if (count == 0)
		return -EINVAL;
	v2 = sum[0] / count;
	i2 = sum[1] / count;
	p = sum[2] / count;
	memset(out, 0, sizeof(*out));
	out->volts = sqrt(v2) * uscale;
	out->amperes = sqrt(i2) * iscale;
	out->watts = p * uscale * iscale;
	if (!isfinite(out->volts) || !isfinite(out->amperes) ||
	    !isfinite(out->watts) || out->volts < 0 || out->amperes < 0 ||
	    out->watts < 0)
		return -EINVAL;
	out->have = VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_VOLTS | VIRTMETER_HAVE_AMPERES;
	return 0;
}

unsigned psy_periods(double hz, unsigned hw)
{
	double max = hw == 2 ? 100 : 65535;
	double r = isfinite(hz) ? round(hz) : 1;

	if (r < 1)
		r = 1;
	if (r > max)
		r = max;
	return (unsigned)r;
}
