/* layers.c - the fixed layers of the proxy network (see layers.h).
 *
 * BN+ReLU works channel by channel: one unit of the thread pool takes one
 * channel through every image, first the statistics (or the gradient
 * sums), then the output, so that the channel's slice of the batch (a few
 * hundred kilobytes) is read from memory once and from cache the second
 * time.  The layer after it (pooling, the average, the stem's weight
 * gradient) is computed in the second pass from values still in
 * registers.  Every parallel loop hands out whole channels or images, so
 * no two threads ever add into the same number and results do not depend
 * on the thread count. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include "train/layers.h"

#include "base/base.h"
#include "base/hash.h"
#include "base/pool.h"
#include "base/simd.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Work (in element operations) below which a layer runs on the calling
 * thread alone: waking the pool costs a few microseconds. */
#define PARALLEL_MIN_WORK ((int64_t)1 << 16)

/* Planes up to this many floats get their per-image scratch on the stack. */
#define STACK_PLANE 4096

/* Runs FN over NUNITS units: on the pool when WORK is large enough. */
static void run(int64_t nunits, syno_pool_fn fn, void *ctx, int64_t work)
{
    if (work >= PARALLEL_MIN_WORK) {
        syno_pool_run(nunits, fn, ctx);
        return;
    }
    for (int64_t u = 0; u < nunits; u++) fn(ctx, u, 0);
}

/* ---- plane kernels: one image's plane of one channel ------------------------
 * Each is inlined into the cloned units below; the scalar tails compute
 * exactly what the vector lanes do (the same expression), so the ReLU's
 * mask recomputed in a backward pass equals the forward's. */

/* Σ (x[j] - m) and Σ (x[j] - m)² over j < n. */
SYNO_SIMD_INLINE void plane_moments(const float *restrict x, int n, float m, float *sum, float *sq)
{
    syno_v8 a = {0}, b = {0}, mv = syno_v8_set1(m);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        syno_v8 d = syno_v8_load(x + j) - mv;
        a += d;
        b += d * d;
    }
    float sa = syno_v8_sum(a), sb = syno_v8_sum(b);
    for (; j < n; j++) {
        float d = x[j] - m;
        sa += d;
        sb += d * d;
    }
    *sum = sa;
    *sq = sb;
}

/* y = relu(scale x + shift). */
SYNO_SIMD_INLINE void plane_relu(const float *restrict x, float *restrict y, int n, float scale, float shift)
{
    syno_v8 sc = syno_v8_set1(scale), sh = syno_v8_set1(shift);
    int j = 0;
    for (; j + 8 <= n; j += 8) syno_v8_store(y + j, syno_v8_relu(syno_v8_load(x + j) * sc + sh));
    for (; j < n; j++) {
        float v = x[j] * scale + shift;
        y[j] = v > 0 ? v : 0;
    }
}

/* Σ relu(scale x + shift). */
SYNO_SIMD_INLINE float plane_relu_sum(const float *restrict x, int n, float scale, float shift)
{
    syno_v8 sc = syno_v8_set1(scale), sh = syno_v8_set1(shift), acc = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8) acc += syno_v8_relu(syno_v8_load(x + j) * sc + sh);
    float s = syno_v8_sum(acc);
    for (; j < n; j++) {
        float v = x[j] * scale + shift;
        s += v > 0 ? v : 0;
    }
    return s;
}

/* With dz = dy where scale x + shift > 0 (else 0): Σ dz and
 * Σ dz (x - m).  DY == NULL stands for the constant DYC. */
SYNO_SIMD_INLINE void plane_grad_sums(const float *restrict x, const float *restrict dy, float dyc, int n, float scale,
                                   float shift, float m, float *sdz, float *sdzx)
{
    syno_v8 sc = syno_v8_set1(scale), sh = syno_v8_set1(shift), mv = syno_v8_set1(m), zero = {0};
    syno_v8 a = {0}, b = {0}, c = syno_v8_set1(dyc);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        syno_v8 xv = syno_v8_load(x + j);
        syno_v8i on = xv * sc + sh > zero;
        syno_v8 dz = syno_v8_select(on, dy ? syno_v8_load(dy + j) : c);
        a += dz;
        b += dz * (xv - mv);
    }
    float sa = syno_v8_sum(a), sb = syno_v8_sum(b);
    for (; j < n; j++) {
        float dz = x[j] * scale + shift > 0 ? (dy ? dy[j] : dyc) : 0;
        sa += dz;
        sb += dz * (x[j] - m);
    }
    *sdz = sa;
    *sdzx = sb;
}

