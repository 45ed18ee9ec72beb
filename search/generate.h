/* generate.h - shared state of the child generator (generate.c) and the
 * per-family step generators (expand_reduce.c, expand_views.c,
 * expand_contract.c). */
#ifndef SYNO_SEARCH_GENERATE_H
#define SYNO_SEARCH_GENERATE_H

#include "search/engine.h"

/* Children are finished in batches of SX_PENDING: their shape distances'
 * memo entries load together (sx_distance_begin), and they are emitted in
 * the order they were made. */
#define SX_PENDING 8

typedef struct sx_pending {
    syno_step step;
    uint64_t key;       /* sx_distance_begin's */
    int cap, dist;      /* dist: its answer, or -1 for sx_distance_end */
    bool kept;          /* pruning kept it: emitted with the batch */
    _Alignas(16) unsigned char buf[sizeof(syno_pstate) + 3 * SX_MAX_STATE_DIMS * sizeof(uint32_t)];
} sx_pending;

typedef struct sx_gen {
    syno_space *sp;
    const syno_pstate *parent;
    sx_emit_fn emit;
    sx_hint_fn hint;     /* or NULL */
    void *ctx;
    bool critical;       /* remaining depth == shape distance */
    bool guided;         /* the guide decides which children are kept (sx_generate_guided) */
    const syno_step *only; /* generate this step alone (to learn why it is dropped), or NULL */
    /* the child under construction */
    syno_step_kind kind;
    uint32_t f[SX_MAX_STATE_DIMS], e[SX_MAX_STATE_DIMS], w[SX_MAX_STATE_DIMS];
    int nf, ne, nw;
    int8_t use[SYNO_MAX_VARS];
    uint64_t hash;
    sx_pending pend[SX_PENDING]; /* children packed, not finished yet */
    int npend;
} sx_gen;

void sx_child_begin(sx_gen *g, syno_step_kind kind);
void sx_child_take(sx_gen *g, uint32_t id);
void sx_child_put(sx_gen *g, uint32_t id, int role);
void sx_child_end(sx_gen *g, syno_step *step);
bool sx_new_dim_ok(sx_gen *g, uint32_t id);
bool sx_limit_ok(sx_gen *g, syno_step_kind kind);
bool sx_above_latest(sx_gen *g, uint32_t id);

/* False when G generates a single step and (KIND, A, B, PARAM) is not it. */
static inline bool sx_wanted(const sx_gen *g, syno_step_kind kind, uint32_t a, uint32_t b, const syno_size *param)
{
    const syno_step *o = g->only;
    if (!o) return true;
    if (o->kind != kind || o->op[0] != a) return false;
    if (o->n > 1 && o->op[1] != b) return false;
    return !param || syno_size_eq(*param, o->param);
}
static inline bool sx_kind_wanted(const sx_gen *g, syno_step_kind kind)
{
    return !g->only || g->only->kind == kind;
}

void sx_gen_reduce(sx_gen *g);
void sx_gen_split(sx_gen *g);
void sx_gen_merge(sx_gen *g);
void sx_gen_shift(sx_gen *g);
void sx_gen_stride(sx_gen *g);
void sx_gen_unfold(sx_gen *g);
void sx_gen_expand(sx_gen *g);
void sx_gen_reverse(sx_gen *g);
void sx_gen_contract(sx_gen *g);


#endif
