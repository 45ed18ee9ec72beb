/* reach.c - is a given operator in the synthesis space of a spec?
 *
 * The operator is canonicalized (lang/canon.h) and its profile read from
 * the canonical form: reductions, uses of each primitive, weights, depth,
 * allowance usage, longest chain, FLOPs and weight sizes under the layers.
 * A profile the spec cannot hold is answered with the bound that excludes
 * it ("needs 3 weights, the spec allows 2").  Otherwise the space is
 * searched, restricted to that profile (exactly those reductions, at most
 * those uses of each primitive, that depth), for a final operator with the
 * same canonical hash; its path is the answer.  When there is none, the
 * search is repeated with one canonical or guidance rule switched off at a
 * time to name the rule that excludes the operator; when no single rule
 * does, with all of them off, and the rules the path found then breaks
 * (each step generated alone with the rules on) are tried in subsets of
 * growing size: the smallest subset whose removal admits the operator is
 * named (the smallest of all sets, since no single rule did). */
#include "search/reach.h"
#include "search/engine.h"
#include "search/final_metrics.h"

#include "lang/canon.h"
#include "lang/module.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct profile {
    int nred;
    syno_size red[64];
    int cnt[SYNO_STEP_COUNT];
    int weights, depth, chain;
    int use[SYNO_MAX_VARS];
    bool mean, bad_shift;
} profile;

static void set_reason(syno_reach *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_reason(syno_reach *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(r->reason);
    r->reason = syno_buf_take(&b);
}

static int height_of(const syno_op *op, int d, int *memo)
{
    if (memo[d] >= 0) return memo[d];
    const syno_dim *dim = &op->dims[d];
    int h = 0;
    if (dim->dst == SYNO_DST_OUTPUT) h = 0;
    else if (dim->dst >= 0) {
        const syno_node *n = &op->nodes[dim->dst];
        if (n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN) h = 1;
        else
            for (int i = 0; i < 2; i++)
                if (n->out[i] >= 0) {
                    int x = height_of(op, n->out[i], memo) + 1;
                    if (x > h) h = x;
                }
    }
    return memo[d] = h;
}

/* The profile of OP (whose sizes are over VARS = the spec's variables
 * after translation; SIZES holds them per dim). */
static void read_profile(const syno_op *op, const syno_size *sizes, const syno_spec *spec, profile *p)
{
    memset(p, 0, sizeof *p);
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        switch (n->prim) {
        case SYNO_PRIM_SUM:
        case SYNO_PRIM_MEAN:
            p->mean |= n->prim == SYNO_PRIM_MEAN;
            if (p->nred < 64) p->red[p->nred++] = sizes[n->in[0]];
            break;
        case SYNO_PRIM_SPLIT: p->cnt[SYNO_STEP_SPLIT]++; break;
        case SYNO_PRIM_MERGE: p->cnt[SYNO_STEP_MERGE]++; break;
        case SYNO_PRIM_SHIFT:
            p->cnt[SYNO_STEP_SHIFT]++;
            p->bad_shift |= n->shift != 1;
            break;
        case SYNO_PRIM_STRIDE: p->cnt[SYNO_STEP_STRIDE]++; break;
        case SYNO_PRIM_UNFOLD: p->cnt[SYNO_STEP_UNFOLD]++; break;
        case SYNO_PRIM_REVERSE: p->cnt[SYNO_STEP_REVERSE]++; break;
        case SYNO_PRIM_EXPAND: {
            int c = op->dims[n->out[0]].dst;
            if (c < 0 || op->nodes[c].prim != SYNO_PRIM_SHARE) p->cnt[SYNO_STEP_EXPAND]++;
            break;
        }
        default: break;
        }
    }
    p->weights = op->ntensors - 1;
    p->cnt[SYNO_STEP_REDUCE] = p->nred;
    p->cnt[SYNO_STEP_CONTRACT] = p->weights;
    for (int k = 0; k < SYNO_STEP_COUNT; k++) p->depth += p->cnt[k];
    /* allowance usage, as the search counts it */
    bool coef = spec->opt[SYNO_OPT_COEF_IN_WEIGHTS] != 0;
    for (int i = 0; i < p->nred; i++)
        for (int v = 0; v < SYNO_MAX_VARS; v++) p->use[v] += abs(p->red[i].e[v]);
    for (int k = 0; k < op->nnodes; k++) {
        const syno_node *n = &op->nodes[k];
        if (n->prim == SYNO_PRIM_SHARE) {
            syno_size s = sizes[n->out[0]];
            for (int v = 0; v < spec->vars->n; v++)
                if (coef || spec->vars->v[v].kind == SYNO_VAR_PRIMARY) p->use[v] += abs(s.e[v]);
        } else if (n->prim == SYNO_PRIM_STRIDE) {
            syno_size s;
            if (syno_size_translate(op->vars, n->param, spec->vars, &s))
                for (int v = 0; v < SYNO_MAX_VARS; v++) p->use[v] += abs(s.e[v]);
        } else if (n->prim == SYNO_PRIM_MERGE) {
            syno_size a = sizes[n->in[0]], b = sizes[n->in[1]], y = sizes[n->out[0]];
            for (int v = 0; v < SYNO_MAX_VARS; v++) p->use[v] += (abs(a.e[v]) + abs(b.e[v]) - abs(y.e[v])) / 2;
        }
    }
    int *memo = syno_xmalloc((size_t)op->ndims * sizeof *memo);
    for (int d = 0; d < op->ndims; d++) memo[d] = -1;
    for (int t = 0; t < op->ntensors; t++)
        for (int a = 0; a < op->tensors[t].rank; a++) {
            int h = height_of(op, op->tensors[t].axes[a], memo);
            if (h > p->chain) p->chain = h;
        }
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].prim == SYNO_PRIM_EXPAND) {
            int h = height_of(op, op->nodes[k].out[0], memo);
            if (h > p->chain) p->chain = h;
        }
    free(memo);
}

