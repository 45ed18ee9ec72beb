/* repl_walk.c - the REPL's hand-guided walk through the synthesis space of
 * a search block: :spec, :frontier, :next, :take, :back, :finalize, :keep.
 *
 * The walk owns what it uses: a context of its own, into which the spec's
 * file is loaded (for a search block of the session, a copy of the
 * session's text), the space built from that spec (search/space.h), and a
 * stack of partial operators from the root to the current one with the
 * steps between them.  So declarations typed during the walk, :reset or a
 * replaced search block never pull the space from under it; :spec again
 * starts a new walk.  Partial operators and their children belong to the
 * space.  The finished operators of the current partial operator, once
 * listed, are kept until the walk moves, so that `:keep N` picks the one
 * :finalize numbered N.
 *
 * The space's own calls (children, finals) run to the end once started;
 * Ctrl-C is polled between the items this file prints. */
#include "base/num.h"
#include "interp/cli.h"
#include "interp/repl.h"
#include "lang/graph_print.h"
#include "search/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct syno_repl_walk {
    syno_ctx *ctx;                /* the spec's text and everything it loads */
    syno_spec *spec;
    syno_space *sp;
    char *origin;                 /* the file, or "the session" */
    const syno_pstate **states;   /* states[0] is the root, states[n-1] the current one */
    syno_step *steps;             /* steps[i] leads from states[i] to states[i+1] */
    int n, cap;
    bool listed;                  /* finals holds the finals of the current state */
    syno_final **finals;
    int nfinals;
    uint64_t dropped[SYNO_RULE_COUNT]; /* why candidate finals of the current state were dropped */
};

/* See repl.h. */
void syno_repl_walk_free(syno_repl_walk *w)
{
    if (!w) return;
    for (int i = 0; i < w->nfinals; i++) syno_final_free(w->finals[i]);
    free(w->finals);
    free(w->states);
    free(w->steps);
    free(w->origin);
    syno_space_free(w->sp);
    syno_ctx_free(w->ctx);
    free(w);
}

/* ---- helpers ----------------------------------------------------------------------- */

/* Prints and clears the diagnostics of the walk's own context CTX on R's
 * error stream, counting its errors.  Returns the number of errors. */
static int flush_ctx(syno_repl *r, syno_ctx *ctx)
{
    int errors = ctx->diags.errors;
    if (ctx->diags.head || ctx->diags.truncated) {
        fflush(r->out);
        syno_diags_print(&ctx->diags, r->err);
        fflush(r->err);
    }
    syno_diags_clear(&ctx->diags);
    r->errors += errors;
    return errors;
}

/* True when the space bounds the FLOPs of partial operators: it does so
 * only under a FLOPs window with an upper end. */
static bool has_bound(const syno_repl_walk *w)
{
    return w->spec->has_flops && isfinite(w->spec->flops_max);
}

/* Appends SEP and "FLOPs >= 1.2 MFLOP" when the space has a bound. */
static void bound(const syno_repl_walk *w, const syno_pstate *st, const char *sep, syno_buf *out)
{
    if (!has_bound(w)) return;
    syno_buf_printf(out, "%sFLOPs >= ", sep);
    syno_num_human(syno_pstate_flops_bound(st), "FLOP", out);
}

static const syno_pstate *top(const syno_repl_walk *w)
{
    return w->states[w->n - 1];
}

/* The walk, or NULL after saying how to start one. */
static syno_repl_walk *need_walk(syno_repl *r)
{
    if (!r->walk)
        syno_repl_error(r, "no synthesis walk: start one with :spec FILE[:SEARCH] (or :spec SEARCH for a search "
                           "block of the session)");
    return r->walk;
}

static void drop_finals(syno_repl_walk *w)
{
    for (int i = 0; i < w->nfinals; i++) syno_final_free(w->finals[i]);
    free(w->finals);
    w->finals = NULL;
    w->nfinals = 0;
    w->listed = false;
}

