/* t_cpu.c - the CPU executor (codegen/cpu.c) against the reference
 * evaluator (interp/eval.c), forward and backward.
 *
 * Error measure: max_i |cpu_i - ref_i| / max_i S_i, where ref is the
 * reference in double precision on the same float32 inputs and S_i the sum
 * of the magnitudes of the terms of element i (the reference on the
 * absolute values of the inputs; |ref_i| when nothing cancels).  The
 * executor sums in float32, whose error is bounded by a multiple of S_i
 * whatever cancels, so the bound is 1e-4: float rounding over the few
 * thousand terms of these sizes stays two orders of magnitude below it,
 * while an indexing mistake (a wrong or missing term) is of order 1.
 * (Against max_i |ref_i| instead, a gradient that is a small difference of
 * large sums showed 5e-4 in 5 of 100,000 random operators: rounding.)
 *
 * Covered: every stdlib and example operator under small bindings (windows
 * hanging over both edges) and under medium ones that take the sgemm path
 * with tiling, 220 random valid operators (lang/randop; SYNO_RANDOPS=N and
 * SYNO_RANDOP_SEED=S run N of them from seed S instead: the long
 * differential run of doc/testing.md), 1 and 3 threads,
 * repeatability, NaN propagation, and contractions with batch indices
 * (grouped and depthwise convolutions, tests/cpu/grouped.syno) with the
 * path each of their stages takes; the executor's matrix product
 * (cpu_mm.c) on its own against a double-precision loop, every
 * orientation, odd sizes around its block sizes, accumulation; products
 * read from padded copies (convolution windows) counted. */
#include "codegen/cpu.h"
#include "codegen/cpu_int.h"
#include "interp/cli.h"
#include "interp/eval.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "tests/tap.h"
#include "tests/unit/test_bind.h"

#include <math.h>

#define BOUND 1e-4

static bool sanitized;
static int gemm_stages, generic_stages, fused_stages, digit_stages, table_stages, padded_stages, padded_dot_stages;

/* The error measure above; SCALE holds the S_i. */
static double err_of(const float *got, const double *want, const double *scale, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(got[i]) != isnan(want[i])) return INFINITY;
        if (isnan(want[i])) continue;
        d = fmax(d, fabs(got[i] - want[i]));
        m = fmax(m, scale[i]);
    }
    return m > 0 ? d / m : d;
}

