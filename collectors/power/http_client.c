/* The HTTP(S) client of the network meters (see http_client.h). */
#include "build-config.h"

#include "collectors/power/http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "exporter/api/base.h"
#include "collectors/power/meter.h"

#define HDR_MAX 512
#define RF_SHOWN_EXTRA 512 /* room for the paths that follow a base URL */

struct meter_http {
	CURL *curl;
	unsigned timeout_ms; /* of each request (meter_http_budget) */
	unsigned read_ms;    /* the meter's timeout, for messages */
	bool digest;
	char username[METER_SECRET_MAX];
	char password[METER_SECRET_MAX];
	char ca_file[METER_ARG_MAX];
	bool insecure;
	atomic_bool stop; /* set by meter_http_interrupt, from another thread */
	/* The socket of the connection, which meter_http_interrupt shuts
	 * down so that a transfer waiting on it wakes at once (the progress
	 * callback alone runs about once a second while nothing arrives). */
	pthread_mutex_t sock_lock;
	curl_socket_t sock;
	/* The last answer. */
	char *body;
	size_t len, cap;
	bool too_big;
	char token[HDR_MAX];
	char location[HDR_MAX];
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* libcurl's global set-up, once per process, before any handle. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct meter_http *h = arg;
	size_t add = size * n;

	if (add > METER_HTTP_MAX - h->len) {
		h->too_big = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (h->len + add > h->cap) {
		size_t cap = h->cap ? h->cap : 16384;
		char *p;

		while (cap < h->len + add)
			cap *= 2;
		p = realloc(h->body, cap);
		if (!p)
			return 0;
		h->body = p;
		h->cap = cap;
	}
	memcpy(h->body + h->len, data, add);
	h->len += add;
	return add;
}

/* Ends a transfer once meter_http_interrupt was called. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct meter_http *h = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&h->stop) ? 1 : 0;
}

/* Opens the socket of a connection and remembers it. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose,
				    struct curl_sockaddr *a)
{
	struct meter_http *h = arg;
	curl_socket_t s;

	(void)purpose;
	s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s == CURL_SOCKET_BAD)
		return s;
	pthread_mutex_lock(&h->sock_lock);
	h->sock = s;
	if (atomic_load(&h->stop))
		shutdown(s, SHUT_RDWR);
	pthread_mutex_unlock(&h->sock_lock);
	return s;
}

/* Closes the socket of a connection and forgets it. */
static int on_close_socket(void *arg, curl_socket_t s)
{
	struct meter_http *h = arg;

	pthread_mutex_lock(&h->sock_lock);
	if (h->sock == s)
		h->sock = CURL_SOCKET_BAD;
	pthread_mutex_unlock(&h->sock_lock);
	return close(s);
}

/* Copies the value of header name from line (len bytes) into out when the
 * line is that header. */
static void take_header(const char *line, size_t len, const char *name,
			char *out)
{
	size_t nl = strlen(name), vlen;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
			   line[len - 1] == ' '))
		len--;
	vlen = len < HDR_MAX - 1 ? len : HDR_MAX - 1;
	memcpy(out, line, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct meter_http *h = arg;

	take_header(data, size * n, "X-Auth-Token", h->token);
	take_header(data, size * n, "Location", h->location);
	return size * n;
}

/* The options that stay the same for every request. */
static int setup(struct meter_http *h)
{
	CURL *c = h->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, h);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, h);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SET(CURLOPT_OPENSOCKETDATA, h);
	SET(CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	SET(CURLOPT_CLOSESOCKETDATA, h);
	SET(CURLOPT_USERAGENT, "virtmeter/" PACKAGE_VERSION);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)METER_HTTP_MAX);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	SET(CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
	if (h->ca_file[0])
		SET(CURLOPT_CAINFO, h->ca_file);
#undef SET
	return rc == CURLE_OK ? 0 : -EINVAL;
}

