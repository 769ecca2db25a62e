/* The http meter: smart plugs and PDUs that answer JSON over HTTP(S).
 * Each read GETs one URL and maps the answer to one reading with JSON
 * paths (json.h): a preset's (Shelly Gen1, Shelly Gen2, Tasmota) or the
 * configured ones, with their scales into W, J, V and A. */
#include "collectors/power/http_client.h"
#include "collectors/power/json.h"
#include "collectors/power/meter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_meter {
	struct http_spec spec;
	struct meter_http *client;
};

static void http_close(void *state)
{
	struct http_meter *m = state;

	if (!m)
		return;
	meter_http_free(m->client);
	free(m);
}

static int http_open(const struct meter_args *a, void **state, char *err)
{
	const struct config_meter_net *n = a->cfg ? &a->cfg->net : NULL;
	char password[CONFIG_SECRET_MAX] = "";
	char why[160];
	struct http_meter *m;
	int rc;

	if (!n || !n->url[0]) {
		meter_err(err, "no url configured");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = meter_http_spec(n, &m->spec, why, sizeof(why));
	if (rc) {
		meter_err(err, "%s", why);
		goto fail;
	}
	if (n->password_file[0])
		rc = meter_read_secret(n->password_file, password, sizeof(password), err);
	else
		snprintf(password, sizeof(password), "%s", n->password);
	if (rc == 0) {
		const struct meter_http_opts o = {
			.timeout_ms = a->timeout_ms,
			.ca_file = n->ca_file,
			.insecure = n->tls_insecure == 1,
			.username = n->username,
			.password = password,
			.digest = true, /* Shelly Gen2 asks for digest */
		};

		rc = meter_http_new(&o, &m->client, err);
	}
	explicit_bzero(password, sizeof(password));
	if (rc)
		goto fail;
	*state = m;
	return 0;
fail:
	http_close(m);
	return rc;
}

static int http_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err)
{
	struct http_meter *m = state;
	const char *url = m->spec.url;
	char why[200];
	const char *body;
	yajl_val root;
	long status = 0;
	size_t len;
	int rc;

	if (max < 1)
		return -E2BIG;
	rc = meter_http_request(m->client, "GET", url, NULL, NULL, &status, err);
	if (rc)
		return rc;
	if (status != 200) {
		meter_http_status_err(err, "GET", url, status);
		return -EIO;
	}
	body = meter_http_body(m->client, &len);
	rc = meter_json_parse(body, len, &root, why, sizeof(why));
	if (rc) {
		meter_err(err, "GET %s: %s", url, why);
		return rc;
	}
	rc = meter_http_extract(root, &m->spec, out, why, sizeof(why));
	yajl_tree_free(root);
	if (rc) {
		meter_err(err, "GET %s: %s", url, why);
		return rc;
	}
	return 1;
}

const struct meter_ops meter_http_ops = {
	.source = "http",
	.open = http_open,
	.read = http_read,
	.close = http_close,
};
