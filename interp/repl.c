/* repl.c - the REPL's loop: reading statements line by line, telling
 * commands from declarations, and handing complete statements to the
 * session (repl_session.c).
 *
 * A statement is complete when it parses, or when its parse fails for a
 * reason other than running out of text: the parser marks an error at end
 * of input as "incomplete" (diags->incomplete), and a statement whose only
 * error is that one continues under the second prompt.  Completeness is
 * tested in a throw-away context, so only the finished statement is added
 * to the session's sources, as "<repl:N>", and diagnostics point into it.
 * A line that starts with ':' when no statement is pending is a command. */
#include "interp/repl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROMPT "syno> "
#define PROMPT_MORE " ...> "

/* See repl.h. */
syno_repl *syno_repl_new(FILE *out, FILE *err, bool interactive)
{
    syno_repl *r = syno_xcalloc(1, sizeof *r);
    r->ctx = syno_ctx_new();
    r->out = out;
    r->err = err;
    r->interactive = interactive;
    r->next_entry = 1;
    return r;
}

/* See repl.h. */
void syno_repl_free(syno_repl *r)
{
    if (!r) return;
    syno_repl_reset(r);
    syno_repl_walk_free(r->walk);
    syno_repl_unbind(r, "");
    free(r->bind_block);
    syno_buf_fini(&r->pending);
    free(r->history_path);
    syno_ctx_free(r->ctx);
    free(r);
}

/* See repl.h. */
void syno_repl_error(syno_repl *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(r->out);
    fputs("error: ", r->err);
    vfprintf(r->err, fmt, ap);
    fputc('\n', r->err);
    fflush(r->err);
    va_end(ap);
    r->errors++;
}

/* See repl.h. */
int syno_repl_flush_diags(syno_repl *r)
{
    int errors = r->ctx->diags.errors;
    if (r->ctx->diags.head || r->ctx->diags.truncated) {
        fflush(r->out);
        syno_diags_print(&r->ctx->diags, r->err);
        fflush(r->err);
    }
    syno_diags_clear(&r->ctx->diags);
    r->errors += errors;
    return errors;
}

typedef enum shape { STMT_READY, STMT_MORE, STMT_EMPTY } shape;

/* Whether TEXT is a whole statement, needs more lines, or holds nothing
 * but blanks and comments. */
static shape statement_shape(const char *text, size_t len)
{
    syno_ctx *c = syno_ctx_new();
    syno_module *m = syno_ctx_parse_string(c, "<input>", text, len);
    shape s = STMT_READY;
    if (!m) s = STMT_READY; /* too large: let the real parse report it */
    else if (m->syntax_errors == 1 && c->diags.incomplete) s = STMT_MORE;
    else if (m->syntax_errors == 0 && !m->ast->kids) s = STMT_EMPTY;
    syno_ctx_free(c);
    return s;
}

/* Discards a partly typed statement (Ctrl-C). */
static void cancel(syno_repl *r)
{
    syno_buf_clear(&r->pending);
    r->pending_lines = 0;
}

/* Adds the pending statement to the session and forgets it. */
static void submit(syno_repl *r)
{
    char name[32];
    snprintf(name, sizeof name, "<repl:%d>", r->next_entry++);
    size_t len = r->pending.len;
    syno_module *m = syno_ctx_parse_string(r->ctx, name, syno_buf_str(&r->pending), len);
    /* history: the statement as one entry, without its last newline */
    if (len && r->pending.data[len - 1] == '\n') r->pending.data[len - 1] = 0;
    syno_repl_edit_remember(r, r->pending.data);
    cancel(r);
    if (m) syno_repl_add(r, m, true);
    else syno_repl_flush_diags(r);
}

/* See repl.h. */
syno_repl_status syno_repl_feed(syno_repl *r, const char *line)
{
    if (!r->pending.len) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return SYNO_REPL_DONE;
        if (*p == ':') {
            syno_repl_edit_remember(r, line);
            syno_repl_command(r, p);
            fflush(r->out);
            return r->quit ? SYNO_REPL_QUIT : SYNO_REPL_DONE;
        }
    }
    syno_buf_puts(&r->pending, line);
    syno_buf_putc(&r->pending, '\n');
    r->pending_lines++;
    switch (statement_shape(r->pending.data, r->pending.len)) {
    case STMT_MORE: return SYNO_REPL_MORE;
    case STMT_EMPTY: /* blank lines and comments: nothing to add */
        cancel(r);
        return SYNO_REPL_DONE;
    case STMT_READY: break;
    }
    submit(r);
    fflush(r->out);
    return SYNO_REPL_DONE;
}

/* See repl.h. */
void syno_repl_finish(syno_repl *r)
{
    if (r->pending.len) submit(r);
    fflush(r->out);
}

/* See repl.h. */
int syno_repl_run(syno_repl *r)
{
    syno_repl_edit_init(r);
    bool quit = false;
    while (!quit) {
        char *line;
        syno_repl_read st = syno_repl_edit_read(r, r->pending.len ? PROMPT_MORE : PROMPT, &line);
        if (st == SYNO_REPL_EOF) break;
        if (st == SYNO_REPL_INTERRUPT) {
            cancel(r);
            continue;
        }
        /* A pasted block can bring several lines at once. */
        char *p = line;
        while (!quit) {
            char *nl = strchr(p, '\n');
            if (nl) *nl = 0;
            quit = syno_repl_feed(r, p) == SYNO_REPL_QUIT;
            if (!nl) break;
            p = nl + 1;
        }
        free(line);
        if (syno_repl_interrupted()) {
            fflush(r->out);
            fputs("interrupted\n", r->err);
            syno_repl_interrupt_clear();
        }
    }
    syno_repl_finish(r);
    syno_repl_edit_fini(r);
    return !r->interactive && r->errors ? 1 : 0;
}
