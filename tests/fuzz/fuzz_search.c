/* fuzz_search.c - the search-block harness: an input is a .syno file.
 *
 * When it checks clean, the space of each of its first two search blocks
 * is built (or refused with a reason) and walked breadth-first to depth 4
 * (at most WALK_STATES partial operators, each finalized; the children of
 * the first WALK_EXPAND, then only while the queue has room): every final
 * operator must be finished and clean, have the hash the space gives it,
 * and reparse from graph_print with the same hash.  Then `syno reach`
 * must answer (in the space, or why not) for a standard-library operator
 * chosen by the input. */
#include "tests/fuzz/fuzz.h"

#include "lang/graph_print.h"
#include "lang/module.h"
#include "search/reach.h"
#include "search/space.h"

#include <stdlib.h>
#include <string.h>

#define WALK_DEPTH 4
#define WALK_STATES 200
/* states whose children are generated even when the queue is full (the
 * distances of a space without allowances cost an instrumented build up to
 * half a second a state) */
#define WALK_EXPAND 20
#define WALK_FINALS 50

static const char *const targets[] = {"conv2d", "conv1x1", "linear", "depthwise_conv2d", "group_conv2d",
                                      "avgpool2d", "shift_conv", "pooled_conv2d"};

static void check_final(syno_space *sp, const syno_final *f)
{
    const syno_op *op = f->op;
    FUZZ_CHECK(op->finished && op->errors == 0, "a final operator has errors");
    FUZZ_CHECK(syno_space_final_hash(sp, op) == f->hash, "a final's hash is not the space's hash of it");
    syno_buf text = SYNO_BUF_INIT;
    syno_graph_print_module(op, "final", SYNO_PRINT_NEST, NULL, NULL, &text);
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx, "final", syno_buf_str(&text), text.len);
    if (ctx->diags.errors) syno_diags_print(&ctx->diags, stderr);
    FUZZ_CHECK(m && m->errors == 0 && m->nops == 1, "a final operator does not reparse clean:\n%s", syno_buf_str(&text));
    FUZZ_CHECK(syno_space_final_hash(sp, m->ops[0]) == f->hash, "a final operator reparses to another hash:\n%s",
               syno_buf_str(&text));
    syno_ctx_free(ctx);
    syno_buf_fini(&text);
}

static void walk(syno_ctx *ctx, const syno_spec *spec)
{
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    if (!sp) return;
    if (spec->depth > WALK_DEPTH) syno_space_set_depth(sp, WALK_DEPTH);
    const syno_pstate **queue = syno_xmalloc(WALK_STATES * sizeof *queue);
    int head = 0, tail = 0, nfinals = 0;
    queue[tail++] = syno_space_root(sp);
    syno_buf text = SYNO_BUF_INIT;
    while (head < tail) {
        const syno_pstate *st = queue[head++];
        syno_buf_clear(&text);
        syno_space_describe(sp, st, &text);
        syno_final **fs;
        int nf = syno_space_finals(sp, st, true, &fs);
        for (int i = 0; i < nf; i++) {
            if (nfinals++ < WALK_FINALS) check_final(sp, fs[i]);
            syno_final_free(fs[i]);
        }
        free(fs);
        if (tail == WALK_STATES && head > WALK_EXPAND) continue; /* the queue is full: enough states expanded */
        const syno_child *kids;
        int n = syno_space_children(sp, st, &kids);
        for (int i = 0; i < n && tail < WALK_STATES; i++) {
            syno_space_describe_step(sp, &kids[i].step, &text);
            queue[tail++] = kids[i].state;
        }
    }
    free(queue);
    syno_buf_fini(&text);
    syno_space_free(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx, "fuzz.syno", (const char *)data, size);
    syno_diags_print(&ctx->diags, fuzz_devnull());
    if (m && m->errors == 0) {
        for (int i = 0; i < m->nspecs && i < 2; i++) walk(ctx, m->specs[i]);
        if (m->nspecs) {
            const char *name = targets[(size ? data[size - 1] : 0) % SYNO_ARRAY_LEN(targets)];
            syno_op *target = syno_ctx_stdlib_op(ctx, name);
            FUZZ_CHECK(target, "no standard-library operator %s", name);
            syno_reach r;
            if (syno_reach_run(m->specs[0], target, &ctx->diags, &r)) {
                FUZZ_CHECK(r.reachable ? r.nsteps == r.depth : r.reason != NULL,
                           "reach answers neither a path nor a reason for %s", name);
                syno_reach_fini(&r);
            }
        }
    }
    syno_diags_print(&ctx->diags, fuzz_devnull());
    syno_ctx_free(ctx);
    return 0;
}
