/* The redfish meter: a BMC's power readings over HTTPS. The first read
 * finds the chassis (GET /redfish/v1/Chassis, then each member) and, for
 * each, its EnvironmentMetrics resource (newer BMCs), else the Metrics of
 * every power supply of its PowerSubsystem, else its Power resource; every
 * read GETs those and parses them (redfish_parse.h).
 * Authentication is HTTP basic, or a Redfish session (POST to the
 * SessionService, then X-Auth-Token; logged in again on a 401, logged out
 * at close). The password never reaches a log line. */
#include "collectors/power/http_client.h"
#include "exporter/api/base.h"
#include "collectors/power/json.h"
#include "collectors/power/meter.h"
#include "collectors/power/redfish_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#define SESSIONS_PATH "/redfish/v1/SessionService/Sessions"
#define RF_MAX_RES 16 /* resources GET each read, at most */

/* One resource read each time: its path, the chassis it belongs to and,
 * for a PowerSupplyMetrics resource, the power supply ("" otherwise). */
struct rf_res {
	char path[RF_PATH_MAX];
	char chassis[VIRTMETER_ZONE_MAX];
	char psu[VIRTMETER_ZONE_MAX];
};

struct redfish_meter {
	char base[METER_URL_MAX]; /* scheme://host[:port], no trailing '/' */
	bool session;
	char username[METER_SECRET_MAX];
	char password[METER_SECRET_MAX];
	char token[512];
	char logout[METER_URL_MAX + RF_PATH_MAX]; /* the session's URL, for DELETE */
	struct meter_http *client;
	unsigned timeout_ms;
	double deadline; /* monotonic seconds: the end of this read */
	size_t nres; /* 0 until discovery succeeded */
	struct rf_res res[RF_MAX_RES];
	char url[METER_URL_MAX + RF_PATH_MAX];
};

/* Gives the next request what is left of the read's timeout (all the
 * requests of one read share it). Returns 0, or -ETIMEDOUT with err set
 * when nothing is left. */
static int budget(struct redfish_meter *m, const char *path, char *err)
{
	double left = m->deadline - clock_mono_s();

	if (left <= 0.001) {
		meter_err(err, "%s%s: the read's %ums ran out before this request "
			  "(a slow BMC: raise timeout)", m->base, path, m->timeout_ms);
		return -ETIMEDOUT;
	}
	meter_http_budget(m->client, (unsigned)(left * 1000));
	return 0;
}

/* Sets m->url to the base followed by path, or to path when it is a full
 * URL. */
static void make_url(struct redfish_meter *m, const char *path)
{
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		snprintf(m->url, sizeof(m->url), "%s", path);
	else
		snprintf(m->url, sizeof(m->url), "%s%s", m->base, path);
}

/* The login body {"UserName": ..., "Password": ...}, escaped by yajl, in
 * out (size bytes). Returns 0 or -ENOMEM / -E2BIG. */
static int login_body(const struct redfish_meter *m, char *out, size_t size)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	int rc = -ENOMEM;

	if (!g)
		return rc;
	if (yajl_gen_map_open(g) == yajl_gen_status_ok &&
	    yajl_gen_string(g, (const unsigned char *)"UserName", 8) == yajl_gen_status_ok &&
	    yajl_gen_string(g, (const unsigned char *)m->username, strlen(m->username)) == yajl_gen_status_ok &&
	    yajl_gen_string(g, (const unsigned char *)"Password", 8) == yajl_gen_status_ok &&
	    yajl_gen_string(g, (const unsigned char *)m->password, strlen(m->password)) == yajl_gen_status_ok &&
	    yajl_gen_map_close(g) == yajl_gen_status_ok &&
	    yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		rc = len < size ? 0 : -E2BIG;
		if (rc == 0) {
			memcpy(out, buf, len);
			out[len] = '\0';
		}
		explicit_bzero((void *)buf, len);
	}
	yajl_gen_free(g);
	return rc;
}

/* Opens a session: keeps its token and its URL. */
static int login(struct redfish_meter *m, char *err)
{
	char body[2 * METER_SECRET_MAX * 6 + 64];
	long status = 0;
	int rc;

	m->token[0] = m->logout[0] = '\0';
	rc = login_body(m, body, sizeof(body));
	if (rc) {
		meter_err(err, "cannot build the session request: %s", strerror(-rc));
		return rc;
	}
	make_url(m, SESSIONS_PATH);
	rc = meter_http_request(m->client, "POST", m->url, body, NULL, &status, err);
	explicit_bzero(body, sizeof(body));
	if (rc)
		return rc;
	if (status != 201 && status != 200) {
		meter_http_status_err(err, "session login: POST", m->url, status);
		return -EACCES;
	}
	if (!meter_http_token(m->client)[0]) {
		meter_err(err, "session login: POST %s: no X-Auth-Token in the answer",
			  m->url);
		return -EPROTO;
	}
	snprintf(m->token, sizeof(m->token), "%s", meter_http_token(m->client));
	if (meter_http_location(m->client)[0]) {
		make_url(m, meter_http_location(m->client));
		snprintf(m->logout, sizeof(m->logout), "%s", m->url);
	}
	return 0;
}

