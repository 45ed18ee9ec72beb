/* fuzz_lang.c - the language harness: an input is a .syno file.
 *
 * It is parsed and checked (the diagnostics are printed, to nowhere).
 * When it has no syntax error, `syno fmt`'s text must parse without one,
 * format to itself and hold the same operators with the same canonical
 * hashes.  For every operator that checks clean:
 *   - explain (formula, shapes, parameters, FLOPs) symbolically and under
 *     every bind block of the file that binds all of its variables, and
 *     under those that keep it small, the CPU executor against the
 *     reference evaluator, forward and every gradient;
 *   - `syno export --pytorch`, unbound and planned for each such bind
 *     block (it cannot fail);
 *   - `syno canon`: the canonical text must parse and check clean, hash the
 *     same and be its own canonical text;
 *   - graph_print, plain and nested: the text must parse and check clean
 *     and have the same canonical hash. */
#include "tests/fuzz/fuzz.h"

#include "codegen/pytorch.h"
#include "interp/backend.h"
#include "interp/eval.h"
#include "interp/explain.h"
#include "lang/canon.h"
#include "lang/fmt.h"
#include "lang/graph_print.h"
#include "lang/module.h"
#include "lang/sema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static syno_canon *canon;

/* The canonical hash of OP; false when the rewriter refuses it (only for a
 * reason that a clean operator may have). */
static bool hash_of(const syno_op *op, uint64_t *h)
{
    if (syno_canon_hash(canon, op, NULL, h)) return true;
    const char *why = syno_canon_error(canon);
    FUZZ_CHECK(strstr(why, "more than 32 axes"), "canon refuses clean operator %s: %s", op->name, why);
    return false;
}

/* Loads TEXT (made by syno from a clean operator) and returns its only
 * operator, which must check clean. */
static const syno_op *reload(syno_ctx *ctx, const char *what, const char *text, size_t len)
{
    syno_module *m = syno_ctx_load_string(ctx, what, text, len);
    if (ctx->diags.errors) syno_diags_print(&ctx->diags, stderr);
    FUZZ_CHECK(m && m->errors == 0 && m->nops == 1, "the %s text does not check clean:\n%s", what, text);
    return m->ops[0];
}

/* max |GOT - WANT| over max SCALE: the error against the magnitude of
 * the terms summed (the reference on the inputs' absolute values), which
 * float32 rounding stays far below whatever cancels (tests/unit/t_cpu.c). */
static double scaled_error(const syno_array *got, const syno_array *want, const syno_array *scale)
{
    double d = 0, m = 0;
    for (int64_t i = 0; i < want->numel; i++) {
        if (isnan(got->data[i]) != isnan(want->data[i])) return INFINITY;
        if (!isnan(want->data[i])) d = fmax(d, fabs(got->data[i] - want->data[i]));
        m = fmax(m, scale->data[i]);
    }
    return m > 0 ? d / m : d;
}

/* Under a binding that keeps it small (at most SMALL_TERMS terms and
 * SMALL_NUMEL elements a tensor), the CPU executor must compute what the
 * reference evaluator does, forward and every gradient, within its
 * tolerance (`syno run --backend cpu --check`), the error measured against
 * the magnitude of the terms; it may refuse an operator with a reason. */
