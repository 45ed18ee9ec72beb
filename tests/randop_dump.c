/* randop_dump.c - writes random operators (lang/randop) as .syno files, for
 * tests and for debugging a backend on a failing case by hand.
 *
 *   tests/randop_dump SEED COUNT DIR [MIN_DEPTH MAX_DEPTH]
 *
 * writes DIR/randop_SEED_I.syno for I in [0, COUNT): each file declares the
 * variables, the operator (named randop) and `bind small { ... }`, so
 *   syno run DIR/randop_SEED_I.syno:randop --bind small
 * runs it.  The same SEED gives the same files on every machine. */
#include "lang/graph_print.h"
#include "lang/randop.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: randop_dump SEED COUNT DIR [MIN_DEPTH MAX_DEPTH]\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 10);
    int count = atoi(argv[2]);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    if (argc == 6) {
        o.min_depth = atoi(argv[4]);
        o.max_depth = atoi(argv[5]);
        if (o.min_depth < 1 || o.max_depth < o.min_depth) {
            fprintf(stderr, "randop_dump: bad depth range\n");
            return 2;
        }
    }
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_diags d;
    syno_diags_init(&d, NULL);
    syno_rng r;
    syno_rng_seed(&r, seed);
    int status = 0;
    for (int i = 0; i < count && !status; i++) {
        syno_arena *a = syno_arena_new();
        syno_binding b;
        syno_op *op = syno_randop(a, &vars, &d, &r, &o, &b, NULL);
        if (!op) {
            syno_diags_print(&d, stderr);
            fprintf(stderr, "randop_dump: no operator generated\n");
            status = 1;
        } else {
            syno_buf t = SYNO_BUF_INIT;
            syno_buf_printf(&t, "# randop_dump %llu: operator %d\n", (unsigned long long)seed, i);
            syno_graph_print_module(op, NULL, SYNO_PRINT_NEST, &b, "small", &t);
            char path[4096];
            snprintf(path, sizeof path, "%s/randop_%llu_%d.syno", argv[3], (unsigned long long)seed, i);
            FILE *f = fopen(path, "w");
            bool wrote = f && fwrite(t.data, 1, t.len, f) == t.len;
            if (f && fclose(f) != 0) wrote = false;
            if (!wrote) {
                perror(path);
                status = 1;
            }
            syno_buf_fini(&t);
        }
        syno_arena_free(a);
    }
    syno_diags_fini(&d);
    return status;
}
