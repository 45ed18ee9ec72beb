/* t_plan.c - staged plans (codegen/plan.c): every plan computes what the
 * reference evaluator computes, costs no more than direct evaluation, and
 * is deterministic; the two-weight operators get much cheaper plans.
 *
 * Plans are executed literally (syno_plan_run_naive, double precision)
 * and compared with interp/eval (also double): the relative error bound is
 * 1e-9 of the largest reference magnitude.  Every stdlib and example
 * operator is tried under small bindings (windows hanging over both edges),
 * forward and for the gradient of every tensor, then a few hundred random
 * valid operators (lang/randop). */
#include "codegen/plan.h"
#include "codegen/plan_int.h"
#include "interp/cli.h"
#include "interp/eval.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "tests/tap.h"
#include "tests/unit/test_bind.h"

#include <math.h>

#define REL_BOUND 1e-9

static bool sanitized;

static double rel_diff(const double *a, const double *b, int64_t n)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) || isnan(b[i])) return INFINITY;
        d = fmax(d, fabs(a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return d / fmax(m, 1e-300);
}

static void print_op(const syno_op *op, const syno_binding *b)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_graph_print_module(op, NULL, SYNO_PRINT_NEST, b, "small", &t);
    for (char *line = strtok(t.data, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
    syno_buf_fini(&t);
}

static void print_plan(const syno_plan *p)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_plan_print(p, &t);
    for (char *line = strtok(t.data, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
    syno_buf_fini(&t);
}

/* Runs plan P with the tensors T (op order), DY and compares its result
 * with WANT.  Returns the relative error. */
static double run_plan(const syno_plan *p, double *const *t, double *dy, const double *want, int64_t nwant)
{
    double **bufs = calloc((size_t)p->nbufs, sizeof *bufs);
    for (int i = 0; i < p->nbufs; i++) {
        const syno_plan_buf *pb = &p->bufs[i];
        if (pb->kind == SYNO_PBUF_TENSOR) bufs[i] = t[pb->tensor];
        else if (pb->kind == SYNO_PBUF_GRAD_OUT) bufs[i] = dy;
        else bufs[i] = calloc((size_t)pb->numel, sizeof(double));
    }
    syno_plan_run_naive(p, bufs);
    const syno_plan_buf *rb = &p->bufs[p->result];
    double err = rb->numel == nwant ? rel_diff(bufs[p->result], want, nwant) : INFINITY;
    for (int i = 0; i < p->nbufs; i++)
        if (p->bufs[i].kind == SYNO_PBUF_TEMP || p->bufs[i].kind == SYNO_PBUF_RESULT) free(bufs[i]);
    free(bufs);
    return err;
}

typedef struct outcome {
    int plans, exact, cheaper_or_equal, deterministic;
    double worst;
} outcome;

/* Plans OP under B forward and for every tensor; checks each against the
 * reference evaluator on random data.  Returns false on any failure. */
static bool check_op(const syno_op *op, const syno_binding *b, syno_rng *r, outcome *oc)
{
    int64_t *sizes = malloc((size_t)op->ndims * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        free(sizes);
        return false;
    }
    double *t[SYNO_MAX_TENSORS], *g[SYNO_MAX_TENSORS];
    int64_t numel[SYNO_MAX_TENSORS];
    for (int i = 0; i < op->ntensors; i++) {
        numel[i] = syno_op_tensor_numel(op, sizes, i);
        t[i] = malloc((size_t)numel[i] * sizeof(double));
        g[i] = malloc((size_t)numel[i] * sizeof(double));
        for (int64_t e = 0; e < numel[i]; e++) t[i][e] = 2 * syno_rng_unit(r) - 1;
    }
    int64_t nout = syno_op_tensor_numel(op, sizes, SYNO_OP_OUT);
    double *out = malloc((size_t)nout * sizeof(double)), *dy = malloc((size_t)nout * sizeof(double));
    for (int64_t e = 0; e < nout; e++) dy[e] = 2 * syno_rng_unit(r) - 1;
    syno_ref_forward(op, sizes, t[0], (const double *const *)(t + 1), out);
    syno_ref_backward(op, sizes, t[0], (const double *const *)(t + 1), dy, g[0], g + 1);
    bool all = true;
    for (int wrt = SYNO_PLAN_FORWARD; wrt < op->ntensors; wrt++) {
        syno_buf err = SYNO_BUF_INIT;
        syno_plan *p = syno_plan_build(op, b, wrt, &err);
        oc->plans++;
        if (!p) {
            printf("# %s: no plan (wrt %d): %s\n", op->name, wrt, syno_buf_str(&err));
            syno_buf_fini(&err);
            all = false;
            continue;
        }
        syno_buf_fini(&err);
        double e = wrt == SYNO_PLAN_FORWARD ? run_plan(p, t, NULL, out, nout) : run_plan(p, t, dy, g[wrt], numel[wrt]);
        bool good = e <= REL_BOUND, cheap = p->flops <= p->direct_flops;
        oc->exact += good;
        oc->cheaper_or_equal += cheap;
        if (!(e <= oc->worst)) oc->worst = e;
        /* determinism: a second build prints the same */
        syno_buf e1 = SYNO_BUF_INIT, e2 = SYNO_BUF_INIT;
        syno_plan *q = syno_plan_build(op, b, wrt, &e1);
        syno_plan_print(p, &e1);
        if (q) syno_plan_print(q, &e2);
        bool same = q && strcmp(syno_buf_str(&e1), syno_buf_str(&e2)) == 0;
        oc->deterministic += same;
        syno_buf_fini(&e1);
        syno_buf_fini(&e2);
        syno_plan_free(q);
        if (!good || !cheap || !same) {
            printf("# %s wrt %d: error %g, plan %lld vs direct %lld FLOPs%s\n", op->name, wrt, e, (long long)p->flops,
                   (long long)p->direct_flops, same ? "" : ", not deterministic");
            print_op(op, b);
            print_plan(p);
            all = false;
        }
        syno_plan_free(p);
    }
    for (int i = 0; i < op->ntensors; i++) free(t[i]), free(g[i]);
    free(out);
    free(dy);
    free(sizes);
    return all;
}

static const char *const small_bindings[] = {
    "N=2,C_in=4,C_out=6,H=5,W=4,k=3,g=2,s=2",
    "N=1,C_in=4,C_out=8,H=2,W=7,k=5,g=2,s=2",
    "N=2,C_in=4,C_out=8,H=4,W=6,k=3,g=2,s=2",
};

static void test_library(syno_ctx *ctx, syno_rng *r)
{
    syno_ctx_stdlib_op(ctx, "conv2d"); /* loads the library */
    const char *examples[] = {SYNO_SRCDIR "/examples/lowrank.syno", SYNO_SRCDIR "/examples/conv-layers.syno"};
    syno_module *mods[64];
    int nmods = 0;
    for (int i = 0; i < ctx->nstdlib && nmods < 60; i++) mods[nmods++] = ctx->stdlib[i];
    for (size_t i = 0; i < SYNO_ARRAY_LEN(examples); i++) {
        syno_module *m = syno_ctx_load_file(ctx, examples[i]);
        if (m) mods[nmods++] = m;
    }
    outcome oc = {0};
    int ops = 0, bound = 0;
    for (int m = 0; m < nmods; m++)
        for (int i = 0; i < mods[m]->nops; i++) {
            const syno_op *op = mods[m]->ops[i];
            ops++;
            for (size_t bi = 0; bi < SYNO_ARRAY_LEN(small_bindings); bi++) {
                syno_binding b;
                bind_loose(op, small_bindings[bi], &b);
                int64_t sz[512];
                if (op->ndims > 512 || !syno_op_eval_sizes(op, &b, sz)) continue;
                bound++;
                check_op(op, &b, r, &oc);
            }
        }
    ok(ops >= 12 && bound >= ops, "%d library/example operators, %d bindings", ops, bound);
    is_int(oc.exact, oc.plans, "library plans equal the reference evaluator (forward and every gradient; bound %g)",
           REL_BOUND);
    is_int(oc.cheaper_or_equal, oc.plans, "library plans never cost more FLOPs than direct evaluation");
    is_int(oc.deterministic, oc.plans, "library plans are deterministic");
    printf("# worst relative error %g over %d plans\n", oc.worst, oc.plans);
}

/* The FLOPs game pays off where Syno says it does. */
static void test_cheaper(syno_ctx *ctx)
{
    static const struct {
        const char *ref, *bind;
        double max_ratio;
    } cases[] = {
        {"syno_op1", "N=8,C_in=64,C_out=64,H=56,W=56", 0.5},
        {"syno_op2", "N=8,C_in=64,C_out=64,H=56,W=56", 0.5},
        {"syno_op1", "N=64,C_in=256,C_out=256,H=14,W=14", 0.5},
        {SYNO_SRCDIR "/examples/lowrank.syno:lowrank", "mlp", 0.1},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cases); i++) {
        syno_op *op = syno_cli_find_op(ctx, cases[i].ref);
        if (!ok(op != NULL, "found %s", cases[i].ref)) continue;
        syno_binding b;
        syno_cli_binding(op, cases[i].bind, &b);
        for (int wrt = SYNO_PLAN_FORWARD; wrt < op->ntensors; wrt++) {
            syno_buf err = SYNO_BUF_INIT;
            syno_plan *p = syno_plan_build(op, &b, wrt, &err);
            double ratio = p ? (double)p->flops / (double)p->direct_flops : INFINITY;
            if (!ok(p && ratio <= cases[i].max_ratio && p->searched,
                    "%s [%s] %s%s: plan/direct FLOPs = %.4f (<= %g), %d stages", op->name, cases[i].bind,
                    wrt < 0 ? "forward" : "gradient of ", wrt < 0 ? "" : op->tensors[wrt].name, ratio,
                    cases[i].max_ratio, p ? p->nstages : 0) && p)
                print_plan(p);
            syno_plan_free(p);
            syno_buf_fini(&err);
        }
    }
}

/* A one-stage operator stays one stage: conv2d's forward and gradients. */
static void test_conv_shape(syno_ctx *ctx)
{
    syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
    syno_binding b;
    syno_cli_binding(op, "N=8,C_in=64,C_out=64,H=56,W=56", &b);
    for (int wrt = SYNO_PLAN_FORWARD; wrt < op->ntensors; wrt++) {
        syno_buf err = SYNO_BUF_INIT;
        syno_plan *p = syno_plan_build(op, &b, wrt, &err);
        ok(p && p->nstages == 1 && p->flops == p->direct_flops && p->stages[0].points * 2 == p->direct_flops,
           "conv2d %s: one stage of %lld FLOPs (direct %lld)", wrt < 0 ? "forward" : op->tensors[wrt].name,
           p ? (long long)p->flops : 0, p ? (long long)p->direct_flops : 0);
        if (p && wrt == 0) {
            /* the input gradient sums over the window taps, not over pixels */
            const syno_plan_stage *s = &p->stages[0];
            int64_t red = 1;
            for (int i = s->nout; i < s->niters; i++) red *= s->iters[i].extent;
            is_int(red, 64 * 9, "conv2d dx sums over C_out*k*k points per element");
        }
        syno_plan_free(p);
        syno_buf_fini(&err);
    }
}

/* What the random-operator tests generate with: the generator's
 * variables and options (smaller operators under sanitizers), an arena and
 * diagnostics. */
typedef struct rand_env {
    syno_vars vars;
    syno_randop_opts o;
    syno_arena *a;
    syno_diags d;
} rand_env;

static void rand_env_init(rand_env *e)
{
    syno_randop_vars(&e->vars);
    syno_randop_defaults(&e->o);
    e->o.max_terms = sanitized ? 3e3 : 2e4;
    e->a = syno_arena_new();
    syno_diags_init(&e->d, NULL);
}

static void rand_env_fini(rand_env *e)
{
    syno_diags_fini(&e->d);
    syno_arena_free(e->a);
}

static void test_random(syno_rng *r)
{
    rand_env e;
    rand_env_init(&e);
    int nops = sanitized ? 60 : 250, built = 0;
    outcome oc = {0};
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(e.a, &e.vars, &e.d, r, &e.o, &b, NULL);
        if (!op) continue;
        built++;
        check_op(op, &b, r, &oc);
    }
    is_int(built, nops, "%d random operators generated", nops);
    is_int(oc.exact, oc.plans, "random-operator plans equal the reference evaluator (%d plans; bound %g)", oc.plans,
           REL_BOUND);
    is_int(oc.cheaper_or_equal, oc.plans, "random-operator plans never cost more than direct evaluation");
    is_int(oc.deterministic, oc.plans, "random-operator plans are deterministic");
    printf("# worst relative error %g\n", oc.worst);
    rand_env_fini(&e);
}

/* The branch and bound (syno_planner_min) is a proof, whatever lower
 * bounds prune it: on random operators, at caps below, at and above the
 * FLOPs of the full plan search (syno_plan_flops_upper with its whole
 * budget), it never proves every plan above a cap that search fits under,
 * never answers more than the cap or than that search, and, where the
 * search was not cut short (its plan is then the least), answers exactly
 * its FLOPs or proves the cap exceeded.  The caps run on one planner, in
 * an order that revisits states with larger and smaller caps, as the
 * synthesis' searches do.  That search's FLOPs are the built plan's
 * (they differed where a final stage's scale multiplies out to exactly 1,
 * mean(expand(g)) beside sum(expand(C/g)) with C/g = g: the search charged
 * the scaling, the plan did not). */
static void test_min_sound(syno_rng *r)
{
    static const double at[] = {0.5, 1.001, 0.25, 1, 0.999, 4, 0.9, 1.5};
    rand_env e;
    rand_env_init(&e);
    int nops = sanitized ? 100 : 600, bad = 0, proofs = 0, exact = 0, undecided = 0, unlike = 0, planned = 0;
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(e.a, &e.vars, &e.d, r, &e.o, &b, NULL);
        syno_buf err = SYNO_BUF_INIT;
        syno_plan *p = op ? syno_plan_build(op, &b, SYNO_PLAN_FORWARD, &err) : NULL;
        syno_planner *P = p ? syno_planner_new(op, &b) : NULL;
        double fl = P ? syno_plan_flops_upper(op, &b, 20000) : 0;
        if (P) planned++, unlike += fl != (double)p->flops;
        for (int k = 0; P && k < (int)(sizeof at / sizeof *at); k++) {
            double cap = fl * at[k];
            double m = syno_planner_min(P, cap, 20000);
            if (m < 0) {
                undecided++;
            } else if (isinf(m)) {
                proofs++;
                if (fl <= cap) bad++;
            } else {
                exact++;
                if (m > cap || m > fl || (p->searched && m != fl)) bad++;
            }
        }
        syno_planner_free(P);
        syno_plan_free(p);
        syno_buf_fini(&err);
    }
    is_int(unlike, 0, "the plan search's FLOPs are the built plan's on %d random operators", planned);
    is_int(bad, 0, "the branch and bound agrees with the plans of %d random operators (%d proofs above a cap, %d least "
                   "FLOPs, %d undecided)", nops, proofs, exact, undecided);
    ok(proofs > nops && exact > nops, "both of its answers were exercised");
    rand_env_fini(&e);
}

