/* repl_session.c - the declarations of a REPL session: accepting a text,
 * replacing older definitions, listing them and writing them out.
 *
 * How a text is accepted (see repl.h for why): the live items minus those
 * the text redefines, plus the text's own declarations, are copied into a
 * new module's AST (the copies are shallow: only the top-level nodes, and
 * the variable lists of size/coef declarations, are new) and that module is
 * checked.  On success it becomes the session module; on failure it is
 * freed and the session is as it was.  Items of one text stay contiguous
 * and in text order, because texts are only ever appended and items only
 * ever removed; writing the session relies on that to format each text's
 * surviving declarations with the text's own comments. */
#include "interp/cli.h"
#include "interp/repl.h"
#include "lang/fmt.h"
#include "lang/sema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- modules built from items ------------------------------------------------ */

static syno_ast *copy_node(syno_arena *a, const syno_ast *n)
{
    syno_ast *c = syno_arena_dup(a, n, sizeof *n);
    c->next = NULL;
    return c;
}

/* Appends to FILE copies of the declarations of ITEMS[0..N). */
static void copy_items(syno_arena *a, syno_ast *file, const syno_repl_item *items, int n)
{
    const syno_ast *cur = NULL;
    syno_ast *copy = NULL;
    for (int i = 0; i < n; i++) {
        const syno_repl_item *it = &items[i];
        if (!it->var) {
            syno_ast_append(file, copy_node(a, it->decl));
            cur = NULL;
            continue;
        }
        if (it->decl != cur) {
            copy = copy_node(a, it->decl);
            copy->kids = copy->last = NULL;
            copy->nkids = 0;
            syno_ast_append(file, copy);
            cur = it->decl;
        }
        syno_ast_append(copy, copy_node(a, it->var));
    }
}

static syno_module *module_from_items(syno_repl *r, const syno_repl_item *items, int n, const syno_source *src)
{
    syno_module *m = syno_xcalloc(1, sizeof *m);
    m->arena = syno_arena_new();
    m->ctx = r->ctx;
    m->src = src;
    m->ast = syno_ast_new(m->arena, SYNO_AST_FILE, syno_range_make(0, 0));
    copy_items(m->arena, m->ast, items, n);
    return m;
}

/* Frees a module this file made (the context frees the ones it made);
 * mirrors lang/module.c. */
static void module_free(syno_module *m)
{
    if (!m) return;
    free(m->ops);
    free(m->binds);
    free(m->specs);
    syno_arena_free(m->arena);
    free(m);
}

static void drop_views(syno_repl *r)
{
    for (int i = 0; i < r->nviews; i++) free(r->views[i]);
    free(r->views);
    r->views = NULL;
    r->nviews = 0;
}

/* Points each operator of the session module at the view of its text. */
static void make_views(syno_repl *r)
{
    for (int i = 0; i < r->mod->nops; i++) {
        syno_op *op = r->mod->ops[i];
        const syno_source *src = syno_srcmgr_find(r->ctx->srcs, op->range.start);
        if (!src) continue;
        syno_module *v = NULL;
        for (int j = 0; j < r->nviews && !v; j++)
            if (r->views[j]->src == src) v = r->views[j];
        if (!v) {
            v = syno_xmalloc(sizeof *v);
            *v = *r->mod;
            v->src = src;
            r->views = syno_xrealloc(r->views, (size_t)(r->nviews + 1) * sizeof *r->views);
            r->views[r->nviews++] = v;
        }
        op->module = v;
    }
}

/* ---- items ---------------------------------------------------------------------- */

static const char *item_name(const syno_repl_item *it)
{
    return it->var ? it->var->text : it->decl->text;
}

static int item_class(const syno_repl_item *it)
{
    return it->var ? SYNO_AST_SIZE_DECL : (int)it->decl->kind;
}

static const char *item_word(const syno_repl_item *it)
{
    switch (it->decl->kind) {
    case SYNO_AST_SIZE_DECL: return "size";
    case SYNO_AST_COEF_DECL: return "coef";
    case SYNO_AST_OP: return "op";
    case SYNO_AST_BIND: return "bind";
    case SYNO_AST_SEARCH: return "search";
    default: return "declaration";
    }
}

