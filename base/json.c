/* json.c - streaming JSON writer.  Output is valid UTF-8 JSON as long as the
 * strings given are UTF-8; control characters are escaped. */
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Starts writing JSON into OUT. */
void syno_json_init(syno_json *j, syno_buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->first[0] = true;
}

static void newline(syno_json *j)
{
    syno_buf_putc(j->out, '\n');
    syno_buf_indent(j->out, 2 * j->depth);
}

/* Separator and indentation before a value or a key. */
static void before(syno_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0) return;
    if (!j->first[j->depth]) syno_buf_puts(j->out, j->inline_[j->depth] ? ", " : ",");
    bool was_first = j->first[j->depth];
    j->first[j->depth] = false;
    if (!j->inline_[j->depth]) newline(j);
    (void)was_first;
}

static void open(syno_json *j, char c, bool one_line)
{
    before(j);
    SYNO_ASSERT(!j->inline_[j->depth] || j->depth == 0); /* nothing nests inside a one-line array */
    syno_buf_putc(j->out, c);
    SYNO_ASSERT(j->depth + 1 < SYNO_JSON_MAX_DEPTH);
    j->first[++j->depth] = true;
    j->inline_[j->depth] = one_line;
}

static void close(syno_json *j, char c)
{
    bool empty = j->first[j->depth], one_line = j->inline_[j->depth];
    j->inline_[j->depth] = false;
    j->depth--;
    if (!empty && !one_line) newline(j);
    syno_buf_putc(j->out, c);
    if (j->depth == 0) syno_buf_putc(j->out, '\n');
}

void syno_json_begin_object(syno_json *j) { open(j, '{', false); }
void syno_json_end_object(syno_json *j) { close(j, '}'); }
void syno_json_begin_array(syno_json *j) { open(j, '[', false); }
/* An array of scalars written on one line: ["N", "C_in"]. */
void syno_json_begin_array_inline(syno_json *j) { open(j, '[', true); }
void syno_json_end_array(syno_json *j) { close(j, ']'); }

/* Appends S as a JSON string literal. */
static void escape(syno_buf *out, const char *s)
{
    syno_buf_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': syno_buf_puts(out, "\\\""); break;
        case '\\': syno_buf_puts(out, "\\\\"); break;
        case '\n': syno_buf_puts(out, "\\n"); break;
        case '\t': syno_buf_puts(out, "\\t"); break;
        case '\r': syno_buf_puts(out, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f) syno_buf_printf(out, "\\u%04x", c);
            else syno_buf_putc(out, (char)c);
        }
    }
    syno_buf_putc(out, '"');
}

/* Writes an object key; the next call writes its value. */
void syno_json_key(syno_json *j, const char *key)
{
    before(j);
    escape(j->out, key);
    syno_buf_puts(j->out, ": ");
    j->after_key = true;
}

void syno_json_string(syno_json *j, const char *s)
{
    before(j);
    if (s) escape(j->out, s);
    else syno_buf_puts(j->out, "null");
}

void syno_json_int(syno_json *j, int64_t v)
{
    before(j);
    syno_buf_printf(j->out, "%lld", (long long)v);
}

/* Writes a number; NaN and infinities (not JSON) are written as null. */
void syno_json_double(syno_json *j, double v)
{
    before(j);
    if (!isfinite(v)) {
        syno_buf_puts(j->out, "null");
        return;
    }
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v) snprintf(tmp, sizeof tmp, "%.17g", v);
    syno_buf_puts(j->out, tmp);
}

void syno_json_bool(syno_json *j, bool v)
{
    before(j);
    syno_buf_puts(j->out, v ? "true" : "false");
}

void syno_json_null(syno_json *j)
{
    before(j);
    syno_buf_puts(j->out, "null");
}