/* GETs path (a session is opened first, and again once on a 401). Returns
 * 0 with a 200 answer in the client, or a negative errno with err set. */
static int get(struct redfish_meter *m, const char *path, char *err)
{
	long status = 0;
	int rc;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (m->session && !m->token[0]) {
			rc = budget(m, SESSIONS_PATH, err);
			if (rc == 0)
				rc = login(m, err);
			if (rc)
				return rc;
		}
		rc = budget(m, path, err);
		if (rc)
			return rc;
		make_url(m, path);
		rc = meter_http_request(m->client, "GET", m->url, NULL,
					m->session ? m->token : NULL, &status, err);
		if (rc)
			return rc;
		if (status == 401 && m->session && attempt == 0) {
			m->token[0] = '\0'; /* expired: log in again */
			continue;
		}
		break;
	}
	if (status != 200) {
		meter_http_status_err(err, "GET", m->url, status);
		return -EIO;
	}
	return 0;
}

/* Adds a resource to read each time, unless RF_MAX_RES are already
 * there. Returns 1 when added, else 0. */
static int add_res(struct redfish_meter *m, const char *path,
		   const char *chassis, const char *psu)
{
	struct rf_res *r;

	if (m->nres >= RF_MAX_RES)
		return 0;
	r = &m->res[m->nres];
	snprintf(r->path, sizeof(r->path), "%s", path);
	snprintf(r->chassis, sizeof(r->chassis), "%s", chassis);
	snprintf(r->psu, sizeof(r->psu), "%s", psu);
	m->nres++;
	return 1;
}

/* GETs path and parses its link key into out. Returns 0, -ENOENT when the
 * resource has no such link, or another negative errno with err set. */
static int get_link(struct redfish_meter *m, const char *path, const char *key,
		    char *out, char *err)
{
	char why[200];
	const char *body;
	size_t len;
	int rc;

	rc = get(m, path, err);
	if (rc)
		return rc;
	body = meter_http_body(m->client, &len);
	rc = meter_redfish_link(body, len, key, out, why, sizeof(why));
	if (rc && rc != -ENOENT)
		meter_err(err, "GET %s: %s", m->url, why);
	return rc;
}

/* GETs the collection at path and parses up to max member paths into
 * ids. Returns their number, or a negative errno with err set. */
static int get_members(struct redfish_meter *m, const char *path,
		       char (*ids)[RF_PATH_MAX], size_t max, char *err)
{
	char why[200];
	const char *body;
	size_t len;
	int n;

	n = get(m, path, err);
	if (n)
		return n;
	body = meter_http_body(m->client, &len);
	n = meter_redfish_members(body, len, ids, max, why, sizeof(why));
	if (n < 0)
		meter_err(err, "GET %s: %s", m->url, why);
	return n;
}

/* Adds the Metrics resource of every power supply (at most RF_MAX_PSUS)
 * of the PowerSubsystem at path; a supply without Metrics (an empty bay)
 * is skipped. Returns the number added (0 when the subsystem lists no
 * supply with Metrics), or a negative errno with err set. */
static int discover_psus(struct redfish_meter *m, const char *path,
			 const char *chassis, char *err)
{
	char ids[RF_MAX_PSUS][RF_PATH_MAX], link[RF_PATH_MAX], psu[VIRTMETER_ZONE_MAX];
	int n, rc, added = 0;

	rc = get_link(m, path, "PowerSupplies", link, err);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	n = get_members(m, link, ids, RF_MAX_PSUS, err);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		rc = get_link(m, ids[i], "Metrics", link, err);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		meter_redfish_id(ids[i], psu, sizeof(psu));
		if (!psu[0])
			snprintf(psu, sizeof(psu), "psu%d", i);
		added += add_res(m, link, chassis, psu);
	}
	return added;
}

/* Finds the power resources of one chassis (at path, named chassis):
 * EnvironmentMetrics, else the power supplies of PowerSubsystem, else
 * Power. Returns the number added (0: the chassis has none), or a
 * negative errno with err set. */
static int discover_chassis(struct redfish_meter *m, const char *path,
			    const char *chassis, char *err)
{
	struct rf_links l;
	char why[200];
	const char *body;
	size_t len;
	int rc;

	rc = get(m, path, err);
	if (rc)
		return rc;
	body = meter_http_body(m->client, &len);
	if (meter_redfish_links(body, len, &l, why, sizeof(why))) {
		meter_err(err, "GET %s: %s", m->url, why);
		return -EINVAL;
	}
	if (l.env[0])
		return add_res(m, l.env, chassis, "");
	if (l.subsystem[0]) {
		rc = discover_psus(m, l.subsystem, chassis, err);
		if (rc)
			return rc;
	}
	return l.power[0] ? add_res(m, l.power, chassis, "") : 0;
}

