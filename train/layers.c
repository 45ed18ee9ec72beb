/* layers.c - the fixed layers of the proxy network (see layers.h).
 *
 * Every parallel loop hands out whole output rows, planes or channels, so
 * no two threads ever add into the same number and results do not depend
 * on the thread count. */
#include "train/layers.h"

#include "base/pool.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Work (in element operations) below which a layer runs on the calling
 * thread alone: handing a few hundred microseconds of memory-bound work to
 * the pool costs a wake-up and a barrier, which on a busy machine (where a
 * worker may wait for a time slice) costs more than it saves. */
#define PARALLEL_MIN_WORK ((int64_t)1 << 22)

/* Runs FN over NUNITS units: on the pool when WORK is large enough. */
static void run(int64_t nunits, syno_pool_fn fn, void *ctx, int64_t work)
{
    if (work >= PARALLEL_MIN_WORK) {
        syno_pool_run(nunits, fn, ctx);
        return;
    }
    for (int64_t u = 0; u < nunits; u++) fn(ctx, u, 0);
}

/* Reductions in LANES independent float partial sums, combined in a fixed
 * order at the end: the compiler vectorises them (a single float
 * accumulator would be a serial chain) and the result does not depend on
 * the thread count. */
#define LANES 8

/* Σ a[j] b[j] over j < n. */
static float dot(const float *restrict a, const float *restrict b, int n)
{
    float acc[LANES] = {0};
    int j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += a[j + l] * b[j + l];
    float s = 0;
    for (; j < n; j++) s += a[j] * b[j];
    for (int l = 0; l < LANES; l++) s += acc[l];
    return s;
}

/* Σ x[j] and Σ (x[j] - m)² over j < n. */
static void moments(const float *restrict x, int n, float m, float *sum, float *sq)
{
    float a[LANES] = {0}, b[LANES] = {0};
    int j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) {
            float d = x[j + l] - m;
            a[l] += d;
            b[l] += d * d;
        }
    float sa = 0, sb = 0;
    for (; j < n; j++) {
        float d = x[j] - m;
        sa += d;
        sb += d * d;
    }
    for (int l = 0; l < LANES; l++) sa += a[l], sb += b[l];
    *sum = sa + m * (float)n;
    *sq = sb;
}

/* Σ dz[j] and Σ dz[j] (x[j] - m) over j < n, with dz = dy where y > 0. */
static void relu_grad_sums(const float *restrict x, const float *restrict y, const float *restrict dy, int n, float m,
                           float *sdz, float *sdzx)
{
    float a[LANES] = {0}, b[LANES] = {0};
    int j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) {
            float dz = y[j + l] > 0 ? dy[j + l] : 0;
            a[l] += dz;
            b[l] += dz * (x[j + l] - m);
        }
    float sa = 0, sb = 0;
    for (; j < n; j++) {
        float dz = y[j] > 0 ? dy[j] : 0;
        sa += dz;
        sb += dz * (x[j] - m);
    }
    for (int l = 0; l < LANES; l++) sa += a[l], sb += b[l];
    *sdz = sa;
    *sdzx = sb;
}

/* ---- stem ---------------------------------------------------------------- */

typedef struct stem_ctx {
    const float *x, *w, *dy;
    float *y, *dw;
    int n, c, h, wd;
} stem_ctx;

/* The columns j for which j + b - 1 is inside [0, wd). */
static void tap_cols(int b, int wd, int *j0, int *j1)
{
    *j0 = b == 0 ? 1 : 0;
    *j1 = b == 2 ? wd - 1 : wd;
}

static void stem_fwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const stem_ctx *s = ctx;
    int h = s->h, wd = s->wd;
    const float *x = s->x + u * h * wd;
    for (int ch = 0; ch < s->c; ch++) {
        float *y = s->y + (u * s->c + ch) * h * wd;
        memset(y, 0, (size_t)h * wd * sizeof *y);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                float wv = s->w[ch * 9 + a * 3 + b];
                int j0, j1;
                tap_cols(b, wd, &j0, &j1);
                for (int i = 0; i < h; i++) {
                    int si = i + a - 1;
                    if (si < 0 || si >= h) continue;
                    float *restrict yr = y + i * wd;
                    const float *restrict xr = x + si * wd + b - 1;
                    for (int j = j0; j < j1; j++) yr[j] += wv * xr[j];
                }
            }
    }
}

void syno_layer_stem_forward(const float *x, const float *w, float *y, int n, int c, int h, int wd)
{
    stem_ctx s = {.x = x, .w = w, .y = y, .n = n, .c = c, .h = h, .wd = wd};
    run(n, stem_fwd_unit, &s, (int64_t)n * c * h * wd * 9);
}