static void push(syno_repl_walk *w, const syno_pstate *st, const syno_step *step)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->states = syno_xrealloc(w->states, (size_t)w->cap * sizeof *w->states);
        w->steps = syno_xrealloc(w->steps, (size_t)w->cap * sizeof *w->steps);
    }
    if (step) w->steps[w->n - 1] = *step;
    w->states[w->n++] = st;
    drop_finals(w);
}

/* True when input axis I of the spec is a fixed variable that passes
 * straight through (it is not synthesized). */
static bool fixed_axis(const syno_spec *s, int i)
{
    for (int v = 0; v < s->vars->n; v++)
        if ((s->fixed & (1u << v)) && syno_size_eq(s->in[i].size, syno_size_var(v))) return true;
    return false;
}

/* Appends "[N, C_in, H, W]": the input (SYNTH: only the axes the search
 * builds) or the output axes of the spec. */
static void axes(const syno_spec *s, bool input, bool synth, syno_buf *out)
{
    syno_buf_putc(out, '[');
    int k = 0;
    for (int i = 0; i < (input ? s->nin : s->nout); i++) {
        if (synth && fixed_axis(s, i)) continue;
        if (k++) syno_buf_puts(out, ", ");
        syno_size_print(s->vars, (input ? s->in : s->out)[i].size, out);
    }
    syno_buf_putc(out, ']');
}

/* Appends "distance D" (D unknown when the space did not compute it). */
static void distance(syno_space *sp, const syno_pstate *st, syno_buf *out)
{
    int d = syno_pstate_distance(sp, st);
    if (d < 0) syno_buf_puts(out, "distance unknown");
    else syno_buf_printf(out, "distance %d", d);
}

/* Prints the current partial operator: depth, shape distance, FLOPs
 * bound, one line per open dimension with its size, then the expanded
 * dimensions and the weights. */
static void show_state(syno_repl *r, syno_repl_walk *w)
{
    const syno_pstate *st = top(w);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "depth %d of %d: shape ", syno_pstate_depth(st), w->spec->depth);
    distance(w->sp, st, &b);
    syno_buf_puts(&b, " to the input ");
    axes(w->spec, true, true, &b);
    bound(w, st, ", ", &b);
    syno_buf_putc(&b, '\n');
    int n = syno_pstate_nopen(st);
    syno_buf *text = syno_xcalloc((size_t)(n ? n : 1), sizeof *text);
    int width = 0;
    for (int i = 0; i < n; i++) {
        syno_space_open_dim(w->sp, st, i, &text[i]);
        if ((int)text[i].len > width) width = (int)text[i].len;
    }
    for (int i = 0; i < n; i++) {
        syno_size size = syno_space_open_dim(w->sp, st, i, NULL);
        syno_buf_printf(&b, "  %-5s %-*s  ", i ? "" : "open", width, syno_buf_str(&text[i]));
        syno_size_print(w->spec->vars, size, &b);
        syno_buf_putc(&b, '\n');
        syno_buf_fini(&text[i]);
    }
    free(text);
    if (!n) syno_buf_puts(&b, "  open  (nothing)\n");
    /* the rest of the description: "; expanded ...; weight 1 [...]" */
    syno_buf all = SYNO_BUF_INIT;
    syno_space_describe(w->sp, st, &all);
    for (const char *p = strstr(syno_buf_str(&all), "; "); p;) {
        const char *q = strstr(p + 2, "; ");
        size_t len = q ? (size_t)(q - p - 2) : strlen(p + 2);
        syno_buf_printf(&b, "  %.*s\n", (int)len, p + 2);
        p = q;
    }
    syno_buf_fini(&all);
    if (syno_pstate_finalizable(w->sp, st))
        syno_buf_puts(&b, "  the open dimensions match the input: :finalize lists the finished operators\n");
    fputs(syno_buf_str(&b), r->out);
    syno_buf_fini(&b);
}

static void metric(double v, double base, const char *unit, syno_buf *out);

