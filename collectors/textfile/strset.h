/* A hash set of byte strings, each with a number: the textfile parser and
 * the merge of files look names and series up in it. Keys are copied into
 * the set (any bytes, NUL included), so callers may build them in a
 * scratch buffer. */
#ifndef VIRTMETER_TEXTFILE_STRSET_H
#define VIRTMETER_TEXTFILE_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct tf_slot {
	uint64_t hash;
	uint32_t off; /* of the key in keys */
	uint32_t len; /* of the key, plus one; 0: the slot is free */
	uint32_t val;
};

struct tf_set {
	struct tf_slot *slots;
	size_t cap, n; /* cap: a power of two, or 0 before the first add */
	char *keys;
	size_t nkeys, capkeys;
};

/* Looks key (len bytes) up. Returns 0 and its number in *val, or -ENOENT. */
int tf_set_find(const struct tf_set *s, const char *key, size_t len,
		uint32_t *val);

/* Adds key (len bytes) with the number val unless it is there. Returns 0
 * when added, -EEXIST when it was there (its number in *old if old is not
 * NULL), -E2BIG past 2^31 bytes of keys, or -ENOMEM (the set is then as
 * it was). */
int tf_set_add(struct tf_set *s, const char *key, size_t len, uint32_t val,
	       uint32_t *old);

/* Empties the set, keeping its storage for the next use. */
void tf_set_clear(struct tf_set *s);

/* Frees the set's storage and leaves it empty. */
void tf_set_free(struct tf_set *s);

#endif