int meter_http_new(const struct meter_http_opts *o, struct meter_http **out,
		   char *err)
{
	struct meter_http *h;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		meter_err(err, "libcurl cannot start: %s", curl_easy_strerror(global_rc));
		return -EIO;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->sock_lock, NULL);
	h->sock = CURL_SOCKET_BAD;
	h->timeout_ms = o->timeout_ms;
	h->read_ms = o->timeout_ms;
	h->insecure = o->insecure;
	h->digest = o->digest;
	snprintf(h->username, sizeof(h->username), "%s", o->username ? o->username : "");
	snprintf(h->password, sizeof(h->password), "%s", o->password ? o->password : "");
	snprintf(h->ca_file, sizeof(h->ca_file), "%s", o->ca_file ? o->ca_file : "");
	h->curl = curl_easy_init();
	if (!h->curl || setup(h)) {
		meter_err(err, "cannot set up a libcurl handle");
		meter_http_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void meter_http_free(struct meter_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	pthread_mutex_destroy(&h->sock_lock);
	explicit_bzero(h->password, sizeof(h->password));
	free(h->body);
	free(h);
}

/* Sets the method, body and credentials of one request. */
static int prepare(struct meter_http *h, const char *method, const char *url,
		   const char *body, struct curl_slist *hdrs, bool with_token)
{
	CURL *c = h->curl;
	bool auth = h->username[0] && !with_token;
	CURLcode rc;

	rc = curl_easy_setopt(c, CURLOPT_URL, url);
	if (rc == CURLE_OK && strcmp(method, "POST") == 0) {
		rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	} else if (rc == CURLE_OK) {
		rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
					      strcmp(method, "GET") ? method : NULL);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_HTTPAUTH,
				      auth ? (h->digest ? CURLAUTH_BASIC | CURLAUTH_DIGEST
							: CURLAUTH_BASIC)
					   : CURLAUTH_NONE);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_USERNAME, auth ? h->username : NULL);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(c, CURLOPT_PASSWORD, auth ? h->password : NULL);
	return rc == CURLE_OK ? 0 : -EINVAL;
}

/* Turns a failed transfer into an errno and a reason. */
static int transfer_err(struct meter_http *h, CURLcode rc, const char *method,
			const char *url, char *err)
{
	const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);

	if (rc == CURLE_SSL_CACERT_BADFILE) {
		meter_err(err, "%s %s: cannot use ca_file %s (%s)", method, url,
			  h->ca_file, detail);
		return -EPROTO;
	}
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		meter_err(err, "%s %s: stopped", method, url);
		return -ECANCELED;
	case CURLE_OPERATION_TIMEDOUT:
		meter_err(err, "%s %s: no answer within %ums (timeout)", method, url,
			  h->read_ms);
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
		meter_err(err, "%s %s: TLS certificate does not verify (%s); set "
			  "ca_file to the CA that signed it, or tls_insecure: true",
			  method, url, detail);
		return -EPROTO;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		meter_err(err, "%s %s: cannot connect (%s)", method, url, detail);
		return -ECONNREFUSED;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			meter_err(err, "%s %s: answer larger than %d bytes", method, url,
				  METER_HTTP_MAX);
			return -EFBIG;
		}
		break;
	default:
		break;
	}
	meter_err(err, "%s %s: %s", method, url, detail);
	return -EIO;
}