/* dx = g dz + a (x - m) + c with dz as in plane_grad_sums (DY == NULL:
 * the constant DYC; DZ0: dz = 0 everywhere).  DX may alias DY. */
SYNO_SIMD_INLINE void plane_grad_dx(const float *x, const float *dy, float dyc, bool dz0, float *dx, int n, float scale,
                                 float shift, float m, float g, float a, float c)
{
    syno_v8 sc = syno_v8_set1(scale), sh = syno_v8_set1(shift), mv = syno_v8_set1(m), zero = {0};
    syno_v8 gv = syno_v8_set1(g), av = syno_v8_set1(a), cv = syno_v8_set1(c), dyv = syno_v8_set1(dyc);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        syno_v8 xv = syno_v8_load(x + j), r = av * (xv - mv) + cv;
        if (!dz0) {
            syno_v8i on = xv * sc + sh > zero;
            r += gv * syno_v8_select(on, dy ? syno_v8_load(dy + j) : dyv);
        }
        syno_v8_store(dx + j, r);
    }
    for (; j < n; j++) {
        float r = a * (x[j] - m) + c;
        if (!dz0) r += g * (x[j] * scale + shift > 0 ? (dy ? dy[j] : dyc) : 0);
        dx[j] = r;
    }
}

/* ---- stem ----------------------------------------------------------------
 * On each image padded with a border of zeros (rows of Wp = w + 2), a 3x3
 * tap at (a, b) of output pixel (i, j) reads padded pixel (i + a, j + b):
 * over the output laid out in rows of Wp too (two junk columns per row),
 * every tap is one contiguous run, so both the convolution and its weight
 * gradient are long vector loops with all nine taps at once. */

typedef struct stem_ctx {
    const float *x, *w;
    float *y, *xpad;
    int c, h, wd;
} stem_ctx;

SYNO_SIMD_CLONES static void stem_fwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const stem_ctx *s = ctx;
    int h = s->h, wd = s->wd, wp = wd + 2, len = h * wp;
    int64_t pad = syno_layer_stem_pad(h, wd);
    const float *x = s->x + u * h * wd;
    float *xp = s->xpad + u * pad;
    memset(xp, 0, (size_t)pad * sizeof *xp);
    for (int i = 0; i < h; i++) memcpy(xp + (i + 1) * wp + 1, x + i * wd, (size_t)wd * sizeof *xp);
    float stack[STACK_PLANE];
    float *pl = len + 8 > STACK_PLANE ? syno_xmalloc((size_t)(len + 8) * sizeof *pl) : stack;
    for (int ch = 0; ch < s->c; ch++) {
        const float *w = s->w + ch * 9;
        for (int j = 0; j < len; j += 8) {
            syno_v8 acc = {0};
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) acc += w[a * 3 + b] * syno_v8_load(xp + j + a * wp + b);
            syno_v8_store(pl + j, acc);
        }
        float *y = s->y + (u * s->c + ch) * h * wd;
        for (int i = 0; i < h; i++) memcpy(y + i * wd, pl + i * wp, (size_t)wd * sizeof *y);
    }
    if (pl != stack) free(pl);
}

void syno_layer_stem_forward(const float *x, const float *w, float *y, float *xpad, int n, int c, int h, int wd)
{
    stem_ctx s = {.x = x, .w = w, .y = y, .xpad = xpad, .c = c, .h = h, .wd = wd};
    run(n, stem_fwd_unit, &s, (int64_t)n * c * h * wd * 9);
}

/* Adds to ACC[9] the stem's weight gradient from one padded image XP and
 * the gradient DW of one channel of its output, in rows of w + 2 whose
 * last two columns are 0 (LEN floats, and zeros up to a whole vector). */
