/* Fuzz target for the idle-power state file parser of
 * collectors/model/learn.c: every input goes to learn_parse as raw bytes
 * (no NUL terminator) over a history that already holds readings. A
 * refused input must say why and leave that history as it was; an accepted
 * one must give a usable idle power and read back from its own text to the
 * same value. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/model/learn.h"

#define WINDOW_S 3600.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text of l; aborts without memory, as a fuzz run cannot go on. */
static char *format(const struct learn *l, size_t *len)
{
	char *text = NULL;

	if (learn_format(l, &text, len) != 0 || !text)
		abort();
	return text;
}

/* Whether two idle powers are the same, NaN included. */
static int same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct learn *l = learn_new(WINDOW_S), *back = learn_new(WINDOW_S);
	char err[256] = "", *before, *after;
	size_t len0, len1, n0, n1;
	double idle0, idle1;
	int ret;

	if (!l || !back)
		abort();
	for (int i = 0; i < 120; i++)
		learn_add(l, 1e9 + 10.0 * i, 10, (double)(i % 11) / 10,
			  20 + 3.0 * (i % 11));
	before = format(l, &len0);
	idle0 = learn_idle(l, &n0);

	ret = learn_parse(l, (const char *)data, size, err, sizeof(err));
	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if (ret < 0) {
		/* Refused: a reason, and the history untouched. */
		after = format(l, &len1);
		if (err[0] == '\0' || len0 != len1 ||
		    memcmp(before, after, len0) != 0 ||
		    !same(idle0, learn_idle(l, &n1)) || n0 != n1)
			abort();
	} else {
		idle1 = learn_idle(l, &n1);
		if (!isnan(idle1) && !(isfinite(idle1) && idle1 >= 0))
			abort();
		/* What was accepted reads back from its own text. */
		after = format(l, &len1);
		if (learn_parse(back, after, len1, err, sizeof(err)) != 0 ||
		    !same(idle1, learn_idle(back, &n0)) || n0 != n1)
			abort();
	}
	free(after);
	free(before);
	learn_free(back);
	learn_free(l);
	return 0;
}
