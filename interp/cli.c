/* cli.c - helpers shared by the subcommands of the `syno` driver. */
#include "interp/cli.h"

#include "base/num.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *syno_cli_command;

/* Prints "syno CMD: message" and a pointer to --help on stderr; returns
 * SYNO_EXIT_USAGE for the caller to return.  CMD NULL means the command
 * being run (syno_cli_command), if any. */
int syno_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    if (!cmd) cmd = syno_cli_command;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "syno%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'syno %s%s--help' for more information.\n", cmd ? cmd : "", cmd ? " " : "");
    return SYNO_EXIT_USAGE;
}

/* Prints "syno: error: message" on stderr (errors without a source span). */
void syno_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "syno: error: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Prints the context's diagnostics to stderr, frees the context and returns
 * STATUS, or SYNO_EXIT_USER when errors were reported and STATUS was OK. */
int syno_cli_finish(syno_ctx *ctx, int status)
{
    syno_diags_print(&ctx->diags, stderr);
    if (status == SYNO_EXIT_OK && ctx->diags.errors) status = SYNO_EXIT_USER;
    syno_ctx_free(ctx);
    return status;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void list_ops(const syno_module *m, syno_buf *b)
{
    for (int i = 0; i < m->nops; i++) syno_buf_printf(b, "%s%s", i ? ", " : "", m->ops[i]->name);
}

/* Resolves an operator reference: "FILE:OP", "FILE" (a file with exactly
 * one operator) or "OP" (a standard-library operator).  Loads and checks
 * the file into CTX.  On failure reports why (into CTX's diagnostics) and
 * returns NULL; an operator with errors is also a failure. */
syno_op *syno_cli_find_op(syno_ctx *ctx, const char *ref)
{
    const char *colon = strrchr(ref, ':');
    char *file = NULL;
    const char *name = NULL;
    if (colon && syno_is_ident(colon + 1) && colon != ref) {
        file = syno_xstrdup(ref);
        file[colon - ref] = 0;
        name = colon + 1;
    } else if (syno_is_ident(ref) && !file_exists(ref)) {
        syno_op *op = syno_ctx_stdlib_op(ctx, ref);
        if (!op) syno_diag_error(&ctx->diags, syno_range_make(0, 0),
                                 "no operator '%s' in the standard library (%s); name a file as FILE:OP",
                                 ref, syno_ctx_stdlib_dir(ctx));
        return op;
    } else {
        file = syno_xstrdup(ref);
    }
    syno_module *m = syno_ctx_load_file(ctx, file);
    syno_op *op = NULL;
    if (m && name) {
        op = syno_module_find_op(m, name);
        if (!op) {
            syno_buf b = SYNO_BUF_INIT;
            list_ops(m, &b);
            syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s has no operator '%s'%s%s", file, name,
                            m->nops ? "; it defines: " : " (it defines none)", syno_buf_str(&b));
            syno_buf_fini(&b);
        }
    } else if (m) {
        if (m->nops == 1) op = m->ops[0];
        else {
            syno_buf b = SYNO_BUF_INIT;
            list_ops(m, &b);
            syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s defines %d operators; name one as %s:OP%s%s",
                            file, m->nops, file, m->nops ? " (" : "", m->nops ? syno_buf_str(&b) : "");
            if (m->nops) syno_buf_puts(&b, ")");
            syno_buf_fini(&b);
        }
    }
    free(file);
    if (op && op->errors) return NULL;
    return op;
}

/* Builds the binding given by SPEC ("N=8,C_in=64" and/or names of bind
 * blocks of OP's file, comma-separated; NULL: none) into B, on top of the
 * coefficient defaults.  Returns SYNO_EXIT_OK, or SYNO_EXIT_USAGE after
 * printing what is wrong with the text. */
