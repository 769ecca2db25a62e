/* The exposition writer: the only code that knows the text formats
 * (Prometheus text 0.0.4 and OpenMetrics 1.0.0). */
#ifndef VIRTMETER_EXPO_H
#define VIRTMETER_EXPO_H

#include "exporter/api/buf.h"
#include "exporter/api/snapshot.h"

enum expo_format { EXPO_TEXT, EXPO_OPENMETRICS, EXPO_NFORMATS };

/* The Content-Type header value for a format (static string). */
const char *expo_content_type(enum expo_format fmt);

/* Writes every family of every set of gen to out, families merged by name
 * and sorted, in the given format. Returns 0 or the buffer's error. */
int expo_render(const struct snap_gen *gen, enum expo_format fmt,
		struct buf *out);

/* Writes the samples of the given sets (helper of expo_render, used by
 * tests on hand-made sets). */
int expo_render_sets(struct snap_set *const *sets, size_t nsets,
		     enum expo_format fmt, struct buf *out);

/* Writes a sample value as Prometheus parses it: integers without exponent
 * where exact, shortest round-trip form otherwise, NaN, +Inf, -Inf. */
void expo_put_value(struct buf *out, double v);

/* Writes a label value with \\, \" and \n escaped; invalid UTF-8 bytes are
 * replaced by U+FFFD so that a strange name never breaks a scrape. */
void expo_put_label_value(struct buf *out, const char *s);

#endif
