/* pytorch.h - an operator as a self-contained PyTorch module (Python text
 * that imports only torch), for `syno export --pytorch` and the external
 * evaluator of the search.
 *
 * The module defines one nn.Module class named after the operator whose
 * forward computes exactly what the reference evaluator (interp/eval.h)
 * computes, in the layouts of interp/eval.h, with autograd for every
 * gradient.  How: every tensor is gathered with index tensors built from
 * the graph's index maps (shift x = (y + d) mod n, unfold with zero
 * padding as a guard, floor division and Euclidean mod for merges), then
 * the gathered operands are contracted with torch.einsum, two at a time in
 * the cheapest order for the sizes at hand.  Index tensors depend only on
 * the sizes and are cached.
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
 * NULL) supplies constructor defaults; SOURCE names where the operator
 * came from ("conv.syno:conv2d"), for the header comment. */
void syno_pytorch_emit(const syno_op *op, const syno_binding *b, const char *source, syno_buf *out);

#endif