/* Finds the power resources of every chassis. */
static int discover(struct redfish_meter *m, char *err)
{
	char ids[RF_MAX_CHASSIS][RF_PATH_MAX], chassis[VIRTMETER_ZONE_MAX];
	char names[160] = "";
	size_t o;
	int n, rc;

	n = get_members(m, "/redfish/v1/Chassis", ids, RF_MAX_CHASSIS, err);
	if (n < 0)
		return n;
	m->nres = 0;
	for (int i = 0; i < n; i++) {
		meter_redfish_id(ids[i], chassis, sizeof(chassis));
		rc = discover_chassis(m, ids[i], chassis, err);
		if (rc < 0)
			return rc;
		o = strlen(names);
		snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "", chassis);
	}
	if (m->nres == 0) {
		meter_err(err, "%s/redfish/v1/Chassis: no chassis (%s) has an "
			  "EnvironmentMetrics, PowerSubsystem or Power resource",
			  m->base, n ? names : "none listed");
		return -ENOENT;
	}
	return 0;
}

static void redfish_close(void *state)
{
	struct redfish_meter *m = state;
	char err[METER_ERR_MAX];
	long status;

	if (!m)
		return;
	if (m->client && m->token[0] && m->logout[0]) {
		/* Log out, briefly, even after a stop interrupted a read: BMCs
		 * hold a few sessions each, and one left behind at every
		 * restart would use them up until they expire. A BMC that does
		 * not answer keeps the session. */
		meter_http_resume(m->client);
		meter_http_budget(m->client, m->timeout_ms < 2000 ? m->timeout_ms : 2000);
		meter_http_request(m->client, "DELETE", m->logout, NULL, m->token,
				   &status, err);
	}
	meter_http_free(m->client);
	explicit_bzero(m, sizeof(*m));
	free(m);
}

/* The base URL: the configured one without trailing '/' or /redfish/v1. */
static void set_base(struct redfish_meter *m, const char *url)
{
	size_t n;

	snprintf(m->base, sizeof(m->base), "%s", url);
	n = strlen(m->base);
	while (n > 0 && m->base[n - 1] == '/')
		m->base[--n] = '\0';
	if (n >= 11 && strcmp(m->base + n - 11, "/redfish/v1") == 0)
		m->base[n - 11] = '\0';
}

static int redfish_open(const struct meter_args *a, void **state, char *err)
{
	const struct meter_net_config *n = a->cfg ? &a->cfg->net : NULL;
	struct redfish_meter *m;
	int rc = 0;

	if (!n || !n->url[0]) {
		meter_err(err, "no url configured");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	set_base(m, n->url);
	m->timeout_ms = a->timeout_ms;
	m->session = n->auth == METER_AUTH_SESSION;
	snprintf(m->username, sizeof(m->username), "%s", n->username);
	if (n->password_file[0])
		rc = meter_read_secret(n->password_file, m->password,
				       sizeof(m->password), err);
	else
		snprintf(m->password, sizeof(m->password), "%s", n->password);
	if (rc == 0) {
		const struct meter_http_opts o = {
			.timeout_ms = a->timeout_ms,
			.ca_file = n->ca_file,
			.insecure = n->tls_insecure == 1,
			/* With sessions, credentials go in the login body only. */
			.username = m->session ? NULL : m->username,
			.password = m->session ? NULL : m->password,
		};

		rc = meter_http_new(&o, &m->client, err);
	}
	if (rc) {
		redfish_close(m);
		return rc;
	}
	*state = m;
	return 0;
}

static int redfish_read(void *state, struct virtmeter_reading *out, size_t max,
			char *err)
{
	struct redfish_meter *m = state;
	char why[200];
	size_t total = 0;
	int rc;

	m->deadline = clock_mono_s() + m->timeout_ms / 1000.0;
	if (m->nres == 0) {
		rc = discover(m, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < m->nres; i++) {
		const struct rf_res *r = &m->res[i];
		const char *body;
		size_t len;
		int n;

		if (total >= max) {
			meter_err(err, "more than %zu zones", max);
			return -E2BIG;
		}
		rc = get(m, r->path, err);
		if (rc)
			return rc;
		body = meter_http_body(m->client, &len);
		if (r->psu[0])
			n = meter_redfish_psu_readings(body, len, r->chassis, r->psu,
						       out + total, why, sizeof(why));
		else
			n = meter_redfish_readings(body, len, r->chassis, out + total,
						   max - total, why, sizeof(why));
		if (n < 0) {
			meter_err(err, "GET %s: %s", m->url, why);
			return n;
		}
		total += (size_t)n;
	}
	if (total == 0) {
		/* Every resource was a power supply without a reading. */
		meter_err(err, "GET %s: %s", m->url, why);
		return -ENODATA;
	}
	return (int)total;
}

static void redfish_interrupt(void *state)
{
	struct redfish_meter *m = state;

	meter_http_interrupt(m->client);
}

const struct meter_ops meter_redfish_ops = {
	.source = "redfish",
	.open = redfish_open,
	.read = redfish_read,
	.close = redfish_close,
	.interrupt = redfish_interrupt,
};
