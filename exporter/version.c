/* Build identity: see version.h. */
#include "exporter/version.h"

#include "build-config.h"

#include <pthread.h>
#include <string.h>

#include <microhttpd.h>

const struct snap_family version_build_info = {
	.name = "virtmeter_build_info",
	.help = "A constant 1 labelled with the version of virtmeter, the "
		"libmicrohttpd it runs on and the optional features compiled in.",
	.type = SNAP_GAUGE,
	.labels = {"version", "libmicrohttpd", "features"},
};

const char *version_string(void)
{
	return PACKAGE_VERSION;
}

/* Every feature followed by a comma; version_features() drops the last. */
static const char features_list[] = ""
#ifdef HAVE_LIBVIRT
	       "libvirt,"
#endif
#ifdef HAVE_LIBPFM4
	       "libpfm4,"
#endif
#ifdef HAVE_LIBCURL
	       "libcurl,"
#endif
#ifdef HAVE_YAJL
	       "yajl,"
#endif
#ifdef HAVE_ZLIB
	       "gzip,"
#endif
#ifdef HAVE_LIBYAML
	       "yaml,"
#endif
#ifdef HAVE_GNUTLS
	       "tls,"
#endif
#ifdef HAVE_LIBCRYPT
	       "basic-auth,"
#endif
	       "";

static char features[sizeof(features_list)];
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static void features_init(void)
{
	if (sizeof(features_list) > 1)
		memcpy(features, features_list, sizeof(features_list) - 2);
}

const char *version_features(void)
{
	pthread_once(&features_once, features_init);
	return features;
}

int version_add_build_info(struct snap_set *set)
{
	return snap_add(set, &version_build_info, 1, PACKAGE_VERSION,
			MHD_get_version(), version_features());
}