/* ---- :spec ------------------------------------------------------------------------- */

/* The search block of the session that REF names (REF NULL: the only one),
 * NULL with *ERR set when the session has none or several and REF is
 * NULL, or NULL with *ERR false when REF names none. */
static const syno_spec *session_spec(syno_repl *r, const char *ref, bool *err)
{
    *err = false;
    int n = r->mod ? r->mod->nspecs : 0;
    if (ref) return n && syno_is_ident(ref) ? syno_module_find_spec(r->mod, ref) : NULL;
    *err = true;
    if (!n) {
        syno_repl_error(r, "the session has no search block: type one (search NAME { ... }), or say :spec "
                           "FILE[:SEARCH]");
        return NULL;
    }
    if (n > 1) {
        syno_buf names = SYNO_BUF_INIT;
        for (int i = 0; i < n; i++) syno_buf_printf(&names, "%s%s", i ? ", " : "", r->mod->specs[i]->name);
        syno_repl_error(r, "the session has %d search blocks; name one: :spec SEARCH (%s)", n, syno_buf_str(&names));
        syno_buf_fini(&names);
        return NULL;
    }
    *err = false;
    return r->mod->specs[0];
}

/* Loads a private copy of the session into W's context and takes its
 * search block NAME.  The session is checked, so the copy is too. */
static bool copy_session_spec(syno_repl *r, syno_repl_walk *w, const char *name)
{
    syno_buf text = SYNO_BUF_INIT;
    bool ok = syno_repl_source(r, NULL, false, &text);
    if (ok) {
        syno_module *m = syno_ctx_load_string(w->ctx, "<session>", syno_buf_str(&text), text.len);
        w->spec = m && !w->ctx->diags.errors ? syno_module_find_spec(m, name) : NULL;
        ok = w->spec != NULL;
        if (ok) syno_diags_clear(&w->ctx->diags); /* the session's warnings were shown when it was typed */
        else if (!flush_ctx(r, w->ctx)) syno_repl_error(r, "cannot copy search '%s' out of the session", name);
    }
    syno_buf_fini(&text);
    return ok;
}

/* See repl.h. */
bool syno_repl_walk_start(syno_repl *r, const char *ref)
{
    bool err;
    const syno_spec *mine = session_spec(r, ref, &err);
    if (err) return false;
    struct stat st;
    if (ref && !mine && syno_is_ident(ref) && stat(ref, &st) != 0) {
        syno_repl_error(r, "no search '%s' in the session (:list searches shows them) and no file '%s'", ref, ref);
        return false;
    }
    syno_repl_walk *w = syno_xcalloc(1, sizeof *w);
    w->ctx = syno_ctx_new();
    if (mine) {
        /* Build the session's own space once, so that a spec the search
         * cannot use is reported where the user typed it; the walk then
         * runs on a copy that later input cannot change. */
        syno_space *probe = syno_space_new(mine, &r->ctx->diags);
        bool usable = probe != NULL;
        syno_repl_flush_diags(r);
        syno_space_free(probe);
        if (!usable || !copy_session_spec(r, w, mine->name)) {
            syno_repl_walk_free(w);
            return false;
        }
        w->origin = syno_xstrdup("the session");
    } else {
        w->spec = syno_search_find_spec(w->ctx, ref);
        if (!w->spec) {
            if (!flush_ctx(r, w->ctx)) syno_repl_error(r, "cannot use search '%s'", ref);
            syno_repl_walk_free(w);
            return false;
        }
        char *file = syno_xstrdup(ref);
        char *colon = strrchr(file, ':');
        if (colon && colon != file && stat(file, &st) != 0) *colon = 0;
        w->origin = file;
    }
    w->sp = syno_space_new(w->spec, &w->ctx->diags);
    flush_ctx(r, w->ctx);
    if (!w->sp) {
        syno_repl_walk_free(w);
        return false;
    }
    push(w, syno_space_root(w->sp), NULL);
    syno_repl_walk_free(r->walk);
    r->walk = w;
    const syno_spec *s = w->spec;
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "search %s from %s: ", s->name, w->origin);
    axes(s, true, false, &b);
    syno_buf_puts(&b, " -> ");
    axes(s, false, false, &b);
    syno_buf_printf(&b, ", depth %d, %d layer%s", s->depth, s->nlayers, s->nlayers == 1 ? "" : "s");
    double bf, bp;
    if (syno_space_baseline(w->sp, &bf, &bp)) {
        syno_buf_printf(&b, ", baseline %s (", s->baseline);
        metric(bf, 0, "FLOP", &b);
        syno_buf_puts(&b, ", ");
        metric(bp, 0, "", &b);
        syno_buf_puts(&b, " params)");
    }
    if (s->has_flops) {
        double scale = s->flops_relative ? bf : 1;
        syno_buf_puts(&b, ", FLOPs window [");
        metric(s->flops_min * scale, 0, "FLOP", &b);
        syno_buf_puts(&b, ", ");
        if (isfinite(s->flops_max)) metric(s->flops_max * scale, 0, "FLOP", &b);
        else syno_buf_puts(&b, "any");
        syno_buf_putc(&b, ']');
    }
    syno_buf_putc(&b, '\n');
    fputs(syno_buf_str(&b), r->out);
    syno_buf_fini(&b);
    show_state(r, w);
    return true;
}

