/* algo_exhaustive.c - exhaustive enumeration of a synthesis space,
 * breadth-first by depth.
 *
 * A state's depth is a function of the state (its number of primitives),
 * so merging equal states one depth at a time is exact, and only two
 * layers of states are ever held in memory.  Every state is finalized; the
 * finals are deduplicated by canonical hash across the whole run. */
#include "base/clock.h"
#include "search/algo.h"
#include "search/search.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct layer_ctx {
    sx_set *next;
    pthread_mutex_t *lock;  /* when several threads fill NEXT */
} layer_ctx;

static void emit_next(syno_space *sp, void *ctx, const syno_pstate *child, const syno_step *step)
{
    (void)step;
    layer_ctx *lc = ctx;
    bool added;
    if (lc->lock) pthread_mutex_lock(lc->lock);
    sx_set_intern(lc->next, child, &added);
    if (lc->lock) pthread_mutex_unlock(lc->lock);
    if (added) sx_loc(sp)->stats.states++;
    else sx_loc(sp)->stats.merged++;
}

/* Loads what interning CHILD into the next layer reads (one thread only:
 * with several, the set changes under the lock). */
static void hint_next(void *ctx, const syno_pstate *child, int stage)
{
    layer_ctx *lc = ctx;
    sx_set_prefetch(lc->next, child->hash, stage);
}

/* Slots of the current layer a thread takes at a time: states differ
 * widely in cost (a final's plan searches), so threads take work as they
 * go instead of fixed shares. */
#define SLOTS_PER_TAKE 32

typedef struct worker {
    syno_space *sp;
    sx_set *cur, *next;
    size_t *taken;           /* slots of CUR handed out so far (shared) */
    int n;
    sx_local local;          /* this thread's counters and caches (kept across depths) */
    syno_final_fn on_final;
    void *ctx;
    pthread_mutex_t *lock;   /* NEXT and the callback */
} worker;

/* Starts loading the next state of CUR's slots FROM..END into the cache:
 * states sit in the arena in the order they were made, not in the order
 * of the slots, so each would otherwise be a wait on memory. */
static void prefetch_next(const sx_set *cur, size_t from, size_t end)
{
    for (size_t j = from; j < end; j++)
        if (cur->slot[j]) {
            __builtin_prefetch(cur->slot[j]);
            return;
        }
}

/* Finalizes and expands the states of CUR, SLOTS_PER_TAKE slots at a
 * time until none is left. */
static void *work(void *arg)
{
    worker *w = arg;
    syno_space *sp = w->sp;
    if (w->n > 1) sx_tl = &w->local;
    layer_ctx lc = {w->next, w->n > 1 ? w->lock : NULL};
    for (size_t i = 0, end = 0;; i++) {
        if (i == end) {
            i = __atomic_fetch_add(w->taken, SLOTS_PER_TAKE, __ATOMIC_RELAXED);
            if (i >= w->cur->cap) break;
            end = i + SLOTS_PER_TAKE < w->cur->cap ? i + SLOTS_PER_TAKE : w->cur->cap;
        }
        syno_pstate *st = w->cur->slot[i];
        if (!st) continue;
        prefetch_next(w->cur, i + 1, end);
        syno_final **fs;
        int nf = syno_space_finals(sp, st, true, &fs);
        for (int k = 0; k < nf; k++) {
            if (!w->on_final) {
                syno_final_free(fs[k]);
                continue;
            }
            if (lc.lock) pthread_mutex_lock(lc.lock);
            w->on_final(w->ctx, fs[k]);
            if (lc.lock) pthread_mutex_unlock(lc.lock);
        }
        free(fs);
        sx_generate_hinted(sp, st, emit_next, lc.lock ? NULL : hint_next, &lc);
    }
    sx_tl = NULL;
    return NULL;
}

static void add_stats(syno_space_stats *to, const syno_space_stats *from)
{
    to->generated += from->generated;
    to->states += from->states;
    to->merged += from->merged;
    to->finals += from->finals;
    for (int k = 0; k < SYNO_RULE_COUNT; k++) to->rejected[k] += from->rejected[k];
    for (int k = 0; k < SYNO_STEP_COUNT; k++) to->by_step[k] += from->by_step[k];
}