static void size_text(const syno_spec *spec, syno_size s, syno_buf *b)
{
    syno_size_print(spec->vars, s, b);
}

/* ---- the restricted search ----------------------------------------------- */

typedef struct finder {
    syno_space *sp;
    uint64_t target;
    sx_memo seen;
    const syno_step *path[256];
    const syno_pstate *spath[257];
    int depth;
    bool found;
    int found_depth;
    syno_step steps[256];
    const syno_pstate *states[257]; /* the found path's states, root first */
    uint64_t budget;          /* states visited before giving up */
} finder;

static void reach_dfs(finder *f, const syno_pstate *st)
{
    if (f->found || !f->budget) return;
    f->budget--;
    int32_t dummy;
    if (sx_memo_get(&f->seen, (uint64_t)(uintptr_t)st, &dummy)) return;
    sx_memo_put(&f->seen, (uint64_t)(uintptr_t)st, 1);
    syno_final **fs;
    int nf = syno_space_finals(f->sp, st, false, &fs);
    for (int i = 0; i < nf; i++) {
        if (fs[i]->hash == f->target && !f->found) {
            f->found = true;
            f->found_depth = f->depth;
            for (int k = 0; k < f->depth; k++) f->steps[k] = *f->path[k], f->states[k] = f->spath[k];
            f->states[f->depth] = st;
        }
        syno_final_free(fs[i]);
    }
    free(fs);
    if (f->found) return;
    const syno_child *kids;
    int n = syno_space_children(f->sp, st, &kids);
    for (int i = 0; i < n && !f->found; i++) {
        f->path[f->depth++] = &kids[i].step;
        f->spath[f->depth] = kids[i].state;
        reach_dfs(f, kids[i].state);
        f->depth--;
    }
}

/* The rules that the path F found (with the rules DISABLED off) breaks:
 * each step is generated alone with every rule on but those found so far,
 * and the last state finalized likewise. */
static uint64_t path_rules(finder *f, uint64_t disabled)
{
    syno_space *sp = f->sp;
    syno_space_stats *stats = &sx_loc(sp)->stats;
    uint64_t off = 0;
    for (int k = 0; k <= f->found_depth; k++) {
        for (int tries = 0; tries < SYNO_RULE_COUNT; tries++) {
            uint64_t before[SYNO_RULE_COUNT];
            memcpy(before, stats->rejected, sizeof before);
            sp->disabled = off;
            bool done = false;
            if (k < f->found_depth) {
                sx_generate_only(sp, f->states[k], &f->steps[k]);
            } else {
                syno_final **fs;
                int n = sx_finalize(sp, f->states[k], false, &fs);
                for (int i = 0; i < n; i++) {
                    done |= fs[i]->hash == f->target;
                    syno_final_free(fs[i]);
                }
                free(fs);
            }
            uint64_t fired = 0;
            for (int r = 0; r < SYNO_RULE_COUNT; r++)
                if (stats->rejected[r] != before[r] && (disabled >> r & 1)) fired |= 1ull << r;
            memcpy(stats->rejected, before, sizeof before);
            if (done || !fired) break;
            off |= fired & -fired; /* the first rule that drops it */
        }
    }
    sp->disabled = disabled;
    return off;
}

