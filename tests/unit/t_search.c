/* t_search.c - the synthesis space: rediscovery (conv2d and linear are in
 * their spaces, by canonical hash), every final operator valid under every
 * layer, unique, round-tripping through text with the same hash, the FLOPs
 * bound below the final FLOPs, determinism, and the REPL-facing API (root,
 * children, apply, why a step is refused). */
#include "codegen/plan.h"
#include "lang/canon.h"
#include "lang/graph_print.h"
#include "search/engine.h"
#include "search/final_metrics.h"
#include "search/reach.h"
#include "search/search.h"
#include "tests/tap.h"

#include <math.h>

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s ? s : SYNO_SRCDIR;
}

typedef struct finals {
    syno_space *sp;
    uint64_t *hash;
    int n, cap;
    int invalid, roundtrip_bad, bound_bad, upper_bad, dup;
    int min_bad, min_exact, planner_bad;
} finals;

static void on_final(void *ctx, syno_final *f)
{
    finals *fs = ctx;
    syno_space *sp = fs->sp;
    const syno_spec *spec = syno_space_spec(sp);
    /* valid under every layer */
    syno_diags d;
    syno_diags_init(&d, NULL);
    bool ok = f->op->errors == 0;
    for (int l = 0; ok && l < spec->nlayers; l++) ok = syno_op_check_binding(f->op, &spec->layer_binding[l], &d, syno_range_make(0, 0));
    syno_diags_fini(&d);
    if (!ok) fs->invalid++;
    /* text round trip keeps the canonical hash */
    syno_buf b = SYNO_BUF_INIT;
    syno_graph_print_module(f->op, "found", SYNO_PRINT_NEST, NULL, NULL, &b);
    syno_ctx *ctx2 = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx2, "found.syno", b.data, b.len);
    syno_op *op2 = m ? syno_module_find_op(m, "found") : NULL;
    if (!op2 || op2->errors || ctx2->diags.errors || syno_space_final_hash(sp, op2) != f->hash) {
        if (!fs->roundtrip_bad++) printf("# round trip failed for:\n%s", b.data);
    }
    syno_ctx_free(ctx2);
    syno_buf_fini(&b);
    /* the FLOPs bound of its state never exceeds its FLOPs, nor they a plan
     * search cut short (what decides the window without the full one) */
    sx_final_exact_flops(sp, f);
    if (syno_pstate_flops_bound(f->state) > f->flops * (1 + 1e-6)) fs->bound_bad++;
    for (int l = 0; l < spec->nlayers; l++)
        for (long budget = 0; budget <= 100; budget += 100)
            if (syno_plan_flops_upper(f->op, &spec->layer_binding[l], budget) < f->flops_layer[l] * (1 - 1e-9)) fs->upper_bad++;
    /* the branch and bound never proves a final above a cap its full plan
     * search fits under (and never finds fewer FLOPs than the least plan);
     * where the full search was not cut short, it finds its FLOPs and proves
     * every plan above anything less; a planner's searches in turn build the
     * same plan as syno_plan_build */
    for (int l = 0; l < spec->nlayers; l++) {
        const syno_binding *lb = &spec->layer_binding[l];
        double fl = f->flops_layer[l];
        syno_buf err = SYNO_BUF_INIT;
        syno_plan *p = syno_plan_build(f->op, lb, SYNO_PLAN_FORWARD, &err);
        double least = syno_plan_flops_min(f->op, lb, fl * (1 + 1e-9) + 1, 20000);
        if (isinf(least) || least > fl * (1 + 1e-9) + 1) fs->min_bad++;
        if (p && p->searched && least >= 0) {
            if (least != fl) fs->min_bad++;
            if (!isinf(syno_plan_flops_min(f->op, lb, fl - 1, 20000))) fs->min_bad++;
            fs->min_exact++;
        }
        syno_planner *P = syno_planner_new(f->op, lb);
        if (P) {
            /* stopped early, still an upper bound; with no budget, the first
             * stages that cost more than asked skipped, too (INFINITY when all are) */
            if (syno_planner_upper(P, 100, fl) < fl * (1 - 1e-9)) fs->upper_bad++;
            if (syno_planner_upper(P, 100, INFINITY) < fl * (1 - 1e-9)) fs->upper_bad++;
            if (syno_planner_upper(P, 0, fl) < fl * (1 - 1e-9)) fs->upper_bad++;
            if (syno_planner_upper(P, 0, fl / 2) < fl * (1 - 1e-9)) fs->upper_bad++;
            if (syno_planner_upper(P, 0, fl * 1.5) < fl * (1 - 1e-9)) fs->upper_bad++;
            syno_planner_min(P, fl / 2, 20000);
            syno_plan *q = syno_planner_plan(P, &err);
            if (!p || !q || q->flops != p->flops || q->nstages != p->nstages || q->temp_bytes != p->temp_bytes) fs->planner_bad++;
            syno_plan_free(q);
            syno_planner_free(P);
        } else if (p) {
            fs->planner_bad++;
        }
        syno_plan_free(p);
        syno_buf_fini(&err);
    }
    for (int i = 0; i < fs->n; i++)
        if (fs->hash[i] == f->hash) fs->dup++;
    if (fs->n == fs->cap) fs->hash = realloc(fs->hash, (size_t)(fs->cap = fs->cap ? 2 * fs->cap : 64) * sizeof *fs->hash);
    fs->hash[fs->n++] = f->hash;
    syno_final_free(f);
}