static void print_op(const syno_op *op, const syno_binding *b)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_graph_print_module(op, NULL, SYNO_PRINT_NEST, b, "small", &t);
    for (char *line = strtok(t.data, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
    syno_buf_fini(&t);
}

static void count_methods(syno_cpu *c, int wrt)
{
    syno_buf err = SYNO_BUF_INIT;
    const syno_plan *p = syno_cpu_plan(c, wrt, &err);
    syno_buf_fini(&err);
    for (int s = 0; p && s < p->nstages; s++) {
        const char *m = syno_cpu_stage_method(c, wrt, s);
        if (m && strncmp(m, "sgemm", 5) == 0) gemm_stages++;
        else generic_stages++;
        fused_stages += m && strstr(m, "read in place");
        digit_stages += m && strstr(m, " into ");
        table_stages += m && strstr(m, "index table");
        padded_stages += m && strstr(m, "R read from a padded copy");
        padded_dot_stages += m && strstr(m, "L and R read from padded copies");
    }
}

typedef struct tally {
    int cases, good;
    double worst;
} tally;

/* Runs OP under B on random data with the CPU executor and the reference
 * evaluator; returns the worst error over the output and every gradient
 * (INFINITY when the executor fails). */
static double compare(const syno_op *op, const syno_binding *b, syno_rng *r)
{
    int64_t *sizes = malloc((size_t)op->ndims * sizeof *sizes);
    SYNO_ASSERT(syno_op_eval_sizes(op, b, sizes));
    float *tf[SYNO_MAX_TENSORS], *gf[SYNO_MAX_TENSORS];
    double *td[SYNO_MAX_TENSORS], *gd[SYNO_MAX_TENSORS], *ta[SYNO_MAX_TENSORS], *ga[SYNO_MAX_TENSORS];
    int64_t n[SYNO_MAX_TENSORS];
    for (int t = 0; t < op->ntensors; t++) {
        n[t] = syno_op_tensor_numel(op, sizes, t);
        tf[t] = malloc((size_t)n[t] * sizeof(float));
        gf[t] = malloc((size_t)n[t] * sizeof(float));
        td[t] = malloc((size_t)n[t] * sizeof(double));
        gd[t] = malloc((size_t)n[t] * sizeof(double));
        ta[t] = malloc((size_t)n[t] * sizeof(double));
        ga[t] = malloc((size_t)n[t] * sizeof(double));
        for (int64_t i = 0; i < n[t]; i++) td[t][i] = tf[t][i] = (float)(2 * syno_rng_unit(r) - 1);
        for (int64_t i = 0; i < n[t]; i++) ta[t][i] = fabs(td[t][i]);
    }
    int64_t no = syno_op_tensor_numel(op, sizes, SYNO_OP_OUT);
    float *yf = malloc((size_t)no * sizeof(float)), *dyf = malloc((size_t)no * sizeof(float));
    double *yd = malloc((size_t)no * sizeof(double)), *dyd = malloc((size_t)no * sizeof(double));
    double *ya = malloc((size_t)no * sizeof(double)), *dya = malloc((size_t)no * sizeof(double));
    for (int64_t i = 0; i < no; i++) dyd[i] = dyf[i] = (float)(2 * syno_rng_unit(r) - 1);
    for (int64_t i = 0; i < no; i++) dya[i] = fabs(dyd[i]);
    syno_ref_forward(op, sizes, td[0], (const double *const *)(td + 1), yd);
    syno_ref_backward(op, sizes, td[0], (const double *const *)(td + 1), dyd, gd[0], gd + 1);
    /* the magnitudes S_i: every term is a product of tensor elements */
    syno_ref_forward(op, sizes, ta[0], (const double *const *)(ta + 1), ya);
    syno_ref_backward(op, sizes, ta[0], (const double *const *)(ta + 1), dya, ga[0], ga + 1);
    double worst = INFINITY;
    syno_buf err = SYNO_BUF_INIT;
    syno_cpu *c = syno_cpu_new(op, b, &err);
    if (c) {
        syno_cpu_forward(c, (const float *const *)tf, yf);
        worst = err_of(yf, yd, ya, no);
        if (syno_cpu_backward(c, (const float *const *)tf, dyf, gf, &err)) {
            for (int t = 0; t < op->ntensors; t++) worst = fmax(worst, err_of(gf[t], gd[t], ga[t], n[t]));
        } else {
            worst = INFINITY;
        }
        for (int w = SYNO_PLAN_FORWARD; w < op->ntensors; w++) count_methods(c, w);
        syno_cpu_free(c);
    }
    if (!(worst <= BOUND)) {
        printf("# %s: error %g%s%s\n", op->name, worst, err.len ? ": " : "", err.len ? syno_buf_str(&err) : "");
        print_op(op, b);
    }
    syno_buf_fini(&err);
    for (int t = 0; t < op->ntensors; t++) free(tf[t]), free(gf[t]), free(td[t]), free(gd[t]), free(ta[t]), free(ga[t]);
    free(yf);
    free(dyf);
    free(yd);
    free(dyd);
    free(ya);
    free(dya);
    free(sizes);
    return worst;
}

static void test_library(syno_ctx *ctx, syno_rng *r)
{
    static const char *const small[] = {
        "N=2,C_in=4,C_out=6,H=5,W=4,k=3,g=2,s=2",
        "N=1,C_in=4,C_out=8,H=2,W=7,k=5,g=2,s=2",
        "N=2,C_in=4,C_out=8,H=4,W=6,k=3,g=2,s=2",
        /* medium: matrix-product stages, several tiles */
        "N=2,C_in=8,C_out=16,H=8,W=9,k=3,g=4,s=2",
        "N=2,C_in=16,C_out=32,H=4,W=4,k=3,g=8,s=2",
    };
    syno_ctx_stdlib_op(ctx, "conv2d");
    syno_module *mods[64];
    int nmods = 0;
    for (int i = 0; i < ctx->nstdlib && nmods < 60; i++) mods[nmods++] = ctx->stdlib[i];
    const char *examples[] = {SYNO_SRCDIR "/examples/lowrank.syno", SYNO_SRCDIR "/examples/conv-layers.syno"};
    for (size_t i = 0; i < SYNO_ARRAY_LEN(examples); i++) {
        syno_module *m = syno_ctx_load_file(ctx, examples[i]);
        if (m) mods[nmods++] = m;
    }
    tally t = {0};
    int ops = 0;
    for (int m = 0; m < nmods; m++)
        for (int i = 0; i < mods[m]->nops; i++) {
            const syno_op *op = mods[m]->ops[i];
            ops++;
            for (size_t bi = 0; bi < SYNO_ARRAY_LEN(small); bi++) {
                syno_binding b;
                bind_loose(op, small[bi], &b);
                int64_t sz[512];
                if (op->ndims > 512 || !syno_op_eval_sizes(op, &b, sz)) continue;
                if (sanitized && syno_ref_terms(op, sz) > 4e4) continue;
                double e = compare(op, &b, r);
                t.cases++;
                t.good += e <= BOUND;
                if (!(e <= t.worst)) t.worst = e;
            }
        }
    ok(ops >= 12 && t.cases >= 2 * ops, "%d library operators, %d bindings", ops, t.cases);
    is_int(t.good, t.cases, "library operators: cpu equals ref, forward and every gradient (bound %g)", BOUND);
    printf("# worst error %g\n", t.worst);
}

static void test_random(syno_rng *r)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.max_terms = sanitized ? 4e3 : 1.5e4;
    syno_arena *a = syno_arena_new();
    syno_diags d;
    syno_diags_init(&d, NULL);
    int nops = 220, built = 0;
    const char *count = getenv("SYNO_RANDOPS"), *seed = getenv("SYNO_RANDOP_SEED");
    if (count && atoi(count) > 0) nops = atoi(count);
    syno_rng own;
    if (seed) {
        syno_rng_seed(&own, strtoull(seed, NULL, 10));
        r = &own;
    }
    tally t = {0};
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, r, &o, &b, NULL);
        if (!op) continue;
        built++;
        double e = compare(op, &b, r);
        t.cases++;
        t.good += e <= BOUND;
        if (!(e <= t.worst)) t.worst = e;
    }
    is_int(built, nops, "%d random operators generated", nops);
    is_int(t.good, t.cases, "random operators: cpu equals ref, forward and every gradient (bound %g)", BOUND);
    printf("# worst error %g\n", t.worst);
    syno_diags_fini(&d);
    syno_arena_free(a);
}