/* True when two declarations of one variable mean the same. */
static bool same_var(const syno_repl_item *a, const syno_repl_item *b)
{
    if (a->decl->kind != b->decl->kind) return false;
    if (a->decl->kind == SYNO_AST_SIZE_DECL) return true;
    int64_t x, y;
    return a->var->kids && b->var->kids && syno_sema_int(a->var->kids, &x) && syno_sema_int(b->var->kids, &y) &&
           x == y;
}

static void push_item(syno_repl_item **v, int *n, int *cap, syno_repl_item it)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 32;
        *v = syno_xrealloc(*v, (size_t)*cap * sizeof **v);
    }
    (*v)[(*n)++] = it;
}

/* "FILE:LINE" of offset OFF. */
static void where(const syno_repl *r, uint32_t off, syno_buf *out)
{
    const syno_source *s = syno_srcmgr_find(r->ctx->srcs, off);
    if (!s) {
        syno_buf_puts(out, "?");
        return;
    }
    uint32_t line, col;
    syno_source_linecol(s, off, &line, &col);
    syno_buf_printf(out, "%s:%u", s->name, line);
}

/* ---- accepting a text -------------------------------------------------------- */

/* Appends OP's signature: "name(x[N, C]) -> [N, D]  weights w[D, C]". */
static void signature(const syno_op *op, syno_buf *out)
{
    syno_buf_printf(out, "%s(%s", op->name, op->tensors[0].name);
    syno_op_print_dims(op, op->tensors[0].axes, op->tensors[0].rank, out);
    syno_buf_puts(out, ") -> ");
    syno_op_print_dims(op, op->out, op->nout, out);
    for (int t = 1; t < op->ntensors; t++) {
        syno_buf_puts(out, t == 1 ? (op->ntensors > 2 ? "  weights " : "  weight ") : ", ");
        syno_buf_puts(out, op->tensors[t].name);
        syno_op_print_dims(op, op->tensors[t].axes, op->tensors[t].rank, out);
    }
}

static void echo_decl(syno_repl *r, const syno_ast *d, syno_buf *out)
{
    if (d->kind == SYNO_AST_OP) {
        syno_op *op = syno_repl_session_op(r, d->text);
        if (!op) return;
        syno_buf_puts(out, "op ");
        signature(op, out);
        syno_buf_putc(out, '\n');
    } else if (d->kind == SYNO_AST_BIND) {
        const syno_bindecl *bd = syno_module_find_bind(r->mod, d->text);
        if (!bd) return;
        syno_buf_printf(out, "bind %s:", d->text);
        int n = 0;
        for (int v = 0; v < r->mod->vars.n; v++)
            if (bd->b.val[v])
                syno_buf_printf(out, "%s %s=%lld", n++ ? "," : "", r->mod->vars.v[v].name, (long long)bd->b.val[v]);
        if (!n) syno_buf_puts(out, " (no values)");
        syno_buf_putc(out, '\n');
    } else if (d->kind == SYNO_AST_SEARCH) {
        syno_buf_printf(out, "search %s\n", d->text);
    }
}

