/* final_metrics.c - FLOPs and parameters of operators under the layers.
 *
 * FLOPs are those of the staged plan (codegen/plan.h: the cheapest order of
 * contractions, each multiply and add counted), which never exceed those of
 * direct evaluation (syno_op_flops); the baseline is measured the same way,
 * so relative windows compare like with like. */
#include "search/final_metrics.h"

#include "codegen/plan.h"

#include <string.h>

/* Moves of the plan search cut short that bounds the FLOPs from above (the
 * full one may take 20000). */
#define UPPER_MOVES 100

/* FLOPs of OP under B (see the header). */
double syno_search_op_flops(const syno_op *op, const syno_binding *b)
{
    syno_buf err = SYNO_BUF_INIT;
    syno_plan *p = syno_plan_build(op, b, SYNO_PLAN_FORWARD, &err);
    syno_buf_fini(&err);
    if (p) {
        double f = (double)p->flops;
        syno_plan_free(p);
        return f;
    }
    syno_poly poly;
    syno_op_flops(op, &poly);
    return syno_poly_eval_double(op->vars, &poly, b);
}

/* Weight elements of OP under B. */
double syno_search_op_params(const syno_op *op, const syno_binding *b)
{
    syno_poly poly;
    syno_op_params(op, &poly);
    return syno_poly_eval_double(op->vars, &poly, b);
}

static double direct_flops(const syno_op *op, const syno_binding *b)
{
    syno_poly poly;
    syno_op_flops(op, &poly);
    return syno_poly_eval_double(op->vars, &poly, b);
}

/* Makes F's FLOPs exact (see the header). */
void sx_final_exact_flops(syno_space *sp, syno_final *f)
{
    if (f->flops_exact) return;
    f->flops = 0;
    for (int l = 0; l < sp->nlayers; l++) {
        f->flops_layer[l] = syno_search_op_flops(f->op, &sp->spec->layer_binding[l]);
        f->flops += f->flops_layer[l];
    }
    f->flops_exact = true;
}

/* Fills F's metrics and checks the window (see the header). */
bool sx_final_measure(syno_space *sp, syno_final *f, double lo, double hi)
{
    f->flops = f->params = 0;
    for (int l = 0; l < sp->nlayers; l++) {
        const syno_binding *b = &sp->spec->layer_binding[l];
        f->flops_layer[l] = direct_flops(f->op, b);
        f->params_layer[l] = syno_search_op_params(f->op, b);
        f->flops += f->flops_layer[l];
        f->params += f->params_layer[l];
    }
    f->flops_exact = false;
    if (f->flops < lo * (1 - 1e-9)) return false; /* the staged plan never costs more than direct evaluation */
    if (lo <= 0 && f->flops <= hi * (1 + 1e-9)) return true;
    /* a plan search cut short: an upper bound of the plans' FLOPs, tighter
     * than direct evaluation's; when it decides, the full search (up to
     * 20000 moves a layer) is not needed */
    double g = 0, gl[SYNO_SPEC_MAX_LAYERS];
    for (int l = 0; l < sp->nlayers && g >= 0; l++) {
        gl[l] = syno_plan_flops_upper(f->op, &sp->spec->layer_binding[l], UPPER_MOVES);
        g = gl[l] < 0 ? -1 : g + gl[l];
    }
    if (g >= 0 && g < f->flops) {
        memcpy(f->flops_layer, gl, (size_t)sp->nlayers * sizeof *gl);
        f->flops = g;
    }
    if (g >= 0 && g < lo * (1 - 1e-9)) return false;
    if (g >= 0 && lo <= 0 && g <= hi * (1 + 1e-9)) return true;
    sx_final_exact_flops(sp, f);
    return f->flops >= lo * (1 - 1e-9) && f->flops <= hi * (1 + 1e-9);
}
