/* plan.c - the FLOPs game: choosing the sequence of stages of a plan, and
 * assembling the chosen sequence into a syno_plan (see plan.h).
 *
 * A search state is the list of current factors (each a set of variables)
 * and the relations not yet absorbed.  A move is one stage: 1-3 factors
 * and a set of relations; the variables used nowhere else are summed out
 * and the rest become a new factor.  Moves that absorb a relation without
 * summing any of its variables, or unary stages that sum nothing, are not
 * tried outside the last stage (they never pay off), and the relations a
 * stage may absorb are those reachable from its factors' variables
 * without crossing a variable of another factor.  The search is a
 * depth-first enumeration with memoisation of each state's best cost to
 * go; cost = (FLOPs, temporary bytes, number of stages), compared in that
 * order.  When the number of moves tried passes a bound, the remaining
 * states are finished greedily, so planning always terminates quickly. */
#include "codegen/plan_int.h"

#include "lang/arena.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MOVE_BUDGET 20000L
#define CAND_MAX 10

typedef struct cost {
    double flops, bytes;
    int stages;
} cost;

static bool cost_less(cost a, cost b)
{
    if (a.flops != b.flops) return a.flops < b.flops;
    if (a.bytes != b.bytes) return a.bytes < b.bytes;
    return a.stages < b.stages;
}

typedef struct sstate {
    int nf;
    uint64_t f[PF_MAX];
    uint64_t rels;
} sstate;

typedef struct smove {
    int fs[SYNO_PLAN_MAX_OPS];
    int nfs;
    uint64_t rs;
} smove;

typedef struct memo_ent {
    bool used, done;
    sstate key;
    cost best;
    smove move;
} memo_ent;

typedef struct solve_ent {
    bool used;
    uint64_t vs, open, rs;
    double points;
    int nfree;
} solve_ent;

typedef struct search {
    const problem *pb;
    memo_ent *memo;
    size_t memo_cap, memo_n;
    solve_ent *scache;
    size_t scache_cap, scache_n;
    long moves;
    bool greedy;
    psolution sol;
} search;

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t state_hash(const sstate *s)
{
    uint64_t h = mix((uint64_t)s->nf, s->rels);
    for (int i = 0; i < s->nf; i++) h = mix(h, s->f[i]);
    return h;
}

static bool state_eq(const sstate *a, const sstate *b)
{
    if (a->nf != b->nf || a->rels != b->rels) return false;
    for (int i = 0; i < a->nf; i++)
        if (a->f[i] != b->f[i]) return false;
    return true;
}

static memo_ent *memo_find(search *S, const sstate *st, bool insert)
{
    if (insert && 2 * (S->memo_n + 1) > S->memo_cap) {
        size_t ncap = S->memo_cap ? 2 * S->memo_cap : 256;
        memo_ent *old = S->memo;
        size_t ocap = S->memo_cap;
        S->memo = syno_xcalloc(ncap, sizeof *S->memo);
        S->memo_cap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].used) continue;
            size_t j = state_hash(&old[i].key) & (ncap - 1);
            while (S->memo[j].used) j = (j + 1) & (ncap - 1);
            S->memo[j] = old[i];
        }
        free(old);
    }
    if (!S->memo_cap) return NULL;
    size_t j = state_hash(st) & (S->memo_cap - 1);
    while (S->memo[j].used) {
        if (state_eq(&S->memo[j].key, st)) return &S->memo[j];
        j = (j + 1) & (S->memo_cap - 1);
    }
    if (!insert) return NULL;
    S->memo[j].used = true;
    S->memo[j].key = *st;
    S->memo_n++;
    return &S->memo[j];
}

static void state_sort(sstate *s)
{
    for (int i = 1; i < s->nf; i++)
        for (int j = i; j > 0 && s->f[j] < s->f[j - 1]; j--) {
            uint64_t t = s->f[j];
            s->f[j] = s->f[j - 1];
            s->f[j - 1] = t;
        }
}

/* ---- evaluating a move ------------------------------------------------------ */

typedef struct mresult {
    bool final;
    uint64_t vs, open;
    cost c;
    sstate next;
} mresult;