/* ---- :frontier, :next, :take, :back ---------------------------------------------- */

/* See repl.h. */
void syno_repl_walk_frontier(syno_repl *r)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return;
    fprintf(r->out, "search %s", w->spec->name);
    if (w->n > 1) {
        syno_buf path = SYNO_BUF_INIT;
        for (int i = 0; i + 1 < w->n; i++) {
            if (i) syno_buf_puts(&path, ", ");
            syno_space_describe_step(w->sp, &w->steps[i], &path);
        }
        fprintf(r->out, ", after %s", syno_buf_str(&path));
        syno_buf_fini(&path);
    } else {
        fputs(", at the root", r->out);
    }
    fputc('\n', r->out);
    show_state(r, w);
}

/* See repl.h. */
void syno_repl_walk_next(syno_repl *r)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return;
    const syno_child *kids;
    int n = syno_space_children(w->sp, top(w), &kids);
    if (!n) {
        fprintf(r->out, "no step leads on from depth %d (:back undoes the last step)\n", syno_pstate_depth(top(w)));
        return;
    }
    syno_buf *text = syno_xcalloc((size_t)n, sizeof *text);
    int width = 0;
    for (int i = 0; i < n; i++) {
        syno_space_describe_step(w->sp, &kids[i].step, &text[i]);
        if ((int)text[i].len > width) width = (int)text[i].len;
    }
    syno_buf b = SYNO_BUF_INIT;
    int digits = n >= 100 ? 3 : n >= 10 ? 2 : 1;
    for (int i = 0; i < n && !syno_repl_interrupted(); i++) {
        syno_buf_printf(&b, "%*d. %-*s  ", digits, i + 1, width, syno_buf_str(&text[i]));
        distance(w->sp, kids[i].state, &b);
        bound(w, kids[i].state, "  ", &b);
        if (syno_pstate_finalizable(w->sp, kids[i].state)) syno_buf_puts(&b, "  (finalizable)");
        syno_buf_putc(&b, '\n');
    }
    fputs(syno_buf_str(&b), r->out);
    syno_buf_fini(&b);
    for (int i = 0; i < n; i++) syno_buf_fini(&text[i]);
    free(text);
}

