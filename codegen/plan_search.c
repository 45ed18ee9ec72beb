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
 * states are finished greedily, so planning always terminates quickly.
 *
 * Two cheaper searches over the same moves answer the synthesis' question
 * "is the plan within a FLOPs window?" without the full one: the search cut
 * short after fewer moves (an upper bound of the full search's FLOPs), and
 * a branch and bound that finds the least FLOPs up to a cap, skipping every
 * move whose stage alone (or with the stages before) already costs more
 * than the cap or than a sequence found before (a lower bound of them). */
#include "base/hash.h"
#include "codegen/plan_int.h"

#include <math.h>
#include <pthread.h>
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
    uint64_t hash;      /* state_hash(&key): probes compare it first, growth reuses it */
    uint32_t gen;       /* the search's generation when filled (an older one: an empty slot) */
    bool done;
    bool over;          /* (pl_search_min_flops) every sequence from here costs more than `nofit` */
    double nofit;
    double floor;       /* (pl_search_min_flops) and at least `floor` (0 until searched) */
    pl_state key;
    pl_cost best;
    pl_move move;
} memo_ent;

typedef struct solve_ent {
    uint32_t gen;       /* the search's problem generation when filled (an older one: an empty slot) */
    uint64_t vs, open, rs;
    double points;
    int nfree;
} solve_ent;

struct pl_search {
    const pl_problem *pb;
    memo_ent *memo;
    size_t memo_cap, memo_n;
    uint32_t gen;         /* memo slots of this generation are in use (pl_search_restart) */
    solve_ent *scache;
    size_t scache_cap, scache_n;
    uint32_t sgen;        /* scache slots of this generation are in use (one per problem) */
    pl_search *next;      /* in the thread's cache of searches to reuse */
    long moves, budget;
    bool greedy, aborted;
    int depth;            /* states being searched (1: the first one) */
    double stop_at;       /* pl_search_bounded_flops: stops once the first state has a sequence this cheap */
    bool stopped;
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
            if (old[i].gen != S->gen) continue;
            size_t j = old[i].hash & (ncap - 1);
            while (S->memo[j].gen == S->gen) j = (j + 1) & (ncap - 1);
            S->memo[j] = old[i];
        }
        free(old);
    }
    if (!S->memo_cap) return NULL;
    uint64_t h = state_hash(st);
    size_t j = h & (S->memo_cap - 1);
    while (S->memo[j].gen == S->gen) {
        if (S->memo[j].hash == h && state_eq(&S->memo[j].key, st)) return &S->memo[j];
        j = (j + 1) & (S->memo_cap - 1);
    }
    if (!insert) return NULL;
    memset(&S->memo[j], 0, sizeof S->memo[j]); /* a slot of an older generation */
    S->memo[j].gen = S->gen;
    S->memo[j].hash = h;
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
    for (; open; open &= open - 1) list[(*n)++] = __builtin_ctzll(open);
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
            if (old[i].gen != S->sgen) continue;
            size_t j = syno_hash_mix(syno_hash_mix(old[i].vs ^ syno_hash_mix(old[i].open)) ^ old[i].rs) & (ncap - 1);
            while (S->scache[j].gen == S->sgen) j = (j + 1) & (ncap - 1);
            S->scache[j] = old[i];
        }
        free(old);
    }
    size_t j = syno_hash_mix(syno_hash_mix(vs ^ syno_hash_mix(open)) ^ rs) & (S->scache_cap - 1);
    while (S->scache[j].gen == S->sgen) {
        solve_ent *e = &S->scache[j];
        if (e->vs == vs && e->open == open && e->rs == rs) return e;
        j = (j + 1) & (S->scache_cap - 1);
    }
    int list[PL_MAX_VARS], n;
    pl_open_list(S->pb, open, final, list, &n);
    pl_solve(S->pb, vs, list, n, rs, &S->sol, false);
    solve_ent *e = &S->scache[j];
    e->gen = S->sgen;
    e->vs = vs;
    e->open = open;
    e->rs = rs;
    e->points = S->sol.points;
    e->nfree = S->sol.niters - n;
    S->scache_n++;
    return e;
}

