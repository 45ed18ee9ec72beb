/* engine.h - internals of the synthesis engine shared by search/ (all files).
 *
 * Dimensions (sx_dim) are interned in the space's table: a dimension is the
 * consumed ("top") side of the primitive that a step applied to the dims
 * below it, so its identity is the whole subgraph below it and its hash is
 * a Merkle hash of that subgraph.  Equal structures get equal ids.
 *
 * A partial operator (syno_pstate) is three sorted id lists: the open data
 * dims (frontier), the expanded dims and the weight axes; plus counters
 * derived from them (depth, uses of each primitive and variable).  Its
 * hash is a sum of mixed member hashes, updated incrementally per step. */
#ifndef SYNO_SEARCH_ENGINE_H
#define SYNO_SEARCH_ENGINE_H

#include "base/hash.h"
#include "lang/spec.h"

#include <pthread.h>
#include <string.h>
#include "search/space.h"

/* Kinds of interned dimensions: which primitive consumes it (bottom-up). */
typedef enum sx_kind {
    SX_ITER,     /* output axis a */
    SX_REDUCE,   /* reduction, the a-th of its size */
    SX_SPLIT,    /* split(this) -> (a, b) */
    SX_MERGE_L,  /* merge(this, b-side) -> a, block param */
    SX_MERGE_R,  /* merge(a-side, this) -> a, block param = size */
    SX_SHIFT,    /* shift(this) -> a */
    SX_STRIDE,   /* stride(this, param) -> a */
    SX_UNFOLD,   /* unfold(this, |b|) -> (a main, b window) */
    SX_SHARE_L,  /* share(this, weight axis) -> a; weight wid */
    SX_SHARE_R,  /* the weight axis of that share */
    SX_REVERSE,  /* reverse(this) -> a */
    SX_KINDS
} sx_kind;

enum {
    SXF_DISCARD = 1,   /* data-discarding: a stride's elements not yet absorbed */
    SXF_ENDS_RED = 2,  /* every leaf below is a reduction */
    SXF_VALID = 4,     /* integer >= 1 under every layer */
    SXF_ODD = 8,       /* a coefficient, odd under every layer */
    SXF_COEF = 16,     /* only coefficients (a valid unfold window size) */
};

typedef struct sx_dim {
    uint64_t hash;       /* structural (Merkle), reductions told apart by multiplicity */
    uint64_t bhash;      /* the same, blind to which of equal reductions it is */
    syno_size size;
    syno_size param;
    int32_t a, b;
    uint8_t kind, height, wid, flags;
    uint16_t wmask;      /* weights whose share is this dim or below it */
    int32_t scope;       /* unordered scope: the root ITER/REDUCE dim, or -1 */
    uint32_t base;       /* the dim below its chain of SHARE_L (itself if none) */
    uint8_t nshares;     /* length of that chain */
    uint8_t dist_flags;  /* SXD_*: what the shape distance needs to know */
    float lo, hi;        /* smallest and largest value over the layers */
    uint32_t pvars, negvars, posvars; /* variables with positive (primary), negative, positive exponent */
    uint64_t size_key;   /* sx_size_key(size) */
    uint32_t share[2][2];/* ids of share(this) for weights 1 and 2: [wid-1][0 left, 1 right], 0 unknown */
} sx_dim;

enum {
    SXD_MERGE_PIECE = 1, /* below its shares: an output axis or a merge piece */
    SXD_WS = 2,          /* a reduction already shared with a weight */
    SXD_WS_OK = 4,       /* within the bounds of an axis two weights share */
    SXD_OUTER_OK = 8,    /* within max_outer_expand */
};

/* A partial operator.  d[] holds nf frontier ids, then ne expanded ids,
 * then nw weight axis ids, each run sorted ascending. */
struct syno_pstate {
    uint64_t hash;
    uint8_t nf, ne, nw, depth;
    uint8_t nred, nweights, normal, dist;  /* normal: a non-reduce step was applied */
    uint8_t cnt[SYNO_STEP_COUNT];
    int8_t use[SYNO_MAX_VARS];
    float flops_lb;
    struct sx_children *kids;  /* cached children (space store only) */
    uint32_t d[];
};

