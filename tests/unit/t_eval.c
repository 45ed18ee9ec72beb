/* t_eval.c - the reference evaluator (interp/eval.c) against hand-written
 * loops, and its gradients against finite differences.
 *
 * Every stdlib operator is evaluated on random inputs under several small
 * bindings (including H and W smaller than the window, so that unfold
 * windows hang over both edges, and k = 5) and compared with a direct
 * nested-loop implementation of the formula in the stdlib comment.  Small
 * one-primitive operators pin down each index map (negative shifts,
 * reverse, merge/split order, unfold padding, expand, mean).  Gradients of
 * the input and every weight are checked against central differences of
 * the forward pass in float64, for every stdlib operator and a set of
 * random operators (lang/randop). */
#include "interp/cli.h"
#include "interp/eval.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "tests/tap.h"

#include <math.h>

static syno_ctx *ctx;
static bool sanitized;

/* ---- helpers ------------------------------------------------------------------ */

typedef struct bound {
    const syno_op *op;
    syno_binding b;
    int64_t sizes[256];
    double *t[SYNO_MAX_TENSORS]; /* [0] = x, then the weights */
    int64_t numel[SYNO_MAX_TENSORS];
    double *out;
    int64_t nout;
} bound;

static int64_t V(const bound *bd, const char *var)
{
    int v = syno_vars_find(bd->op->vars, var);
    SYNO_ASSERT(v >= 0);
    return bd->b.val[v];
}

/* Binds OP by the --bind text SPEC and fills its tensors with random values. */
static bool bind_random(bound *bd, const syno_op *op, const char *spec, syno_rng *r)
{
    memset(bd, 0, sizeof *bd);
    bd->op = op;
    SYNO_ASSERT(op->ndims <= 256);
    if (syno_cli_binding(op, spec, &bd->b) != SYNO_EXIT_OK) return false;
    if (!syno_op_eval_sizes(op, &bd->b, bd->sizes)) return false;
    for (int t = 0; t < op->ntensors; t++) {
        bd->numel[t] = syno_op_tensor_numel(op, bd->sizes, t);
        bd->t[t] = malloc((size_t)bd->numel[t] * sizeof(double));
        for (int64_t i = 0; i < bd->numel[t]; i++) bd->t[t][i] = 2 * syno_rng_unit(r) - 1;
    }
    bd->nout = syno_op_tensor_numel(op, bd->sizes, SYNO_OP_OUT);
    bd->out = calloc((size_t)bd->nout, sizeof(double));
    return true;
}

static void unbind(bound *bd)
{
    for (int t = 0; t < bd->op->ntensors; t++) free(bd->t[t]);
    free(bd->out);
}

static void forward(bound *bd, double *out)
{
    syno_ref_forward(bd->op, bd->sizes, bd->t[0], (const double *const *)(bd->t + 1), out);
}

/* max |a - b| / max(max |b|, 1e-300) */
static double rel_diff(const double *a, const double *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(b[i])) return INFINITY;
        d = fmax(d, fabs(a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return d / fmax(m, 1e-300);
}

static syno_op *stdlib_op(const char *name)
{
    syno_op *op = syno_ctx_stdlib_op(ctx, name);
    if (!op || op->errors) {
        syno_diags_print(&ctx->diags, stdout);
        return NULL;
    }
    return op;
}

static syno_op *parse_op(const char *text, const char *name)
{
    syno_module *m = syno_ctx_load_string(ctx, name, text, strlen(text));
    syno_op *op = m ? syno_module_find_op(m, name) : NULL;
    if (!op || op->errors || m->errors) {
        syno_diags_print(&ctx->diags, stdout);
        return NULL;
    }
    return op;
}

/* x[..] with zero outside: the value at a 4-D index, or 0 when h or w leave the image. */
static double x4(const bound *bd, int64_t n, int64_t c, int64_t h, int64_t w)
{
    int64_t C = bd->sizes[bd->op->tensors[0].axes[1]], H = bd->sizes[bd->op->tensors[0].axes[2]],
            W = bd->sizes[bd->op->tensors[0].axes[3]];
    if (h < 0 || h >= H || w < 0 || w >= W) return 0;
    return bd->t[0][((n * C + c) * H + h) * W + w];
}

static int64_t emod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

/* ---- hand-written references: the formulas of the stdlib comments --------------- */

typedef void (*hand_fn)(const bound *bd, double *out);

static void hand_conv2d(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k");
    const double *f = bd->t[1];
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t c = 0; c < Ci; c++)
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t b = 0; b < k; b++)
                                acc += x4(bd, n, c, y + a - k / 2, z + b - k / 2) * f[((o * Ci + c) * k + a) * k + b];
                    out[((n * Co + o) * H + y) * W + z] = acc;
                }
}

