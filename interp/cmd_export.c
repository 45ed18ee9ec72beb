/* cmd_export.c - `syno export --FORMAT FILE:OP [--bind B] [-o FILE]`: writes
 * an operator in another form.  The formats are listed in exports.def. */
#include "interp/cli.h"
#include "interp/explain.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define SYNO_EXPORT(name, needs_binding, summary) \
    int syno_export_##name(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);
#include "interp/exports.def"
#undef SYNO_EXPORT

typedef struct export_format {
    const char *name;
    bool needs_binding;
    const char *summary;
    int (*run)(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);
} export_format;

static const export_format formats[] = {
#define SYNO_EXPORT(name, needs_binding, summary) {#name, needs_binding, summary, syno_export_##name},
#include "interp/exports.def"
#undef SYNO_EXPORT
    {NULL, false, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: syno export --FORMAT FILE:OP [--bind B] [-o FILE]\n"
               "Writes the operator in another form, on stdout or into FILE.\nformats:\n");
    for (const export_format *e = formats; e->name; e++)
        fprintf(f, "  --%-10s %s%s\n", e->name, e->summary, e->needs_binding ? " (needs --bind)" : "");
}

/* Entry point of `syno export`. */
int syno_cmd_export(int argc, char **argv)
{
    const export_format *fmt = NULL;
    const char *bind = NULL, *outfile = NULL, *ref = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return SYNO_EXIT_OK;
        } else if (strcmp(a, "--bind") == 0 || strcmp(a, "-o") == 0) {
            if (i + 1 == argc) return syno_cli_usage_error("export", "%s needs a value", a);
            *(a[1] == 'o' ? &outfile : &bind) = argv[++i];
        } else if (strncmp(a, "--bind=", 7) == 0) {
            bind = a + 7;
        } else if (strncmp(a, "--", 2) == 0) {
            const export_format *e = formats;
            while (e->name && strcmp(e->name, a + 2) != 0) e++;
            if (!e->name) return syno_cli_usage_error("export", "unknown option or format '%s'", a);
            if (fmt && fmt != e) return syno_cli_usage_error("export", "one format at a time");
            fmt = e;
        } else if (!ref) {
            ref = a;
        } else {
            return syno_cli_usage_error("export", "one operator at a time");
        }
    }
    if (!fmt) return syno_cli_usage_error("export", "no format given (see --help)");
    if (!ref) return syno_cli_usage_error("export", "no operator given");
    if (fmt->needs_binding && !bind) return syno_cli_usage_error("export", "--%s needs --bind", fmt->name);
    syno_ctx *ctx = syno_ctx_new();
    syno_op *op = syno_cli_find_op(ctx, ref);
    if (!op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_binding b;
    int st = syno_cli_binding(op, bind, &b);
    if (st != SYNO_EXIT_OK) return syno_cli_finish(ctx, st);
    if (bind) {
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        bool ok = syno_explain_bind(ctx, op, &b, sizes);
        free(sizes);
        if (!ok) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    syno_buf out = SYNO_BUF_INIT;
    st = fmt->run(ctx, op, bind ? &b : NULL, &out);
    if (st == SYNO_EXIT_OK) {
        FILE *f = outfile ? fopen(outfile, "wb") : stdout;
        if (!f || fwrite(syno_buf_str(&out), 1, out.len, f) != out.len || (outfile && fclose(f) != 0)) {
            syno_cli_error("cannot write '%s': %s", outfile ? outfile : "<stdout>", strerror(errno));
            st = SYNO_EXIT_USER;
        }
    }
    syno_buf_fini(&out);
    return syno_cli_finish(ctx, st);
}
