/* t_train.c - the proxy network and its training (train/), without the
 * data set: layer forwards against direct double-precision loops (the stem
 * also against the reference evaluator's conv2d), the whole network's
 * gradients against central finite differences, slot binding errors,
 * bit-for-bit determinism on one thread, learning on a synthetic task, and
 * the divergence and milestone stops; other slot backends (cuda, where a
 * GPU is present) against cpu.
 *
 * Finite differences: the loss is a float32 computation, so derivatives
 * are checked along random ±1 directions over whole parameter tensors (a
 * large signal: the sum of many partial derivatives), with the largest
 * step (from 1e-2 of the tensor's RMS, halved up to five times) for which
 * no ReLU or pooling choice flips, so the loss is smooth between the two
 * points; a wrong backward formula is off by O(1), rounding and curvature
 * by under 1e-2.  A tensor with a kink closer than the smallest step (where
 * float32 rounding would dominate) is skipped, at most a quarter of them. */
#include "codegen/cpu.h"
#include "interp/eval.h"
#include "lang/module.h"
#include "tests/tap.h"
#include "train/layers.h"
#include "train/net.h"
#include "train/sgd.h"
#include "train/trainer.h"

#include <math.h>

static const char *test_ops =
    "size N, C_in, C_out, H, W, K;\n"
    "coef k = 3, g = 32;\n"
    "# two weights: a per-channel vertical tap and a 1xk channel mix\n"
    "op twostage(x[n: N, c: C_in, h: H, w: W]) -> [n, o, y, z] {\n"
    "    weight A[ac: C_in, ah: k];\n"
    "    weight B[bo: C_out, bc: C_in, bw: k];\n"
    "    y, dy = unfold(h, k);\n"
    "    z, dz = unfold(w, k);\n"
    "    sum(share(share(c, ac), bc));\n"
    "    sum(share(dy, ah));\n"
    "    sum(share(dz, bw));\n"
    "    o = share(expand(C_out), bo);\n"
    "}\n"
    "op uses_k(x[n: N, c: C_in, h: H, w: W]) -> [n, o, h, w] {\n"
    "    weight f[fo: C_out, fc: C_in, fk: K];\n"
    "    sum(share(c, fc));\n"
    "    sum(share(expand(K), fk));\n"
    "    o = share(expand(C_out), fo);\n"
    "}\n"
    "op grouped(x[n: N, c: C_in, h: H, w: W]) -> [n, o, h, w] {\n"
    "    weight f[fg: g, fo: C_out/g, fc: C_in/g];\n"
    "    gi, ci = split(c, C_in/g);\n"
    "    sum(share(ci, fc));\n"
    "    o = merge(share(gi, fg), share(expand(C_out/g), fo));\n"
    "}\n"
    "op swapped(x[n: N, c: C_in, h: H, w: W]) -> [n, w, h, o] {\n"
    "    weight f[fo: C_out, fc: C_in];\n"
    "    sum(share(c, fc));\n"
    "    o = share(expand(C_out), fo);\n"
    "}\n";

static syno_ctx *ctx;
static syno_module *mod;

static const syno_op *find(const char *name)
{
    const syno_op *op = syno_module_find_op(mod, name);
    if (!op) op = syno_ctx_stdlib_op(ctx, name);
    if (!op || op->errors) {
        syno_diags_print(&ctx->diags, stdout);
        printf("Bail out! operator %s missing\n", name);
        exit(1);
    }
    return op;
}

static void tiny_shape(syno_net_shape *s, int batch)
{
    static const char *const names[SYNO_NET_SLOTS] = {"t1", "t2", "t3"};
    memset(s, 0, sizeof *s);
    s->batch = batch;
    s->h = s->w = 8;
    s->stem = 3;
    s->c[0] = 4;
    s->c[1] = 6;
    s->c[2] = 5;
    s->pool_after = 0;
    s->nclasses = 10;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) s->names[i] = names[i];
}

static void fill_normal(float *a, int64_t n, syno_rng *r, double sd)
{
    for (int64_t i = 0; i < n; i++) a[i] = (float)(sd * syno_rng_normal(r));
}

