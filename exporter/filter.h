/* The collector selection of a scrape, /metrics?collect[]=NAME as in
 * node_exporter: a pure parser of the parameter's values (fuzzed) into a
 * set of collectors, and the copy of the self-metrics that keeps only the
 * series of the selected collectors. */
#ifndef VIRTMETER_FILTER_H
#define VIRTMETER_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter/api/snapshot.h"

/* The most collect[] values one request may carry. */
#define FILTER_MAX_VALUES 64
/* A selection is a bit per collector: at most this many collectors. */
#define FILTER_MAX_COLLECTORS 31
/* The longest name quoted back in an error message. */
#define FILTER_MAX_QUOTED 64

/* What a collect[] value may name: the collectors of this binary in
 * registry order (bit i of a selection is names[i]) and whether each is
 * enabled in the running configuration. */
struct filter_known {
	const char *const *names;
	const bool *enabled; /* NULL: every collector is enabled */
	size_t n;	     /* at most FILTER_MAX_COLLECTORS */
};

/* Turns nvalues collect[] values into *mask, bit i set for collector i of
 * k: order and repetitions do not matter, so two requests that name the
 * same collectors get the same mask (0 for no value). Returns 0, or
 * -EINVAL with a one-line message for the client in err: a name that is
 * no collector (the message lists the known ones), a collector that is
 * disabled (it lists the enabled ones), or more than FILTER_MAX_VALUES
 * values. A name is quoted with bytes outside printable ASCII shown as
 * '?', cut at FILTER_MAX_QUOTED bytes. */
int filter_parse(const char *const *values, size_t nvalues,
		 const struct filter_known *k, uint32_t *mask, char *err,
		 size_t errlen);

/* Returns a new set (one reference, the caller's) with the samples of
 * self that a scrape of the collectors in mask shows: every sample,
 * except those whose "collector" label names a collector of k outside
 * mask. NULL self gives an empty set. Returns NULL without memory. */
struct snap_set *filter_self_set(const struct snap_set *self, uint32_t mask,
				 const struct filter_known *k);

#endif
