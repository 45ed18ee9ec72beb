/* canon.c - the public face of the canonical rewriter (canon.h): contexts,
 * the hash-only path, full results with the weight re-indexing, and the
 * stable hash.
 *
 * One call: build the IR from the op (canon_ir.c), rewrite it to its normal
 * form (canon_rules.c, canon_region.c), label it (canon_label.c) and print
 * it (canon_print.c); the hash is FNV-1a 64 over the printed bytes.  All
 * scratch memory comes from the context's arena, rewound at every call, so
 * repeated calls allocate nothing once the arena has grown. */
#include "base/hash.h"
#include "lang/canon_int.h"

#include <stdlib.h>
#include <string.h>

struct syno_canon {
    syno_arena *arena;
    syno_arena_mark mark;   /* just after a first block: resets keep the chunk */
    size_t base;            /* arena bytes at the mark */
    syno_buf best, first, scratch;
    const char *err;
};

static void fresh_arena(syno_canon *c)
{
    syno_arena_free(c->arena);
    c->arena = syno_arena_new();
    syno_arena_alloc(c->arena, 16); /* so that the mark is inside a chunk that resets keep */
    c->mark = syno_arena_get_mark(c->arena);
    c->base = syno_arena_bytes(c->arena);
}

/* A new context (free with syno_canon_free).  Not thread-safe: use one per
 * thread. */
syno_canon *syno_canon_new(void)
{
    syno_canon *c = syno_xcalloc(1, sizeof *c);
    fresh_arena(c);
    return c;
}

/* Frees C and its scratch memory (results are independent of it). */
void syno_canon_free(syno_canon *c)
{
    if (!c) return;
    syno_arena_free(c->arena);
    syno_buf_fini(&c->best);
    syno_buf_fini(&c->first);
    syno_buf_fini(&c->scratch);
    free(c);
}

/* Why the last call on C failed (a static string), or NULL. */
const char *syno_canon_error(const syno_canon *c)
{
    return c->err;
}

static cn_final *canonicalize(syno_canon *c, const syno_op *op, const syno_canon_opts *o, bool steps)
{
    syno_arena_reset(c->arena, c->mark);
    if (syno_arena_bytes(c->arena) != c->base) fresh_arena(c); /* big blocks outlive resets */
    c->err = NULL;
    cn_ir *ir = SYNO_NEW(c->arena, cn_ir);
    ir->a = c->arena;
    ir->steps = steps;
    if (!cn_build(ir, op, o)) {
        c->err = ir->err;
        return NULL;
    }
    cn_normalize(ir);
    syno_buf_clear(&c->best);
    cn_final *f = cn_finalize(ir, &c->best, &c->first, &c->scratch);
    cn_label(f);
    return f;
}

/* The fast path for the search: stores the canonical hash of OP (complete
 * or partial; see canon.h) under options O (NULL: level 1, no tags) into
 * HASH, without building the weight re-indexing.  Returns false when OP is
 * malformed (syno_canon_error says why). */
bool syno_canon_hash(syno_canon *c, const syno_op *op, const syno_canon_opts *o, uint64_t *hash)
{
    cn_final *f = canonicalize(c, op, o, false);
    if (!f) return false;
    *hash = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, c->best.data, c->best.len);
    return true;
}

static syno_size to_orig(const cn_ir *ir, syno_size s)
{
    syno_size r = syno_size_one();
    for (int v = 0; v < ir->vars.n; v++)
        if (s.e[v]) r.e[ir->var_from[v]] = s.e[v];
    return r;
}

static syno_size to_text(const cn_final *f, syno_size s)
{
    syno_size r = syno_size_one();
    for (int v = 0; v < f->ir->vars.n; v++)
        if (s.e[v]) r.e[f->to_final[v]] = s.e[v];
    return r;
}