static double max_abs_diff(const float *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* ---- layers against direct double-precision loops ------------------------------- */

/* BN+ReLU in double, straight from the formulas: Y (may be NULL) from X
 * [n][c][hw] with batch statistics; with DY, the gradients DX, DGAMMA and
 * DBETA. */
static void bn_relu_ref(const float *x, const float *gamma, const float *beta, int n, int c, int hw, double *y,
                        const double *dy, double *dx, double *dgamma, double *dbeta)
{
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) s += x[(i * c + ch) * hw + j];
        double mu = s / m;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) ss += pow(x[(i * c + ch) * hw + j] - mu, 2);
        double rstd = 1 / sqrt(ss / m + SYNO_BN_EPS), sdz = 0, sdzx = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) {
                int k = (i * c + ch) * hw + j;
                double xhat = (x[k] - mu) * rstd, v = gamma[ch] * xhat + beta[ch];
                if (y) y[k] = v > 0 ? v : 0;
                if (dy) {
                    double dz = v > 0 ? dy[k] : 0;
                    sdz += dz;
                    sdzx += dz * xhat;
                }
            }
        if (!dy) continue;
        dgamma[ch] = sdzx;
        dbeta[ch] = sdz;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) {
                int k = (i * c + ch) * hw + j;
                double xhat = (x[k] - mu) * rstd, v = gamma[ch] * xhat + beta[ch], dz = v > 0 ? dy[k] : 0;
                dx[k] = gamma[ch] * rstd * (dz - sdz / m - xhat * sdzx / m);
            }
    }
}

static void test_stem(void)
{
    int n = 3, c = 4, h = 6, w = 5;
    syno_rng r;
    syno_rng_seed(&r, 11);
    float x[3 * 6 * 5], wt[4 * 9], y[3 * 4 * 6 * 5], dr[3 * 4 * 6 * 5], dw[4 * 9];
    float *xpad = syno_xmalloc((size_t)(n * syno_layer_stem_pad(h, w)) * sizeof *xpad);
    fill_normal(x, sizeof x / 4, &r, 1);
    fill_normal(wt, sizeof wt / 4, &r, 1);
    fill_normal(dr, sizeof dr / 4, &r, 1);
    syno_layer_stem_forward(x, wt, y, xpad, n, c, h, w);
    /* the stem's BN, then the gradient of its weights */
    float gamma[4] = {1, 0.5f, 2, 1}, beta[4] = {0.1f, 0, -0.2f, 0.3f}, dgm[4], dbt[4];
    float rmean[4] = {0}, rvar[4] = {1, 1, 1, 1}, mean[4], rstd[4], scale[4], shift[4], r0[3 * 4 * 6 * 5];
    syno_bn bn = {c, gamma, beta, dgm, dbt, rmean, rvar, mean, rstd, scale, shift};
    syno_bn_relu_forward(&bn, y, r0, n, h * w, true, false);
    syno_bn_relu_stem_backward(&bn, y, dr, xpad, dw, n, h, w);
    /* the reference evaluator's conv2d with C_in = 1, and BN's gradient in double */
    const syno_op *conv = find("conv2d");
    syno_binding b;
    syno_binding_defaults(conv->vars, &b);
    const char *names[] = {"N", "C_in", "C_out", "H", "W"};
    int64_t vals[] = {n, 1, c, h, w};
    for (int i = 0; i < 5; i++) b.val[syno_vars_find(conv->vars, names[i])] = vals[i];
    int64_t sizes[64];
    ok(syno_op_eval_sizes(conv, &b, sizes), "conv2d binds with C_in = 1");
    double xd[3 * 6 * 5], wd[4 * 9], yd[3 * 4 * 6 * 5], drd[3 * 4 * 6 * 5], dad[3 * 4 * 6 * 5], dwd[4 * 9];
    double dgd[4], dbd[4];
    for (size_t i = 0; i < sizeof x / 4; i++) xd[i] = x[i];
    for (size_t i = 0; i < sizeof wt / 4; i++) wd[i] = wt[i];
    for (size_t i = 0; i < sizeof dr / 4; i++) drd[i] = dr[i];
    const double *wp[1] = {wd};
    double *dwp[1] = {dwd};
    syno_ref_forward(conv, sizes, xd, wp, yd);
    ok(max_abs_diff(y, yd, sizeof y / 4) < 1e-5, "stem forward equals the reference conv2d (C_in = 1)");
    bn_relu_ref(y, gamma, beta, n, c, h * w, NULL, drd, dad, dgd, dbd);
    syno_ref_backward(conv, sizes, xd, wp, dad, NULL, dwp);
    ok(max_abs_diff(dw, dwd, sizeof dw / 4) < 1e-4, "stem weight gradient through its BN equals the reference's");
    ok(max_abs_diff(dgm, dgd, 4) < 1e-4 && max_abs_diff(dbt, dbd, 4) < 1e-4, "and so do the BN's parameter gradients");
    free(xpad);
}

