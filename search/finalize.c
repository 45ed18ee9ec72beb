/* finalize.c - turning a partial operator into final operators
 * (syno-internals §5.5).
 *
 * A partial operator is final when its open data dims match the input axes
 * (fixed axes excluded) one to one with symbolically equal sizes, none of
 * them still discards data, and it has a weight.  Each matching gives one
 * candidate (equal sizes such as [H, H] give several).  A candidate is
 * built as a real syno_op with the lang/graph.h builder (input axes in the
 * spec's order, the fixed axes passing straight to the output, each weight
 * a tensor of its shared axes), finished, checked under every layer, and
 * kept when its FLOPs are inside the window, when it is not a permutation
 * of an unordered input axis of another candidate, and when its canonical
 * hash was not seen before. */
#include "search/engine.h"
#include "search/final_metrics.h"

#include <stdlib.h>
#include <string.h>

/* ---- unordered input axes ------------------------------------------------ */

/* Pieces of an unordered input axis may be permuted freely (the producer
 * of the input absorbs any permutation), so among the operators that
 * differ by such a permutation only one is kept: the pieces of a split of
 * that axis in non-decreasing size order, no shift or reverse of it, no two
 * pieces of one merge and no two reductions among its pieces. */
static bool perm_free(const syno_space *sp, uint32_t id, int depth);

static bool pieces_ok(const syno_space *sp, uint32_t id)
{
    uint32_t piece[32];
    int n = 0;
    while (sx_d(sp, id)->kind == SX_SPLIT && n < 31) {
        piece[n++] = (uint32_t)sx_d(sp, id)->a;
        id = (uint32_t)sx_d(sp, id)->b;
    }
    piece[n++] = id;
    if (n == 1) return true;
    int nred = 0;
    for (int i = 0; i < n; i++) {
        const sx_dim *p = sx_d(sp, piece[i]);
        if (i && syno_size_cmp(p->size, sx_d(sp, piece[i - 1])->size) < 0) return false;
        if (p->kind == SX_REDUCE && ++nred > 1) return false;
        for (int j = 0; j < i; j++) {
            const sx_dim *q = sx_d(sp, piece[j]);
            if ((p->kind == SX_MERGE_L || p->kind == SX_MERGE_R) && (q->kind == SX_MERGE_L || q->kind == SX_MERGE_R) &&
                p->a == q->a)
                return false;
        }
        if (!perm_free(sp, piece[i], 1)) return false;
    }
    return true;
}

static bool perm_free(const syno_space *sp, uint32_t id, int depth)
{
    while (sx_d(sp, id)->kind == SX_SHARE_L) id = (uint32_t)sx_d(sp, id)->a;
    const sx_dim *d = sx_d(sp, id);
    if (d->kind == SX_SHIFT || d->kind == SX_REVERSE) return false;
    if (d->kind == SX_SPLIT && depth < 8) return pieces_ok(sp, id);
    return true;
}

/* ---- building the op -------------------------------------------------------- */

typedef struct builder {
    syno_space *sp;
    syno_op *op;
    uint32_t *eng;  /* engine dim of map entry i */
    int *opd;       /* op dim of map entry i */
    int n, cap;
    uint32_t *work;
    int nwork, capwork;
    uint32_t *done; /* engine dims whose consumer node was emitted */
    int ndone, capdone;
} builder;

static int lookup(builder *b, uint32_t e)
{
    for (int i = 0; i < b->n; i++)
        if (b->eng[i] == e) return b->opd[i];
    return -1;
}

static void bind_dim(builder *b, uint32_t e, int d)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->eng = syno_xrealloc(b->eng, (size_t)b->cap * sizeof *b->eng);
        b->opd = syno_xrealloc(b->opd, (size_t)b->cap * sizeof *b->opd);
    }
    b->eng[b->n] = e;
    b->opd[b->n++] = d;
}

static int opdim(builder *b, uint32_t e)
{
    int d = lookup(b, e);
    if (d >= 0) return d;
    d = syno_op_new_dim(b->op, NULL, syno_range_make(0, 0));
    bind_dim(b, e, d);
    return d;
}

