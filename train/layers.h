/* layers.h - the fixed layers of the proxy network, forward and backward,
 * on float32 NCHW buffers (C order: batch, channel, row, column).
 *
 * Batch normalisation and ReLU are one layer, and the layer that follows
 * them (2x2 max pooling, global average pooling) is fused into the same
 * pass over the data: the normalised map is then never stored, and the
 * backward pass recomputes the ReLU's mask from the layer's input.  The
 * stem's weight gradient is fused into its BN's backward pass the same
 * way.
 *
 * Each function is deterministic for any number of threads: work is split
 * by channel or image so that every sum is computed by one thread in a
 * fixed order (channel statistics and weight gradients accumulate in
 * double across images).  Parallel loops run on the thread pool
 * (base/pool.h); inner loops are eight-float vectors (base/simd.h). */
#ifndef SYNO_LAYERS_H
#define SYNO_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

/* Floats of one image padded for the stem: a border of zeros, (h + 2)
 * rows of w + 2, and some slack for whole vectors at the end. */
static inline int64_t syno_layer_stem_pad(int h, int w)
{
    return (int64_t)(h + 2) * (w + 2) + 16;
}

/* The stem: a 3x3 convolution of a one-channel image into C channels with
 * zero padding ("same" size), no bias.  X [n][h][w], W [c][3][3],
 * Y [n][c][h][w]; XPAD [n][syno_layer_stem_pad(h, w)] receives the padded
 * images (the backward pass reads them). */
void syno_layer_stem_forward(const float *x, const float *w, float *y, float *xpad, int n, int c, int h, int wd);

/* Batch normalisation over (n, h, w) per channel followed by ReLU.
 * Parameters GAMMA, BETA [c]; running statistics RMEAN, RVAR [c]. */
typedef struct syno_bn {
    int c;
    float *gamma, *beta;       /* borrowed: the network's parameters */
    float *dgamma, *dbeta;     /* borrowed: their gradients */
    float *rmean, *rvar;       /* owned by the network: running statistics */
    float *mean, *rstd;        /* owned: the batch statistics of the last training forward */
    float *scale, *shift;      /* owned: the last forward computed relu(scale x + shift) */
} syno_bn;

#define SYNO_BN_EPS 1e-5
#define SYNO_BN_MOMENTUM 0.1   /* running = (1 - m) running + m batch */

/* Y = relu(gamma (X - mean) / sqrt(var + eps) + beta).  TRAIN: mean and
 * variance of this batch (kept for the backward pass; the running
 * statistics are updated when UPDATE); else the running statistics.
 * X and Y are [n][c][hw] and may not overlap. */
void syno_bn_relu_forward(syno_bn *bn, const float *x, float *y, int n, int hw, bool train, bool update);

/* The same followed by 2x2 max pooling with stride 2 (H and W even):
 * P [n][c][h/2][w/2] is the maximum of each block of the normalised map,
 * ARG [n][c][h/2][w/2] which of the four won (the first maximum in
 * row-major order). */
void syno_bn_relu_pool_forward(syno_bn *bn, const float *x, float *p, unsigned char *arg, int n, int h, int w,
                               bool train, bool update);

/* The same followed by global average pooling: G [n][c] is the mean of
 * each plane of the normalised map. */
void syno_bn_relu_gap_forward(syno_bn *bn, const float *x, float *g, int n, int hw, bool train, bool update);

/* Backward passes of the training forwards above, given X (their input)
 * and the gradient of what they produced: DY [n][c][hw] for the plain one,
 * DP and ARG for the pooled one, DG [n][c] for the averaged one.  They
 * write DX [n][c][hw] (the gradient of X; DX may alias DY) and the
 * parameter gradients. */
void syno_bn_relu_backward(syno_bn *bn, const float *x, const float *dy, float *dx, int n, int hw);
void syno_bn_relu_pool_backward(syno_bn *bn, const float *x, const float *dp, const unsigned char *arg, float *dx,
                                int n, int h, int w);
void syno_bn_relu_gap_backward(syno_bn *bn, const float *x, const float *dg, float *dx, int n, int hw);

/* The backward pass of the stem's BN+ReLU and of the stem itself: from
 * A0 (the stem's output), DY (the gradient of the normalised map) and the
 * padded images XPAD of the stem's forward, the BN parameter gradients and
 * the stem's weight gradient DW [c][3][3] (overwritten).  The gradient of
 * A0 is not kept. */
void syno_bn_relu_stem_backward(syno_bn *bn, const float *a0, const float *dy, const float *xpad, float *dw, int n,
                                int h, int w);

/* Mixes into H (a hash) one bit per element of X [n][c][hw]: whether the
 * last forward's ReLU let it through. */
uint64_t syno_bn_relu_sign_hash(const syno_bn *bn, const float *x, int n, int hw, uint64_t h);

/* Fully connected: Z [n][k] = G [n][c] W^T + B, W [k][c]. */
void syno_layer_linear_forward(const float *g, const float *w, const float *b, float *z, int n, int c, int k);

/* DW [k][c], DB [k] (overwritten) and DG [n][c] (when not NULL). */
void syno_layer_linear_backward(const float *g, const float *w, const float *dz, float *dw, float *db, float *dg,
                                int n, int c, int k);

/* Softmax cross-entropy of logits Z [n][k] against LABELS: returns the mean
 * loss over the batch (NaN when a logit is not finite), writes DZ (the
 * gradient of the mean loss; may be NULL) and adds the number of rows whose
 * largest logit is the label to *CORRECT (may be NULL). */
double syno_layer_softmax_ce(const float *z, const unsigned char *labels, float *dz, int n, int k, int *correct);

#endif