int meter_http_request(struct meter_http *h, const char *method,
		       const char *url, const char *body, const char *token,
		       long *status, char *err)
{
	struct curl_slist *hdrs = NULL, *t;
	char tokhdr[HDR_MAX + 16], shown[METER_URL_MAX + RF_SHOWN_EXTRA];
	CURLcode rc;
	int ret = 0;

	meter_url_shown(url, shown, sizeof(shown));

	if (atomic_load(&h->stop)) {
		meter_err(err, "%s: stopped", method);
		return -ECANCELED;
	}
	h->len = 0;
	h->too_big = false;
	h->token[0] = h->location[0] = h->errbuf[0] = '\0';
	if (token && token[0]) {
		snprintf(tokhdr, sizeof(tokhdr), "X-Auth-Token: %s", token);
		hdrs = curl_slist_append(hdrs, tokhdr);
		explicit_bzero(tokhdr, sizeof(tokhdr));
	}
	t = curl_slist_append(hdrs, "Accept: application/json");
	if (t)
		hdrs = t;
	if (t && body) {
		t = curl_slist_append(hdrs, "Content-Type: application/json");
		if (t)
			hdrs = t;
	}
	if (!t || prepare(h, method, url, body, hdrs, token && token[0])) {
		meter_err(err, "%s %s: cannot set up the request", method, shown);
		ret = -ENOMEM;
		goto out;
	}
	rc = curl_easy_perform(h->curl);
	/* A connection shut down by meter_http_interrupt ends in a receive
	 * or send error: it was a stop all the same. */
	if (rc != CURLE_OK && atomic_load(&h->stop))
		rc = CURLE_ABORTED_BY_CALLBACK;
	if (rc != CURLE_OK) {
		ret = transfer_err(h, rc, method, shown, err);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
out:
	/* The list holds the token: the handle must not keep pointing to it. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return ret;
}

void meter_http_interrupt(struct meter_http *h)
{
	atomic_store(&h->stop, true);
	pthread_mutex_lock(&h->sock_lock);
	if (h->sock != CURL_SOCKET_BAD)
		shutdown(h->sock, SHUT_RDWR);
	pthread_mutex_unlock(&h->sock_lock);
}

void meter_http_resume(struct meter_http *h)
{
	atomic_store(&h->stop, false);
}

void meter_http_budget(struct meter_http *h, unsigned ms)
{
	if (ms == 0)
		ms = 1;
	h->timeout_ms = ms;
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ms);
}

const char *meter_http_body(const struct meter_http *h, size_t *len)
{
	*len = h->len;
	return h->body ? h->body : "";
}

const char *meter_http_token(const struct meter_http *h)
{
	return h->token;
}

const char *meter_http_location(const struct meter_http *h)
{
	return h->location;
}

/* Whether a query parameter called name (len bytes) may hold a secret. */
static bool secret_name(const char *name, size_t len)
{
	static const char *const words[] = {"pass", "pwd", "token", "key",
					    "secret", "auth", "user"};

	for (size_t w = 0; w < ARRAY_SIZE(words); w++) {
		size_t wl = strlen(words[w]);

		for (size_t i = 0; i + wl <= len; i++)
			if (strncasecmp(name + i, words[w], wl) == 0)
				return true;
	}
	return false;
}

void meter_url_shown(const char *url, char *out, size_t size)
{
	const char *q = strchr(url, '?');
	size_t o;

	snprintf(out, size, "%.*s", q ? (int)(q - url) : (int)strlen(url), url);
	if (!q)
		return;
	while (*q && *q != '#') {
		size_t seg = strcspn(q + 1, "&#") + 1; /* the separator and the pair */
		size_t name = strcspn(q + 1, "=&#");
		bool hide = name < seg - 1 && secret_name(q + 1, name);

		o = strlen(out);
		if (hide)
			snprintf(out + o, size - o, "%.*s=***", (int)(name + 1), q);
		else
			snprintf(out + o, size - o, "%.*s", (int)seg, q);
		q += seg;
	}
	o = strlen(out);
	snprintf(out + o, size - o, "%s", q);
}

void meter_http_status_err(char *err, const char *what, const char *url,
			   long status)
{
	char shown[METER_URL_MAX + RF_SHOWN_EXTRA];
	const char *hint = "";

	meter_url_shown(url, shown, sizeof(shown));

	if (status == 401 || status == 403)
		hint = " (check username and password)";
	else if (status == 404)
		hint = " (check the URL)";
	else if (status >= 500)
		hint = " (the device has a problem)";
	meter_err(err, "%s %s: HTTP status %ld%s", what, shown, status, hint);
}

int meter_read_secret(const char *path, char *out, size_t size, char *err)
{
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		meter_err(err, "cannot read password_file %s: %s", path, strerror(e));
		return -e;
	}
	n = read(fd, out, size);
	e = errno;
	close(fd);
	if (n < 0) {
		meter_err(err, "cannot read password_file %s: %s", path, strerror(e));
		return -e;
	}
	if ((size_t)n == size) {
		explicit_bzero(out, size);
		meter_err(err, "password_file %s: longer than %zu bytes", path, size - 1);
		return -EFBIG;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (!out[0]) {
		meter_err(err, "password_file %s is empty", path);
		return -EINVAL;
	}
	return 0;
}
