/* generate.c - the canonical children of a partial operator.
 *
 * Bottom-up steps (syno-internals §2, §4, §5.1), in the order children are
 * produced: reductions (only before any other step, as a multiset in the
 * order of the size table), then splits, merges, shifts, strides, unfolds,
 * expands, reverses and contractions.  Every candidate is checked against
 * the spec's bounds and the canonical-generation rules (rules.def) in
 * expand_*.c, then built here, then pruned by shape distance, FLOPs lower
 * bound and pooling, a batch of SX_PENDING at a time (generate.h).
 * Survivors go to the caller's emit function in the order they were made. */
#include "search/engine.h"

#include <math.h>
#include <string.h>

#include "search/generate.h"

/* ---- building a child ---------------------------------------------------- */

static void sorted_insert(uint32_t *a, int *n, uint32_t id)
{
    int i = *n;
    while (i > 0 && a[i - 1] > id) {
        a[i] = a[i - 1];
        i--;
    }
    a[i] = id;
    (*n)++;
}

static void sorted_remove(uint32_t *a, int *n, uint32_t id)
{
    for (int i = 0; i < *n; i++)
        if (a[i] == id) {
            memmove(a + i, a + i + 1, (size_t)(*n - i - 1) * sizeof *a);
            (*n)--;
            return;
        }
    SYNO_UNREACHABLE();
}

/* Starts a child of G's parent: a copy of its members and counters. */
void sx_child_begin(sx_gen *g, syno_step_kind kind)
{
    const syno_pstate *p = g->parent;
    g->nf = p->nf;
    g->ne = p->ne;
    g->nw = p->nw;
    memcpy(g->f, p->d, (size_t)p->nf * sizeof *g->f);
    memcpy(g->e, p->d + p->nf, (size_t)p->ne * sizeof *g->e);
    memcpy(g->w, p->d + p->nf + p->ne, (size_t)p->nw * sizeof *g->w);
    memcpy(g->use, p->use, sizeof g->use);
    g->hash = p->hash;
    g->kind = kind;
}

/* Removes frontier dim ID from the child. */
void sx_child_take(sx_gen *g, uint32_t id)
{
    sorted_remove(g->f, &g->nf, id);
    g->hash -= sx_member_hash(g->sp, id, 0);
}

/* Adds ID to the child in ROLE (0 frontier, 1 expanded, 2 weight axis). */
void sx_child_put(sx_gen *g, uint32_t id, int role)
{
    uint32_t *a = role == 0 ? g->f : role == 1 ? g->e : g->w;
    int *n = role == 0 ? &g->nf : role == 1 ? &g->ne : &g->nw;
    SYNO_ASSERT(*n < SX_MAX_STATE_DIMS);
    sorted_insert(a, n, id);
    g->hash += sx_member_hash(g->sp, id, role);
}

/* True when the allowances can still pay for the shares the state needs:
 * an output axis that is not an input size must be shared (expanded by a
 * contraction), and so must a raw reduction larger than max_pooling. */
static bool allowance_feasible(syno_space *sp, const syno_pstate *c)
{
    if (sp->spec->opt[SYNO_OPT_COEF_IN_WEIGHTS] != 0) return true;
    int use[SYNO_MAX_VARS];
    for (int v = 0; v < sp->nvars; v++) use[v] = c->use[v];
    for (int i = 0; i < c->nf; i++) {
        const sx_dim *d = sx_d(sp, c->d[i]);
        bool must = false;
        if (d->kind == SX_REDUCE) must = d->hi > sp->spec->opt[SYNO_OPT_POOLING] * (1 + 1e-9);
        else if (d->kind == SX_ITER) {
            must = true;
            for (int j = 0; j < sp->ndes && must; j++) must = !syno_size_eq(d->size, sp->des[j]);
        }
        if (!must) continue;
        for (int v = 0; v < sp->nvars; v++)
            if (d->size.e[v] > 0 && sp->vars->v[v].kind == SYNO_VAR_PRIMARY && (use[v] += d->size.e[v]) > sp->spec->allow[v])
                return false;
    }
    return true;
}

/* The stable key of STEP: its kind, operand structures, expand flags and
 * parameter (independent of dim ids). */
