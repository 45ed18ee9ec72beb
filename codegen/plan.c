/* plan.c - building a syno_plan: the problem (plan_problem.c), the search
 * for the cheapest stage sequence (plan_search.c), then the assembly of
 * the chosen sequence into buffers and stages, with the layouts of the
 * intermediates chosen for the stages that read them (see plan.h). */
#include "codegen/plan_int.h"

#include "base/arena.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- assembling the plan ---------------------------------------------------- */

typedef struct cur_factor {
    uint64_t mask;
    int buf;
    int rank;
    int vars[PL_MAX_VARS];
} cur_factor;

static void sort_factors(cur_factor *f, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && (f[j].mask < f[j - 1].mask || (f[j].mask == f[j - 1].mask && f[j].buf < f[j - 1].buf));
             j--) {
            cur_factor t = f[j];
            f[j] = f[j - 1];
            f[j - 1] = t;
        }
}

static const char *var_name(syno_plan *p, const pl_problem *pb, int v)
{
    return pb->vars[v].name ? pb->vars[v].name : syno_arena_printf(p->arena, "i%d", v);
}

static int add_buf(syno_plan *p, syno_pbuf_kind kind, int tensor, const char *name, const pl_problem *pb, const int *vars,
                   int rank)
{
    int i = p->nbufs++;
    syno_plan_buf *b = &p->bufs[i];
    b->kind = kind;
    b->tensor = tensor;
    b->name = name;
    b->rank = rank;
    b->shape = SYNO_NEW_ARRAY(p->arena, int64_t, rank + 1);
    b->sizes = SYNO_NEW_ARRAY(p->arena, syno_size, rank + 1);
    b->numel = 1;
    for (int a = 0; a < rank; a++) {
        b->shape[a] = pb->vars[vars[a]].ext;
        b->sizes[a] = pb->vars[vars[a]].size;
        b->numel *= b->shape[a];
    }
    return i;
}

static bool overflows(double v)
{
    return !(v < 9.0e18);
}

static bool build_stage(syno_plan *p, const pl_problem *pb, pl_solution *sol, cur_factor *fs, int nfs, uint64_t rs,
                        bool final, uint64_t vs, const int *list, int n, int outbuf, syno_buf *err)
{
    pl_solve(pb, vs, list, n, rs, sol, true);
    syno_plan_stage *s = &p->stages[p->nstages++];
    s->niters = sol->niters;
    s->nout = sol->nout;
    s->iters = SYNO_NEW_ARRAY(p->arena, syno_plan_iter, sol->niters + 1);
    double points = 1;
    for (int i = 0; i < sol->niters; i++) {
        int v = sol->iter_var[i];
        s->iters[i].name = var_name(p, pb, v);
        s->iters[i].size = pb->vars[v].size;
        s->iters[i].extent = pb->vars[v].ext;
        points *= (double)pb->vars[v].ext;
    }
    s->nexprs = sol->nexprs;
    s->exprs = SYNO_NEW_ARRAY(p->arena, syno_pexpr, sol->nexprs + 1);
    if (sol->nexprs) memcpy(s->exprs, sol->exprs, (size_t)sol->nexprs * sizeof *sol->exprs);
    uint64_t *deps = syno_xcalloc((size_t)sol->nexprs + 1, sizeof *deps);
    for (int e = 0; e < sol->nexprs; e++) {
        const syno_pexpr *x = &sol->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: deps[e] = 1ull << x->x; break;
        case SYNO_PX_CONST: deps[e] = 0; break;
        case SYNO_PX_ADD: deps[e] = deps[x->x] | deps[x->y]; break;
        default: deps[e] = deps[x->x]; break;
        }
    }
    s->out = outbuf;
    s->nops = nfs;
    for (int k = 0; k < nfs; k++) {
        syno_plan_operand *o = &s->ops[k];
        o->buf = fs[k].buf;
        o->index = SYNO_NEW_ARRAY(p->arena, int, fs[k].rank + 1);
        for (int a = 0; a < fs[k].rank; a++) {
            int e = sol->var_expr[fs[k].vars[a]];
            SYNO_ASSERT(e >= 0);
            o->index[a] = e;
            o->iters |= deps[e];
        }
    }
    s->nguards = sol->nguards;
    s->guards = SYNO_NEW_ARRAY(p->arena, syno_plan_guard, sol->nguards + 1);
    if (sol->nguards) memcpy(s->guards, sol->guards, (size_t)sol->nguards * sizeof *sol->guards);
    for (int g = 0; g < s->nguards; g++) {
        syno_plan_guard *gd = &s->guards[g];
        gd->iters = deps[gd->expr];
        gd->operand = -1;
        for (int k = 0; k < nfs && gd->operand < 0; k++)
            if ((s->ops[k].iters & gd->iters) == gd->iters) gd->operand = k;
    }
    free(deps);
    s->scale = final ? pb->scale : 1.0;
    double outn = 1;
    for (int i = 0; i < s->nout; i++) outn *= (double)s->iters[i].extent;
    double flops = points * (double)(nfs - 1 + (s->niters > s->nout)) + (s->scale != 1.0 ? outn : 0);
    if (overflows(points) || overflows(flops)) {
        syno_buf_printf(err, "%s: a stage of its plan has %.3g loop points, more than this planner counts", pb->op->name,
                        points);
        return false;
    }
    s->points = (int64_t)points;
    s->flops = (int64_t)flops;
    p->flops += s->flops;
    return true;
}