static uint64_t vars_of_rels(const problem *pb, uint64_t rs)
{
    uint64_t m = 0;
    for (int i = 0; i < pb->nrels; i++)
        if (rs & (1ull << i)) m |= pb->rels[i].vars;
    return m;
}

static int popcount64(uint64_t x)
{
    return __builtin_popcountll(x);
}

static void open_list(const problem *pb, uint64_t open, bool final, int *list, int *n)
{
    *n = 0;
    if (final) {
        for (int i = 0; i < pb->nout; i++) list[(*n)++] = pb->outv[i];
        return;
    }
    for (int v = 0; v < pb->nvars; v++)
        if (open & (1ull << v)) list[(*n)++] = v;
}

static const solve_ent *solve_cached(search *S, uint64_t vs, uint64_t open, uint64_t rs, bool final)
{
    if (2 * (S->scache_n + 1) > S->scache_cap) {
        size_t ncap = S->scache_cap ? 2 * S->scache_cap : 1024;
        solve_ent *old = S->scache;
        size_t ocap = S->scache_cap;
        S->scache = syno_xcalloc(ncap, sizeof *S->scache);
        S->scache_cap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].used) continue;
            size_t j = mix(mix(old[i].vs, old[i].open), old[i].rs) & (ncap - 1);
            while (S->scache[j].used) j = (j + 1) & (ncap - 1);
            S->scache[j] = old[i];
        }
        free(old);
    }
    size_t j = mix(mix(vs, open), rs) & (S->scache_cap - 1);
    while (S->scache[j].used) {
        solve_ent *e = &S->scache[j];
        if (e->vs == vs && e->open == open && e->rs == rs) return e;
        j = (j + 1) & (S->scache_cap - 1);
    }
    int list[PV_MAX], n;
    open_list(S->pb, open, final, list, &n);
    syno_plan_solve(S->pb, vs, list, n, rs, &S->sol, false);
    solve_ent *e = &S->scache[j];
    e->used = true;
    e->vs = vs;
    e->open = open;
    e->rs = rs;
    e->points = S->sol.points;
    e->nfree = S->sol.niters - n;
    S->scache_n++;
    return e;
}

static bool eval_move(search *S, const sstate *st, const smove *mv, mresult *r)
{
    const problem *pb = S->pb;
    uint64_t fvars = 0, other = 0, inside = 0;
    for (int i = 0; i < mv->nfs; i++) inside |= 1ull << mv->fs[i];
    for (int i = 0; i < st->nf; i++) {
        if (inside & (1ull << i)) fvars |= st->f[i];
        else other |= st->f[i];
    }
    uint64_t rvars = vars_of_rels(pb, mv->rs);
    uint64_t left = st->rels & ~mv->rs;
    r->final = mv->nfs == st->nf && left == 0;
    uint64_t vs = fvars | rvars;
    if (r->final) vs |= pb->outmask;
    uint64_t keep = pb->outmask | other | vars_of_rels(pb, left);
    uint64_t open = vs & keep, elim = vs & ~keep;
    if (!r->final) {
        if (mv->nfs == 1 && !elim) return false;
        for (int i = 0; i < pb->nrels; i++)
            if ((mv->rs & (1ull << i)) && !(pb->rels[i].vars & elim)) return false;
    }
    S->moves++;
    const solve_ent *e = solve_cached(S, vs, open, mv->rs, r->final);
    r->vs = vs;
    r->open = open;
    r->c.flops = e->points * (double)(mv->nfs - 1 + (e->nfree > 0));
    r->c.bytes = 0;
    r->c.stages = 1;
    if (r->final && pb->has_scale) {
        double n = 1;
        for (int i = 0; i < pb->nout; i++) n *= (double)pb->vars[pb->outv[i]].ext;
        r->c.flops += n;
    }
    if (!r->final) {
        double n = 4;
        for (int v = 0; v < pb->nvars; v++)
            if (open & (1ull << v)) n *= (double)pb->vars[v].ext;
        r->c.bytes = n;
    }
    r->next.nf = 0;
    for (int i = 0; i < st->nf; i++)
        if (!(inside & (1ull << i))) r->next.f[r->next.nf++] = st->f[i];
    r->next.f[r->next.nf++] = open;
    r->next.rels = left;
    state_sort(&r->next);
    return true;
}

