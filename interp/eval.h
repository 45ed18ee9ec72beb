/* eval.h - the reference evaluator: the meaning of an operator, computed
 * directly.  It is the oracle every other backend is tested against.
 *
 * It evaluates LANGUAGE.md section 3 literally.  The free iterators are the
 * output axes and the operands of sum/mean.  For every point of their domain
 * (every output element times every reduction point, a "term") it walks the
 * graph bottom-up, turning the indices of each node's produced dims into the
 * indices of its consumed dims with the index map of lang/prims.def (floor
 * division, Euclidean mod, unfold's bounds guard), and adds
 *
 *     [all unfold guards hold] · x[idx_x] · Π_t W_t[idx_t]   (÷ D per mean)
 *
 * to out[I].  A term whose guard fails is exactly 0 and reads no tensor.
 * Arithmetic is double precision: each output element is one double sum over
 * its reduction points, in C order of the reduction iterators (the operands
 * of sum/mean in the op's node order), then multiplied by 1/Π D of the means.
 *
 * Gradients come from the same walk, not from per-operator formulas: the
 * operator is linear in each tensor, so the gradient with respect to tensor
 * t is the transpose of the forward sum: every term scatters
 * dy[I] · (product of the other factors) into t's element at idx_t.
 *
 * Tensor layouts are C order with axes in the order the operator declares
 * them: the input's axes, each weight's axes, and the output axes in the
 * `-> [...]` order.  Tensors are numbered as in syno_op: 0 is the input,
 * 1..ntensors-1 the weights in declaration order; SYNO_OP_OUT names the
 * output (their shapes: syno_op_tensor_shape in lang/graph.h).  SIZES is
 * the per-dim size table from syno_op_eval_sizes.
 *
 * IEEE semantics: no value is tested, so a NaN or infinity in any factor of
 * a term that is read makes every output element it reaches NaN/inf (and
 * 0 · inf = NaN).  Elements never read by a valid term do not matter.
 *
 * The evaluator shares no code with codegen/.  It is slow on purpose (no
 * reordering, no factoring): use syno_ref_terms to bound the work first. */
#ifndef SYNO_EVAL_H
#define SYNO_EVAL_H

#include "base/array.h"
#include "lang/graph.h"

/* Number of terms the evaluator visits for one forward pass: output
 * elements times reduction points (the backward pass visits the same
 * terms once).  A double, so that huge operators do not overflow. */
double syno_ref_terms(const syno_op *op, const int64_t *sizes);

/* Forward pass.  OP must be finished without errors, SIZES its dim sizes
 * under a binding.  X is the input (numel(0) doubles), W[i] weight i+1
 * (W may be NULL when the op has no weights), OUT receives the output
 * (numel(SYNO_OP_OUT) doubles, fully overwritten).  Buffers are owned by
 * the caller and must not overlap OUT.  Cannot fail; misuse (an unfinished
 * op) is an internal error. */
void syno_ref_forward(const syno_op *op, const int64_t *sizes, const double *x, const double *const *w, double *out);

/* Backward pass: given DY (the gradient of a scalar loss with respect to
 * the output), computes DX = dL/dx and DW[i] = dL/d(weight i+1).  DX, DW or
 * any DW[i] may be NULL to skip that gradient; the others are fully
 * overwritten.  Same conventions and ownership as syno_ref_forward. */
void syno_ref_backward(const syno_op *op, const int64_t *sizes, const double *x, const double *const *w,
                       const double *dy, double *dx, double *const *dw);

/* A zeroed float32 array with tensor T's shape under SIZES (free with
 * syno_array_free).  The caller checks syno_op_tensor_numel against its memory
 * limit first. */
syno_array *syno_ref_array_new(const syno_op *op, const int64_t *sizes, int t);

/* Float32 wrappers: convert to double, evaluate, round the result to
 * float32.  Every array must have exactly its tensor's shape (checked:
 * a mismatch is an internal error, so check user data first). */
void syno_ref_forward_f32(const syno_op *op, const int64_t *sizes, const syno_array *x,
                          const syno_array *const *w, syno_array *out);
void syno_ref_backward_f32(const syno_op *op, const int64_t *sizes, const syno_array *x,
                           const syno_array *const *w, const syno_array *dy, syno_array *dx,
                           syno_array *const *dw);

#endif
