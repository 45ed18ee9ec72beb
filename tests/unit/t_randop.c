/* t_randop.c - random operators (lang/randop.c) and the graph printer
 * (lang/graph_print.c).
 *
 * Random operators must be valid, within their bounds, use every primitive
 * over a batch, come with a binding that works, and be the same for the
 * same seed.  Printed operators (random and stdlib, flat and nested) must
 * parse back without errors and evaluate identically under the same
 * binding; printing the reparsed operator again gives the same text. */
#include "interp/cli.h"
#include "interp/eval.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "tests/tap.h"

#include <math.h>

static syno_ctx *ctx;
static int nloaded;

static char *print_module(const syno_op *op, unsigned flags, const syno_binding *b)
{
    syno_buf t = SYNO_BUF_INIT;
    syno_graph_print_module(op, NULL, flags, b, "small", &t);
    return syno_buf_take(&t);
}

static void show(const char *text)
{
    char *copy = syno_xstrdup(text);
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) printf("#   %s\n", line);
    free(copy);
}

/* Parses TEXT (a printed module) and returns its only operator, or NULL
 * after printing the diagnostics. */
static syno_op *reparse(const char *text, syno_module **mod)
{
    char name[32];
    snprintf(name, sizeof name, "printed%d.syno", nloaded++);
    syno_module *m = syno_ctx_load_string(ctx, name, text, strlen(text));
    if (mod) *mod = m;
    if (!m || m->errors || m->nops != 1 || m->ops[0]->errors) {
        syno_diags_print(&ctx->diags, stdout);
        syno_diags_clear(&ctx->diags);
        show(text);
        return NULL;
    }
    return m->ops[0];
}

/* Evaluates A and B (same tensors and shapes, different graphs) on the
 * same random inputs under B_; returns the relative difference, or -1 when
 * the shapes differ. */
static double compare_eval(const syno_op *a, const syno_op *b, const syno_binding *bind, syno_rng *r)
{
    int64_t *sa = malloc((size_t)a->ndims * sizeof *sa), *sb = malloc((size_t)b->ndims * sizeof *sb);
    double result = -1;
    if (!syno_op_eval_sizes(a, bind, sa) || !syno_op_eval_sizes(b, bind, sb) || a->ntensors != b->ntensors) goto done;
    for (int t = SYNO_OP_OUT; t < a->ntensors; t++) {
        int64_t s1[32], s2[32];
        int r1 = syno_op_tensor_shape(a, sa, t, s1), r2 = syno_op_tensor_shape(b, sb, t, s2);
        if (r1 != r2 || memcmp(s1, s2, (size_t)r1 * sizeof *s1) != 0) goto done;
    }
    double *ten[SYNO_MAX_TENSORS];
    for (int t = 0; t < a->ntensors; t++) {
        int64_t n = syno_op_tensor_numel(a, sa, t);
        ten[t] = malloc((size_t)n * sizeof(double));
        for (int64_t i = 0; i < n; i++) ten[t][i] = 2 * syno_rng_unit(r) - 1;
    }
    int64_t no = syno_op_tensor_numel(a, sa, SYNO_OP_OUT);
    double *oa = malloc((size_t)no * sizeof *oa), *ob = malloc((size_t)no * sizeof *ob);
    syno_ref_forward(a, sa, ten[0], (const double *const *)(ten + 1), oa);
    syno_ref_forward(b, sb, ten[0], (const double *const *)(ten + 1), ob);
    double d = 0, m = 0;
    for (int64_t i = 0; i < no; i++) d = fmax(d, fabs(oa[i] - ob[i])), m = fmax(m, fabs(oa[i]));
    result = d / fmax(m, 1e-300);
    for (int t = 0; t < a->ntensors; t++) free(ten[t]);
    free(oa);
    free(ob);
done:
    free(sa);
    free(sb);
    return result;
}