/* One step of the chosen sequence, before buffers exist. */
typedef struct step {
    pl_move mv;
    pl_result r;
    cur_factor fs[SYNO_PLAN_MAX_OPS]; /* operands; a temp made by step k has buf TEMP_TAG + k */
    int consumer;                     /* the step reading this step's temp, or -1 */
    int list[PL_MAX_VARS], n;              /* layout of this step's output */
} step;

#define TEMP_TAG 100000

static void sort_by_buf(cur_factor *fs, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && fs[j].buf < fs[j - 1].buf; j--) {
            cur_factor t = fs[j];
            fs[j] = fs[j - 1];
            fs[j - 1] = t;
        }
}

/* The layout of step K's temp: its variables ordered by the innermost
 * output iterator of the consumer that their index reads (variables read
 * only through summed iterators first), so that the consumer's gathers run
 * along unit strides, as a convolution's im2col does. */
static void choose_layout(const pl_problem *pb, step *steps, int k, pl_solution *sol)
{
    step *c = &steps[steps[k].consumer];
    pl_solve(pb, c->r.vs, c->list, c->n, c->mv.rs, sol, true);
    uint64_t *deps = syno_xcalloc((size_t)sol->nexprs + 1, sizeof *deps);
    for (int e = 0; e < sol->nexprs; e++) {
        const syno_pexpr *x = &sol->exprs[e];
        switch (x->op) {
        case SYNO_PX_ITER: deps[e] = 1ull << x->x; break;
        case SYNO_PX_CONST: deps[e] = 0; break;
        case SYNO_PX_ADD: deps[e] = deps[x->x] | deps[x->y]; break;
        default: deps[e] = deps[x->x]; break;
        }
    }
    int rank[PL_MAX_VARS];
    step *s = &steps[k];
    s->n = 0;
    for (int v = 0; v < pb->nvars; v++) {
        if (!(s->r.open & (1ull << v))) continue;
        uint64_t d = sol->var_expr[v] >= 0 ? deps[sol->var_expr[v]] : 0;
        rank[v] = -1;
        for (int i = 0; i < c->n; i++)
            if (d & (1ull << i)) rank[v] = i;
        s->list[s->n++] = v;
    }
    for (int i = 1; i < s->n; i++) /* stable by rank */
        for (int j = i; j > 0 && rank[s->list[j]] < rank[s->list[j - 1]]; j--) {
            int t = s->list[j];
            s->list[j] = s->list[j - 1];
            s->list[j - 1] = t;
        }
    free(deps);
}