/* What the relations RELS of PB derive from the known variables K (the
 * rules of plan_int.h's relation kinds, written out again here). */
static uint64_t closure(const pl_problem *pb, uint64_t rels, uint64_t k)
{
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < pb->nrels; i++) {
            if (!(rels >> i & 1)) continue;
            const pl_rel *r = &pb->rels[i];
            uint64_t b[3] = {0, 0, 0}, add = 0;
            int nk = 0;
            for (int j = 0; j < r->nv; j++) b[j] = 1ull << r->v[j], nk += (k & b[j]) != 0;
            if (r->kind == PL_REL_RESHAPE) add = (k & b[0]) ? b[1] | b[2] : (k & b[1]) && (k & b[2]) ? b[0] : 0;
            else if (r->kind == PL_REL_UNFOLD) add = nk == 2 ? r->vars : 0;
            else add = nk >= 1 ? r->vars : 0;
            if (add & ~k) k |= add, more = true;
        }
    }
    return k;
}

/* pl_solve sums the variables of least product that, with the output
 * ones, determine every variable of the stage: against every subset of
 * the undetermined variables, on random stages (some relations, some
 * variables, some outputs) of random operators' problems. */
static void test_solve_least(syno_rng *r)
{
    rand_env e;
    rand_env_init(&e);
    int nops = sanitized ? 60 : 300, stages = 0, bad = 0, summing = 0;
    pl_solution sol;
    pl_solution_init(&sol);
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(e.a, &e.vars, &e.d, r, &e.o, &b, NULL);
        if (!op) continue;
        int64_t *sizes = malloc((size_t)(op->ndims + 1) * sizeof *sizes);
        pl_problem *pb = malloc(sizeof *pb);
        syno_buf err = SYNO_BUF_INIT;
        if (syno_op_eval_sizes(op, &b, sizes) && pl_problem_build(pb, op, sizes, SYNO_PLAN_FORWARD, &err)) {
            uint64_t all = pb->nvars < 64 ? (1ull << pb->nvars) - 1 : ~0ull;
            for (int t = 0; t < 20; t++) {
                uint64_t rels = 0, vs = 0;
                for (int k = 0; k < pb->nrels; k++)
                    if (syno_rng_below(r, 2)) rels |= 1ull << k, vs |= pb->rels[k].vars;
                vs |= syno_rng_next(r) & syno_rng_next(r) & all;
                int open[PL_MAX_VARS], nopen = 0;
                uint64_t om = 0;
                for (uint64_t m = vs; m; m &= m - 1)
                    if (!syno_rng_below(r, 3)) open[nopen++] = __builtin_ctzll(m), om |= m & -m;
                uint64_t unknown = vs & ~closure(pb, rels, om);
                int nu = __builtin_popcountll(unknown), u[PL_MAX_VARS], n = 0;
                if (nu > 12) continue;
                for (uint64_t m = unknown; m; m &= m - 1) u[n++] = __builtin_ctzll(m);
                double least = INFINITY;
                for (uint32_t sub = 0; sub < (1u << nu); sub++) {
                    uint64_t k = om;
                    double prod = 1;
                    for (int j = 0; j < nu; j++)
                        if (sub >> j & 1) k |= 1ull << u[j], prod *= (double)pb->vars[u[j]].ext;
                    if (prod < least && (closure(pb, rels, k) & vs) == vs) least = prod;
                }
                pl_solve(pb, vs, open, nopen, rels, &sol, false);
                double pts = 1;
                for (int j = 0; j < nopen; j++) pts *= (double)pb->vars[open[j]].ext;
                stages++;
                summing += nu > 0;
                if (fabs(sol.points - pts * least) > 1e-9 * pts * least || (sol.niters > nopen) != (nu > 0)) bad++;
            }
        }
        syno_buf_fini(&err);
        free(pb);
        free(sizes);
    }
    pl_solution_fini(&sol);
    is_int(bad, 0, "a stage's summed variables have the least product of those that determine the rest (%d stages of "
                   "%d random operators, %d summing some)", stages, nops, summing);
    ok(summing > stages / 4, "stages that sum variables were exercised");
    rand_env_fini(&e);
}