static void export_weight(const cn_final *f, int t, syno_canon_weight *out, syno_arena *a)
{
    const cn_ir *ir = f->ir;
    const cn_weight *wt = &ir->weights[t];
    out->source = t;
    out->source_name = syno_arena_strdup(a, wt->name ? wt->name : "?");
    out->source_rank = wt->orig_rank;
    out->rank = wt->n;
    out->shape = SYNO_NEW_ARRAY(a, syno_size, wt->n + 1);
    out->from = SYNO_NEW_ARRAY(a, uint32_t, wt->n + 1);
    int *canon = SYNO_NEW_ARRAY(a, int, wt->n + 1);
    int m = 0;
    for (int i = 0; i < f->nbest_waxseq; i++)
        if (ir->wax[f->best_waxseq[i]].weight == t) canon[m++] = f->best_waxseq[i];
    SYNO_ASSERT(m == wt->n);
    for (int j = 0; j < m; j++) {
        out->shape[j] = to_text(f, ir->wax[canon[j]].size);
        out->from[j] = ir->wax[canon[j]].orig;
    }
    bool ident = true;
    int *perm = SYNO_NEW_ARRAY(a, int, m + 1);
    for (int j = 0; j < m; j++) {
        int old = 0;
        while (wt->axes[old] != canon[j]) old++;
        perm[j] = old;
        ident &= old == j;
    }
    out->steps = SYNO_NEW_ARRAY(a, syno_canon_wstep, wt->nsteps + 1);
    out->nsteps = 0;
    for (int i = 0; i < wt->nsteps; i++) {
        const cn_step *s = &wt->steps[i];
        syno_canon_wstep *d = &out->steps[out->nsteps++];
        d->kind = (syno_wstep_kind)s->kind;
        d->pos = s->pos;
        d->count = s->count;
        d->sgn = s->sgn;
        d->off = s->off;
        if (s->sizes) {
            d->sizes = SYNO_NEW_ARRAY(a, syno_size, s->count);
            for (int j = 0; j < s->count; j++) d->sizes[j] = to_orig(ir, s->sizes[j]);
        }
        if (s->perm) d->perm = syno_arena_dup(a, s->perm, (size_t)s->count * sizeof *s->perm);
    }
    if (!ident) {
        syno_canon_wstep *d = &out->steps[out->nsteps++];
        memset(d, 0, sizeof *d);
        d->kind = SYNO_WSTEP_PERMUTE;
        d->count = m;
        d->perm = perm;
    }
}

/* Canonicalizes OP (complete or partial) under options O (NULL: level 1)
 * into R: text, hash, the variables of the text and, for each canonical
 * weight, the original weight and the steps that re-lay it out.  R owns its
 * memory (release with syno_canon_result_fini).  Returns false when OP is
 * malformed (syno_canon_error says why); R is then empty. */
bool syno_canon_run(syno_canon *c, const syno_op *op, const syno_canon_opts *o, syno_canon_result *r)
{
    memset(r, 0, sizeof *r);
    cn_final *f = canonicalize(c, op, o, true);
    if (!f) return false;
    const cn_ir *ir = f->ir;
    syno_arena *a = syno_arena_new();
    r->arena = a;
    r->len = c->best.len;
    r->text = syno_arena_strndup(a, c->best.data, c->best.len);
    r->hash = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, c->best.data, c->best.len);
    r->partial = ir->partial;
    r->leaves = f->leaves;
    r->iterations = ir->iterations;
    r->vars = f->vars;
    for (int v = 0; v < r->vars.n; v++) r->vars.v[v].name = syno_arena_strdup(a, f->vars.v[v].name);
    for (int v = 0; v < ir->vars.n; v++)
        if (f->to_final[v] >= 0) r->var_from[f->to_final[v]] = ir->var_from[v];
    r->orig_vars = *op->vars;
    for (int v = 0; v < r->orig_vars.n; v++) r->orig_vars.v[v].name = syno_arena_strdup(a, op->vars->v[v].name);
    r->nweights = f->nbest_wseq;
    r->weights = SYNO_NEW_ARRAY(a, syno_canon_weight, r->nweights + 1);
    for (int j = 0; j < r->nweights; j++) export_weight(f, f->best_wseq[j], &r->weights[j], a);
    return true;
}

/* Releases what R owns. */
void syno_canon_result_fini(syno_canon_result *r)
{
    if (r->arena) syno_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}