/* See repl.h. */
bool syno_repl_add(syno_repl *r, syno_module *m, bool echo)
{
    if (m->syntax_errors) { /* reported while parsing */
        syno_repl_flush_diags(r);
        return false;
    }
    if (!m->ast->kids) return true;
    int t = r->ntexts;
    syno_repl_item *fresh = NULL;
    int nfresh = 0, capfresh = 0;
    for (const syno_ast *d = m->ast->kids; d; d = d->next) {
        if (d->kind == SYNO_AST_SIZE_DECL || d->kind == SYNO_AST_COEF_DECL) {
            for (const syno_ast *v = d->kids; v; v = v->next)
                push_item(&fresh, &nfresh, &capfresh, (syno_repl_item){t, d, v});
        } else {
            push_item(&fresh, &nfresh, &capfresh, (syno_repl_item){t, d, NULL});
        }
    }
    /* The old items that survive, and notes about the ones that do not. */
    syno_repl_item *items = NULL;
    int nitems = 0, capitems = 0;
    syno_buf notes = SYNO_BUF_INIT;
    for (int i = 0; i < r->nitems; i++) {
        const syno_repl_item *old = &r->items[i];
        const syno_repl_item *by = NULL;
        for (int j = 0; j < nfresh && !by; j++)
            if (item_class(&fresh[j]) == item_class(old) && strcmp(item_name(&fresh[j]), item_name(old)) == 0)
                by = &fresh[j];
        if (!by) {
            push_item(&items, &nitems, &capitems, *old);
            continue;
        }
        if (old->var && same_var(old, by)) continue;
        syno_buf_printf(&notes, "note: %s '%s' replaces the earlier %s declared at ", item_word(by), item_name(by),
                        old->var ? (old->decl->kind == SYNO_AST_COEF_DECL ? "coefficient" : "size variable")
                                 : "definition");
        where(r, (old->var ? old->var : old->decl)->range.start, &notes);
        syno_buf_putc(&notes, '\n');
    }
    for (int j = 0; j < nfresh; j++) push_item(&items, &nitems, &capitems, fresh[j]);
    free(fresh);

    syno_module *cand = module_from_items(r, items, nitems, m->src);
    syno_module_check(cand);
    if (r->ctx->diags.errors) {
        syno_repl_flush_diags(r);
        module_free(cand);
        free(items);
        syno_buf_fini(&notes);
        return false;
    }
    syno_repl_flush_diags(r); /* warnings */

    /* Commit. */
    drop_views(r);
    module_free(r->mod);
    free(r->items);
    r->mod = cand;
    r->items = items;
    r->nitems = nitems;
    r->capitems = capitems;
    if (r->ntexts == r->captexts) {
        r->captexts = r->captexts ? 2 * r->captexts : 16;
        r->texts = syno_xrealloc(r->texts, (size_t)r->captexts * sizeof *r->texts);
    }
    r->texts[r->ntexts++] = m;
    make_views(r);
    if (notes.len) {
        fflush(r->out);
        fputs(syno_buf_str(&notes), r->err);
    }
    syno_buf_fini(&notes);
    if (echo) {
        syno_buf out = SYNO_BUF_INIT;
        for (const syno_ast *d = m->ast->kids; d; d = d->next) echo_decl(r, d, &out);
        fputs(syno_buf_str(&out), r->out);
        syno_buf_fini(&out);
    }
    return true;
}

/* See repl.h. */
bool syno_repl_load(syno_repl *r, const char *path)
{
    syno_module *m = syno_ctx_parse_file(r->ctx, path);
    if (!m) {
        syno_repl_flush_diags(r);
        return false;
    }
    if (!syno_repl_add(r, m, false)) return false;
    int nops = 0, nbinds = 0, nsearches = 0, nvars = 0;
    for (const syno_ast *d = m->ast->kids; d; d = d->next) {
        nops += d->kind == SYNO_AST_OP;
        nbinds += d->kind == SYNO_AST_BIND;
        nsearches += d->kind == SYNO_AST_SEARCH;
        if (d->kind == SYNO_AST_SIZE_DECL || d->kind == SYNO_AST_COEF_DECL) nvars += d->nkids;
    }
    fprintf(r->out, "loaded %s: %d operator%s, %d bind block%s, %d search%s, %d variable%s\n", path, nops,
            nops == 1 ? "" : "s", nbinds, nbinds == 1 ? "" : "s", nsearches, nsearches == 1 ? "" : "es", nvars,
            nvars == 1 ? "" : "s");
    return true;
}

/* See repl.h. */
void syno_repl_reset(syno_repl *r)
{
    drop_views(r);
    module_free(r->mod);
    r->mod = NULL;
    free(r->items);
    r->items = NULL;
    r->nitems = r->capitems = 0;
    free(r->texts);
    r->texts = NULL;
    r->ntexts = r->captexts = 0;
}

/* ---- lookups -------------------------------------------------------------------- */

/* See repl.h. */
syno_op *syno_repl_session_op(const syno_repl *r, const char *name)
{
    return r->mod ? syno_module_find_op(r->mod, name) : NULL;
}