/* Relations a stage over the factors FS may absorb (see the file comment),
 * in index order, at most CAND_MAX. */
static int candidates(const problem *pb, const sstate *st, const smove *mv, int *cand)
{
    uint64_t inside = 0, reach = 0, other = 0;
    for (int i = 0; i < mv->nfs; i++) inside |= 1ull << mv->fs[i];
    for (int i = 0; i < st->nf; i++) {
        if (inside & (1ull << i)) reach |= st->f[i];
        else other |= st->f[i];
    }
    uint64_t taken = 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (int i = 0; i < pb->nrels; i++) {
            uint64_t bit = 1ull << i;
            if (!(st->rels & bit) || (taken & bit) || !(pb->rels[i].vars & reach)) continue;
            taken |= bit;
            reach |= pb->rels[i].vars & ~other;
            changed = true;
        }
    }
    int n = 0;
    for (int i = 0; i < pb->nrels && n < CAND_MAX; i++)
        if (taken & (1ull << i)) cand[n++] = i;
    return n;
}

static cost search_state(search *S, const sstate *st);

static void try_move(search *S, const sstate *st, const smove *mv, cost *best, smove *bestmv)
{
    mresult r;
    if (!eval_move(S, st, mv, &r)) return;
    cost c = r.c;
    if (!r.final) {
        cost sub = search_state(S, &r.next);
        c.flops += sub.flops;
        c.bytes += sub.bytes;
        c.stages += sub.stages;
    }
    if (cost_less(c, *best)) {
        *best = c;
        *bestmv = *mv;
    }
}

static void try_subsets(search *S, const sstate *st, smove *mv, cost *best, smove *bestmv)
{
    int cand[CAND_MAX];
    int nc = candidates(S->pb, st, mv, cand);
    for (uint32_t bits = 0; bits < (1u << nc); bits++) {
        mv->rs = 0;
        for (int i = 0; i < nc; i++)
            if (bits & (1u << i)) mv->rs |= 1ull << cand[i];
        if (mv->nfs == st->nf && mv->rs == st->rels) continue; /* the final move is tried separately */
        try_move(S, st, mv, best, bestmv);
    }
}

/* Greedy moves for when the budget is spent: finish in one stage when at
 * most three factors are left, else contract the pair that shares the
 * most variables. */
static void greedy_moves(search *S, const sstate *st, cost *best, smove *bestmv)
{
    smove mv;
    memset(&mv, 0, sizeof mv);
    if (st->nf <= SYNO_PLAN_MAX_OPS) {
        mv.nfs = st->nf;
        for (int i = 0; i < st->nf; i++) mv.fs[i] = i;
        mv.rs = st->rels;
        try_move(S, st, &mv, best, bestmv);
        return;
    }
    int bi = 0, bj = 1, bs = -1;
    for (int i = 0; i < st->nf; i++)
        for (int j = i + 1; j < st->nf; j++) {
            int s = popcount64(st->f[i] & st->f[j]);
            if (s > bs) bs = s, bi = i, bj = j;
        }
    mv.nfs = 2;
    mv.fs[0] = bi;
    mv.fs[1] = bj;
    mv.rs = 0;
    try_move(S, st, &mv, best, bestmv);
}

