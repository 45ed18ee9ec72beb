/* graph.h - the operator graph: the single source of truth for what an
 * operator computes.
 *
 * Edges are dimensions (loop iterators with a size), nodes are primitives
 * (prims.def).  Every dimension is produced once (by a tensor axis or a
 * node) and consumed once (by a node or as an output axis).  Data flows from
 * the tensors' axes at the top to the output axes and reductions at the
 * bottom; indices propagate the other way.  Tensor 0 is the data input, the
 * others are weights.
 *
 * Graphs are built with the functions below (by sema.c from source, and by
 * the search and the canonical rewriter directly), then syno_op_finish
 * orders them, derives sizes and runs every check of LANGUAGE.md section 3,
 * reporting problems into the op's diagnostics. */
#ifndef SYNO_GRAPH_H
#define SYNO_GRAPH_H

#include "base/arena.h"
#include "lang/diag.h"
#include "lang/size.h"

typedef enum syno_prim {
#define SYNO_PRIM(e, name, args, nres, usage, index) SYNO_PRIM_##e,
#include "lang/prims.def"
#undef SYNO_PRIM
    SYNO_PRIM_COUNT
} syno_prim;

typedef struct syno_prim_info {
    const char *name;
    const char *args;   /* d = dimension, S = size, i = optional integer */
    int nresults;
    const char *usage;
    const char *index;
} syno_prim_info;

extern const syno_prim_info syno_prims[SYNO_PRIM_COUNT];
int syno_prim_lookup(const char *name);

#define SYNO_MAX_TENSORS 8   /* the input and up to 7 weights */
#define SYNO_MAX_RANK 16     /* axes of a tensor: the input, a weight, the output */
#define SYNO_MAX_NODES 1024  /* primitives of an operator written as text */
#define SYNO_DST_NONE (-1)   /* not consumed (yet) */
#define SYNO_DST_OUTPUT (-2) /* an output axis; dst_slot is its position */

typedef struct syno_dim {
    syno_size size;      /* derived by syno_op_finish, except for tensor axes */
    bool sized;          /* size is known */
    const char *name;    /* source name, or NULL when anonymous */
    syno_range range;    /* where it is defined */
    syno_range use;      /* where it is consumed */
    int src;             /* producing node, or -1 (tensor axis, or not produced yet) */
    int src_slot;        /* result slot of the producer, or axis number */
    int tensor;          /* owning tensor when it is a tensor axis, else -1 */
    int dst;             /* consuming node, SYNO_DST_OUTPUT or SYNO_DST_NONE */
    int dst_slot;        /* operand slot of the consumer, or output position */
    bool quiet;          /* already reported broken: no "never used" error */
} syno_dim;

typedef struct syno_node {
    syno_prim prim;
    int in[2];           /* consumed dims (top side); -1 where unused */
    int out[2];          /* produced dims (bottom side); -1 where unused */
    syno_size param;     /* R of split, s of stride, K of unfold, S of expand */
    int64_t shift;       /* d of shift */
    syno_range range;
    bool broken;         /* an argument failed to build: results stay unsized */
} syno_node;

typedef struct syno_tensor {
    const char *name;
    int rank;
    int *axes;           /* dim of each axis */
    syno_range range;
} syno_tensor;

typedef struct syno_op {
    const char *name;
    syno_range range;
    const syno_vars *vars;
    syno_arena *arena;
    syno_diags *diags;
    struct syno_module *module; /* where it was written, or NULL */
    int ndims, nnodes, ntensors, nout;
    int capdims, capnodes, captensors, capout;
    syno_dim *dims;
    syno_node *nodes;
    syno_tensor *tensors;       /* [0] is the data input, then the weights */
    int *out;                   /* output axes in order */
    syno_size *out_declared;    /* declared output sizes (or all-zero "none") */
    syno_range *out_declared_range;
    /* Derived by syno_op_finish: */
    int *order;                 /* node indices, producers before consumers */
    int norder;
    uint32_t *mask;             /* per dim: bit t set when tensor t is above it */
    int errors;                 /* errors reported while building and checking */
    bool finished;
} syno_op;

syno_op *syno_op_new(syno_arena *a, const syno_vars *vars, syno_diags *d, const char *name, syno_range r);
int syno_op_add_tensor(syno_op *op, const char *name, syno_range r);
int syno_op_add_axis(syno_op *op, int tensor, syno_size size, const char *name, syno_range r);
int syno_op_new_dim(syno_op *op, const char *name, syno_range r);
int syno_op_add_node(syno_op *op, syno_prim prim, const int in[2], const syno_range use[2],
                     syno_size param, int64_t shift, syno_range r, int out[2]);
void syno_op_add_output(syno_op *op, int dim, syno_range use, const syno_size *declared, syno_range declared_range);
bool syno_op_finish(syno_op *op);

/* Queries on a finished, error-free op. */
int syno_op_nreductions(const syno_op *op);
void syno_op_flops(const syno_op *op, syno_poly *p);
void syno_op_params(const syno_op *op, syno_poly *p);
void syno_op_dim_label(const syno_op *op, int dim, syno_buf *out);
bool syno_op_check_binding(const syno_op *op, const syno_binding *b, syno_diags *d, syno_range where);
bool syno_op_eval_sizes(const syno_op *op, const syno_binding *b, int64_t *sizes);
bool syno_op_binds_all(const syno_op *op, const syno_binding *b);

/* Appends the symbolic sizes of the N dims DIMS of OP to OUT, as
 * "[N, C_in, H, W]". */
void syno_op_print_dims(const syno_op *op, const int *dims, int n, syno_buf *out);

/* Appends "N=8, C_in=64, ..." to OUT: B's values of the variables OP's
 * sizes use, in declaration order. */
void syno_op_print_binding(const syno_op *op, const syno_binding *b, syno_buf *out);

/* Tensors by number, for shapes: 0 is the input, 1..ntensors-1 the weights
 * in declaration order, SYNO_OP_OUT the output. */
#define SYNO_OP_OUT (-1)

/* Rank of tensor T of OP (0..ntensors-1, or SYNO_OP_OUT). */
int syno_op_tensor_rank(const syno_op *op, int t);

/* Fills SHAPE (at least syno_op_tensor_rank entries) with the extents of
 * tensor T under SIZES (from syno_op_eval_sizes) and returns the rank.
 * Axes are in the order the operator declares them. */
int syno_op_tensor_shape(const syno_op *op, const int64_t *sizes, int t, int64_t *shape);

/* Number of elements of tensor T under SIZES, or -1 when it does not fit
 * in an int64_t. */
int64_t syno_op_tensor_numel(const syno_op *op, const int64_t *sizes, int t);

#endif