SYNO_SIMD_INLINE void stem_taps(const float *xp, const float *dw, int wp, int len, double *acc)
{
    syno_v8 t[9] = {{0}};
    for (int j = 0; j < len; j += 8) {
        syno_v8 d = syno_v8_load(dw + j);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) t[a * 3 + b] += d * syno_v8_load(xp + j + a * wp + b);
    }
    for (int k = 0; k < 9; k++) acc[k] += syno_v8_sum(t[k]);
}

/* ---- batch normalisation + ReLU and what follows it ----------------------- */

typedef enum next_layer { NEXT_MAP, NEXT_POOL, NEXT_GAP, NEXT_STEM } next_layer;

typedef struct bn_ctx {
    syno_bn *bn;
    next_layer next;
    const float *x, *dy, *xpad;
    const unsigned char *arg;
    float *out, *dx, *dw;
    unsigned char *argw;
    int n, hw, h, w;
    bool train, update;
} bn_ctx;

/* The statistics of channel CH (training) or the running ones, and the
 * affine map scale x + shift they give. */
SYNO_SIMD_INLINE void channel_stats(const bn_ctx *k, int ch)
{
    syno_bn *bn = k->bn;
    int hw = k->hw;
    int64_t cs = (int64_t)bn->c * hw;
    float mean, rstd;
    if (k->train) {
        /* shifted by the first element: E[(x-c)^2] - E[x-c]^2 stays accurate when the mean is large */
        float c0 = k->x[(int64_t)ch * hw];
        double s = 0, v = 0;
        for (int i = 0; i < k->n; i++) {
            float a, b;
            plane_moments(k->x + i * cs + (int64_t)ch * hw, hw, c0, &a, &b);
            s += a;
            v += b;
        }
        double m = (double)k->n * hw, dm = s / m, mu = c0 + dm;
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
    bn->scale[ch] = bn->gamma[ch] * rstd;
    bn->shift[ch] = bn->beta[ch] - mean * bn->scale[ch];
}

/* 2x2 max pooling of relu(scale x + shift) for one plane X [h][w]. */
SYNO_SIMD_INLINE void plane_pool(const float *restrict x, float *restrict p, unsigned char *restrict arg, int h, int w,
                              float scale, float shift)
{
    int ho = h / 2, wo = w / 2;
    for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
            const float *q = x + 2 * i * w + 2 * j;
            float v[4] = {q[0] * scale + shift, q[1] * scale + shift, q[w] * scale + shift, q[w + 1] * scale + shift};
            int best = 0;
            for (int t = 0; t < 4; t++) v[t] = v[t] > 0 ? v[t] : 0;
            for (int t = 1; t < 4; t++)
                if (v[t] > v[best]) best = t;
            p[i * wo + j] = v[best];
            arg[i * wo + j] = (unsigned char)best;
        }
}

SYNO_SIMD_CLONES static void bn_fwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const bn_ctx *k = ctx;
    syno_bn *bn = k->bn;
    int ch = (int)u, hw = k->hw, C = bn->c;
    channel_stats(k, ch);
    float scale = bn->scale[ch], shift = bn->shift[ch];
    for (int i = 0; i < k->n; i++) {
        int64_t plane = (int64_t)i * C + ch;
        const float *xr = k->x + plane * hw;
        switch (k->next) {
        case NEXT_MAP: plane_relu(xr, k->out + plane * hw, hw, scale, shift); break;
        case NEXT_POOL:
            plane_pool(xr, k->out + plane * (hw / 4), k->argw + plane * (hw / 4), k->h, k->w, scale, shift);
            break;
        case NEXT_GAP: k->out[plane] = plane_relu_sum(xr, hw, scale, shift) / (float)hw; break;
        case NEXT_STEM: SYNO_UNREACHABLE();
        }
    }
}

static void bn_forward(bn_ctx *k)
{
    run(k->bn->c, bn_fwd_unit, k, (int64_t)k->n * k->bn->c * k->hw * 3);
}

