/* Fuzz target for the PowerSpy protocol parsers (collectors/power/
 * powerspy_parse.c): the input is cut into chunks of varying sizes and fed
 * to the frame scanner, and every frame it yields goes through each reply
 * parser; the promises of each are checked. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/powerspy_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const char *f)
{
	size_t n = strlen(f);
	struct psy_ident id;
	struct psy_raw raw;
	struct virtmeter_reading r;
	uint8_t b;
	double hz;

	if (n >= PSY_FRAME_MAX || strchr(f, '<') || strchr(f, '>'))
		abort();
	if (psy_parse_ident(f, n, &id) == 0 && (!strchr("RWAC", id.status) ||
						  id.hw > 0xff || id.serial > 0xffff))
		abort();
	(void)psy_parse_byte(f, n, &b);
	if (psy_parse_freq(f, n, 3, &hz) == 0 && (!isfinite(hz) || hz <= 0 ||
						 psy_periods(hz, 3) < 1 ||
						 psy_periods(hz, 2) > 100))
		abort();
	if (psy_parse_frame(f, n, &raw) == 0) {
		double sum[3] = {raw.v2, raw.i2, raw.p};

		if (psy_reading(sum, 1, 0.01, 0.001, &r) != 0 || !isfinite(r.watts) ||
		    r.watts < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psy_scan s;
	char frame[PSY_FRAME_MAX];
	size_t off = 0, chunk = size ? (size_t)data[0] % 7 + 1 : 1;

	memset(&s, 0, sizeof(s));
	while (off < size) {
		size_t len = size - off < chunk ? size - off : chunk;
		bool got;
		size_t used = psy_scan_next(&s, (const char *)data + off, len, frame, &got);

		if (used == 0 || used > len || (!got && used != len))
			abort();
		if (got)
			check_frame(frame);
		off += used;
	}
	if (s.len >= PSY_FRAME_MAX || s.noise + s.broken > size)
		abort();
	{
		uint8_t b4[4] = {0};
		memcpy(b4, data, size < 4 ? size : 4);
		(void)psy_float_le(b4);
	}
	return 0;
}