static void test_bn_pool_gap(void)
{
    /* 6x6 planes: 36 elements, four vectors of 8 and a tail */
    enum { n = 3, c = 2, h = 6, w = 6, hw = h * w, T = n * c * hw };
    syno_rng r;
    syno_rng_seed(&r, 12);
    float x[T], y[T], gamma[2] = {1.5f, 0.5f}, beta[2] = {0.25f, -0.1f}, dg[2], db[2];
    float rmean[2] = {0, 0}, rvar[2] = {1, 1}, mean[2], rstd[2], scale[2], shift[2];
    fill_normal(x, T, &r, 2);
    for (int i = 0; i < T; i++) x[i] += 3;
    syno_bn bn = {c, gamma, beta, dg, db, rmean, rvar, mean, rstd, scale, shift};
    syno_bn_relu_forward(&bn, x, y, n, hw, true, true);
    double yd[T], rm_err = 0;
    bn_relu_ref(x, gamma, beta, n, c, hw, yd, NULL, NULL, NULL, NULL);
    for (int ch = 0; ch < c; ch++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) s += x[(i * c + ch) * hw + j];
        double mu = s / (n * hw);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) ss += pow(x[(i * c + ch) * hw + j] - mu, 2);
        double var = ss / (n * hw);
        rm_err = fmax(rm_err, fabs(rmean[ch] - 0.1 * mu));
        rm_err = fmax(rm_err, fabs(rvar[ch] - (0.9 + 0.1 * var * n * hw / (n * hw - 1))));
    }
    ok(max_abs_diff(y, yd, T) < 1e-5, "BN+ReLU forward equals the direct formula");
    ok(rm_err < 1e-5, "running statistics: momentum 0.1, unbiased variance");
    float dy[T], dx[T];
    double dyd[T], dxd[T], dgd[2], dbd[2];
    fill_normal(dy, T, &r, 1);
    for (int i = 0; i < T; i++) dyd[i] = dy[i];
    bn_relu_ref(x, gamma, beta, n, c, hw, NULL, dyd, dxd, dgd, dbd);
    syno_bn_relu_backward(&bn, x, dy, dx, n, hw);
    ok(max_abs_diff(dx, dxd, T) < 1e-5 && max_abs_diff(dg, dgd, 2) < 1e-4 && max_abs_diff(db, dbd, 2) < 1e-4,
       "BN+ReLU backward equals the direct formula (input and parameter gradients)");
    memcpy(dx, dy, sizeof dx);
    syno_bn_relu_backward(&bn, x, dx, dx, n, hw);
    ok(max_abs_diff(dx, dxd, T) < 1e-5, "in place too");

    /* with 2x2 max pooling fused */
    float p[T / 4], dp[T / 4];
    unsigned char arg[T / 4];
    syno_bn_relu_pool_forward(&bn, x, p, arg, n, h, w, true, false);
    bool good = true;
    for (int q = 0; q < T / 4; q++) {
        int plane = q / (hw / 4), i = q % (hw / 4) / (w / 2), j = q % (w / 2);
        const double *b4 = yd + plane * hw + 2 * i * w + 2 * j;
        double v[4] = {b4[0], b4[1], b4[w], b4[w + 1]};
        int best = 0;
        for (int t = 1; t < 4; t++)
            if (v[t] > v[best]) best = t;
        good &= arg[q] == best && fabs(p[q] - v[best]) < 1e-5;
    }
    ok(good, "pooled: the maximum of each 2x2 block of the normalised map, the first one on ties");
    fill_normal(dp, T / 4, &r, 1);
    for (int i = 0; i < T; i++) dyd[i] = 0;
    for (int q = 0; q < T / 4; q++) {
        int plane = q / (hw / 4), i = q % (hw / 4) / (w / 2), j = q % (w / 2);
        dyd[plane * hw + (2 * i + (arg[q] >> 1)) * w + 2 * j + (arg[q] & 1)] = dp[q];
    }
    bn_relu_ref(x, gamma, beta, n, c, hw, NULL, dyd, dxd, dgd, dbd);
    syno_bn_relu_pool_backward(&bn, x, dp, arg, dx, n, h, w);
    ok(max_abs_diff(dx, dxd, T) < 1e-5 && max_abs_diff(dg, dgd, 2) < 1e-4 && max_abs_diff(db, dbd, 2) < 1e-4,
       "pooled backward: each block's gradient goes to its winner, then through BN+ReLU");

    /* with global average pooling fused */
    float gap[n * c], dgap[n * c];
    syno_bn_relu_gap_forward(&bn, x, gap, n, hw, true, false);
    double worst = 0;
    for (int q = 0; q < n * c; q++) {
        double s = 0;
        for (int j = 0; j < hw; j++) s += yd[q * hw + j];
        worst = fmax(worst, fabs(gap[q] - s / hw));
    }
    ok(worst < 1e-5, "averaged: the mean of each plane of the normalised map");
    fill_normal(dgap, n * c, &r, 1);
    for (int i = 0; i < T; i++) dyd[i] = dgap[i / hw] / hw;
    bn_relu_ref(x, gamma, beta, n, c, hw, NULL, dyd, dxd, dgd, dbd);
    syno_bn_relu_gap_backward(&bn, x, dgap, dx, n, hw);
    ok(max_abs_diff(dx, dxd, T) < 1e-5 && max_abs_diff(dg, dgd, 2) < 1e-4 && max_abs_diff(db, dbd, 2) < 1e-4,
       "averaged backward: the gradient spread evenly, then through BN+ReLU");

    /* evaluation mode: the running statistics */
    for (int ch = 0; ch < c; ch++) rmean[ch] = 2.5f + (float)ch, rvar[ch] = 3.0f;
    syno_bn_relu_forward(&bn, x, y, n, hw, false, false);
    worst = 0;
    for (int i = 0; i < T; i++) {
        int ch = i / hw % c;
        double v = gamma[ch] * (x[i] - rmean[ch]) / sqrt(rvar[ch] + SYNO_BN_EPS) + beta[ch];
        worst = fmax(worst, fabs(y[i] - fmax(v, 0)));
    }
    ok(worst < 1e-5, "evaluation uses the running statistics");

    float z[2 * 3] = {1, 2, 3, 0, 0, 1000}, dz[6];
    unsigned char lab[2] = {2, 0};
    int correct = 0;
    double loss = syno_layer_softmax_ce(z, lab, dz, 2, 3, &correct);
    double want = (log(exp(-2.0) + exp(-1.0) + 1) + 1000) / 2;
    ok(fabs(loss - want) < 1e-9, "softmax cross-entropy (large logits stay finite): %.6f", loss);
    is_int(correct, 1, "one of two predictions is right");
    ok(fabs(dz[3] + 0.5) < 1e-6 && fabs(dz[5] - 0.5) < 1e-6, "its gradient is (softmax - onehot) / n");
    z[0] = NAN;
    ok(isnan(syno_layer_softmax_ce(z, lab, NULL, 2, 3, NULL)), "a NaN logit makes the loss NaN");
}

