/* net.h - the proxy network of `syno train --task fmnist`: a small CNN
 * whose three convolution slots run an operator (the same one in every
 * slot, each slot bound to its own layer sizes):
 *
 *   image [N,1,28,28]
 *   -> stem: 3x3 convolution 1 -> 16 channels, BN, ReLU
 *   -> slot 1 (fmnist_l1: C_in 16, C_out 16, H = W = 28), BN, ReLU
 *   -> 2x2 max pooling
 *   -> slot 2 (fmnist_l2: C_in 16, C_out 32, H = W = 14), BN, ReLU
 *   -> slot 3 (fmnist_l3: C_in 32, C_out 32, H = W = 14), BN, ReLU
 *   -> global average pooling -> linear 32 -> 10 -> softmax cross-entropy
 *
 * N is the batch.  The batch normalisation after each slot is part of
 * the network for the baseline and for every candidate alike: it makes
 * the network indifferent to the overall scale of a discovered operator
 * (whose weights multiply), which keeps training stable.
 *
 * Slot weights get a data-driven initialisation (syno_net_init): each
 * weight starts standard normal, then the weights of a slot are scaled by
 * equal factors so that the slot's output on a real batch has twice the
 * second moment of its input: what Kaiming initialisation gives a
 * convolution followed by ReLU, for any number of weights.
 *
 * The sizes are a syno_net_shape, so tests can build a tiny network. */
#ifndef SYNO_NET_H
#define SYNO_NET_H

#include "base/rng.h"
#include "train/layers.h"
#include "train/slot.h"

#define SYNO_NET_SLOTS 3

typedef struct syno_net_shape {
    int batch;                  /* N */
    int h, w;                   /* image size (even: pooled once) */
    int stem;                   /* stem channels = C_in of slot 1 */
    int c[SYNO_NET_SLOTS];      /* C_out of each slot */
    int pool_after;             /* the slot (0-based) after which the 2x2 pooling sits */
    int nclasses;
    const char *names[SYNO_NET_SLOTS]; /* slot names in messages ("fmnist_l1") */
} syno_net_shape;

/* The network above with batch BATCH. */
void syno_net_shape_fmnist(syno_net_shape *s, int batch);

/* The network whose slots have the sizes of NLAYERS layer bindings (over
 * VARS, named NAMES; e.g. a search's `layers`): exactly three layers,
 * each binding C_in, C_out, H and W, chained (C_in of one layer is C_out of
 * the one before), on IMAGE x IMAGE inputs (H of the first layer), with H
 * and W equal to the previous layer's or halved once (where the pooling
 * goes).  N is BATCH.  False with ERR appended when the layers do not
 * describe such a network. */
bool syno_net_shape_from_layers(syno_net_shape *s, const syno_vars *vars, const syno_binding *layers,
                                const char *const *names, int nlayers, int batch, int image, syno_buf *err);

/* Sizes of slot I: C_in, C_out, H, W. */
void syno_net_slot_dims(const syno_net_shape *s, int slot, int *cin, int *cout, int *h, int *w);

/* The binding of OP's variables for slot I: N, C_in, C_out, H and W by
 * name, the coefficients at their defaults.  Checks that OP takes
 * [N, C_in, H, W] to [N, C_out, H, W] and that every size evaluates.
 * Returns false after appending a message naming the slot and the size
 * to ERR. */
bool syno_net_slot_binding(const syno_net_shape *s, int slot, const syno_op *op, syno_binding *b, syno_buf *err);

/* A parameter tensor: values, gradient, SGD momentum buffer. */
typedef struct syno_param {
    char name[48];
    int64_t n;
    float *w, *g, *v;
    bool decay;                 /* weight decay applies (not to BN parameters and biases) */
} syno_param;

#define SYNO_NET_MAX_PARAMS (6 + SYNO_NET_SLOTS * (SYNO_MAX_TENSORS + 1))

typedef struct syno_net syno_net;

/* Builds the network for SHAPE with OP in every slot, each compiled by
 * backend BE.  Parameters are zero until syno_net_init.  Returns NULL
 * after appending to ERR why a slot cannot take OP. */
syno_net *syno_net_new(const syno_net_shape *shape, const syno_op *op, const syno_slot_backend *be, syno_buf *err);
void syno_net_free(syno_net *n);

/* Parameter tensors, in a fixed order. */
int syno_net_nparams(const syno_net *n);
syno_param *syno_net_param(syno_net *n, int i);
const syno_net_shape *syno_net_get_shape(const syno_net *n);
syno_slot *syno_net_slot(syno_net *n, int i);

/* Initialises every parameter from RNG (see above); X is a batch of
 * images [batch][h][w] used to scale the slot weights.  Returns false
 * (with ERR) when a slot fails. */
bool syno_net_init(syno_net *n, syno_rng *rng, const float *x, syno_buf *err);

/* Forward pass on images X [batch][h][w].  TRAIN: batch statistics (and
 * the running ones updated when UPDATE_STATS), else running statistics.
 * With LABELS, returns the mean loss and adds correct predictions to
 * *CORRECT (may be NULL); without, returns 0.  Logits are kept for
 * syno_net_logits.  False with ERR when a slot fails. */
bool syno_net_forward(syno_net *n, const float *x, const unsigned char *labels, bool train, bool update_stats,
                      double *loss, int *correct, syno_buf *err);

/* Backward pass after a training forward with labels: every parameter's
 * gradient (overwritten) of the mean loss of that batch. */
bool syno_net_backward(syno_net *n, syno_buf *err);

/* The logits of the last forward, [batch][nclasses]. */
const float *syno_net_logits(const syno_net *n);

/* Where the time goes: seconds spent in each part of the network since
 * it was built (forward and backward passes of every batch). */
typedef enum syno_net_part {
    SYNO_NET_STEM,          /* stem convolution, forward and backward */
    SYNO_NET_BN,            /* BN+ReLU layers, forward and backward */
    SYNO_NET_OTHER,         /* pooling, GAP, classifier, loss */
    SYNO_NET_SLOT_FWD,      /* + 3 i: slot i forward */
    SYNO_NET_SLOT_BWD_X,    /* + 3 i: slot i gradient of its input */
    SYNO_NET_SLOT_BWD_W,    /* + 3 i: slot i gradients of its weights */
    SYNO_NET_NPARTS = SYNO_NET_SLOT_FWD + 3 * SYNO_NET_SLOTS
} syno_net_part;

/* Seconds per part (SYNO_NET_NPARTS entries, owned by N): wall time, and
 * processor time of every thread together (steadier on a busy machine). */
const double *syno_net_profile(const syno_net *n);
const double *syno_net_profile_cpu(const syno_net *n);

/* A hash of the last forward's piecewise-linear choices: the sign of
 * every ReLU input and the winner of every pooling window.  Where it does
 * not change, the loss is a smooth function of the parameters (tests use
 * it to take finite differences away from kinks). */
uint64_t syno_net_kink_signature(const syno_net *n);

/* Second moments of slot I's input and output in the last forward. */
void syno_net_slot_moments(const syno_net *n, int i, double *in2, double *out2);

#endif
