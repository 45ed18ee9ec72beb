/* reward.c - the reward of an evaluated candidate, shaped like Syno's
 * (syno-internals §6.2), in [0, 1] for a success and -1 for a failure.
 *
 * Each objective metric gives a score in [0, 1]:
 *   flops, params, latency (smaller is better): 1 - min(1, ratio / max_ratio),
 *     the ratio being to the baseline operator's value (or, without a
 *     baseline, to the first successful candidate's), max_ratio the top of
 *     a relative FLOPs window (1 when there is none): Syno's FLOPs target;
 *   accuracy: ((max(acc, lb) - lb) / (ub - lb))^p, capped at 1, with p 4
 *     and ub the baseline's accuracy, lb = max(ub - 0.3, 0) (Syno's ResNet-18
 *     settings, lb 0.4 and ub 0.7, put around the proxy task's baseline;
 *     those very values without a baseline accuracy).
 * The reward is the weighted mean of the objective's scores. */
#include "search/search_run.h"

#include <math.h>

/* The reward of M (see the file comment); REF holds the reference values
 * (the baseline's, or the first success's) per metric, NaN when unknown. */
double syno_search_reward(const syno_spec *spec, const syno_metrics *m, const double *ref)
{
    if (!m->ok) return -1;
    double sum = 0, wsum = 0;
    for (int i = 0; i < spec->nobj; i++) {
        syno_metric k = spec->obj[i].metric;
        double w = spec->obj[i].weight, v = m->v[k], s;
        if (!isfinite(v)) continue;
        if (k == SYNO_METRIC_ACCURACY) {
            double ub = isfinite(ref[k]) && ref[k] > 0 ? ref[k] : 0.7, lb = ub > 0.3 ? ub - 0.3 : 0;
            double x = ((v > lb ? v : lb) - lb) / (ub - lb);
            s = pow(x < 1 ? x : 1, 4);
        } else {
            double r = isfinite(ref[k]) && ref[k] > 0 ? v / ref[k] : 1;
            double rmax = spec->has_flops && spec->flops_relative ? spec->flops_max : 1;
            s = 1 - (r / rmax < 1 ? r / rmax : 1);
        }
        sum += w * s;
        wsum += w;
    }
    return wsum > 0 ? sum / wsum : 0;
}
