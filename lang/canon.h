/* canon.h - the canonical form of an operator and its stable 64-bit hash.
 *
 * Two operators that compute the same function up to a bijective
 * re-indexing of weight elements (LANGUAGE.md section 4) get the same
 * canonical text whenever the rewrite rules of doc/canonical.md prove it:
 * dimension names, statement order, weight order and axis order, reduction
 * order, reshape chains, inverse reshape pairs, shift/reverse composition
 * and absorption, sums over the pieces of a split, share nesting, expand
 * handling and weight reshapes.  The hash is FNV-1a 64 of the canonical text,
 * so it is the same on every machine and in every run.
 *
 * A second, opt-in level (SYNO_CANON_UNORDERED) also identifies operators
 * that differ by a permutation of the input or output axes the caller marks
 * unordered (channel-like axes): shifts and digit orders on them are free.
 *
 * Partial operators (the search's bottom-up candidates) are accepted too:
 * dims that nothing produces yet (made with syno_op_new_dim and never
 * produced) are "open" leaves, distinguished only by size and an optional
 * caller tag.  Such an op need not be finished, but every dim must have its
 * size set (dims[d].size, dims[d].sized) and be consumed exactly once, and
 * weights must be complete; sizes that disagree with a primitive are
 * refused.  Equal hashes of partial operators mean that every completion of
 * one is equivalent to the matching completion of the other.  Their
 * canonical text carries `open` lines and does not parse; their hash is as
 * stable as any other.
 *
 * Use one syno_canon context per thread: it keeps scratch memory between
 * calls, which is what makes millions of calls cheap. */
#ifndef SYNO_CANON_H
#define SYNO_CANON_H

#include "lang/graph.h"

enum {
    SYNO_CANON_UNORDERED = 1u << 0, /* level 2: honour the unordered flags below */
};

typedef struct syno_canon_opts {
    unsigned flags;
    const bool *in_unordered;      /* per input axis (level 2), or NULL */
    const bool *out_unordered;     /* per output axis (level 2), or NULL */
    const uint32_t *open_tags;     /* per dim of the op: tag of an open dim, or NULL (all 0) */
    const bool *open_unordered;    /* per dim of the op: an unordered open dim (level 2), or NULL */
} syno_canon_opts;

/* How a canonical weight is obtained from an original one: apply the steps
 * in order to the original array (float32, C order); interp/canon_apply.h
 * does it. */
typedef enum syno_wstep_kind {
    SYNO_WSTEP_SPLIT,   /* axis pos becomes count axes of the given sizes (a reshape) */
    SYNO_WSTEP_MERGE,   /* axes pos..pos+count-1 become one (a reshape) */
    SYNO_WSTEP_PERMUTE, /* new axis j is old axis perm[j] (count = rank) */
    SYNO_WSTEP_AFFINE,  /* along axis pos: new[i] = old[(sgn*i + off) mod n] */
} syno_wstep_kind;

typedef struct syno_canon_wstep {
    syno_wstep_kind kind;
    int pos, count;
    syno_size *sizes;   /* SPLIT: the new axes' sizes, over the ORIGINAL op's variables */
    int *perm;          /* PERMUTE */
    int sgn;            /* AFFINE: +1 or -1 */
    int64_t off;        /* AFFINE */
} syno_canon_wstep;

typedef struct syno_canon_weight {
    int source;         /* tensor index of the original weight (1..) */
    const char *source_name;
    int source_rank;
    int rank;
    syno_size *shape;   /* canonical shape, over the text's variables (vars) */
    uint32_t *from;     /* per canonical axis: bit a set when it draws on original axis a */
    int nsteps;
    syno_canon_wstep *steps;
} syno_canon_weight;

typedef struct syno_canon_result {
    uint64_t hash;
    char *text;          /* the canonical module text (NUL-terminated) */
    size_t len;
    bool partial;        /* the op had open dims: the text does not parse */
    syno_vars vars;      /* the variables the text declares, in its order */
    int var_from[SYNO_MAX_VARS]; /* index of each in the original op's variables */
    syno_vars orig_vars; /* a copy of the original op's variables (for the steps) */
    int nweights;
    syno_canon_weight *weights; /* canonical weight i is tensor i+1 of the text */
    int leaves;          /* labelings printed (1 unless ties had to be searched) */
    int iterations;      /* rewrite rounds to the fixpoint */
    syno_arena *arena;   /* owns everything above */
} syno_canon_result;

typedef struct syno_canon syno_canon;

syno_canon *syno_canon_new(void);
void syno_canon_free(syno_canon *c);

bool syno_canon_hash(syno_canon *c, const syno_op *op, const syno_canon_opts *o, uint64_t *hash);
bool syno_canon_run(syno_canon *c, const syno_op *op, const syno_canon_opts *o, syno_canon_result *r);
const char *syno_canon_error(const syno_canon *c);
void syno_canon_result_fini(syno_canon_result *r);


#endif