/* The variables of move MV from ST (R's final, vs and open); false when the
 * move is not tried (see the file comment). */
static bool move_vars(const pl_problem *pb, const pl_state *st, const pl_move *mv, pl_result *r)
{
    uint64_t fvars = 0, other = 0, inside = 0;
    for (int i = 0; i < mv->nfs; i++) inside |= 1ull << mv->fs[i];
    for (int i = 0; i < st->nf; i++) {
        if (inside & (1ull << i)) fvars |= st->f[i];
        else other |= st->f[i];
    }
    uint64_t rvars = pl_rels_vars(pb, mv->rs);
    uint64_t left = st->rels & ~mv->rs;
    r->final = mv->nfs == st->nf && left == 0;
    uint64_t vs = fvars | rvars;
    if (r->final) vs |= pb->outmask;
    uint64_t keep = pb->outmask | other | pl_rels_vars(pb, left);
    uint64_t open = vs & keep, elim = vs & ~keep;
    if (!r->final) {
        if (mv->nfs == 1 && !elim) return false;
        for (uint64_t rs = mv->rs; rs; rs &= rs - 1)
            if (!(pb->rels[__builtin_ctzll(rs)].vars & elim)) return false;
    }
    r->vs = vs;
    r->open = open;
    return true;
}

/* The product of the extents of the variables in MASK, multiplied in
 * index order from START (so that every caller gets the same double). */
static double ext_product(const pl_problem *pb, uint64_t mask, double start)
{
    for (; mask; mask &= mask - 1) start *= (double)pb->vars[__builtin_ctzll(mask)].ext;
    return start;
}

/* A lower bound of the FLOPs of move MV's stage (R filled by move_vars)
 * before solving it: it iterates at least over its output points and the
 * variables no relation it absorbs is over (summed in every choice of
 * pl_solve's), and multiplies nfs - 1 times at each, adding too when it
 * sums (a little below the product pl_solve computes, whatever the order
 * it multiplies in). */
static double stage_least(const pl_problem *pb, const pl_move *mv, const pl_result *r)
{
    uint64_t forced = r->vs & ~r->open & ~pl_rels_vars(pb, mv->rs);
    if (mv->nfs == 1 && !forced) return 0;
    return ext_product(pb, r->open | forced, 1) * (double)(mv->nfs - 1 + (forced != 0)) * (1 - 1e-12);
}

/* The FLOPs of move MV from ST in R->c.flops (R filled by move_vars first),
 * counted as one move: all the branch and bound needs to prune it. */
static void move_flops(pl_search *S, const pl_move *mv, pl_result *r)
{
    const pl_problem *pb = S->pb;
    S->moves++;
    const solve_ent *e = solve_cached(S, r->vs, r->open, mv->rs, r->final);
    r->c.flops = e->points * (double)(mv->nfs - 1 + (e->nfree > 0));
    if (r->final && pb->has_scale) {
        double n = 1;
        for (int i = 0; i < pb->nout; i++) n *= (double)pb->vars[pb->outv[i]].ext;
        r->c.flops += n;
    }
}

/* The state after move MV from ST in R->next (R filled by move_vars). */
static void move_next(const pl_state *st, const pl_move *mv, pl_result *r)
{
    uint64_t inside = 0;
    for (int i = 0; i < mv->nfs; i++) inside |= 1ull << mv->fs[i];
    r->next.nf = 0;
    for (int i = 0; i < st->nf; i++)
        if (!(inside & (1ull << i))) r->next.f[r->next.nf++] = st->f[i];
    r->next.f[r->next.nf++] = r->open;
    r->next.rels = st->rels & ~mv->rs;
    state_sort(&r->next);
}

/* The cost of move MV from ST and the state after it, in R (filled by
 * move_vars first). */
