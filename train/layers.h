/* layers.h - the fixed layers of the proxy network, forward and backward,
 * on float32 NCHW buffers (C order: batch, channel, row, column).
 *
 * Each function is deterministic for any number of threads: work is split
 * so that every sum is computed by one thread in a fixed order (channel
 * statistics and weight gradients accumulate in double).  Parallel loops
 * run on the CPU executor's thread pool (base/pool.h). */
#ifndef SYNO_LAYERS_H
#define SYNO_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

/* The stem: a 3x3 convolution of a one-channel image into C channels with
 * zero padding ("same" size), no bias.  X [n][h][w], W [c][3][3],
 * Y [n][c][h][w]. */
void syno_layer_stem_forward(const float *x, const float *w, float *y, int n, int c, int h, int wd);

/* The stem's weight gradient DW [c][3][3] (overwritten) from X and DY
 * [n][c][h][w].  The image needs no gradient. */
void syno_layer_stem_backward(const float *x, const float *dy, float *dw, int n, int c, int h, int wd);

/* Batch normalisation over (n, h, w) per channel followed by ReLU.
 * Parameters GAMMA, BETA [c]; running statistics RMEAN, RVAR [c]. */
typedef struct syno_bn {
    int c;
    float *gamma, *beta;       /* borrowed: the network's parameters */
    float *dgamma, *dbeta;     /* borrowed: their gradients */
    float *rmean, *rvar;       /* owned by the network: running statistics */
    float *mean, *rstd;        /* owned: the batch statistics of the last training forward */
} syno_bn;

#define SYNO_BN_EPS 1e-5
#define SYNO_BN_MOMENTUM 0.1   /* running = (1 - m) running + m batch */

/* Y = relu(gamma (X - mean) / sqrt(var + eps) + beta).  TRAIN: mean and
 * variance of this batch (kept for the backward pass; the running
 * statistics are updated when UPDATE); else the running statistics.
 * X and Y are [n][c][hw] and may not overlap. */
void syno_bn_relu_forward(syno_bn *bn, const float *x, float *y, int n, int hw, bool train, bool update);

/* Backward of the training forward: given X (its input), Y (its output)
 * and DY, writes DX (may alias DY) and the parameter gradients. */
void syno_bn_relu_backward(syno_bn *bn, const float *x, const float *y, const float *dy, float *dx, int n, int hw);

/* 2x2 max pooling with stride 2 (H and W even): X [planes][h][w] ->
 * Y [planes][h/2][w/2]; ARG [planes][h/2][w/2] remembers which of the four
 * won (the first maximum in row-major order). */
void syno_layer_maxpool_forward(const float *x, float *y, unsigned char *arg, int planes, int h, int w);

/* DX (overwritten) from DY and ARG. */
void syno_layer_maxpool_backward(const float *dy, const unsigned char *arg, float *dx, int planes, int h, int w);

/* Global average pooling: G [n][c] = mean over hw of X [n][c][hw]. */
void syno_layer_gap_forward(const float *x, float *g, int n, int c, int hw);
void syno_layer_gap_backward(const float *dg, float *dx, int n, int c, int hw);

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
