/* final_metrics.c - FLOPs and parameters of operators under the layers.
 *
 * FLOPs are those of the staged plan (codegen/plan.h: the cheapest order of
 * contractions, each multiply and add counted), which never exceed those of
 * direct evaluation (syno_op_flops); the baseline is measured the same way,
 * so relative windows compare like with like. */
#include "search/final_metrics.h"

#include "codegen/plan.h"

#include <math.h>
#include <string.h>

/* Moves of the plan search cut short that bounds the FLOPs from above (the
 * full one may take 20000). */
#define UPPER_MOVES 100

/* Moves of the branch and bound that proves an operator above the window
 * before the full plan search. */
#define OVER_MOVES 20000

/* The FLOPs of syno_plan_build's plan of OP under B, or of direct
 * evaluation when there is none; with P (OP's planner under B, or NULL
 * when it has none), from P's shared work. */
static double plan_flops(const syno_op *op, const syno_binding *b, syno_planner *P)
{
    syno_buf err = SYNO_BUF_INIT;
    syno_plan *p = P ? syno_planner_plan(P, &err) : syno_plan_build(op, b, SYNO_PLAN_FORWARD, &err);
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

/* FLOPs of OP under B (see the header). */
double syno_search_op_flops(const syno_op *op, const syno_binding *b)
{
    return plan_flops(op, b, NULL);
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

/* True when every staged plan of F, summed over the layers, costs more
 * than CAP, so the full plan search's does too, whether or not it hits its
 * work bound (syno_plan_flops_min): the verdict it would give, without it.
 * Layer by layer, each layer's cap is what the least plans of the layers
 * before leave of CAP (plus one FLOP for rounding): when a layer's least
 * exceeds it, so does the sum.  False when undecided.  PL: the planner of
 * each layer (NULL where the plan cannot be built). */
static bool above(syno_space *sp, syno_planner **pl, double cap)
{
    double rest = cap;
    for (int l = 0; l < sp->nlayers; l++) {
        double m = pl[l] ? syno_planner_min(pl[l], rest + 1, OVER_MOVES) : -1;
        if (m < 0) return false;
        if (isinf(m)) return true;
        rest -= m;
    }
    return false;
}

/* Makes F's FLOPs exact with the planners PL (see sx_final_exact_flops). */
static void exact_flops(syno_space *sp, syno_final *f, syno_planner **pl)
{
    if (f->flops_exact) return;
    f->flops = 0;
    for (int l = 0; l < sp->nlayers; l++) {
        f->flops_layer[l] = plan_flops(f->op, &sp->spec->layer_binding[l], pl ? pl[l] : NULL);
        f->flops += f->flops_layer[l];
    }
    f->flops_exact = true;
}

/* Makes F's FLOPs exact (see the header). */
void sx_final_exact_flops(syno_space *sp, syno_final *f)
{
    exact_flops(sp, f, NULL);
}

/* An upper bound of the plans' FLOPs summed over the layers (each layer's
 * in GL): a plan search cut short after BUDGET moves per layer; with no
 * floor (LO <= 0), each stops at a plan within what the layers before
 * leave of HI, and INFINITY says none was found.  -1 when a layer has no
 * planner. */
static double upper(syno_space *sp, syno_planner **pl, double lo, double hi, long budget, double *gl)
{
    double g = 0;
    for (int l = 0; l < sp->nlayers && g >= 0 && isfinite(g); l++) {
        double enough = lo <= 0 ? hi * (1 + 1e-9) - g : -INFINITY;
        gl[l] = pl[l] ? syno_planner_upper(pl[l], budget, enough) : -1;
        g = gl[l] < 0 ? -1 : g + gl[l];
    }
    return g;
}

/* The window check of sx_final_measure once direct evaluation did not
 * decide it, with the planners PL.  Cheapest first: with no floor, a plan
 * search with no budget (greedy after the first stage) that accepts most
 * operators; a branch and bound that proves every plan above the window;
 * a plan search cut short after UPPER_MOVES moves, an upper bound tighter
 * than direct evaluation's; and only when none of them decides, the full
 * search (up to 20000 moves a layer). */
static bool measure_plans(syno_space *sp, syno_final *f, double lo, double hi, syno_planner **pl)
{
    double gl[SYNO_SPEC_MAX_LAYERS], g;
    if (lo <= 0 && (g = upper(sp, pl, lo, hi, 0, gl)) >= 0 && g <= hi * (1 + 1e-9)) {
        if (g < f->flops) {
            memcpy(f->flops_layer, gl, (size_t)sp->nlayers * sizeof *gl);
            f->flops = g;
        }
        return true;
    }
    if (isfinite(hi) && above(sp, pl, hi * (1 + 1e-9))) return false;
    g = upper(sp, pl, lo, hi, UPPER_MOVES, gl);
    if (g >= 0 && g < f->flops) {
        memcpy(f->flops_layer, gl, (size_t)sp->nlayers * sizeof *gl);
        f->flops = g;
    }
    if (g >= 0 && g < lo * (1 - 1e-9)) return false;
    if (g >= 0 && lo <= 0 && g <= hi * (1 + 1e-9)) return true;
    exact_flops(sp, f, pl);
    return f->flops >= lo * (1 - 1e-9) && f->flops <= hi * (1 + 1e-9);
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
    /* each layer's plan searches share one planner (a stage solved by one is
     * solved for the next) */
    syno_planner *pl[SYNO_SPEC_MAX_LAYERS];
    for (int l = 0; l < sp->nlayers; l++) pl[l] = syno_planner_new(f->op, &sp->spec->layer_binding[l]);
    bool inside = measure_plans(sp, f, lo, hi, pl);
    for (int l = 0; l < sp->nlayers; l++) syno_planner_free(pl[l]);
    return inside;
}
