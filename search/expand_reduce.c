/* expand_reduce.c - the reduction steps, taken before any other step.
 *
 * Reductions are a multiset: a state in the reduction stage adds sizes in
 * the order of the size table (never one that comes before the last one
 * added), so each multiset is built once.  Equal sizes are told apart by
 * their multiplicity (the first, the second, ...).  Each reduction uses the
 * allowance of its variables; the product of all reductions over the
 * input's size (fixed axes excluded) must stay within rdom_multiplier under
 * every layer (syno-internals §5.1). */
#include "search/generate.h"

#define SX_MAX_MULTIPLICITY 6

/* Adds the reduction children of G's parent. */
void sx_gen_reduce(sx_gen *g)
{
    syno_space *sp = g->sp;
    const syno_pstate *p = g->parent;
    if (!sx_kind_wanted(g, SYNO_STEP_REDUCE)) return;
    if (p->nred >= sp->max_red) {
        if (sx_drop(sp, SYNO_RULE_REDUCTIONS)) return;
    }
    if (!sx_limit_ok(g, SYNO_STEP_REDUCE)) return;
    int last = 0;
    double prod[SYNO_SPEC_MAX_LAYERS];
    for (int l = 0; l < sp->nlayers; l++) prod[l] = 1;
    for (int i = 0; i < p->nf; i++) {
        const sx_dim *d = sx_d(sp, p->d[i]);
        if (d->kind != SX_REDUCE) continue;
        if (d->b > last) last = d->b;
        for (int l = 0; l < sp->nlayers; l++) prod[l] *= sx_size_value(sp, d->size, l);
    }
    for (int k = last; k < sp->nsizes; k++) {
        const sx_size_choice *c = &sp->sizes[k];
        if (g->only && !syno_size_eq(g->only->param, c->size)) continue;
        int mult = 0;
        for (int i = 0; i < p->nf; i++) {
            const sx_dim *d = sx_d(sp, p->d[i]);
            if (d->kind == SX_REDUCE && d->b == k) mult++;
        }
        if (sp->red_quota && mult >= sp->red_quota[k]) continue; /* restricted to one multiset */
        if (mult >= SX_MAX_MULTIPLICITY) {
            if (sx_drop(sp, SYNO_RULE_REDUCTIONS)) continue;
        }
        bool ok = true;
        for (int v = 0; v < sp->nvars && ok; v++) ok = p->use[v] + c->use[v] <= sp->spec->allow[v];
        if (!ok) {
            if (sx_drop(sp, SYNO_RULE_ALLOWANCE)) continue;
        }
        for (int l = 0; l < sp->nlayers && ok; l++)
            ok = prod[l] * sx_size_value(sp, c->size, l) <= sp->spec->opt[SYNO_OPT_RDOM_MULTIPLIER] * sp->in_numel[l] * (1 + 1e-9);
        if (!ok) {
            if (sx_drop(sp, SYNO_RULE_RDOM)) continue;
        }
        uint32_t r = sx_dim_intern(sp, SX_REDUCE, mult, k, c->size, 0);
        sx_child_begin(g, SYNO_STEP_REDUCE);
        for (int v = 0; v < sp->nvars; v++) g->use[v] = (int8_t)(g->use[v] + c->use[v]);
        sx_child_put(g, r, 0);
        syno_step s = {.kind = SYNO_STEP_REDUCE, .n = 1, .op = {r}, .param = c->size};
        sx_child_end(g, &s);
    }
}
