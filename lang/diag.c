/* diag.c - diagnostic list, GNU-style printing with a source excerpt and a
 * ^~~~ underline. */
#include "lang/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

syno_diag syno_diag_dropped;

/* Prepares an empty list whose ranges refer to SRCS. */
void syno_diags_init(syno_diags *d, const syno_srcmgr *srcs)
{
    memset(d, 0, sizeof *d);
    d->srcs = srcs;
}

static void free_list(syno_diag *g)
{
    while (g) {
        syno_diag *n = g->next;
        free_list(g->notes);
        free(g->msg);
        free(g);
        g = n;
    }
}

/* Frees every diagnostic. */
void syno_diags_fini(syno_diags *d)
{
    free_list(d->head);
    d->head = d->tail = NULL;
}

/* Forgets every diagnostic and resets the counters (the REPL does this
 * between entries). */
void syno_diags_clear(syno_diags *d)
{
    const syno_srcmgr *s = d->srcs;
    int max = d->max_errors;
    syno_diags_fini(d);
    syno_diags_init(d, s);
    d->max_errors = max;
}

static syno_diag *make(syno_severity sev, syno_range r, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static syno_diag *make(syno_severity sev, syno_range r, const char *fmt, va_list ap)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    syno_diag *g = syno_xcalloc(1, sizeof *g);
    g->sev = sev;
    g->range = r;
    g->msg = syno_buf_take(&b);
    return g;
}

static syno_diag *add(syno_diags *d, syno_severity sev, syno_range r, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static syno_diag *add(syno_diags *d, syno_severity sev, syno_range r, const char *fmt, va_list ap)
{
    int max = d->max_errors ? d->max_errors : 100;
    if (sev == SYNO_SEV_ERROR && d->errors >= max) {
        d->truncated = true;
        d->errors++;
        return &syno_diag_dropped;
    }
    syno_diag *g = make(sev, r, fmt, ap);
    g->seq = d->seq++;
    if (d->tail) d->tail->next = g;
    else d->head = g;
    d->tail = g;
    if (sev == SYNO_SEV_ERROR) d->errors++;
    else d->warnings++;
    return g;
}

/* Records an error at R.  Returns the diagnostic so that notes can be
 * attached (never NULL; past the error limit a shared dummy is returned and
 * the error is only counted). */
syno_diag *syno_diag_error(syno_diags *d, syno_range r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_diag *g = add(d, SYNO_SEV_ERROR, r, fmt, ap);
    va_end(ap);
    return g;
}

/* Attaches a note at R to PARENT. */
void syno_diag_note(syno_diag *parent, syno_range r, const char *fmt, ...)
{
    if (parent == &syno_diag_dropped) return;
    va_list ap;
    va_start(ap, fmt);
    syno_diag *g = make(SYNO_SEV_NOTE, r, fmt, ap);
    va_end(ap);
    syno_diag **p = &parent->notes;
    while (*p) p = &(*p)->next;
    *p = g;
}

static int cmp_diag(const void *a, const void *b)
{
    const syno_diag *x = *(syno_diag *const *)a, *y = *(syno_diag *const *)b;
    if (x->range.start != y->range.start) return x->range.start < y->range.start ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Orders the list by position (errors without a location first), keeping
 * emission order among equal positions. */
void syno_diags_sort(syno_diags *d)
{
    int n = 0;
    for (syno_diag *g = d->head; g; g = g->next) n++;
    if (n < 2) return;
    syno_diag **v = syno_xmalloc((size_t)n * sizeof *v);
    n = 0;
    for (syno_diag *g = d->head; g; g = g->next) v[n++] = g;
    qsort(v, (size_t)n, sizeof *v, cmp_diag);
    for (int i = 0; i < n; i++) v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    d->head = v[0];
    d->tail = v[n - 1];
    free(v);
}

/* Writes a source line with control bytes shown as '?', so that garbage
 * input cannot upset the terminal. */
static void put_line(syno_buf *out, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        syno_buf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
    }
}

static const char *sev_name[] = {"error", "warning", "note"};
static const char *sev_color[] = {"\033[1;31m", "\033[1;35m", "\033[1;36m"};

static void format_one(const syno_srcmgr *srcs, const syno_diag *g, syno_buf *out, bool color)
{
    const syno_source *s = g->range.start ? syno_srcmgr_find(srcs, g->range.start) : NULL;
    uint32_t line = 0, col = 0;
    if (s) {
        syno_source_linecol(s, g->range.start, &line, &col);
        syno_buf_printf(out, "%s%s:%u:%u: ", color ? "\033[1m" : "", s->name, line, col);
    } else {
        syno_buf_printf(out, "%ssyno: ", color ? "\033[1m" : "");
    }
    syno_buf_printf(out, "%s%s:%s %s\n", color ? sev_color[g->sev] : "", sev_name[g->sev],
                    color ? "\033[0m" : "", g->msg);
    if (!s) return;
    uint32_t len;
    const char *text = syno_source_line(s, line, &len);
    if (!text) return;
    if (len > 400) return; /* a caret under a huge line helps nobody */
    syno_buf_puts(out, "    ");
    put_line(out, text, len);
    syno_buf_puts(out, "\n    ");
    /* Underline: walk the line, mirroring tabs so the caret stays aligned. */
    uint32_t line_start = (uint32_t)(text - s->text) + s->base;
    uint32_t a = g->range.start, b = g->range.end > g->range.start ? g->range.end : a + 1;
    if (color) syno_buf_puts(out, "\033[1;32m");
    for (uint32_t i = 0; i < len; i++) {
        uint32_t off = line_start + i;
        unsigned char c = (unsigned char)text[i];
        if ((c & 0xC0) == 0x80) continue; /* UTF-8 continuation: same column */
        if (off >= b) break;
        if (off < a) syno_buf_putc(out, c == '\t' ? '\t' : ' ');
        else syno_buf_putc(out, off == a ? '^' : '~');
    }
    if (a >= line_start + len) syno_buf_putc(out, '^'); /* at end of line */
    if (color) syno_buf_puts(out, "\033[0m");
    syno_buf_putc(out, '\n');
}

/* Formats one diagnostic and its notes into OUT. */
static void format_with_notes(const syno_srcmgr *srcs, const syno_diag *g, syno_buf *out, bool color)
{
    format_one(srcs, g, out, color);
    for (const syno_diag *n = g->notes; n; n = n->next) format_one(srcs, n, out, color);
}

/* Formats the whole list in source order, followed by a line about errors
 * that were counted but not recorded. */
void syno_diags_format(syno_diags *d, syno_buf *out, bool color)
{
    syno_diags_sort(d);
    for (const syno_diag *g = d->head; g; g = g->next) format_with_notes(d->srcs, g, out, color);
    if (d->truncated)
        syno_buf_printf(out, "syno: too many errors (%d in all); only the first %d are shown\n",
                        d->errors, d->max_errors ? d->max_errors : 100);
}

/* Prints the list to F, in color when F is a terminal and NO_COLOR is unset. */
void syno_diags_print(syno_diags *d, FILE *f)
{
    bool color = isatty(fileno(f)) && !getenv("NO_COLOR") && getenv("TERM") &&
                 strcmp(getenv("TERM"), "dumb") != 0;
    syno_buf b = SYNO_BUF_INIT;
    syno_diags_format(d, &b, color);
    fputs(syno_buf_str(&b), f);
    syno_buf_fini(&b);
}
