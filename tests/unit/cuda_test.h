/* cuda_test.h - what the CUDA backend's tests share: small bindings for the
 * standard library, random tensors, reference results, a fixed-tile
 * chooser.  Header-only (static functions), included by tests/unit/
 * t_cuda_*.c. */
#ifndef SYNO_CUDA_TEST_H
#define SYNO_CUDA_TEST_H

#include "codegen/cuda_prog.h"
#include "interp/eval.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The operators of stdlib/ the tests cover (all of them). */
static const char *const cuda_test_ops[] = {
    "conv2d", "conv1x1", "group_conv2d", "depthwise_conv2d", "dilated_conv2d", "pooled_conv2d",
    "shift_conv", "linear", "avgpool2d", "syno_op1", "syno_op2",
};

/* A small binding of OP's variables with awkward sizes (tiles do not
 * divide them): N=2 (20 for linear), C_in=12, C_out=20, H=W=6, k=3, g=2, s=2. */
static inline void cuda_test_binding(const syno_op *op, syno_binding *b)
{
    syno_binding_defaults(op->vars, b);
    static const struct {
        const char *name;
        int64_t v;
    } vals[] = {{"N", 2}, {"C_in", 12}, {"C_out", 20}, {"H", 6}, {"W", 6}, {"k", 3}, {"g", 2}, {"s", 2}};
    for (size_t i = 0; i < SYNO_ARRAY_LEN(vals); i++) {
        int v = syno_vars_find(op->vars, vals[i].name);
        if (v >= 0) b->val[v] = vals[i].v;
    }
    int n = syno_vars_find(op->vars, "N");
    if (n >= 0 && strcmp(op->name, "linear") == 0) b->val[n] = 20;
}

/* Float32 tensors for OP under SIZES: x, weights and dy, uniform in [-1, 1). */
typedef struct cuda_test_data {
    int ntensors;
    int64_t numel[SYNO_MAX_TENSORS + 1]; /* [ntensors] is dy */
    float *t[SYNO_MAX_TENSORS + 1];
} cuda_test_data;

static inline void cuda_test_data_init(cuda_test_data *d, const syno_op *op, const int64_t *sizes, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->ntensors = op->ntensors;
    syno_rng r;
    syno_rng_seed(&r, seed);
    for (int t = 0; t <= op->ntensors; t++) {
        d->numel[t] = syno_op_tensor_numel(op, sizes, t < op->ntensors ? t : SYNO_OP_OUT);
        d->t[t] = syno_xmalloc((size_t)d->numel[t] * sizeof(float));
        for (int64_t i = 0; i < d->numel[t]; i++) d->t[t][i] = (float)(2 * syno_rng_unit(&r) - 1);
    }
}

static inline void cuda_test_data_fini(cuda_test_data *d)
{
    for (int t = 0; t <= d->ntensors; t++) free(d->t[t]);
}

static inline double *to_double(const float *f, int64_t n)
{
    double *d = syno_xmalloc((size_t)(n ? n : 1) * sizeof *d);
    for (int64_t i = 0; i < n; i++) d[i] = f[i];
    return d;
}

/* The reference result for WRT (-1: forward output; else that gradient);
 * *N gets its element count.  The caller frees it. */
static inline double *cuda_test_reference(const syno_op *op, const int64_t *sizes, const cuda_test_data *d, int wrt,
                                   int64_t *n)
{
    double *in[SYNO_MAX_TENSORS + 1];
    for (int t = 0; t <= op->ntensors; t++) in[t] = to_double(d->t[t], d->numel[t]);
    const double *w[SYNO_MAX_TENSORS];
    for (int t = 1; t < op->ntensors; t++) w[t - 1] = in[t];
    double *res;
    if (wrt < 0) {
        *n = d->numel[op->ntensors];
        res = syno_xmalloc((size_t)*n * sizeof *res);
        syno_ref_forward(op, sizes, in[0], w, res);
    } else {
        *n = d->numel[wrt];
        res = syno_xmalloc((size_t)*n * sizeof *res);
        double *dw[SYNO_MAX_TENSORS] = {NULL};
        if (wrt > 0) dw[wrt - 1] = res;
        syno_ref_backward(op, sizes, in[0], w, in[op->ntensors], wrt == 0 ? res : NULL, dw);
    }
    for (int t = 0; t <= op->ntensors; t++) free(in[t]);
    return res;
}

/* The host data for buffer B of program P (an input), or NULL. */
static inline const float *cuda_test_input(const syno_cuda_prog *p, int b, const cuda_test_data *d)
{
    if (p->bufs[b].kind == SYNO_CUDA_BUF_TENSOR) return d->t[p->bufs[b].tensor];
    if (p->bufs[b].kind == SYNO_CUDA_BUF_DY) return d->t[d->ntensors];
    return NULL;
}

/* Largest |got - want| relative to the largest |want| (at least 1e-6). */
static inline double cuda_test_error(const float *got, const double *want, int64_t n)
{
    double scale = 1e-6, worst = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (!(e <= worst)) worst = e; /* NaN counts as the worst */
    }
    return worst / scale;
}

/* Chooser returning the tile *(syno_cuda_tile *)CTX. */
static inline syno_cuda_tile cuda_test_fixed(const syno_cuda_contr *c, void *ctx)
{
    (void)c;
    return *(const syno_cuda_tile *)ctx;
}

#endif