static cost search_state(search *S, const sstate *st)
{
    memo_ent *m = memo_find(S, st, true);
    if (m->done) return m->best;
    cost best = {INFINITY, INFINITY, 1 << 30};
    smove bestmv;
    memset(&bestmv, 0, sizeof bestmv);
    if (S->moves > MOVE_BUDGET) S->greedy = true;
    if (S->greedy) {
        greedy_moves(S, st, &best, &bestmv);
    } else {
        smove mv;
        memset(&mv, 0, sizeof mv);
        /* The final move first: a one-stage finish when at most 3 factors remain. */
        if (st->nf <= SYNO_PLAN_MAX_OPS) {
            mv.nfs = st->nf;
            for (int i = 0; i < st->nf; i++) mv.fs[i] = i;
            mv.rs = st->rels;
            try_move(S, st, &mv, &best, &bestmv);
        }
        for (int a = 0; a < st->nf; a++) {
            mv.nfs = 1;
            mv.fs[0] = a;
            try_subsets(S, st, &mv, &best, &bestmv);
            for (int b = a + 1; b < st->nf; b++) {
                mv.nfs = 2;
                mv.fs[1] = b;
                try_subsets(S, st, &mv, &best, &bestmv);
                for (int c = b + 1; c < st->nf; c++) {
                    mv.nfs = 3;
                    mv.fs[2] = c;
                    try_subsets(S, st, &mv, &best, &bestmv);
                }
                mv.nfs = 2;
            }
        }
        if (isinf(best.flops)) greedy_moves(S, st, &best, &bestmv);
    }
    SYNO_ASSERT(!isinf(best.flops));
    m = memo_find(S, st, false); /* the table may have moved */
    m->done = true;
    m->best = best;
    m->move = bestmv;
    return best;
}

/* ---- assembling the plan ---------------------------------------------------- */

typedef struct cur_factor {
    uint64_t mask;
    int buf;
    int rank;
    int vars[PV_MAX];
} cur_factor;

static void sort_factors(cur_factor *f, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (f[j].mask < f[j - 1].mask || (f[j].mask == f[j - 1].mask && f[j].buf < f[j - 1].buf));
             j--) {
            cur_factor t = f[j];
            f[j] = f[j - 1];
            f[j - 1] = t;
        }
}

static const char *var_name(syno_plan *p, const problem *pb, int v)
{
    return pb->vars[v].name ? pb->vars[v].name : syno_arena_printf(p->arena, "i%d", v);
}

static int add_buf(syno_plan *p, syno_pbuf_kind kind, int tensor, const char *name, const problem *pb, const int *vars,
                   int rank)
{
    int i = p->nbufs++;
    syno_plan_buf *b = &p->bufs[i];
    b->kind = kind;
    b->tensor = tensor;
    b->name = name;
    b->rank = rank;
    b->shape = SYNO_NEW_ARRAY(p->arena, int64_t, rank + 1);
    b->sizes = SYNO_NEW_ARRAY(p->arena, syno_size, rank + 1);
    b->numel = 1;
    for (int a = 0; a < rank; a++) {
        b->shape[a] = pb->vars[vars[a]].ext;
        b->sizes[a] = pb->vars[vars[a]].size;
        b->numel *= b->shape[a];
    }
    return i;
}

static bool overflows(double v)
{
    return !(v < 9.0e18);
}