/* Searches the space of SPEC restricted to profile P (rules in DISABLED
 * off).  On success fills R's path and, when PATH_RULES is not NULL, the
 * rules of DISABLED that path breaks. */
static bool search(const syno_spec *spec, const profile *p, uint64_t hash, uint64_t disabled, syno_diags *d,
                   syno_reach *r, uint64_t *path_rules_out)
{
    syno_space *sp = syno_space_new(spec, d);
    if (!sp) return false;
    sp->disabled = disabled;
    if (p->depth > 0 && p->depth < SX_DIST_UNKNOWN) syno_space_set_depth(sp, p->depth);
    sp->max_red = p->nred;
    sp->max_weights = p->weights;
    for (int k = 0; k < SYNO_STEP_COUNT; k++)
        if (k != SYNO_STEP_REDUCE && k != SYNO_STEP_CONTRACT) sp->limit[k] = p->cnt[k];
    sp->red_quota = syno_xcalloc((size_t)sp->nsizes + 1, sizeof *sp->red_quota);
    for (int i = 0; i < p->nred; i++) {
        int k = sx_size_index(sp, p->red[i]);
        if (k >= 0) sp->red_quota[k]++;
    }
    finder f;
    memset(&f, 0, sizeof f);
    f.sp = sp;
    f.target = hash;
    f.budget = 2000000;
    f.spath[0] = syno_space_root(sp);
    reach_dfs(&f, syno_space_root(sp));
    if (f.found && path_rules_out) *path_rules_out = path_rules(&f, disabled);
    if (f.found && r) {
        r->depth = f.found_depth;
        r->nsteps = f.found_depth;
        r->steps = syno_xcalloc((size_t)f.found_depth + 1, sizeof *r->steps);
        for (int k = 0; k < f.found_depth; k++) {
            syno_buf b = SYNO_BUF_INIT;
            syno_space_describe_step(sp, &f.steps[k], &b);
            r->steps[k] = syno_buf_take(&b);
        }
    }
    sx_memo_fini(&f.seen);
    syno_space_free(sp);
    return f.found;
}

/* The rules reach may switch off: canonical and guidance rules, and the
 * unordered final check. */
static uint64_t switchable(void)
{
    uint64_t m = 0;
    for (int k = 0; k < SYNO_RULE_COUNT; k++)
        if (syno_rules[k].cls == SYNO_RCLASS_CANON || syno_rules[k].cls == SYNO_RCLASS_PRUNE || k == SYNO_RULE_FINAL_UNORDERED)
            m |= 1ull << k;
    return m;
}

/* No single rule admits the operator of profile P: finds the smallest set
 * that does (see the file comment) into R, or leaves R's reason unset. */
static void rule_set(const syno_spec *spec, const profile *p, syno_diags *d, syno_reach *r)
{
    uint64_t all = switchable(), broken = 0;
    syno_reach any;
    memset(&any, 0, sizeof any);
    if (!search(spec, p, r->hash, all, d, &any, &broken) || !broken) {
        syno_reach_fini(&any);
        return;
    }
    int idx[64], n = 0;
    for (int k = 0; k < SYNO_RULE_COUNT; k++)
        if (broken >> k & 1) idx[n++] = k;
    uint64_t found = 0;
    syno_reach best;
    memset(&best, 0, sizeof best);
    /* subsets of growing size (single rules were tried already); with many
     * rules, sets of at most 3 and then all of them */
    for (int size = 2; size <= n && !found; size++) {
        if (size > 3 && size < n) continue;
        int c[64];
        for (int i = 0; i < size; i++) c[i] = i;
        for (;;) {
            uint64_t m = 0;
            for (int i = 0; i < size; i++) m |= 1ull << idx[c[i]];
            if (search(spec, p, r->hash, m, d, &best, NULL)) {
                found = m;
                break;
            }
            int i = size - 1;
            while (i >= 0 && c[i] == n - size + i) i--;
            if (i < 0) break;
            c[i]++;
            for (int j = i + 1; j < size; j++) c[j] = c[j - 1] + 1;
        }
    }
    if (!found) { /* the path's rules together admit it (it was found with them off) */
        found = broken;
        syno_reach_fini(&best);
        best = any;
    } else {
        syno_reach_fini(&any);
    }
    r->rules = found;
    r->depth = best.depth;
    r->nsteps = best.nsteps;
    r->steps = best.steps;
    best.steps = NULL;
    best.nsteps = 0;
    syno_reach_fini(&best);
    syno_buf b = SYNO_BUF_INIT;
    int k = 0, cnt = __builtin_popcountll(found);
    for (int i = 0; i < SYNO_RULE_COUNT; i++) {
        if (!(found >> i & 1)) continue;
        if (!k) r->rule = (syno_rule)i;
        syno_buf_printf(&b, "%s'%s'", k ? (k == cnt - 1 ? " and " : ", ") : "", syno_rules[i].name);
        k++;
    }
    set_reason(r, "excluded by the rules %s together (no single rule excludes it; with %s off, this path builds it)",
               syno_buf_str(&b), cnt == 2 ? "both" : "all of them");
    syno_buf_fini(&b);
}

