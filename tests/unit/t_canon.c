/* t_canon.c - unit tests of the canonical rewriter (lang/canon*.c).
 *
 * Semantics: for every standard-library operator, every operator of the
 * corpus (tests/canon) and random operators (lang/randop), the canonical
 * text parses, checks, and - evaluated by the reference evaluator with the
 * weights re-laid out by syno_canon_weight_apply - equals the original on
 * random inputs.  Idempotence: canon(canon(x)) = canon(x), and `fmt` of the
 * canonical text is the text.  Golden hashes of the standard library.  The
 * hash-only path agrees with the full path.  Partial operators: open dims,
 * tags, and the symmetry of interchangeable open dims. */
#include "base/hash.h"
#include "interp/canon_apply.h"
#include "interp/eval.h"
#include "lang/canon.h"
#include "lang/fmt.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/randop.h"
#include "tests/tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static syno_canon *cn;
static bool sanitized;

/* Loads TEXT as a module in CTX; NULL (with diagnostics printed) on errors. */
static syno_module *load(syno_ctx *ctx, const char *name, const char *text)
{
    syno_module *m = syno_ctx_load_string(ctx, name, text, strlen(text));
    if (!m || m->errors) {
        syno_buf b = SYNO_BUF_INIT;
        syno_diags_format(&ctx->diags, &b, false);
        printf("# %s does not load:\n%s", name, syno_buf_str(&b));
        syno_buf_fini(&b);
        return NULL;
    }
    return m;
}

static void print_text(const char *label, const char *text)
{
    printf("# %s:\n", label);
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        printf("#   %.*s\n", n, p);
        p += n + (e != NULL);
    }
}

/* Evaluates OP under B with the weights W (NULL: random, returned in W)
 * on input X; returns the output. */
static syno_array *run(const syno_op *op, const syno_binding *b, const syno_array *x, syno_array **w)
{
    int64_t *sizes = malloc((size_t)op->ndims * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        free(sizes);
        return NULL;
    }
    syno_array *out = syno_ref_array_new(op, sizes, SYNO_OP_OUT);
    syno_ref_forward_f32(op, sizes, x, (const syno_array *const *)w, out);
    free(sizes);
    return out;
}

/* Full check of one operator: canonical text loads, is formatted, is a
 * fixpoint, hash paths agree, and (with a binding) the canonical op with
 * re-laid-out weights computes what OP computes.  Returns the number of
 * failed checks (each reported). */
