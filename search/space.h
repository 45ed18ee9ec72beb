/* space.h - the synthesis space of a search spec, walked step by step.
 *
 * A partial operator (syno_pstate) is built bottom-up, as in Syno
 * (shared/reference/syno-internals.md §0, §5): the root holds the output
 * axes (fixed axes such as N pass straight through); reductions are chosen
 * first; then each step applies the inverse of a primitive to the open
 * dimensions (the frontier): a split joins two of them, a merge separates
 * one, shift/stride/unfold/expand/reverse as in the primitive table, and a
 * contraction introduces a new weight shared with several axes at once.
 * Every child is checked against the spec's bounds and the canonical
 * generation rules (search/rules.def) and pruned when its shape distance to
 * the input exceeds the remaining depth or its FLOPs lower bound leaves the
 * window.  A partial operator whose open axes match the input shape exactly
 * is finalized into real syno_op operators (valid under every layer).
 *
 * Partial operators are hash-consed: dimensions are interned with a
 * structural (Merkle) hash, a state is the set of its open, expanded and
 * weight dimensions, so different orders of the same steps meet in one
 * state.  All hashes are fixed functions of the structure (stable across
 * runs and machines).
 *
 * This is the API the algorithms (search/algo_*.c), `syno reach` and the
 * REPL's :spec/:frontier/:next/:take/:finalize use. */
#ifndef SYNO_SPACE_H
#define SYNO_SPACE_H

#include "base/arena.h"
#include "lang/graph.h"
#include "lang/spec.h"

typedef enum syno_step_kind {
#define SYNO_STEP(e, name, prim) SYNO_STEP_##e,
#include "search/steps.def"
#undef SYNO_STEP
    SYNO_STEP_COUNT
} syno_step_kind;

extern const char *const syno_step_names[SYNO_STEP_COUNT];

typedef enum syno_rule {
#define SYNO_RULE(e, name, cls, doc) SYNO_RULE_##e,
#include "search/rules.def"
#undef SYNO_RULE
    SYNO_RULE_COUNT
} syno_rule;

typedef enum syno_rule_class { SYNO_RCLASS_LIMIT, SYNO_RCLASS_CANON, SYNO_RCLASS_PRUNE, SYNO_RCLASS_FINAL } syno_rule_class;

typedef struct syno_rule_info {
    const char *name;
    syno_rule_class cls;
    const char *doc;
} syno_rule_info;

extern const syno_rule_info syno_rules[SYNO_RULE_COUNT];

#define SYNO_STEP_MAX 8 /* operands of one step (the axes of one contraction) */

/* One step from a partial operator to a child.  Operands are dimension ids
 * of the space; the key identifies the step by structure (stable). */
typedef struct syno_step {
    syno_step_kind kind;
    int n;                        /* operands */
    uint32_t op[SYNO_STEP_MAX];   /* split/unfold: left/main then right/window */
    uint8_t expand[SYNO_STEP_MAX];/* contraction: operand i is also expanded */
    syno_size param;              /* reduce: size; merge: block; stride: factor */
    uint64_t key;
} syno_step;

typedef struct syno_space syno_space;
typedef struct syno_pstate syno_pstate;

typedef struct syno_child {
    syno_step step;
    const syno_pstate *state;
} syno_child;

/* A finished operator taken from a partial one. */
typedef struct syno_final {
    syno_arena *arena;            /* owns op */
    syno_op *op;                  /* finished, no errors, valid under every layer */
    uint64_t hash;                /* canonical hash (see syno_space_final_hash) */
    double flops, params;         /* summed over the layers */
    bool flops_exact;             /* flops are the staged plans' (else an upper bound: direct evaluation's
                                   * or a plan search cut short) */
    double flops_layer[SYNO_SPEC_MAX_LAYERS], params_layer[SYNO_SPEC_MAX_LAYERS];
    const syno_pstate *state;
} syno_final;