static bool build_stage(syno_plan *p, const problem *pb, psolution *sol, cur_factor *fs, int nfs, uint64_t rs,
                        bool final, uint64_t vs, const int *list, int n, int outbuf, syno_buf *err)
{
    syno_plan_solve(pb, vs, list, n, rs, sol, true);
    syno_plan_stage *s = &p->stages[p->nstages++];
    s->niters = sol->niters;
    s->nout = sol->nout;
    s->iters = SYNO_NEW_ARRAY(p->arena, syno_plan_iter, sol->niters + 1);
    double points = 1;
    for (int i = 0; i < sol->niters; i++) {
        int v = sol->iter_var[i];
        s->iters[i].name = var_name(p, pb, v);
        s->iters[i].size = pb->vars[v].size;
        s->iters[i].extent = pb->vars[v].ext;
        points *= (double)pb->vars[v].ext;
    }
    s->nexprs = sol->nexprs;
    s->exprs = SYNO_NEW_ARRAY(p->arena, syno_pexpr, sol->nexprs + 1);
    if (sol->nexprs) memcpy(s->exprs, sol->exprs, (size_t)sol->nexprs * sizeof *sol->exprs);
    uint64_t *deps = syno_xcalloc((size_t)sol->nexprs + 1, sizeof *deps);
    for (int e = 0; e < sol->nexprs; e++) {
        const syno_pexpr *x = &sol->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: deps[e] = 1ull << x->x; break;
        case SYNO_PX_CONST: deps[e] = 0; break;
        case SYNO_PX_ADD: deps[e] = deps[x->x] | deps[x->y]; break;
        default: deps[e] = deps[x->x]; break;
        }
    }
    s->out = outbuf;
    s->nops = nfs;
    for (int k = 0; k < nfs; k++) {
        syno_plan_operand *o = &s->ops[k];
        o->buf = fs[k].buf;
        o->index = SYNO_NEW_ARRAY(p->arena, int, fs[k].rank + 1);
        for (int a = 0; a < fs[k].rank; a++) {
            int e = sol->var_expr[fs[k].vars[a]];
            SYNO_ASSERT(e >= 0);
            o->index[a] = e;
            o->iters |= deps[e];
        }
    }
    s->nguards = sol->nguards;
    s->guards = SYNO_NEW_ARRAY(p->arena, syno_plan_guard, sol->nguards + 1);
    if (sol->nguards) memcpy(s->guards, sol->guards, (size_t)sol->nguards * sizeof *sol->guards);
    for (int g = 0; g < s->nguards; g++) {
        syno_plan_guard *gd = &s->guards[g];
        gd->iters = deps[gd->expr];
        gd->operand = -1;
        for (int k = 0; k < nfs && gd->operand < 0; k++)
            if ((s->ops[k].iters & gd->iters) == gd->iters) gd->operand = k;
    }
    free(deps);
    s->scale = final ? pb->scale : 1.0;
    double outn = 1;
    for (int i = 0; i < s->nout; i++) outn *= (double)s->iters[i].extent;
    double flops = points * (double)(nfs - 1 + (s->niters > s->nout)) + (s->scale != 1.0 ? outn : 0);
    if (overflows(points) || overflows(flops)) {
        syno_buf_printf(err, "%s: a stage of its plan has %.3g loop points, more than this planner counts", pb->op->name,
                        points);
        return false;
    }
    s->points = (int64_t)points;
    s->flops = (int64_t)flops;
    p->flops += s->flops;
    return true;
}

/* One step of the chosen sequence, before buffers exist. */
typedef struct step {
    smove mv;
    mresult r;
    cur_factor fs[SYNO_PLAN_MAX_OPS]; /* operands; a temp made by step k has buf TEMP_TAG + k */
    int consumer;                     /* the step reading this step's temp, or -1 */
    int list[PV_MAX], n;              /* layout of this step's output */
} step;

#define TEMP_TAG 100000

static void sort_by_buf(cur_factor *fs, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && fs[j].buf < fs[j - 1].buf; j--) {
            cur_factor t = fs[j];
            fs[j] = fs[j - 1];
            fs[j - 1] = t;
        }
}

/* The layout of step K's temp: its variables ordered by the innermost
 * output iterator of the consumer that their index reads (variables read
 * only through summed iterators first), so that the consumer's gathers run
 * along unit strides, as a convolution's im2col does. */
static void choose_layout(const problem *pb, step *steps, int k, psolution *sol)
{
    step *c = &steps[steps[k].consumer];
    syno_plan_solve(pb, c->r.vs, c->list, c->n, c->mv.rs, sol, true);
    uint64_t *deps = syno_xcalloc((size_t)sol->nexprs + 1, sizeof *deps);
    for (int e = 0; e < sol->nexprs; e++) {
        const syno_pexpr *x = &sol->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: deps[e] = 1ull << x->x; break;
        case SYNO_PX_CONST: deps[e] = 0; break;
        case SYNO_PX_ADD: deps[e] = deps[x->x] | deps[x->y]; break;
        default: deps[e] = deps[x->x]; break;
        }
    }
    int rank[PV_MAX];
    step *s = &steps[k];
    s->n = 0;
    for (int v = 0; v < pb->nvars; v++) {
        if (!(s->r.open & (1ull << v))) continue;
        uint64_t d = sol->var_expr[v] >= 0 ? deps[sol->var_expr[v]] : 0;
        rank[v] = -1;
        for (int i = 0; i < c->n; i++)
            if (d & (1ull << i)) rank[v] = i;
        s->list[s->n++] = v;
    }
    for (int i = 1; i < s->n; i++) /* stable by rank */
        for (int j = i; j > 0 && rank[s->list[j]] < rank[s->list[j - 1]]; j--) {
            int t = s->list[j];
            s->list[j] = s->list[j - 1];
            s->list[j - 1] = t;
        }
    free(deps);
}

