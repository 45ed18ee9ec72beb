/* rollout.c - random walks from a partial operator to a final one (see
 * algo.h), shared by the random, beam and MCTS algorithms. */
#include "search/algo.h"

#include <stdlib.h>
#include <string.h>

/* Initializes W over SP, drawing from RNG. */
void syno_walker_init(syno_walker *w, syno_space *sp, syno_rng *rng)
{
    memset(w, 0, sizeof *w);
    w->sp = sp;
    w->rng = rng;
}

/* Frees W and the finals it keeps. */
void syno_walker_fini(syno_walker *w)
{
    for (int i = 0; i < w->nfins; i++) {
        for (int k = 0; k < w->fins[i].n; k++) syno_final_free(w->fins[i].v[k]);
        free(w->fins[i].v);
    }
    free(w->fins);
    sx_memo_fini(&w->dead);
    sx_memo_fini(&w->fin_index);
    sx_memo_fini(&w->unguided);
    memset(w, 0, sizeof *w);
}

static uint64_t key(const syno_pstate *st)
{
    return (uint64_t)(uintptr_t)st;
}

static bool hard_dead(syno_walker *w, const syno_pstate *st)
{
    int32_t v;
    return sx_memo_get(&w->dead, key(st), &v);
}

/* True when ST is known to lead to no final operator the walks look for
 * now: none at all, or (while the guided space lasts) none the guide
 * admits. */
bool syno_walker_dead(syno_walker *w, const syno_pstate *st)
{
    int32_t v;
    return hard_dead(w, st) || (!w->unguided_only && sx_memo_get(&w->unguided, key(st), &v));
}

/* Marks ST dead as syno_walker_dead sees it: while the guided space
 * lasts, only for guided walks (the others may still find finals the
 * guide does not admit below it); when that is the root, the guided space
 * is spent and every walk is unguided from then on. */
void syno_walker_kill(syno_walker *w, const syno_pstate *st)
{
    if (w->unguided_only) sx_memo_put(&w->dead, key(st), 1);
    else if (st == syno_space_root(w->sp)) w->unguided_only = true;
    else sx_memo_put(&w->unguided, key(st), 1);
}

/* The finals of ST, computed once (see algo.h). */
int syno_walker_finals(syno_walker *w, const syno_pstate *st, syno_final ***out)
{
    int32_t idx;
    if (!sx_memo_get(&w->fin_index, key(st), &idx)) {
        if (w->nfins == w->capfins) {
            w->capfins = w->capfins ? 2 * w->capfins : 64;
            w->fins = syno_xrealloc(w->fins, (size_t)w->capfins * sizeof *w->fins);
        }
        idx = w->nfins++;
        w->fins[idx].n = syno_pstate_finalizable(w->sp, st) ? syno_space_finals(w->sp, st, false, &w->fins[idx].v) : 0;
        if (!w->fins[idx].n) w->fins[idx].v = NULL;
        sx_memo_put(&w->fin_index, key(st), idx);
    }
    *out = w->fins[idx].v;
    return w->fins[idx].n;
}

typedef struct walk {
    syno_walker *w;
    const syno_step **steps;
    const syno_pstate **states;
    int maxsteps, n;
    long budget;            /* states visited before giving up */
    bool near;              /* prefer children that keep the shape distance (see walk_dfs) */
    bool guide;             /* only states the guide admits (see syno_walk) */
} walk;

/* Whether the walk may take child C of a state at shape distance DIST:
 * any live child, or (ONWARD) only those that do not move away from a
 * finalizable state (shape distance at most DIST). */
static bool takes(const walk *k, const syno_child *c, int dist, bool onward)
{
    syno_walker *w = k->w;
    return !(k->guide ? syno_walker_dead(w, c->state) : hard_dead(w, c->state)) &&
           (!onward || syno_pstate_distance(w->sp, c->state) <= dist);
}

/* A randomized depth-first search: at each state choose a kind of step
 * (or finalizing) uniformly, then a step of that kind; when everything
 * below a child turns out dead, mark it and choose again among the others.
 * Dead states are remembered, so every dead subtree is explored once.
 * With K->near, seven times in eight, the choice is among the children
 * whose shape distance is not above the state's while any of them is live
 * (the others keep the walks varied): the sound distance is
 * a weak bound, most of the rest of a space can be dead ends it cannot
 * see, and a walk that moves away from a finalizable state mostly ends in
 * one (doc/performance.md); the others are taken once those are dead, so
 * every child stays reachable. */