static bool assemble(syno_plan *p, const pl_problem *pb, pl_search *S, const pl_state *init, cur_factor *cur, int ncur,
                     syno_buf *err)
{
    int cap = PL_MAX_FACTORS + PL_MAX_RELS + PL_MAX_VARS + 2, nsteps = 0;
    step *steps = syno_xcalloc((size_t)cap, sizeof *steps);
    /* 1. the sequence of moves */
    pl_state st = *init;
    for (;;) {
        SYNO_ASSERT(nsteps < cap);
        step *s = &steps[nsteps];
        bool good = pl_search_next(S, &st, &s->mv, &s->r);
        SYNO_ASSERT(good);
        s->consumer = -1;
        for (int i = 0; i < s->mv.nfs; i++) {
            s->fs[i] = cur[s->mv.fs[i]];
            if (s->fs[i].buf >= TEMP_TAG) steps[s->fs[i].buf - TEMP_TAG].consumer = nsteps;
        }
        sort_by_buf(s->fs, s->mv.nfs);
        nsteps++;
        if (s->r.final) break;
        uint64_t inside = 0;
        for (int i = 0; i < s->mv.nfs; i++) inside |= 1ull << s->mv.fs[i];
        int k = 0;
        for (int i = 0; i < ncur; i++)
            if (!(inside & (1ull << i))) cur[k++] = cur[i];
        memset(&cur[k], 0, sizeof cur[k]);
        cur[k].mask = s->r.open;
        cur[k].buf = TEMP_TAG + nsteps - 1;
        ncur = k + 1;
        sort_factors(cur, ncur);
        st = s->r.next;
    }
    /* 2. layouts, from the result backwards */
    pl_solution sol;
    pl_solution_init(&sol);
    for (int k = nsteps - 1; k >= 0; k--) {
        if (steps[k].r.final) pl_open_list(pb, steps[k].r.open, true, steps[k].list, &steps[k].n);
        else choose_layout(pb, steps, k, &sol);
    }
    /* 3. buffers and stages */
    int *bufof = syno_xcalloc((size_t)nsteps, sizeof *bufof);
    bool ok = true;
    for (int k = 0; k < nsteps && ok; k++) {
        step *s = &steps[k];
        for (int i = 0; i < s->mv.nfs; i++) {
            cur_factor *f = &s->fs[i];
            if (f->buf < TEMP_TAG) continue;
            const step *prod = &steps[f->buf - TEMP_TAG];
            f->rank = prod->n;
            memcpy(f->vars, prod->list, (size_t)prod->n * sizeof *prod->list);
            f->buf = bufof[f->buf - TEMP_TAG];
        }
        if (s->r.final) {
            const char *name = pb->wrt == SYNO_PLAN_FORWARD
                                   ? "out"
                                   : syno_arena_printf(p->arena, "d%s", pb->op->tensors[pb->wrt].name);
            bufof[k] = add_buf(p, SYNO_PBUF_RESULT, pb->wrt, name, pb, s->list, s->n);
            p->result = bufof[k];
        } else {
            bufof[k] = add_buf(p, SYNO_PBUF_TEMP, -1, syno_arena_printf(p->arena, "t%d", k + 1), pb, s->list, s->n);
            p->temp_bytes += 4 * p->bufs[bufof[k]].numel;
        }
        ok = build_stage(p, pb, &sol, s->fs, s->mv.nfs, s->mv.rs, s->r.final, s->r.vs, s->list, s->n, bufof[k], err);
    }
    free(bufof);
    free(steps);
    pl_solution_fini(&sol);
    return ok;
}

static syno_plan *build(const syno_op *op, const syno_binding *b, int wrt, bool direct, syno_planner *P, syno_buf *err);

/* Builds the plan of OP under B for WRT (see plan.h). */
syno_plan *syno_plan_build(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err)
{
    return build(op, b, wrt, false, NULL, err);
}

/* Builds the one-stage plan of OP under B for WRT (see plan.h). */
syno_plan *syno_plan_build_direct(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err)
{
    return build(op, b, wrt, true, NULL, err);
}

