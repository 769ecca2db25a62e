/* The textfile collector's hash set of byte strings: see strset.h. Open
 * addressing with linear probing, kept at most half full; FNV-1a hashes. */
#include "collectors/textfile/strset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_MAX (1u << 31)

/* FNV-1a over len bytes of p. */
static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The slot where key is, or the free slot where it would go. */
static struct tf_slot *probe(const struct tf_set *s, uint64_t h,
			     const char *key, size_t len)
{
	size_t mask = s->cap - 1, i = (size_t)h & mask;

	for (;;) {
		struct tf_slot *sl = &s->slots[i];

		if (sl->len == 0)
			return sl;
		if (sl->hash == h && sl->len == len + 1 &&
		    memcmp(s->keys + sl->off, key, len) == 0)
			return sl;
		i = (i + 1) & mask;
	}
}

int tf_set_find(const struct tf_set *s, const char *key, size_t len,
		uint32_t *val)
{
	const struct tf_slot *sl;

	if (s->cap == 0)
		return -ENOENT;
	sl = probe(s, hash_bytes(key, len), key, len);
	if (sl->len == 0)
		return -ENOENT;
	*val = sl->val;
	return 0;
}

/* Doubles the slot table (or makes its first one), rehashing every key.
 * Returns 0 or -ENOMEM with the set unchanged. */
static int grow_slots(struct tf_set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct tf_set bigger = *s;

	bigger.slots = calloc(ncap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	bigger.cap = ncap;
	for (size_t i = 0; i < s->cap; i++) {
		const struct tf_slot *old = &s->slots[i];

		if (old->len)
			*probe(&bigger, old->hash, s->keys + old->off,
			       old->len - 1) = *old;
	}
	free(s->slots);
	s->slots = bigger.slots;
	s->cap = ncap;
	return 0;
}

/* Makes room for len more bytes of keys. Returns 0, -E2BIG or -ENOMEM. */
static int grow_keys(struct tf_set *s, size_t len)
{
	size_t ncap = s->capkeys ? s->capkeys : 1024;
	char *p;

	if (len >= KEYS_MAX - s->nkeys)
		return -E2BIG;
	if (s->nkeys + len <= s->capkeys)
		return 0;
	while (ncap < s->nkeys + len)
		ncap *= 2;
	p = realloc(s->keys, ncap);
	if (!p)
		return -ENOMEM;
	s->keys = p;
	s->capkeys = ncap;
	return 0;
}

int tf_set_add(struct tf_set *s, const char *key, size_t len, uint32_t val,
	       uint32_t *old)
{
	struct tf_slot *sl;
	uint64_t h = hash_bytes(key, len);
	int rc;

	if (s->cap) {
		sl = probe(s, h, key, len);
		if (sl->len) {
			if (old)
				*old = sl->val;
			return -EEXIST;
		}
	}
	if ((s->n + 1) * 2 > s->cap) {
		rc = grow_slots(s);
		if (rc)
			return rc;
	}
	rc = grow_keys(s, len);
	if (rc)
		return rc;
	if (len)
		memcpy(s->keys + s->nkeys, key, len);
	sl = probe(s, h, key, len);
	*sl = (struct tf_slot){.hash = h,
			       .off = (uint32_t)s->nkeys,
			       .len = (uint32_t)len + 1,
			       .val = val};
	s->nkeys += len;
	s->n++;
	return 0;
}

void tf_set_clear(struct tf_set *s)
{
	if (s->n)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->n = 0;
	s->nkeys = 0;
}

void tf_set_free(struct tf_set *s)
{
	free(s->slots);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}