static bool assemble(syno_plan *p, search *S, const sstate *init, cur_factor *cur, int ncur, syno_buf *err)
{
    const problem *pb = S->pb;
    int cap = PF_MAX + PR_MAX + PV_MAX + 2, nsteps = 0;
    step *steps = syno_xcalloc((size_t)cap, sizeof *steps);
    /* 1. the sequence of moves */
    sstate st = *init;
    for (;;) {
        SYNO_ASSERT(nsteps < cap);
        step *s = &steps[nsteps];
        memo_ent *m = memo_find(S, &st, false);
        SYNO_ASSERT(m && m->done);
        s->mv = m->move;
        bool good = eval_move(S, &st, &s->mv, &s->r);
        SYNO_ASSERT(good);
        s->consumer = -1;
        for (int i = 0; i < s->mv.nfs; i++) {
            s->fs[i] = cur[s->mv.fs[i]];
            if (s->fs[i].buf >= TEMP_TAG) steps[s->fs[i].buf - TEMP_TAG].consumer = nsteps;
        }
        sort_by_buf(s->fs, s->mv.nfs);
        nsteps++;
        if (s->r.final) break;
        uint64_t inside = 0;
        for (int i = 0; i < s->mv.nfs; i++) inside |= 1ull << s->mv.fs[i];
        int k = 0;
        for (int i = 0; i < ncur; i++)
            if (!(inside & (1ull << i))) cur[k++] = cur[i];
        memset(&cur[k], 0, sizeof cur[k]);
        cur[k].mask = s->r.open;
        cur[k].buf = TEMP_TAG + nsteps - 1;
        ncur = k + 1;
        sort_factors(cur, ncur);
        st = s->r.next;
    }
    /* 2. layouts, from the result backwards */
    psolution sol;
    syno_plan_solution_init(&sol);
    for (int k = nsteps - 1; k >= 0; k--) {
        if (steps[k].r.final) open_list(pb, steps[k].r.open, true, steps[k].list, &steps[k].n);
        else choose_layout(pb, steps, k, &sol);
    }
    /* 3. buffers and stages */
    int *bufof = syno_xcalloc((size_t)nsteps, sizeof *bufof);
    bool ok = true;
    for (int k = 0; k < nsteps && ok; k++) {
        step *s = &steps[k];
        for (int i = 0; i < s->mv.nfs; i++) {
            cur_factor *f = &s->fs[i];
            if (f->buf < TEMP_TAG) continue;
            const step *prod = &steps[f->buf - TEMP_TAG];
            f->rank = prod->n;
            memcpy(f->vars, prod->list, (size_t)prod->n * sizeof *prod->list);
            f->buf = bufof[f->buf - TEMP_TAG];
        }
        if (s->r.final) {
            const char *name = pb->wrt == SYNO_PLAN_FORWARD
                                   ? "out"
                                   : syno_arena_printf(p->arena, "d%s", pb->op->tensors[pb->wrt].name);
            bufof[k] = add_buf(p, SYNO_PBUF_RESULT, pb->wrt, name, pb, s->list, s->n);
            p->result = bufof[k];
        } else {
            bufof[k] = add_buf(p, SYNO_PBUF_TEMP, -1, syno_arena_printf(p->arena, "t%d", k + 1), pb, s->list, s->n);
            p->temp_bytes += 4 * p->bufs[bufof[k]].numel;
        }
        ok = build_stage(p, pb, &sol, s->fs, s->mv.nfs, s->mv.rs, s->r.final, s->r.vs, s->list, s->n, bufof[k], err);
    }
    free(bufof);
    free(steps);
    syno_plan_solution_fini(&sol);
    return ok;
}

static syno_plan *build(const syno_op *op, const syno_binding *b, int wrt, bool direct, syno_buf *err);

/* Builds the plan of OP under B for WRT (see plan.h). */
syno_plan *syno_plan_build(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err)
{
    return build(op, b, wrt, false, err);
}