/* The problem of OP under B for WRT (a new one), or NULL with the reason in ERR. */
static pl_problem *problem_of(const syno_op *op, const syno_binding *b, int wrt, syno_buf *err)
{
    SYNO_ASSERT(op->finished && op->errors == 0);
    SYNO_ASSERT(wrt == SYNO_PLAN_FORWARD || (wrt >= 0 && wrt < op->ntensors));
    int64_t *sizes = syno_xmalloc((size_t)(op->ndims + 1) * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        syno_buf_printf(err, "%s: a size does not evaluate under the binding", op->name);
        free(sizes);
        return NULL;
    }
    pl_problem *pb = syno_xmalloc(sizeof *pb);
    bool ok = pl_problem_build(pb, op, sizes, wrt, err);
    free(sizes);
    if (!ok) {
        free(pb);
        return NULL;
    }
    return pb;
}

/* The search's first state: every factor (CUR, sorted), every relation. */
static void initial_state(const pl_problem *pb, const cur_factor *cur, pl_state *init)
{
    memset(init, 0, sizeof *init);
    init->nf = pb->nfactors;
    for (int f = 0; f < pb->nfactors; f++) init->f[f] = cur[f].mask;
    for (int r = 0; r < pb->nrels; r++) init->rels |= 1ull << r;
}

/* The forward problem of an operator under a binding with its search,
 * kept so that the searches run on it share their solved stages. */
struct syno_planner {
    const syno_op *op;
    syno_binding binding;
    pl_problem *pb;
    pl_search *S;
};

/* Builds the plan of OP under B for WRT; with P (forward only), from P's
 * problem and search instead of new ones. */
static syno_plan *build(const syno_op *op, const syno_binding *b, int wrt, bool direct, syno_planner *P, syno_buf *err)
{
    pl_problem *pb = P ? P->pb : problem_of(op, b, wrt, err);
    if (!pb) return NULL;
    syno_plan *p = syno_xcalloc(1, sizeof *p);
    p->arena = syno_arena_new();
    p->op = op;
    p->binding = *b;
    p->wrt = wrt;
    p->result = -1;
    /* Each stage removes a factor, absorbs a relation or sums a variable. */
    p->bufs = SYNO_NEW_ARRAY(p->arena, syno_plan_buf, 2 * PL_MAX_FACTORS + PL_MAX_RELS + PL_MAX_VARS + 2);
    p->stages = SYNO_NEW_ARRAY(p->arena, syno_plan_stage, PL_MAX_FACTORS + PL_MAX_RELS + PL_MAX_VARS + 2);
    cur_factor *cur = syno_xcalloc(PL_MAX_FACTORS + 1, sizeof *cur);
    for (int f = 0; f < pb->nfactors; f++) {
        const pl_factor *pf = &pb->factors[f];
        bool dy = wrt != SYNO_PLAN_FORWARD && f == pb->nfactors - 1;
        int t = dy ? -1 : (wrt != SYNO_PLAN_FORWARD && f >= wrt ? f + 1 : f);
        int bi = add_buf(p, dy ? SYNO_PBUF_GRAD_OUT : SYNO_PBUF_TENSOR, t, dy ? "dy" : op->tensors[t].name, pb,
                         pf->vars, pf->rank);
        SYNO_ASSERT(bi == pf->buf);
        cur[f].mask = pf->mask;
        cur[f].buf = bi;
        cur[f].rank = pf->rank;
        memcpy(cur[f].vars, pf->vars, (size_t)pf->rank * sizeof *pf->vars);
    }
    sort_factors(cur, pb->nfactors);
    pl_state init;
    initial_state(pb, cur, &init);
    pl_search *S = P ? P->S : pl_search_new(pb);
    if (P) pl_search_restart(S);
    bool ok = true;
    if (direct) {
        if (pb->nfactors > SYNO_PLAN_MAX_OPS) {
            syno_buf_printf(err, "%s: direct evaluation would multiply %d tensors in one loop nest; a stage takes at most %d",
                            op->name, pb->nfactors, SYNO_PLAN_MAX_OPS);
            ok = false;
        } else {
            pl_move mv;
            memset(&mv, 0, sizeof mv);
            mv.nfs = init.nf;
            for (int i = 0; i < init.nf; i++) mv.fs[i] = i;
            mv.rs = init.rels;
            pl_search_force(S, &init, &mv);
        }
    } else {
        pl_search_run(S, &init);
    }
    p->searched = !pl_search_greedy(S);
    ok = ok && assemble(p, pb, S, &init, cur, pb->nfactors, err);
    syno_poly fl;
    syno_op_flops(op, &fl);
    double dflops = syno_poly_eval_double(op->vars, &fl, b);
    p->direct_flops = overflows(dflops) ? INT64_MAX : (int64_t)dflops;
    if (!P) {
        pl_search_free(S);
        free(pb);
    }
    free(cur);
    if (!ok) {
        syno_plan_free(p);
        return NULL;
    }
    return p;
}

