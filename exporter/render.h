/* The per-generation render cache: each generation is rendered at most once
 * per format and compressed at most once, however many scrapes ask. Scrapes
 * of a selection of collectors (/metrics?collect[]=NAME) are cached the same
 * way, per selection, in a cache of RENDER_VIEWS selections. */
#ifndef VIRTMETER_RENDER_H
#define VIRTMETER_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/expo.h"
#include "exporter/filter.h"
#include "exporter/api/snapshot.h"

/* Largest rendered body, in bytes. */
#define RENDER_MAX_BYTES (256u << 20)
/* Selections of collectors whose renderings are kept at once; the least
 * recently scraped one makes room. */
#define RENDER_VIEWS 8

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

/* A rendering of the current generation restricted to a selection of
 * collectors (opaque). */
struct render_view;

/* Sets *data and *len to the current generation's rendering in fmt (gzip
 * if asked) restricted to the collectors in mask (bit i: collector i of k,
 * whose samples are in slot sched_slot(i)) and to the self-metrics of
 * those collectors (filter_self_set), and *view to the view that owns the
 * bytes, with a reference that the caller drops with render_view_unref
 * once it has sent them. A view is kept per mask until a newer generation
 * is published or RENDER_VIEWS other masks are scraped after it: until
 * then each format and encoding is rendered once, however many scrapes
 * ask, and *cached says that this one was ready. Never waits for a
 * collector. Returns 0, -ENOTSUP for gzip without zlib, or -ENOMEM. */
int render_get_filtered(uint32_t mask, const struct filter_known *k,
			enum expo_format fmt, bool gzip,
			struct render_view **view, const char **data,
			size_t *len, bool *cached);

/* Drops a reference to a view; the last one frees it and its bytes. NULL
 * is ignored. */
void render_view_unref(struct render_view *v);

/* Drops every cached view (views still referenced live on). */
void render_views_clear(void);

/* Number of renders and compressions done since start (for tests). */
unsigned long render_count(void);

#endif
