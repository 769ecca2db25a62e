/* JSON answers of the network meters (http plugs and PDUs, Redfish BMCs),
 * read with yajl's tree: a bounded parse, JSON paths (jpath.h) evaluated
 * over the tree, and the http meter's mapping of an answer to a reading.
 * Pure functions of their inputs (fuzzed); no I/O. Needs yajl. */
#ifndef VIRTMETER_POWER_JSON_H
#define VIRTMETER_POWER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "collectors/power/jpath.h"
#include "collectors/power/config.h"
#include "include/virtmeter/meter.h"

/* The largest answer parsed, and the deepest nesting accepted. */
#define METER_JSON_MAX (1024 * 1024)
#define METER_JSON_MAX_DEPTH 64

/* Parses len bytes at buf (need not be NUL-terminated) into a yajl tree
 * that the caller frees with yajl_tree_free. Returns 0; -EINVAL for bad
 * JSON (yajl's reason in err, errlen bytes) or nesting deeper than
 * METER_JSON_MAX_DEPTH; -EFBIG above METER_JSON_MAX; -ENOMEM. */
int meter_json_parse(const char *buf, size_t len, yajl_val *out, char *err,
		     size_t errlen);

/* The value that path p names under root, or NULL when a step is missing
 * or of another kind (a member of a non-object, an index of a non-array).
 * The value belongs to the tree. */
yajl_val meter_jpath_get(yajl_val root, const struct jpath *p);

/* Reads v as a number into *out. Returns 0, -ENOENT if v is NULL or JSON
 * null, -EINVAL for any other non-number (a string, a bool...). */
int meter_json_number(yajl_val v, double *out);

/* The member called key of object v, or NULL (also when v is not an
 * object). */
yajl_val meter_json_member(yajl_val v, const char *key);

/* What the http meter reads from an answer: for each quantity (enum
 * meter_quantity) whether it is wanted, its path and its scale into W,
 * J, V or A; and the zone of the reading. */
struct http_spec {
	char url[METER_URL_MAX];
	bool want[METER_Q_COUNT];
	char path_text[METER_Q_COUNT][METER_JPATH_MAX];
	struct jpath path[METER_Q_COUNT];
	double scale[METER_Q_COUNT];
	char zone[VIRTMETER_ZONE_MAX];
};

/* Builds the spec of an http meter from its settings: a preset's URL path
 * (appended to n->url, without its trailing '/') and JSON paths, or the
 * configured paths and scales. Returns 0, or -EINVAL with a reason in err
 * (a path that does not parse, a URL too long). */
int meter_http_spec(const struct meter_net_config *n, struct http_spec *out,
		    char *err, size_t errlen);

/* Maps an answer (a parsed tree) to one reading in *out, as spec says.
 * Watts or energy must be there; volts and amperes are optional (null or
 * missing leaves them out). A value of the wrong type, negative, or not
 * finite after scaling is an error. Returns 0, or -EINVAL with a reason
 * naming the path in err. */
int meter_http_extract(yajl_val root, const struct http_spec *spec,
		       struct virtmeter_reading *out, char *err, size_t errlen);

#endif