/* Seven weights in a chain: no single stage can hold them, so the search
 * must stage them (and may hit its work bound and finish greedily); the
 * plan must still be exact, and far cheaper than the one loop nest. */
static void test_many_tensors(syno_ctx *ctx, syno_rng *r)
{
    static const char src[] =
        "size N, A, B;\n"
        "op chain(x[n: N, a: A]) -> [n, o] {\n"
        "    weight w1[p1: A, q1: B];\n    weight w2[p2: B, q2: B];\n    weight w3[p3: B, q3: B];\n"
        "    weight w4[p4: B, q4: B];\n    weight w5[p5: B, q5: B];\n    weight w6[p6: B, q6: B];\n"
        "    weight w7[p7: B, q7: B];\n"
        "    sum(share(a, p1));\n    sum(share(q1, p2));\n    sum(share(q2, p3));\n    sum(share(q3, p4));\n"
        "    sum(share(q4, p5));\n    sum(share(q5, p6));\n    sum(share(q6, p7));\n"
        "    o = share(expand(B), q7);\n"
        "}\n";
    syno_module *m = syno_ctx_load_string(ctx, "chain.syno", src, sizeof src - 1);
    syno_op *op = m ? syno_module_find_op(m, "chain") : NULL;
    if (!ok(op && !op->errors, "an operator with eight tensors")) return;
    syno_binding b;
    bind_loose(op, "N=3,A=4,B=5", &b);
    outcome oc = {0};
    bool good = check_op(op, &b, r, &oc);
    ok(good && oc.plans == 9, "its %d plans (forward and eight gradients) are exact and no dearer than direct", oc.plans);
    syno_buf err = SYNO_BUF_INIT;
    syno_plan *p = syno_plan_build(op, &b, SYNO_PLAN_FORWARD, &err);
    ok(p && p->nstages >= 7 && p->flops * 100 < p->direct_flops, "chain: %d stages, plan/direct FLOPs %.2g%s",
       p ? p->nstages : 0, p ? (double)p->flops / (double)p->direct_flops : 0.0,
       p && !p->searched ? " (greedy past the work bound)" : "");
    syno_plan_free(p);
    syno_buf_fini(&err);
}

