/* Build identity for --version, the landing page and virtmeter_build_info. */
#ifndef VIRTMETER_VERSION_H
#define VIRTMETER_VERSION_H

#include "exporter/api/snapshot.h"

/* The package version, e.g. "0.1.0". */
const char *version_string(void);

/* The optional features compiled in, comma-separated, e.g.
 * "libvirt,libpfm4,gzip,yaml". */
const char *version_features(void);

/* The family of virtmeter_build_info. */
extern const struct snap_family version_build_info;

/* Adds the virtmeter_build_info sample to set. Returns 0 or -ENOMEM. */
int version_add_build_info(struct snap_set *set);

#endif