/* Same results with 1 and 3 threads, and twice in a row. */
static void test_threads(syno_ctx *ctx, syno_rng *r)
{
    syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
    syno_binding b;
    bind_loose(op, "N=3,C_in=8,C_out=16,H=9,W=11", &b);
    int64_t sz[64];
    syno_op_eval_sizes(op, &b, sz);
    int64_t nx = syno_op_tensor_numel(op, sz, 0), nf = syno_op_tensor_numel(op, sz, 1), ny = syno_op_tensor_numel(op, sz, SYNO_OP_OUT);
    float *x = malloc((size_t)nx * 4), *f = malloc((size_t)nf * 4);
    float *y[3] = {malloc((size_t)ny * 4), malloc((size_t)ny * 4), malloc((size_t)ny * 4)};
    for (int64_t i = 0; i < nx; i++) x[i] = (float)syno_rng_unit(r);
    for (int64_t i = 0; i < nf; i++) f[i] = (float)syno_rng_unit(r);
    const float *t[2] = {x, f};
    int saved = syno_cpu_threads();
    syno_buf err = SYNO_BUF_INIT;
    syno_cpu_set_threads(1);
    syno_cpu *c = syno_cpu_new(op, &b, &err);
    syno_cpu_forward(c, t, y[0]);
    syno_cpu_forward(c, t, y[1]);
    ok(memcmp(y[0], y[1], (size_t)ny * 4) == 0, "two forward calls give identical results");
    syno_cpu_free(c);
    syno_cpu_set_threads(3);
    is_int(syno_cpu_threads(), 3, "thread count set to 3");
    c = syno_cpu_new(op, &b, &err);
    syno_cpu_forward(c, t, y[2]);
    syno_cpu_free(c);
    double d = 0;
    for (int64_t i = 0; i < ny; i++) d = fmax(d, fabs(y[0][i] - y[2][i]));
    ok(d < 1e-4, "1 and 3 threads agree (max difference %g)", d);
    syno_cpu_set_threads(saved);
    syno_buf_fini(&err);
    free(x);
    free(f);
    for (int i = 0; i < 3; i++) free(y[i]);
}