static int check_op(const syno_op *op, const syno_binding *b, const char *what, syno_rng *rng)
{
    syno_canon_result r;
    if (!syno_canon_run(cn, op, NULL, &r)) {
        ok(0, "%s: canonicalizes (%s)", what, syno_canon_error(cn));
        return 1;
    }
    int bad = 0;
    uint64_t h = 0;
    bad += !syno_canon_hash(cn, op, NULL, &h) || h != r.hash;
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = load(ctx, "canonical.syno", r.text);
    syno_op *c = m ? syno_module_find_op(m, "canonical") : NULL;
    if (!c) {
        print_text("canonical text", r.text);
        bad++;
    } else {
        syno_buf f = SYNO_BUF_INIT;
        syno_fmt_module(m, &f);
        if (strcmp(syno_buf_str(&f), r.text) != 0) {
            print_text("canonical text", r.text);
            print_text("fmt changes the canonical text to", syno_buf_str(&f));
            bad++;
        }
        syno_buf_fini(&f);
        syno_canon_result r2;
        if (!syno_canon_run(cn, c, NULL, &r2)) {
            bad++;
        } else {
            if (strcmp(r2.text, r.text) != 0) {
                print_text("canonical text", r.text);
                print_text("canonical text of the canonical text", r2.text);
                bad++;
            }
            syno_canon_result_fini(&r2);
        }
    }
    if (c && b) {
        /* Semantics: the same outputs with the weights re-laid out. */
        syno_binding cb;
        memset(&cb, 0, sizeof cb);
        syno_binding_defaults(c->vars, &cb);
        for (int v = 0; v < c->vars->n; v++) {
            int o = syno_vars_find(op->vars, c->vars->v[v].name);
            if (o >= 0 && b->val[o]) cb.val[v] = b->val[o];
        }
        int64_t *sizes = malloc((size_t)op->ndims * sizeof *sizes);
        SYNO_ASSERT(syno_op_eval_sizes(op, b, sizes));
        syno_array *x = syno_ref_array_new(op, sizes, 0);
        syno_array_fill_uniform(x, rng, -1, 1);
        syno_array *w[SYNO_MAX_TENSORS] = {NULL}, *cw[SYNO_MAX_TENSORS] = {NULL};
        for (int t = 1; t < op->ntensors; t++) {
            w[t - 1] = syno_ref_array_new(op, sizes, t);
            syno_array_fill_uniform(w[t - 1], rng, -1, 1);
        }
        bool mapped = true;
        for (int j = 0; j < r.nweights; j++) {
            cw[j] = syno_canon_weight_apply(&r, j, b, w[r.weights[j].source - 1]);
            mapped &= cw[j] != NULL;
        }
        syno_array *want = run(op, b, x, w);
        syno_array *got = mapped ? run(c, &cb, x, cw) : NULL;
        double err = got && want && syno_array_same_shape(got, want) ? syno_array_max_rel_error(got, want, 1e-3) : 1e9;
        if (err > 1e-4) {
            printf("# %s: canonical op differs from the original (max rel error %g%s)\n", what, err,
                   mapped ? "" : ", weights did not map");
            print_text("canonical text", r.text);
            bad++;
        }
        syno_array_free(x);
        syno_array_free(want);
        syno_array_free(got);
        for (int t = 0; t < SYNO_MAX_TENSORS; t++) {
            syno_array_free(w[t]);
            syno_array_free(cw[t]);
        }
        free(sizes);
    }
    syno_ctx_free(ctx);
    syno_canon_result_fini(&r);
    return bad;
}

/* ---- the standard library ------------------------------------------------- */

static const struct {
    const char *op, *hash;
} stdlib_golden[] = {
    {"conv2d", "3cd4517ebf7b9a9f"},
    {"conv1x1", "2875ed717b1d6922"},
    {"group_conv2d", "4a8c38ad41964154"},
    {"depthwise_conv2d", "d03529941aa6ee45"},
    {"dilated_conv2d", "2085d943b4c857a9"},
    {"pooled_conv2d", "13e5c8bd8ecb0c2d"},
    {"shift_conv", "7ad62757f4acbf62"},
    {"linear", "44d3c22adc07a156"},
    {"avgpool2d", "a423fca7922cb066"},
    {"syno_op1", "694a19f214aab96b"},
    {"syno_op2", "43532f5eaa97328a"},
};

/* A small binding for the standard library's variables. */
static void small_binding(const syno_op *op, syno_binding *b)
{
    static const struct {
        const char *name;
        int64_t v;
    } vals[] = {{"N", 2}, {"C_in", 4}, {"C_out", 8}, {"H", 6}, {"W", 4}, {"g", 2}, {"k", 3}, {"s", 2}, {"C", 4}};
    syno_binding_defaults(op->vars, b);
    for (size_t i = 0; i < SYNO_ARRAY_LEN(vals); i++) {
        int v = syno_vars_find(op->vars, vals[i].name);
        if (v >= 0) b->val[v] = vals[i].v;
    }
}

