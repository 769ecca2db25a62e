/* Unit tests of the PowerSpy protocol parsers: the frame scanner (noise,
 * partial and overlong frames, frames split across reads), the replies to
 * <?>, <VXX> and <F>, real-time frames, calibration floats and the
 * corrected values, with exact figures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/power/powerspy_parse.h"

/* Feeds text in chunks of chunk bytes; collects the frames, joined by
 * '|', into out. */
static void scan_all(struct psy_scan *s, const char *text, size_t chunk,
		     char *out, size_t size)
{
	size_t len = strlen(text), off = 0;

	out[0] = '\0';
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		char frame[PSY_FRAME_MAX];
		bool got;

		off += psy_scan_next(s, text + off, n, frame, &got);
		if (got)
			snprintf(out + strlen(out), size - strlen(out), "%s|", frame);
	}
}

static void scanner_skips_noise_and_partial_frames(void **st)
{
	struct psy_scan s;
	char out[256];

	(void)st;
	for (size_t chunk = 1; chunk <= 9; chunk++) {
		memset(&s, 0, sizeof(s));
		scan_all(&s, "\r\nxx<K>\r\n<00033A90 0000<1 2 3 4 5>junk<Z>", chunk, out,
			 sizeof(out));
		assert_string_equal(out, "K|1 2 3 4 5|Z|");
		assert_int_equal(s.noise, 6);  /* x x j u n k */
		assert_int_equal(s.broken, 1); /* the frame cut by '<' */
	}
}

static void scanner_drops_overlong_frames(void **st)
{
	struct psy_scan s;
	char text[200], out[256];

	(void)st;
	memset(&s, 0, sizeof(s));
	memset(text, 0, sizeof(text));
	text[0] = '<';
	memset(text + 1, 'A', 100);
	memcpy(text + 101, "><K>", 4);
	scan_all(&s, text, 16, out, sizeof(out));
	assert_string_equal(out, "K|");
	assert_int_equal(s.broken, 1);
}

static void ident_fields(void **st)
{
	struct psy_ident id;

	(void)st;
	assert_int_equal(psy_parse_ident("POWERSPYR0100050312AB", 21, &id), 0);
	assert_int_equal(id.status, 'R');
	assert_int_equal(id.pll, 1);
	assert_int_equal(id.trigger, 0);
	assert_int_equal(id.sw, 5);
	assert_int_equal(id.hw, 3);
	assert_int_equal(id.serial, 0x12AB);
	assert_int_equal(psy_parse_ident("POWERSPYX0100050312AB", 21, &id), -EINVAL);
	assert_int_equal(psy_parse_ident("POWERSPYR0100050312A", 20, &id), -EINVAL);
	assert_int_equal(psy_parse_ident("POWERSPYR01000503G2AB", 21, &id), -EINVAL);
}

static void eeprom_byte_and_float(void **st)
{
	/* 0.5f is 0x3F000000, stored little-endian. */
	const uint8_t half[4] = {0x00, 0x00, 0x00, 0x3F};
	const uint8_t q[4] = {0x00, 0x00, 0x80, 0x3E};
	uint8_t b;

	(void)st;
	assert_int_equal(psy_parse_byte("3f", 2, &b), 0);
	assert_int_equal(b, 0x3F);
	assert_int_equal(psy_parse_byte("3", 1, &b), -EINVAL);
	assert_int_equal(psy_parse_byte("K", 1, &b), -EINVAL);
	assert_float_equal(psy_float_le(half), 0.5, 0);
	assert_float_equal(psy_float_le(q), 0.25, 0);
}

static void frequency_per_hardware_version(void **st)
{
	double hz;

	(void)st;
	/* v2 and later: 1,382,400 / 0x6C00 (27648) = 50 Hz. */
	assert_int_equal(psy_parse_freq("F6C00", 5, 3, &hz), 0);
	assert_float_equal(hz, 50, 1e-12);
	assert_int_equal(psy_periods(hz, 3), 50);
	/* v1 (hardware 02): 1,000,000 / 0x4E20 (20000) = 50 Hz. */
	assert_int_equal(psy_parse_freq("F4E20", 5, 2, &hz), 0);
	assert_float_equal(hz, 50, 1e-12);
	assert_int_equal(psy_parse_freq("F0000", 5, 3, &hz), -EINVAL);
	assert_int_equal(psy_parse_freq("6C00", 4, 3, &hz), -EINVAL);
	assert_int_equal(psy_periods(59.7, 3), 60);
	assert_int_equal(psy_periods(500, 2), 100);
	assert_int_equal(psy_periods(0.1, 3), 1);
}

static void realtime_frame_to_values(void **st)
{
	struct virtmeter_reading r;
	struct psy_raw raw;
	double sum[3];

	(void)st;
	assert_int_equal(psy_parse_frame("00033A90 00000004 00000320 028A 0004", 36, &raw), 0);
	assert_int_equal(raw.v2, 211600);
	assert_int_equal(raw.i2, 4);
	assert_int_equal(raw.p, 800);
	assert_int_equal(raw.pv, 650);
	assert_int_equal(raw.pi, 4);
	sum[0] = raw.v2;
	sum[1] = raw.i2;
	sum[2] = raw.p;
	assert_int_equal(psy_reading(sum, 1, 0.5, 0.25, &r), 0);
	assert_float_equal(r.volts, 230, 0);
	assert_float_equal(r.amperes, 0.5, 0);
	assert_float_equal(r.watts, 100, 0);
	assert_int_equal(r.have, VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_VOLTS |
				 VIRTMETER_HAVE_AMPERES);
	/* The mean of two frames. */
	sum[2] = 800 + 1600;
	sum[0] = 2 * 211600;
	sum[1] = 8;
	assert_int_equal(psy_reading(sum, 2, 0.5, 0.25, &r), 0);
	assert_float_equal(r.watts, 150, 0);
	assert_int_equal(psy_reading(sum, 1, -0.5, 0.25, &r), -EINVAL);
}

static void bad_frames_refused(void **st)
{
	static const char *const bad[] = {
		"00033A90 00000004 00000320 028A",        /* four fields */
		"00033A90 00000004 00000320 028A 0004 1", /* six */
		"00033A90  00000004 00000320 028A 0004",  /* two spaces */
		"00033A90 00000004 00000320 028A 00041",  /* peak too wide */
		"000033A90 00000004 00000320 028A 0004",  /* 9 digits */
		"00033A9G 00000004 00000320 028A 0004",
		"00033A90 00000004 00000320 028A ",
		"",
		"K",
	};
	struct psy_raw raw;

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (psy_parse_frame(bad[i], strlen(bad[i]), &raw) != -EINVAL)
			fail_msg("frame '%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scanner_skips_noise_and_partial_frames),
		cmocka_unit_test(scanner_drops_overlong_frames),
		cmocka_unit_test(ident_fields),
		cmocka_unit_test(eeprom_byte_and_float),
		cmocka_unit_test(frequency_per_hardware_version),
		cmocka_unit_test(realtime_frame_to_values),
		cmocka_unit_test(bad_frames_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
