/* randop.h - random valid operators, for testing backends and the
 * canonical rewriter against the reference evaluator.
 *
 * syno_randop builds a graph directly (no text) by applying a chosen number
 * of primitives to the live dims of an input tensor: split, merge, shift
 * (by ±1 or ±2), reverse, unfold (plain, or a k² window strided by k: a
 * dilated window, the only place a stride may go), expand, share (with a
 * new axis of one of 1..3 weights, or of two live dims from disjoint
 * tensors), sum and mean.  Whatever is live at the end becomes the output.
 * Every op it returns passes syno_op_finish with no errors, and comes with
 * a small binding under which every size divides and the reference
 * evaluator's work (output elements x reduction points) stays under a
 * bound.  Everything is drawn from the caller's syno_rng, so one seed
 * gives the same operators on every machine.
 *
 * The operators use a fixed table of variables (syno_randop_vars):
 *   size N, C, H, W;   coef k = 3, s = 2, g = 2;
 * syno_randop_bind tries a fixed list of small bindings of N, C, H, W
 * (coefficients at their defaults) and so also works for any operator over
 * those variables, e.g. one rewritten by the canonicalizer. */
#ifndef SYNO_RANDOP_H
#define SYNO_RANDOP_H

#include "lang/graph.h"
#include "base/rng.h"

typedef struct syno_randop_opts {
    int min_depth, max_depth;     /* primitive applications (graph nodes); default 4..12 */
    int min_weights, max_weights; /* weights (0..SYNO_MAX_TENSORS-1); default 1..3 */
    int max_out_rank;             /* at most this many output axes; default 6 */
    double max_terms;             /* reference-evaluation work bound; default 2e5 */
    int max_tries;                /* attempts per call before giving up; default 2000 */
    unsigned prims;               /* allowed primitives, bit (1u << SYNO_PRIM_x); 0 = all */
} syno_randop_opts;

/* Counters a caller may inspect (tests print them). */
typedef struct syno_randop_stats {
    int tries;                    /* graphs built */
    int rejected_binding;         /* no binding divided or work was too large */
} syno_randop_stats;

/* Fills O with the defaults above. */
void syno_randop_defaults(syno_randop_opts *o);

/* Fills V with the variable table the generator uses (see above). */
void syno_randop_vars(syno_vars *v);

/* Builds a random operator in arena A over VARS (which must declare N, C,
 * H, W as sizes and k, s, g as coefficients, as syno_randop_vars does; k
 * must be odd), reporting into D, drawing from R.  O may be NULL for the
 * defaults; STATS may be NULL.  On success returns a finished, error-free
 * op and fills B with a binding from syno_randop_bind.  Returns NULL when
 * max_tries attempts all failed (with sane options this does not happen)
 * or, which would be a bug, when a built graph failed its checks (the
 * errors are then in D).  Rejected attempts are rewound out of A. */
syno_op *syno_randop(syno_arena *a, const syno_vars *vars, syno_diags *d, syno_rng *r, const syno_randop_opts *o,
                     syno_binding *b, syno_randop_stats *stats);

/* The companion binding: tries the fixed list of small bindings in order
 * and fills B with the first under which every size of OP (finished,
 * error-free, over variables named as above) is an integer >= 1, every
 * unfold window is odd, and the evaluation takes at most O->max_terms
 * terms (O may be NULL for the defaults).  Returns false when none does. */
bool syno_randop_bind(const syno_op *op, const syno_randop_opts *o, syno_binding *b);

#endif
