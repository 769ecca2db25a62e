/* Fuzz target for the http meter's JSON paths (collectors/power/jpath.c)
 * and their evaluation over a yajl tree (collectors/power/json.c): the
 * first line of the input is a path, the rest a device's answer. The path
 * is used for watts and energy, and the promises of each step are
 * checked. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/power/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t plen = nl ? (size_t)(nl - text) : size;
	struct meter_net_config n;
	struct http_spec spec;
	struct virtmeter_reading r;
	struct jpath p;
	yajl_val root;
	char err[200];

	if (meter_jpath_parse(text, plen, &p, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	if (p.n < 1 || p.n > JPATH_MAX_STEPS || plen >= METER_JPATH_MAX)
		abort();
	memset(&n, 0, sizeof(n));
	memcpy(n.url, "http://x", 9);
	memcpy(n.path[METER_Q_WATTS], text, plen);
	memcpy(n.path[METER_Q_ENERGY], text, plen);
	n.scale[METER_Q_ENERGY] = 3600;
	if (meter_http_spec(&n, &spec, err, sizeof(err)))
		abort(); /* a path that parsed once parses again */
	if (!nl || meter_json_parse(nl + 1, size - plen - 1, &root, err, sizeof(err)))
		return 0;
	(void)meter_jpath_get(root, &p);
	if (meter_http_extract(root, &spec, &r, err, sizeof(err)) == 0) {
		if (r.have != (VIRTMETER_HAVE_WATTS | VIRTMETER_HAVE_JOULES))
			abort();
		if (!isfinite(r.watts) || r.watts < 0 || !isfinite(r.joules) ||
		    r.joules < 0)
			abort();
	}
	yajl_tree_free(root);
	return 0;
}
