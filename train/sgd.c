/* sgd.c - SGD with momentum and the cosine schedule (see sgd.h). */
#include "train/sgd.h"

#include <math.h>

void syno_sgd_step(syno_param *p, int n, double lr, double momentum, double weight_decay)
{
    float fl = (float)lr, fm = (float)momentum;
    for (int i = 0; i < n; i++) {
        float wd = p[i].decay ? (float)weight_decay : 0.0f;
        float *restrict w = p[i].w, *restrict v = p[i].v;
        const float *restrict g = p[i].g;
        for (int64_t k = 0; k < p[i].n; k++) {
            v[k] = fm * v[k] + g[k] + wd * w[k];
            w[k] -= fl * v[k];
        }
    }
}

double syno_sgd_cosine_lr(double base, int64_t step, int64_t total, int64_t warmup)
{
    if (step < warmup) return base * (0.1 + 0.9 * (double)step / (double)warmup);
    int64_t rest = total - warmup;
    if (rest <= 0) return base;
    double t = (double)(step - warmup) / (double)rest;
    if (t > 1) t = 1;
    return base * 0.5 * (1 + cos(M_PI * t));
}