#define SX_DIST_UNKNOWN 255
/* dist of a state the guide admitted (sx_generate_guided): computed when asked */
#define SX_DIST_LAZY 254
#define SX_MAX_STATE_DIMS 48
/* Sizes a space may try for its reductions and strides (the product of the
 * exponent ranges of its variables): a spec past it is refused. */
#define SX_MAX_SIZE_TRIES (1 << 20)

typedef struct sx_children {
    int n[2];          /* [0] every child, [1] those the walks' guide admits (when v[1] is set) */
    syno_child *v[2];
} sx_children;

/* A hash set of states in an arena (the space's store, enumeration layers). */
typedef struct sx_set {
    const struct syno_space *sp;
    bool least;          /* of equal states keep the least exact hash (a fixed choice whatever the order of insertion) */
    syno_arena *arena;
    syno_pstate **slot;
    size_t cap, n;
} sx_set;

void sx_set_init(sx_set *s, const struct syno_space *sp);
void sx_set_fini(sx_set *s);
/* Returns the member equal to ST, or inserts a copy of ST and returns it
 * (*ADDED says which). */
syno_pstate *sx_set_intern(sx_set *s, const syno_pstate *st, bool *added);
/* Starts loading what interning a state of hash HASH into S reads first:
 * its slot (STAGE 0), then, once that has loaded, the state the slot
 * names (STAGE 1).  Only while no other thread changes S. */
void sx_set_prefetch(const sx_set *s, uint64_t hash, int stage);

/* Shape-distance memo entry count and other per-space caches live in the
 * space; see shape_distance.c and flops_bound.c. */
typedef struct sx_memo_slot {
    uint64_t key; /* 0: empty */
    int32_t val;
} sx_memo_slot;

typedef struct sx_memo {
    sx_memo_slot *slot; /* open addressing; a key and its value share a cache line */
    size_t cap, n;
} sx_memo;

bool sx_memo_get(const sx_memo *m, uint64_t key, int32_t *val);
/* The slot where a probe for KEY (stored as KEY | 1: 0 marks an empty
 * slot) begins in a table of CAP slots. */
static inline size_t sx_memo_home(uint64_t key, size_t cap)
{
    return (size_t)(key | 1) & (cap - 1);
}
/* Starts loading the slot where a lookup of KEY in M begins. */
static inline void sx_memo_prefetch(const sx_memo *m, uint64_t key)
{
    if (m->cap) __builtin_prefetch(&m->slot[sx_memo_home(key, m->cap)]);
}
void sx_memo_put(sx_memo *m, uint64_t key, int32_t val);
void sx_memo_fini(sx_memo *m);

/* What the layers say about one size (cached per size). */
typedef struct sx_size_info {
    syno_size size;
    bool used, legal, valid_layers, odd;
    int8_t red;               /* a size the space reduces over (-1: not computed; shape_distance.c) */
    float lo, hi;
    int32_t div_off, div_n;   /* merge blocks in the space's divisor pool (-1: not computed) */
} sx_size_info;

/* A candidate reduction size with what it costs in allowance. */
typedef struct sx_size_choice {
    syno_size size;
    int8_t use[SYNO_MAX_VARS];
    float lo, hi;             /* its smallest and largest value over the layers */
} sx_size_choice;

/* What each thread keeps for itself: counters and caches (enumeration with
 * --jobs runs generators in several threads over one space). */
typedef struct sx_local {
    syno_space_stats stats;
    sx_memo dist_memo;                   /* shape distances by signature */
    sx_size_info *sinfo;                 /* size cache: open addressing */
    uint32_t sinfo_cap, sinfo_n;
    syno_size *divpool;                  /* merge blocks of cached sizes */
    int32_t ndivpool, capdivpool;
    struct syno_canon *canon;            /* canonical hashing context */
} sx_local;

#define SX_CHUNK_BITS 14
#define SX_MAX_CHUNKS (1 << 14)