/* ---- gradients of the whole network ------------------------------------------ */

static double net_loss(syno_net *net, const float *x, const unsigned char *y)
{
    double loss = NAN;
    syno_buf err = SYNO_BUF_INIT;
    if (!syno_net_forward(net, x, y, true, false, &loss, NULL, &err)) printf("# %s\n", syno_buf_str(&err));
    syno_buf_fini(&err);
    return loss;
}

static uint64_t signature(syno_net *net, const float *x, const unsigned char *y)
{
    net_loss(net, x, y);
    return syno_net_kink_signature(net);
}

static void test_gradients(const char *opname)
{
    syno_net_shape s;
    tiny_shape(&s, 3);
    s.h = s.w = 4;
    syno_buf err = SYNO_BUF_INIT;
    syno_net *net = syno_net_new(&s, find(opname), syno_slot_backend_find("cpu"), &err);
    if (!ok(net != NULL, "%s: tiny network builds", opname)) {
        printf("# %s\n", syno_buf_str(&err));
        syno_buf_fini(&err);
        return;
    }
    syno_rng r;
    syno_rng_seed(&r, 5);
    float x[3 * 16];
    unsigned char y[3] = {1, 7, 3};
    fill_normal(x, 3 * 16, &r, 1);
    ok(syno_net_init(net, &r, x, &err), "%s: data-driven initialisation", opname);
    /* slot outputs have twice the input's second moment after the init */
    syno_net_forward(net, x, y, true, false, NULL, NULL, &err);
    double in2, out2, worst = 0;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        syno_net_slot_moments(net, i, &in2, &out2);
        worst = fmax(worst, fabs(out2 / (2 * in2) - 1));
    }
    ok(worst < 1e-3, "%s: each slot's output second moment is twice its input's (off by %.2g)", opname, worst);
    /* random parameters elsewhere too (BN scale and shift away from 1, 0) */
    int np = syno_net_nparams(net);
    for (int p = 0; p < np; p++) {
        syno_param *pp = syno_net_param(net, p);
        if (strstr(pp->name, ".gamma"))
            for (int64_t k = 0; k < pp->n; k++) pp->w[k] = 1 + 0.3f * (float)syno_rng_normal(&r);
        if (strstr(pp->name, ".beta") || strstr(pp->name, "fc.b"))
            for (int64_t k = 0; k < pp->n; k++) pp->w[k] = 0.2f * (float)syno_rng_normal(&r);
    }
    double l0 = net_loss(net, x, y);
    syno_net_forward(net, x, y, true, false, NULL, NULL, &err);
    ok(syno_net_backward(net, &err), "%s: backward runs", opname);
    int bad = 0, nokink = 0;
    for (int p = 0; p < np; p++) {
        syno_param *pp = syno_net_param(net, p);
        float *dir = syno_xmalloc((size_t)pp->n * sizeof *dir), *w0 = syno_xmalloc((size_t)pp->n * sizeof *w0);
        float *g = syno_xmalloc((size_t)pp->n * sizeof *g);
        memcpy(w0, pp->w, (size_t)pp->n * sizeof *w0);
        memcpy(g, pp->g, (size_t)pp->n * sizeof *g);
        double rms = 0, gd = 0;
        for (int64_t k = 0; k < pp->n; k++) rms += (double)w0[k] * w0[k];
        rms = sqrt(rms / (double)pp->n);
        for (int64_t k = 0; k < pp->n; k++) {
            dir[k] = syno_rng_below(&r, 2) ? 1.0f : -1.0f;
            gd += (double)g[k] * dir[k];
        }
        /* a step small enough that no ReLU or pooling choice flips */
        double eps = 1e-2 * (rms > 0.3 ? rms : 0.3), fd = NAN;
        uint64_t sig0 = signature(net, x, y);
        for (int tries = 0; tries < 6 && isnan(fd); tries++, eps /= 2) {
            for (int64_t k = 0; k < pp->n; k++) pp->w[k] = w0[k] + (float)eps * dir[k];
            double lp = net_loss(net, x, y);
            bool smooth = syno_net_kink_signature(net) == sig0;
            for (int64_t k = 0; k < pp->n; k++) pp->w[k] = w0[k] - (float)eps * dir[k];
            double lm = net_loss(net, x, y);
            smooth &= syno_net_kink_signature(net) == sig0;
            if (smooth) fd = (lp - lm) / (2 * eps);
        }
        memcpy(pp->w, w0, (size_t)pp->n * sizeof *w0);
        if (isnan(fd)) {
            nokink++;
            printf("#   %s: no kink-free step down to %.3g (skipped)\n", pp->name, 4 * eps);
        } else {
            double scale = fmax(fabs(fd), fabs(gd));
            if (!(fabs(fd - gd) <= 1e-2 * scale + 2e-5)) {
                bad++;
                printf("#   %s: directional derivative %.6g, finite difference %.6g (step %.3g)\n", pp->name, gd, fd,
                       2 * eps);
            }
        }
        free(dir);
        free(w0);
        free(g);
    }
    ok(bad == 0 && nokink <= np / 4, "%s: the gradient of all %d parameter tensors matches finite differences (%d without "
       "a kink-free step)", opname, np, nokink);
    ok(fabs(net_loss(net, x, y) - l0) == 0, "%s: restoring the parameters restores the loss", opname);
    syno_net_free(net);
    syno_buf_fini(&err);
}