/* A NaN in the input reaches exactly the outputs whose terms read it;
 * zero padding reads nothing. */
static void test_nan(syno_ctx *ctx)
{
    syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
    syno_binding b;
    bind_loose(op, "N=1,C_in=2,C_out=3,H=6,W=6", &b);
    float x[72], f[54], y[108];
    for (int i = 0; i < 72; i++) x[i] = 1.0f;
    for (int i = 0; i < 54; i++) f[i] = 0.5f;
    x[0 * 36 + 2 * 6 + 2] = NAN; /* channel 0, (2, 2) */
    syno_buf err = SYNO_BUF_INIT;
    syno_cpu *c = syno_cpu_new(op, &b, &err);
    const float *t[2] = {x, f};
    syno_cpu_forward(c, t, y);
    int nans = 0, right = 1;
    for (int o = 0; o < 3; o++)
        for (int yy = 0; yy < 6; yy++)
            for (int zz = 0; zz < 6; zz++) {
                bool reads = abs(yy - 2) <= 1 && abs(zz - 2) <= 1;
                bool isn = isnan(y[o * 36 + yy * 6 + zz]);
                nans += isn;
                right &= reads == isn;
            }
    ok(right && nans == 27, "a NaN input makes exactly the 3x3 neighbourhood NaN in every output channel (%d)", nans);
    syno_cpu_free(c);
    syno_buf_fini(&err);
}

/* Long reductions into small outputs (weight gradients) split K over the
 * threads: with gathered operands (conv2d) and with operands read in place
 * (linear), on the pool.  The plans must say so, and be exact. */
static void test_ksplit(syno_ctx *ctx, syno_rng *r)
{
    static const struct {
        const char *op, *bind;
        int wrt;
    } cases[] = {
        {"conv2d", "N=4,C_in=4,C_out=4,H=16,W=16", 1},
        {"linear", "N=2048,C_in=16,C_out=8", 1},
    };
    int saved = syno_cpu_threads();
    syno_cpu_set_threads(2);
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cases); i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, cases[i].op);
        syno_binding b;
        bind_loose(op, cases[i].bind, &b);
        syno_buf err = SYNO_BUF_INIT;
        syno_cpu *c = syno_cpu_new(op, &b, &err);
        const syno_plan *p = c ? syno_cpu_plan(c, cases[i].wrt, &err) : NULL;
        const char *m = p ? syno_cpu_stage_method(c, cases[i].wrt, 0) : NULL;
        bool split = m && strstr(m, "K split");
        ok(split && p->stages[0].points >= 65536, "%s [%s] gradient of %s: %s", op->name, cases[i].bind,
           op->tensors[cases[i].wrt].name, m ? m : syno_buf_str(&err));
        syno_cpu_free(c);
        syno_buf_fini(&err);
        double e = compare(op, &b, r);
        ok(e <= BOUND, "%s [%s]: cpu equals ref with K split over 2 threads (error %g)", op->name, cases[i].bind, e);
    }
    syno_cpu_set_threads(saved);
}