static syno_spec *load_spec(syno_ctx *ctx, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", srcdir(), rel);
    syno_spec *s = syno_search_find_spec(ctx, path);
    if (!s) syno_diags_print(&ctx->diags, stdout);
    return s;
}

static bool contains(const finals *fs, uint64_t h)
{
    for (int i = 0; i < fs->n; i++)
        if (fs->hash[i] == h) return true;
    return false;
}

/* Enumerates SPEC and checks every final; returns the hash list. */
static finals check_space(const char *rel, const char *what)
{
    syno_ctx *ctx = syno_ctx_new();
    finals fs;
    memset(&fs, 0, sizeof fs);
    syno_spec *spec = load_spec(ctx, rel);
    ok(spec != NULL, "%s: spec loads", what);
    if (!spec) return fs;
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    fs.sp = sp;
    syno_enum_result r;
    syno_enumerate(sp, 1, on_final, &fs, &r);
    ok(fs.n > 0 && (uint64_t)fs.n == r.finals, "%s: %d final operators reported and delivered", what, fs.n);
    is_int(fs.invalid, 0, "%s: every final is valid under every layer", what);
    is_int(fs.roundtrip_bad, 0, "%s: every final round-trips through text with the same canonical hash", what);
    is_int(fs.dup, 0, "%s: no two finals share a canonical hash", what);
    is_int(fs.bound_bad, 0, "%s: the FLOPs lower bound of each final's state is below its FLOPs", what);
    is_int(fs.upper_bad, 0, "%s: a plan search cut short never finds fewer FLOPs than the full one", what);
    is_int(fs.min_bad, 0, "%s: the branch and bound agrees with the full plan search (exact on %d plans of %d finals)", what, fs.min_exact, fs.n);
    is_int(fs.planner_bad, 0, "%s: a planner builds the plan syno_plan_build does after its other searches", what);
    syno_space_free(sp);
    syno_ctx_free(ctx);
    fs.sp = NULL;
    return fs;
}

static uint64_t stdlib_hash(const char *rel_spec, const char *opname)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, rel_spec);
    syno_op *op = syno_ctx_stdlib_op(ctx, opname);
    uint64_t h = 0;
    if (spec && op) {
        syno_space *sp = syno_space_new(spec, &ctx->diags);
        h = syno_space_final_hash(sp, op);
        syno_space_free(sp);
    }
    syno_ctx_free(ctx);
    return h;
}