#define SMALL_TERMS 2e4
#define SMALL_NUMEL 100000
static void check_cpu(const syno_op *op, const syno_binding *b, const int64_t *sizes)
{
    if (syno_ref_terms(op, sizes) > SMALL_TERMS) return;
    for (int t = SYNO_OP_OUT; t < op->ntensors; t++) {
        int64_t n = syno_op_tensor_numel(op, sizes, t);
        if (n < 0 || n > SMALL_NUMEL) return;
    }
    const syno_backend *be[2] = {syno_backend_find("ref"), syno_backend_find("cpu")};
    syno_rng r;
    syno_rng_seed(&r, 1);
    /* [0] the data, [1] its absolute values (for the scale) */
    syno_array *x[2], *w[2][SYNO_MAX_TENSORS] = {{NULL}}, *dy[2], *y[3], *g[3][SYNO_MAX_TENSORS] = {{NULL}};
    for (int a = 0; a < 2; a++) {
        x[a] = syno_ref_array_new(op, sizes, 0);
        dy[a] = syno_ref_array_new(op, sizes, SYNO_OP_OUT);
        for (int t = 1; t < op->ntensors; t++) w[a][t - 1] = syno_ref_array_new(op, sizes, t);
    }
    syno_array_fill_uniform(x[0], &r, -1, 1);
    syno_array_fill_uniform(dy[0], &r, -1, 1);
    for (int t = 1; t < op->ntensors; t++) syno_array_fill_uniform(w[0][t - 1], &r, -1, 1);
    for (int64_t i = 0; i < x[0]->numel; i++) x[1]->data[i] = fabsf(x[0]->data[i]);
    for (int64_t i = 0; i < dy[0]->numel; i++) dy[1]->data[i] = fabsf(dy[0]->data[i]);
    for (int t = 1; t < op->ntensors; t++)
        for (int64_t i = 0; i < w[0][t - 1]->numel; i++) w[1][t - 1]->data[i] = fabsf(w[0][t - 1]->data[i]);
    bool ran = true;
    syno_buf err = SYNO_BUF_INIT;
    for (int k = 0; k < 3; k++) { /* ref, cpu, ref on the absolute values */
        int a = k == 2;
        y[k] = syno_ref_array_new(op, sizes, SYNO_OP_OUT);
        for (int t = 0; t < op->ntensors; t++) g[k][t] = syno_ref_array_new(op, sizes, t);
        syno_backend_call c = {op, b, sizes, x[a], (const syno_array *const *)w[a], y[k], dy[a], g[k][0], g[k] + 1};
        const syno_backend *bk = be[k == 1];
        if (ran && !(bk->forward(&c, &err) && bk->backward(&c, &err))) {
            FUZZ_CHECK(k == 1, "the reference evaluator fails: %s", syno_buf_str(&err));
            ran = false; /* the CPU executor refuses it, with a reason */
        }
    }
    for (int t = -1; ran && t < op->ntensors; t++) {
        double e = t < 0 ? scaled_error(y[1], y[0], y[2]) : scaled_error(g[1][t], g[0][t], g[2][t]);
        FUZZ_CHECK(e <= be[1]->tolerance, "cpu differs from ref by %g on %s %s", e, t < 0 ? "the output" : "the gradient of",
                   t < 0 ? "" : op->tensors[t].name);
    }
    syno_buf_fini(&err);
    for (int a = 0; a < 2; a++) {
        syno_array_free(x[a]);
        syno_array_free(dy[a]);
        for (int t = 0; t < SYNO_MAX_TENSORS; t++) syno_array_free(w[a][t]);
    }
    for (int k = 0; k < 3; k++) {
        syno_array_free(y[k]);
        for (int t = 0; t < SYNO_MAX_TENSORS; t++) syno_array_free(g[k][t]);
    }
}

/* `syno export --pytorch`, which cannot fail: a module class comes out,
 * planned for B, or (B NULL) for sizes the exporter picks. */
static void export_pytorch(const syno_op *op, const syno_binding *b)
{
    syno_buf py = SYNO_BUF_INIT;
    syno_pytorch_emit(op, b, b, "fuzz.syno", &py);
    FUZZ_CHECK(strstr(syno_buf_str(&py), "class ") != NULL, "no module class in the export of %s", op->name);
    syno_buf_fini(&py);
}

static void explain(syno_ctx *ctx, const syno_module *m, const syno_op *op)
{
    syno_buf out = SYNO_BUF_INIT;
    syno_binding b;
    syno_binding_defaults(op->vars, &b);
    syno_explain_text(op, &b, NULL, &out);
    export_pytorch(op, NULL);
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    for (int i = 0; i < m->nbinds; i++) {
        syno_sema_binding(m, &m->binds[i], &b);
        if (!syno_op_binds_all(op, &b)) continue;
        syno_buf_clear(&out);
        if (!syno_explain_bind(ctx, op, &b, sizes)) continue;
        syno_explain_text(op, &b, sizes, &out);
        check_cpu(op, &b, sizes);
        export_pytorch(op, &b);
    }
    syno_diags_clear(&ctx->diags);
    free(sizes);
    syno_buf_fini(&out);
}