int syno_cli_binding(const syno_op *op, const char *spec, syno_binding *b)
{
    syno_binding_defaults(op->vars, b);
    if (!spec) return SYNO_EXIT_OK;
    char *copy = syno_xstrdup(spec), *save = NULL;
    int nblocks = 0, nvalues = 0;
    const char *block = NULL;
    int status = SYNO_EXIT_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        char *eq = strchr(tok, '=');
        if (!eq) {
            const syno_bindecl *bd = op->module ? syno_module_find_bind(op->module, tok) : NULL;
            if (!bd) {
                status = syno_cli_usage_error(NULL, "--bind: '%s' is neither NAME=VALUE nor a bind block of %s", tok,
                                              op->module ? op->module->src->name : "the operator's file");
                break;
            }
            for (int v = 0; v < op->vars->n; v++)
                if (bd->b.val[v]) b->val[v] = bd->b.val[v];
            block = bd->name;
            nblocks++;
            continue;
        }
        *eq = 0;
        long long val;
        bool good = syno_num_parse_int(eq + 1, 1, SYNO_BIND_MAX, &val);
        int v = syno_vars_find(op->vars, tok);
        if (v < 0) {
            syno_buf names = SYNO_BUF_INIT;
            for (int i = 0; i < op->vars->n; i++) syno_buf_printf(&names, "%s%s", i ? ", " : "", op->vars->v[i].name);
            status = syno_cli_usage_error(NULL, "--bind: unknown variable '%s' (the variables are %s)", tok,
                                          syno_buf_str(&names));
            syno_buf_fini(&names);
            break;
        }
        if (!good) {
            status = syno_cli_usage_error(NULL, "--bind: the value of %s must be an integer from 1 to 2^40 (%lld), not '%s'",
                                          tok, (long long)SYNO_BIND_MAX, eq + 1);
            break;
        }
        b->val[v] = val;
        nvalues++;
    }
    free(copy);
    b->name = nblocks == 1 && nvalues == 0 ? block : NULL;
    return status;
}

static void diag_json(syno_json *j, const syno_srcmgr *srcs, const syno_diag *g)
{
    static const char *sev[] = {"error", "warning", "note"};
    syno_json_begin_object(j);
    syno_json_key(j, "severity");
    syno_json_string(j, sev[g->sev]);
    const syno_source *s = g->range.start ? syno_srcmgr_find(srcs, g->range.start) : NULL;
    if (s) {
        uint32_t l, c, l2, c2;
        syno_source_linecol(s, g->range.start, &l, &c);
        syno_source_linecol(s, g->range.end > g->range.start ? g->range.end : g->range.start, &l2, &c2);
        syno_json_key(j, "file");
        syno_json_string(j, s->name);
        syno_json_key(j, "line");
        syno_json_int(j, l);
        syno_json_key(j, "column");
        syno_json_int(j, c);
        syno_json_key(j, "end_line");
        syno_json_int(j, l2);
        syno_json_key(j, "end_column");
        syno_json_int(j, c2);
    }
    syno_json_key(j, "message");
    syno_json_string(j, g->msg);
    if (g->notes) {
        syno_json_key(j, "notes");
        syno_json_begin_array(j);
        for (const syno_diag *n = g->notes; n; n = n->next) diag_json(j, srcs, n);
        syno_json_end_array(j);
    }
    syno_json_end_object(j);
}

/* Writes the context's diagnostics as a JSON array (in source order). */
void syno_cli_diags_json(syno_json *j, syno_ctx *ctx)
{
    syno_diags_sort(&ctx->diags);
    syno_json_begin_array(j);
    for (const syno_diag *g = ctx->diags.head; g; g = g->next) diag_json(j, ctx->srcs, g);
    syno_json_end_array(j);
}

/* Replaces PATH's contents with TEXT (LEN bytes) atomically: a temporary
 * file next to it, then rename; an existing file keeps its permissions, a
 * new one gets 0644.  Returns false after printing why (PATH is then as
 * it was). */
bool syno_cli_write_file(const char *path, const char *text, size_t len)
{
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
    size_t n = strlen(path) + 16;
    char *tmp = syno_xmalloc(n);
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0;
    if (ok) {
        FILE *f = fdopen(fd, "wb");
        ok = f && fwrite(text, 1, len, f) == len;
        ok = f && fclose(f) == 0 && ok;
        ok = ok && chmod(tmp, mode) == 0 && rename(tmp, path) == 0;
        if (!ok) unlink(tmp);
    }
    if (!ok) syno_cli_error("cannot write '%s': %s", path, strerror(errno));
    free(tmp);
    return ok;
}