static void hand_conv1x1(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++) {
                    double acc = 0;
                    for (int64_t c = 0; c < Ci; c++) acc += x4(bd, n, c, h, w) * bd->t[1][o * Ci + c];
                    out[((n * Co + o) * H + h) * W + w] = acc;
                }
}

static void hand_group_conv2d(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k"),
            g = V(bd, "g");
    int64_t cg = Ci / g, og = Co / g;
    const double *f = bd->t[1]; /* [g, C_out/g, C_in/g, k, k] */
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    int64_t gam = o / og, j = o % og;
                    double acc = 0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t b = 0; b < k; b++)
                                acc += x4(bd, n, gam * cg + c, y + a - k / 2, z + b - k / 2) *
                                       f[(((gam * og + j) * cg + c) * k + a) * k + b];
                    out[((n * Co + o) * H + y) * W + z] = acc;
                }
}

static void hand_depthwise(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), C = V(bd, "C_in"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k");
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t a = 0; a < k; a++)
                        for (int64_t b = 0; b < k; b++)
                            acc += x4(bd, n, c, y + a - k / 2, z + b - k / 2) * bd->t[1][(c * k + a) * k + b];
                    out[((n * C + c) * H + y) * W + z] = acc;
                }
}

static void hand_dilated(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t c = 0; c < Ci; c++)
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t b = 0; b < k; b++)
                                acc += x4(bd, n, c, y + k * a - k * k / 2, z + k * b - k * k / 2) *
                                       bd->t[1][((o * Ci + c) * k + a) * k + b];
                    out[((n * Co + o) * H + y) * W + z] = acc;
                }
}

static void hand_pooled(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k"),
            s = V(bd, "s");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t c = 0; c < Ci; c++)
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t b = 0; b < k; b++) {
                                int64_t hp = y / s + a - k / 2, wp = z / s + b - k / 2;
                                if (hp < 0 || hp >= H / s || wp < 0 || wp >= W / s) continue;
                                for (int64_t i = 0; i < s; i++)
                                    for (int64_t j = 0; j < s; j++)
                                        acc += x4(bd, n, c, hp * s + i, wp * s + j) *
                                               bd->t[1][((o * Ci + c) * k + a) * k + b];
                            }
                    out[((n * Co + o) * H + y) * W + z] = acc / (double)(s * s);
                }
}

static void hand_shift_conv(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t c = 0; c < Ci; c++) acc += x4(bd, n, c, (y + 1) % H, (z + 1) % W) * bd->t[1][o * Ci + c];
                    out[((n * Co + o) * H + y) * W + z] = acc;
                }
}

static void hand_linear(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++) {
            double acc = 0;
            for (int64_t i = 0; i < Ci; i++) acc += bd->t[0][n * Ci + i] * bd->t[1][o * Ci + i];
            out[n * Co + o] = acc;
        }
}

static void hand_avgpool(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), C = V(bd, "C_in"), H = V(bd, "H"), W = V(bd, "W"), s = V(bd, "s");
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t y = 0; y < H / s; y++)
                for (int64_t z = 0; z < W / s; z++) {
                    double acc = 0;
                    for (int64_t a = 0; a < s; a++)
                        for (int64_t b = 0; b < s; b++) acc += x4(bd, n, c, y * s + a, z * s + b);
                    out[((n * C + c) * (H / s) + y) * (W / s) + z] = acc / (double)(s * s);
                }
}