static void test_batch(syno_rng *r, int nops)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    syno_arena *a = syno_arena_new();
    syno_diags d;
    syno_diags_init(&d, NULL);
    syno_randop_stats st = {0, 0};
    int made = 0, depth_ok = 0, weights_ok = 0, bind_ok = 0, roundtrip = 0, stable = 0;
    int prims[SYNO_PRIM_COUNT] = {0}, shifts[5] = {0};
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, r, &o, &b, &st);
        if (!op) {
            syno_diags_print(&d, stdout);
            continue;
        }
        made++;
        depth_ok += op->nnodes >= o.min_depth && op->nnodes <= o.max_depth;
        weights_ok += op->ntensors - 1 >= o.min_weights && op->ntensors - 1 <= o.max_weights;
        int64_t *sizes = malloc((size_t)op->ndims * sizeof *sizes);
        bind_ok += syno_op_eval_sizes(op, &b, sizes) && syno_ref_terms(op, sizes) <= o.max_terms;
        free(sizes);
        for (int k = 0; k < op->nnodes; k++) {
            prims[op->nodes[k].prim]++;
            if (op->nodes[k].prim == SYNO_PRIM_SHIFT && llabs(op->nodes[k].shift) <= 2) shifts[op->nodes[k].shift + 2]++;
        }
        /* Print (flat and nested in turn), parse, evaluate both. */
        unsigned flags = i % 2 ? SYNO_PRINT_NEST : 0;
        char *text = print_module(op, flags, &b);
        syno_module *m;
        syno_op *back = reparse(text, &m);
        double diff = back ? compare_eval(op, back, &b, r) : -1;
        bool bind_block = back && m->nbinds == 1;
        for (int v = 0; bind_block && v < vars.n; v++)
            if (vars.v[v].kind == SYNO_VAR_PRIMARY) bind_block = m->binds[0].b.val[v] == b.val[v];
        if (back && diff >= 0 && diff <= 1e-12 && bind_block) roundtrip++;
        else {
            printf("# round trip failed (difference %g, bind block %d):\n", diff, bind_block);
            show(text);
        }
        if (back) {
            char *again = print_module(back, flags, &b);
            syno_op *back2 = reparse(again, NULL);
            char *third = back2 ? print_module(back2, flags, &b) : NULL;
            if (third && strcmp(again, third) == 0) stable++;
            else if (third) {
                printf("# printing is not stable:\n");
                show(again);
                show(third);
            }
            free(again);
            free(third);
        }
        free(text);
        syno_arena_free(a); /* one op at a time keeps memory small */
        a = syno_arena_new();
    }
    is_int(made, nops, "%d random operators generated (%d tries, %d rejected by their binding)", nops, st.tries,
           st.rejected_binding);
    ok(st.rejected_binding * 4 < st.tries, "fewer than a quarter of the tries are rejected by the binding");
    is_int(d.errors, 0, "no random operator fails its checks");
    is_int(depth_ok, made, "every operator has between %d and %d primitives", o.min_depth, o.max_depth);
    is_int(weights_ok, made, "every operator has between %d and %d weights", o.min_weights, o.max_weights);
    is_int(bind_ok, made, "every binding evaluates every size, within the work bound");
    bool all = true;
    for (int p = 0; p < SYNO_PRIM_COUNT; p++) {
        printf("# %s: %d\n", syno_prims[p].name, prims[p]);
        all &= prims[p] > 0;
    }
    ok(all, "every primitive is used");
    ok(shifts[0] && shifts[1] && shifts[3] && shifts[4], "shifts by -2, -1, 1 and 2 all occur");
    is_int(roundtrip, made, "every printed operator parses back and evaluates identically, bind block included");
    is_int(stable, made, "printing a reparsed operator is stable");
    syno_diags_fini(&d);
    syno_arena_free(a);
}

static void test_determinism(void)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_diags d;
    syno_diags_init(&d, NULL);
    bool same = true;
    for (int run = 0; run < 10; run++) {
        char *text[2];
        for (int k = 0; k < 2; k++) {
            syno_arena *a = syno_arena_new();
            syno_rng r;
            syno_rng_seed(&r, 1000 + (uint64_t)run);
            syno_binding b;
            syno_op *op = syno_randop(a, &vars, &d, &r, NULL, &b, NULL);
            text[k] = op ? print_module(op, 0, &b) : syno_xstrdup("");
            syno_arena_free(a);
        }
        same &= strcmp(text[0], text[1]) == 0 && text[0][0];
        free(text[0]);
        free(text[1]);
    }
    ok(same, "the same seed gives the same operators");
    syno_diags_fini(&d);
}