/* See repl.h. */
bool syno_repl_walk_take(syno_repl *r, long k)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return false;
    const syno_child *kids;
    int n = syno_space_children(w->sp, top(w), &kids);
    if (!n) {
        syno_repl_error(r, "no step leads on from depth %d (:back undoes the last step)", syno_pstate_depth(top(w)));
        return false;
    }
    if (k < 1 || k > n) {
        syno_repl_error(r, "no step %ld: :next lists %d step%s here (1 to %d)", k, n, n == 1 ? "" : "s", n);
        return false;
    }
    push(w, kids[k - 1].state, &kids[k - 1].step);
    syno_buf b = SYNO_BUF_INIT;
    syno_space_describe_step(w->sp, &kids[k - 1].step, &b);
    fprintf(r->out, "took %s\n", syno_buf_str(&b));
    syno_buf_fini(&b);
    show_state(r, w);
    return true;
}

/* See repl.h. */
bool syno_repl_walk_back(syno_repl *r)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return false;
    if (w->n == 1) {
        syno_repl_error(r, "already at the root of search %s: no step to undo", w->spec->name);
        return false;
    }
    w->n--;
    drop_finals(w);
    syno_buf b = SYNO_BUF_INIT;
    syno_space_describe_step(w->sp, &w->steps[w->n - 1], &b);
    fprintf(r->out, "undid %s\n", syno_buf_str(&b));
    syno_buf_fini(&b);
    show_state(r, w);
    return true;
}

/* ---- :finalize and :keep ---------------------------------------------------------- */

/* Computes the finals of the current state once: canonical duplicates
 * (different matchings of equal sizes giving one operator) are listed
 * once; what the final checks dropped is counted in W->dropped. */
static void list_finals(syno_repl_walk *w)
{
    if (w->listed) return;
    memset(w->dropped, 0, sizeof w->dropped);
    const syno_pstate *st = top(w);
    if (syno_pstate_finalizable(w->sp, st)) {
        syno_space_stats *stats = syno_space_stats_of(w->sp);
        uint64_t before[SYNO_RULE_COUNT];
        memcpy(before, stats->rejected, sizeof before);
        syno_final **v;
        int n = syno_space_finals(w->sp, st, false, &v);
        for (int r = 0; r < SYNO_RULE_COUNT; r++) w->dropped[r] = stats->rejected[r] - before[r];
        w->finals = syno_xcalloc((size_t)(n ? n : 1), sizeof *w->finals);
        for (int i = 0; i < n; i++) {
            bool dup = false;
            for (int j = 0; j < w->nfinals && !dup; j++) dup = w->finals[j]->hash == v[i]->hash;
            if (dup) {
                syno_final_free(v[i]);
                continue;
            }
            syno_space_final_exact_flops(w->sp, v[i]);
            w->finals[w->nfinals++] = v[i];
        }
        free(v);
    }
    w->listed = true;
}

/* Appends why the current state has no finals. */
static void why_none(syno_repl_walk *w, syno_buf *out)
{
    const syno_pstate *st = top(w);
    if (!syno_pstate_finalizable(w->sp, st)) {
        syno_buf_printf(out, "nothing is finished at depth %d: ", syno_pstate_depth(st));
        if (syno_pstate_distance(w->sp, st) != 0) {
            syno_buf_puts(out, "the open dimensions do not match the input ");
            axes(w->spec, true, true, out);
            syno_buf_puts(out, " yet (shape ");
            distance(w->sp, st, out);
            syno_buf_putc(out, ')');
        } else {
            syno_buf_puts(out, "a finished operator needs a weight (a contract step) and open dimensions that are "
                               "exactly the input ");
            axes(w->spec, true, true, out);
        }
        return;
    }
    syno_buf_printf(out, "nothing is finished at depth %d: the open dimensions match the input, but no operator "
                         "passes the final checks",
                    syno_pstate_depth(st));
    int k = 0;
    for (int r = 0; r < SYNO_RULE_COUNT; r++)
        if (w->dropped[r]) {
            syno_buf_printf(out, "%s %llu by rule %s", k++ ? "," : ":", (unsigned long long)w->dropped[r],
                            syno_rules[r].name);
        }
}

/* Appends V as "1.47 MFLOP", or "1.47 M" without a UNIT; with a BASE, its
 * ratio to it: "1.47 MFLOP (0.52x)". */
