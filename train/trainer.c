/* trainer.c - the proxy training loop (see trainer.h). */
#include "train/trainer.h"

#include "base/clock.h"
#include "train/sgd.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seed streams: parameters and shuffles draw from different generators. */
#define STREAM_INIT 0x1d2c3b4a59687766ull
#define STREAM_SHUFFLE 0x5a5a0f0f33cc6699ull
/* A run whose pace so far would take more than this many times its time
 * limit stops at once (checked at every log interval) instead of using up
 * the limit first: a candidate ten times slower than the others costs a
 * tenth of an epoch, not the whole limit. */
#define PROJECTED_MARGIN 1.5

static const char *const status_names[] = {
#define X(e, name, doc) name,
    SYNO_TRAIN_STATUSES(X)
#undef X
};

const char *syno_train_status_name(syno_train_status s)
{
    return s >= 0 && s < (int)SYNO_ARRAY_LEN(status_names) ? status_names[s] : "?";
}

void syno_train_config_defaults(syno_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->subset = 60000;
    c->test_subset = 0;
    c->epochs = 2;
    c->batch = 64;
    c->lr = 0.1;
    c->momentum = 0.9;
    c->weight_decay = 5e-4;
    c->warmup = 0;
    c->seed = 1;
    c->log_points = 10;
    c->max_loss = 10;
}