/* Counters of one space: what was generated and why candidates were dropped. */
typedef struct syno_space_stats {
    uint64_t generated;           /* children that passed every rule (before merging equal states) */
    uint64_t states;              /* distinct partial operators */
    uint64_t merged;              /* children that were an existing state (lattice dedup) */
    uint64_t finals;              /* final operators, after canonical dedup */
    uint64_t rejected[SYNO_RULE_COUNT];
    uint64_t by_step[SYNO_STEP_COUNT];
} syno_space_stats;

/* Builds the space of SPEC (checked, without errors).  On a spec that
 * cannot be searched (no layers, an input axis no layer can match ...)
 * reports why into D and returns NULL. */
syno_space *syno_space_new(const syno_spec *spec, syno_diags *d);
void syno_space_free(syno_space *sp);
/* Overrides the depth bound (1..254) before any state is generated. */
void syno_space_set_depth(syno_space *sp, int depth);
const syno_spec *syno_space_spec(const syno_space *sp);
/* The baseline's FLOPs and parameters summed over the layers (the scale of
 * a relative FLOPs window and what finals are compared with).  Returns
 * false, leaving both 0, when the spec names no baseline. */
bool syno_space_baseline(const syno_space *sp, double *flops, double *params);
/* The floor of the FLOPs window, summed over the layers (0 when the spec
 * sets none). */
double syno_space_flops_floor(const syno_space *sp);

/* The root: the output axes, nothing applied. */
const syno_pstate *syno_space_root(syno_space *sp);

/* The canonical children of ST (every rule applied, pruned, each listed
 * once), in a fixed order (by step kind, then by step key).  The array is
 * owned by the space and stays valid as long as the space. */
int syno_space_children(syno_space *sp, const syno_pstate *st, const syno_child **out);

/* The children of ST that the walks' guide admits (sx_guide_distance: the
 * usual shapes, which lead to finals at any depth), a subset of
 * syno_space_children's computed without the shape distance of the
 * others; same order and ownership. */
int syno_space_guided_children(syno_space *sp, const syno_pstate *st, const syno_child **out);

/* Applies STEP (found among the children of ST by key or by operands) and
 * returns the child, or NULL when STEP is not a child; then *WHY (when not
 * NULL) says which rule drops it (SYNO_RULE_COUNT: not a step of ST at
 * all). */
const syno_pstate *syno_space_apply(syno_space *sp, const syno_pstate *st, const syno_step *step, syno_rule *why);

/* Finalizes ST: every final operator whose input axes are ST's open axes
 * (one per matching of equal sizes) that passes the final checks and is
 * not a canonical duplicate of one returned before (when DEDUP).  Returns
 * the number; *OUT is a new array of new finals (free with
 * syno_final_free and free()). */
int syno_space_finals(syno_space *sp, const syno_pstate *st, bool dedup, syno_final ***out);
void syno_final_free(syno_final *f);
/* Makes F's FLOPs the staged plans' when they are still an upper bound
 * (f->flops_exact false), as for the baseline. */
void syno_space_final_exact_flops(syno_space *sp, syno_final *f);

/* Canonical hash of a finished op (lang/canon.h's with the spec's
 * unordered axes when it exists). */
uint64_t syno_space_final_hash(syno_space *sp, const syno_op *op);

/* Queries on partial operators. */
int syno_pstate_depth(const syno_pstate *st);
int syno_pstate_distance(syno_space *sp, const syno_pstate *st);
double syno_pstate_flops_bound(const syno_pstate *st);
bool syno_pstate_finalizable(syno_space *sp, const syno_pstate *st);

/* Text: the frontier of ST ("C_out, H, W, sum k, ..."), and STEP as
 * applied to ST ("unfold(H, sum k)"). */
void syno_space_describe(syno_space *sp, const syno_pstate *st, syno_buf *out);
void syno_space_describe_step(syno_space *sp, const syno_step *step, syno_buf *out);
/* The number of open dimensions of ST, and the I-th of them (0 <= I < that
 * number, in the order syno_space_describe lists them): its text, appended
 * to OUT when OUT is not NULL, and its size in the spec's variables. */
int syno_pstate_nopen(const syno_pstate *st);
syno_size syno_space_open_dim(syno_space *sp, const syno_pstate *st, int i, syno_buf *out);

syno_space_stats *syno_space_stats_of(syno_space *sp);

#endif
