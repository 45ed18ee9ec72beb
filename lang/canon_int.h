/* canon_int.h - internals of the canonical rewriter (lang/canon*.c).
 *
 * The rewriter works on its own graph, the "IR", rather than on syno_op:
 *   - share trees are gone: a weight axis is an attachment ("wax") on the
 *     dim whose index it reads; a share group with no data operand becomes
 *     an expand with attachments, one with several a DIAG node;
 *   - reshapes are n-ary: SPLIT cuts a dim into digits (most significant
 *     first), MERGE joins digits; USPLIT/UMERGE are the same on axes the
 *     caller declared unordered; OSPLIT/OMERGE (and OUSPLIT/OUMERGE on
 *     unordered axes) are reshapes of regions whose sizes do not line up,
 *     kept as written (opaque);
 *   - shift and reverse are one node, TRANS, an affine map x = sgn*y + off
 *     (mod n) from the produced index y to the consumed index x.
 * Every weight keeps the list of steps (split/merge/permute axes, affine
 * re-indexing) that turns the original weight array into the current one.
 *
 * canon_ir.c builds the IR and offers the editing primitives,
 * canon_region.c normalizes reshape regions, canon_rules.c the other rules
 * and the fixpoint, canon_label.c orders the result canonically,
 * canon_print.c prints it, canon_weights.c exports and applies the weight
 * steps, canon.c is the public API (canon.h). */
#ifndef SYNO_CANON_INT_H
#define SYNO_CANON_INT_H

#include "base/arena.h"
#include "base/buf.h"
#include "lang/canon.h"
#include "lang/graph.h"

enum {
    CN_SPLIT,  /* 1 in, n>=2 ordered outs (digits, most significant first) */
    CN_MERGE,  /* n>=2 ordered ins, 1 out */
    CN_USPLIT, /* as SPLIT on an unordered axis: digit order is free */
    CN_UMERGE, /* as MERGE into an unordered output */
    CN_OSPLIT, /* binary split kept as written: out[1] has size param */
    CN_OMERGE, /* binary merge kept as written */
    CN_OUSPLIT, /* split of an unordered axis kept as written: n outs, order free */
    CN_OUMERGE, /* merge into an unordered output kept as written: n ins, order free */
    CN_TRANS,  /* x = (sgn*y + off) mod n: shift/reverse */
    CN_UNFOLD, /* out[0] main, out[1] window of size param */
    CN_STRIDE, /* param = s */
    CN_EXPAND, /* no in, 1 out */
    CN_DIAG,   /* n>=2 unordered ins (from disjoint tensors), 1 out: share */
    CN_SUM,    /* 1 in, no out */
    CN_MEAN,
    CN_NKINDS
};

#define CN_NONE (-1) /* no producer / consumer */
#define CN_OUT (-2)  /* consumer: an output axis, dst_slot is its position */

typedef struct cn_dim {
    syno_size size;
    int src, src_slot;  /* producing node or CN_NONE */
    int dst, dst_slot;  /* consuming node, CN_OUT or CN_NONE */
    int input;          /* input axis position, or -1 */
    int open;           /* open (frontier) dim of a partial op: 1, else 0 */
    uint32_t tag;       /* caller's tag of an open dim */
    bool uin;           /* an unordered input axis or open dim (level 2) */
    bool uout;          /* an unordered output axis (level 2) */
    bool dead;
    int att;            /* first attached wax, or -1 (chained through cn_wax.next) */
    int mark;           /* scratch for passes */
} cn_dim;

typedef struct cn_node {
    uint8_t kind;
    bool dead;
    int nin, nout;
    int *in, *out;
    syno_size param;
    int sgn;            /* TRANS */
    int64_t off;        /* TRANS */
} cn_node;

/* A weight axis (or a piece or fusion of original axes). */
typedef struct cn_wax {
    syno_size size;
    int weight;         /* the original tensor index (1..) */
    int dim;            /* where it is attached, or -1 */
    int next;           /* next wax attached to the same dim */
    uint32_t orig;      /* original axes it derives from (bit a = axis a) */
    int scratch;
    bool dead;
} cn_wax;

/* One step of a weight's re-layout (see syno_canon_wstep). */
typedef struct cn_step {
    uint8_t kind;       /* SYNO_WSTEP_* */
    int pos, count;
    syno_size *sizes;   /* SPLIT: count sizes */
    int *perm;          /* PERMUTE: count entries, new axis j = old axis perm[j] */
    int sgn;
    int64_t off;
} cn_step;

