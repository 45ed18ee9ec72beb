/* algo_exhaustive.c - exhaustive enumeration of a synthesis space,
 * breadth-first by depth.
 *
 * A state's depth is a function of the state (its number of primitives),
 * so merging equal states one depth at a time is exact, and only two
 * layers of states are ever held in memory.  Every state is finalized; the
 * finals are deduplicated by canonical hash across the whole run. */
#include "search/search.h"
#include "search/engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct layer_ctx {
    sx_set *next;
} layer_ctx;

static void emit_next(syno_space *sp, void *ctx, const syno_pstate *child, const syno_step *step)
{
    (void)step;
    layer_ctx *lc = ctx;
    bool added;
    sx_set_intern(lc->next, child, &added);
    if (added) sp->stats.states++;
    else sp->stats.merged++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Enumerates SP (see search.h). */
void syno_enumerate(syno_space *sp, syno_final_fn on_final, void *ctx, syno_enum_result *r)
{
    memset(r, 0, sizeof *r);
    double t0 = now();
    r->depth = sp->depth;
    sx_set cur, next;
    sx_set_init(&cur);
    sx_intern_root(sp, &cur);
    uint64_t finals_before = sp->stats.finals;
    for (int depth = 0; cur.n; depth++) {
        sx_set_init(&next);
        layer_ctx lc = {&next};
        r->states_at[depth] = cur.n;
        uint64_t f0 = sp->stats.finals;
        for (size_t i = 0; i < cur.cap; i++) {
            syno_pstate *st = cur.slot[i];
            if (!st) continue;
            syno_final **fs;
            int nf = syno_space_finals(sp, st, true, &fs);
            for (int k = 0; k < nf; k++) {
                if (on_final) on_final(ctx, fs[k]);
                else syno_final_free(fs[k]);
            }
            free(fs);
            sx_generate(sp, st, emit_next, &lc);
        }
        r->finals_at[depth] = sp->stats.finals - f0;
        size_t bytes = syno_arena_bytes(cur.arena) + syno_arena_bytes(next.arena) +
                       (cur.cap + next.cap) * sizeof(void *);
        if (bytes > r->peak_bytes) r->peak_bytes = bytes;
        sx_set_fini(&cur);
        cur = next;
    }
    sx_set_fini(&cur);
    r->states = sp->stats.states;
    r->generated = sp->stats.generated;
    r->merged = sp->stats.merged;
    r->finals = sp->stats.finals - finals_before;
    r->finals_raw = r->finals + sp->stats.rejected[SYNO_RULE_FINAL_DUPLICATE];
    memcpy(r->rejected, sp->stats.rejected, sizeof r->rejected);
    memcpy(r->by_step, sp->stats.by_step, sizeof r->by_step);
    r->seconds = now() - t0;
}
