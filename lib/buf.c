/* buf.c — a growable byte buffer. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "kx.h"

static void reserve(kx_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = kx_realloc(b->s, cap);
	b->cap = cap;
}

void kx_buf_put(kx_buf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void kx_buf_puts(kx_buf *b, const char *s) { kx_buf_put(b, s, strlen(s)); }

void kx_buf_putc(kx_buf *b, char c)
{
	reserve(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = 0;
}

void kx_buf_printf(kx_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void kx_buf_json_str(kx_buf *b, const char *s)
{
	kx_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': kx_buf_put(b, "\\\"", 2); break;
		case '\\': kx_buf_put(b, "\\\\", 2); break;
		case '\n': kx_buf_put(b, "\\n", 2); break;
		case '\t': kx_buf_put(b, "\\t", 2); break;
		case '\r': kx_buf_put(b, "\\r", 2); break;
		default:
			if (*p < 0x20)
				kx_buf_printf(b, "\\u%04x", *p);
			else
				kx_buf_putc(b, (char)*p);
		}
	}
	kx_buf_putc(b, '"');
}

void kx_buf_free(kx_buf *b)
{
	free(b->s);
	*b = (kx_buf){ 0 };
}