static void test_api(void)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, "tests/search/conv.syno");
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    const syno_pstate *root = syno_space_root(sp);
    is_int(syno_pstate_depth(root), 0, "api: the root has depth 0");
    const syno_child *kids;
    int n = syno_space_children(sp, root, &kids);
    ok(n > 0, "api: the root has children (%d)", n);
    bool reduce_first = true, sorted = true;
    for (int i = 0; i < n; i++) {
        reduce_first &= kids[i].step.kind == SYNO_STEP_REDUCE || i > 0;
        if (i && kids[i - 1].step.kind == kids[i].step.kind) sorted &= kids[i - 1].step.key < kids[i].step.key;
    }
    ok(reduce_first && sorted, "api: children are listed by kind, then by key");
    const syno_child *again;
    ok(syno_space_children(sp, root, &again) == n && again == kids, "api: children are cached");
    syno_rule why = SYNO_RULE_COUNT;
    ok(syno_space_apply(sp, root, &kids[0].step, &why) == kids[0].state, "api: applying a listed step gives its child");
    /* a split of the C_out output axis with itself is no step; two reductions of k cannot be split */
    const syno_pstate *st = root;
    syno_step red = kids[0].step;
    for (int i = 0; i < n; i++)
        if (kids[i].step.kind == SYNO_STEP_REDUCE && syno_size_eq(kids[i].step.param, syno_size_var(5))) red = kids[i].step;
    st = syno_space_apply(sp, st, &red, NULL);
    ok(st != NULL, "api: reduce k");
    const syno_pstate *st2 = st ? syno_space_apply(sp, st, &red, NULL) : NULL;
    ok(st2 != NULL, "api: reduce k twice");
    if (st2) {
        syno_step sp2 = {.kind = SYNO_STEP_SPLIT, .n = 2};
        int k = 0;
        for (int i = 0; i < st2->nf; i++)
            if (sx_d(sp, st2->d[i])->kind == SX_REDUCE) sp2.op[k++] = st2->d[i];
        why = SYNO_RULE_COUNT;
        ok(k == 2 && !syno_space_apply(sp, st2, &sp2, &why) && why == SYNO_RULE_SPLIT_REDUCTIONS,
           "api: a split of two reductions is refused by split-reductions (got %s)",
           why < SYNO_RULE_COUNT ? syno_rules[why].name : "none");
        syno_buf b = SYNO_BUF_INIT;
        syno_space_describe(sp, st2, &b);
        is_str(syno_buf_str(&b), "out1:C_out, out2:H, out3:W, sum:k, sum:k#2", "api: the frontier reads back");
        syno_buf_fini(&b);
    }
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

static uint64_t set_sum;
static int set_n;

static void sum_final(void *ctx, syno_final *f)
{
    (void)ctx;
    set_sum += syno_hash_mix(f->hash);
    set_n++;
    syno_final_free(f);
}

/* Enumerates REL's space to DEPTH with the rules DISABLED off and states
 * compared exactly or not; the finals' count and hash sum, and the states. */
static void enum_pass(const char *rel, int depth, uint64_t disabled, bool exact, int *n, uint64_t *sum,
                      uint64_t *states)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, rel);
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    sp->disabled = disabled;
    sp->exact_states = exact;
    syno_space_set_depth(sp, depth);
    set_sum = 0;
    set_n = 0;
    syno_enum_result r;
    syno_enumerate(sp, 1, sum_final, NULL, &r);
    *sum = set_sum;
    *n = set_n;
    *states = r.states;
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

/* Shape distance, the critical-state rule and the FLOPs bound only guide:
 * switched off, the same final operators come out (of a larger lattice). */
static void test_guidance_loses_nothing(const char *rel, int depth)
{
    uint64_t sum[2], states[2];
    int n[2];
    enum_pass(rel, depth, 0, false, &n[0], &sum[0], &states[0]);
    enum_pass(rel, depth, 1ull << SYNO_RULE_DISTANCE | 1ull << SYNO_RULE_CRITICAL | 1ull << SYNO_RULE_FLOPS_BOUND, false,
              &n[1], &sum[1], &states[1]);
    ok(n[0] == n[1] && sum[0] == sum[1] && states[1] > states[0],
       "guidance loses no final in %s at depth %d (%d finals; %llu states with it, %llu without)", rel, depth, n[0],
       (unsigned long long)states[0], (unsigned long long)states[1]);
}

typedef struct verdicts {
    syno_space *sp;
    int n, outside, bad;
} verdicts;

static void check_verdict(void *ctx, syno_final *f)
{
    verdicts *v = ctx;
    double lo = v->sp->flops_lo, hi = v->sp->flops_hi;
    bool inside = sx_final_measure(v->sp, f, lo, hi);
    f->flops_exact = false;
    sx_final_exact_flops(v->sp, f);
    bool exact = f->flops >= lo * (1 - 1e-9) && f->flops <= hi * (1 + 1e-9);
    v->n++;
    v->outside += !exact;
    v->bad += inside != exact;
    syno_final_free(f);
}

/* The window's verdict (direct evaluation, the plan search cut short, the
 * branch and bound, then the full search) is the full search's on every
 * final of REL at DEPTH, those outside the window included (kept by
 * switching the FLOPs rules off). */
static void test_window_verdicts(const char *rel, int depth)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, rel);
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    sp->disabled = 1ull << SYNO_RULE_FINAL_FLOPS | 1ull << SYNO_RULE_FLOPS_BOUND;
    syno_space_set_depth(sp, depth);
    verdicts v = {sp, 0, 0, 0};
    syno_enum_result r;
    syno_enumerate(sp, 1, check_verdict, &v, &r);
    ok(v.outside > 0 && v.bad == 0, "the FLOPs window's verdict is the full plan search's on every final of %s at depth %d (%d finals, %d outside)",
       rel, depth, v.n, v.outside);
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

