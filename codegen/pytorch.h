/* pytorch.h - an operator as a self-contained PyTorch module (Python text
 * that imports only torch), for `syno export --pytorch` and the external
 * evaluator of the search.
 *
 * The module defines one nn.Module class named after the operator whose
 * forward computes exactly what the reference evaluator (interp/eval.h)
 * computes, in the layouts of interp/eval.h, with autograd for every
 * gradient.  How, when every index map of the operator is a view (the
 * usual case): each tensor is viewed over the operator's iterators
 * (reshapes for split and merge, zero-padded windows for unfold, torch.roll
 * for shift, flip for reverse, strided slices for stride), then contracted
 * in the stage order of the operator's staged plan (codegen/plan.h, the
 * order the CPU executor runs), each stage as torch's own convolution when
 * it is one (with groups, stride and dilation), else as a matrix product
 * or einsum; reshapes are applied lazily, at the stage that needs them.
 * Otherwise (a merge across tensors that another primitive reads, an
 * unfold no tensor reads), every tensor is gathered with index tensors
 * built once per set of sizes.  Nothing in the module depends on the
 * device: the same code runs on CPU and CUDA tensors.
 *
 * Sizes: every size variable of the operator is a keyword argument of the
 * constructor; coefficients default to their declared values, primary
 * variables to the values of the binding given to the exporter (or None).
 * A variable still None is read from the input's shape at the first
 * forward when an input axis has exactly that size (typically the batch
 * N).  Weights are nn.Parameters named as in the operator, shaped from the
 * constructor's sizes. */
#ifndef SYNO_PYTORCH_H
#define SYNO_PYTORCH_H

#include "lang/graph.h"

/* Appends the module for OP (finished, error-free) to OUT.  B (may be
 * NULL) supplies constructor defaults; PLAN_B (may be NULL: then B, or,
 * where B leaves a size unbound, a binding chosen here) the sizes the
 * stage order is planned for (the module computes the same for any
 * sizes); SOURCE names where the operator came from ("conv.syno:conv2d"),
 * for the header comment. */
void syno_pytorch_emit(const syno_op *op, const syno_binding *b, const syno_binding *plan_b, const char *source,
                       syno_buf *out);

#endif