/* A node whose two results are shared with each other (possible for dims
 * no tensor reads): the relation gets a copy of the variable and an
 * equality. */
static void test_self_shared(syno_ctx *ctx, syno_rng *r)
{
    static const char src[] = "size N;\ncoef k = 3;\n"
                              "op a(x[n: N]) -> [n] {\n    weight w[p: k];\n    l, q = split(expand(k^2), k);\n"
                              "    sum(share(share(l, q), p));\n}\n"
                              "op b(x[n: N]) -> [n] {\n    weight w[p: k];\n    m, q = unfold(expand(k), k);\n"
                              "    sum(share(share(m, q), p));\n}\n";
    syno_module *m = syno_ctx_load_string(ctx, "selfshare.syno", src, sizeof src - 1);
    for (int i = 0; i < 2; i++) {
        syno_op *op = m && m->nops == 2 ? m->ops[i] : NULL;
        if (!ok(op && !op->errors, "self-shared results: operator %d checks", i)) continue;
        syno_binding b;
        bind_loose(op, "N=4", &b);
        outcome oc = {0};
        bool good = check_op(op, &b, r, &oc);
        ok(good && oc.plans == 3, "self-shared results: %s plans are exact (%d plans)", op->name, oc.plans);
    }
}

int main(void)
{
    sanitized = getenv("SYNO_SANITIZED") != NULL;
    syno_ctx *ctx = syno_ctx_new();
    syno_rng r;
    syno_rng_seed(&r, 7);
    test_conv_shape(ctx);
    test_cheaper(ctx);
    test_library(ctx, &r);
    test_random(&r);
    test_min_sound(&r);
    test_solve_least(&r);
    test_many_tensors(ctx, &r);
    test_self_shared(ctx, &r);
    syno_ctx_free(ctx);
    return tap_done();
}
