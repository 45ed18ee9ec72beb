/* base.c - checked allocation and the internal-error report. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void syno_internal_error(const char *file, int line, const char *what)
{
    fflush(stdout);
    fprintf(stderr, "syno: internal error: %s:%d: check failed: %s\n"
                    "syno: this is a bug in syno, not in your program\n",
            file, line, what);
    abort();
}

static _Noreturn void out_of_memory(size_t n)
{
    fprintf(stderr, "syno: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *syno_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *syno_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size);
    return p;
}

void *syno_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *syno_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = syno_xmalloc(n);
    memcpy(p, s, n);
    return p;
}