/* ---- the questions, in order ---------------------------------------------- */

/* The sizes of TARGET's dims over SPEC's variables into SIZES; false (with
 * the reason in R) when TARGET uses a variable SPEC does not declare. */
static bool translate_sizes(const syno_spec *spec, const syno_op *target, syno_size *sizes, syno_reach *r)
{
    for (int i = 0; i < target->ndims; i++)
        if (!syno_size_translate(target->vars, target->dims[i].size, spec->vars, &sizes[i])) {
            for (int v = 0; v < target->vars->n; v++)
                if (target->dims[i].size.e[v] && syno_vars_find(spec->vars, target->vars->v[v].name) < 0) {
                    set_reason(r, "it uses the variable '%s', which the search does not declare", target->vars->v[v].name);
                    break;
                }
            return false;
        }
    return true;
}

/* Whether TARGET's input and output axes are the search's (and a fixed
 * output axis comes straight from the input). */
static bool check_axes(const syno_spec *spec, const syno_space *probe, const syno_op *target, const syno_size *sizes,
                       syno_reach *r)
{
    syno_buf b = SYNO_BUF_INIT;
    const syno_tensor *x = &target->tensors[0];
    bool ok = true;
    if (x->rank != spec->nin || target->nout != spec->nout) {
        set_reason(r, "it has %d input and %d output axes, the search %d and %d", x->rank, target->nout, spec->nin,
                   spec->nout);
        ok = false;
    }
    for (int i = 0; ok && i < spec->nin; i++)
        if (!syno_size_eq(sizes[x->axes[i]], spec->in[i].size)) {
            size_text(spec, sizes[x->axes[i]], &b);
            set_reason(r, "its input axis %d is %s, the search's is ", i, syno_buf_str(&b));
            syno_buf_clear(&b);
            size_text(spec, spec->in[i].size, &b);
            char *t = r->reason;
            set_reason(r, "%s%s", t, syno_buf_str(&b));
            free(t);
            ok = false;
        }
    for (int i = 0; ok && i < spec->nout; i++) {
        if (!syno_size_eq(sizes[target->out[i]], spec->out[i].size)) {
            syno_buf_clear(&b);
            size_text(spec, sizes[target->out[i]], &b);
            set_reason(r, "its output axis %d is %s, not the search's", i, syno_buf_str(&b));
            ok = false;
        } else if (probe->fixed_out[i] >= 0 && target->dims[target->out[i]].tensor != 0) {
            set_reason(r, "its output axis %d does not pass straight from the input, as the search's fixed axis must", i);
            ok = false;
        }
    }
    syno_buf_fini(&b);
    return ok;
}

/* Whether TARGET is valid under every layer and its weights are large
 * enough there; adds its FLOPs and parameters per layer to R. */
