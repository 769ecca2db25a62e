/* The http meter: smart plugs and PDUs that answer JSON over HTTP(S).
 * Each read GETs one URL and maps the answer to one reading with JSON
 * paths (json.h): a preset's (Shelly Gen1, Shelly Gen2, Tasmota) or the
 * configured ones, with their scales into W, J, V and A. */
#include "collectors/power/http_client.h"
#include "exporter/api/base.h"
#include "collectors/power/json.h"
#include "collectors/power/meter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a preset URL with Tasmota's user and password parameters,
 * percent-encoded. */
#define FETCH_MAX (METER_URL_MAX + 6 * METER_SECRET_MAX + 32)

struct http_meter {
	struct http_spec spec;
	struct meter_http *client;
	char fetch[FETCH_MAX];        /* what is requested */
	char shown[METER_URL_MAX];   /* what log lines show */
};

/* Appends s to out (size bytes, NUL-terminated), percent-encoding every
 * byte but RFC 3986's unreserved ones. Returns 0 or -E2BIG. */
static int append_encoded(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out);

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~';

		if (o + (plain ? 1 : 3) >= size)
			return -E2BIG;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Tasmota takes its web password as the user and password parameters of
 * the query, not as HTTP authentication. */
static int tasmota_login(struct http_meter *m, const char *user,
			 const char *password)
{
	size_t o = strlen(m->fetch);

	if (o + 16 >= sizeof(m->fetch))
		return -E2BIG;
	snprintf(m->fetch + o, sizeof(m->fetch) - o, "&user=");
	if (append_encoded(m->fetch, sizeof(m->fetch), user))
		return -E2BIG;
	o = strlen(m->fetch);
	if (o + 16 >= sizeof(m->fetch))
		return -E2BIG;
	snprintf(m->fetch + o, sizeof(m->fetch) - o, "&password=");
	return append_encoded(m->fetch, sizeof(m->fetch), password);
}

static void http_close(void *state)
{
	struct http_meter *m = state;

	if (!m)
		return;
	meter_http_free(m->client);
	explicit_bzero(m->fetch, sizeof(m->fetch));
	free(m);
}

static int http_open(const struct meter_args *a, void **state, char *err)
{
	const struct meter_net_config *n = a->cfg ? &a->cfg->net : NULL;
	char password[METER_SECRET_MAX] = "";
	char why[160];
	struct http_meter *m;
	bool tasmota;
	int rc;

	if (!n || !n->url[0]) {
		meter_err(err, "no url configured");
		return -EINVAL;
	}
	tasmota = n->preset == METER_PRESET_TASMOTA;
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
	snprintf(m->fetch, sizeof(m->fetch), "%s", m->spec.url);
	meter_url_shown(m->spec.url, m->shown, sizeof(m->shown));
	if (rc == 0 && tasmota && n->username[0] &&
	    tasmota_login(m, n->username, password)) {
		meter_err(err, "url, username and password too long together");
		rc = -E2BIG;
	}
	if (rc == 0) {
		const struct meter_http_opts o = {
			.timeout_ms = a->timeout_ms,
			.ca_file = n->ca_file,
			.insecure = n->tls_insecure == 1,
			.username = tasmota ? NULL : n->username,
			.password = tasmota ? NULL : password,
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

/* A device's own complaint, when its answer is an object with a string
 * member WARNING (Tasmota: "Need user=<username>&password=<password>"),
 * message or error: "; the device says: ..." (printable, cut), else "". */
static const char *device_says(yajl_val root, char *out, size_t size)
{
	static const char *const keys[] = {"WARNING", "message", "error"};

	out[0] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(keys) && !out[0]; k++) {
		const char *path[] = {keys[k], NULL};
		const char *v = YAJL_GET_STRING(yajl_tree_get(root, path, yajl_t_string));

		if (v)
			snprintf(out, size, "; the device says: %.60s", v);
	}
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	return out;
}

static int http_read(void *state, struct virtmeter_reading *out, size_t max,
		     char *err)
{
	struct http_meter *m = state;
	const char *url = m->shown;
	char why[200];
	const char *body;
	yajl_val root;
	long status = 0;
	size_t len;
	int rc;

	if (max < 1)
		return -E2BIG;
	rc = meter_http_request(m->client, "GET", m->fetch, NULL, NULL, &status, err);
	if (rc)
		return rc;
	if (status != 200) {
		meter_http_status_err(err, "GET", m->fetch, status);
		return -EIO;
	}
	body = meter_http_body(m->client, &len);
	rc = meter_json_parse(body, len, &root, why, sizeof(why));
	if (rc) {
		meter_err(err, "GET %s: %s", url, why);
		return rc;
	}
	rc = meter_http_extract(root, &m->spec, out, why, sizeof(why));
	if (rc) {
		char says[100];

		meter_err(err, "GET %s: %s%s", url, why,
			  device_says(root, says, sizeof(says)));
	}
	yajl_tree_free(root);
	if (rc)
		return rc;
	return 1;
}

static void http_interrupt(void *state)
{
	struct http_meter *m = state;

	meter_http_interrupt(m->client);
}

const struct meter_ops meter_http_ops = {
	.source = "http",
	.open = http_open,
	.read = http_read,
	.close = http_close,
	.interrupt = http_interrupt,
};