/* Contractions with batch indices: grouped convolutions with 2, 4 and
 * C_in groups (depthwise), depthwise with a channel multiplier, groups
 * from two splits, interleaved groups (the group as the output channel's
 * low digit), a group from a split of a merged axis, and a window over a
 * reshaped row (floor division and modulo, no batch index).  Forward and
 * every gradient against the reference evaluator, and the path each stage
 * takes: batched sgemm over iterators split into digits (cpu_digits.c),
 * products read in place (cpu_fused.c), index tables (cpu_access.c). */
/* Convolution windows read from padded copies (cpu_gemm.c's padded mode):
 * forward, input and weight gradients of convolutions with 3x3 and
 * dilated windows, groups, a pooled stage and syno_op2's shifted rows, at
 * sizes whose products take that path (and each of cpu_mm.c's kernels for
 * it), on 1 and 2 threads. */
static void test_padded(syno_ctx *ctx, syno_rng *r)
{
    static const struct {
        const char *op, *bind;
    } cases[] = {
        {"conv2d", "N=8,C_in=16,C_out=16,H=16,W=16"},
        {"conv2d", "N=2,C_in=8,C_out=32,H=12,W=10,k=5"},
        {"conv2d", "N=2,C_in=16,C_out=16,H=16,W=16"},
        {"group_conv2d", "N=2,C_in=32,C_out=32,H=16,W=16,g=2"},
        {"dilated_conv2d", "N=8,C_in=16,C_out=16,H=16,W=16"},
        {"group_conv2d", "N=8,C_in=16,C_out=16,H=16,W=16,g=2"},
        {"pooled_conv2d", "N=2,C_in=16,C_out=16,H=32,W=32,s=2"},
        {"syno_op2", "N=2,C_in=16,C_out=16,H=16,W=16,g=2,s=2"},
        /* 16 and 32 rows, rows of 8 for 6: broadcast by pixel, 6 pixels
         * at a time across rows; weight gradient transposed (32 of 144) */
        {"conv2d", "N=64,C_in=16,C_out=32,H=7,W=6"},
        /* weight gradient with 20 rows transposed (16 + 8 lanes) */
        {"conv2d", "N=48,C_in=20,C_out=12,H=6,W=6"},
    };
    int saved = syno_cpu_threads();
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cases); i++) {
        if (sanitized && i % 2) continue;
        syno_op *op = syno_ctx_stdlib_op(ctx, cases[i].op);
        syno_binding b;
        bind_loose(op, cases[i].bind, &b);
        syno_cpu_set_threads(1 + (int)(i % 2));
        double e = compare(op, &b, r);
        ok(e <= BOUND, "%s [%s], %d thread(s): cpu equals ref, forward and every gradient (error %g)", op->name,
           cases[i].bind, syno_cpu_threads(), e);
    }
    syno_cpu_set_threads(saved);
}

