/* Fuzz target for the Authorization header parser: any bytes, as a
 * header value, must parse without a crash or a read past the value, into
 * a user name and password that fit their buffers and hold no NUL or ':'
 * in the name, or be refused; and any bytes as a hash must be judged
 * without a crash, an accepted one being a 60-byte bcrypt hash whose cost
 * is within the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[AUTH_MAX_USER + 1], pass[AUTH_MAX_PASSWORD + 1];
	char *s = malloc(size + 1);
	const char *why = NULL;
	unsigned cost = 0;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(user, 'x', sizeof(user));
	memset(pass, 'x', sizeof(pass));
	if (auth_parse_basic(s, user, pass) == 0 &&
	    (!memchr(user, '\0', sizeof(user)) ||
	     !memchr(pass, '\0', sizeof(pass)) || strchr(user, ':')))
		abort();
	if (auth_bcrypt_check(s, size, &cost, &why) == 0) {
		if (size != 60 || cost < AUTH_MIN_COST || cost > AUTH_MAX_COST)
			abort();
	} else if (!why || !why[0]) {
		abort();
	}
	free(s);
	return 0;
}
