/* html.h - writing HTML, SVG and XML text safely: every string that comes
 * from outside (a results store, a .syno file, a path) goes through
 * syno_html_text, and every link through syno_html_href.  What they write
 * is also well-formed XML, so that `syno report`'s page can be checked by
 * an XML parser as well as read by a browser; Graphviz's HTML-like labels
 * (codegen/dot.c) use the same escapes. */
#ifndef SYNO_HTML_H
#define SYNO_HTML_H

#include "base/buf.h"

/* Appends S as HTML text or attribute value to OUT: & < > " ' as
 * character references; bytes that are not well-formed UTF-8, and control
 * characters other than tab, newline and carriage return (which neither
 * HTML nor XML can carry), as U+FFFD.  S may be NULL (nothing). */
void syno_html_text(syno_buf *out, const char *s);

/* As syno_html_text for the first N bytes of S. */
void syno_html_textn(syno_buf *out, const char *s, size_t n);

/* Appends PATH as the value of an href: every byte outside
 * [A-Za-z0-9._~/-] percent-encoded, so the link is a relative path (or,
 * when PATH starts with '/', a file: URL) and never another scheme
 * ("javascript:x" becomes "javascript%3Ax"). */
void syno_html_href(syno_buf *out, const char *path);

/* Appends a number for an attribute or SVG coordinate: at most 2
 * decimals, "-0" written as "0"; V must be finite. */
void syno_html_coord(syno_buf *out, double v);

#endif
