/* pytorch_int.h - what the files of the PyTorch exporter share (not a
 * public API).
 *
 * pytorch.c writes the module around the forward pass (header, helpers,
 * constructor, parameters, bind) and asks pytorch_views.c for the forward
 * pass as views and contractions in the order of the staged plan; when the
 * operator's index maps cannot all be views, pytorch_gather.c writes it
 * with index tensors instead. */
#ifndef SYNO_PYTORCH_INT_H
#define SYNO_PYTORCH_INT_H

#include "codegen/pytorch.h"
#include "base/arena.h"

/* The distinct sizes a forward pass uses, each a Python variable z<k>. */
typedef struct py_sizes {
    const syno_op *op;
    syno_arena *a;
    int n, cap;
    syno_size *s;
} py_sizes;

/* The name of the variable holding size S ("z3"), registering it. */
const char *py_size(py_sizes *z, syno_size s);

/* Appends `_mono(v, terms, "text")`, the Python value of size S under the
 * sizes dictionary v. */
void py_mono(const syno_op *op, syno_size s, syno_buf *out);

/* A Python-safe spelling of identifier NAME (arena-allocated when it
 * changes). */
const char *py_name(syno_arena *a, const char *name);

/* The Python expression of tensor T in forward(): "x" or "self.<weight>". */
const char *py_tensor(const syno_op *op, syno_arena *a, int t);

/* Appends the methods `_indices` and `forward` that compute OP with index
 * tensors (pytorch_gather.c); works for every operator. */
void py_gather_forward(const syno_op *op, syno_arena *a, syno_buf *out);

/* Appends the methods `_sizes` and `forward` that compute OP with views of
 * its tensors (reshapes, padded windows, rolls, flips, strided slices) and
 * contractions (convolutions, matrix products, einsum) in the stage order
 * of its plan under PLAN_B (pytorch_views.c).  Returns false, appending
 * nothing, when some index map of OP is not a view. */
bool py_views_forward(const syno_op *op, const syno_binding *plan_b, syno_arena *a, syno_buf *out);

#endif
