/* Content negotiation for /metrics: pure parsers of the Accept and
 * Accept-Encoding request headers (fuzzed). */
#ifndef VIRTMETER_ACCEPT_H
#define VIRTMETER_ACCEPT_H

#include <stdbool.h>

#include "exporter/expo.h"

/* Chooses the exposition format for an Accept header value (NULL when the
 * header is absent): OpenMetrics 1.0.0 when the client prefers it by
 * q-value, Prometheus text 0.0.4 otherwise (including for unknown or
 * malformed headers, as the Prometheus negotiation rules ask). */
enum expo_format accept_format(const char *accept);

/* Whether an Accept-Encoding header value (NULL when absent) allows a gzip
 * response: "gzip" or "*" with a q-value above zero, and gzip not refused
 * explicitly. */
bool accept_gzip(const char *accept_encoding);

#endif
