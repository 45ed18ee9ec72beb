/* buf.c - growable byte buffer. */
#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frees the buffer's memory and leaves it empty and reusable. */
void syno_buf_fini(syno_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Empties the buffer, keeping its memory. */
void syno_buf_clear(syno_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

static void reserve(syno_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = syno_xrealloc(b->data, cap);
    b->cap = cap;
}

/* Appends N bytes of S. */
void syno_buf_add(syno_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

/* Appends the NUL-terminated string S. */
void syno_buf_puts(syno_buf *b, const char *s)
{
    syno_buf_add(b, s, strlen(s));
}

/* Appends one byte. */
void syno_buf_putc(syno_buf *b, char c)
{
    syno_buf_add(b, &c, 1);
}

/* Appends formatted text. */
void syno_buf_vprintf(syno_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    SYNO_ASSERT(n >= 0);
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

/* Appends formatted text. */
void syno_buf_printf(syno_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Appends N spaces. */
void syno_buf_indent(syno_buf *b, int n)
{
    for (int i = 0; i < n; i++) syno_buf_putc(b, ' ');
}

/* Returns the contents as a string ("" when empty); valid until the next
 * change to the buffer. */
const char *syno_buf_str(syno_buf *b)
{
    if (!b->data) syno_buf_add(b, "", 0);
    return b->data;
}

/* Hands the contents to the caller (free with free()) and empties B. */
char *syno_buf_take(syno_buf *b)
{
    syno_buf_str(b);
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}
