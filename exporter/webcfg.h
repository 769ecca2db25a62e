/* The web configuration file (--web.config.file) in the format of the
 * Prometheus exporter-toolkit, the file node_exporter reads: TLS
 * (tls_server_config), response headers and HTTP/2 (http_server_config),
 * bcrypt-hashed users for basic authentication (basic_auth_users) and a
 * request rate limit (rate_limit). Parsing is a pure function over a
 * buffer (fuzzed); unknown keys, wrong types and bad values are errors
 * that name the file, line and column, and never show a secret. */
#ifndef VIRTMETER_WEBCFG_H
#define VIRTMETER_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/api/config_yaml.h"
#include "exporter/tls_names.h"

/* A web configuration file is a few kilobytes (more with certificates
 * written inline); anything past this is refused before parsing. */
#define WEBCFG_MAX_BYTES (256 * 1024)

/* client_auth_type, as Go's tls.ClientAuthType. */
enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT,
	WEBCFG_REQUEST_CLIENT_CERT,
	WEBCFG_REQUIRE_ANY_CLIENT_CERT,
	WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* The response headers that a file may set (the toolkit's list). */
enum webcfg_header {
	WEBCFG_HDR_CSP,
	WEBCFG_HDR_FRAME_OPTIONS,
	WEBCFG_HDR_CONTENT_TYPE_OPTIONS,
	WEBCFG_HDR_XSS_PROTECTION,
	WEBCFG_HDR_HSTS,
	WEBCFG_NHEADERS,
};

/* Where a value was in the file, for errors found after parsing (a
 * certificate that cannot be read). line 0: not in the file. */
struct webcfg_pos {
	unsigned line, column;
};

/* A PEM source: a file (resolved against the directory of the web
 * configuration file) or text written inline; at most one is set. */
struct webcfg_pem {
	char *file;
	char *text;
	struct webcfg_pos pos; /* of the value that set it */
};

/* One user of basic_auth_users: the name and its bcrypt hash (a secret:
 * never logged). */
struct webcfg_user {
	char *name;
	char *hash;
	unsigned cost;
};

struct webcfg {
	/* tls_server_config */
	bool tls; /* some TLS key is set: serve HTTPS */
	struct webcfg_pem cert, key, client_ca;
	enum webcfg_client_auth client_auth;
	unsigned min_version, max_version;	/* indices in tls_versions */
	unsigned char ciphers[TLS_MAX_CIPHERS]; /* indices in tls_ciphers */
	size_t nciphers;
	unsigned char curves[TLS_MAX_CURVES]; /* indices in tls_curves */
	size_t ncurves;
	bool prefer_server_cipher_suites;
	char **allowed_sans; /* client_allowed_sans */
	size_t nallowed_sans;
	/* http_server_config */
	bool http2; /* accepted for compatibility; HTTP/1.1 is served */
	char *headers[WEBCFG_NHEADERS]; /* NULL or "": not sent */
	/* basic_auth_users, in file order */
	struct webcfg_user *users;
	size_t nusers;
	/* rate_limit: at most burst requests at once, one more per interval;
	 * interval 0: no limit. */
	unsigned rate_interval_ms;
	unsigned rate_burst;
};

/* The names of the response headers, by enum webcfg_header. */
extern const char *const webcfg_header_names[WEBCFG_NHEADERS];

/* The name of a client_auth_type value. */
const char *webcfg_client_auth_name(enum webcfg_client_auth a);

/* The client_auth_type named exactly s (len bytes; the toolkit's older
 * "RequireClientCert" too), as an int, or -1. */
int webcfg_client_auth_find(const char *s, size_t len);

/* path as the file names it: a relative path is taken from the directory
 * of the web configuration file, as the toolkit does. Returns a malloc'd
 * string or NULL without memory. */
char *webcfg_resolve(const char *file, const char *path);

/* Parses YAML text of len bytes (need not be NUL-terminated) into a new
 * configuration; filename names the file in errors and is the directory
 * that relative paths are taken from. Returns 0 with *out set (free it
 * with webcfg_free), or -EINVAL (bad content), -ENOMEM, or -ENOTSUP
 * (built without libyaml) with err filled in and *out untouched. */
int webcfg_parse(const char *text, size_t len, const char *filename,
		 struct webcfg **out, struct config_error *err);

/* Reads path (a regular file, opened without blocking, at most
 * WEBCFG_MAX_BYTES) and parses it. Returns as webcfg_parse, or a
 * negative errno from reading, with err filled in. */
int webcfg_load(const char *path, struct webcfg **out,
		struct config_error *err);

/* Reads a file that the configuration names (a certificate or key): a
 * regular file, opened without blocking, of at most max bytes. Returns 0
 * with a malloc'd, NUL-terminated copy in *data and its length in *len
 * (the caller frees it, and wipes it first if it holds a secret), or a
 * negative errno (-EFBIG when larger than max, -EINVAL when not a
 * regular file). */
int webcfg_read_file(const char *path, size_t max, char **data, size_t *len);

/* Cuts what looks like a bcrypt hash ("$2y$10$...") out of msg, in
 * place, leaving "***". */
void webcfg_scrub(char *msg);

/* Frees c and everything it owns (wiping the secrets); NULL is a no-op. */
void webcfg_free(struct webcfg *c);

#endif
