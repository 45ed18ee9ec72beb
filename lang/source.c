/* source.c - source manager: owns source texts and maps offsets to lines. */
#include "lang/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct syno_srcmgr {
    syno_source **files;
    int n, cap;
    uint32_t next_base;
};

/* Creates an empty source manager. */
syno_srcmgr *syno_srcmgr_new(void)
{
    syno_srcmgr *m = syno_xcalloc(1, sizeof *m);
    m->next_base = 1; /* offset 0 is "no location" */
    return m;
}

/* Frees the manager and every source it holds.  NULL is a no-op. */
void syno_srcmgr_free(syno_srcmgr *m)
{
    if (!m) return;
    for (int i = 0; i < m->n; i++) {
        free((char *)m->files[i]->name);
        free((char *)m->files[i]->text);
        free(m->files[i]->lines);
        free(m->files[i]);
    }
    free(m->files);
    free(m);
}

/* Adds a copy of TEXT[0..LEN) under NAME and returns it; the manager owns
 * the copy.  Returns NULL if the global offset space is exhausted (a caller
 * reports that as "input too large"). */
const syno_source *syno_srcmgr_add(syno_srcmgr *m, const char *name, const char *text, size_t len)
{
    if (len > SYNO_SOURCE_MAX || (uint64_t)m->next_base + len + 1 > UINT32_MAX) return NULL;
    syno_source *s = syno_xcalloc(1, sizeof *s);
    s->name = syno_xstrdup(name);
    char *t = syno_xmalloc(len + 1);
    if (len) memcpy(t, text, len);
    t[len] = 0;
    s->text = t;
    s->len = (uint32_t)len;
    s->base = m->next_base;
    m->next_base += (uint32_t)len + 1; /* +1: an offset for end of input */
    uint32_t cap = 16;
    s->lines = syno_xmalloc(cap * sizeof *s->lines);
    s->lines[s->nlines++] = 0;
    for (uint32_t i = 0; i < s->len; i++) {
        if (t[i] != '\n') continue;
        if (s->nlines == cap) {
            cap *= 2;
            s->lines = syno_xrealloc(s->lines, cap * sizeof *s->lines);
        }
        s->lines[s->nlines++] = i + 1;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->files = syno_xrealloc(m->files, (size_t)m->cap * sizeof *m->files);
    }
    m->files[m->n++] = s;
    return s;
}

/* Reads the file PATH and adds it.  On failure returns NULL and writes a
 * one-line reason into ERR (e.g. "cannot open 'x.syno': No such file or
 * directory"). */
const syno_source *syno_srcmgr_load(syno_srcmgr *m, const char *path, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read '%s': it is a directory", path);
        fclose(f);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = syno_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap > SYNO_SOURCE_MAX) break;
            cap *= 2;
            buf = syno_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int failed = ferror(f);
    int saved = errno;
    if (f != stdin) fclose(f);
    const syno_source *s = NULL;
    if (failed)
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(saved));
    else if (len > SYNO_SOURCE_MAX)
        snprintf(err, errlen, "cannot read '%s': larger than the %u MiB limit", path, SYNO_SOURCE_MAX >> 20);
    else if (!(s = syno_srcmgr_add(m, strcmp(path, "-") == 0 ? "<stdin>" : path, buf, len)))
        snprintf(err, errlen, "cannot read '%s': too much source text loaded", path);
    free(buf);
    return s;
}

/* Returns the source containing global OFFSET (end-of-input offsets count),
 * or NULL for offset 0 or an offset no source owns. */
const syno_source *syno_srcmgr_find(const syno_srcmgr *m, uint32_t offset)
{
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const syno_source *s = m->files[mid];
        if (offset < s->base) hi = mid - 1;
        else if (offset > s->base + s->len) lo = mid + 1;
        else return s;
    }
    return NULL;
}

/* Computes the 1-based LINE and display COLUMN of global OFFSET within S.
 * Columns count characters (UTF-8 code points), so the caret lines up on a
 * terminal; a tab counts as one. */
void syno_source_linecol(const syno_source *s, uint32_t offset, uint32_t *line, uint32_t *col)
{
    uint32_t rel = offset - s->base;
    if (rel > s->len) rel = s->len;
    uint32_t lo = 0, hi = s->nlines - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi + 1) / 2;
        if (s->lines[mid] <= rel) lo = mid;
        else hi = mid - 1;
    }
    uint32_t c = 1;
    for (uint32_t i = s->lines[lo]; i < rel; i++)
        if (((unsigned char)s->text[i] & 0xC0) != 0x80) c++;
    *line = lo + 1;
    *col = c;
}

/* Returns a pointer to the start of 1-based LINE of S and its length without
 * the newline, or NULL when the line does not exist. */
const char *syno_source_line(const syno_source *s, uint32_t line, uint32_t *len)
{
    if (line == 0 || line > s->nlines) return NULL;
    uint32_t a = s->lines[line - 1];
    uint32_t b = line < s->nlines ? s->lines[line] - 1 : s->len;
    if (b > a && s->text[b - 1] == '\r') b--;
    *len = b - a;
    return s->text + a;
}

/* See source.h. */
bool syno_is_ident(const char *s)
{
    if (!s || !*s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}
