/* plan_search.c - the FLOPs game: the search for the cheapest sequence of
 * stages (see plan.h, and plan_int.h for the problem it searches).
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
#include "base/hash.h"
#include "codegen/plan_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MOVE_BUDGET 20000L
#define CAND_MAX 10


static bool cost_less(pl_cost a, pl_cost b)
{
    if (a.flops != b.flops) return a.flops < b.flops;
    if (a.bytes != b.bytes) return a.bytes < b.bytes;
    return a.stages < b.stages;
}



typedef struct memo_ent {
    bool used, done;
    pl_state key;
    pl_cost best;
    pl_move move;
} memo_ent;

typedef struct solve_ent {
    bool used;
    uint64_t vs, open, rs;
    double points;
    int nfree;
} solve_ent;

struct pl_search {
    const pl_problem *pb;
    memo_ent *memo;
    size_t memo_cap, memo_n;
    solve_ent *scache;
    size_t scache_cap, scache_n;
    long moves, budget;
    bool greedy;
    pl_solution sol;
};

/* ---- hashing ------------------------------------------------------------- */

static uint64_t state_hash(const pl_state *s)
{
    uint64_t h = syno_hash_mix((uint64_t)s->nf ^ syno_hash_mix(s->rels));
    for (int i = 0; i < s->nf; i++) h = syno_hash_mix(h ^ s->f[i]);
    return h;
}

static bool state_eq(const pl_state *a, const pl_state *b)
{
    if (a->nf != b->nf || a->rels != b->rels) return false;
    for (int i = 0; i < a->nf; i++)
        if (a->f[i] != b->f[i]) return false;
    return true;
}

static memo_ent *memo_find(pl_search *S, const pl_state *st, bool insert)
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

static void state_sort(pl_state *s)
{
    for (int i = 1; i < s->nf; i++)
        for (int j = i; j > 0 && s->f[j] < s->f[j - 1]; j--) {
            uint64_t t = s->f[j];
            s->f[j] = s->f[j - 1];
            s->f[j - 1] = t;
        }
}

/* ---- evaluating a move ------------------------------------------------------ */


static uint64_t vars_of_rels(const pl_problem *pb, uint64_t rs)
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

/* The output variables of a stage: the result's axes in order for the last
 * stage, else the open variables in index order (see pl_search_*). */
void pl_open_list(const pl_problem *pb, uint64_t open, bool final, int *list, int *n)
{
    *n = 0;
    if (final) {
        for (int i = 0; i < pb->nout; i++) list[(*n)++] = pb->outv[i];
        return;
    }
    for (int v = 0; v < pb->nvars; v++)
        if (open & (1ull << v)) list[(*n)++] = v;
}

static const solve_ent *solve_cached(pl_search *S, uint64_t vs, uint64_t open, uint64_t rs, bool final)
{
    if (2 * (S->scache_n + 1) > S->scache_cap) {
        size_t ncap = S->scache_cap ? 2 * S->scache_cap : 1024;
        solve_ent *old = S->scache;
        size_t ocap = S->scache_cap;
        S->scache = syno_xcalloc(ncap, sizeof *S->scache);
        S->scache_cap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].used) continue;
            size_t j = syno_hash_mix(syno_hash_mix(old[i].vs ^ syno_hash_mix(old[i].open)) ^ old[i].rs) & (ncap - 1);
            while (S->scache[j].used) j = (j + 1) & (ncap - 1);
            S->scache[j] = old[i];
        }
        free(old);
    }
    size_t j = syno_hash_mix(syno_hash_mix(vs ^ syno_hash_mix(open)) ^ rs) & (S->scache_cap - 1);
    while (S->scache[j].used) {
        solve_ent *e = &S->scache[j];
        if (e->vs == vs && e->open == open && e->rs == rs) return e;
        j = (j + 1) & (S->scache_cap - 1);
    }
    int list[PL_MAX_VARS], n;
    pl_open_list(S->pb, open, final, list, &n);
    pl_solve(S->pb, vs, list, n, rs, &S->sol, false);
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

static bool eval_move(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r)
{
    const pl_problem *pb = S->pb;
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
static int candidates(const pl_problem *pb, const pl_state *st, const pl_move *mv, int *cand)
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

static pl_cost search_state(pl_search *S, const pl_state *st);

static void try_move(pl_search *S, const pl_state *st, const pl_move *mv, pl_cost *best, pl_move *bestmv)
{
    pl_result r;
    if (!eval_move(S, st, mv, &r)) return;
    pl_cost c = r.c;
    if (!r.final) {
        pl_cost sub = search_state(S, &r.next);
        c.flops += sub.flops;
        c.bytes += sub.bytes;
        c.stages += sub.stages;
    }
    if (cost_less(c, *best)) {
        *best = c;
        *bestmv = *mv;
    }
}

static void try_subsets(pl_search *S, const pl_state *st, pl_move *mv, pl_cost *best, pl_move *bestmv)
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
static void greedy_moves(pl_search *S, const pl_state *st, pl_cost *best, pl_move *bestmv)
{
    pl_move mv;
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

static pl_cost search_state(pl_search *S, const pl_state *st)
{
    memo_ent *m = memo_find(S, st, true);
    if (m->done) return m->best;
    pl_cost best = {INFINITY, INFINITY, 1 << 30};
    pl_move bestmv;
    memset(&bestmv, 0, sizeof bestmv);
    if (S->moves > S->budget) S->greedy = true;
    if (S->greedy) {
        greedy_moves(S, st, &best, &bestmv);
    } else {
        pl_move mv;
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


/* ---- the interface of plan_int.h ------------------------------------------------ */

/* A search over PB's stage sequences (PB borrowed). */
pl_search *pl_search_new(const pl_problem *pb)
{
    pl_search *S = syno_xcalloc(1, sizeof *S);
    S->pb = pb;
    S->budget = MOVE_BUDGET;
    pl_solution_init(&S->sol);
    return S;
}

/* Frees S. */
void pl_search_free(pl_search *S)
{
    pl_solution_fini(&S->sol);
    free(S->memo);
    free(S->scache);
    free(S);
}

/* Finds the best stage sequence from INIT (a state with sorted factors). */
void pl_search_run(pl_search *S, const pl_state *init)
{
    search_state(S, init);
}

/* Makes MV the only move from INIT, without searching (direct plans). */
void pl_search_force(pl_search *S, const pl_state *init, const pl_move *mv)
{
    memo_ent *m = memo_find(S, init, true);
    m->done = true;
    m->move = *mv;
}

/* The chosen move from state ST (searched or forced before) in MV, and its
 * evaluation in R.  False when ST was never reached. */
bool pl_search_next(pl_search *S, const pl_state *st, pl_move *mv, pl_result *r)
{
    memo_ent *m = memo_find(S, st, false);
    if (!m || !m->done) return false;
    *mv = m->move;
    return eval_move(S, st, mv, r);
}

/* The FLOPs of a search from INIT cut short after BUDGET moves (see
 * plan_int.h).  The search tries moves in the same order whatever its
 * budget, a state entered after the budget takes greedy_moves' move (one
 * the full search also tries), and a state entered before tries all its
 * moves; so, by induction on the factors left, the full search's cost of
 * every state is never above this one's. */
double pl_search_bounded_flops(pl_search *S, const pl_state *init, long budget)
{
    S->budget = budget;
    return search_state(S, init).flops;
}

/* True when the work bound was hit and part of the sequence is greedy. */
bool pl_search_greedy(const pl_search *S)
{
    return S->greedy;
}