static void push(builder *b, uint32_t e)
{
    if (b->nwork == b->capwork) {
        b->capwork = b->capwork ? 2 * b->capwork : 64;
        b->work = syno_xrealloc(b->work, (size_t)b->capwork * sizeof *b->work);
    }
    b->work[b->nwork++] = e;
}

static bool mark_done(builder *b, uint32_t e)
{
    for (int i = 0; i < b->ndone; i++)
        if (b->done[i] == e) return false;
    if (b->ndone == b->capdone) {
        b->capdone = b->capdone ? 2 * b->capdone : 64;
        b->done = syno_xrealloc(b->done, (size_t)b->capdone * sizeof *b->done);
    }
    b->done[b->ndone++] = e;
    return true;
}

static void node(builder *b, syno_prim prim, int in0, int in1, syno_size param, int out0, int out1)
{
    int in[2] = {in0, in1}, out[2] = {out0, out1};
    syno_op_add_node(b->op, prim, in, NULL, param, prim == SYNO_PRIM_SHIFT ? 1 : 0, syno_range_make(0, 0), out);
}

/* Emits the node that consumes engine dim E (its "top" side). */
static void emit(builder *b, uint32_t e)
{
    syno_space *sp = b->sp;
    const sx_dim *d = sx_d(sp, e);
    syno_size one = syno_size_one();
    switch ((sx_kind)d->kind) {
    case SX_ITER:
        return;
    case SX_REDUCE:
        if (mark_done(b, e)) node(b, SYNO_PRIM_SUM, opdim(b, e), -1, one, -1, -1);
        return;
    case SX_SPLIT:
    case SX_UNFOLD:
        if (!mark_done(b, e)) return;
        node(b, d->kind == SX_SPLIT ? SYNO_PRIM_SPLIT : SYNO_PRIM_UNFOLD, opdim(b, e), -1,
             sx_d(sp, (uint32_t)d->b)->size, opdim(b, (uint32_t)d->a), opdim(b, (uint32_t)d->b));
        push(b, (uint32_t)d->a);
        push(b, (uint32_t)d->b);
        return;
    case SX_MERGE_L:
    case SX_MERGE_R:
    case SX_SHARE_L:
    case SX_SHARE_R: {
        /* one node per pair: keyed by the dim below */
        uint32_t y = (uint32_t)d->a;
        bool merge = d->kind == SX_MERGE_L || d->kind == SX_MERGE_R;
        uint32_t l = merge ? sx_dim_intern(sp, SX_MERGE_L, d->a, -1, d->param, 0) : sx_dim_intern(sp, SX_SHARE_L, d->a, -1, one, d->wid);
        uint32_t r = merge ? sx_dim_intern(sp, SX_MERGE_R, d->a, -1, d->param, 0) : sx_dim_intern(sp, SX_SHARE_R, d->a, -1, one, d->wid);
        if (!mark_done(b, l)) return;
        node(b, merge ? SYNO_PRIM_MERGE : SYNO_PRIM_SHARE, opdim(b, l), opdim(b, r), one, opdim(b, y), -1);
        push(b, y);
        return;
    }
    case SX_SHIFT:
    case SX_REVERSE:
    case SX_STRIDE:
        if (!mark_done(b, e)) return;
        node(b, d->kind == SX_SHIFT ? SYNO_PRIM_SHIFT : d->kind == SX_REVERSE ? SYNO_PRIM_REVERSE : SYNO_PRIM_STRIDE,
             opdim(b, e), -1, d->param, opdim(b, (uint32_t)d->a), -1);
        push(b, (uint32_t)d->a);
        return;
    case SX_KINDS:
        break;
    }
    SYNO_UNREACHABLE();
}

/* Builds the op of ST with desired axis j matched to frontier dim
 * MATCH[j], in arena A (diagnostics into D).  Returns it finished; the
 * caller checks op->errors. */
