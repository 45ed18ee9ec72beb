/* t_graph.c - unit tests of operator graphs built through the API
 * (lang/graph.c): derived sizes, order, masks, FLOPs, params, and each
 * structural check. */
#include "lang/graph.h"
#include "lang/module.h"
#include "tests/tap.h"

static syno_vars vars;
static syno_srcmgr *srcs;
static syno_diags diags;
static syno_arena *arena;

enum { N, CIN, COUT, H, W, K, G };

static syno_size V(int i) { return syno_size_var(i); }

static syno_op *fresh(void)
{
    syno_diags_clear(&diags);
    return syno_op_new(arena, &vars, &diags, "t", syno_range_make(0, 0));
}

/* Adds a node; OUT (optional) receives the result dims.  Entries of OUT
 * that are >= 0 on entry name declared dims to produce (see add_node), so
 * callers pass {-1, -1} for fresh results. */
static int node(syno_op *op, syno_prim p, int a, int b, syno_size param, int out[2])
{
    int in[2] = {a, b};
    int o[2] = {-1, -1};
    if (out) o[0] = out[0], o[1] = out[1];
    int k = syno_op_add_node(op, p, in, NULL, param, 1, syno_range_make(0, 0), o);
    if (out) out[0] = o[0], out[1] = o[1];
    return k;
}

static int *fresh2(int *r)
{
    r[0] = r[1] = -1;
    return r;
}

