/* plan.h - staged plans: an operator, or one of its gradients, lowered
 * under a binding to a short sequence of contractions chosen to minimise
 * FLOPs (Syno's "FLOPs game", ../shared/reference/syno-internals.md §5.4
 * and §7).  Every backend (the CPU executor, the CUDA code generator)
 * receives plans, never graphs.
 *
 * WHAT A PLAN COMPUTES
 *
 * A plan reads and writes float buffers (row-major, C order):
 *   - SYNO_PBUF_TENSOR: tensor `tensor` of the operator (0 = the input,
 *     1.. = the weights), axes in the order the operator declares them;
 *   - SYNO_PBUF_GRAD_OUT: (backward plans only) dy, the gradient of the
 *     loss with respect to the operator's output, in the output layout;
 *   - SYNO_PBUF_TEMP: an intermediate written by one stage and read by a
 *     later one (owned by whoever executes the plan);
 *   - SYNO_PBUF_RESULT: what the plan produces: the operator's output
 *     (forward plan), or dL/d(tensor wrt) in that tensor's layout
 *     (backward plan).  Exactly one buffer is the result.
 * Stages run in order.  Stage s writes every element of its output buffer
 * (no accumulation into earlier contents):
 *
 *   out[i_0, ..., i_{nout-1}] =
 *       scale · Σ_{i_nout .. i_{niters-1}}  [every guard holds]
 *             · Π_{k < nops} buf_k[ e_k,0(i), e_k,1(i), ... ]
 *
 * i.e. a loop nest over the stage's iterators: iterators [0, nout) are the
 * output axes, in the order of the output buffer's axes; iterators
 * [nout, niters) are summed.  Each operand reads one buffer; the index of
 * its axis a is the value of the index expression index[a], a small
 * integer expression over the iterators (split/merge/shift/reverse/stride/
 * unfold arithmetic: + , * const, floor-division and Euclidean modulo by a
 * positive constant).  Guards are the unfold bounds (the zero padding) and
 * the other conditions a term needs to exist: when one fails, the whole
 * term is 0 and no operand is read for it (indices may then be out of
 * range).  Indices of terms whose guards hold are always in range.  A stage
 * has 1 to 3 operands.  An iterator read by no operand is a broadcast
 * (output) or counts its extent times (reduction).
 *
 * Iterator i of a stage stands for a dimension (an index variable) of the
 * operator: `name` is a dim name from the source where it has one, `size`
 * its symbolic size and `extent` its value under the binding.
 *
 * HOW PLANS ARE CHOSEN
 *
 * The operator is read as a sum over index variables (the dims, with the
 * three dims of each share identified) of a product of tensors, subject to
 * relations between variables (each split/merge/shift/reverse/stride/
 * unfold node).  A stage takes 1-3 of the current tensors and some of the
 * remaining relations, sums out every variable used nowhere else, and
 * leaves a new tensor over the rest ("early reduction").  All stage
 * sequences are searched (with memoisation and a work bound) for the least
 * total FLOPs; ties go to fewer temporary bytes, then to fewer stages, then
 * to the first found (the search order is fixed, so plans are
 * deterministic).  Within a stage the summed iterators are chosen to make
 * the loop nest smallest (e.g. the gradient of a convolution with respect
 * to its input loops over the k taps with a bounds guard, not over every
 * pixel).
 *
 * FLOPs of a stage: points · (nops − 1 + [niters > nout]) where points is
 * the product of all iterator extents (guarded-out terms included), plus
 * one per output element when scale != 1.  The FLOPs of direct evaluation
 * (syno_op_flops: one loop nest, points · ntensors) is an upper bound of
 * the plan's: the one-stage plan is always a candidate when there are at
 * most 3 tensors.
 *
 * BACKWARD PLANS
 *
 * The operator is linear in each tensor, so dL/dT_t is the same kind of
 * sum, with T_t replaced by dy (a tensor over the output variables) and
 * T_t's axes as the result: a plan of the same form, in gather form (each
 * result element is computed by one reduction; no atomics, no scatter).
 * The variables an inverse index map cannot reach (the taps of a window,
 * the broadcast copies of an expand) become summed iterators, with guards
 * for the zero padding, for strides (index mod s == 0) and for equalities
 * a relation imposes.  The gradient with respect to a weight of an
 * operator with two weights reuses the cheap order: e.g. for syno_op1,
 * dA = dy contracted with (x contracted with B first).
 *
 * Plans are built for one binding (concrete extents); they own their
 * memory and are immutable after syno_plan_build. */
#ifndef SYNO_PLAN_H
#define SYNO_PLAN_H

#include "base/json.h"
#include "base/buf.h"
#include "lang/graph.h"

