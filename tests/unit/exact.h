/* exact_n for the parser tests: a copy of an input in a heap block of
 * exactly its length, so that reading past it trips ASan. */
#ifndef VIRTMETER_TEST_EXACT_H
#define VIRTMETER_TEST_EXACT_H

#include <stdlib.h>
#include <string.h>

/* Copies len bytes of s into a heap block of exactly that size. */
static inline char *exact_n(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

#endif