static bool check_layers(const syno_spec *spec, const syno_space *probe, const syno_op *target, const syno_size *sizes,
                         syno_reach *r)
{
    for (int l = 0; l < spec->nlayers; l++) {
        syno_binding bt;
        syno_binding_defaults(target->vars, &bt);
        bt.name = spec->layer_binding[l].name;
        for (int v = 0; v < target->vars->n; v++) {
            int j = syno_vars_find(spec->vars, target->vars->v[v].name);
            if (j >= 0 && spec->layer_binding[l].val[j] > 0) bt.val[v] = spec->layer_binding[l].val[j];
        }
        syno_diags dd;
        syno_diags_init(&dd, NULL);
        bool valid = syno_op_check_binding(target, &bt, &dd, syno_range_make(0, 0));
        if (!valid)
            set_reason(r, "it is not valid under layer '%s': %s", bt.name ? bt.name : "?", dd.head ? dd.head->msg : "?");
        syno_diags_fini(&dd);
        if (!valid) return false;
        r->flops += syno_search_op_flops(target, &bt);
        r->params += syno_search_op_params(target, &bt);
        double minp = spec->opt[SYNO_OPT_MIN_WEIGHT_PARAMS];
        for (int t = 1; t < target->ntensors; t++) {
            double numel = 1;
            for (int a = 0; a < target->tensors[t].rank; a++)
                numel *= (double)sx_size_value(probe, sizes[target->tensors[t].axes[a]], l);
            if (numel < minp) {
                set_reason(r, "its weight '%s' has %.0f elements under layer '%s', fewer than min_weight_params %g",
                           target->tensors[t].name, numel, bt.name ? bt.name : "?", minp);
                r->rule = SYNO_RULE_MIN_PARAMS;
                return false;
            }
        }
    }
    return true;
}

/* Whether R's FLOPs (summed over the layers) are in the search's window. */
static bool check_window(const syno_space *probe, syno_reach *r)
{
    if (r->flops >= probe->flops_lo * (1 - 1e-9) && r->flops <= probe->flops_hi * (1 + 1e-9)) return true;
    set_reason(r, "its FLOPs %.3g (summed over the layers) are outside the window %.3g .. %.3g", r->flops,
               probe->flops_lo, probe->flops_hi);
    r->rule = SYNO_RULE_FINAL_FLOPS;
    return false;
}

/* TARGET's hash in the space (into R) and the profile P of its canonical
 * form; false when it has none or it does not load back. */
static bool canonical_profile(const syno_spec *spec, syno_space *probe, const syno_op *target, profile *p,
                              syno_reach *r)
{
    r->hash = syno_space_final_hash(probe, target);
    syno_canon *canon = syno_canon_new();
    syno_canon_opts o;
    memset(&o, 0, sizeof o);
    syno_canon_result cres;
    memset(&cres, 0, sizeof cres);
    syno_ctx *cctx = NULL;
    bool ok = syno_canon_run(canon, target, &o, &cres);
    if (!ok) {
        set_reason(r, "it cannot be canonicalized: %s", syno_canon_error(canon));
    } else {
        cctx = syno_ctx_new();
        syno_module *m = syno_ctx_load_string(cctx, "canonical.syno", cres.text, cres.len);
        const syno_op *cop = m && m->nops ? m->ops[0] : NULL;
        if (!cop || cop->errors) {
            set_reason(r, "its canonical form does not load back");
            ok = false;
        } else {
            syno_size *cs = syno_xcalloc((size_t)cop->ndims + 1, sizeof *cs);
            for (int i = 0; i < cop->ndims; i++) syno_size_translate(cop->vars, cop->dims[i].size, spec->vars, &cs[i]);
            read_profile(cop, cs, spec, p);
            free(cs);
            r->depth = p->depth;
        }
    }
    syno_canon_free(canon);
    syno_canon_result_fini(&cres);
    if (cctx) syno_ctx_free(cctx);
    return ok;
}

/* Whether profile P fits the search's bounds: primitives, weights,
 * reductions and their sizes, limits, depth, allowances, chain. */
