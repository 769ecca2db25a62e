/* The web configuration file, exporter-toolkit format: see webcfg.h.
 * This file reads it (without blocking, bounded) and frees it; the
 * parser is webcfg_parse.c. */
#include "exporter/webcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporter/api/base.h"
#include "exporter/config.h"

const char *const webcfg_header_names[WEBCFG_NHEADERS] = {
    [WEBCFG_HDR_CSP] = "Content-Security-Policy",
    [WEBCFG_HDR_FRAME_OPTIONS] = "X-Frame-Options",
    [WEBCFG_HDR_CONTENT_TYPE_OPTIONS] = "X-Content-Type-Options",
    [WEBCFG_HDR_XSS_PROTECTION] = "X-XSS-Protection",
    [WEBCFG_HDR_HSTS] = "Strict-Transport-Security",
};

/* client_auth_type's values; "RequireClientCert" is the toolkit's older
 * name of RequireAnyClientCert. */
static const struct {
	const char *name;
	enum webcfg_client_auth value;
} client_auths[] = {
    {"NoClientCert", WEBCFG_NO_CLIENT_CERT},
    {"RequestClientCert", WEBCFG_REQUEST_CLIENT_CERT},
    {"RequireAnyClientCert", WEBCFG_REQUIRE_ANY_CLIENT_CERT},
    {"VerifyClientCertIfGiven", WEBCFG_VERIFY_CLIENT_CERT_IF_GIVEN},
    {"RequireAndVerifyClientCert", WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT},
    {"RequireClientCert", WEBCFG_REQUIRE_ANY_CLIENT_CERT},
};

const char *webcfg_client_auth_name(enum webcfg_client_auth a)
{
	for (size_t i = 0; i < ARRAY_SIZE(client_auths); i++)
		if (client_auths[i].value == a)
			return client_auths[i].name;
	return "?";
}

int webcfg_client_auth_find(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(client_auths); i++)
		if (strlen(client_auths[i].name) == len &&
		    memcmp(client_auths[i].name, s, len) == 0)
			return (int)client_auths[i].value;
	return -1;
}

char *webcfg_resolve(const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');
	size_t dl, pl = strlen(path);
	char *s;

	if (path[0] == '/' || !slash)
		return strdup(path);
	dl = (size_t)(slash - file) + 1;
	s = malloc(dl + pl + 1);
	if (!s)
		return NULL;
	memcpy(s, file, dl);
	memcpy(s + dl, path, pl + 1);
	return s;
}

void webcfg_scrub(char *msg)
{
	static const char run[] = "$./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz";

	for (char *p = strstr(msg, "$2"); p; p = strstr(p + 1, "$2")) {
		size_t n;

		if (!p[2] || !strchr("aby", p[2]) || p[3] != '$' ||
		    p[4] < '0' || p[4] > '9')
			continue;
		n = strspn(p, run);
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

/* Frees a PEM source, wiping inline text (it may be a key). */
static void pem_free(struct webcfg_pem *p)
{
	free(p->file);
	if (p->text)
		explicit_bzero(p->text, strlen(p->text));
	free(p->text);
	*p = (struct webcfg_pem){0};
}

void webcfg_free(struct webcfg *c)
{
	if (!c)
		return;
	pem_free(&c->cert);
	pem_free(&c->key);
	pem_free(&c->client_ca);
	for (size_t i = 0; i < c->nallowed_sans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	for (size_t i = 0; i < WEBCFG_NHEADERS; i++)
		free(c->headers[i]);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		if (c->users[i].hash)
			explicit_bzero(c->users[i].hash,
				       strlen(c->users[i].hash));
		free(c->users[i].hash);
	}
	free(c->users);
	free(c);
}

int webcfg_read_file(const char *path, size_t max, char **data, size_t *len)
{
	const char *kind;
	char *buf = NULL;
	size_t n = 0;
	int rc = config_read_file(path, max + 1, &buf, &n, &kind);

	if (rc < 0)
		return rc;
	if (n > max) {
		explicit_bzero(buf, n);
		free(buf);
		return -EFBIG;
	}
	*data = buf;
	*len = n;
	return 0;
}

int webcfg_load(const char *path, struct webcfg **out, struct config_error *err)
{
	struct config_error dummy;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	rc = webcfg_read_file(path, WEBCFG_MAX_BYTES, &text, &len);
	if (rc == -EINVAL)
		config_err_set(err, path, 0, 0,
			       "cannot read %s: not a regular file", path);
	else if (rc == -EFBIG)
		config_err_set(err, path, 0, 0,
			       "%s is larger than %d KiB: this is not a web "
			       "configuration file",
			       path, WEBCFG_MAX_BYTES / 1024);
	else if (rc < 0)
		config_err_set(err, path, 0, 0, "cannot read %s: %s", path,
			       strerror(-rc));
	if (rc < 0)
		return rc;
	rc = webcfg_parse(text, len, path, out, err);
	/* The file may hold a key or hashes: leave nothing of it behind. */
	explicit_bzero(text, len);
	free(text);
	return rc;
}