static void metric(double v, double base, const char *unit, syno_buf *out)
{
    syno_num_human(v, unit, out);
    if (!*unit && out->len && out->data[out->len - 1] == ' ') out->data[--out->len] = 0;
    if (base > 0) syno_buf_printf(out, " (%.3gx)", v / base);
}

/* See repl.h. */
void syno_repl_walk_finalize(syno_repl *r)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return;
    list_finals(w);
    syno_buf b = SYNO_BUF_INIT;
    if (!w->nfinals) {
        why_none(w, &b);
        syno_buf_putc(&b, '\n');
        fputs(syno_buf_str(&b), r->out);
        syno_buf_fini(&b);
        return;
    }
    double bf = 0, bp = 0;
    bool base = syno_space_baseline(w->sp, &bf, &bp);
    syno_buf_printf(&b, "%d finished operator%s at depth %d%s; :keep %sNAME saves %s into the session\n", w->nfinals,
                    w->nfinals == 1 ? "" : "s", syno_pstate_depth(top(w)),
                    base ? " (FLOPs and params relative to the baseline)" : "", w->nfinals == 1 ? "" : "N ",
                    w->nfinals == 1 ? "it" : "one");
    for (int i = 0; i < w->nfinals && !syno_repl_interrupted(); i++) {
        const syno_final *f = w->finals[i];
        syno_buf_printf(&b, "%d. hash %016llx  FLOPs ", i + 1, (unsigned long long)f->hash);
        metric(f->flops, base ? bf : 0, "FLOP", &b);
        syno_buf_puts(&b, "  params ");
        metric(f->params, base ? bp : 0, "", &b);
        syno_buf_putc(&b, '\n');
        syno_buf text = SYNO_BUF_INIT;
        char name[32];
        snprintf(name, sizeof name, "final%d", i + 1);
        syno_graph_print_op(f->op, name, SYNO_PRINT_NEST, &text);
        for (const char *p = syno_buf_str(&text); *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            syno_buf_printf(&b, "   %.*s\n", (int)len, p);
            p += len + (nl != NULL);
        }
        syno_buf_fini(&text);
    }
    fputs(syno_buf_str(&b), r->out);
    syno_buf_fini(&b);
}

/* See repl.h. */
bool syno_repl_walk_keep(syno_repl *r, long k, const char *name)
{
    syno_repl_walk *w = need_walk(r);
    if (!w) return false;
    if (!syno_is_ident(name)) {
        syno_repl_error(r, "'%s' is not an operator name: say :keep [N] NAME with NAME an identifier", name);
        return false;
    }
    list_finals(w);
    if (!w->nfinals) {
        syno_buf b = SYNO_BUF_INIT;
        why_none(w, &b);
        syno_repl_error(r, "%s", syno_buf_str(&b));
        syno_buf_fini(&b);
        return false;
    }
    if (k == 0 && w->nfinals > 1) {
        syno_repl_error(r, "%d finished operators here: say which with :keep N %s (:finalize lists them)", w->nfinals,
                        name);
        return false;
    }
    if (k == 0) k = 1;
    if (k < 1 || k > w->nfinals) {
        syno_repl_error(r, "no finished operator %ld: :finalize lists %d here (1 to %d)", k, w->nfinals, w->nfinals);
        return false;
    }
    const syno_op *op = w->finals[k - 1]->op;
    syno_buf text = SYNO_BUF_INIT;
    syno_repl_var_header(op, &text);
    syno_graph_print_op(op, name, SYNO_PRINT_NEST, &text);
    char src[160];
    snprintf(src, sizeof src, "<keep:%s>", name);
    syno_module *m = syno_ctx_parse_string(r->ctx, src, syno_buf_str(&text), text.len);
    syno_buf_fini(&text);
    if (!m) {
        syno_repl_flush_diags(r);
        return false;
    }
    return syno_repl_add(r, m, true);
}