static void move_cost(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r)
{
    move_flops(S, mv, r);
    r->c.bytes = r->final ? 0 : ext_product(S->pb, r->open, 4);
    r->c.stages = 1;
    move_next(st, mv, r);
}

static bool eval_move(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r)
{
    if (!move_vars(S->pb, st, mv, r)) return false;
    move_cost(S, st, mv, r);
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
    /* the least fixed point, whatever order the relations are taken in */
    uint64_t taken = 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (uint64_t t = st->rels & ~taken; t; t &= t - 1) {
            int i = __builtin_ctzll(t);
            if (!(pb->rels[i].vars & reach)) continue;
            taken |= 1ull << i;
            reach |= pb->rels[i].vars & ~other;
            changed = true;
        }
    }
    int n = 0;
    for (; taken && n < CAND_MAX; taken &= taken - 1) cand[n++] = __builtin_ctzll(taken);
    return n;
}

static pl_cost search_state(pl_search *S, const pl_state *st);

/* What is done with each move MV of a state ST the search tries (R: the
 * move's variables, from move_vars): search_state's try_move, or
 * pl_search_min_flops' bb_move. */
typedef void move_fn(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r, void *ctx);

/* The moves over MV's factors with every subset of the relations they may
 * absorb, as move_vars would filter them (never the final move: every
 * relation with every factor), but computed once for the factors. */
static void each_subset(pl_search *S, const pl_state *st, pl_move *mv, move_fn *fn, void *ctx)
{
    const pl_problem *pb = S->pb;
    int cand[CAND_MAX];
    int nc = candidates(pb, st, mv, cand);
    uint64_t inside = 0, fvars = 0, other = 0, cmask = 0, cv[CAND_MAX];
    for (int i = 0; i < mv->nfs; i++) inside |= 1ull << mv->fs[i];
    for (int i = 0; i < st->nf; i++) {
        if (inside & (1ull << i)) fvars |= st->f[i];
        else other |= st->f[i];
    }
    for (int i = 0; i < nc; i++) {
        cv[i] = pb->rels[cand[i]].vars;
        cmask |= 1ull << cand[i];
    }
    /* what the relations left after the move need kept: the candidates not
     * taken (rv[full ^ bits]) and every other relation left */
    uint64_t keep0 = pb->outmask | other | pl_rels_vars(pb, st->rels & ~cmask);
    /* rv[bits], rs[bits]: the variables and the relations of the
     * candidates in bits */
    uint64_t rv[1u << CAND_MAX], rs[1u << CAND_MAX];
    uint32_t full = (1u << nc) - 1;
    rv[0] = rs[0] = 0;
    for (uint32_t bits = 1; bits <= full; bits++) {
        int i = __builtin_ctz(bits);
        rv[bits] = rv[bits & (bits - 1)] | cv[i];
        rs[bits] = rs[bits & (bits - 1)] | 1ull << cand[i];
    }
    /* the final move (every factor, every relation) is tried separately */
    uint32_t final_bits = mv->nfs == st->nf && rs[full] == st->rels ? full : full + 1;
    for (uint32_t bits = 0; bits <= full; bits++) {
        if (bits == final_bits) continue;
        mv->rs = rs[bits];
        uint64_t vs = fvars | rv[bits], keep = keep0 | rv[full ^ bits];
        uint64_t elim = vs & ~keep;
        if (mv->nfs == 1 && !elim) continue;
        bool sums = true; /* each relation absorbed sums one of its variables */
        for (uint32_t b = bits; b && sums; b &= b - 1) sums = (cv[__builtin_ctz(b)] & elim) != 0;
        if (!sums) continue;
        pl_result r;
        r.final = false;
        r.vs = vs;
        r.open = vs & keep;
        fn(S, st, mv, &r, ctx);
    }
}

/* Calls FN on every move of ST the search tries, in its fixed order: the
 * final move first (a one-stage finish when at most 3 factors remain), then
 * every 1-3 factors with every subset of the relations they may absorb. */