/* Builds the one-stage plan of OP under B for WRT (see plan.h). */
syno_plan *syno_plan_build_direct(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err)
{
    return build(op, b, wrt, true, err);
}

static syno_plan *build(const syno_op *op, const syno_binding *b, int wrt, bool direct, syno_buf *err)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    SYNO_ASSERT(wrt == SYNO_PLAN_FORWARD || (wrt >= 0 && wrt < op->ntensors));
    int64_t *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        syno_buf_printf(err, "%s: a size does not evaluate under the binding", op->name);
        free(sizes);
        return NULL;
    }
    problem *pb = syno_xmalloc(sizeof *pb);
    if (!syno_plan_problem_build(pb, op, sizes, wrt, err)) {
        free(pb);
        free(sizes);
        return NULL;
    }
    free(sizes);
    syno_plan *p = syno_xcalloc(1, sizeof *p);
    p->arena = syno_arena_new();
    p->op = op;
    p->binding = *b;
    p->wrt = wrt;
    p->result = -1;
    /* Each stage removes a factor, absorbs a relation or sums a variable. */
    p->bufs = SYNO_NEW_ARRAY(p->arena, syno_plan_buf, 2 * PF_MAX + PR_MAX + PV_MAX + 2);
    p->stages = SYNO_NEW_ARRAY(p->arena, syno_plan_stage, PF_MAX + PR_MAX + PV_MAX + 2);
    cur_factor *cur = syno_xcalloc(PF_MAX + 1, sizeof *cur);
    for (int f = 0; f < pb->nfactors; f++) {
        const pfactor *pf = &pb->factors[f];
        bool dy = wrt != SYNO_PLAN_FORWARD && f == pb->nfactors - 1;
        int t = dy ? -1 : (wrt != SYNO_PLAN_FORWARD && f >= wrt ? f + 1 : f);
        int bi = add_buf(p, dy ? SYNO_PBUF_GRAD_OUT : SYNO_PBUF_TENSOR, t, dy ? "dy" : op->tensors[t].name, pb,
                         pf->vars, pf->rank);
        SYNO_ASSERT(bi == pf->buf);
        cur[f].mask = pf->mask;
        cur[f].buf = bi;
        cur[f].rank = pf->rank;
        memcpy(cur[f].vars, pf->vars, (size_t)pf->rank * sizeof *pf->vars);
    }
    sort_factors(cur, pb->nfactors);
    sstate init;
    memset(&init, 0, sizeof init);
    init.nf = pb->nfactors;
    for (int f = 0; f < pb->nfactors; f++) init.f[f] = cur[f].mask;
    for (int r = 0; r < pb->nrels; r++) init.rels |= 1ull << r;
    search S;
    memset(&S, 0, sizeof S);
    S.pb = pb;
    syno_plan_solution_init(&S.sol);
    bool ok = true;
    if (direct) {
        if (pb->nfactors > SYNO_PLAN_MAX_OPS) {
            syno_buf_printf(err, "%s: direct evaluation would multiply %d tensors in one loop nest; a stage takes at most %d",
                            op->name, pb->nfactors, SYNO_PLAN_MAX_OPS);
            ok = false;
        } else {
            memo_ent *m = memo_find(&S, &init, true);
            m->done = true;
            m->move.nfs = init.nf;
            for (int i = 0; i < init.nf; i++) m->move.fs[i] = i;
            m->move.rs = init.rels;
        }
    } else {
        search_state(&S, &init);
    }
    p->searched = !S.greedy;
    ok = ok && assemble(p, &S, &init, cur, pb->nfactors, err);
    syno_poly fl;
    syno_op_flops(op, &fl);
    double dflops = syno_poly_eval_double(op->vars, &fl, b);
    p->direct_flops = overflows(dflops) ? INT64_MAX : (int64_t)dflops;
    syno_plan_solution_fini(&S.sol);
    free(S.memo);
    free(S.scache);
    free(cur);
    free(pb);
    if (!ok) {
        syno_plan_free(p);
        return NULL;
    }
    return p;
}

/* Frees P (see plan.h). */
void syno_plan_free(syno_plan *p)
{
    if (!p) return;
    syno_arena_free(p->arena);
    free(p);
}