static void test_options(syno_rng *r)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.prims = 1u << SYNO_PRIM_SPLIT | 1u << SYNO_PRIM_MERGE | 1u << SYNO_PRIM_SHARE | 1u << SYNO_PRIM_SUM |
              1u << SYNO_PRIM_EXPAND;
    o.min_depth = o.max_depth = 8;
    o.min_weights = o.max_weights = 2;
    syno_diags d;
    syno_diags_init(&d, NULL);
    int good = 0;
    for (int i = 0; i < 30; i++) {
        syno_arena *a = syno_arena_new();
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, r, &o, &b, NULL);
        bool fine = op && op->ntensors == 3 && op->nnodes == 8;
        for (int k = 0; fine && k < op->nnodes; k++) fine = (o.prims >> op->nodes[k].prim) & 1u;
        good += fine;
        syno_arena_free(a);
    }
    is_int(good, 30, "a primitive mask, a fixed depth and a fixed weight count are obeyed");
    syno_diags_fini(&d);
}

static void test_bind(void)
{
    static const char src[] = "size N, C, H, W;\ncoef k = 3, s = 2, g = 2;\n"
                              "op f(x[n: N, h: H]) -> [n, a, b] { a, b = split(h, k); }\n"
                              "op big(x[n: N, c: C, h: H, w: W]) -> [n, c, h, w, e] { e = expand(C); }\n";
    syno_module *m = syno_ctx_load_string(ctx, "bind.syno", src, strlen(src));
    syno_binding b;
    syno_randop_opts o;
    syno_randop_defaults(&o);
    bool found = m && !m->errors && syno_randop_bind(m->ops[0], &o, &b);
    ok(found && b.val[syno_vars_find(&m->vars, "H")] % 3 == 0 && b.val[syno_vars_find(&m->vars, "H")] == 6,
       "syno_randop_bind picks the first small binding in which H/k divides (H = 6)");
    o.max_terms = 100;
    ok(m && !syno_randop_bind(m->ops[1], &o, &b), "syno_randop_bind refuses when the work bound is too small");
}

static void test_stdlib_print(syno_rng *r)
{
    static const struct {
        const char *op, *bind;
    } ops[] = {
        {"conv2d", "N=2,C_in=3,C_out=2,H=4,W=3"}, {"group_conv2d", "N=1,C_in=4,C_out=6,H=3,W=3,g=2"},
        {"dilated_conv2d", "N=1,C_in=2,C_out=2,H=5,W=4"}, {"pooled_conv2d", "N=1,C_in=2,C_out=2,H=4,W=4"},
        {"syno_op1", "N=1,C_in=4,C_out=8,H=3,W=3,g=2"}, {"syno_op2", "N=1,C_in=4,C_out=8,H=3,W=3,g=2"},
        {"avgpool2d", "N=1,C_in=2,H=4,W=4"}, {"shift_conv", "N=1,C_in=2,C_out=3,H=3,W=3"},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(ops); i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, ops[i].op);
        for (unsigned flags = 0; flags <= SYNO_PRINT_NEST; flags += SYNO_PRINT_NEST) {
            if (!op) {
                ok(0, "%s loads", ops[i].op);
                continue;
            }
            char *text = print_module(op, flags, NULL);
            syno_op *back = reparse(text, NULL);
            syno_binding b;
            double diff = -1;
            if (back && syno_cli_binding(op, ops[i].bind, &b) == SYNO_EXIT_OK) diff = compare_eval(op, back, &b, r);
            if (!ok(diff >= 0 && diff <= 1e-12, "%s printed %s parses back and evaluates identically", ops[i].op,
                    flags ? "nested" : "flat"))
                show(text);
            free(text);
        }
    }
    syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
    syno_buf t = SYNO_BUF_INIT;
    if (op) syno_graph_print_op(op, "c", SYNO_PRINT_NEST, &t);
    is_str(syno_buf_str(&t),
           "op c(x[n: N, c: C_in, h: H, w: W]) -> [n, o, y, z] {\n"
           "    weight f[fo: C_out, fc: C_in, fh: k, fw: k];\n"
           "    y, dy = unfold(h, k);\n"
           "    z, dz = unfold(w, k);\n"
           "    sum(share(c, fc));\n"
           "    sum(share(dy, fh));\n"
           "    sum(share(dz, fw));\n"
           "    o = share(expand(C_out), fo);\n"
           "}\n",
           "conv2d printed nested reads like the stdlib source");
    syno_buf_fini(&t);
}

int main(void)
{
    bool sanitized = getenv("SYNO_SANITIZED") != NULL;
    ctx = syno_ctx_new();
    syno_rng r;
    syno_rng_seed(&r, 7);
    test_batch(&r, sanitized ? 150 : 300);
    test_determinism();
    test_options(&r);
    test_bind();
    test_stdlib_print(&r);
    syno_ctx_free(ctx);
    return tap_done();
}