static void stem_bwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const stem_ctx *s = ctx;
    int h = s->h, wd = s->wd, ch = (int)u;
    double acc[9] = {0};
    for (int img = 0; img < s->n; img++) {
        const float *x = s->x + (int64_t)img * h * wd;
        const float *dy = s->dy + ((int64_t)img * s->c + ch) * h * wd;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                int j0, j1;
                tap_cols(b, wd, &j0, &j1);
                float sum = 0;
                for (int i = 0; i < h; i++) {
                    int si = i + a - 1;
                    if (si < 0 || si >= h) continue;
                    sum += dot(dy + i * wd + j0, x + si * wd + b - 1 + j0, j1 - j0);
                }
                acc[a * 3 + b] += sum;
            }
    }
    for (int k = 0; k < 9; k++) s->dw[ch * 9 + k] = (float)acc[k];
}

void syno_layer_stem_backward(const float *x, const float *dy, float *dw, int n, int c, int h, int wd)
{
    stem_ctx s = {.x = x, .dy = dy, .dw = dw, .n = n, .c = c, .h = h, .wd = wd};
    run(c, stem_bwd_unit, &s, (int64_t)n * c * h * wd * 9);
}

/* ---- batch normalisation + ReLU --------------------------------------------- */

typedef struct bn_ctx {
    syno_bn *bn;
    const float *x, *y, *dy;
    float *out, *dx;
    int n, hw;
    bool train, update;
} bn_ctx;

static void bn_fwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const bn_ctx *k = ctx;
    syno_bn *bn = k->bn;
    int ch = (int)u, hw = k->hw;
    int64_t cs = (int64_t)bn->c * hw;
    float mean, rstd;
    if (k->train) {
        /* shifted by the first element: E[(x-c)^2] - E[x-c]^2 stays accurate when the mean is large */
        float c0 = k->x[(int64_t)ch * hw];
        double s = 0, v = 0;
        for (int i = 0; i < k->n; i++) {
            float a, b;
            moments(k->x + i * cs + (int64_t)ch * hw, hw, c0, &a, &b);
            s += a;
            v += b;
        }
        double m = (double)k->n * hw, mu = s / m, dm = mu - c0;
        double var = v / m - dm * dm;
        if (var < 0) var = 0;
        mean = (float)mu;
        rstd = (float)(1.0 / sqrt(var + SYNO_BN_EPS));
        bn->mean[ch] = mean;
        bn->rstd[ch] = rstd;
        if (k->update) {
            double unbiased = m > 1 ? var * m / (m - 1) : var;
            bn->rmean[ch] = (float)((1 - SYNO_BN_MOMENTUM) * bn->rmean[ch] + SYNO_BN_MOMENTUM * mu);
            bn->rvar[ch] = (float)((1 - SYNO_BN_MOMENTUM) * bn->rvar[ch] + SYNO_BN_MOMENTUM * unbiased);
        }
    } else {
        mean = bn->rmean[ch];
        rstd = (float)(1.0 / sqrt((double)bn->rvar[ch] + SYNO_BN_EPS));
    }
    float scale = bn->gamma[ch] * rstd, shift = bn->beta[ch] - mean * scale;
    for (int i = 0; i < k->n; i++) {
        const float *restrict xr = k->x + i * cs + (int64_t)ch * hw;
        float *restrict yr = k->out + i * cs + (int64_t)ch * hw;
        for (int j = 0; j < hw; j++) {
            float v = xr[j] * scale + shift;
            yr[j] = v > 0 ? v : 0;
        }
    }
}

void syno_bn_relu_forward(syno_bn *bn, const float *x, float *y, int n, int hw, bool train, bool update)
{
    bn_ctx k = {.bn = bn, .x = x, .out = y, .n = n, .hw = hw, .train = train, .update = update};
    run(bn->c, bn_fwd_unit, &k, (int64_t)n * bn->c * hw * 3);
}

static void bn_bwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const bn_ctx *k = ctx;
    syno_bn *bn = k->bn;
    int ch = (int)u, hw = k->hw;
    int64_t cs = (int64_t)bn->c * hw;
    float mean = bn->mean[ch], rstd = bn->rstd[ch];
    double sdz = 0, sdzx = 0;
    for (int i = 0; i < k->n; i++) {
        int64_t o = i * cs + (int64_t)ch * hw;
        float a, b;
        relu_grad_sums(k->x + o, k->y + o, k->dy + o, hw, mean, &a, &b);
        sdz += a;
        sdzx += b;
    }
    sdzx *= rstd; /* Σ dz · xhat */
    bn->dgamma[ch] = (float)sdzx;
    bn->dbeta[ch] = (float)sdz;
    double m = (double)k->n * hw;
    float g = bn->gamma[ch] * rstd, cb = (float)(sdz / m), cx = (float)(sdzx / m);
    for (int i = 0; i < k->n; i++) {
        int64_t o = i * cs + (int64_t)ch * hw;
        const float *xr = k->x + o, *yr = k->y + o, *dr = k->dy + o;
        float *dx = k->dx + o;
        for (int j = 0; j < hw; j++) {
            float dz = yr[j] > 0 ? dr[j] : 0;
            float xhat = (xr[j] - mean) * rstd;
            dx[j] = g * (dz - cb - xhat * cx);
        }
    }
}

