/* JSON paths of the http meter: the small syntax that names one value in a
 * device's JSON answer, such as StatusSNS.ENERGY.Power or meters[0].total.
 * Parsing is a pure function (fuzzed); json.h evaluates a parsed path over
 * a yajl tree.
 *
 * Syntax: steps joined by '.', each a member name (1 or more bytes other
 * than '.', '[', ']', '"', space and control bytes), each optionally
 * followed by array indexes "[N]" (decimal, 0-based); a path may also start
 * with an index ("[0].power" for an answer that is an array). */
#ifndef VIRTMETER_POWER_JPATH_H
#define VIRTMETER_POWER_JPATH_H

#include <stddef.h>

#define JPATH_MAX_STEPS 16
#define JPATH_MAX 128 /* bytes of a path, with the NUL */

/* One step: a member name (key is an offset into names) or an index. */
struct jpath_step {
	int is_index;
	size_t index;      /* is_index */
	unsigned key;      /* !is_index: offset of a NUL-terminated name */
};

struct jpath {
	size_t n;
	struct jpath_step step[JPATH_MAX_STEPS];
	char names[JPATH_MAX]; /* the member names, each NUL-terminated */
};

/* Parses the path of len bytes at s (need not be NUL-terminated) into out.
 * Returns 0, or -EINVAL with a reason naming the byte offset in err
 * (errlen bytes). */
int meter_jpath_parse(const char *s, size_t len, struct jpath *out, char *err,
		      size_t errlen);

#endif