/* Calls FN on the one-stage finish of ST (every factor and relation left)
 * when at most SYNO_PLAN_MAX_OPS factors remain; false when too many do. */
static bool finish_move(pl_search *S, const pl_state *st, move_fn *fn, void *ctx)
{
    if (st->nf > SYNO_PLAN_MAX_OPS) return false;
    pl_move mv;
    memset(&mv, 0, sizeof mv);
    mv.nfs = st->nf;
    for (int i = 0; i < st->nf; i++) mv.fs[i] = i;
    mv.rs = st->rels;
    pl_result r;
    if (move_vars(S->pb, st, &mv, &r)) fn(S, st, &mv, &r, ctx);
    return true;
}

static void each_move(pl_search *S, const pl_state *st, move_fn *fn, void *ctx)
{
    finish_move(S, st, fn, ctx);
    pl_move mv;
    memset(&mv, 0, sizeof mv);
    for (int a = 0; a < st->nf; a++) {
        mv.nfs = 1;
        mv.fs[0] = a;
        each_subset(S, st, &mv, fn, ctx);
        for (int b = a + 1; b < st->nf; b++) {
            mv.nfs = 2;
            mv.fs[1] = b;
            each_subset(S, st, &mv, fn, ctx);
            for (int c = b + 1; c < st->nf; c++) {
                mv.nfs = 3;
                mv.fs[2] = c;
                each_subset(S, st, &mv, fn, ctx);
            }
            mv.nfs = 2;
        }
    }
}

typedef struct best_move {
    pl_cost best;
    pl_move move;
} best_move;

static void try_move(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r, void *ctx)
{
    best_move *bm = ctx;
    if (S->stopped) return;
    /* a search with no budget that only asks for a sequence within stop_at
     * skips the first state's moves whose stage alone costs more
     * (pl_search_bounded_flops) */
    bool skip = S->depth == 1 && !S->budget && S->stop_at > -INFINITY;
    if (skip && mv->nfs > 1 && ext_product(S->pb, r->open, 1) * (double)(mv->nfs - 1) > S->stop_at) return;
    move_cost(S, st, mv, r);
    if (skip && r->c.flops > S->stop_at) return;
    pl_cost c = r->c;
    if (!r->final) {
        pl_cost sub = search_state(S, &r->next);
        c.flops += sub.flops;
        c.bytes += sub.bytes;
        c.stages += sub.stages;
    }
    if (cost_less(c, bm->best)) {
        bm->best = c;
        bm->move = *mv;
        if (S->depth == 1 && c.flops <= S->stop_at) S->stopped = true;
    }
}

/* Greedy moves for when the budget is spent: finish in one stage when at
 * most three factors are left, else contract the pair that shares the
 * most variables. */
static void greedy_moves(pl_search *S, const pl_state *st, best_move *bm)
{
    if (finish_move(S, st, try_move, bm)) return;
    pl_move mv;
    memset(&mv, 0, sizeof mv);
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
    pl_result r;
    if (move_vars(S->pb, st, &mv, &r)) try_move(S, st, &mv, &r, bm);
}

static pl_cost search_state(pl_search *S, const pl_state *st)
{
    memo_ent *m = memo_find(S, st, true);
    if (m->done) return m->best;
    best_move bm = {{INFINITY, INFINITY, 1 << 30}, {{0}, 0, 0}};
    if (S->moves > S->budget) S->greedy = true;
    S->depth++;
    if (S->greedy) {
        greedy_moves(S, st, &bm);
    } else {
        each_move(S, st, try_move, &bm);
        if (isinf(bm.best.flops)) greedy_moves(S, st, &bm);
    }
    S->depth--;
    /* only the first state of a search with no budget and a stop_at skips moves, maybe all */
    SYNO_ASSERT(!isinf(bm.best.flops) || (!S->depth && !S->budget && S->stop_at > -INFINITY));
    m = memo_find(S, st, false); /* the table may have moved */
    m->done = true;
    m->best = bm.best;
    m->move = bm.move;
    return bm.best;
}