#define SYNO_PLAN_FORWARD (-1)   /* `wrt` of a forward plan */
#define SYNO_PLAN_MAX_OPS 3      /* operands per stage */
#define SYNO_PLAN_MAX_ITERS 64   /* iterators per stage (bit masks are uint64_t) */

typedef enum syno_pbuf_kind {
    SYNO_PBUF_TENSOR,   /* an operator tensor: `tensor` says which */
    SYNO_PBUF_GRAD_OUT, /* dy (backward plans) */
    SYNO_PBUF_TEMP,     /* an intermediate */
    SYNO_PBUF_RESULT,   /* the output (forward) or the gradient (backward) */
} syno_pbuf_kind;

typedef struct syno_plan_buf {
    syno_pbuf_kind kind;
    int tensor;          /* TENSOR: operator tensor index; RESULT of a backward plan: wrt; else -1 */
    const char *name;    /* "x", "f", "dy", "t1", "out", "dx", "df" ... */
    int rank;
    int64_t *shape;      /* [rank] extents; row-major layout */
    syno_size *sizes;    /* [rank] symbolic extents */
    int64_t numel;
} syno_plan_buf;

typedef enum syno_pexpr_op {
    SYNO_PX_ITER,   /* the value of iterator x */
    SYNO_PX_CONST,  /* the constant c */
    SYNO_PX_ADD,    /* expr x + expr y */
    SYNO_PX_MUL,    /* expr x * c (c may be negative) */
    SYNO_PX_DIV,    /* floor(expr x / c), c > 0 */
    SYNO_PX_MOD,    /* expr x mod c, Euclidean (result in [0, c)), c > 0 */
} syno_pexpr_op;

/* One node of an index expression.  The expressions of a stage live in one
 * array (stage->exprs); x and y are indices into it, always smaller than
 * the node's own index (so evaluating the array in order works). */
typedef struct syno_pexpr {
    syno_pexpr_op op;
    int x, y;
    int64_t c;
} syno_pexpr;

typedef enum syno_pguard_kind {
    SYNO_PG_RANGE,      /* lo <= expr < hi */
    SYNO_PG_MULTIPLE,   /* expr mod m == 0 (m stored in hi; lo unused) */
} syno_pguard_kind;

typedef struct syno_plan_guard {
    syno_pguard_kind kind;
    int expr;            /* index into stage->exprs */
    int64_t lo, hi;
    int operand;         /* an operand that reads every iterator the guard reads (the guard can be
                          * folded into that operand's gather: a zero for a failing guard), or -1 */
    uint64_t iters;      /* bit i: the guard reads iterator i */
} syno_plan_guard;

typedef struct syno_plan_operand {
    int buf;             /* buffer read */
    int *index;          /* [rank of buf] expression of each axis */
    uint64_t iters;      /* bit i: some index expression of this operand reads iterator i */
} syno_plan_operand;

typedef struct syno_plan_iter {
    const char *name;    /* a dim name of the operator (or "i3" for an anonymous dim) */
    syno_size size;      /* symbolic extent */
    int64_t extent;
} syno_plan_iter;

typedef struct syno_plan_stage {
    int niters, nout;            /* iterators; the first nout are the output axes */
    syno_plan_iter *iters;
    int out;                     /* buffer written: its axis a is iterator a (a < nout) */
    int nops;                    /* 1..SYNO_PLAN_MAX_OPS */
    syno_plan_operand ops[SYNO_PLAN_MAX_OPS];
    int nexprs;
    syno_pexpr *exprs;
    int nguards;
    syno_plan_guard *guards;
    double scale;                /* 1, or the 1/D factors of means */
    int64_t points;              /* product of every iterator extent */
    int64_t flops;               /* see "FLOPs of a stage" above */
} syno_plan_stage;

typedef struct syno_plan {
    const syno_op *op;           /* borrowed: must outlive the plan */
    syno_binding binding;
    int wrt;                     /* SYNO_PLAN_FORWARD, or the tensor the gradient is for */
    int nbufs;
    syno_plan_buf *bufs;
    int result;                  /* the RESULT buffer */
    int nstages;
    syno_plan_stage *stages;
    int64_t flops;               /* Σ stage flops */
    int64_t direct_flops;        /* syno_op_flops under the binding (same for every wrt) */
    int64_t temp_bytes;          /* Σ TEMP buffer bytes (float32) */
    bool searched;               /* false when the search hit its work bound and fell back
                                  * to a greedy order (the plan is valid, maybe not optimal) */
    struct syno_arena *arena;    /* owns everything above */
} syno_plan;

/* Builds the plan of OP (finished, error-free; borrowed for the plan's
 * life) under binding B for the forward pass (WRT = SYNO_PLAN_FORWARD) or
 * for the gradient with respect to tensor WRT (0 = input, 1.. = weights).
 * Every size of OP must evaluate under B (check with
 * syno_op_check_binding first).  Returns a new plan (free with
 * syno_plan_free), or NULL after appending why to ERR (sizes that do not
 * evaluate, more than SYNO_PLAN_MAX_ITERS variables, an element count that
 * overflows).  Deterministic: the same inputs give the same plan. */
