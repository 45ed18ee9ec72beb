/* source.h - source texts and their line maps.
 *
 * Every source text (a file, a string, a REPL entry) is added to a source
 * manager, which gives it a base offset in one global offset space.  Ranges
 * (syno_range, below) are offsets in that space, so a range alone identifies
 * its file; line and column are computed only when a diagnostic is printed. */
#ifndef SYNO_SOURCE_H
#define SYNO_SOURCE_H

#include "base/base.h"

/* A half-open byte range [start, end) in the global offset space of a source
 * manager (below).  Offset 0 means "no location". */
typedef struct syno_range {
    uint32_t start, end;
} syno_range;

static inline syno_range syno_range_make(uint32_t start, uint32_t end)
{
    syno_range r = {start, end};
    return r;
}

static inline syno_range syno_range_join(syno_range a, syno_range b)
{
    if (!a.start) return b;
    if (!b.start) return a;
    syno_range r = {a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
    return r;
}

/* True when S is an identifier of the language: [A-Za-z_][A-Za-z0-9_]*
 * (NULL and "" are not). */
bool syno_is_ident(const char *s);

typedef struct syno_source {
    const char *name; /* file name as given, or "<stdin>", "<repl:3>" */
    const char *text; /* NUL-terminated copy; may contain NUL bytes before len */
    uint32_t len;
    uint32_t base;    /* global offset of text[0] */
    uint32_t *lines;  /* offsets (relative) of each line start */
    uint32_t nlines;
} syno_source;

typedef struct syno_srcmgr syno_srcmgr;

/* Largest source text accepted, in bytes. */
#define SYNO_SOURCE_MAX (16u * 1024u * 1024u)

syno_srcmgr *syno_srcmgr_new(void);
void syno_srcmgr_free(syno_srcmgr *m);
const syno_source *syno_srcmgr_add(syno_srcmgr *m, const char *name, const char *text, size_t len);
const syno_source *syno_srcmgr_load(syno_srcmgr *m, const char *path, char *err, size_t errlen);
const syno_source *syno_srcmgr_find(const syno_srcmgr *m, uint32_t offset);
void syno_source_linecol(const syno_source *s, uint32_t offset, uint32_t *line, uint32_t *col);
const char *syno_source_line(const syno_source *s, uint32_t line, uint32_t *len);

#endif
