/* Build identity: see version.h. */
#include "version.h"

#include "build-config.h"

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

const char *version_features(void)
{
	return ""
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
	       "";
}

int version_add_build_info(struct snap_set *set)
{
	char features[128];
	const char *f = version_features();
	size_t n = 0;

	/* Drop the trailing comma of the list. */
	while (f[n] && n + 1 < sizeof(features)) {
		features[n] = f[n];
		n++;
	}
	if (n && features[n - 1] == ',')
		n--;
	features[n] = '\0';
	return snap_add(set, &version_build_info, 1, PACKAGE_VERSION,
			MHD_get_version(), features);
}
