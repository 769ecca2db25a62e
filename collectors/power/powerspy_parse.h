/* Pure parsers of the Alciom PowerSpy protocol (see POWERSPY notes in
 * docs/internals.md): a scanner that cuts a byte stream into <...> frames
 * (skipping and counting noise, broken and overlong frames), and the
 * parsers of the identification, EEPROM byte, frequency and real-time
 * replies. No I/O; fuzzed. */
#ifndef VIRTMETER_POWER_POWERSPY_PARSE_H
#define VIRTMETER_POWER_POWERSPY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/virtmeter/meter.h"

#define PSY_FRAME_MAX 64 /* bytes of a frame's content, with the NUL */

/* The scanner's state, carried from one chunk of bytes to the next.
 * Zero-initialised means "between frames". */
struct psy_scan {
	bool in_frame;
	size_t len;
	char buf[PSY_FRAME_MAX];
	uint64_t noise;    /* bytes outside frames (other than CR, LF) */
	uint64_t broken;   /* frames cut by a new '<' or longer than the max */
};

/* Scans up to len bytes of data. Stops after the first complete frame:
 * its content (between '<' and '>', NUL-terminated) goes to frame
 * (PSY_FRAME_MAX bytes) and *got is set. Returns the number of bytes
 * consumed (all of them when no frame completed). */
size_t psy_scan_next(struct psy_scan *s, const char *data, size_t len,
		     char *frame, bool *got);

/* The answer to <?>: "POWERSPY" + status + 12 hex digits. */
struct psy_ident {
	char status;       /* R ready, W waiting, A acquiring, C complete */
	unsigned pll, trigger, sw, hw; /* hw 2 is a PowerSpy v1 */
	unsigned serial;
};

/* Parses an identification frame's content. Returns 0 or -EINVAL. */
int psy_parse_ident(const char *f, size_t n, struct psy_ident *out);

/* Parses the answer to <VXX>: exactly 2 hex digits. Returns 0 or
 * -EINVAL. */
int psy_parse_byte(const char *f, size_t n, uint8_t *out);

/* Parses the answer to <F>: one leading character and 4 hex digits, a
 * divisor; *hz is 1,000,000 / divisor for hardware version 2, else
 * 1,382,400 / divisor. Returns 0 or -EINVAL (also for a 0 divisor). */
int psy_parse_freq(const char *f, size_t n, unsigned hw, double *hz);

/* A real-time frame: squared RMS voltage and current, power, peak
 * voltage and current, as raw counts. */
struct psy_raw {
	uint32_t v2, i2, p;
	uint16_t pv, pi;
};

/* Parses a real-time frame's content: exactly five hex numbers separated
 * by one space (1 to 8 digits for the first three, 1 to 4 for the peaks).
 * Returns 0 or -EINVAL. */
int psy_parse_frame(const char *f, size_t n, struct psy_raw *out);

/* The little-endian IEEE-754 float32 of 4 EEPROM bytes. */
float psy_float_le(const uint8_t b[4]);

/* The reading of the mean of the raw frames sum/count (count >= 1) with
 * the voltage and current scales: V = sqrt(v2) * uscale, A = sqrt(i2) *
 * iscale, W = p * uscale * iscale. Returns 0, or -EINVAL if a value is not
 * finite or negative (a bad scale). */
int psy_reading(const double sum[3], unsigned count, double uscale,
		double iscale, struct virtmeter_reading *out);

/* The number of mains periods to average over for about one reading per
 * second at frequency hz: round(hz), at least 1, at most 100 on hardware
 * version 2 (v1) and 65535 otherwise. */
unsigned psy_periods(double hz, unsigned hw);

#endif