/* syno_op1 and syno_op2 (OP2 true): A[γ,p,(q,)o,m], B[γ·C_in/g + c, q, m]. */
static void hand_syno(const bound *bd, double *out, bool op2)
{
    int64_t N = V(bd, "N"), Ci = V(bd, "C_in"), Co = V(bd, "C_out"), H = V(bd, "H"), W = V(bd, "W"), k = V(bd, "k"),
            g = V(bd, "g"), s = V(bd, "s");
    int64_t cg = Ci / g, M = Co / (g * s);
    const double *A = bd->t[1], *B = bd->t[2];
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t z = 0; z < W; z++) {
                    double acc = 0;
                    for (int64_t gam = 0; gam < g; gam++)
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t p = 0; p < k; p++)
                                for (int64_t q = 0; q < k; q++)
                                    for (int64_t m = 0; m < M; m++) {
                                        int64_t ch = gam * cg + c, hh = y + p - k / 2, ww = z + q - k / 2;
                                        if (hh < 0 || hh >= H) continue;
                                        if (op2) hh = emod(hh + 1, H);
                                        double a = op2 ? A[((gam * k + p) * Co + o) * M + m]
                                                       : A[(((gam * k + p) * k + q) * Co + o) * M + m];
                                        acc += x4(bd, n, ch, hh, ww) * a * B[(ch * k + q) * M + m];
                                    }
                    out[((n * Co + o) * H + y) * W + z] = acc;
                }
}

static void hand_syno_op1(const bound *bd, double *out) { hand_syno(bd, out, false); }
static void hand_syno_op2(const bound *bd, double *out) { hand_syno(bd, out, true); }

/* ---- one-primitive operators: each index map on its own -------------------------- */

static const char prim_src[] =
    "size N, C;\ncoef k = 3;\n"
    "op p_reverse(x[i: N]) -> [j] { j = reverse(i); }\n"
    "op p_shift(x[i: N]) -> [j] { j = shift(i, -2); }\n"
    "op p_merge(x[a: N, b: C]) -> [y] { y = merge(a, b); }\n"
    "op p_split(x[a: N]) -> [l, r] { l, r = split(a, k); }\n"
    "op p_unfold(x[i: N]) -> [m, w] { m, w = unfold(i, k); }\n"
    "op p_expand(x[i: N]) -> [e, i] { e = expand(C); }\n"
    "op p_mean(x[i: N, j: C]) -> [i] { mean(j); }\n"
    "op p_stride(x[i: N]) -> [m, t] { m, w = unfold(i, k^2); t = stride(w, k); }\n";

static void hand_p_reverse(const bound *bd, double *out)
{
    int64_t N = V(bd, "N");
    for (int64_t j = 0; j < N; j++) out[j] = bd->t[0][N - 1 - j];
}

static void hand_p_shift(const bound *bd, double *out)
{
    int64_t N = V(bd, "N");
    for (int64_t j = 0; j < N; j++) out[j] = bd->t[0][emod(j - 2, N)];
}

static void hand_p_merge(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), C = V(bd, "C");
    for (int64_t y = 0; y < N * C; y++) out[y] = bd->t[0][(y / C) * C + y % C];
}

static void hand_p_split(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), k = V(bd, "k");
    for (int64_t l = 0; l < N / k; l++)
        for (int64_t r = 0; r < k; r++) out[l * k + r] = bd->t[0][l * k + r];
}

static void hand_p_unfold(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), k = V(bd, "k");
    for (int64_t m = 0; m < N; m++)
        for (int64_t w = 0; w < k; w++) {
            int64_t i = m + w - k / 2;
            out[m * k + w] = i >= 0 && i < N ? bd->t[0][i] : 0;
        }
}

static void hand_p_expand(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), C = V(bd, "C");
    for (int64_t e = 0; e < C; e++)
        for (int64_t i = 0; i < N; i++) out[e * N + i] = bd->t[0][i];
}

static void hand_p_mean(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), C = V(bd, "C");
    for (int64_t i = 0; i < N; i++) {
        double acc = 0;
        for (int64_t j = 0; j < C; j++) acc += bd->t[0][i * C + j];
        out[i] = acc / (double)C;
    }
}

