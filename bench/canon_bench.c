/* canon_bench.c - how fast the canonical rewriter is: canonicalizations per
 * second on the standard library, on random operators of depth 8-12, and
 * on partial operators (random operators with their top cut away, as the
 * bottom-up search sees them), through the full path (text, hash and the
 * weight re-indexing: syno_canon_run) and the hash-only path the search
 * uses (syno_canon_hash), side by side.
 *
 *   bench/canon_bench [--ops N] [--seed S] [--time SECONDS] [--rounds R]
 *
 * Each figure is the median over R rounds of one pass over the workload
 * repeated for at least SECONDS/R seconds.  Prints a table; never fails on
 * a time.  Run it from the build directory (it finds the standard library
 * through SYNO_STDLIB or the source tree). */
#include "base/clock.h"
#include "lang/canon.h"
#include "lang/module.h"
#include "lang/randop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct workload {
    const char *name;
    syno_op **ops;
    syno_canon_opts *opts;
    int n;
    double nodes;   /* average primitives per op */
} workload;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Calls per second of one path over W, median of ROUNDS rounds. */
static double rate(syno_canon *c, const workload *w, bool full, double seconds, int rounds, uint64_t *sink)
{
    double *r = calloc((size_t)rounds, sizeof *r);
    for (int i = 0; i < rounds; i++) {
        double t0 = syno_clock_wall(), t;
        long calls = 0;
        do {
            for (int k = 0; k < w->n; k++) {
                if (full) {
                    syno_canon_result res;
                    if (syno_canon_run(c, w->ops[k], &w->opts[k], &res)) *sink += res.hash;
                    syno_canon_result_fini(&res);
                } else {
                    uint64_t h = 0;
                    if (syno_canon_hash(c, w->ops[k], &w->opts[k], &h)) *sink += h;
                }
            }
            calls += w->n;
            t = syno_clock_wall() - t0;
        } while (t < seconds / rounds);
        r[i] = (double)calls / t;
    }
    qsort(r, (size_t)rounds, sizeof *r, cmp_double);
    double m = r[rounds / 2];
    free(r);
    return m;
}

/* Cuts a random set of top nodes off OP (see tests/unit/t_canon.c): the
 * dims they produced for the rest become open.  Builds the partial op in A. */
static syno_op *partial(syno_arena *a, syno_diags *d, const syno_op *op, syno_rng *r)
{
    syno_range z = syno_range_make(0, 0);
    bool *cut = syno_arena_alloc(a, (size_t)op->nnodes + 1);
    bool *above = syno_arena_alloc(a, (size_t)op->ndims + 1);
    for (int oi = 0; oi < op->norder; oi++) {
        int k = op->order[oi];
        const syno_node *n = &op->nodes[k];
        if (n->prim == SYNO_PRIM_SHARE || n->prim == SYNO_PRIM_SUM || n->prim == SYNO_PRIM_MEAN) continue;
        bool top = true;
        for (int i = 0; i < 2; i++)
            if (n->in[i] >= 0 && op->dims[n->in[i]].tensor != 0 && !above[n->in[i]]) top = false;
        if (!top || syno_rng_below(r, 3) == 0) continue;
        cut[k] = true;
        for (int i = 0; i < 2; i++)
            if (n->out[i] >= 0) above[n->out[i]] = true;
    }
    bool *used = syno_arena_alloc(a, (size_t)op->ndims + 1);
    for (int k = 0; k < op->nnodes; k++)
        if (!cut[k])
            for (int i = 0; i < 2; i++)
                if (op->nodes[k].in[i] >= 0) used[op->nodes[k].in[i]] = true;
    for (int i = 0; i < op->nout; i++) used[op->out[i]] = true;
    syno_op *c = syno_op_new(a, op->vars, d, "partial", z);
    int *map = syno_arena_alloc(a, (size_t)op->ndims * sizeof *map);
    for (int t = 0; t < op->ntensors; t++) {
        int ti = syno_op_add_tensor(c, op->tensors[t].name, z);
        for (int i = 0; i < op->tensors[t].rank; i++) {
            int dd = op->tensors[t].axes[i];
            if (used[dd]) map[dd] = syno_op_add_axis(c, ti, op->dims[dd].size, NULL, z);
        }
    }
    for (int dd = 0; dd < op->ndims; dd++)
        if (op->dims[dd].tensor < 0 && used[dd]) map[dd] = syno_op_new_dim(c, NULL, z);
    for (int k = 0; k < op->nnodes; k++) {
        if (cut[k]) continue;
        const syno_node *n = &op->nodes[k];
        int in[2] = {n->in[0] >= 0 ? map[n->in[0]] : -1, n->in[1] >= 0 ? map[n->in[1]] : -1};
        int out[2] = {n->out[0] >= 0 ? map[n->out[0]] : -1, n->out[1] >= 0 ? map[n->out[1]] : -1};
        syno_op_add_node(c, n->prim, in, NULL, n->param, n->shift, z, out);
    }
    for (int i = 0; i < op->nout; i++) syno_op_add_output(c, map[op->out[i]], z, NULL, z);
    for (int dd = 0; dd < op->ndims; dd++)
        if (used[dd]) {
            c->dims[map[dd]].size = op->dims[dd].size;
            c->dims[map[dd]].sized = true;
        }
    return c;
}

