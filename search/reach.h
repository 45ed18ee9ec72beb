/* reach.h - `syno reach`: is an operator in the synthesis space of a spec,
 * by which path, or which bound or rule excludes it. */
#ifndef SYNO_SEARCH_REACH_H
#define SYNO_SEARCH_REACH_H

#include "search/space.h"

typedef struct syno_reach {
    bool reachable;
    uint64_t hash;          /* the operator's canonical hash (at the spec's unordered level) */
    int depth;              /* steps of its canonical form (and of the path when reachable) */
    int nsteps;
    char **steps;           /* the path from the root, one description per step */
    char *reason;           /* why it is not in the space */
    syno_rule rule;         /* the rule or bound that excludes it, or SYNO_RULE_COUNT */
    uint64_t rules;         /* the smallest set of rules whose removal admits it (bit per syno_rule), or 0 */
    double flops, params;   /* summed over the layers */
} syno_reach;

bool syno_reach_run(const syno_spec *spec, const syno_op *target, syno_diags *d, syno_reach *r);
void syno_reach_fini(syno_reach *r);

#endif
