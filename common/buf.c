/* buf.c: growable byte buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

/* Buffers never need to exceed this; it keeps size arithmetic safe. */
#define BUF_MAX	((size_t)1 << 31)

static int
grow(struct dkim_buf *b, size_t need)
{
	size_t cap;
	unsigned char *p;

	if (need > BUF_MAX - b->len)
		return DKIM_ERR_TOOLONG;
	if (b->len + need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return DKIM_ERR_ALLOC;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
dkim_buf_reserve(struct dkim_buf *b, size_t n)
{
	return grow(b, n);
}

int
dkim_buf_append(struct dkim_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = grow(b, n)) != 0)
		return r;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
dkim_buf_putc(struct dkim_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return dkim_buf_append(b, &ch, 1);
}

int
dkim_buf_printf(struct dkim_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n, r;

	/* most calls fit what is there: format once */
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(room ? (char *)b->p + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return DKIM_ERR_SYNTAX;
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return 0;
	}
	/* room for vsnprintf's NUL, which is not counted in len */
	if ((r = grow(b, (size_t)n + 1)) != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
dkim_buf_free(struct dkim_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
dkim_buf_freezero(struct dkim_buf *b)
{
	if (b == NULL)
		return;
	if (b->p != NULL)
		freezero(b->p, b->cap);
	b->p = NULL;
	b->len = b->cap = 0;
}