static void hand_p_stride(const bound *bd, double *out)
{
    int64_t N = V(bd, "N"), k = V(bd, "k");
    for (int64_t m = 0; m < N; m++)
        for (int64_t t = 0; t < k; t++) {
            int64_t i = m + t * k - k * k / 2;
            out[m * k + t] = i >= 0 && i < N ? bd->t[0][i] : 0;
        }
}

/* ---- the cases ---------------------------------------------------------------------- */

typedef struct ref_case {
    const char *op;
    hand_fn hand;
    const char *binds[4];
    bool stdlib;
} ref_case;

static const ref_case cases[] = {
    {"conv2d", hand_conv2d, {"N=2,C_in=3,C_out=2,H=5,W=4", "N=1,C_in=2,C_out=3,H=2,W=3", "N=1,C_in=2,C_out=2,H=3,W=2,k=5", "N=1,C_in=1,C_out=2,H=1,W=6,k=5"}, true},
    {"conv1x1", hand_conv1x1, {"N=2,C_in=3,C_out=4,H=3,W=2", "N=1,C_in=5,C_out=2,H=1,W=4"}, true},
    {"group_conv2d", hand_group_conv2d, {"N=1,C_in=4,C_out=6,H=3,W=4,g=2", "N=2,C_in=6,C_out=3,H=2,W=2,g=3", "N=1,C_in=4,C_out=4,H=3,W=3,g=2,k=5"}, true},
    {"depthwise_conv2d", hand_depthwise, {"N=2,C_in=3,H=4,W=5", "N=1,C_in=2,H=2,W=3,k=5"}, true},
    {"dilated_conv2d", hand_dilated, {"N=1,C_in=2,C_out=2,H=7,W=5", "N=2,C_in=1,C_out=3,H=3,W=4", "N=1,C_in=1,C_out=1,H=12,W=2"}, true},
    {"pooled_conv2d", hand_pooled, {"N=1,C_in=2,C_out=3,H=6,W=4", "N=2,C_in=1,C_out=2,H=4,W=2", "N=1,C_in=2,C_out=1,H=6,W=6,s=3"}, true},
    {"shift_conv", hand_shift_conv, {"N=2,C_in=3,C_out=2,H=3,W=4", "N=1,C_in=2,C_out=3,H=1,W=5"}, true},
    {"linear", hand_linear, {"N=3,C_in=5,C_out=4", "N=1,C_in=1,C_out=7"}, true},
    {"avgpool2d", hand_avgpool, {"N=2,C_in=3,H=4,W=6", "N=1,C_in=2,H=6,W=3,s=3"}, true},
    {"syno_op1", hand_syno_op1, {"N=1,C_in=4,C_out=8,H=3,W=4,g=2", "N=2,C_in=2,C_out=4,H=2,W=2,g=2", "N=1,C_in=6,C_out=12,H=3,W=2,g=3,s=2"}, true},
    {"syno_op2", hand_syno_op2, {"N=1,C_in=4,C_out=8,H=3,W=4,g=2", "N=2,C_in=2,C_out=4,H=2,W=3,g=2", "N=1,C_in=4,C_out=8,H=4,W=2,g=2,k=5"}, true},
    {"p_reverse", hand_p_reverse, {"N=5,C=2", "N=2,C=2"}, false},
    {"p_shift", hand_p_shift, {"N=5,C=2", "N=1,C=2", "N=2,C=2"}, false},
    {"p_merge", hand_p_merge, {"N=3,C=4"}, false},
    {"p_split", hand_p_split, {"N=6,C=2", "N=15,C=2,k=5"}, false},
    {"p_unfold", hand_p_unfold, {"N=4,C=2", "N=1,C=2", "N=3,C=2,k=5"}, false},
    {"p_expand", hand_p_expand, {"N=3,C=4"}, false},
    {"p_mean", hand_p_mean, {"N=3,C=5"}, false},
    {"p_stride", hand_p_stride, {"N=10,C=2", "N=4,C=2"}, false},
};

/* ---- gradients ------------------------------------------------------------------------ */