/* ---- slot bindings -------------------------------------------------------------- */

static void expect_binding_error(const char *opname, const char *want)
{
    syno_net_shape s;
    syno_net_shape_fmnist(&s, 64);
    syno_buf err = SYNO_BUF_INIT;
    bool good = true;
    for (int i = 0; i < SYNO_NET_SLOTS && good; i++) {
        syno_binding b;
        good = syno_net_slot_binding(&s, i, find(opname), &b, &err);
    }
    if (!ok(!good && strstr(syno_buf_str(&err), want), "%s is refused: ...%s...", opname, want))
        printf("#   got: %s\n", syno_buf_str(&err));
    syno_buf_fini(&err);
}

static void test_bindings(void)
{
    syno_net_shape s;
    syno_net_shape_fmnist(&s, 64);
    syno_buf err = SYNO_BUF_INIT;
    const syno_op *conv = find("conv2d");
    syno_binding b;
    ok(syno_net_slot_binding(&s, 1, conv, &b, &err), "conv2d fits slot 2");
    int64_t want[5] = {64, 16, 32, 14, 14};
    const char *names[5] = {"N", "C_in", "C_out", "H", "W"};
    bool same = true;
    for (int i = 0; i < 5; i++) same &= b.val[syno_vars_find(conv->vars, names[i])] == want[i];
    ok(same && b.val[syno_vars_find(conv->vars, "k")] == 3, "slot 2 binds N=64, C_in=16, C_out=32, H=W=14, k=3");
    syno_buf_fini(&err);
    expect_binding_error("uses_k", "slot fmnist_l1 (N=64, C_in=16, C_out=16, H=28, W=28): operator 'uses_k' uses "
                                   "the size variable 'K'");
    expect_binding_error("grouped", "slot fmnist_l1 (N=64, C_in=16, C_out=16, H=28, W=28): size of");
    expect_binding_error("grouped", "C_out/g = 16/32");
    expect_binding_error("swapped", "maps [N, C_in, H, W] to [N, W, H, C_out]; a slot takes");
    expect_binding_error("linear", "a slot takes [N, C_in, H, W] to [N, C_out, H, W]");
}