static uint64_t step_key(const syno_space *sp, const syno_step *s)
{
    uint64_t h = syno_hash_mix(0x5bd1e995ull + (uint64_t)s->kind);
    for (int i = 0; i < s->n; i++) {
        uint64_t m = syno_hash_mix(sx_d(sp, s->op[i])->hash + (uint64_t)s->expand[i]);
        h = s->kind == SYNO_STEP_CONTRACT ? h + m : syno_hash_mix(h ^ m); /* contraction operands are a set */
    }
    return syno_hash_mix(h ^ syno_size_hash(s->param));
}

/* Prunes pending child P (shape distance, pooling, FLOPs bound): sets
 * P->kept when it stays. */
static void prune(sx_gen *g, sx_pending *p)
{
    syno_space *sp = g->sp;
    syno_pstate *c = (syno_pstate *)p->buf;
    int remaining = sp->depth - c->depth;
    int dist = p->dist >= 0 ? p->dist : sx_distance_end(sp, c, g->guided, p->key, p->cap);
    p->kept = false;
    c->dist = (uint8_t)(g->guided ? SX_DIST_LAZY : dist);
    if (dist == SX_DIST_UNKNOWN || dist > remaining) { if (sx_drop(sp, SYNO_RULE_DISTANCE)) return; }
    if (c->nweights == sp->max_weights && !sx_pooling_ok(sp, c, false)) { if (sx_drop(sp, SYNO_RULE_POOLING)) return; }
    c->flops_lb = (float)sx_flops_bound(sp, c);
    if (c->normal && c->flops_lb > sp->flops_hi) { if (sx_drop(sp, SYNO_RULE_FLOPS_BOUND)) return; }
    p->kept = true;
    if (g->hint) g->hint(g->ctx, c, 0);
}

/* Prunes the pending children, then emits those kept, in the order they
 * were made. */
static void flush(sx_gen *g)
{
    syno_space *sp = g->sp;
    for (int i = 0; i < g->npend; i++) prune(g, &g->pend[i]);
    if (g->hint)
        for (int i = 0; i < g->npend; i++)
            if (g->pend[i].kept) g->hint(g->ctx, (const syno_pstate *)g->pend[i].buf, 1);
    for (int i = 0; i < g->npend; i++) {
        sx_pending *p = &g->pend[i];
        if (!p->kept) continue;
        p->step.key = step_key(sp, &p->step);
        sx_loc(sp)->stats.generated++;
        sx_loc(sp)->stats.by_step[p->step.kind]++;
        g->emit(sp, g->ctx, (const syno_pstate *)p->buf, &p->step);
    }
    g->npend = 0;
}

/* Finishes the child: packs it, checks its allowances and starts its
 * shape distance; it is then pruned (shape distance, FLOPs bound, pooling)
 * and emitted with STEP by flush, once SX_PENDING children are pending or
 * when the generation ends. */
void sx_child_end(sx_gen *g, syno_step *step)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    int n = g->nf + g->ne + g->nw;
    if (n > SX_MAX_STATE_DIMS) { if (sx_drop(sp, SYNO_RULE_CHAIN)) return; }
    sx_pending *pd = &g->pend[g->npend];
    syno_pstate *c = (syno_pstate *)pd->buf;
    memset(c, 0, sizeof *c);
    c->nf = (uint8_t)g->nf;
    c->ne = (uint8_t)g->ne;
    c->nw = (uint8_t)g->nw;
    memcpy(c->d, g->f, (size_t)g->nf * sizeof *g->f);
    memcpy(c->d + g->nf, g->e, (size_t)g->ne * sizeof *g->e);
    memcpy(c->d + g->nf + g->ne, g->w, (size_t)g->nw * sizeof *g->w);
    c->hash = g->hash;
    c->depth = (uint8_t)(p->depth + 1);
    c->nred = (uint8_t)(p->nred + (g->kind == SYNO_STEP_REDUCE));
    c->nweights = (uint8_t)(p->nweights + (g->kind == SYNO_STEP_CONTRACT));
    c->normal = p->normal || g->kind != SYNO_STEP_REDUCE;
    memcpy(c->cnt, p->cnt, sizeof c->cnt);
    c->cnt[g->kind]++;
    memcpy(c->use, g->use, sizeof c->use);
    if (!allowance_feasible(sp, c)) { if (sx_drop(sp, SYNO_RULE_ALLOWANCE)) return; }
    pd->step = *step;
    pd->step.kind = g->kind;
    /* the guide is never below the shape distance: what it admits, the
     * distance admits too */
    pd->dist = sx_distance_begin(sp, c, g->guided, &pd->key, &pd->cap);
    if (++g->npend == SX_PENDING) flush(g);
}