__attribute__((format(printf, 3, 4))) static void finish(syno_train_result *r, syno_train_status st, const char *fmt,
                                                         ...)
{
    r->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

/* Copies the images and labels of IDX[0..n) into X and Y. */
static void gather(const syno_dataset *d, const int *idx, int n, float *x, unsigned char *y)
{
    size_t per = (size_t)d->h * d->w;
    for (int i = 0; i < n; i++) {
        memcpy(x + i * per, d->images + (size_t)idx[i] * per, per * sizeof *x);
        y[i] = d->labels[idx[i]];
    }
}

/* Evaluates NET (trained) on the first LIMIT images of TEST (0 = all):
 * the fraction classified correctly, or NaN with ERR when a slot fails. */
static double evaluate(syno_net *net, const syno_dataset *test, int limit, syno_buf *err)
{
    const syno_net_shape *s = syno_net_get_shape(net);
    int n = limit > 0 && limit < test->n ? limit : test->n, B = s->batch;
    size_t per = (size_t)test->h * test->w;
    float *x = syno_xcalloc((size_t)B * per, sizeof *x);
    unsigned char *y = syno_xcalloc((size_t)B, 1);
    int correct = 0;
    bool ok = true;
    for (int start = 0; start < n && ok; start += B) {
        int m = n - start < B ? n - start : B;
        memcpy(x, test->images + (size_t)start * per, (size_t)m * per * sizeof *x);
        if (m < B) memset(x + (size_t)m * per, 0, (size_t)(B - m) * per * sizeof *x); /* padding, not counted */
        ok = syno_net_forward(net, x, NULL, false, false, NULL, NULL, err);
        const float *z = syno_net_logits(net);
        for (int i = 0; i < m && ok; i++) {
            int arg = 0;
            for (int k = 1; k < s->nclasses; k++)
                if (z[i * s->nclasses + k] > z[i * s->nclasses + arg]) arg = k;
            correct += arg == test->labels[start + i];
        }
    }
    free(x);
    free(y);
    return ok ? (double)correct / n : NAN;
}

syno_train_result *syno_train_run(const syno_op *op, const syno_train_config *cfg, const syno_dataset *train,
                                  const syno_dataset *test)
{
    syno_train_result *r = syno_xcalloc(1, sizeof *r);
    r->test_acc = r->train_loss = r->train_acc = NAN;
    syno_buf err = SYNO_BUF_INIT;
    double t0 = syno_clock_wall(), c0 = syno_clock_cpu();
    const syno_slot_backend *be =
        cfg->backend && strcmp(cfg->backend, "auto") != 0 ? syno_slot_backend_find(cfg->backend) : syno_slot_backend_auto();
    SYNO_ASSERT(be);
    r->backend = be->name;
    syno_net_shape shape;
    syno_net_shape_fmnist(&shape, cfg->batch);
    if (cfg->shape) {
        shape = *cfg->shape;
        shape.batch = cfg->batch;
    }
    int subset = cfg->subset > 0 && cfg->subset < train->n ? cfg->subset : train->n;
    int64_t per_epoch = subset / cfg->batch;
    r->images_per_epoch = per_epoch * cfg->batch;
    r->steps_planned = per_epoch * cfg->epochs;
    syno_net *net = NULL;
    if (per_epoch == 0) {
        finish(r, SYNO_TRAIN_ERROR, "the training subset (%d images) is smaller than one batch (%d)", subset,
               cfg->batch);
        goto out;
    }
    net = syno_net_new(&shape, op, be, &err);
    if (!net) {
        finish(r, SYNO_TRAIN_ERROR, "%s", syno_buf_str(&err));
        goto out;
    }
    for (int i = 0; i < SYNO_NET_SLOTS; i++)
        for (int t = 1; t < syno_net_slot(net, i)->ntensors; t++) r->params += syno_net_slot(net, i)->numel[t];
    size_t per = (size_t)train->h * train->w;
    float *x = syno_xmalloc((size_t)cfg->batch * per * sizeof *x);
    unsigned char *y = syno_xmalloc((size_t)cfg->batch);
    int *order = syno_xmalloc((size_t)subset * sizeof *order);
    for (int i = 0; i < subset; i++) order[i] = i;
    syno_rng init_rng, shuffle_rng;
    syno_rng_seed(&init_rng, cfg->seed ^ STREAM_INIT);
    syno_rng_seed(&shuffle_rng, cfg->seed ^ STREAM_SHUFFLE);
    gather(train, order, cfg->batch, x, y);
    if (!syno_net_init(net, &init_rng, x, &err)) {
        finish(r, SYNO_TRAIN_ERROR, "%s", syno_buf_str(&err));
        goto out_free;
    }
    double t1 = syno_clock_wall(), c1 = syno_clock_cpu();
    r->seconds_init = t1 - t0;
    double prof0[SYNO_NET_NPARTS], cprof0[SYNO_NET_NPARTS];
    memcpy(prof0, syno_net_profile(net), sizeof prof0);
    memcpy(cprof0, syno_net_profile_cpu(net), sizeof cprof0);
    int log_points = cfg->log_points > 0 ? cfg->log_points : 1;
    int64_t interval = per_epoch / log_points > 0 ? per_epoch / log_points : 1;
    r->curve = syno_xcalloc((size_t)(cfg->epochs * (per_epoch / interval + 1) + 1), sizeof *r->curve);
    r->epoch_seconds = syno_xcalloc((size_t)cfg->epochs + 1, sizeof *r->epoch_seconds);
    int nparams = syno_net_nparams(net);
    syno_param *params = syno_net_param(net, 0);
    int next_milestone = 0;
    bool stop = false;
    int64_t step = 0;
    for (int e = 0; e < cfg->epochs && !stop; e++) {
        double te = syno_clock_wall();
        for (int i = subset - 1; i > 0; i--) {
            int j = (int)syno_rng_below(&shuffle_rng, (uint64_t)i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        double eloss = 0, iloss = 0;
        int ecorrect = 0, icorrect = 0;
        int64_t esteps = 0, isteps = 0;
        for (int64_t b = 0; b < per_epoch && !stop; b++) {
            gather(train, order + b * cfg->batch, cfg->batch, x, y);
            double loss;
            int correct = 0;
            if (!syno_net_forward(net, x, y, true, true, &loss, &correct, &err) || !syno_net_backward(net, &err)) {
                finish(r, SYNO_TRAIN_ERROR, "%s", syno_buf_str(&err));
                stop = true;
                break;
            }
            if (!isfinite(loss)) {
                finish(r, SYNO_TRAIN_DIVERGED, "the loss is %g at step %lld", loss, (long long)step + 1);
                stop = true;
                break;
            }
            double lr = syno_sgd_cosine_lr(cfg->lr, step, r->steps_planned, cfg->warmup);
            syno_sgd_step(params, nparams, lr, cfg->momentum, cfg->weight_decay);
            step++;
            eloss += loss, iloss += loss;
            ecorrect += correct, icorrect += correct;
            esteps++, isteps++;
            if (isteps == interval || b == per_epoch - 1) {
                syno_train_point *pt = &r->curve[r->npoints++];
                pt->step = step;
                pt->loss = iloss / (double)isteps;
                pt->acc = (double)icorrect / (double)(isteps * cfg->batch);
                if (cfg->progress) cfg->progress(cfg->progress_ctx, e, step, r->steps_planned, pt->loss, pt->acc);
                if (pt->loss > cfg->max_loss) {
                    finish(r, SYNO_TRAIN_DIVERGED, "the mean loss of steps %lld..%lld is %.3g (above %g)",
                           (long long)(step - isteps + 1), (long long)step, pt->loss, cfg->max_loss);
                    stop = true;
                }
                while (!stop && next_milestone < cfg->nmilestones &&
                       (double)step >= cfg->milestones[next_milestone].at * (double)r->steps_planned - 1e-9) {
                    const syno_train_milestone *m = &cfg->milestones[next_milestone++];
                    if (pt->acc < m->min_acc) {
                        finish(r, SYNO_TRAIN_PRUNED,
                               "training accuracy %.4f at %.0f%% of the steps is below the milestone %.4f", pt->acc,
                               100 * m->at, m->min_acc);
                        stop = true;
                    }
                }
                iloss = 0, icorrect = 0, isteps = 0;
                double cpu = syno_clock_cpu() - c0;
                /* the whole run, at the pace so far; a margin for the first, slower steps */
                double projected = cpu / (double)step * (double)r->steps_planned;
                if (!stop && cfg->time_limit > 0 && cpu > cfg->time_limit) {
                    finish(r, SYNO_TRAIN_TIMEOUT,
                           "still training after %.1f s of processor time (limit %g s), at step %lld of %lld", cpu,
                           cfg->time_limit, (long long)step, (long long)r->steps_planned);
                    stop = true;
                } else if (!stop && cfg->time_limit > 0 && projected > PROJECTED_MARGIN * cfg->time_limit) {
                    finish(r, SYNO_TRAIN_TIMEOUT,
                           "at its pace (%.1f s of processor time for %lld of %lld steps) it would need about %.0f s "
                           "(limit %g s)",
                           cpu, (long long)step, (long long)r->steps_planned, projected, cfg->time_limit);
                    stop = true;
                }
            }
        }
        r->epoch_seconds[r->epochs_done] = syno_clock_wall() - te;
        if (esteps) {
            r->train_loss = eloss / (double)esteps;
            r->train_acc = (double)ecorrect / (double)(esteps * cfg->batch);
        }
        if (esteps == per_epoch) r->epochs_done++;
    }
    r->steps = step;
    double t2 = syno_clock_wall();
    r->seconds_train = t2 - t1;
    r->cpu_seconds_train = syno_clock_cpu() - c1;
    for (int p = 0; p < SYNO_NET_NPARTS; p++) {
        r->profile[p] = syno_net_profile(net)[p] - prof0[p];
        r->profile_cpu[p] = syno_net_profile_cpu(net)[p] - cprof0[p];
    }
    if (r->status == SYNO_TRAIN_OK || r->status == SYNO_TRAIN_PRUNED || r->status == SYNO_TRAIN_TIMEOUT) {
        if (r->status == SYNO_TRAIN_OK && test) {
            r->test_acc = evaluate(net, test, cfg->test_subset, &err);
            if (isnan(r->test_acc) && err.len) finish(r, SYNO_TRAIN_ERROR, "%s", syno_buf_str(&err));
        }
    }
    r->seconds_test = syno_clock_wall() - t2;
out_free:
    free(x);
    free(y);
    free(order);
out:
    syno_net_free(net);
    syno_buf_fini(&err);
    return r;
}

void syno_train_result_free(syno_train_result *r)
{
    if (!r) return;
    free(r->curve);
    free(r->epoch_seconds);
    free(r);
}