/* Merging states that differ only in which of equal reductions is which
 * loses no final operator either. */
static void test_blind_states(const char *rel, int depth)
{
    uint64_t sum[2], states[2];
    int n[2];
    enum_pass(rel, depth, 0, false, &n[0], &sum[0], &states[0]);
    enum_pass(rel, depth, 0, true, &n[1], &sum[1], &states[1]);
    ok(n[0] == n[1] && sum[0] == sum[1] && states[0] <= states[1],
       "equal reductions merged: the same %d finals in %s at depth %d (%llu states instead of %llu)", n[0], rel, depth,
       (unsigned long long)states[0], (unsigned long long)states[1]);
}

/* Every operator of tests/search/kas-lost.syno (lost by an earlier shape
 * distance) is among the finals of the reference's sampler space at
 * depth 8, and `reach` agrees (issue 17). */
static void test_regressions(void)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, "bench/kas-sampler.syno");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/search/kas-lost.syno", srcdir());
    syno_module *m = syno_ctx_load_file(ctx, path);
    if (!spec || !m || ctx->diags.errors) {
        syno_diags_print(&ctx->diags, stdout);
        ok(false, "kas-lost.syno and the sampler space load");
        syno_ctx_free(ctx);
        return;
    }
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    syno_space_set_depth(sp, 8);
    finals fs;
    memset(&fs, 0, sizeof fs);
    fs.sp = sp;
    syno_enum_result r;
    syno_enumerate(sp, 1, on_final, &fs, &r);
    int missing = 0;
    for (int i = 0; i < m->nops; i++) {
        uint64_t h = syno_space_final_hash(sp, m->ops[i]);
        if (!contains(&fs, h)) {
            if (!missing++) printf("# not enumerated: %s (%016llx)\n", m->ops[i]->name, (unsigned long long)h);
        }
    }
    ok(m->nops >= 31 && missing == 0, "the %d operators an earlier shape distance lost are in the sampler space at depth 8 "
       "(%d finals)", m->nops, fs.n);
    int disagree = 0;
    for (int i = 0; i < m->nops; i++) {
        syno_reach rr;
        syno_reach_run(spec, m->ops[i], &ctx->diags, &rr);
        if (!rr.reachable || rr.depth > 8) {
            if (!disagree++) printf("# reach: %s: %s\n", m->ops[i]->name, rr.reason ? rr.reason : "deeper than 8");
        }
        syno_reach_fini(&rr);
    }
    is_int(disagree, 0, "reach agrees: each of them is in the space, by a path of at most 8 steps");
    free(fs.hash);
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

static void test_determinism(void)
{
    uint64_t first = 0;
    bool same = true;
    for (int run = 0; run < 2; run++) {
        syno_ctx *ctx = syno_ctx_new();
        syno_spec *spec = load_spec(ctx, "tests/search/linear.syno");
        syno_space *sp = syno_space_new(spec, &ctx->diags);
        finals fs;
        memset(&fs, 0, sizeof fs);
        fs.sp = sp;
        syno_enum_result r;
        syno_enumerate(sp, 1, on_final, &fs, &r);
        uint64_t h = r.states * 1000003u + r.generated;
        for (int i = 0; i < fs.n; i++) h = h * 31 + fs.hash[i];
        if (run == 0) first = h;
        else same = h == first;
        free(fs.hash);
        syno_space_free(sp);
        syno_ctx_free(ctx);
    }
    ok(same, "determinism: two enumerations give the same counts and finals in the same order");
}

/* Bounded work on a space with strides by allowance alone: the stride
 * generator builds dims only for factors whose strided axis can stay
 * within max_strided_dim (it once interned a dim for every open dim and
 * every enumerable factor, 3.8 million rejected at depth 5 here, and
 * random sampling of the space ran out of memory). */
static void test_stride_work(void)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, "bench/mpi-space.syno:flops");
    syno_space *sp = spec ? syno_space_new(spec, &ctx->diags) : NULL;
    if (!sp) {
        ok(false, "stride work: bench/mpi-space.syno:flops loads");
        syno_ctx_free(ctx);
        return;
    }
    const syno_child *kids, *kids2;
    int n = syno_space_children(sp, syno_space_root(sp), &kids), states = 1 + n, strides = 0;
    for (int i = 0; i < n; i++) {
        int n2 = syno_space_children(sp, kids[i].state, &kids2);
        states += n2;
        for (int k = 0; k < n2; k++) strides += kids2[k].step.kind == SYNO_STEP_STRIDE;
    }
    ok(strides > 0 && sp->ndims < 4000u,
       "stride work: depth 2 of the MPI bench's space builds %u dims for %d states (%d strides; at most 4,000 dims)",
       sp->ndims, states, strides);
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