static void test_grouped(syno_ctx *ctx, syno_rng *r)
{
    static const struct {
        const char *op, *bind;
        const char *fwd[2], *dx[2]; /* substrings the methods of the forward and input-gradient stages have */
    } cases[] = {
        {"group_conv2d", "N=2,C_in=16,C_out=16,H=6,W=8,k=3,g=2", {"sgemm 2x[", "o into o/8 o%8"}, {"sgemm 2x[", "c into c/8 c%8"}},
        {"group_conv2d", "N=2,C_in=16,C_out=16,H=6,W=8,k=3,g=4", {"sgemm 4x[", "o into o/4 o%4"}, {"sgemm 4x[", "c into c/4 c%4"}},
        {"group_conv2d", "N=2,C_in=8,C_out=16,H=6,W=8,k=3,g=8", {"read in place", "o into o/2 o%2"}, {"read in place", ""}},
        {"group_conv2d", "N=2,C_in=8,C_out=8,H=5,W=7,k=3,g=8", {"read in place", ""}, {"read in place", ""}},
        {"depthwise_conv2d", "N=2,C_in=8,H=6,W=8,k=3", {"read in place", ""}, {"read in place", ""}},
        {"depthwise_mult", "N=2,C_in=8,H=6,W=8,k=3,s=2", {"read in place", "o into o/2 o%2"}, {"read in place", ""}},
        {"group_of_groups", "N=2,C_in=16,C_out=16,H=6,W=8,g=2,s=2", {"sgemm 4x[", "o into o/8 (o/4)%2 o%4"},
         {"sgemm 4x[", "c into c/8 (c/4)%2 c%4"}},
        {"interleaved", "N=2,C_in=16,C_out=16,H=6,W=8,g=2", {"sgemm 2x[", "o into o/2 o%2"}, {"sgemm 2x[", "c into c/8 c%8"}},
        {"regroup", "N=2,C_in=16,C_out=16,H=6,W=8,g=2,s=2", {"sgemm 2x[", "o into o/8 o%8"}, {"sgemm 2x[", "c into c/8 c%8"}},
        {"unfold_reshaped", "N=2,C_in=16,C_out=16,H=6,W=8,s=2", {"sgemm", "x through an index table"}, {"sgemm", "d into d/4 d%4"}},
    };
    syno_module *m = syno_ctx_load_file(ctx, SYNO_SRCDIR "/tests/cpu/grouped.syno");
    ok(m != NULL, "tests/cpu/grouped.syno loads");
    int saved = syno_cpu_threads();
    syno_cpu_set_threads(2);
    for (size_t i = 0; m && i < SYNO_ARRAY_LEN(cases); i++) {
        syno_op *op = syno_module_find_op(m, cases[i].op);
        if (!op) op = syno_ctx_stdlib_op(ctx, cases[i].op);
        if (!op) {
            ok(0, "operator %s", cases[i].op);
            continue;
        }
        syno_binding b;
        bind_loose(op, cases[i].bind, &b);
        syno_buf err = SYNO_BUF_INIT;
        syno_cpu *c = syno_cpu_new(op, &b, &err);
        const syno_plan *px = c ? syno_cpu_plan(c, 0, &err) : NULL;
        const char *mf = c ? syno_cpu_stage_method(c, SYNO_PLAN_FORWARD, 0) : NULL;
        const char *mx = px ? syno_cpu_stage_method(c, 0, 0) : NULL;
        bool path = mf && mx && c && syno_cpu_plan(c, SYNO_PLAN_FORWARD, &err)->nstages == 1 && px->nstages == 1;
        for (int k = 0; k < 2 && path; k++) path = strstr(mf, cases[i].fwd[k]) && strstr(mx, cases[i].dx[k]);
        ok(path, "%s [%s]: forward '%s', input gradient '%s'", op->name, cases[i].bind, mf ? mf : syno_buf_str(&err),
           mx ? mx : "-");
        syno_cpu_free(c);
        syno_buf_fini(&err);
        double e = compare(op, &b, r);
        ok(e <= BOUND, "%s [%s]: cpu equals ref, forward and every gradient (error %g)", op->name, cases[i].bind, e);
    }
    syno_cpu_set_threads(saved);
}

/* cpu_mm against the definition, in double: sizes around the kernel's
 * panels (6 rows, 16 columns, 3 x 4 dot blocks, 8-float vectors) and its K
 * blocks (256, 2048), every transposition, leading dimensions wider than
 * the matrices, alpha, and accumulation into C. */