/* A planner for the forward plans of OP under B (see plan.h). */
syno_planner *syno_planner_new(const syno_op *op, const syno_binding *b)
{
    syno_buf err = SYNO_BUF_INIT;
    pl_problem *pb = problem_of(op, b, SYNO_PLAN_FORWARD, &err);
    syno_buf_fini(&err);
    if (!pb) return NULL;
    syno_planner *P = syno_xcalloc(1, sizeof *P);
    P->op = op;
    P->binding = *b;
    P->pb = pb;
    P->S = pl_search_new(pb);
    return P;
}

/* The search's first state, as build() starts it (without the buffers). */
static void planner_init(const syno_planner *P, pl_state *init)
{
    cur_factor cur[PL_MAX_FACTORS + 1];
    for (int f = 0; f < P->pb->nfactors; f++) {
        cur[f].mask = P->pb->factors[f].mask;
        cur[f].buf = P->pb->factors[f].buf;
    }
    sort_factors(cur, P->pb->nfactors);
    initial_state(P->pb, cur, init);
}

/* An upper bound of the plan's FLOPs (see plan.h). */
double syno_planner_upper(syno_planner *P, long budget, double enough)
{
    pl_state init;
    planner_init(P, &init);
    pl_search_restart(P->S);
    return pl_search_bounded_flops(P->S, &init, budget, enough);
}

/* The least plan FLOPs up to CAP (see plan.h). */
double syno_planner_min(syno_planner *P, double cap, long budget)
{
    pl_state init;
    planner_init(P, &init);
    pl_search_restart(P->S);
    return pl_search_min_flops(P->S, &init, cap, budget);
}

/* The plan syno_plan_build would build (see plan.h). */
syno_plan *syno_planner_plan(syno_planner *P, syno_buf *err)
{
    return build(P->op, &P->binding, SYNO_PLAN_FORWARD, false, P, err);
}

/* Frees P. */
void syno_planner_free(syno_planner *P)
{
    if (!P) return;
    pl_search_free(P->S);
    free(P->pb);
    free(P);
}

/* An upper bound of the plan's FLOPs of OP under B (see plan.h). */
double syno_plan_flops_upper(const syno_op *op, const syno_binding *b, long budget)
{
    syno_planner *P = syno_planner_new(op, b);
    if (!P) return -1;
    double fl = syno_planner_upper(P, budget, -INFINITY);
    syno_planner_free(P);
    return fl;
}

/* The least plan FLOPs of OP under B up to CAP (see plan.h). */
double syno_plan_flops_min(const syno_op *op, const syno_binding *b, double cap, long budget)
{
    syno_planner *P = syno_planner_new(op, b);
    if (!P) return -1;
    double fl = syno_planner_min(P, cap, budget);
    syno_planner_free(P);
    return fl;
}

/* Frees P (see plan.h). */
void syno_plan_free(syno_plan *p)
{
    if (!p) return;
    syno_arena_free(p->arena);
    free(p);
}
