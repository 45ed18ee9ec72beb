/* eval_external.c - the external accuracy evaluator (see eval_external.h):
 * registered in place of proxy training; it runs in the search's child
 * process like every evaluator, so a command that fails, hangs or crashes
 * is a failed evaluation with its reason, never the end of the search.
 * Numeric members of a JSON result named like a metric of lang/spec.h
 * ("latency", "params", ...) fill that metric when nothing else measured
 * it. */
#include "search/eval_external.h"

#include "search/evaluate.h"
#include "train/external.h"

#include <math.h>
#include <string.h>

static const char *command;
static double command_timeout;

static bool eval_external(const syno_eval_input *in, syno_metrics *m, syno_buf *why)
{
    const char *names[SYNO_SPEC_MAX_LAYERS];
    for (int l = 0; l < in->nlayers; l++) names[l] = in->layers[l].name;
    syno_external_result r;
    if (!syno_external_run(command, in->op, in->layers, names, in->nlayers, in->seed,
                           in->train_seed ? in->train_seed : 1, command_timeout, false, &r)) {
        syno_buf_puts(why, r.reason);
        return false;
    }
    m->v[SYNO_METRIC_ACCURACY] = r.accuracy;
    for (int e = 0; e < r.nextra; e++)
        for (int k = 0; k < SYNO_METRIC_COUNT; k++)
            if (strcmp(r.extra_name[e], syno_metric_names[k]) == 0 && isnan(m->v[k])) m->v[k] = r.extra[e];
    return true;
}

/* Registers TEMPL as the accuracy evaluator (see eval_external.h). */
bool syno_search_use_evaluator(const char *templ, double timeout, syno_buf *err)
{
    if (!syno_external_check(templ, err)) return false;
    command = templ;
    command_timeout = timeout;
    syno_evaluator_register(SYNO_METRIC_ACCURACY, eval_external);
    return true;
}