struct syno_space {
    const syno_spec *spec;
    const syno_vars *vars;
    int nvars, nlayers;
    int depth;                           /* the depth bound (the spec's unless overridden) */
    int max_red, max_weights;            /* reductions and weights (the spec's unless restricted) */
    uint64_t disabled;                   /* rules that drop nothing (bit per syno_rule) */
    int16_t *red_quota;                  /* per size index: reductions of that size still allowed, or NULL */
    int64_t val[SYNO_SPEC_MAX_LAYERS][SYNO_MAX_VARS];
    double logval[SYNO_SPEC_MAX_LAYERS][SYNO_MAX_VARS];
    /* desired input axes (fixed ones removed), output axes */
    int ndes;
    syno_size des[SYNO_SPEC_MAX_AXES];
    bool des_unordered[SYNO_SPEC_MAX_AXES];
    int des_axis[SYNO_SPEC_MAX_AXES];    /* position in spec->in */
    int fixed_out[SYNO_SPEC_MAX_AXES];   /* per output axis: matching input axis when fixed, else -1 */
    double in_numel[SYNO_SPEC_MAX_LAYERS]; /* input elements without fixed axes */
    double in_numel_all[SYNO_SPEC_MAX_LAYERS];
    double flops_lo, flops_hi;           /* absolute window, summed over the layers */
    double baseline_flops, baseline_params;
    int limit[SYNO_STEP_COUNT];          /* -1 = none */
    int max_red_mult;                    /* largest multiplicity of one reduction size */
    /* tables */
    sx_dim **dchunk;                       /* dims in chunks of 2^SX_CHUNK_BITS: never moved */
    uint32_t ndims;
    struct sx_dtab *dtab;                /* the dim table (dims.c): looked up without the lock */
    bool threaded;                       /* generators run in several threads: lock the shared tables */
    bool exact_states;                   /* states equal only with the very same reductions (tests) */
    pthread_mutex_t lock;                /* insertions into the dim table, the finals' dedup set */
    pthread_cond_t seen_cond;            /* a final's FLOPs verdict became known (seen) */
    pthread_mutex_t memo_lock;           /* local.dist_memo while worker threads share it */
    sx_size_choice *sizes;               /* enumerable sizes (reductions, strides) */
    int nsizes;
    int *by_hi;                          /* indices of sizes, the largest value ascending (strides) */
    uint32_t size_vars;                  /* variables with a positive exponent in one of the sizes */
    uint32_t des_vars;                   /* primary variables with a positive exponent in an input axis (des) */
    int des_demand[SYNO_MAX_VARS];       /* their exponents summed over des */
    sx_local local;                      /* the caller's thread's counters and caches */
    sx_set store;                        /* every state handed out by the API */
    syno_pstate *root;

    /* finals */
    sx_memo seen;                        /* canonical hashes of finals returned (dedup) */
    /* scratch for state building */
    syno_arena *scratch;
    syno_diags *diags;
};

/* The counters and caches of the calling thread. */
extern __thread sx_local *sx_tl;
static inline sx_local *sx_loc(syno_space *sp)
{
    return sx_tl ? sx_tl : &sp->local;
}
void sx_local_fini(sx_local *l);

/* space.c */
int sx_size_index(const syno_space *sp, syno_size q);

/* dims.c */
typedef struct sx_dtab sx_dtab;
void sx_dtab_free(syno_space *sp);
uint32_t sx_dim_intern(syno_space *sp, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid);
uint32_t sx_dim_intern_hashed(syno_space *sp, uint64_t h, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid);
uint64_t sx_dim_prefetch(const syno_space *sp, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid);
void sx_dim_prefetch_record(const syno_space *sp, uint64_t h);
/* The share(O) dims of weight WID (left: the data side, right: the weight axis). */
uint32_t sx_share(syno_space *sp, uint32_t o, int wid, bool right);
static inline sx_dim *sx_dm(const syno_space *sp, uint32_t id)
{
    return &sp->dchunk[id >> SX_CHUNK_BITS][id & ((1u << SX_CHUNK_BITS) - 1)];
}
static inline const sx_dim *sx_d(const syno_space *sp, uint32_t id)
{
    return sx_dm(sp, id);
}
double sx_size_value(const syno_space *sp, syno_size s, int layer);
bool sx_size_legal(syno_space *sp, syno_size s);
const sx_size_info *sx_size_get(syno_space *sp, syno_size s);
void sx_dim_text(const syno_space *sp, uint32_t id, syno_buf *out);

/* state.c */
syno_pstate *sx_state_alloc(syno_arena *a, int n);
/* The contribution of member ID in ROLE (0 frontier, 1 expanded, 2 weight)
 * to a state's hash. */
static inline uint64_t sx_member_hash(const syno_space *sp, uint32_t id, int role)
{
    static const uint64_t salt[3] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull};
    const sx_dim *d = sx_d(sp, id);
    return syno_hash_mix((sp->exact_states ? d->hash : d->bhash) ^ salt[role]);
}
void sx_state_rehash(syno_space *sp, syno_pstate *st);