void syno_bn_relu_forward(syno_bn *bn, const float *x, float *y, int n, int hw, bool train, bool update)
{
    bn_ctx k = {.bn = bn, .next = NEXT_MAP, .x = x, .out = y, .n = n, .hw = hw, .train = train, .update = update};
    bn_forward(&k);
}

void syno_bn_relu_pool_forward(syno_bn *bn, const float *x, float *p, unsigned char *arg, int n, int h, int w,
                               bool train, bool update)
{
    bn_ctx k = {.bn = bn, .next = NEXT_POOL, .x = x, .out = p, .argw = arg, .n = n, .hw = h * w, .h = h, .w = w,
                .train = train, .update = update};
    bn_forward(&k);
}

void syno_bn_relu_gap_forward(syno_bn *bn, const float *x, float *g, int n, int hw, bool train, bool update)
{
    bn_ctx k = {.bn = bn, .next = NEXT_GAP, .x = x, .out = g, .n = n, .hw = hw, .train = train, .update = update};
    bn_forward(&k);
}

/* Pooled backward, first pass: the sums of plane_grad_sums, with dy the
 * pooled gradient DP at each block's winner and 0 elsewhere. */
SYNO_SIMD_INLINE void pool_grad_sums(const float *x, const float *dp, const unsigned char *arg, int h, int w,
                                  float scale, float shift, float m, float *sdz, float *sdzx)
{
    int ho = h / 2, wo = w / 2;
    float sa = 0, sb = 0;
    for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++) {
            int a = arg[i * wo + j];
            float xv = x[(2 * i + (a >> 1)) * w + 2 * j + (a & 1)];
            float dz = xv * scale + shift > 0 ? dp[i * wo + j] : 0;
            sa += dz;
            sb += dz * (xv - m);
        }
    *sdz = sa;
    *sdzx = sb;
}

SYNO_SIMD_CLONES static void bn_bwd_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const bn_ctx *k = ctx;
    syno_bn *bn = k->bn;
    int ch = (int)u, hw = k->hw, C = bn->c;
    float mean = bn->mean[ch], rstd = bn->rstd[ch], scale = bn->scale[ch], shift = bn->shift[ch];
    int pw = k->next == NEXT_POOL ? hw / 4 : hw; /* elements of a plane of dy */
    double sdz = 0, sdzx = 0;
    for (int i = 0; i < k->n; i++) {
        int64_t plane = (int64_t)i * C + ch;
        const float *xr = k->x + plane * hw;
        float a = 0, b = 0;
        switch (k->next) {
        case NEXT_MAP:
        case NEXT_STEM: plane_grad_sums(xr, k->dy + plane * pw, 0, hw, scale, shift, mean, &a, &b); break;
        case NEXT_GAP: plane_grad_sums(xr, NULL, k->dy[plane] / (float)hw, hw, scale, shift, mean, &a, &b); break;
        case NEXT_POOL:
            pool_grad_sums(xr, k->dy + plane * pw, k->arg + plane * pw, k->h, k->w, scale, shift, mean, &a, &b);
            break;
        }
        sdz += a;
        sdzx += b;
    }
    sdzx *= rstd; /* Σ dz · xhat */
    bn->dgamma[ch] = (float)sdzx;
    bn->dbeta[ch] = (float)sdz;
    double m = (double)k->n * hw;
    /* dx = g (dz - mean(dz) - xhat mean(dz xhat)) = g dz + ca (x - mean) + cc */
    float g = bn->gamma[ch] * rstd, ca = -g * rstd * (float)(sdzx / m), cc = -g * (float)(sdz / m);
    /* the stem: each image's gradient plane, then in rows of w + 2 */
    int wp = k->w + 2, len = k->h * wp, need = hw + len + 8;
    float stack[STACK_PLANE];
    float *scratch = k->next == NEXT_STEM && need > STACK_PLANE ? (float *)syno_xmalloc((size_t)need * sizeof *scratch)
                                                                  : stack;
    float *wide = scratch + hw;
    if (k->next == NEXT_STEM) memset(wide, 0, (size_t)(len + 8) * sizeof *wide);
    double acc[9] = {0};
    for (int i = 0; i < k->n; i++) {
        int64_t plane = (int64_t)i * C + ch;
        const float *xr = k->x + plane * hw;
        float *dx = k->dx + plane * hw;
        switch (k->next) {
        case NEXT_MAP: plane_grad_dx(xr, k->dy + plane * hw, 0, false, dx, hw, scale, shift, mean, g, ca, cc); break;
        case NEXT_GAP:
            plane_grad_dx(xr, NULL, k->dy[plane] / (float)hw, false, dx, hw, scale, shift, mean, g, ca, cc);
            break;
        case NEXT_POOL: {
            plane_grad_dx(xr, NULL, 0, true, dx, hw, scale, shift, mean, g, ca, cc);
            const float *dp = k->dy + plane * pw;
            const unsigned char *arg = k->arg + plane * pw;
            int wo = k->w / 2;
            for (int q = 0; q < pw; q++) {
                int a = arg[q], at = (2 * (q / wo) + (a >> 1)) * k->w + 2 * (q % wo) + (a & 1);
                if (xr[at] * scale + shift > 0) dx[at] += g * dp[q];
            }
            break;
        }
        case NEXT_STEM:
            plane_grad_dx(xr, k->dy + plane * hw, 0, false, scratch, hw, scale, shift, mean, g, ca, cc);
            for (int r = 0; r < k->h; r++) memcpy(wide + r * wp, scratch + r * k->w, (size_t)k->w * sizeof *wide);
            stem_taps(k->xpad + (int64_t)i * syno_layer_stem_pad(k->h, k->w), wide, wp, len, acc);
            break;
        }
    }
    if (k->next == NEXT_STEM)
        for (int t = 0; t < 9; t++) k->dw[ch * 9 + t] = (float)acc[t];
    if (scratch != stack) free(scratch);
}