static void test_mm(syno_rng *r)
{
    static const int64_t sizes[][3] = {{1, 1, 1},   {5, 17, 3},  {6, 16, 8},   {7, 15, 9},    {13, 33, 31},
                                       {32, 196, 288}, {16, 12, 320}, {3, 4, 257}, {40, 2, 600}, {9, 9, 2100}};
    float *work = syno_xmalloc((size_t)cpu_mm_work() * sizeof *work);
    double worst = 0;
    int cases = 0;
    for (size_t s = 0; s < SYNO_ARRAY_LEN(sizes); s++)
        for (int v = 0; v < 8; v++) {
            int64_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2];
            bool ta = v & 1, tb = v & 2, acc = v & 4;
            if (sanitized && k > 300) continue;
            int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
            int64_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
            float *a = syno_xmalloc((size_t)na * sizeof *a), *b = syno_xmalloc((size_t)nb * sizeof *b);
            float *c = syno_xmalloc((size_t)nc * sizeof *c);
            double *want = syno_xmalloc((size_t)nc * sizeof *want);
            for (int64_t i = 0; i < na; i++) a[i] = (float)syno_rng_normal(r);
            for (int64_t i = 0; i < nb; i++) b[i] = (float)syno_rng_normal(r);
            for (int64_t i = 0; i < nc; i++) want[i] = c[i] = (float)syno_rng_normal(r);
            float alpha = 0.5f + (float)v;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double sum = 0;
                    for (int64_t q = 0; q < k; q++)
                        sum += (double)(ta ? a[q * lda + i] : a[i * lda + q]) * (tb ? b[j * ldb + q] : b[q * ldb + j]);
                    want[i * ldc + j] = alpha * sum + (acc ? want[i * ldc + j] : 0);
                }
            cpu_mm(ta, tb, m, n, k, alpha, a, lda, b, ldb, acc, c, ldc, work);
            double d = 0, mx = 1e-30;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    d = fmax(d, fabs(c[i * ldc + j] - want[i * ldc + j]));
                    mx = fmax(mx, fabs(want[i * ldc + j]));
                }
            /* the padding between rows of C is never written */
            bool pad_kept = true;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = n; j < ldc; j++) pad_kept &= c[i * ldc + j] == (float)want[i * ldc + j];
            if (!pad_kept) d = INFINITY;
            worst = fmax(worst, d / mx / sqrt((double)k));
            cases++;
            free(a);
            free(b);
            free(c);
            free(want);
        }
    free(work);
    ok(worst <= 1e-6, "cpu_mm equals the definition in %d cases (every transposition, alpha, accumulation, "
       "odd sizes): relative error %.2g per sqrt(k)", cases, worst);
}

int main(void)
{
    sanitized = getenv("SYNO_SANITIZED") != NULL;
    syno_ctx *ctx = syno_ctx_new();
    syno_rng r;
    syno_rng_seed(&r, 11);
    test_mm(&r);
    test_library(ctx, &r);
    test_random(&r);
    test_threads(ctx, &r);
    test_ksplit(ctx, &r);
    test_padded(ctx, &r);
    test_grouped(ctx, &r);
    test_nan(ctx);
    printf("# stages run as sgemm: %d, generic: %d\n", gemm_stages, generic_stages);
    ok(gemm_stages >= 20 && generic_stages >= 20, "both execution methods were exercised (%d sgemm, %d generic)",
       gemm_stages, generic_stages);
    printf("# generic stages read in place: %d; stages with iterators split into digits: %d; with index tables: %d\n",
           fused_stages, digit_stages, table_stages);
    printf("# products on padded copies: %d streamed, %d weight-gradient\n", padded_stages, padded_dot_stages);
    ok(padded_stages >= (sanitized ? 3 : 6) && padded_dot_stages >= (sanitized ? 2 : 4), "products read from padded copies were exercised (%d, %d)",
       padded_stages, padded_dot_stages);
    ok(fused_stages >= 20 && digit_stages >= 20 && table_stages >= 20,
       "products read in place, digit splits and index tables were exercised");
    syno_ctx_free(ctx);
    return tap_done();
}
