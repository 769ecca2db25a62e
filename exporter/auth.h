/* HTTP basic authentication against bcrypt hashes: the pure parts (the
 * Authorization header, the form and cost of a hash; fuzzed) and the
 * verifier, which runs the system's crypt (libxcrypt) one request at a
 * time, compares in constant time and remembers recent answers so that a
 * scraper does not pay for bcrypt on every scrape. No password or hash
 * is ever logged or kept in clear past a request. */
#ifndef VIRTMETER_AUTH_H
#define VIRTMETER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* bcrypt's cost is the log2 of its rounds: each step doubles the time of
 * one check. Every check of an unknown password runs before the client
 * is known, so the cost bounds the CPU that anyone who can connect may
 * ask for. On a 2020s x86 core cost 10 takes 55 ms, 12 takes 220 ms and
 * 14 takes 870 ms; checks run one at a time, so a request may wait for
 * one per HTTP thread ahead of it. 12 keeps that wait under half a second
 * (a scrape every second still gets through while someone guesses) and
 * admits the usual tools' defaults: htpasswd -B (5), Go's bcrypt (10),
 * Python's crypt (12). */
#define AUTH_MIN_COST 4u
#define AUTH_MAX_COST 12u

/* The longest user name and password taken from a request: bcrypt reads
 * at most 72 bytes of a password, and a longer one is refused (as Go's
 * bcrypt does) rather than compared by its first 72 bytes. */
#define AUTH_MAX_USER 255u
#define AUTH_MAX_PASSWORD 72u

/* The challenge of a 401. */
#define AUTH_CHALLENGE "Basic realm=\"virtmeter\""

/* Checks that hash (len bytes) is a bcrypt hash that this verifier
 * accepts: "$2a$", "$2b$" or "$2y$", a two-digit cost from AUTH_MIN_COST
 * to AUTH_MAX_COST, "$", then 53 characters of bcrypt's base64 alphabet.
 * Returns 0 with the cost in *cost, or -EINVAL with *why set to a static
 * phrase that says what was found, without showing the hash ("a bcrypt
 * hash with a cost above 12 ..."). */
int auth_bcrypt_check(const char *hash, size_t len, unsigned *cost,
		      const char **why);

/* Parses an Authorization header value: "Basic " (any case), then the
 * base64 of "user:password". Writes the user name and the password,
 * NUL-terminated, into user (AUTH_MAX_USER + 1 bytes) and pass
 * (AUTH_MAX_PASSWORD + 1 bytes). Returns 0, or -EINVAL for another
 * scheme, bad base64, no ':', a NUL or control byte in the name, a NUL
 * in the password or a name or password too long. The caller wipes
 * pass. */
int auth_parse_basic(const char *header, char *user, char *pass);

struct webcfg_user;
struct auth;

/* A verifier for n users (copied; their hashes already checked by
 * auth_bcrypt_check). Returns NULL without memory, or when this build
 * has no crypt (-ENOTSUP in *rc; rc may be NULL). Free with auth_free. */
struct auth *auth_new(const struct webcfg_user *users, size_t n, int *rc);

/* Frees a and wipes what it remembers; NULL is a no-op. */
void auth_free(struct auth *a);

/* Whether header (an Authorization value, or NULL) carries the name and
 * password of one of a's users. A name that is not a user costs a bcrypt
 * check all the same, so that timing does not tell which names exist.
 * Thread-safe. */
bool auth_check(struct auth *a, const char *header);

/* Whether this build can verify passwords (it has crypt). */
bool auth_supported(void);

#endif