static bool check_profile(const syno_spec *spec, const syno_space *probe, const profile *p, syno_reach *r)
{
    bool ok = true;
    if (ok && p->mean) set_reason(r, "it uses mean; the search only generates sum"), ok = false;
    if (ok && p->bad_shift) set_reason(r, "it shifts by more than 1; the search only shifts by 1"), ok = false;
    if (ok && p->weights > spec->weights) {
        set_reason(r, "needs %d weights, the spec allows %d", p->weights, spec->weights);
        r->rule = SYNO_RULE_WEIGHTS;
        ok = false;
    }
    if (ok && !p->weights) set_reason(r, "it has no weight; every operator of the search has one"), ok = false;
    if (ok && p->nred > spec->reductions) {
        set_reason(r, "needs %d reductions, the spec allows %d", p->nred, spec->reductions);
        r->rule = SYNO_RULE_REDUCTIONS;
        ok = false;
    }
    for (int k = 0; ok && k < SYNO_STEP_COUNT; k++) {
        if (k == SYNO_STEP_REDUCE || k == SYNO_STEP_CONTRACT || probe->limit[k] < 0 || p->cnt[k] <= probe->limit[k]) continue;
        set_reason(r, "%s used %d times > limit %d", syno_step_names[k], p->cnt[k], probe->limit[k]);
        r->rule = SYNO_RULE_LIMIT;
        ok = false;
    }
    if (ok && p->depth > spec->depth) {
        set_reason(r, "needs depth %d > %d", p->depth, spec->depth);
        r->rule = SYNO_RULE_DEPTH;
        ok = false;
    }
    for (int v = 0; ok && v < spec->vars->n; v++)
        if (p->use[v] > spec->allow[v]) {
            set_reason(r, "uses %s %d times, its allowance is %d", spec->vars->v[v].name, p->use[v], spec->allow[v]);
            r->rule = SYNO_RULE_ALLOWANCE;
            ok = false;
        }
    if (ok && p->chain > spec->chain) {
        set_reason(r, "has a chain of %d primitives > chain %d", p->chain, spec->chain);
        r->rule = SYNO_RULE_CHAIN;
        ok = false;
    }
    for (int i = 0; ok && i < p->nred; i++) {
        bool known = sx_size_index(probe, p->red[i]) >= 0;
        if (!known) {
            syno_buf b = SYNO_BUF_INIT;
            size_text(spec, p->red[i], &b);
            set_reason(r, "its reduction over %s is not a size the search enumerates (allowances, enumerations_per_var, "
                          "max_vars_in_size)", syno_buf_str(&b));
            syno_buf_fini(&b);
            r->rule = SYNO_RULE_ALLOWANCE;
            ok = false;
        }
    }
    return ok;
}

/* Searches the space restricted to profile P for R's hash: its path, or
 * the rule whose removal finds it, or why nothing builds it. */
static void find_path(const syno_spec *spec, const profile *p, syno_diags *d, syno_reach *r)
{
    if (search(spec, p, r->hash, 0, d, r, NULL)) {
        r->reachable = true;
        return;
    }
    /* which rule excludes it? */
    for (int k = 0; k < SYNO_RULE_COUNT && !r->reachable; k++) {
        if (syno_rules[k].cls != SYNO_RCLASS_CANON && syno_rules[k].cls != SYNO_RCLASS_PRUNE &&
            k != SYNO_RULE_FINAL_UNORDERED)
            continue;
        if (search(spec, p, r->hash, 1ull << k, d, r, NULL)) {
            r->rule = (syno_rule)k;
            r->rules = 1ull << k;
            set_reason(r, "excluded by the rule '%s' (%s)", syno_rules[k].name, syno_rules[k].doc);
            break;
        }
    }
    if (!r->reason) rule_set(spec, p, d, r);
    if (!r->reason)
        set_reason(r, "no sequence of the search's steps within its bounds builds it (its canonical form needs "
                      "%d steps)", p->depth);
}

/* ---- entry point ------------------------------------------------------------ */

/* Answers whether TARGET is in the space of SPEC (see the file comment)
 * into R (release with syno_reach_fini).  Problems that stop the question
 * being asked at all (no layers) go to D; returns false then. */
bool syno_reach_run(const syno_spec *spec, const syno_op *target, syno_diags *d, syno_reach *r)
{
    memset(r, 0, sizeof *r);
    r->rule = SYNO_RULE_COUNT;
    syno_space *probe = syno_space_new(spec, d);
    if (!probe) return false;
    syno_size *sizes = syno_xcalloc((size_t)target->ndims + 1, sizeof *sizes);
    profile p;
    memset(&p, 0, sizeof p);
    if (translate_sizes(spec, target, sizes, r) && check_axes(spec, probe, target, sizes, r) &&
        check_layers(spec, probe, target, sizes, r) && check_window(probe, r) &&
        canonical_profile(spec, probe, target, &p, r) && check_profile(spec, probe, &p, r))
        find_path(spec, &p, d, r);
    free(sizes);
    syno_space_free(probe);
    return true;
}

/* Frees what R holds. */
void syno_reach_fini(syno_reach *r)
{
    for (int i = 0; i < r->nsteps; i++) free(r->steps[i]);
    free(r->steps);
    free(r->reason);
    memset(r, 0, sizeof *r);
}
