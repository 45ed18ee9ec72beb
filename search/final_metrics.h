/* final_metrics.h - FLOPs and parameters of final operators, per layer and
 * summed (what the FLOPs window and the flops/params evaluators measure). */
#ifndef SYNO_SEARCH_FINAL_METRICS_H
#define SYNO_SEARCH_FINAL_METRICS_H

#include "search/engine.h"

/* Fills F's params and FLOPs (per layer and summed over the layers of SP)
 * and says whether the staged plans' FLOPs are within [LO, HI].  The plans
 * are only searched in full when no upper bound decides (direct
 * evaluation's FLOPs, then a plan search cut short): F->flops_exact says
 * whether the stored FLOPs are the plans' or the smaller upper bound. */
bool sx_final_measure(syno_space *sp, syno_final *f, double lo, double hi);
/* Makes F's FLOPs the staged plans' (when they were not). */
void sx_final_exact_flops(syno_space *sp, syno_final *f);

/* FLOPs of OP under B: the staged plan's (codegen/plan.h) when it can be
 * built, else direct evaluation's.  -1 when a size does not evaluate. */
double syno_search_op_flops(const syno_op *op, const syno_binding *b);
double syno_search_op_params(const syno_op *op, const syno_binding *b);

#endif
