/* The per-generation render cache: each generation is rendered at most once
 * per format and compressed at most once, however many scrapes ask. */
#ifndef VIRTMETER_RENDER_H
#define VIRTMETER_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/expo.h"
#include "exporter/api/snapshot.h"

/* Largest rendered body, in bytes. */
#define RENDER_MAX_BYTES (256u << 20)

/* Sets *data and *len to gen's rendering in fmt, gzip-compressed if gzip
 * is true. The bytes belong to gen and live as long as the caller's
 * reference to it. Concurrent callers for the same generation wait for a
 * single render. Returns 0, -ENOTSUP for gzip without zlib, or -ENOMEM. */
int render_get(struct snap_gen *gen, enum expo_format fmt, bool gzip,
	       const char **data, size_t *len);

/* Whether gen's rendering in fmt (compressed if gzip) is done, so that
 * render_get would neither render nor wait for a render. Never blocks. */
bool render_ready(struct snap_gen *gen, enum expo_format fmt, bool gzip);

/* Whether this build can compress (zlib). */
bool render_can_gzip(void);

/* Number of renders and compressions done since start (for tests). */
unsigned long render_count(void);

#endif
