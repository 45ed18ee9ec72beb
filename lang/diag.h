/* diag.h - diagnostics: collected, then printed in compiler format.
 *
 *     conv.syno:7:20: error: share(c, fc): sizes differ: C_in vs C_in/g
 *         sum(share(c, fc));
 *                   ^~~~~
 *     conv.syno:3:15: note: 'fc' declared here
 *
 * Every check reports into a syno_diags list instead of stopping, so one run
 * reports every error it can.  The list prints in source order. */
#ifndef SYNO_DIAG_H
#define SYNO_DIAG_H

#include "base/base.h"
#include "base/buf.h"
#include "lang/source.h"

#include <stdio.h>

typedef enum syno_severity { SYNO_SEV_ERROR, SYNO_SEV_WARNING, SYNO_SEV_NOTE } syno_severity;

typedef struct syno_diag {
    syno_severity sev;
    syno_range range;
    char *msg;
    struct syno_diag *notes; /* related locations, in order */
    struct syno_diag *next;
    uint64_t seq;            /* emission order, for a stable sort */
} syno_diag;

typedef struct syno_diags {
    const syno_srcmgr *srcs;
    syno_diag *head, *tail;
    int errors, warnings;
    int max_errors;          /* stop recording after this many (0: 100) */
    bool truncated;          /* more errors were found than recorded */
    bool incomplete;         /* a syntax error at end of input was seen */
    uint64_t seq;
} syno_diags;

/* Returned by the emitters when the error limit has been reached, so that
 * callers can add notes without checking. */
extern syno_diag syno_diag_dropped;

void syno_diags_init(syno_diags *d, const syno_srcmgr *srcs);
void syno_diags_fini(syno_diags *d);
void syno_diags_clear(syno_diags *d);
syno_diag *syno_diag_error(syno_diags *d, syno_range r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void syno_diag_note(syno_diag *parent, syno_range r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void syno_diags_format(syno_diags *d, syno_buf *out, bool color);
void syno_diags_print(syno_diags *d, FILE *f);
void syno_diags_sort(syno_diags *d);

#endif