static void add(workload *w, syno_op *op)
{
    w->ops = realloc(w->ops, (size_t)(w->n + 1) * sizeof *w->ops);
    w->opts = realloc(w->opts, (size_t)(w->n + 1) * sizeof *w->opts);
    w->ops[w->n] = op;
    memset(&w->opts[w->n], 0, sizeof w->opts[w->n]);
    w->nodes += op->nnodes;
    w->n++;
}

int main(int argc, char **argv)
{
    int nops = 200, rounds = 5;
    uint64_t seed = 1;
    double seconds = 2.5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) nops = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: canon_bench [--ops N] [--seed S] [--time SECONDS] [--rounds R]\n");
            return 2;
        }
    }
    if (nops < 1 || rounds < 1 || seconds <= 0) return 2;
    if (!getenv("SYNO_STDLIB")) setenv("SYNO_STDLIB", SYNO_SRCDIR "/stdlib", 0);
    syno_ctx *ctx = syno_ctx_new();
    workload wl[3] = {{"stdlib (11 ops)", NULL, NULL, 0, 0}, {"random, depth 8-12", NULL, NULL, 0, 0},
                      {"partial (top cut)", NULL, NULL, 0, 0}};
    static const char *names[] = {"conv2d",     "conv1x1",    "group_conv2d", "depthwise_conv2d", "dilated_conv2d",
                                  "pooled_conv2d", "shift_conv", "linear",     "avgpool2d",        "syno_op1", "syno_op2"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, names[i]);
        if (op) add(&wl[0], op);
    }
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.min_depth = 8;
    o.max_depth = 12;
    syno_rng r;
    syno_rng_seed(&r, seed);
    syno_arena *a = syno_arena_new();
    syno_diags d;
    syno_diags_init(&d, NULL);
    for (int i = 0; i < nops; i++) {
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, &r, &o, &b, NULL);
        if (!op) continue;
        add(&wl[1], op);
        add(&wl[2], partial(a, &d, op, &r));
    }
    syno_canon *c = syno_canon_new();
    uint64_t sink = 0;
    printf("canonicalizations per second (median of %d rounds, %.1f s per figure)\n", rounds, seconds);
    printf("%-20s %5s %6s %14s %14s %9s %11s\n", "workload", "ops", "prims", "full/s", "hash-only/s", "hash/full",
           "us per hash");
    for (int i = 0; i < 3; i++) {
        if (!wl[i].n) continue;
        double full = rate(c, &wl[i], true, seconds, rounds, &sink);
        double fast = rate(c, &wl[i], false, seconds, rounds, &sink);
        printf("%-20s %5d %6.1f %14.0f %14.0f %9.2f %11.2f\n", wl[i].name, wl[i].n, wl[i].nodes / wl[i].n, full, fast,
               fast / full, 1e6 / fast);
    }
    printf("(checksum %016llx)\n", (unsigned long long)sink);
    syno_canon_free(c);
    for (int i = 0; i < 3; i++) {
        free(wl[i].ops);
        free(wl[i].opts);
    }
    syno_diags_fini(&d);
    syno_arena_free(a);
    syno_ctx_free(ctx);
    return 0;
}