static void canon_round_trip(const syno_op *op, uint64_t h)
{
    syno_canon_result r;
    FUZZ_CHECK(syno_canon_run(canon, op, NULL, &r), "canon_run fails where canon_hash did: %s", syno_canon_error(canon));
    FUZZ_CHECK(r.hash == h, "canon_run and canon_hash disagree on %s", op->name);
    syno_ctx *ctx = syno_ctx_new();
    const syno_op *again = reload(ctx, "canonical", r.text, r.len);
    syno_canon_result r2;
    FUZZ_CHECK(syno_canon_run(canon, again, NULL, &r2), "the canonical text does not canonicalize: %s",
               syno_canon_error(canon));
    FUZZ_CHECK(r2.hash == h && strcmp(r2.text, r.text) == 0,
               "the canonical text is not its own canonical form:\n%s\nbecomes\n%s", r.text, r2.text);
    syno_canon_result_fini(&r2);
    syno_canon_result_fini(&r);
    syno_ctx_free(ctx);
}

static void print_round_trip(const syno_op *op, unsigned flags, uint64_t h, bool hashed)
{
    syno_buf text = SYNO_BUF_INIT;
    syno_graph_print_module(op, NULL, flags, NULL, NULL, &text);
    syno_ctx *ctx = syno_ctx_new();
    const syno_op *again = reload(ctx, "graph_print", syno_buf_str(&text), text.len);
    uint64_t h2;
    if (hashed) {
        FUZZ_CHECK(hash_of(again, &h2) && h2 == h, "graph_print changes the canonical hash of %s:\n%s", op->name,
                   syno_buf_str(&text));
    }
    syno_ctx_free(ctx);
    syno_buf_fini(&text);
}

/* fmt: the formatted text parses, is formatted already, and holds the same
 * operators (clean ones with the same hashes). */
static void fmt_round_trip(const syno_module *m)
{
    syno_buf once = SYNO_BUF_INIT, twice = SYNO_BUF_INIT;
    syno_fmt_module(m, &once);
    syno_ctx *ctx = syno_ctx_new();
    syno_module *f = syno_ctx_load_string(ctx, "formatted", syno_buf_str(&once), once.len);
    FUZZ_CHECK(f && f->syntax_errors == 0, "the formatted text has syntax errors:\n%s", syno_buf_str(&once));
    syno_fmt_module(f, &twice);
    FUZZ_CHECK(once.len == twice.len && memcmp(syno_buf_str(&once), syno_buf_str(&twice), once.len) == 0,
               "fmt is not idempotent:\n%s\nbecomes\n%s", syno_buf_str(&once), syno_buf_str(&twice));
    FUZZ_CHECK(f->nops == m->nops, "fmt changes the number of operators from %d to %d", m->nops, f->nops);
    for (int i = 0; i < m->nops; i++) {
        const syno_op *a = m->ops[i], *b = f->ops[i];
        FUZZ_CHECK(!a->name == !b->name && (!a->name || strcmp(a->name, b->name) == 0), "fmt renames operator %d", i);
        if (a->errors) continue;
        FUZZ_CHECK(!b->errors, "operator %s checks clean but not after fmt:\n%s", a->name, syno_buf_str(&once));
        uint64_t ha, hb;
        if (hash_of(a, &ha)) FUZZ_CHECK(hash_of(b, &hb) && ha == hb, "fmt changes the canonical hash of %s", a->name);
    }
    syno_ctx_free(ctx);
    syno_buf_fini(&once);
    syno_buf_fini(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!canon) canon = syno_canon_new();
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx, "fuzz.syno", (const char *)data, size);
    syno_diags_print(&ctx->diags, fuzz_devnull());
    syno_diags_clear(&ctx->diags);
    if (m && m->syntax_errors == 0) fmt_round_trip(m);
    for (int i = 0; m && i < m->nops; i++) {
        const syno_op *op = m->ops[i];
        if (op->errors) continue;
        explain(ctx, m, op);
        uint64_t h = 0;
        bool hashed = hash_of(op, &h);
        if (hashed) canon_round_trip(op, h);
        print_round_trip(op, 0, h, hashed);
        print_round_trip(op, SYNO_PRINT_NEST, h, hashed);
    }
    syno_ctx_free(ctx);
    return 0;
}
