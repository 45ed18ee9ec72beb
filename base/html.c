/* html.c - escaping text and links for HTML and XML (see html.h). */
#include "base/html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at S (of N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp == 0xfffe || cp == 0xffff) return 0; /* not characters in XML */
    return len;
}

/* Escapes the first N bytes of S (see html.h). */
void syno_html_textn(syno_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        switch (c) {
        case '&': syno_buf_puts(out, "&amp;"); i++; continue;
        case '<': syno_buf_puts(out, "&lt;"); i++; continue;
        case '>': syno_buf_puts(out, "&gt;"); i++; continue;
        case '"': syno_buf_puts(out, "&quot;"); i++; continue;
        case '\'': syno_buf_puts(out, "&#39;"); i++; continue;
        default: break;
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            syno_buf_puts(out, "\xef\xbf\xbd");
            i++;
            continue;
        }
        size_t len = utf8_len(p + i, n - i);
        if (!len) {
            syno_buf_puts(out, "\xef\xbf\xbd");
            i++;
            continue;
        }
        if (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) { /* C1 controls */
            syno_buf_puts(out, "\xef\xbf\xbd");
            i += 2;
            continue;
        }
        syno_buf_add(out, s + i, len);
        i += len;
    }
}

/* Escapes S (see html.h). */
void syno_html_text(syno_buf *out, const char *s)
{
    if (s) syno_html_textn(out, s, strlen(s));
}

/* Appends PATH as an href (see html.h). */
void syno_html_href(syno_buf *out, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    if (path[0] == '/') syno_buf_puts(out, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._~/-", (int)c)) {
            syno_buf_putc(out, (char)c);
        } else {
            char e[4] = {'%', hex[c >> 4], hex[c & 15], 0};
            syno_buf_puts(out, e);
        }
    }
}

/* Appends a coordinate (see html.h). */
void syno_html_coord(syno_buf *out, double v)
{
    SYNO_ASSERT(isfinite(v));
    double r = round(v * 100) / 100;
    if (r == 0) r = 0; /* no "-0" */
    char b[64];
    snprintf(b, sizeof b, "%.2f", r);
    size_t n = strlen(b);
    while (n > 0 && b[n - 1] == '0') b[--n] = 0;
    if (n > 0 && b[n - 1] == '.') b[--n] = 0;
    syno_buf_puts(out, b);
}