/* conv2d, as the language spells it. */
static syno_op *conv2d(void)
{
    syno_op *op = fresh();
    int x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    int n = syno_op_add_axis(op, x, V(N), "n", syno_range_make(0, 0));
    int c = syno_op_add_axis(op, x, V(CIN), "c", syno_range_make(0, 0));
    int h = syno_op_add_axis(op, x, V(H), "h", syno_range_make(0, 0));
    int w = syno_op_add_axis(op, x, V(W), "w", syno_range_make(0, 0));
    int f = syno_op_add_tensor(op, "f", syno_range_make(0, 0));
    int fo = syno_op_add_axis(op, f, V(COUT), "fo", syno_range_make(0, 0));
    int fc = syno_op_add_axis(op, f, V(CIN), "fc", syno_range_make(0, 0));
    int fh = syno_op_add_axis(op, f, V(K), "fh", syno_range_make(0, 0));
    int fw = syno_op_add_axis(op, f, V(K), "fw", syno_range_make(0, 0));
    int yy[2] = {-1, -1}, zz[2] = {-1, -1}, r[2] = {-1, -1}, e[2] = {-1, -1}, o[2] = {-1, -1};
    node(op, SYNO_PRIM_UNFOLD, h, -1, V(K), yy);
    node(op, SYNO_PRIM_UNFOLD, w, -1, V(K), zz);
    node(op, SYNO_PRIM_SHARE, c, fc, syno_size_one(), fresh2(r));
    node(op, SYNO_PRIM_SUM, r[0], -1, syno_size_one(), NULL);
    node(op, SYNO_PRIM_SHARE, yy[1], fh, syno_size_one(), fresh2(r));
    node(op, SYNO_PRIM_SUM, r[0], -1, syno_size_one(), NULL);
    node(op, SYNO_PRIM_SHARE, zz[1], fw, syno_size_one(), fresh2(r));
    node(op, SYNO_PRIM_SUM, r[0], -1, syno_size_one(), NULL);
    node(op, SYNO_PRIM_EXPAND, -1, -1, V(COUT), e);
    node(op, SYNO_PRIM_SHARE, e[0], fo, syno_size_one(), o);
    syno_op_add_output(op, n, syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    syno_op_add_output(op, o[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    syno_op_add_output(op, yy[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    syno_op_add_output(op, zz[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    return op;
}

static bool has_error(const char *needle)
{
    for (const syno_diag *g = diags.head; g; g = g->next)
        if (strstr(g->msg, needle)) return true;
    printf("# no error containing '%s'; got:\n", needle);
    for (const syno_diag *g = diags.head; g; g = g->next) printf("#   %s\n", g->msg);
    return false;
}

int main(void)
{
    const char *names[] = {"N", "C_in", "C_out", "H", "W", "k", "g"};
    for (int i = 0; i < 7; i++) {
        vars.v[i].name = names[i];
        vars.v[i].kind = i >= K ? SYNO_VAR_COEF : SYNO_VAR_PRIMARY;
        vars.v[i].value = i == K ? 3 : i == G ? 4 : 0;
    }
    vars.n = 7;
    srcs = syno_srcmgr_new();
    syno_diags_init(&diags, srcs);
    arena = syno_arena_new();

    syno_op *op = conv2d();
    ok(syno_op_finish(op), "conv2d built through the API checks clean");
    is_int(op->norder, op->nnodes, "every node is ordered");
    ok(syno_size_eq(op->dims[op->out[2]].size, V(H)), "unfold keeps the main size");
    is_int(op->mask[op->out[1]], 2, "the output channel depends on the weight only");
    is_int(op->mask[op->out[2]], 1, "the output row depends on the input only");
    is_int(syno_op_nreductions(op), 3, "three reductions");
    syno_poly p;
    syno_op_flops(op, &p);
    syno_binding b;
    syno_binding_defaults(&vars, &b);
    b.val[N] = 8, b.val[CIN] = 64, b.val[COUT] = 128, b.val[H] = 32, b.val[W] = 32;
    int64_t v;
    syno_poly_eval(&vars, &p, &b, &v, NULL);
    is_int(v, 2ll * 8 * 128 * 32 * 32 * 64 * 9, "conv2d FLOPs = 2*N*C_out*H*W*C_in*k^2");
    syno_op_params(op, &p);
    syno_poly_eval(&vars, &p, &b, &v, NULL);
    is_int(v, 128 * 64 * 9, "conv2d params");
    int64_t sizes[64];
    ok(syno_op_eval_sizes(op, &b, sizes), "sizes evaluate");
    ok(syno_op_check_binding(op, &b, &diags, syno_range_make(0, 0)), "the binding checks");
    b.val[K] = 4;
    ok(!syno_op_check_binding(op, &b, &diags, syno_range_make(0, 0)) && has_error("even"),
       "an even window under a binding is an error");

    /* each check */
    op = fresh();
    int x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    int a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    int c = syno_op_add_axis(op, x, V(H), "c", syno_range_make(0, 0));
    node(op, SYNO_PRIM_SUM, a, -1, syno_size_one(), NULL);
    node(op, SYNO_PRIM_SUM, a, -1, syno_size_one(), NULL);
    ok(!syno_op_finish(op) && has_error("used twice") && has_error("never used"), "used twice, never used");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    c = syno_op_add_axis(op, x, V(H), "c", syno_range_make(0, 0));
    int r[2] = {-1, -1};
    node(op, SYNO_PRIM_SHARE, a, c, syno_size_one(), fresh2(r));
    syno_op_add_output(op, r[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    ok(!syno_op_finish(op) && has_error("multiply the input by itself"), "share within the input");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    int f = syno_op_add_tensor(op, "f", syno_range_make(0, 0));
    int fa = syno_op_add_axis(op, f, V(CIN), "fa", syno_range_make(0, 0));
    node(op, SYNO_PRIM_SHARE, a, fa, syno_size_one(), fresh2(r));
    syno_op_add_output(op, r[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    ok(!syno_op_finish(op) && has_error("sizes differ: H vs C_in"), "share sizes must agree");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    f = syno_op_add_tensor(op, "f", syno_range_make(0, 0));
    fa = syno_op_add_axis(op, f, V(K), "fa", syno_range_make(0, 0));
    syno_op_add_output(op, a, syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    node(op, SYNO_PRIM_SUM, fa, -1, syno_size_one(), NULL);
    ok(!syno_op_finish(op) && has_error("only be an operand of share"), "weight axis consumed by sum");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    syno_size hk;
    syno_size_mul(&hk, V(H), V(K));
    c = syno_op_add_axis(op, x, hk, "c", syno_range_make(0, 0));
    int st[2] = {-1, -1};
    node(op, SYNO_PRIM_STRIDE, c, -1, V(K), st);
    syno_op_add_output(op, a, syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    syno_op_add_output(op, st[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    ok(!syno_op_finish(op) && has_error("discards elements"), "an unabsorbed stride");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    int d1 = syno_op_new_dim(op, "d1", syno_range_make(0, 0));
    int d2 = syno_op_new_dim(op, "d2", syno_range_make(0, 0));
    int o1[2] = {d1, -1}, o2[2] = {d2, -1};
    node(op, SYNO_PRIM_SHIFT, d2, -1, syno_size_one(), o1);
    node(op, SYNO_PRIM_SHIFT, d1, -1, syno_size_one(), o2);
    node(op, SYNO_PRIM_SUM, a, -1, syno_size_one(), NULL);
    ok(!syno_op_finish(op) && has_error("cycle"), "a cycle");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(CIN), "a", syno_range_make(0, 0));
    int sp[2] = {-1, -1};
    node(op, SYNO_PRIM_SPLIT, a, -1, V(CIN), sp);
    syno_op_add_output(op, sp[0], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    syno_op_add_output(op, sp[1], syno_range_make(0, 0), NULL, syno_range_make(0, 0));
    ok(!syno_op_finish(op) && has_error("size 1"), "a split leaving size 1");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(CIN), "a", syno_range_make(0, 0));
    node(op, SYNO_PRIM_SPLIT, a, -1, V(H), fresh2(sp));
    ok(!syno_op_finish(op) && has_error("does not divide"), "a split by a non-divisor");

    op = fresh();
    x = syno_op_add_tensor(op, "x", syno_range_make(0, 0));
    a = syno_op_add_axis(op, x, V(H), "a", syno_range_make(0, 0));
    int u[2] = {-1, -1};
    node(op, SYNO_PRIM_UNFOLD, a, -1, V(W), u);
    ok(!syno_op_finish(op) && has_error("must be a coefficient"), "an unfold window that is not a coefficient");

    syno_arena_free(arena);
    syno_diags_fini(&diags);
    syno_srcmgr_free(srcs);
    return tap_done();
}