static syno_op *build(syno_space *sp, const syno_pstate *st, const uint32_t *match, syno_arena *a, syno_diags *d)
{
    const syno_spec *spec = sp->spec;
    syno_range r0 = syno_range_make(0, 0);
    builder b;
    memset(&b, 0, sizeof b);
    b.sp = sp;
    b.op = syno_op_new(a, sp->vars, d, "op", r0);
    int t0 = syno_op_add_tensor(b.op, "x", r0);
    int fixed_dim[SYNO_SPEC_MAX_AXES];
    int j = 0;
    for (int i = 0; i < spec->nin; i++) {
        bool fixed = false;
        for (int v = 0; v < sp->nvars; v++)
            if ((spec->fixed & (1u << v)) && syno_size_eq(spec->in[i].size, syno_size_var(v))) fixed = true;
        int dim = syno_op_add_axis(b.op, t0, spec->in[i].size, NULL, r0);
        fixed_dim[i] = fixed ? dim : -1;
        if (!fixed) {
            bind_dim(&b, match[j++], dim);
            push(&b, match[j - 1]);
        }
    }
    for (int w = 1; w <= st->nweights; w++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", w);
        int t = syno_op_add_tensor(b.op, syno_arena_strdup(a, name), r0);
        for (int i = st->nf + st->ne; i < st->nf + st->ne + st->nw; i++) {
            const sx_dim *wd = sx_d(sp, st->d[i]);
            if (wd->wid != w) continue;
            bind_dim(&b, st->d[i], syno_op_add_axis(b.op, t, wd->size, NULL, r0));
            push(&b, st->d[i]);
        }
    }
    for (int i = st->nf; i < st->nf + st->ne; i++) {
        uint32_t e = st->d[i];
        node(&b, SYNO_PRIM_EXPAND, -1, -1, sx_d(sp, e)->size, opdim(&b, e), -1);
        push(&b, e);
    }
    while (b.nwork) emit(&b, b.work[--b.nwork]);
    for (int i = 0; i < spec->nout; i++) {
        int dim = sp->fixed_out[i] >= 0 ? fixed_dim[sp->fixed_out[i]]
                                        : lookup(&b, sx_dim_intern(sp, SX_ITER, i, -1, syno_size_one(), 0));
        SYNO_ASSERT(dim >= 0);
        syno_op_add_output(b.op, dim, r0, NULL, r0);
    }
    free(b.eng);
    free(b.opd);
    free(b.work);
    free(b.done);
    syno_op_finish(b.op);
    return b.op;
}

/* ---- matchings ------------------------------------------------------------ */

typedef struct matcher {
    syno_space *sp;
    const syno_pstate *st;
    uint32_t match[SYNO_SPEC_MAX_AXES];
    bool used[SX_MAX_STATE_DIMS];
    bool dedup;
    syno_final **out;
    int nout, capout;
    int taken;
} matcher;