/* See repl.h. */
syno_op *syno_repl_find_op(syno_repl *r, const char *ref)
{
    if (!syno_is_ident(ref)) {
        /* FILE:OP or FILE; every failure is reported into the diagnostics */
        syno_op *op = syno_cli_find_op(r->ctx, ref);
        if (!syno_repl_flush_diags(r) && !op) syno_repl_error(r, "cannot use operator '%s'", ref);
        return op;
    }
    syno_op *op = syno_repl_session_op(r, ref);
    if (op) return op;
    op = syno_ctx_stdlib_op(r->ctx, ref);
    if (op) return op;
    /* Suggest a near name among the session's and the library's operators. */
    int n = 0;
    const char **cands = NULL;
    if (r->mod)
        for (int i = 0; i < r->mod->nops; i++) {
            cands = syno_xrealloc(cands, (size_t)(n + 1) * sizeof *cands);
            cands[n++] = r->mod->ops[i]->name;
        }
    for (int s = 0; s < r->ctx->nstdlib; s++)
        for (int i = 0; i < r->ctx->stdlib[s]->nops; i++) {
            cands = syno_xrealloc(cands, (size_t)(n + 1) * sizeof *cands);
            cands[n++] = r->ctx->stdlib[s]->ops[i]->name;
        }
    const char *best = syno_suggest(ref, cands, n);
    if (best) syno_repl_error(r, "no operator '%s' in the session or the standard library; did you mean '%s'?", ref, best);
    else syno_repl_error(r, "no operator '%s' in the session or the standard library (:list shows the session)", ref);
    free(cands);
    return NULL;
}

/* ---- :list ------------------------------------------------------------------------ */

static void list_vars(const syno_module *m, syno_var_kind kind, syno_buf *out)
{
    int n = 0;
    for (int v = 0; v < m->vars.n; v++) {
        if (m->vars.v[v].kind != kind) continue;
        syno_buf_puts(out, n++ ? ", " : (kind == SYNO_VAR_COEF ? "coef " : "size "));
        syno_buf_puts(out, m->vars.v[v].name);
        if (kind == SYNO_VAR_COEF) syno_buf_printf(out, " = %lld", (long long)m->vars.v[v].value);
    }
    if (n) syno_buf_putc(out, '\n');
}

/* See repl.h. */
void syno_repl_list(syno_repl *r, const char *what, syno_buf *out)
{
    const syno_module *m = r->mod;
    if (!m) {
        syno_buf_puts(out, "the session is empty: type declarations, or :load FILE\n");
        return;
    }
    bool all = !what;
    if (all || strcmp(what, "vars") == 0) {
        list_vars(m, SYNO_VAR_PRIMARY, out);
        list_vars(m, SYNO_VAR_COEF, out);
    }
    if (all || strcmp(what, "ops") == 0)
        for (int i = 0; i < m->nops; i++) {
            syno_buf_puts(out, "op ");
            signature(m->ops[i], out);
            syno_buf_puts(out, "  (");
            where(r, m->ops[i]->range.start, out);
            syno_buf_puts(out, ")\n");
        }
    if (all || strcmp(what, "binds") == 0)
        for (int i = 0; i < m->nbinds; i++) {
            syno_buf_printf(out, "bind %s:", m->binds[i].name);
            int n = 0;
            for (int v = 0; v < m->vars.n; v++)
                if (m->binds[i].b.val[v])
                    syno_buf_printf(out, "%s %s=%lld", n++ ? "," : "", m->vars.v[v].name,
                                    (long long)m->binds[i].b.val[v]);
            syno_buf_puts(out, "  (");
            where(r, m->binds[i].range.start, out);
            syno_buf_puts(out, ")\n");
        }
    if (all || strcmp(what, "searches") == 0)
        for (int i = 0; i < m->nspecs; i++) {
            syno_buf_printf(out, "search %s  (", m->specs[i]->name);
            where(r, m->specs[i]->range.start, out);
            syno_buf_puts(out, ")\n");
        }
}

/* ---- formatted source -------------------------------------------------------- */

/* True when declaration D of a text is among ITEMS[0..N). */
static bool kept(const syno_ast *d, const syno_repl_item *items, int n)
{
    for (int i = 0; i < n; i++)
        if (items[i].decl == d) return true;
    return false;
}

/* Formats ITEMS[0..N), all from text T, with the comments of T that do not
 * belong to a declaration left out.  A comment belongs to the declaration
 * it is in or that follows it; comments after the last declaration belong
 * to the last one. */