syno_plan *syno_plan_build(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err);

/* As syno_plan_build, but without the search: one stage over every tensor
 * and every relation, i.e. direct evaluation as one loop nest (the
 * baseline plans are compared with).  Fails (NULL, ERR appended) when the
 * operator has more than SYNO_PLAN_MAX_OPS tensors. */
syno_plan *syno_plan_build_direct(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err);

/* An upper bound of the FLOPs of syno_plan_build's plan of OP under B
 * (forward): those of the same search cut short after BUDGET moves (then
 * greedy), without building the plan (the synthesis uses it to accept an
 * operator into a FLOPs window cheaply).  Returns a negative number when
 * the plan could not be built (as syno_plan_build would fail). */
double syno_plan_flops_upper(const syno_op *op, const syno_binding *b, long budget);

/* The least FLOPs of the plans syno_plan_build's search of OP under B
 * (forward) chooses among, when they are at most CAP: a branch and bound
 * that skips every sequence of stages that would cost more than CAP, or
 * more than one already found.  Returns INFINITY when every plan costs
 * more than CAP, and then so does syno_plan_build's, whether or not its
 * search hits its work bound (the synthesis uses it to reject an operator
 * from a FLOPs window cheaply); a negative number when BUDGET moves did not
 * settle it or the plan could not be built. */
double syno_plan_flops_min(const syno_op *op, const syno_binding *b, double cap, long budget);

/* A planner: the forward plan problem of one operator under one binding,
 * on which the plan searches above (the cut-short one, the branch and
 * bound, the full one) can run in turn and share their work (each solved
 * stage is solved once).  Their results are those of the functions above
 * and of syno_plan_build. */
typedef struct syno_planner syno_planner;

/* A new planner for OP (finished, error-free, its sizes evaluating under B;
 * borrowed for the planner's life) under B; NULL when its plan could not be
 * built (as syno_plan_build would fail).  Free with syno_planner_free. */
syno_planner *syno_planner_new(const syno_op *op, const syno_binding *b);

/* syno_plan_flops_upper of P's operator and binding, except that the
 * search stops as soon as it finds a plan of at most ENOUGH FLOPs and,
 * with no BUDGET, skips the plans whose first stage alone costs more
 * (-INFINITY: never; the bound is then looser, INFINITY when no plan
 * within ENOUGH was found, but still never below the FLOPs of
 * syno_plan_build's plan). */
double syno_planner_upper(syno_planner *P, long budget, double enough);

/* syno_plan_flops_min of P's operator and binding. */
double syno_planner_min(syno_planner *P, double cap, long budget);

/* syno_plan_build of P's operator and binding (forward): a new plan, or NULL
 * with the reason appended to ERR. */
syno_plan *syno_planner_plan(syno_planner *P, syno_buf *err);

/* Frees P (NULL is a no-op). */
void syno_planner_free(syno_planner *P);

/* Frees P and everything it owns.  NULL is a no-op. */
void syno_plan_free(syno_plan *p);

/* Appends a readable description of P: one block per stage with its loop
 * nest (iterators, extents), output, operands with their index
 * expressions, guards, scale and FLOPs; then the total against direct
 * evaluation. */
void syno_plan_print(const syno_plan *p, syno_buf *out);

/* Writes P as one JSON object (same content as syno_plan_print). */
void syno_plan_json(const syno_plan *p, syno_json *j);

/* Evaluates expression E of stage S at iterator values IT[niters]. */
int64_t syno_plan_expr_eval(const syno_plan_stage *s, int e, const int64_t *it);

/* Evaluates every expression of S at iterator values IT[niters] into
 * VAL[nexprs] (expressions only read earlier ones). */
void syno_plan_stage_eval(const syno_plan_stage *s, const int64_t *it, int64_t *val);

/* When expression E of stage S is affine in the iterators (no DIV/MOD on
 * a term that reads an iterator), fills COEF[niters] and *C0 so that
 * E = C0 + Σ COEF[i]·it[i] and returns true; else returns false. */
bool syno_plan_expr_affine(const syno_plan_stage *s, int e, int64_t *coef, int64_t *c0);

/* Executes P literally, in double precision, one term at a time (slow: a
 * second oracle for tests and a reference for other backends).  BUFS has
 * P->nbufs entries: TENSOR and GRAD_OUT buffers are inputs, TEMP and RESULT
 * are overwritten (all allocated by the caller with bufs[i].numel
 * elements). */
void syno_plan_run_naive(const syno_plan *p, double *const *bufs);

#endif