/* Checks the chain length and layer validity of a new dim. */
bool sx_new_dim_ok(sx_gen *g, uint32_t id)
{
    const sx_dim *d = sx_d(g->sp, id);
    if (d->height > g->sp->spec->chain) { if (sx_drop(g->sp, SYNO_RULE_CHAIN)) return false; }
    if (!(d->flags & SXF_VALID)) { if (sx_drop(g->sp, SYNO_RULE_LAYER_SIZE)) return false; }
    return true;
}

/* Charges SIZE to USE (each variable's absolute exponent; coefficients
 * only unless PRIMARY_ONLY) and checks the allowances. */
bool sx_charge(const syno_space *sp, int8_t *use, syno_size size, bool primary_only)
{
    bool ok = true;
    for (int v = 0; v < sp->nvars; v++) {
        int e = size.e[v];
        if (!e) continue;
        if (primary_only && sp->vars->v[v].kind != SYNO_VAR_PRIMARY) continue;
        int u = use[v] + (e < 0 ? -e : e);
        if (u > sp->spec->allow[v]) ok = false;
        use[v] = (int8_t)(u > 127 ? 127 : u);
    }
    return ok;
}

/* True when step KIND may still be used (its `limit`). */
bool sx_limit_ok(sx_gen *g, syno_step_kind kind)
{
    int lim = g->sp->limit[kind];
    if (lim >= 0 && g->parent->cnt[kind] >= lim) { if (sx_drop(g->sp, SYNO_RULE_LIMIT)) return false; }
    return true;
}

/* Views (shift, stride, merge, expand, reverse) after a contraction must
 * act on dims above the latest weight: anything else commutes with that
 * contraction and is generated before it. */
bool sx_above_latest(sx_gen *g, uint32_t id)
{
    int w = g->parent->nweights;
    if (w && !(sx_d(g->sp, id)->wmask & (1u << (w - 1)))) { if (sx_drop(g->sp, SYNO_RULE_VIEW_ORDER)) return false; }
    return true;
}

/* ---- the driver ------------------------------------------------------------- */

static void run(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, sx_hint_fn hint, void *ctx, const syno_step *only,
                bool guided)
{
    if (st->depth >= sp->depth) return;
    sx_gen g; /* the child arrays are filled by sx_child_begin */
    g.sp = sp;
    g.parent = st;
    g.emit = emit;
    g.hint = hint;
    g.ctx = ctx;
    g.only = only;
    g.guided = guided;
    g.nf = g.ne = g.nw = 0;
    g.npend = 0;
    int remaining = sp->depth - st->depth;
    g.critical = st->normal && sx_state_distance(sp, st) == remaining;
    if (!st->normal) sx_gen_reduce(&g);
    sx_gen_split(&g);
    sx_gen_merge(&g);
    sx_gen_shift(&g);
    sx_gen_stride(&g);
    sx_gen_unfold(&g);
    sx_gen_expand(&g);
    sx_gen_reverse(&g);
    sx_gen_contract(&g);
    flush(&g);
}

/* Calls EMIT for every canonical child of ST (see the file comment). */
void sx_generate(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, void *ctx)
{
    run(sp, st, emit, NULL, ctx, NULL, false);
}

/* sx_generate with hints (see engine.h). */
void sx_generate_hinted(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, sx_hint_fn hint, void *ctx)
{
    run(sp, st, emit, hint, ctx, NULL, false);
}

/* Calls EMIT for every canonical child of ST that the guide admits (see
 * engine.h). */
void sx_generate_guided(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, void *ctx)
{
    run(sp, st, emit, NULL, ctx, NULL, true);
}

/* ST's shape distance (see engine.h). */
int sx_state_distance(syno_space *sp, const syno_pstate *st)
{
    if (st->dist == SX_DIST_LAZY) ((syno_pstate *)st)->dist = (uint8_t)sx_distance(sp, st); /* states live in the store */
    return st->dist;
}

static void drop(syno_space *sp, void *ctx, const syno_pstate *child, const syno_step *step)
{
    (void)sp, (void)ctx, (void)child, (void)step;
}

/* Generates STEP alone from ST (for the rejection counters). */
void sx_generate_only(syno_space *sp, const syno_pstate *st, const syno_step *step)
{
    syno_space_stats *stats = &sx_loc(sp)->stats, save = *stats;
    run(sp, st, drop, NULL, NULL, step, false);
    memcpy(save.rejected, stats->rejected, sizeof save.rejected);
    *stats = save;
}