void syno_bn_relu_backward(syno_bn *bn, const float *x, const float *y, const float *dy, float *dx, int n, int hw)
{
    bn_ctx k = {.bn = bn, .x = x, .y = y, .dy = dy, .dx = dx, .n = n, .hw = hw, .train = true};
    run(bn->c, bn_bwd_unit, &k, (int64_t)n * bn->c * hw * 4);
}

/* ---- max pooling ------------------------------------------------------------ */

typedef struct pool_ctx {
    const float *x, *dy;
    float *y, *dx;
    const unsigned char *arg;
    unsigned char *argw;
    int h, w;
} pool_ctx;

static void pool_fwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const pool_ctx *k = ctx;
    int h = k->h, w = k->w, ho = h / 2, wo = w / 2;
    const float *x = k->x + u * h * w;
    float *y = k->y + u * ho * wo;
    unsigned char *arg = k->argw + u * ho * wo;
    for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
            const float *p = x + 2 * i * w + 2 * j;
            float v[4] = {p[0], p[1], p[w], p[w + 1]};
            int best = 0;
            for (int q = 1; q < 4; q++)
                if (v[q] > v[best] || (v[q] != v[q] && v[best] == v[best])) best = q; /* NaN wins */
            y[i * wo + j] = v[best];
            arg[i * wo + j] = (unsigned char)best;
        }
}

void syno_layer_maxpool_forward(const float *x, float *y, unsigned char *arg, int planes, int h, int w)
{
    pool_ctx k = {.x = x, .y = y, .argw = arg, .h = h, .w = w};
    run(planes, pool_fwd_unit, &k, (int64_t)planes * h * w);
}

static void pool_bwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const pool_ctx *k = ctx;
    int h = k->h, w = k->w, ho = h / 2, wo = w / 2;
    float *dx = k->dx + u * h * w;
    const float *dy = k->dy + u * ho * wo;
    const unsigned char *arg = k->arg + u * ho * wo;
    memset(dx, 0, (size_t)h * w * sizeof *dx);
    for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
            int a = arg[i * wo + j];
            dx[(2 * i + (a >> 1)) * w + 2 * j + (a & 1)] = dy[i * wo + j];
        }
}

void syno_layer_maxpool_backward(const float *dy, const unsigned char *arg, float *dx, int planes, int h, int w)
{
    pool_ctx k = {.dy = dy, .arg = arg, .dx = dx, .h = h, .w = w};
    run(planes, pool_bwd_unit, &k, (int64_t)planes * h * w);
}

/* ---- global average pooling, classifier, loss ------------------------------- */

void syno_layer_gap_forward(const float *x, float *g, int n, int c, int hw)
{
    for (int64_t p = 0; p < (int64_t)n * c; p++) {
        const float *xr = x + p * hw;
        float s = 0;
        for (int j = 0; j < hw; j++) s += xr[j];
        g[p] = s / (float)hw;
    }
}

void syno_layer_gap_backward(const float *dg, float *dx, int n, int c, int hw)
{
    for (int64_t p = 0; p < (int64_t)n * c; p++) {
        float v = dg[p] / (float)hw;
        float *xr = dx + p * hw;
        for (int j = 0; j < hw; j++) xr[j] = v;
    }
}

void syno_layer_linear_forward(const float *g, const float *w, const float *b, float *z, int n, int c, int k)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < k; o++) {
            float s = b[o];
            for (int j = 0; j < c; j++) s += g[i * c + j] * w[o * c + j];
            z[i * k + o] = s;
        }
}

void syno_layer_linear_backward(const float *g, const float *w, const float *dz, float *dw, float *db, float *dg,
                                int n, int c, int k)
{
    for (int o = 0; o < k; o++) {
        double sb = 0;
        for (int i = 0; i < n; i++) sb += dz[i * k + o];
        db[o] = (float)sb;
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)dz[i * k + o] * g[i * c + j];
            dw[o * c + j] = (float)s;
        }
    }
    if (dg)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++) {
                float s = 0;
                for (int o = 0; o < k; o++) s += dz[i * k + o] * w[o * c + j];
                dg[i * c + j] = s;
            }
}

double syno_layer_softmax_ce(const float *z, const unsigned char *labels, float *dz, int n, int k, int *correct)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        const float *zr = z + i * k;
        double mx = -DBL_MAX;
        int arg = 0;
        for (int o = 0; o < k; o++)
            if (zr[o] > mx) mx = zr[o], arg = o;
        if (!isfinite(mx)) mx = 0; /* the sums below then carry the NaN or infinity */
        double se = 0;
        for (int o = 0; o < k; o++) se += exp((double)zr[o] - mx);
        double lse = mx + log(se);
        total += lse - zr[labels[i]];
        if (correct && arg == labels[i]) ++*correct;
        if (dz)
            for (int o = 0; o < k; o++)
                dz[i * k + o] = (float)((exp((double)zr[o] - lse) - (o == labels[i])) / n);
    }
    return total / n;
}