static void test_stdlib(syno_rng *rng)
{
    syno_ctx *ctx = syno_ctx_new();
    for (size_t i = 0; i < SYNO_ARRAY_LEN(stdlib_golden); i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, stdlib_golden[i].op);
        if (!op) {
            ok(0, "stdlib %s loads", stdlib_golden[i].op);
            continue;
        }
        syno_binding b;
        small_binding(op, &b);
        if (op->nout && !syno_op_binds_all(op, &b)) printf("# binding incomplete for %s\n", stdlib_golden[i].op);
        ok(check_op(op, &b, stdlib_golden[i].op, rng) == 0, "stdlib %s: canonical form is sound and stable",
           stdlib_golden[i].op);
        uint64_t h = 0;
        char hex[17] = "";
        if (syno_canon_hash(cn, op, NULL, &h)) syno_hash_hex(h, hex);
        is_str(hex, stdlib_golden[i].hash, "stdlib %s: golden hash", stdlib_golden[i].op);
    }
    syno_ctx_free(ctx);
}

/* ---- relabeled copies ----------------------------------------------------- */

static void shuffle(syno_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)syno_rng_below(r, (uint64_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Copies OP into arena A with its weights, weight axes, dims and nodes
 * created in a random order (R) and the operands of shares swapped at
 * random: the same operator, written differently.  With CUT (per node, may
 * be NULL) the cut nodes are left out and the dims they produce for the
 * rest become open (the top of a partial operator); input axes only they
 * consume are dropped.  TAGS_IN (per dim of OP) and TAGS_OUT (per dim of
 * the copy) carry open-dim tags over when given. */
static syno_op *relabel(syno_arena *a, syno_diags *d, const syno_op *op, syno_rng *r, const bool *cut,
                        const uint32_t *tags_in, uint32_t **tags_out)
{
    syno_range z = syno_range_make(0, 0);
    syno_op *c = syno_op_new(a, op->vars, d, "copy", z);
    int *map = syno_arena_alloc(a, (size_t)op->ndims * sizeof *map);
    for (int i = 0; i < op->ndims; i++) map[i] = -1;
    bool *used = syno_arena_alloc(a, (size_t)op->ndims * sizeof *used);
    for (int k = 0; k < op->nnodes; k++) {
        if (cut && cut[k]) continue;
        for (int i = 0; i < 2; i++)
            if (op->nodes[k].in[i] >= 0) used[op->nodes[k].in[i]] = true;
    }
    for (int i = 0; i < op->nout; i++) used[op->out[i]] = true;
    int x = syno_op_add_tensor(c, op->tensors[0].name, z);
    for (int i = 0; i < op->tensors[0].rank; i++) {
        int dd = op->tensors[0].axes[i];
        if (used[dd]) map[dd] = syno_op_add_axis(c, x, op->dims[dd].size, op->dims[dd].name, z);
    }
    int wt[SYNO_MAX_TENSORS];
    for (int t = 1; t < op->ntensors; t++) wt[t - 1] = t;
    shuffle(r, wt, op->ntensors - 1);
    for (int i = 0; i + 1 < op->ntensors; i++) {
        const syno_tensor *t = &op->tensors[wt[i]];
        int ti = syno_op_add_tensor(c, t->name, z);
        int ax[64];
        for (int j = 0; j < t->rank; j++) ax[j] = j;
        shuffle(r, ax, t->rank);
        for (int j = 0; j < t->rank; j++) {
            int dd = t->axes[ax[j]];
            map[dd] = syno_op_add_axis(c, ti, op->dims[dd].size, op->dims[dd].name, z);
        }
    }
    int *dims = syno_arena_alloc(a, (size_t)op->ndims * sizeof *dims);
    int nd = 0;
    for (int dd = 0; dd < op->ndims; dd++)
        if (op->dims[dd].tensor < 0 && used[dd]) dims[nd++] = dd;
    shuffle(r, dims, nd);
    for (int i = 0; i < nd; i++) map[dims[i]] = syno_op_new_dim(c, NULL, z);
    int *nodes = syno_arena_alloc(a, (size_t)(op->nnodes + 1) * sizeof *nodes);
    int nn = 0;
    for (int k = 0; k < op->nnodes; k++)
        if (!cut || !cut[k]) nodes[nn++] = k;
    shuffle(r, nodes, nn);
    for (int i = 0; i < nn; i++) {
        const syno_node *n = &op->nodes[nodes[i]];
        int in[2] = {n->in[0] >= 0 ? map[n->in[0]] : -1, n->in[1] >= 0 ? map[n->in[1]] : -1};
        if (n->prim == SYNO_PRIM_SHARE && syno_rng_below(r, 2)) {
            int t = in[0];
            in[0] = in[1];
            in[1] = t;
        }
        int out[2] = {n->out[0] >= 0 ? map[n->out[0]] : -1, n->out[1] >= 0 ? map[n->out[1]] : -1};
        syno_op_add_node(c, n->prim, in, NULL, n->param, n->shift, z, out);
    }
    for (int i = 0; i < op->nout; i++) syno_op_add_output(c, map[op->out[i]], z, NULL, z);
    for (int dd = 0; dd < op->ndims; dd++) {
        if (map[dd] < 0) continue;
        c->dims[map[dd]].size = op->dims[dd].size;
        c->dims[map[dd]].sized = true;
    }
    if (tags_out) {
        *tags_out = syno_arena_alloc(a, (size_t)(c->ndims + 1) * sizeof **tags_out);
        for (int dd = 0; dd < op->ndims; dd++)
            if (map[dd] >= 0 && tags_in) (*tags_out)[map[dd]] = tags_in[dd];
    }
    if (!cut) syno_op_finish(c);
    return c;
}

/* Marks a random set of top nodes of OP (not shares or reductions, all
 * operands input axes or results of marked nodes) as cut.  Returns how
 * many. */
static int random_cut(const syno_op *op, syno_rng *r, bool *cut)
{
    int n = 0;
    bool *above = calloc((size_t)op->ndims, sizeof *above);
    for (int oi = 0; oi < op->norder; oi++) {
        int k = op->order[oi];
        const syno_node *nd = &op->nodes[k];
        cut[k] = false;
        if (nd->prim == SYNO_PRIM_SHARE || nd->prim == SYNO_PRIM_SUM || nd->prim == SYNO_PRIM_MEAN) continue;
        bool top = true;
        for (int i = 0; i < 2; i++) {
            int dd = nd->in[i];
            if (dd >= 0 && op->dims[dd].tensor != 0 && !above[dd]) top = false;
        }
        if (!top || syno_rng_below(r, 3) == 0) continue;
        cut[k] = true;
        n++;
        for (int i = 0; i < 2; i++)
            if (nd->out[i] >= 0) above[nd->out[i]] = true;
    }
    free(above);
    return n;
}

static void test_relabel(syno_rng *rng, int n, int min_depth, int max_depth)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.min_depth = min_depth;
    o.max_depth = max_depth;
    o.max_weights = 4;
    o.max_terms = 1e12; /* never evaluated here */
    int same = 0, partial_same = 0, partials = 0, tags_differ = 0, tagged = 0, runs = 0;
    for (int i = 0; i < n; i++) {
        syno_arena *a = syno_arena_new();
        syno_diags d;
        syno_diags_init(&d, NULL);
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, rng, &o, &b, NULL);
        if (!op) continue;
        runs++;
        uint64_t h0 = 0, h1 = 1;
        syno_op *c = relabel(a, &d, op, rng, NULL, NULL, NULL);
        bool okc = syno_canon_hash(cn, op, NULL, &h0) && syno_canon_hash(cn, c, NULL, &h1);
        if (okc && h0 == h1) same++;
        else if (same + 3 > i) {
            syno_buf t = SYNO_BUF_INIT;
            syno_graph_print_module(op, "r", SYNO_PRINT_NEST, NULL, NULL, &t);
            print_text("an op whose relabeled copy hashes differently", syno_buf_str(&t));
            syno_buf_fini(&t);
        }
        /* A partial op: the top cut away. */
        bool *cut = syno_arena_alloc(a, (size_t)op->nnodes + 1);
        if (random_cut(op, rng, cut)) {
            partials++;
            uint32_t *tags = syno_arena_alloc(a, (size_t)op->ndims * sizeof *tags), *t1, *t2;
            for (int dd = 0; dd < op->ndims; dd++) tags[dd] = (uint32_t)syno_rng_below(rng, 2);
            syno_op *p1 = relabel(a, &d, op, rng, cut, tags, &t1);
            syno_op *p2 = relabel(a, &d, op, rng, cut, tags, &t2);
            syno_canon_opts po = {0, NULL, NULL, t1, NULL}, qo = {0, NULL, NULL, t2, NULL};
            uint64_t g1 = 0, g2 = 1;
            if (syno_canon_hash(cn, p1, &po, &g1) && syno_canon_hash(cn, p2, &qo, &g2) && g1 == g2) partial_same++;
            /* Changing the tag of one open dim changes the hash. */
            int open = -1;
            for (int dd = 0; dd < p1->ndims; dd++)
                if (p1->dims[dd].src < 0 && p1->dims[dd].tensor < 0) open = dd;
            if (open >= 0) {
                tagged++;
                t1[open] += 7;
                uint64_t g3 = g1;
                if (syno_canon_hash(cn, p1, &po, &g3) && g3 != g1) tags_differ++;
            }
        }
        syno_diags_fini(&d);
        syno_arena_free(a);
    }
    ok(same == runs && runs == n,
       "depth %d-%d: relabeled copies (node, dim, weight, axis and share operand order) hash the same: %d of %d",
       min_depth, max_depth, same, runs);
    ok(partial_same == partials && partials > n / 4, "depth %d-%d: partial ops: relabeled copies hash the same: %d of %d",
       min_depth, max_depth, partial_same, partials);
    ok(tags_differ == tagged && tagged > n / 4, "depth %d-%d: partial ops: an open dim's tag is part of the hash: %d of %d",
       min_depth, max_depth, tags_differ, tagged);
}