/* Checks dL/dt (L = Σ dy·out) from syno_ref_backward against central
 * differences of the forward pass, at up to MAXPTS elements of each tensor
 * (all of them when the tensor is smaller).  Returns the worst relative
 * error over all tensors. */
static double grad_error(bound *bd, syno_rng *r, int maxpts)
{
    const syno_op *op = bd->op;
    double *dy = malloc((size_t)bd->nout * sizeof *dy), *plus = malloc((size_t)bd->nout * sizeof *plus),
           *minus = malloc((size_t)bd->nout * sizeof *minus);
    for (int64_t i = 0; i < bd->nout; i++) dy[i] = 2 * syno_rng_unit(r) - 1;
    double *g[SYNO_MAX_TENSORS];
    for (int t = 0; t < op->ntensors; t++) g[t] = malloc((size_t)bd->numel[t] * sizeof(double));
    syno_ref_backward(op, bd->sizes, bd->t[0], (const double *const *)(bd->t + 1), dy, g[0], g + 1);
    double worst = 0;
    const double h = 1e-3;
    for (int t = 0; t < op->ntensors; t++) {
        double scale = 0;
        for (int64_t e = 0; e < bd->numel[t]; e++) scale = fmax(scale, fabs(g[t][e]));
        int n = bd->numel[t] < maxpts ? (int)bd->numel[t] : maxpts;
        for (int i = 0; i < n; i++) {
            int64_t e = bd->numel[t] <= maxpts ? i : (int64_t)syno_rng_below(r, (uint64_t)bd->numel[t]);
            double keep = bd->t[t][e];
            bd->t[t][e] = keep + h;
            forward(bd, plus);
            bd->t[t][e] = keep - h;
            forward(bd, minus);
            bd->t[t][e] = keep;
            double fd = 0;
            for (int64_t o = 0; o < bd->nout; o++) fd += dy[o] * (plus[o] - minus[o]);
            fd /= 2 * h;
            worst = fmax(worst, fabs(fd - g[t][e]) / fmax(scale, 1e-12));
        }
    }
    for (int t = 0; t < op->ntensors; t++) free(g[t]);
    free(dy);
    free(plus);
    free(minus);
    return worst;
}

/* For an operator linear in each tensor, Σ dy·out = Σ_e dt[e]·t[e] for
 * every tensor t: an identity between forward and backward at all points. */
