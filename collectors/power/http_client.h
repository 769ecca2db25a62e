/* The HTTP(S) client of the network meters (redfish, http): one libcurl
 * handle per meter, kept between reads so that connections are reused,
 * with the meter's timeout on every request, TLS verification on unless
 * the configuration opts out, a capped answer, and error messages that
 * never hold a credential. Needs libcurl. */
#ifndef VIRTMETER_POWER_HTTP_CLIENT_H
#define VIRTMETER_POWER_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "collectors/power/config.h"

/* The largest answer kept. */
#define METER_HTTP_MAX (1024 * 1024)

struct meter_http;

/* How a meter's client is set up. Strings are copied. */
struct meter_http_opts {
	unsigned timeout_ms;  /* of each whole request */
	const char *ca_file;  /* "" or NULL: the system's CAs */
	bool insecure;        /* no certificate or host name check */
	const char *username; /* "" or NULL: no HTTP authentication */
	const char *password;
	bool digest;          /* allow digest as well as basic */
};

/* Makes a client. Returns 0 with it in *out (freed by meter_http_free), or
 * a negative errno with a reason in err (METER_ERR_MAX bytes). */
int meter_http_new(const struct meter_http_opts *o, struct meter_http **out,
		   char *err);

/* Frees the client and wipes its copy of the password. */
void meter_http_free(struct meter_http *h);

/* One request: method "GET", "POST" (body sent as JSON) or "DELETE" to
 * url, with header "X-Auth-Token: token" when token is set (and then no
 * HTTP authentication). Returns 0 when an answer arrived, whatever its
 * status (in *status); or a negative errno with a reason in err: -ETIMEDOUT,
 * -EPROTO (TLS verification failed), -ECONNREFUSED, -EFBIG (answer larger
 * than METER_HTTP_MAX), -EIO (anything else). */
int meter_http_request(struct meter_http *h, const char *method,
		       const char *url, const char *body, const char *token,
		       long *status, char *err);

/* Makes the request running in another thread end at once with
 * -ECANCELED (its connection is shut down), and every later one fail at
 * once until meter_http_resume. Does not block for long (a lock held only
 * while a socket is opened or closed); for the meters' interrupt
 * operation. */
void meter_http_interrupt(struct meter_http *h);

/* Lets requests run again after meter_http_interrupt, for a last short
 * request on the way out (a Redfish logout). */
void meter_http_resume(struct meter_http *h);

/* Limits the next requests to ms milliseconds each (at least 1): a meter
 * that makes several requests per read gives each what is left of its
 * timeout. */
void meter_http_budget(struct meter_http *h, unsigned ms);

/* The body of the last answer (not NUL-terminated) and its length; owned
 * by the client until the next request. */
const char *meter_http_body(const struct meter_http *h, size_t *len);

/* The value of the X-Auth-Token and Location headers of the last answer
 * ("" if absent); owned by the client until the next request. */
const char *meter_http_token(const struct meter_http *h);
const char *meter_http_location(const struct meter_http *h);

/* Reads a password file: its first line, without the line end, into out
 * (size bytes). Returns 0, or a negative errno with a reason (naming the
 * file, never its content) in err. */
int meter_read_secret(const char *path, char *out, size_t size, char *err);

/* Writes url into out (size bytes) for a log line: the value of every
 * query parameter whose name holds pass, pwd, token, key, secret, auth or
 * user (any case) becomes "***". Pure. */
void meter_url_shown(const char *url, char *out, size_t size);

/* A one-line reason for an HTTP status that is not 2xx, in err (the URL
 * shown as meter_url_shown does). */
void meter_http_status_err(char *err, const char *what, const char *url,
			   long status);

#endif