static void try_final(matcher *m)
{
    syno_space *sp = m->sp;
    int limit = (int)sp->spec->opt[SYNO_OPT_FINALIZATIONS];
    if (limit && m->taken >= limit) return;
    for (int j = 0; j < sp->ndes; j++)
        if (sp->des_unordered[j] && !perm_free(sp, m->match[j], 0)) {
            if (sx_drop(sp, SYNO_RULE_FINAL_UNORDERED)) return;
        }
    syno_arena *a = syno_arena_new();
    syno_diags d;
    syno_diags_init(&d, NULL);
    syno_op *op = build(sp, m->st, m->match, a, &d);
    bool ok = op->errors == 0;
    for (int l = 0; ok && l < sp->nlayers; l++) ok = syno_op_check_binding(op, &sp->spec->layer_binding[l], &d, syno_range_make(0, 0));
    syno_diags_fini(&d);
    if (!ok) { /* never disabled: an invalid op is no operator */
        syno_arena_free(a);
        sx_loc(sp)->stats.rejected[SYNO_RULE_FINAL_INVALID]++;
        return;
    }
    syno_final *f = syno_xcalloc(1, sizeof *f);
    f->arena = a;
    f->op = op;
    f->state = m->st;
    /* the canonical hash first: a duplicate needs no plans (its first copy decided its FLOPs) */
    f->hash = syno_space_final_hash(sp, op);
    /* The dedup set maps the hash to its verdict: accepted (1), left the
     * FLOPs window (0), or pending (2) while another thread measures it;
     * a copy waits for the verdict, so the counts do not depend on timing. */
    int32_t seen = 0, tag = (int32_t)((uint32_t)(f->hash >> 32) & ~3u);
    bool known = false;
    if (m->dedup) {
        if (sp->threaded) pthread_mutex_lock(&sp->lock);
        for (;;) {
            known = sx_memo_get(&sp->seen, f->hash, &seen) && (seen & ~3) == tag;
            if (!known || (seen & 3) != 2 || !sp->threaded) break;
            pthread_cond_wait(&sp->seen_cond, &sp->lock);
        }
        if (!known) sx_memo_put(&sp->seen, f->hash, tag | 2);
        if (sp->threaded) pthread_mutex_unlock(&sp->lock);
    }
    if (known && (seen & 3) == 1 && sx_drop(sp, SYNO_RULE_FINAL_DUPLICATE)) {
        syno_final_free(f);
        return;
    }
    if (known && (seen & 3) != 1) { /* the same operator left the window before */
        sx_loc(sp)->stats.rejected[SYNO_RULE_FINAL_FLOPS]++;
        syno_final_free(f);
        return;
    }
    bool inside = sx_final_measure(sp, f, sp->flops_lo, sp->flops_hi);
    if (m->dedup && !known) {
        if (sp->threaded) pthread_mutex_lock(&sp->lock);
        sx_memo_put(&sp->seen, f->hash, tag | ((inside || (sp->disabled >> SYNO_RULE_FINAL_FLOPS & 1)) ? 1 : 0));
        if (sp->threaded) {
            pthread_cond_broadcast(&sp->seen_cond);
            pthread_mutex_unlock(&sp->lock);
        }
    }
    if (!inside && sx_drop(sp, SYNO_RULE_FINAL_FLOPS)) {
        syno_final_free(f);
        return;
    }
    if (m->dedup) sx_loc(sp)->stats.finals++;
    m->taken++;
    if (m->nout == m->capout) {
        m->capout = m->capout ? 2 * m->capout : 4;
        m->out = syno_xrealloc(m->out, (size_t)m->capout * sizeof *m->out);
    }
    m->out[m->nout++] = f;
}

static void match(matcher *m, int j)
{
    syno_space *sp = m->sp;
    if (j == sp->ndes) {
        try_final(m);
        return;
    }
    for (int i = 0; i < m->st->nf; i++) {
        if (m->used[i]) continue;
        const sx_dim *d = sx_d(sp, m->st->d[i]);
        if (!syno_size_eq(d->size, sp->des[j])) continue;
        m->used[i] = true;
        m->match[j] = m->st->d[i];
        match(m, j + 1);
        m->used[i] = false;
    }
}

/* True when ST can be finalized: its open dims could match the input. */
bool syno_pstate_finalizable(syno_space *sp, const syno_pstate *st)
{
    if (st->nf != sp->ndes || !st->nweights) return false;
    for (int i = 0; i < st->nf; i++) {
        const sx_dim *d = sx_d(sp, st->d[i]);
        if (d->flags & SXF_DISCARD) return false;
        bool any = false;
        for (int j = 0; j < sp->ndes && !any; j++) any = syno_size_eq(d->size, sp->des[j]);
        if (!any) return false;
    }
    return true;
}

/* The final operators of ST (see the file comment); DEDUP drops those whose
 * canonical hash the space has returned before. */
int sx_finalize(syno_space *sp, const syno_pstate *st, bool dedup, syno_final ***out)
{
    *out = NULL;
    if (!syno_pstate_finalizable(sp, st)) return 0;
    if (!sx_pooling_ok(sp, st, true) && sx_drop(sp, SYNO_RULE_POOLING)) return 0;
    matcher m;
    memset(&m, 0, sizeof m);
    m.sp = sp;
    m.st = st;
    m.dedup = dedup;
    match(&m, 0);
    *out = m.out;
    return m.nout;
}

/* Frees a final operator and its arena. */
void syno_final_free(syno_final *f)
{
    if (!f) return;
    syno_arena_free(f->arena);
    free(f);
}