static void test_shape_from_layers(void)
{
    const syno_op *conv = find("conv2d");
    const syno_vars *vars = conv->vars;
    syno_binding b[3];
    const char *names[3] = {"fmnist_l1", "fmnist_l2", "fmnist_l3"};
    int64_t v[3][4] = {{16, 16, 28, 28}, {16, 32, 14, 14}, {32, 32, 14, 14}};
    const char *vn[4] = {"C_in", "C_out", "H", "W"};
    for (int l = 0; l < 3; l++) {
        syno_binding_defaults(vars, &b[l]);
        b[l].val[syno_vars_find(vars, "N")] = 64;
        for (int k = 0; k < 4; k++) b[l].val[syno_vars_find(vars, vn[k])] = v[l][k];
    }
    syno_net_shape got, want;
    syno_net_shape_fmnist(&want, 32);
    syno_buf err = SYNO_BUF_INIT;
    bool r = syno_net_shape_from_layers(&got, vars, b, names, 3, 32, 28, &err);
    ok(r && got.batch == 32 && got.h == 28 && got.stem == 16 && got.c[0] == 16 && got.c[1] == 32 && got.c[2] == 32 &&
           got.pool_after == want.pool_after && strcmp(got.names[1], "fmnist_l2") == 0,
       "the fmnist layers give the fmnist network");
    syno_buf_clear(&err);
    r = syno_net_shape_from_layers(&got, vars, b, names, 2, 32, 28, &err);
    ok(!r && strstr(syno_buf_str(&err), "has 3 convolution slots, but 2 layers"), "two layers are refused: %s",
       syno_buf_str(&err));
    syno_buf_clear(&err);
    b[2].val[syno_vars_find(vars, "C_in")] = 24;
    r = syno_net_shape_from_layers(&got, vars, b, names, 3, 32, 28, &err);
    ok(!r && strstr(syno_buf_str(&err), "layer 'fmnist_l3' has C_in = 24 but the layer before it, 'fmnist_l2', has "
                                        "C_out = 32"),
       "a broken chain is refused: %s", syno_buf_str(&err));
    b[2].val[syno_vars_find(vars, "C_in")] = 32;
    syno_buf_clear(&err);
    b[0].val[syno_vars_find(vars, "H")] = 32;
    r = syno_net_shape_from_layers(&got, vars, b, names, 3, 32, 28, &err);
    ok(!r && strstr(syno_buf_str(&err), "images are 28x28"), "another image size is refused: %s", syno_buf_str(&err));
    syno_buf_fini(&err);
}

/* ---- training ----------------------------------------------------------------- */

/* A synthetic task the tiny network can learn: the class is the brightest
 * of ten fixed random patterns mixed into noise. */
static syno_dataset *synthetic(int n, uint64_t seed)
{
    syno_dataset *d = syno_xcalloc(1, sizeof *d);
    d->n = n;
    d->h = d->w = 8;
    d->nclasses = 10;
    d->images = syno_xmalloc((size_t)n * 64 * sizeof *d->images);
    d->labels = syno_xmalloc((size_t)n);
    syno_rng pr, r;
    syno_rng_seed(&pr, 99);
    float pat[10][64];
    for (int c = 0; c < 10; c++) fill_normal(pat[c], 64, &pr, 1);
    syno_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = (int)syno_rng_below(&r, 10);
        d->labels[i] = (unsigned char)c;
        for (int k = 0; k < 64; k++) d->images[i * 64 + k] = 2.0f * pat[c][k] + (float)(0.5 * syno_rng_normal(&r));
    }
    return d;
}