static void bn_backward(bn_ctx *k)
{
    run(k->bn->c, bn_bwd_unit, k, (int64_t)k->n * k->bn->c * k->hw * (k->next == NEXT_STEM ? 12 : 4));
}

void syno_bn_relu_backward(syno_bn *bn, const float *x, const float *dy, float *dx, int n, int hw)
{
    bn_ctx k = {.bn = bn, .next = NEXT_MAP, .x = x, .dy = dy, .dx = dx, .n = n, .hw = hw, .train = true};
    bn_backward(&k);
}

void syno_bn_relu_pool_backward(syno_bn *bn, const float *x, const float *dp, const unsigned char *arg, float *dx,
                                int n, int h, int w)
{
    bn_ctx k = {.bn = bn, .next = NEXT_POOL, .x = x, .dy = dp, .arg = arg, .dx = dx, .n = n, .hw = h * w, .h = h,
                .w = w, .train = true};
    bn_backward(&k);
}

void syno_bn_relu_gap_backward(syno_bn *bn, const float *x, const float *dg, float *dx, int n, int hw)
{
    bn_ctx k = {.bn = bn, .next = NEXT_GAP, .x = x, .dy = dg, .dx = dx, .n = n, .hw = hw, .train = true};
    bn_backward(&k);
}

void syno_bn_relu_stem_backward(syno_bn *bn, const float *a0, const float *dy, const float *xpad, float *dw, int n,
                                int h, int w)
{
    bn_ctx k = {.bn = bn, .next = NEXT_STEM, .x = a0, .dy = dy, .xpad = xpad, .dw = dw, .n = n, .hw = h * w, .h = h,
                .w = w, .train = true};
    bn_backward(&k);
}

SYNO_SIMD_CLONES uint64_t syno_bn_relu_sign_hash(const syno_bn *bn, const float *x, int n, int hw, uint64_t h)
{
    uint64_t word = 0;
    int64_t k = 0;
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < bn->c; ch++) {
            const float *xr = x + ((int64_t)i * bn->c + ch) * hw;
            float scale = bn->scale[ch], shift = bn->shift[ch];
            for (int j = 0; j < hw; j++, k++) {
                word = word << 1 | (xr[j] * scale + shift > 0);
                if (k % 64 == 63) h = syno_hash_mix(h ^ word), word = 0;
            }
        }
    return syno_hash_mix(h ^ word);
}

/* ---- classifier, loss ------------------------------------------------------- */

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
