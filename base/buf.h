/* buf.h - growable byte buffer for building text (printers, JSON, messages). */
#ifndef SYNO_BUF_H
#define SYNO_BUF_H

#include "base/base.h"

#include <stdarg.h>

typedef struct syno_buf {
    char *data; /* always NUL-terminated once anything was added */
    size_t len, cap;
} syno_buf;

#define SYNO_BUF_INIT {NULL, 0, 0}

void syno_buf_fini(syno_buf *b);
void syno_buf_clear(syno_buf *b);
void syno_buf_add(syno_buf *b, const char *s, size_t n);
void syno_buf_puts(syno_buf *b, const char *s);
void syno_buf_putc(syno_buf *b, char c);
void syno_buf_printf(syno_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void syno_buf_vprintf(syno_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void syno_buf_indent(syno_buf *b, int n);
const char *syno_buf_str(syno_buf *b);
char *syno_buf_take(syno_buf *b);

#endif
