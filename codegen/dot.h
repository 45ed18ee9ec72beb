/* dot.h - an operator graph as Graphviz DOT (`syno export --dot`, the
 * REPL's :dot).
 *
 * The picture follows the language's own reading of an operator: every
 * dimension is one edge, labelled with its name and size (and its value
 * under a binding); every primitive is a node; the input and the weights
 * are boxes at the top with one port per axis, the output is a box at the
 * bottom with one port per output axis.  Reductions (sum, mean) are drawn
 * as distinct sink nodes, so "where does this dimension go" is answered at
 * a glance.  The text is deterministic: nodes and edges come out in the
 * op's own order, so it can be compared in tests. */
#ifndef SYNO_DOT_H
#define SYNO_DOT_H

#include "lang/graph.h"

/* Appends the DOT text of OP to OUT.  OP must be finished and error-free.
 * B and SIZES (one value per dimension, from syno_op_eval_sizes) are both
 * NULL for a symbolic picture, or both given to add the bound values to
 * the labels and the binding to the title.  Never fails. */
void syno_dot_op(const syno_op *op, const syno_binding *b, const int64_t *sizes, syno_buf *out);

#endif