/* Random operators: each must survive check_op.  Prints the first few
 * failures as .syno text. */
static void test_random(syno_rng *rng, int n, int min_depth, int max_depth, const char *what)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.min_depth = min_depth;
    o.max_depth = max_depth;
    o.max_terms = sanitized ? 2e4 : 1e5;
    int failed = 0, built = 0;
    for (int i = 0; i < n; i++) {
        syno_arena *a = syno_arena_new();
        syno_diags d;
        syno_diags_init(&d, NULL);
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, rng, &o, &b, NULL);
        if (op) {
            built++;
            char name[32];
            snprintf(name, sizeof name, "random op %d", i);
            if (check_op(op, &b, name, rng) && ++failed <= 3) {
                syno_buf t = SYNO_BUF_INIT;
                syno_graph_print_module(op, "r", SYNO_PRINT_NEST, &b, "b", &t);
                print_text("the random op", syno_buf_str(&t));
                syno_buf_fini(&t);
            }
        }
        syno_diags_fini(&d);
        syno_arena_free(a);
    }
    ok(built == n, "%s: %d of %d random operators built", what, built, n);
    ok(failed == 0, "%s: every canonical form is sound and stable (%d failed)", what, failed);
}

/* Every operator of the corpus (tests/canon/{eq,ne}/ *.syno) is sound. */
static void test_corpus(syno_rng *rng)
{
    static const char *const dirs[] = {SYNO_SRCDIR "/tests/canon/eq", SYNO_SRCDIR "/tests/canon/ne"};
    int files = 0, bad = 0;
    for (int di = 0; di < 2; di++) {
        DIR *dir = opendir(dirs[di]);
        if (!dir) continue;
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".syno") != 0) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dirs[di], e->d_name);
            syno_ctx *ctx = syno_ctx_new();
            syno_module *m = syno_ctx_load_file(ctx, path);
            files++;
            for (int i = 0; m && !m->errors && i < m->nops; i++) {
                syno_binding b;
                small_binding(m->ops[i], &b);
                char what[1100];
                snprintf(what, sizeof what, "%s:%s", e->d_name, m->ops[i]->name);
                if (check_op(m->ops[i], &b, what, rng)) bad++;
            }
            if (!m || m->errors) bad++;
            syno_ctx_free(ctx);
        }
        closedir(dir);
    }
    ok(files >= 60 && bad == 0, "corpus: every operator of %d files is sound and stable (%d failed)", files, bad);
}