/* ---- branch and bound: the least FLOPs up to a cap ------------------------------- */

typedef struct bb_frame {
    double cap;   /* what a sequence from the state may cost at most */
    double best;  /* the least cost found so far (INFINITY: none within cap) */
    double floor; /* the least of the moves' lower bounds (see bb_state) */
} bb_frame;

static double bb_state(pl_search *S, const pl_state *st, double cap, double *floor);

/* Records that every sequence through a move of FR's state costs at least F. */
static void bb_floor(bb_frame *fr, double f)
{
    if (f < fr->floor) fr->floor = f;
}

static void bb_move(pl_search *S, const pl_state *st, const pl_move *mv, pl_result *r, void *ctx)
{
    bb_frame *fr = ctx;
    if (S->aborted) return;
    double lim = fr->best < fr->cap ? fr->best : fr->cap;
    double least = stage_least(S->pb, mv, r);
    if (least > lim) {
        bb_floor(fr, least);
        return;
    }
    if (S->moves >= S->budget) {
        S->aborted = true;
        return;
    }
    /* the state after the move is only built for a move within the limit */
    move_flops(S, mv, r);
    double c = r->c.flops;
    if (c <= lim && !r->final) {
        double rest;
        move_next(st, mv, r);
        double sub = bb_state(S, &r->next, lim - c, &rest);
        if (S->aborted) return;
        bb_floor(fr, c + rest); /* the stages after cost at least rest */
        c += sub;
    } else {
        bb_floor(fr, c); /* the stages after cost nothing less than 0 */
    }
    if (c <= lim && c < fr->best) fr->best = c;
}

/* The least cost of a sequence from ST when it is at most CAP, else
 * INFINITY; in *FLOOR, a cost every sequence from ST reaches.  Every move
 * pruned costs (with what follows) more than the cap or more than a
 * sequence already found, so what is found is the least; memoised as the
 * exact least cost, or as a cap every sequence exceeds.  The floor is the
 * least, over the moves, of a lower bound of the sequences through each:
 * the bound that pruned it before solving, its stage's FLOPs when the
 * stage alone passed the limit (or ends the sequence), else its stage's
 * FLOPs plus the floor of the state after it (by induction on the
 * factors and relations left, each is a lower bound, and every sequence
 * from ST starts with one of these moves); memoised too, it lets a later
 * visit with a cap below it return at once even when the cap passes the
 * one searched. */
static double bb_state(pl_search *S, const pl_state *st, double cap, double *floor)
{
    memo_ent *m = memo_find(S, st, true);
    if (m->done) {
        *floor = m->best.flops;
        return m->best.flops <= cap ? m->best.flops : INFINITY;
    }
    *floor = m->floor;
    if (m->over && (cap <= m->nofit || cap < m->floor)) return INFINITY;
    bb_frame fr = {cap, INFINITY, INFINITY};
    each_move(S, st, bb_move, &fr);
    if (S->aborted) return INFINITY;
    m = memo_find(S, st, false); /* the table may have moved */
    if (fr.best <= cap) {
        m->done = true;
        m->best.flops = fr.best;
        *floor = fr.best;
        return fr.best;
    }
    if (!m->over || cap > m->nofit) m->nofit = cap;
    m->over = true;
    if (fr.floor > m->floor) m->floor = fr.floor;
    *floor = m->floor;
    return fr.best;
}


/* ---- the interface of plan_int.h ------------------------------------------------ */

/* Searches are made for every final operator the synthesis measures, so
 * each thread keeps a few freed ones and reuses their tables (emptied by a
 * new generation, not by clearing them): CACHED searches at most, and only
 * tables small enough that a small problem still finds its slots close. */
#define CACHED 4
#define CACHED_SLOTS 8192

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void search_destroy(pl_search *S)
{
    pl_solution_fini(&S->sol);
    free(S->memo);
    free(S->scache);
    free(S);
}

static void cache_free(void *head)
{
    for (pl_search *S = head, *next; S; S = next) {
        next = S->next;
        search_destroy(S);
    }
}

