/* Fuzz target for the web configuration parser: any bytes go to
 * webcfg_parse, which must neither crash nor leak, and must keep its
 * promises: a configuration it hands back is coherent (TLS with its
 * certificate and key, known versions, suites and curves, checked
 * hashes, allowed header values), and a refusal comes with a message
 * that names the file and never holds a bcrypt hash. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/auth.h"
#include "exporter/webcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless c keeps the promises of webcfg_parse. */
static void check_config(const struct webcfg *c)
{
	const char *why;
	unsigned cost;

	if (c->min_version > c->max_version ||
	    c->max_version >= tls_nversions || c->nciphers > TLS_MAX_CIPHERS ||
	    c->ncurves > TLS_MAX_CURVES)
		abort();
	if (c->tls && ((!c->cert.file && !c->cert.text) ||
		       (!c->key.file && !c->key.text)))
		abort();
	if ((c->cert.file && c->cert.text) || (c->key.file && c->key.text))
		abort();
	for (size_t i = 0; i < c->nciphers; i++)
		if (c->ciphers[i] >= tls_nciphers)
			abort();
	for (size_t i = 0; i < c->ncurves; i++)
		if (c->curves[i] >= tls_ncurves)
			abort();
	for (size_t i = 0; i < c->nusers; i++) {
		const struct webcfg_user *u = &c->users[i];

		if (!u->name[0] || strchr(u->name, ':') ||
		    auth_bcrypt_check(u->hash, strlen(u->hash), &cost, &why) ||
		    cost != u->cost)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->users[j].name, u->name) == 0)
				abort();
	}
	for (size_t i = 0; i < WEBCFG_NHEADERS; i++)
		for (const char *p = c->headers[i]; p && *p; p++)
			if ((unsigned char)*p < 0x20)
				abort();
}

/* Whether msg shows something of a bcrypt hash: "$2a$", "$2b$" or "$2y$"
 * followed by a digit (the messages name the prefixes, never a cost). */
static bool shows_hash(const char *msg)
{
	for (const char *p = strstr(msg, "$2"); p; p = strstr(p + 1, "$2"))
		if (p[2] && strchr("aby", p[2]) && p[3] == '$' && p[4] >= '0' &&
		    p[4] <= '9')
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webcfg *c = NULL;
	struct config_error err;
	int rc;

	rc = webcfg_parse((const char *)data, size, "dir/web.yml", &c, &err);
	if (rc == 0) {
		if (!c)
			abort();
		check_config(c);
		webcfg_free(c);
		return 0;
	}
	if ((rc != -EINVAL && rc != -ENOMEM && rc != -ENOTSUP) || c ||
	    !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0] ||
	    strcmp(err.file, "dir/web.yml") != 0 || shows_hash(err.msg))
		abort();
	return 0;
}