/* The generator: every canonical child of a state.  EMIT gets a child
 * (built in scratch memory, copied by whoever keeps it) and its step. */
typedef void (*sx_emit_fn)(syno_space *sp, void *ctx, const syno_pstate *child, const syno_step *step);
void sx_generate(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, void *ctx);
/* sx_generate, telling HINT(CTX, CHILD, STAGE) of each child EMIT will get
 * a little before: STAGE 0 once it is pruned, 1 just before the children
 * pruned with it are emitted (for sx_set_prefetch). */
typedef void (*sx_hint_fn)(void *ctx, const syno_pstate *child, int stage);
void sx_generate_hinted(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, sx_hint_fn hint, void *ctx);
/* generate.c: as sx_generate, but only the children the walks' guide
 * admits (sx_guide_distance; a subset of sx_generate's), with their shape
 * distance left to sx_state_distance. */
void sx_generate_guided(syno_space *sp, const syno_pstate *st, sx_emit_fn emit, void *ctx);
/* generate.c: ST's shape distance (sx_distance), computed now when its
 * state was made by sx_generate_guided. */
int sx_state_distance(syno_space *sp, const syno_pstate *st);
/* Runs the generator for STEP alone, so that the rejection counters say
 * which rule drops it. */
void sx_generate_only(syno_space *sp, const syno_pstate *st, const syno_step *step);
/* Rule R drops a candidate: true (and counted) unless R is disabled
 * (`syno reach` disables canonical rules to tell which one excludes an
 * operator). */
static inline bool sx_drop(syno_space *sp, syno_rule r)
{
    if (sp->disabled >> r & 1) return false;
    sx_loc(sp)->stats.rejected[r]++;
    return true;
}

/* Child construction helpers (generate.c). */
typedef struct sx_build {
    syno_space *sp;
    const syno_pstate *parent;
    uint32_t f[SX_MAX_STATE_DIMS], e[SX_MAX_STATE_DIMS], w[SX_MAX_STATE_DIMS];
    int nf, ne, nw;
    int8_t use[SYNO_MAX_VARS];
} sx_build;

/* Checks and charges the allowance of SIZE (abs exponents) to USE. */
bool sx_charge(const syno_space *sp, int8_t *use, syno_size size, bool primary_only);

/* shape_distance.c: lower bound of the steps from ST's frontier to the
 * input shape, or SX_DIST_UNKNOWN when no number of steps can do it. */
int sx_distance(syno_space *sp, const syno_pstate *st);
/* shape_distance.c: the walks' guide, never below sx_distance and not a
 * lower bound (see there). */
int sx_guide_distance(syno_space *sp, const syno_pstate *st);
/* shape_distance.c: sx_distance (GUIDE: sx_guide_distance) in two halves,
 * so that a caller can start loading the memo entries of several states
 * before reading them: the first returns the answer when it needs no memo
 * (else -1, with *KEY and *CAP for the second, and the entry loading). */
int sx_distance_begin(syno_space *sp, const syno_pstate *st, bool guide, uint64_t *key, int *cap);
int sx_distance_end(syno_space *sp, const syno_pstate *st, bool guide, uint64_t key, int cap);
/* flops_bound.c: a lower bound of the FLOPs of every final operator below
 * ST, summed over the layers. */
double sx_flops_bound(syno_space *sp, const syno_pstate *st);
/* pooling (weight-free reductions that reach the input): product too large */
bool sx_pooling_ok(syno_space *sp, const syno_pstate *st, bool final);

/* steps */

/* Puts a copy of SP's root into SET (for enumerations that keep their own
 * states). */
void sx_intern_root(syno_space *sp, sx_set *set);

/* finalize.c */
int sx_finalize(syno_space *sp, const syno_pstate *st, bool dedup, syno_final ***out);

/* A fast (in-process) hash of a size's exponents; stable structural
 * hashes use syno_size_hash. */
static inline uint64_t sx_size_key(syno_size s)
{
    uint64_t a, b;
    memcpy(&a, s.e, 8);
    memcpy(&b, s.e + 8, 8);
    return syno_hash_mix(a ^ syno_hash_mix(b));
}

#endif