/* Enumerates SP (see search.h). */
void syno_enumerate(syno_space *sp, int jobs, syno_final_fn on_final, void *ctx, syno_enum_result *r)
{
    memset(r, 0, sizeof *r);
    if (jobs < 1) jobs = 1;
    double t0 = syno_clock_wall();
    r->depth = sp->depth;
    sx_set cur, next;
    sx_set_init(&cur, sp);
    sx_intern_root(sp, &cur);
    pthread_mutex_t lock;
    pthread_mutex_init(&lock, NULL);
    worker *w = syno_xcalloc((size_t)jobs, sizeof *w);
    sp->threaded = jobs > 1;
    uint64_t finals_before = sp->local.stats.finals;
    for (int depth = 0; cur.n; depth++) {
        sx_set_init(&next, sp);
        next.least = true;
        r->states_at[depth] = cur.n;
        uint64_t f0 = 0;
        for (int t = 0; t < jobs; t++) f0 += w[t].local.stats.finals;
        f0 += sp->local.stats.finals;
        pthread_t *th = syno_xcalloc((size_t)jobs, sizeof *th);
        size_t taken = 0;
        for (int t = 0; t < jobs; t++) {
            w[t].sp = sp;
            w[t].cur = &cur;
            w[t].next = &next;
            w[t].taken = &taken;
            w[t].n = jobs;
            w[t].on_final = on_final;
            w[t].ctx = ctx;
            w[t].lock = &lock;
            if (jobs == 1 || pthread_create(&th[t], NULL, work, &w[t]) != 0) { /* no thread: work here */
                work(&w[t]);
                th[t] = 0;
            }
        }
        for (int t = 0; t < jobs; t++)
            if (th[t]) pthread_join(th[t], NULL);
        free(th);
        uint64_t f1 = sp->local.stats.finals;
        for (int t = 0; t < jobs; t++) f1 += w[t].local.stats.finals;
        r->finals_at[depth] = f1 - f0;
        size_t bytes = syno_arena_bytes(cur.arena) + syno_arena_bytes(next.arena) +
                       (cur.cap + next.cap) * sizeof(void *);
        if (bytes > r->peak_bytes) r->peak_bytes = bytes;
        sx_set_fini(&cur);
        cur = next;
    }
    sx_set_fini(&cur);
    sp->threaded = false;
    for (int t = 0; t < jobs; t++) {
        if (jobs > 1) add_stats(&sp->local.stats, &w[t].local.stats);
        sx_local_fini(&w[t].local);
    }
    free(w);
    pthread_mutex_destroy(&lock);
    syno_space_stats *st = &sp->local.stats;
    r->states = st->states;
    r->generated = st->generated;
    r->merged = st->merged;
    r->finals = st->finals - finals_before;
    r->finals_raw = r->finals + st->rejected[SYNO_RULE_FINAL_DUPLICATE];
    memcpy(r->rejected, st->rejected, sizeof r->rejected);
    memcpy(r->by_step, st->by_step, sizeof r->by_step);
    r->seconds = syno_clock_wall() - t0;
}

/* ---- as a search algorithm: the same order, a few finals at a time ---- */

struct syno_algo {
    syno_space *sp;
    sx_set cur, next;
    size_t cursor;               /* next slot of cur to expand */
    syno_final **queue;          /* finals not yet proposed */
    int qhead, qn, qcap;
    syno_final **owned;          /* every final handed out (freed at the end) */
    int nowned, capowned;
};

static syno_algo *ex_create(syno_space *sp, syno_rng *rng)
{
    (void)rng;
    syno_algo *a = syno_xcalloc(1, sizeof *a);
    a->sp = sp;
    sx_set_init(&a->cur, sp);
    sx_set_init(&a->next, a->sp);
    a->next.least = true;
    sx_intern_root(sp, &a->cur);
    return a;
}

static void push_final(syno_algo *a, syno_final *f)
{
    if (a->qn == a->qcap) {
        a->qcap = a->qcap ? 2 * a->qcap : 64;
        a->queue = syno_xrealloc(a->queue, (size_t)a->qcap * sizeof *a->queue);
    }
    a->queue[a->qn++] = f;
}

/* Expands one more state (finals to the queue, children to the next
 * layer); false when the space is exhausted. */
static bool advance(syno_algo *a)
{
    for (;;) {
        while (a->cursor < a->cur.cap && !a->cur.slot[a->cursor]) a->cursor++;
        if (a->cursor < a->cur.cap) break;
        if (!a->next.n) return false;
        sx_set_fini(&a->cur);
        a->cur = a->next;
        sx_set_init(&a->next, a->sp);
        a->next.least = true;
        a->cursor = 0;
    }
    syno_pstate *st = a->cur.slot[a->cursor++];
    syno_final **fs;
    int nf = syno_space_finals(a->sp, st, true, &fs);
    for (int i = 0; i < nf; i++) push_final(a, fs[i]);
    free(fs);
    layer_ctx lc = {&a->next, NULL};
    sx_generate_hinted(a->sp, st, emit_next, hint_next, &lc);
    return true;
}

static int ex_ask(syno_algo *a, int max, syno_proposal *out)
{
    int n = 0;
    while (n < max) {
        if (a->qhead == a->qn) {
            a->qhead = a->qn = 0;
            if (!advance(a)) break;
            continue;
        }
        syno_final *f = a->queue[a->qhead++];
        if (a->nowned == a->capowned) {
            a->capowned = a->capowned ? 2 * a->capowned : 64;
            a->owned = syno_xrealloc(a->owned, (size_t)a->capowned * sizeof *a->owned);
        }
        a->owned[a->nowned++] = f;
        out[n].f = f;
        out[n].path = NULL;
        out[n].token = NULL;
        n++;
    }
    return n;
}

static void ex_tell(syno_algo *a, const syno_proposal *p, double reward)
{
    (void)a, (void)p, (void)reward;
}

static void ex_destroy(syno_algo *a)
{
    for (int i = a->qhead; i < a->qn; i++) syno_final_free(a->queue[i]);
    for (int i = 0; i < a->nowned; i++) syno_final_free(a->owned[i]);
    free(a->queue);
    free(a->owned);
    sx_set_fini(&a->cur);
    sx_set_fini(&a->next);
    free(a);
}

const syno_algo_ops syno_algo_exhaustive = {ex_create, ex_ask, ex_tell, ex_destroy};
