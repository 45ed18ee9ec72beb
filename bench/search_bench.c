/* search_bench.c - speed and memory of the synthesis engine (not a test):
 * an exhaustive enumeration of a spec's space (CPU time, states, finals,
 * peak resident memory, where the candidates went) and random sampling
 * (random walks to final operators per second).  bench/search.sh runs it
 * on the reference implementation's sampler space.
 *
 *   search_bench SPEC [--depth D] [--samples N] [--seed S] [--jobs N]
 * (with --jobs the CPU time is that of all threads; see the wall time) */
#include "base/clock.h"
#include "search/algo.h"
#include "search/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: search_bench SPEC [--depth D] [--samples N] [--seed S] [--jobs N]\n");
        return 2;
    }
    int depth = 0, samples = 2000, jobs = 1;
    uint64_t seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--depth") == 0) depth = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--samples") == 0) samples = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0) seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--jobs") == 0) jobs = atoi(argv[i + 1]);
    }
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = syno_search_find_spec(ctx, argv[1]);
    if (!spec) {
        syno_diags_print(&ctx->diags, stderr);
        return 1;
    }
    /* exhaustive enumeration */
    double t0 = syno_clock_cpu();
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    if (depth) syno_space_set_depth(sp, depth);
    syno_enum_result r;
    syno_enumerate(sp, jobs, NULL, NULL, &r);
    double t1 = syno_clock_cpu();
    printf("enumerate %s depth %d: %.3f s CPU, %.3f s wall (%d thread%s), peak RSS %.1f MB\n", spec->name, r.depth,
           t1 - t0, r.seconds, jobs, jobs == 1 ? "" : "s", peak_kb() / 1024.0);
    printf("  partial operators %llu distinct, %llu children generated, %llu merged (hash-consing)\n",
           (unsigned long long)r.states, (unsigned long long)r.generated, (unsigned long long)r.merged);
    printf("  final operators %llu (%llu before canonical dedup)\n", (unsigned long long)r.finals,
           (unsigned long long)r.finals_raw);
    uint64_t cand = r.generated + 1, rej = 0;
    for (int k = 0; k < SYNO_RULE_COUNT; k++) rej += r.rejected[k];
    cand += rej;
    printf("  candidates examined %llu: kept %.2f%%\n", (unsigned long long)cand, 100.0 * (double)(r.generated + 1) / (double)cand);
    static const char *const cls[] = {"limit", "canonical", "guidance", "final"};
    for (int k = 0; k < SYNO_RULE_COUNT; k++)
        if (r.rejected[k])
            printf("    %-22s %-10s %12llu  %6.2f%%\n", syno_rules[k].name, cls[syno_rules[k].cls],
                   (unsigned long long)r.rejected[k], 100.0 * (double)r.rejected[k] / (double)cand);
    printf("    %-22s %-10s %12llu  %6.2f%% of the children\n", "lattice-dedup", "hash-cons", (unsigned long long)r.merged,
           100.0 * (double)r.merged / (double)(r.generated ? r.generated : 1));
    syno_space_free(sp);
    /* random sampling, in a fresh space */
    if (samples > 0) {
        sp = syno_space_new(spec, &ctx->diags);
        if (depth) syno_space_set_depth(sp, depth);
        syno_rng rng;
        syno_rng_seed(&rng, seed);
        syno_walker w;
        syno_walker_init(&w, sp, &rng);
        sx_memo seen;
        memset(&seen, 0, sizeof seen);
        int got = 0, distinct = 0;
        double s0 = syno_clock_cpu();
        for (int i = 0; i < samples; i++) {
            int ns;
            syno_final *f = syno_walk(&w, syno_space_root(sp), 100, NULL, NULL, 0, &ns);
            if (!f) {
                if (syno_walker_dead(&w, syno_space_root(sp))) break;
                continue;
            }
            got++;
            int32_t v;
            if (!sx_memo_get(&seen, f->hash, &v)) sx_memo_put(&seen, f->hash, 1), distinct++;
        }
        double s1 = syno_clock_cpu();
        printf("random sampling: %d walks to a final in %.3f s CPU: %.0f finals/s (%d distinct, %.0f distinct/s)\n",
               got, s1 - s0, got / (s1 - s0), distinct, distinct / (s1 - s0));
        sx_memo_fini(&seen);
        syno_walker_fini(&w);
        syno_space_free(sp);
    }
    syno_ctx_free(ctx);
    return 0;
}