static double transpose_error(bound *bd, syno_rng *r)
{
    const syno_op *op = bd->op;
    double *dy = malloc((size_t)bd->nout * sizeof *dy);
    for (int64_t i = 0; i < bd->nout; i++) dy[i] = 2 * syno_rng_unit(r) - 1;
    forward(bd, bd->out);
    double lhs = 0, mag = 0;
    for (int64_t i = 0; i < bd->nout; i++) lhs += dy[i] * bd->out[i], mag += fabs(dy[i] * bd->out[i]);
    double *g[SYNO_MAX_TENSORS];
    for (int t = 0; t < op->ntensors; t++) g[t] = malloc((size_t)bd->numel[t] * sizeof(double));
    syno_ref_backward(op, bd->sizes, bd->t[0], (const double *const *)(bd->t + 1), dy, g[0], g + 1);
    double worst = 0;
    for (int t = 0; t < op->ntensors; t++) {
        double rhs = 0;
        for (int64_t e = 0; e < bd->numel[t]; e++) rhs += g[t][e] * bd->t[t][e];
        worst = fmax(worst, fabs(lhs - rhs) / fmax(mag, 1e-12));
        free(g[t]);
    }
    free(dy);
    return worst;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_cases(syno_rng *r)
{
    for (size_t ci = 0; ci < SYNO_ARRAY_LEN(cases); ci++) {
        const ref_case *c = &cases[ci];
        const syno_op *op = c->stdlib ? stdlib_op(c->op) : parse_op(prim_src, c->op);
        if (!op) {
            ok(0, "%s: loads", c->op);
            continue;
        }
        for (int bi = 0; bi < 4 && c->binds[bi]; bi++) {
            bound bd;
            if (!bind_random(&bd, op, c->binds[bi], r)) {
                ok(0, "%s under %s: binds", c->op, c->binds[bi]);
                continue;
            }
            double *want = calloc((size_t)bd.nout, sizeof *want);
            forward(&bd, bd.out);
            c->hand(&bd, want);
            double d = rel_diff(bd.out, want, bd.nout);
            if (!ok(d < 1e-12, "%s under %s equals the hand-written loop", c->op, c->binds[bi]))
                printf("#   relative difference %g\n", d);
            /* Gradients: every element when small, a sample otherwise. */
            double ge = grad_error(&bd, r, sanitized ? 6 : 40);
            if (!ok(ge < 1e-8, "%s under %s: gradients of every tensor equal central differences", c->op,
                    c->binds[bi]))
                printf("#   worst relative error %g\n", ge);
            free(want);
            unbind(&bd);
        }
    }
}

/* Float32 wrappers agree with the float64 core (to float32 rounding). */
static void test_f32(syno_rng *r)
{
    const syno_op *op = stdlib_op("syno_op1");
    bound bd;
    if (!op || !bind_random(&bd, op, "N=1,C_in=4,C_out=8,H=3,W=3,g=2", r)) {
        ok(0, "syno_op1 binds");
        return;
    }
    syno_array *x = syno_ref_array_new(op, bd.sizes, 0), *y = syno_ref_array_new(op, bd.sizes, SYNO_OP_OUT);
    syno_array *w[2] = {syno_ref_array_new(op, bd.sizes, 1), syno_ref_array_new(op, bd.sizes, 2)};
    syno_array *dy = syno_ref_array_new(op, bd.sizes, SYNO_OP_OUT), *dx = syno_ref_array_new(op, bd.sizes, 0);
    syno_array *dw[2] = {syno_ref_array_new(op, bd.sizes, 1), NULL};
    for (int t = 0; t < 3; t++) {
        syno_array *a = t == 0 ? x : w[t - 1];
        for (int64_t i = 0; i < a->numel; i++) a->data[i] = (float)bd.t[t][i], bd.t[t][i] = a->data[i];
    }
    syno_array_fill_uniform(dy, r, -1, 1);
    syno_ref_forward_f32(op, bd.sizes, x, (const syno_array *const *)w, y);
    forward(&bd, bd.out);
    double worst = 0;
    for (int64_t i = 0; i < y->numel; i++) worst = fmax(worst, fabs(y->data[i] - bd.out[i]) / fmax(fabs(bd.out[i]), 1e-3));
    ok(worst < 1e-6, "float32 forward wrapper matches the float64 core (%g)", worst);
    syno_ref_backward_f32(op, bd.sizes, x, (const syno_array *const *)w, dy, dx, dw);
    double *dyd = malloc((size_t)dy->numel * sizeof *dyd), *dxd = malloc((size_t)dx->numel * sizeof *dxd);
    for (int64_t i = 0; i < dy->numel; i++) dyd[i] = dy->data[i];
    double *dwd[2] = {malloc((size_t)dw[0]->numel * sizeof(double)), NULL};
    syno_ref_backward(op, bd.sizes, bd.t[0], (const double *const *)(bd.t + 1), dyd, dxd, dwd);
    worst = 0;
    for (int64_t i = 0; i < dx->numel; i++) worst = fmax(worst, fabs(dx->data[i] - dxd[i]) / fmax(fabs(dxd[i]), 1e-3));
    for (int64_t i = 0; i < dw[0]->numel; i++)
        worst = fmax(worst, fabs(dw[0]->data[i] - dwd[0][i]) / fmax(fabs(dwd[0][i]), 1e-3));
    ok(worst < 1e-6, "float32 backward wrapper matches the float64 core, skipping a NULL gradient (%g)", worst);
    int64_t shape[8];
    int rank = syno_op_tensor_shape(op, bd.sizes, 1, shape);
    ok(rank == 5 && shape[0] == 2 && shape[1] == 3 && shape[2] == 3 && shape[3] == 8 && shape[4] == 2,
       "syno_op_tensor_shape gives A's declared axis order [g, k, k, C_out, C_out/(g*s)]");
    ok(syno_ref_terms(op, bd.sizes) == 1.0 * 8 * 3 * 3 * 2 * 2 * 3 * 3 * 2, "syno_ref_terms counts output x reductions");
    free(dyd);
    free(dxd);
    free(dwd[0]);
    syno_array_free(x);
    syno_array_free(y);
    syno_array_free(w[0]);
    syno_array_free(w[1]);
    syno_array_free(dy);
    syno_array_free(dx);
    syno_array_free(dw[0]);
    unbind(&bd);
}

/* NaN and infinity propagate by IEEE rules into exactly the outputs that read them. */
static void test_nan(syno_rng *r)
{
    const syno_op *op = parse_op(prim_src, "p_unfold");
    bound bd;
    if (!op || !bind_random(&bd, op, "N=5,C=2", r)) {
        ok(0, "p_unfold binds");
        return;
    }
    bd.t[0][0] = NAN;
    forward(&bd, bd.out);
    int nans = 0;
    bool right = true;
    for (int64_t m = 0; m < 5; m++)
        for (int64_t w = 0; w < 3; w++) {
            bool reads = m + w - 1 == 0;
            nans += isnan(bd.out[m * 3 + w]);
            right &= reads == (bool)isnan(bd.out[m * 3 + w]);
        }
    ok(right && nans == 2, "a NaN input element makes exactly the outputs that read it NaN (%d)", nans);
    unbind(&bd);
}

/* Random operators: forward/backward identities and finite differences. */
static void test_random_grads(syno_rng *r)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.max_terms = sanitized ? 2e3 : 1e4;
    syno_arena *a = syno_arena_new();
    syno_diags d;
    syno_diags_init(&d, NULL);
    int nops = sanitized ? 30 : 60, transposed = 0, fd_ok = 0, built = 0;
    double worst_t = 0, worst_fd = 0;
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, r, &o, &b, NULL);
        if (!op) continue;
        built++;
        bound bd;
        memset(&bd, 0, sizeof bd);
        bd.op = op;
        bd.b = b;
        syno_op_eval_sizes(op, &b, bd.sizes);
        for (int t = 0; t < op->ntensors; t++) {
            bd.numel[t] = syno_op_tensor_numel(op, bd.sizes, t);
            bd.t[t] = malloc((size_t)bd.numel[t] * sizeof(double));
            for (int64_t e = 0; e < bd.numel[t]; e++) bd.t[t][e] = 2 * syno_rng_unit(r) - 1;
        }
        bd.nout = syno_op_tensor_numel(op, bd.sizes, SYNO_OP_OUT);
        bd.out = calloc((size_t)bd.nout, sizeof(double));
        double te = transpose_error(&bd, r), ge = grad_error(&bd, r, 4);
        worst_t = fmax(worst_t, te);
        worst_fd = fmax(worst_fd, ge);
        transposed += te < 1e-10;
        fd_ok += ge < 1e-8;
        if (te >= 1e-10 || ge >= 1e-8) {
            syno_buf t = SYNO_BUF_INIT;
            syno_graph_print_module(op, NULL, SYNO_PRINT_NEST, &b, "small", &t);
            printf("# failing random operator (transpose %g, fd %g):\n", te, ge);
            for (char *line = strtok(t.data, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
            syno_buf_fini(&t);
        }
        unbind(&bd);
    }
    is_int(built, nops, "every random operator was generated");
    is_int(transposed, built, "random operators: Σ dy·out = Σ dt·t for the input and every weight");
    is_int(fd_ok, built, "random operators: gradients equal central differences");
    printf("# worst: transpose %g, finite differences %g\n", worst_t, worst_fd);
    syno_diags_fini(&d);
    syno_arena_free(a);
}

int main(void)
{
    sanitized = getenv("SYNO_SANITIZED") != NULL;
    ctx = syno_ctx_new();
    syno_rng r;
    syno_rng_seed(&r, 20250301);
    test_cases(&r);
    test_f32(&r);
    test_nan(&r);
    test_random_grads(&r);
    syno_ctx_free(ctx);
    return tap_done();
}