static void cache_init(void)
{
    SYNO_ASSERT(pthread_key_create(&cache_key, cache_free) == 0);
}

/* The generation after GEN for the N slots of SIZE bytes of TABLE (0
 * marks a slot of none): the slots are cleared only when it wraps. */
static uint32_t next_gen(uint32_t gen, void *table, size_t n, size_t size)
{
    if (++gen) return gen;
    if (n) memset(table, 0, n * size);
    return 1;
}

/* A search over PB's stage sequences (PB borrowed). */
pl_search *pl_search_new(const pl_problem *pb)
{
    pthread_once(&cache_once, cache_init);
    pl_search *S = pthread_getspecific(cache_key);
    if (S) {
        pthread_setspecific(cache_key, S->next);
        S->sgen = next_gen(S->sgen, S->scache, S->scache_cap, sizeof *S->scache);
        S->scache_n = 0;
        S->gen = next_gen(S->gen, S->memo, S->memo_cap, sizeof *S->memo);
        S->memo_n = 0;
        S->moves = 0;
        S->greedy = S->aborted = S->stopped = false;
        S->depth = 0;
    } else {
        S = syno_xcalloc(1, sizeof *S);
        S->gen = S->sgen = 1;
        pl_solution_init(&S->sol);
    }
    S->pb = pb;
    S->next = NULL;
    S->budget = MOVE_BUDGET;
    S->stop_at = -INFINITY;
    return S;
}

/* Forgets S's searches (see plan_int.h). */
void pl_search_restart(pl_search *S)
{
    S->gen = next_gen(S->gen, S->memo, S->memo_cap, sizeof *S->memo);
    S->memo_n = 0;
    S->moves = 0;
    S->budget = MOVE_BUDGET;
    S->greedy = S->aborted = S->stopped = false;
    S->stop_at = -INFINITY;
}

/* Frees S. */
void pl_search_free(pl_search *S)
{
    if (!S) return;
    pthread_once(&cache_once, cache_init);
    pl_search *head = pthread_getspecific(cache_key);
    int n = 0;
    for (pl_search *c = head; c; c = c->next) n++;
    if (n >= CACHED || S->memo_cap > CACHED_SLOTS || S->scache_cap > CACHED_SLOTS) {
        search_destroy(S);
        return;
    }
    S->next = head;
    pthread_setspecific(cache_key, S);
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
 * every state is never above this one's.  Stopped early at STOP_AT, the
 * search up to there is the same, and the first state's FLOPs are those of
 * one of its moves, each of which the full search takes or beats.  With no
 * budget, every state after the first takes greedy_moves' sequence, whose
 * cost is never below the full search's (by the same induction: the full
 * search takes that sequence or tries every move of the state), so any
 * of the first state's moves may be left out without breaking the bound
 * (the full search enters the first state before any budget is spent and
 * tries them all): with STOP_AT, those whose stage alone costs more, which
 * cannot find a sequence within it, are skipped, and when every move is,
 * the answer is INFINITY (an upper bound too).  With a budget, skipping
 * would let later states be searched fully where the full search is
 * already greedy, so nothing is skipped. */
double pl_search_bounded_flops(pl_search *S, const pl_state *init, long budget, double stop_at)
{
    S->budget = budget;
    S->stop_at = stop_at;
    S->stopped = false;
    double f = search_state(S, init).flops;
    S->stop_at = -INFINITY;
    S->stopped = false;
    return f;
}

/* The least FLOPs of the sequences from INIT (see plan_int.h). */
double pl_search_min_flops(pl_search *S, const pl_state *init, double cap, long budget)
{
    S->budget = budget;
    S->aborted = false;
    double floor;
    double f = bb_state(S, init, cap, &floor);
    return S->aborted ? -1 : f;
}

/* True when the work bound was hit and part of the sequence is greedy. */
bool pl_search_greedy(const pl_search *S)
{
    return S->greedy;
}