static void small_config(syno_train_config *c, const syno_net_shape *s, bool quick)
{
    syno_train_config_defaults(c);
    c->shape = s;
    c->subset = quick ? 64 : 512;
    c->epochs = quick ? 1 : 4;
    c->batch = 16;
    c->lr = 0.05;
    c->seed = 3;
    c->backend = "cpu";
    c->log_points = 4;
}

static bool same_curve(const syno_train_result *a, const syno_train_result *b)
{
    if (a->npoints != b->npoints || a->npoints == 0) return false;
    for (int i = 0; i < a->npoints; i++)
        if (memcmp(&a->curve[i], &b->curve[i], sizeof a->curve[i]) != 0) return false;
    return memcmp(&a->test_acc, &b->test_acc, sizeof a->test_acc) == 0;
}

static void test_training(bool sanitized)
{
    syno_net_shape s;
    tiny_shape(&s, 16);
    syno_dataset *train = synthetic(sanitized ? 128 : 512, 1), *test = synthetic(200, 2);
    syno_train_config c;
    small_config(&c, &s, sanitized);
    syno_cpu_set_threads(1);
    syno_train_result *a = syno_train_run(find("conv2d"), &c, train, test);
    syno_train_result *b = syno_train_run(find("conv2d"), &c, train, test);
    is_str(syno_train_status_name(a->status), "ok", "tiny network trains to the end");
    ok(same_curve(a, b), "one thread: two runs give the same loss curve and accuracy bit for bit");
    c.seed = 4;
    syno_train_result *d = syno_train_run(find("conv2d"), &c, train, test);
    ok(!same_curve(a, d), "another seed gives another curve");
    if (!sanitized) {
        ok(a->curve[a->npoints - 1].loss < 0.6 * a->curve[0].loss, "the loss falls (%.3f -> %.3f)", a->curve[0].loss,
           a->curve[a->npoints - 1].loss);
        ok(a->test_acc > 0.6, "the synthetic task is learnt: test accuracy %.3f", a->test_acc);
        syno_train_result *t = syno_train_run(find("twostage"), &c, train, test);
        ok(t->status == SYNO_TRAIN_OK && t->test_acc > 0.5, "a two-weight operator trains too: %.3f", t->test_acc);
        syno_train_result_free(t);
    } else {
        skip("learning checks need more steps than a sanitized run takes");
        skip("learning checks need more steps than a sanitized run takes");
        skip("learning checks need more steps than a sanitized run takes");
    }
    syno_cpu_set_threads(2);
    syno_train_result *e = syno_train_run(find("conv2d"), &c, train, test);
    ok(e->status == SYNO_TRAIN_OK && e->npoints == d->npoints, "two threads train the same number of steps");
    syno_cpu_set_threads(0);

    c.seed = 3;
    c.lr = 1e4;
    c.max_loss = 10;
    syno_train_result *f = syno_train_run(find("conv2d"), &c, train, test);
    ok(f->status == SYNO_TRAIN_DIVERGED && isnan(f->test_acc), "learning rate 1e4 diverges: %s", f->message);
    c.lr = 0.05;
    c.nmilestones = 1;
    c.milestones[0] = (syno_train_milestone){0.25, 1.01};
    syno_train_result *g = syno_train_run(find("conv2d"), &c, train, test);
    ok(g->status == SYNO_TRAIN_PRUNED && g->steps < g->steps_planned, "an unreachable milestone stops the run: %s",
       g->message);
    c.nmilestones = 0;
    c.subset = 8;
    syno_train_result *h = syno_train_run(find("conv2d"), &c, train, test);
    ok(h->status == SYNO_TRAIN_ERROR && strstr(h->message, "smaller than one batch"), "a subset under one batch: %s",
       h->message);
    c.subset = 64;
    syno_train_result *i = syno_train_run(find("grouped"), &c, train, test);
    ok(i->status == SYNO_TRAIN_ERROR && strstr(i->message, "slot t1"), "a misfit operator is an error: %s",
       i->message);
    syno_train_result *res[] = {a, b, d, e, f, g, h, i};
    for (size_t k = 0; k < SYNO_ARRAY_LEN(res); k++) syno_train_result_free(res[k]);
    syno_dataset_free(train);
    syno_dataset_free(test);
}

/* Every other available slot backend against cpu: logits and every
 * parameter gradient of the tiny network after the same initialisation. */