static void format_items(syno_repl *r, int t, const syno_repl_item *items, int n, syno_buf *out)
{
    const syno_module *text = r->texts[t];
    syno_module view;
    memset(&view, 0, sizeof view);
    view.arena = syno_arena_new();
    view.ctx = r->ctx;
    view.src = text->src;
    view.ast = syno_ast_new(view.arena, SYNO_AST_FILE, text->ast->range);
    copy_items(view.arena, view.ast, items, n);
    syno_range *comments = syno_xmalloc((size_t)(text->ncomments + 1) * sizeof *comments);
    int nc = 0;
    for (int c = 0; c < text->ncomments; c++) {
        uint32_t pos = text->comments[c].start;
        const syno_ast *owner = NULL;
        for (const syno_ast *d = text->ast->kids; d && !owner; d = d->next)
            if (pos < d->range.end || !d->next) owner = d;
        if (!owner || kept(owner, items, n)) comments[nc++] = text->comments[c];
    }
    view.comments = comments;
    view.ncomments = nc;
    syno_fmt_module(&view, out);
    free(comments);
    syno_arena_free(view.arena);
}

/* See repl.h. */
void syno_repl_var_header(const syno_op *op, syno_buf *out)
{
    for (int kind = SYNO_VAR_PRIMARY; kind <= SYNO_VAR_COEF; kind++) {
        int n = 0;
        for (int v = 0; v < op->vars->n; v++) {
            const syno_var *var = &op->vars->v[v];
            if ((int)var->kind != kind) continue;
            bool used = false;
            for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
            for (int k = 0; k < op->nnodes && !used; k++) used = op->nodes[k].param.e[v] != 0;
            if (!used) continue;
            syno_buf_puts(out, n++ ? ", " : (kind == SYNO_VAR_COEF ? "coef " : "size "));
            syno_buf_puts(out, var->name);
            if (kind == SYNO_VAR_COEF) syno_buf_printf(out, " = %lld", (long long)var->value);
        }
        if (n) syno_buf_puts(out, ";\n");
    }
}

/* See repl.h. */
bool syno_repl_source(syno_repl *r, const char *name, bool bare, syno_buf *out)
{
    if (!r->mod) {
        syno_repl_error(r, "the session is empty: nothing to write");
        return false;
    }
    syno_buf text = SYNO_BUF_INIT;
    if (name) {
        int found = -1;
        for (int i = 0; i < r->nitems && found < 0; i++)
            if (strcmp(item_name(&r->items[i]), name) == 0) found = i;
        if (found < 0) {
            syno_repl_error(r, "nothing named '%s' in the session (:list shows what there is)", name);
            syno_buf_fini(&text);
            return false;
        }
        syno_repl_item it = r->items[found];
        syno_op *op = it.decl->kind == SYNO_AST_OP ? syno_repl_session_op(r, name) : NULL;
        if (it.var) it.var = NULL; /* a variable: show its whole declaration */
        if (op && !bare) {
            syno_repl_var_header(op, &text);
            syno_buf_putc(&text, '\n');
        }
        if (it.decl->kind == SYNO_AST_SIZE_DECL || it.decl->kind == SYNO_AST_COEF_DECL) {
            /* only the one variable, under its own keyword */
            const syno_ast *v = r->items[found].var;
            syno_buf_printf(&text, "%s ", item_word(&it));
            syno_buf_puts(&text, v->text);
            if (v->kids) {
                syno_buf_puts(&text, " = ");
                syno_fmt_expr(v->kids, &text);
            }
            syno_buf_puts(&text, ";\n");
        } else {
            format_items(r, it.text, &it, 1, &text);
        }
    } else {
        for (int i = 0; i < r->nitems;) {
            int j = i;
            while (j < r->nitems && r->items[j].text == r->items[i].text) j++;
            /* a blank line between texts, except inside a run of size/coef
             * declarations or of bind blocks, which stay together as in one file */
            bool together = i && ((r->items[i - 1].var && r->items[i].var) ||
                                  (r->items[i - 1].decl->kind == SYNO_AST_BIND && r->items[i].decl->kind == SYNO_AST_BIND));
            if (i && !together) syno_buf_putc(&text, '\n');
            format_items(r, r->items[i].text, &r->items[i], j - i, &text);
            i = j;
        }
    }
    /* One more round through the parser and the formatter: the pieces come
     * from different texts, and the result must be one canonical file. */
    syno_ctx *scratch = syno_ctx_new();
    syno_module *m = syno_ctx_parse_string(scratch, "<write>", text.data ? text.data : "", text.len);
    SYNO_ASSERT(m && m->syntax_errors == 0);
    syno_fmt_module(m, out);
    syno_ctx_free(scratch);
    syno_buf_fini(&text);
    return true;
}
