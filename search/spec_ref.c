/* spec_ref.c - finding a search spec from the command line: FILE, or
 * FILE:SEARCH when the file has several search blocks. */
#include "search/search.h"

#include "lang/module.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Loads and checks the file of REF ("FILE" or "FILE:SEARCH") into CTX and
 * returns its search block, or NULL after reporting why into CTX's
 * diagnostics (a missing file, errors in the file, no such search, several
 * searches and none named). */
syno_spec *syno_search_find_spec(syno_ctx *ctx, const char *ref)
{
    char *file = syno_xstrdup(ref);
    const char *name = NULL;
    char *colon = strrchr(file, ':');
    struct stat st;
    if (colon && colon != file && stat(file, &st) != 0) {
        *colon = 0;
        name = colon + 1;
    }
    syno_module *m = syno_ctx_load_file(ctx, file);
    syno_spec *sp = NULL;
    syno_range r0 = syno_range_make(0, 0);
    if (m && !ctx->diags.errors) {
        if (name) {
            sp = syno_module_find_spec(m, name);
            if (!sp) {
                syno_buf b = SYNO_BUF_INIT;
                for (int i = 0; i < m->nspecs; i++) syno_buf_printf(&b, "%s%s", i ? ", " : "", m->specs[i]->name);
                syno_diag_error(&ctx->diags, r0, "%s has no search '%s'%s%s", file, name,
                                m->nspecs ? "; it defines: " : " (it defines none)", syno_buf_str(&b));
                syno_buf_fini(&b);
            }
        } else if (m->nspecs == 1) {
            sp = m->specs[0];
        } else if (!m->nspecs) {
            syno_diag_error(&ctx->diags, r0, "%s has no search block (write 'search NAME { ... }')", file);
        } else {
            syno_buf b = SYNO_BUF_INIT;
            for (int i = 0; i < m->nspecs; i++) syno_buf_printf(&b, "%s%s", i ? ", " : "", m->specs[i]->name);
            syno_diag_error(&ctx->diags, r0, "%s defines %d searches; name one as %s:SEARCH (%s)", file, m->nspecs,
                            file, syno_buf_str(&b));
            syno_buf_fini(&b);
        }
    }
    free(file);
    return sp;
}