static void test_backends(void)
{
    for (int k = 0; k < syno_slot_nbackends; k++) {
        const syno_slot_backend *be = &syno_slot_backends[k];
        if (strcmp(be->name, "cpu") == 0) continue;
        syno_buf why = SYNO_BUF_INIT;
        if (!be->available(&why)) {
            char msg[300];
            snprintf(msg, sizeof msg, "backend %s unavailable: %.200s", be->name, syno_buf_str(&why));
            skip(msg);
            skip(msg);
            syno_buf_fini(&why);
            continue;
        }
        syno_buf_fini(&why);
        const char *ops[2] = {"conv2d", "twostage"};
        for (int o = 0; o < 2; o++) {
            syno_net_shape s;
            tiny_shape(&s, 4);
            syno_buf err = SYNO_BUF_INIT;
            syno_net *ref = syno_net_new(&s, find(ops[o]), syno_slot_backend_find("cpu"), &err);
            syno_net *got = syno_net_new(&s, find(ops[o]), be, &err);
            if (!ref || !got) {
                ok(0, "%s: %s builds on %s: %s", be->name, ops[o], be->name, syno_buf_str(&err));
                syno_net_free(ref);
                syno_net_free(got);
                syno_buf_fini(&err);
                continue;
            }
            syno_rng r1, r2, rx;
            syno_rng_seed(&r1, 9);
            syno_rng_seed(&r2, 9);
            syno_rng_seed(&rx, 10);
            float x[4 * 64];
            unsigned char y[4] = {0, 5, 9, 2};
            fill_normal(x, 4 * 64, &rx, 1);
            bool good = syno_net_init(ref, &r1, x, &err) && syno_net_init(got, &r2, x, &err);
            double l1 = 0, l2 = 0;
            good = good && syno_net_forward(ref, x, y, true, false, &l1, NULL, &err) && syno_net_backward(ref, &err);
            good = good && syno_net_forward(got, x, y, true, false, &l2, NULL, &err) && syno_net_backward(got, &err);
            double worst = fabs(l1 - l2) / fmax(fabs(l1), 1e-30);
            for (int p = 0; good && p < syno_net_nparams(ref); p++) {
                syno_param *a = syno_net_param(ref, p), *b = syno_net_param(got, p);
                double d = 0, m = 0;
                for (int64_t i = 0; i < a->n; i++) d = fmax(d, fabs(a->g[i] - b->g[i])), m = fmax(m, fabs(a->g[i]));
                worst = fmax(worst, m > 0 ? d / m : d);
            }
            ok(good && worst < 1e-3, "%s: %s network loss and gradients equal cpu's (relative error %.2g)%s%s", be->name,
               ops[o], worst, good ? "" : ": ", good ? "" : syno_buf_str(&err));
            syno_net_free(ref);
            syno_net_free(got);
            syno_buf_fini(&err);
        }
    }
}

static void test_schedule(void)
{
    ok(fabs(syno_sgd_cosine_lr(0.1, 0, 100, 0) - 0.1) < 1e-12, "cosine schedule starts at the base rate");
    ok(fabs(syno_sgd_cosine_lr(0.1, 50, 100, 0) - 0.05) < 1e-12, "is half way at half time");
    ok(syno_sgd_cosine_lr(0.1, 100, 100, 0) < 1e-12, "and ends at 0");
    ok(fabs(syno_sgd_cosine_lr(0.1, 0, 100, 10) - 0.01) < 1e-12, "warm-up starts at a tenth");
    syno_param p = {"p", 2, (float[]){1, 2}, (float[]){0.5f, -1}, (float[]){0.1f, 0}, true};
    syno_sgd_step(&p, 1, 0.1, 0.9, 0.01);
    ok(fabs(p.v[0] - (0.09 + 0.5 + 0.01)) < 1e-6 && fabs(p.w[0] - (1 - 0.1 * 0.6)) < 1e-6,
       "SGD: v = m v + g + wd w; w -= lr v");
}

int main(void)
{
    bool sanitized = getenv("SYNO_SANITIZED") != NULL;
    ctx = syno_ctx_new();
    mod = syno_ctx_load_string(ctx, "t_train_ops.syno", test_ops, strlen(test_ops));
    if (!mod || mod->errors) {
        syno_diags_print(&ctx->diags, stdout);
        printf("Bail out! test operators do not check\n");
        return 1;
    }
    test_stem();
    test_bn_pool_gap();
    test_gradients("conv2d");
    test_gradients("twostage");
    test_gradients("pooled_conv2d");
    test_bindings();
    test_shape_from_layers();
    test_schedule();
    test_backends();
    test_training(sanitized);
    syno_ctx_free(ctx);
    return tap_done();
}