/* The walks' guide (doc/search.md): on every state of REL within DEPTH
 * steps (breadth first, at most 5,000), the guided children are children,
 * and the guide is never below the shape distance. */
static void test_guide(const char *rel, int depth)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = load_spec(ctx, rel);
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    int cap = 5000, n = 0, head = 0, subset_bad = 0, below = 0, guided = 0, all = 0;
    const syno_pstate **q = syno_xcalloc((size_t)cap, sizeof *q);
    q[n++] = syno_space_root(sp);
    while (head < n) {
        const syno_pstate *st = q[head++];
        const syno_child *kids, *g;
        int nk = syno_space_children(sp, st, &kids);
        int ng = syno_space_guided_children(sp, st, &g);
        all += nk;
        guided += ng;
        for (int i = 0; i < ng; i++) {
            bool found = false;
            for (int k = 0; k < nk && !found; k++) found = kids[k].state == g[i].state;
            subset_bad += !found;
            int d = syno_pstate_distance(sp, g[i].state), gd = sx_guide_distance(sp, g[i].state);
            below += d < 0 || (gd != SX_DIST_UNKNOWN && gd < d);
        }
        for (int k = 0; k < nk && n < cap; k++)
            if (syno_pstate_depth(kids[k].state) <= depth) q[n++] = kids[k].state;
    }
    ok(subset_bad == 0 && below == 0 && guided <= all,
       "guide on %s: %d states, %d of their %d children guided, all of them children (%d not), the guide never below "
       "the bound (%d below)", rel, n, guided, all, subset_bad, below);
    free(q);
    syno_space_free(sp);
    syno_ctx_free(ctx);
}

int main(void)
{
    finals conv = check_space("tests/search/conv.syno", "conv");
    uint64_t conv2d = stdlib_hash("tests/search/conv.syno", "conv2d");
    ok(conv2d && contains(&conv, conv2d), "rediscovery: conv2d is in the conv space (hash %016llx)", (unsigned long long)conv2d);
    uint64_t conv1x1 = stdlib_hash("tests/search/conv.syno", "conv1x1");
    ok(conv1x1 && contains(&conv, conv1x1), "rediscovery: conv1x1 is in the conv space");
    free(conv.hash);
    finals lin = check_space("tests/search/linear.syno", "linear");
    uint64_t linear = stdlib_hash("tests/search/linear.syno", "linear");
    ok(linear && contains(&lin, linear), "rediscovery: linear is in the linear space");
    free(lin.hash);
    test_api();
    test_stride_work();
    test_determinism();
    test_guidance_loses_nothing("tests/search/conv.syno", 7);
    test_guidance_loses_nothing("tests/search/linear.syno", 6);
    test_guidance_loses_nothing("tests/search/resnet18.syno", 3);
    test_guidance_loses_nothing("bench/sampler-space.syno", getenv("SYNO_SANITIZED") ? 3 : 4);
    test_guidance_loses_nothing("tests/search/noloss.syno:reshape", 7);
    test_guidance_loses_nothing("tests/search/noloss.syno:dilated", 6);
    test_guidance_loses_nothing("tests/search/noloss.syno:flops", getenv("SYNO_SANITIZED") ? 4 : 5);
    test_guidance_loses_nothing("bench/kas-sampler.syno", getenv("SYNO_SANITIZED") ? 4 : 5);
    test_regressions();
    test_window_verdicts("bench/kas-sampler.syno", getenv("SYNO_SANITIZED") ? 7 : 8);
    test_window_verdicts("bench/sampler-space.syno", getenv("SYNO_SANITIZED") ? 4 : 5);
    test_blind_states("tests/search/conv.syno", 7);
    test_blind_states("bench/sampler-space.syno", getenv("SYNO_SANITIZED") ? 6 : 8);
    test_blind_states("tests/search/resnet18.syno", getenv("SYNO_SANITIZED") ? 4 : 5);
    test_guide("tests/search/conv.syno", 4);
    test_guide("bench/mpi-space.syno:flops", 3);
    test_guide("tests/search/noloss.syno:reshape", 4);
    return tap_done();
}
