/* eval_accuracy.c - the accuracy evaluator of the search (the ACCURACY
 * line of search/evaluators.def): the candidate trained in the proxy
 * network of `syno train` (train/), built from the spec's three layers,
 * with the spec's `train` settings; its test accuracy is the metric.
 *
 * Every candidate starts from the same seed (1), so differences come from
 * the operators; the search's confirmation runs (driver_confirm.c) set
 * other seeds and the whole test set.  A run that diverges (NaN or exploding loss), misses the prune
 * milestone (its training accuracy half way through near chance: it is not
 * learning), or runs past the spec's time limit is a
 * failed evaluation with that reason; the search records it and goes on.
 *
 * Runs in the search's child process (search/evaluate.c), so the data set
 * cache of train/proxy.c lives for one evaluation. */
#include "codegen/cpu.h"
#include "search/eval_external.h"
#include "search/evaluate.h"
#include "train/proxy.h"

#include <string.h>

/* A Syno-style prune milestone for a ten-class task (chance is 0.1): a
 * candidate whose training accuracy is still near chance half way through
 * is hopeless at any budget the search can afford.  Applied to runs of at
 * least MILESTONE_MIN_STEPS steps only: early in a short run even the
 * baseline is near chance, and a log interval of a few batches is noisy. */
static const syno_train_milestone milestones[] = {{0.5, 0.2}};

/* Where the training runs (`syno search --backend`): a name of
 * train/slot_backends.def, or "auto". */
static const char *backend = "auto";
#define MILESTONE_MIN_STEPS 100

/* The proxy training settings of IN's spec, seed and test set (see the
 * file comment). */
static void config(const syno_eval_input *in, syno_train_config *c)
{
    const syno_spec *spec = in->spec;
    syno_train_config_defaults(c);
    c->subset = spec->train_subset;
    c->epochs = spec->train_epochs;
    c->batch = spec->train_batch;
    c->lr = spec->train_lr;
    c->momentum = spec->train_momentum;
    c->test_subset = spec->train_test;
    c->time_limit = spec->train_limit;
    c->seed = 1;
    if (in->train_seed) c->seed = in->train_seed;
    if (in->full_test) c->test_subset = 0;
    if ((int64_t)(c->subset / c->batch) * c->epochs >= MILESTONE_MIN_STEPS) {
        c->nmilestones = (int)SYNO_ARRAY_LEN(milestones);
        memcpy(c->milestones, milestones, sizeof milestones);
    }
    c->backend = backend;
}

/* Sets the backend of proxy training (see eval_external.h). */
void syno_search_set_backend(const char *name)
{
    backend = name;
}

/* Proxy accuracy of IN's operator (see evaluate.h for the contract). */
bool syno_eval_accuracy(const syno_eval_input *in, syno_metrics *m, syno_buf *why)
{
    syno_train_config c;
    config(in, &c);
    const char *names[SYNO_SPEC_MAX_LAYERS];
    for (int l = 0; l < in->nlayers; l++) names[l] = in->layers[l].name;
    syno_net_shape shape;
    if (!syno_net_shape_from_layers(&shape, in->op->vars, in->layers, names, in->nlayers, c.batch, 28, why))
        return false;
    c.shape = &shape;
    if (in->threads > 0) syno_cpu_set_threads(in->threads);
    syno_train_result *r = syno_proxy_train(in->op, &c, why);
    if (!r) return false;
    bool ok = r->status == SYNO_TRAIN_OK;
    if (ok) m->v[SYNO_METRIC_ACCURACY] = r->test_acc;
    else syno_buf_printf(why, "training %s: %s", syno_train_status_name(r->status), r->message);
    syno_train_result_free(r);
    return ok;
}
