/* cuda_contr.h - one GPU kernel's mathematics: a contraction in gather
 * form, the input of the CUDA emitter.
 *
 *     T[i_0, ..., i_{r-1}] = scale · Σ_{free iterators} [guards] · Π_k operand_k[offset_k]
 *
 * The first `nout` iterators are the axes of the tensor T being written, in
 * order (so T's C-order offset is the linear thread index); the others are
 * summed over.  Offsets and guards are affine index expressions over the
 * iterators (cuda_ix.h).  Every output element is owned by one thread:
 * no atomics.
 *
 * syno_cuda_contr_from_op derives such a contraction from an operator
 * graph for any target: the forward output, or the gradient of the loss
 * with respect to the input or to a weight (then the output gradient dy is
 * an operand).  It is the same derivation for all of them: the target's
 * axes are known, values flow through each primitive's index map in
 * whichever direction it can be solved (split/merge/shift/reverse/stride
 * are inverted exactly, an unfold with two of its three dims known yields
 * the third under a bounds guard), and when nothing more follows, one
 * unknown dim becomes a new summed iterator (reduction dims first, then
 * output dims, expands, other tensors' axes).  Any relation that was not
 * used to compute a value is checked as a guard, so the result is exact by
 * construction; the order of choices only affects speed. */
#ifndef SYNO_CUDA_CONTR_H
#define SYNO_CUDA_CONTR_H

#include "codegen/cuda_ix.h"
#include "lang/graph.h"

#define SYNO_CUDA_MAX_OPERANDS (SYNO_MAX_TENSORS + 1)
#define SYNO_CUDA_MAX_GUARDS 64
#define SYNO_CUDA_OUT (-1) /* the operator's output (as a target) or its gradient dy (as an operand) */

typedef struct syno_cuda_operand {
    int buf;             /* buffer read (numbering: see syno_cuda_contr_from_op / _from_stage) */
    char name[40];       /* parameter name in the kernel: "x", "f", "dy" */
    int64_t numel;
    syno_ix offset;      /* C-order element offset */
} syno_cuda_operand;

typedef struct syno_cuda_guard {
    syno_ix e;
    int64_t lo, hi;      /* lo <= e <= hi */
} syno_cuda_guard;

typedef struct syno_cuda_contr {
    char name[96];       /* kernel function name, a C identifier */
    char what[160];      /* one line for comments: "forward", "gradient of f" */
    int out_buf;         /* buffer written */
    char out_name[40];   /* parameter name of the result: "y", "dx", "df" */
    int64_t out_numel;
    syno_ix_space sp;
    int nout;            /* iterators 0..nout-1 are the result's axes */
    char iter_name[SYNO_IX_MAX_ITERS][24];
    int nops;
    syno_cuda_operand ops[SYNO_CUDA_MAX_OPERANDS];
    int nguards;
    syno_cuda_guard guards[SYNO_CUDA_MAX_GUARDS];
    double scale;        /* 1/Π of the mean extents; 1 otherwise */
} syno_cuda_contr;

/* Derives the one-kernel contraction computing TARGET (SYNO_CUDA_OUT for
 * the forward output, or a tensor index for that tensor's gradient) of the
 * finished, error-free OP under SIZES (syno_op_eval_sizes).  Buffers are
 * numbered like a plan's: tensor t is buffer t, dy is buffer ntensors, the
 * result is buffer ntensors + 1.  PREFIX starts the kernel name (a C
 * identifier).  Returns false with a reason in ERR when the operator is
 * beyond the emitter's fixed limits (iterators, guards, terms); free C with
 * syno_cuda_contr_fini either way. */
bool syno_cuda_contr_from_op(syno_cuda_contr *c, const syno_op *op, const int64_t *sizes, int target,
                             const char *prefix, syno_buf *err);

struct syno_plan;
/* The contraction of stage STAGE of plan P (codegen/plan.h); buffers are
 * the plan's.  Same failure and ownership rules as syno_cuda_contr_from_op. */
bool syno_cuda_contr_from_stage(syno_cuda_contr *c, const struct syno_plan *p, int stage, const char *prefix,
                                syno_buf *err);

void syno_cuda_contr_fini(syno_cuda_contr *c);

/* Appends C's mathematics without any name (extents, index expressions,
 * guards, operand sizes, scale): equal signatures compute the same thing
 * with the same loops, so a tuning result can be shared between them. */
void syno_cuda_contr_signature(const syno_cuda_contr *c, syno_buf *out);

/* Prints a one-paragraph description of C (iterators, guards, operand
 * offsets) as C comment lines, each starting with PREFIX. */
void syno_cuda_contr_describe(const syno_cuda_contr *c, const char *prefix, syno_buf *out);

#endif
