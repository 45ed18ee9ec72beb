/* sgd.h - stochastic gradient descent with momentum and weight decay, and
 * the cosine learning-rate schedule of the proxy training. */
#ifndef SYNO_SGD_H
#define SYNO_SGD_H

#include "train/net.h"

/* One step on the N parameters P:  v = momentum v + g + wd w (wd only
 * where p->decay),  w -= lr v.  PyTorch's SGD without dampening. */
void syno_sgd_step(syno_param *p, int n, double lr, double momentum, double weight_decay);

/* The learning rate at STEP of TOTAL: a linear warm-up from BASE/10 over
 * the first WARMUP steps, then BASE · (1 + cos(π t)) / 2 with t the
 * fraction of the remaining steps done. */
double syno_sgd_cosine_lr(double base, int64_t step, int64_t total, int64_t warmup);

#endif
