/* The landing page served on GET /: what runs, and what each health
 * signal means. */
#ifndef VIRTMETER_LANDING_H
#define VIRTMETER_LANDING_H

#include "exporter/api/buf.h"

/* Writes the HTML landing page into b: the version, a link to
 * telemetry_path, and a row per collector with whether it is enabled,
 * the state of its cycles (virtmeter_collector_up), the samples of its
 * health families in the current generation (whether its sources
 * answer), its last duration and its errors; then what each column means.
 * Never waits for a collector. */
void landing_write(struct buf *b, const char *telemetry_path);

#endif
