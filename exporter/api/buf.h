/* A growable byte buffer with a hard size cap. A buffer that hits its cap or
 * fails to allocate enters an error state: every later append is a no-op and
 * buf_err() reports -ENOMEM or -E2BIG, so callers check once at the end. */
#ifndef VIRTMETER_BUF_H
#define VIRTMETER_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* owned; NUL-terminated when len > 0 and no error */
	size_t len;
	size_t cap;
	size_t max;   /* hard cap on len, in bytes */
	int err;      /* 0, -ENOMEM or -E2BIG */
};

/* The reallocation of buf_grow_array, when need is past *cap. */
int buf_grow_array_to(void **arr, size_t *cap, size_t need, size_t sz);

/* Grows the array *arr of elements of sz bytes, holding *cap of them, to
 * hold at least need (doubling from 16), updating *arr and *cap. Returns 0,
 * or -ENOMEM (the array is then unchanged). Inline: most calls, on every
 * sample added, find the room there. */
static inline int buf_grow_array(void **arr, size_t *cap, size_t need,
				 size_t sz)
{
	return need <= *cap ? 0 : buf_grow_array_to(arr, cap, need, sz);
}

/* Prepares an empty buffer that will never grow past max bytes. */
void buf_init(struct buf *b, size_t max);

/* Frees the storage and resets the buffer to empty (reusable). */
void buf_free(struct buf *b);

/* Empties the buffer but keeps its storage and clears the error state. */
void buf_reset(struct buf *b);

/* Appends n bytes. Returns 0 or the buffer's error. */
int buf_add(struct buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Returns 0 or the buffer's error. */
int buf_puts(struct buf *b, const char *s);

/* Appends one byte. Returns 0 or the buffer's error. */
int buf_putc(struct buf *b, char c);

/* Appends printf-formatted text. Returns 0 or the buffer's error. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The va_list form of buf_printf. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Hands the storage to the caller (who frees it with free()) and leaves the
 * buffer empty. Returns NULL if the buffer is in error or empty. */
char *buf_steal(struct buf *b, size_t *len);

/* Returns 0 or the sticky error of the buffer. */
static inline int buf_err(const struct buf *b) { return b->err; }

#endif