static syno_final *walk_dfs(walk *k, const syno_pstate *st, int depth)
{
    syno_walker *w = k->w;
    if ((k->guide ? syno_walker_dead(w, st) : hard_dead(w, st)) || k->budget-- <= 0) return NULL;
    const syno_child *kids;
    int nk = k->guide ? syno_space_guided_children(w->sp, st, &kids) : syno_space_children(w->sp, st, &kids);
    syno_final **fs;
    int nfs = syno_walker_finals(w, st, &fs);
    int dist = k->near ? syno_pstate_distance(w->sp, st) : 0;
    for (;;) {
        bool near = k->near && syno_rng_below(w->rng, 8) != 0, onward = false;
        for (int i = 0; i < nk && near && !onward; i++) onward = takes(k, &kids[i], dist, true);
        int count[SYNO_STEP_COUNT] = {0}, nopt = nfs ? 1 : 0;
        for (int i = 0; i < nk; i++)
            if (takes(k, &kids[i], dist, onward) && !count[kids[i].step.kind]++) nopt++;
        if (!nopt) {
            /* dead, or (guided) nothing the guide admits is left below */
            if (k->guide) syno_walker_kill(w, st);
            else sx_memo_put(&w->dead, key(st), 1);
            return NULL;
        }
        int pick = (int)syno_rng_below(w->rng, (uint64_t)nopt);
        if (nfs && pick == 0) return fs[syno_rng_below(w->rng, (uint64_t)nfs)];
        pick -= nfs ? 1 : 0;
        int kind = 0;
        for (; kind < SYNO_STEP_COUNT; kind++)
            if (count[kind] && pick-- == 0) break;
        int which = (int)syno_rng_below(w->rng, (uint64_t)count[kind]);
        const syno_child *c = NULL;
        for (int i = 0; i < nk; i++)
            if (kids[i].step.kind == (syno_step_kind)kind && takes(k, &kids[i], dist, onward) && which-- == 0) {
                c = &kids[i];
                break;
            }
        if (depth < k->maxsteps) {
            if (k->steps) k->steps[depth] = &c->step;
            if (k->states) k->states[depth] = c->state;
        }
        syno_final *f = walk_dfs(k, c->state, depth + 1);
        if (f) {
            if (depth + 1 > k->n) k->n = depth + 1 <= k->maxsteps ? depth + 1 : k->maxsteps;
            return f;
        }
        if (k->budget <= 0) return NULL;
    }
}

/* A random final below FROM (see algo.h): NULL when there is none (FROM
 * is then dead) or when TRIES thousand states were visited without one.
 *
 * The shape distance is a bound: it sees none of the dead ends that the
 * canonical rules make of much of a space (doc/performance.md), and a walk
 * through all it admits mostly ends in one.  So GUIDE_OFF - 1 walks in
 * GUIDE_OFF are guided: they take only states the guide admits
 * (syno_space_guided_children: the usual shapes), where finals are near at
 * any depth, and what they exhaust is dead to them and to the algorithms
 * (syno_walker_kill) until the guided space is spent.  The others walk
 * through everything, so every final stays reachable.  With W->near
 * (random sampling when the FLOPs window has no floor: every final counts)
 * those walks head for the nearest finals, restarting from FROM with a
 * doubling budget (RESTART_FIRST states first): one early choice would
 * otherwise spend the whole budget in a dead subtree.  Otherwise (with a
 * floor the nearest finals are mostly too cheap; MCTS's rollouts must keep
 * finding new finals) the walk is one search with the whole budget.  What
 * each try found dead stays marked, and the last try may take all that is
 * left, so a walk still explores everything below FROM when it has the
 * budget. */
#define GUIDE_OFF 16
#define RESTART_FIRST 8
syno_final *syno_walk(syno_walker *w, const syno_pstate *from, int tries, const syno_step **steps,
                      const syno_pstate **states, int maxsteps, int *nsteps)
{
    long total = 1000L * (tries > 0 ? tries : 1);
    syno_final *f = NULL;
    walk k = {w, steps, states, maxsteps, 0, total, false, false};
    if (!w->unguided_only && syno_rng_below(w->rng, GUIDE_OFF) != 0) {
        k.guide = true;
        f = walk_dfs(&k, from, 0);
        *nsteps = f ? k.n : 0;
        return f;
    }
    k.near = w->near;
    for (long chunk = k.near ? RESTART_FIRST : total; !f && total > 0 && !hard_dead(w, from); chunk *= 2) {
        k.n = 0;
        k.budget = chunk < total ? chunk : total;
        total -= k.budget;
        f = walk_dfs(&k, from, 0);
        total += k.budget > 0 ? k.budget : 0; /* what the try did not use */
    }
    *nsteps = f ? k.n : 0;
    return f;
}

/* The steps as one line of text (a new string). */
char *syno_path_text(syno_space *sp, const syno_step *const *steps, int n)
{
    syno_buf b = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) {
        if (i) syno_buf_puts(&b, "; ");
        syno_space_describe_step(sp, steps[i], &b);
    }
    if (!n) syno_buf_puts(&b, "");
    return syno_buf_take(&b);
}

/* The algorithm named by A. */
const syno_algo_ops *syno_algo_get(syno_algorithm a)
{
    switch (a) {
    case SYNO_ALG_MCTS: return &syno_algo_mcts;
    case SYNO_ALG_RANDOM: return &syno_algo_random;
    case SYNO_ALG_BEAM: return &syno_algo_beam;
    case SYNO_ALG_EXHAUSTIVE: return &syno_algo_exhaustive;
    case SYNO_ALG_COUNT: break;
    }
    SYNO_UNREACHABLE();
}
