/* search.h - the search algorithms and the exhaustive enumeration, on top
 * of the synthesis space (space.h). */
#ifndef SYNO_SEARCH_H
#define SYNO_SEARCH_H

#include "lang/module.h"
#include "search/space.h"

/* Loads the spec named by REF ("FILE" or "FILE:SEARCH") into CTX, or NULL
 * with the reason in CTX's diagnostics. */
syno_spec *syno_search_find_spec(syno_ctx *ctx, const char *ref);

/* Counts of an exhaustive enumeration. */
typedef struct syno_enum_result {
    int depth;
    uint64_t states;                   /* distinct partial operators (root included) */
    uint64_t generated;                /* children that passed every rule, before merging */
    uint64_t merged;                   /* of those, ones that were an existing state */
    uint64_t finals;                   /* final operators after canonical dedup */
    uint64_t finals_raw;               /* final operators before canonical dedup */
    uint64_t states_at[256], finals_at[256];
    uint64_t rejected[SYNO_RULE_COUNT];
    uint64_t by_step[SYNO_STEP_COUNT];
    size_t peak_bytes;                 /* largest memory held by two layers of states */
    double seconds;
} syno_enum_result;

/* Called for every new final operator (after dedup).  The final belongs to
 * the callee (free it with syno_final_free). */
typedef void (*syno_final_fn)(void *ctx, syno_final *f);

/* Enumerates the whole space of SP breadth-first, one depth at a time
 * (states of one depth merged exactly), finalizing every state, with JOBS
 * threads sharing each depth.  ON_FINAL may be NULL (finals are then
 * freed); with several threads it is called under a lock, in an order that
 * varies.  The counts are deterministic (with several threads, whether a
 * final operator that is both a duplicate and outside the FLOPs window is
 * counted as one or the other may vary). */
void syno_enumerate(syno_space *sp, int jobs, syno_final_fn on_final, void *ctx, syno_enum_result *r);

#endif