typedef struct cn_weight {
    int n, cap;
    int *axes;          /* wax ids in the current axis order */
    int nsteps, capsteps;
    cn_step *steps;
    int orig_rank;
    const char *name;
} cn_weight;

typedef struct cn_ir {
    syno_arena *a;
    int ndims, capdims;
    cn_dim *dims;
    int nnodes, capnodes;
    cn_node *nodes;
    int nwax, capwax;
    cn_wax *wax;
    int nweights;       /* weights are 1..nweights (tensor numbering) */
    cn_weight *weights;
    int nin;            /* input axes */
    int *inputs;        /* dim of each input axis */
    int nout;
    int *outs;          /* dim of each output axis */
    syno_vars vars;     /* used variables, primaries then coefficients, by name */
    uint64_t varhash[SYNO_MAX_VARS];
    int var_from[SYNO_MAX_VARS]; /* original index of each variable */
    syno_size *safe;    /* sizes known to be integers wherever the op is valid */
    int nsafe;
    bool level2;
    bool steps;         /* record weight steps (not on the hash-only path) */
    bool partial;
    const char *err;    /* why the op could not be canonicalized */
    int iterations;     /* fixpoint rounds of the last run */
} cn_ir;

/* canon_ir.c */
bool cn_build(cn_ir *ir, const syno_op *op, const syno_canon_opts *o);
int cn_new_dim(cn_ir *ir, syno_size size);
int cn_new_node(cn_ir *ir, int kind, int nin, int nout);
void cn_set_in(cn_ir *ir, int node, int slot, int dim);
void cn_set_out(cn_ir *ir, int node, int slot, int dim);
void cn_kill_node(cn_ir *ir, int node);
void cn_forward(cn_ir *ir, int from, int to);
void cn_attach(cn_ir *ir, int wax, int dim);
void cn_detach_all(cn_ir *ir, int dim, int *waxes, int *n);
int cn_find_att(const cn_ir *ir, int dim, int weight);
uint32_t cn_att_mask(const cn_ir *ir, int dim);
int cn_split_wax(cn_ir *ir, int wax, int k, const syno_size *sizes, int *pieces);
int cn_fuse_waxes(cn_ir *ir, const int *waxes, int k);
void cn_affine_wax(cn_ir *ir, int wax, int sgn, int64_t off);
bool cn_is_safe(const cn_ir *ir, syno_size s);
uint64_t cn_size_hash(const cn_ir *ir, syno_size s);

/* canon_region.c */
void cn_regions(cn_ir *ir);

/* canon_rules.c */
void cn_normalize(cn_ir *ir);

/* canon_label.c / canon_print.c: the ordered, printable form.  Vertices
 * are the live dims, nodes and weights of the normalized IR; colour
 * refinement and a search over the remaining ties give every vertex a
 * rank, and the printer turns a ranking into text.  The canonical text is
 * the smallest text over the rankings the search explores. */
typedef struct cn_final {
    cn_ir *ir;
    int nv, nd, nn, nw;       /* vertices: dims, then nodes, then weights */
    int *vir;                 /* vertex -> IR dim / node / weight index */
    int *vdim, *vnode, *vwt;  /* IR index -> vertex (-1 when dead) */
    int *eoff, *enb;          /* adjacency (CSR) */
    uint32_t *erole;
    uint8_t *eun;             /* 1: an unordered neighbour */
    uint64_t *color0;
    syno_vars vars;           /* printed variables */
    int to_final[SYNO_MAX_VARS];
    /* The best leaf so far (buffers owned by the caller). */
    syno_buf *best, *first, *scratch;
    int *best_touch, *best_wseq, *best_waxseq;
    int nbest_wseq, nbest_waxseq;
    bool have_best;
    int *first_touch;
    int **gens;               /* automorphisms found */
    int ngens, capgens;
    int leaves;
} cn_final;

typedef struct cn_printed {
    int *touch;               /* vertices in the order the text mentions them */
    int ntouch;
    int *wseq;                /* IR weights in canonical order */
    int nwseq;
    int *waxseq;              /* waxes in order of first mention */
    int nwaxseq;
} cn_printed;

cn_final *cn_finalize(cn_ir *ir, syno_buf *best, syno_buf *first, syno_buf *scratch);
void cn_label(cn_final *f);
void cn_print(cn_final *f, const int *rank, syno_buf *out, cn_printed *p);

#endif