/* Level 2: the canonical text under random unordered flags is a fixpoint
 * (with the same flags: input and output positions are kept), and
 * relabeled copies agree. */
static void test_level2(syno_rng *rng, int n, int min_depth, int max_depth)
{
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.min_depth = min_depth;
    o.max_depth = max_depth;
    o.max_weights = 4;
    o.max_terms = 1e12;
    int fix = 0, same = 0, runs = 0;
    for (int i = 0; i < n; i++) {
        syno_arena *a = syno_arena_new();
        syno_diags d;
        syno_diags_init(&d, NULL);
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, rng, &o, &b, NULL);
        if (!op) continue;
        runs++;
        bool uin[16] = {false}, uout[16] = {false};
        for (int j = 0; j < op->tensors[0].rank && j < 16; j++) uin[j] = syno_rng_below(rng, 2);
        for (int j = 0; j < op->nout && j < 16; j++) uout[j] = syno_rng_below(rng, 2);
        syno_canon_opts uo = {SYNO_CANON_UNORDERED, uin, uout, NULL, NULL};
        syno_canon_result r;
        if (syno_canon_run(cn, op, &uo, &r)) {
            syno_ctx *ctx = syno_ctx_new();
            syno_module *m = load(ctx, "c.syno", r.text);
            syno_op *c = m ? syno_module_find_op(m, "canonical") : NULL;
            syno_canon_result r2;
            if (c && syno_canon_run(cn, c, &uo, &r2)) {
                if (strcmp(r.text, r2.text) == 0) fix++;
                else if (fix + 3 > i) {
                    print_text("level 2 text", r.text);
                    print_text("level 2 text of it", r2.text);
                }
                syno_canon_result_fini(&r2);
            }
            syno_ctx_free(ctx);
            uint64_t h = 0;
            syno_op *cp = relabel(a, &d, op, rng, NULL, NULL, NULL);
            if (syno_canon_hash(cn, cp, &uo, &h) && h == r.hash) same++;
            syno_canon_result_fini(&r);
        }
        syno_diags_fini(&d);
        syno_arena_free(a);
    }
    ok(fix == runs && runs == n, "level 2, depth %d-%d: the canonical text is a fixpoint (%d of %d)", min_depth,
       max_depth, fix, runs);
    ok(same == runs, "level 2, depth %d-%d: relabeled copies hash the same (%d of %d)", min_depth, max_depth, same, runs);
}

static void test_hash_function(void)
{
    char hex[17];
    syno_hash_hex(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, "", 0), hex);
    is_str(hex, "cbf29ce484222325", "FNV-1a 64 of the empty text");
    syno_hash_hex(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, "a", 1), hex);
    is_str(hex, "af63dc4c8601ec8c", "FNV-1a 64 of \"a\"");
}

int main(void)
{
    sanitized = getenv("SYNO_SANITIZED") != NULL;
    cn = syno_canon_new();
    syno_rng rng;
    syno_rng_seed(&rng, 4);
    test_hash_function();
    test_stdlib(&rng);
    test_corpus(&rng);
    test_random(&rng, 300, 4, 12, "random depth 4-12");
    int scale = sanitized ? 2 : 1;
    test_relabel(&rng, 1200 / scale, 4, 12);
    test_relabel(&rng, 600 / scale, 14, 30);
    test_level2(&rng, 600 / scale, 4, 12);
    test_level2(&rng, 400 / scale, 14, 30);
    syno_canon_free(cn);
    return tap_done();
}
