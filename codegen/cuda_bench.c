/* cuda_bench.c - `syno bench --backend cuda` (see cuda_bench.h).
 *
 * The programs are those of `syno run --backend cuda` (staged plans,
 * tilings from the tuner).  All passes of one call run back to back on
 * the GPU; a timed call is every launch of every pass between two events,
 * so host overhead between kernels is included, as a framework would see
 * it.  Inputs are uniform in [-1, 1) from the seed (values do not change
 * FP32 speed). */
#include "codegen/cuda_bench.h"

#include "base/clock.h"
#include "base/num.h"
#include "codegen/cuda_latency.h"
#include "interp/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Times preparing every program on a fresh runtime over the same cache:
 * what a new process pays with a warm disk cache.  *MS per kernel. */
static bool warm_load(syno_cuda_oprun *B, double *ms, syno_buf *err)
{
    const char *dir = syno_cuda_cache_dir(syno_cuda_rt_cache(B->rt));
    *ms = NAN;
    if (!dir) return true; /* no disk cache: nothing to measure */
    syno_cuda_rt *rt2 = syno_cuda_rt_open(0, dir, err);
    if (!rt2) return false;
    double t0 = (1e3 * syno_clock_wall());
    bool ok = true;
    for (int p = 0; p < B->npass && ok; p++) {
        syno_cuda_exe *e = syno_cuda_exe_new(rt2, B->prog[p], err);
        ok = e != NULL;
        syno_cuda_exe_free(e);
    }
    *ms = ((1e3 * syno_clock_wall()) - t0) / (B->nsrcs ? B->nsrcs : 1);
    if (syno_cuda_rt_get_stats(rt2).compiled) *ms = NAN; /* the disk cache did not keep them */
    syno_cuda_rt_close(rt2);
    return ok;
}

/* Compiles every source again without the cache: the cold cost per kernel. */
static bool cold_compile(syno_cuda_oprun *B, double *ms, syno_buf *err)
{
    const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(B->rt));
    syno_cuda_target target;
    int arch;
    if (!syno_cuda_jit_choose(info->arch, &target, &arch, err)) return false;
    double total = 0;
    for (int p = 0; p < B->npass; p++)
        for (int s = 0; s < B->prog[p]->nsrcs; s++) {
            syno_cuda_image img;
            if (!syno_cuda_jit_compile(B->prog[p]->srcs[s].text, "syno_kernel.cu", target, arch, &img, err)) return false;
            total += img.compile_ms;
            syno_cuda_image_fini(&img);
        }
    *ms = total / (B->nsrcs ? B->nsrcs : 1);
    return true;
}

/* `syno bench --backend cuda` (see cuda_bench.h). */
int syno_cuda_bench(syno_ctx *ctx, const syno_op *op, const syno_binding *b, const syno_cuda_bench_opts *o, FILE *f)
{
    syno_buf report = SYNO_BUF_INIT, *out = &report;
    syno_buf err = SYNO_BUF_INIT;
    syno_cuda_oprun B;
    memset(&B, 0, sizeof B);
    syno_cuda_rt *rt = syno_cuda_rt_shared(&err);
    double prep0 = (1e3 * syno_clock_wall());
    bool ok = rt && syno_cuda_oprun_init(&B, rt, op, b, o->grad, o->tune, o->seed, &err);
    double prep = (1e3 * syno_clock_wall()) - prep0;
    double median = NAN, min = NAN;
    ok = ok && syno_cuda_oprun_time(&B, o->warmup, o->repeat, &median, &min, &err);
    double cold = NAN, warm = NAN;
    ok = ok && cold_compile(&B, &cold, &err) && warm_load(&B, &warm, &err);
    if (ok) {
        const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(B.rt));
        syno_buf bt = SYNO_BUF_INIT;
        syno_cli_print_binding(op, b, &bt);
        double gflops = B.direct_flops / (median * 1e-3) / 1e9, pgflops = B.plan_flops / (median * 1e-3) / 1e9;
        if (o->json) {
            syno_json j;
            syno_json_init(&j, out);
            syno_json_begin_object(&j);
            syno_json_key(&j, "operator");
            syno_json_string(&j, op->name);
            syno_json_key(&j, "binding");
            syno_json_string(&j, syno_buf_str(&bt));
            syno_json_key(&j, "backend");
            syno_json_string(&j, "cuda");
            syno_json_key(&j, "device");
            syno_json_string(&j, info->name);
            syno_json_key(&j, "pass");
            syno_json_string(&j, o->grad ? "forward+backward" : "forward");
            syno_json_key(&j, "repeat");
            syno_json_int(&j, o->repeat);
            syno_json_key(&j, "warmup");
            syno_json_int(&j, o->warmup);
            syno_json_key(&j, "median_s");
            syno_json_double(&j, median * 1e-3);
            syno_json_key(&j, "min_s");
            syno_json_double(&j, min * 1e-3);
            syno_json_key(&j, "gflops");
            syno_json_double(&j, gflops);
            syno_json_key(&j, "plan_gflops");
            syno_json_double(&j, pgflops);
            syno_json_key(&j, "flops");
            syno_json_double(&j, B.direct_flops);
            syno_json_key(&j, "plan_flops");
            syno_json_double(&j, B.plan_flops);
            syno_json_key(&j, "kernels");
            syno_json_int(&j, B.nkernels);
            syno_json_key(&j, "sources");
            syno_json_int(&j, B.nsrcs);
            syno_json_key(&j, "cold_compile_ms_per_source");
            syno_json_double(&j, cold);
            syno_json_key(&j, "warm_load_ms_per_source");
            syno_json_double(&j, warm);
            syno_json_key(&j, "prepare_ms");
            syno_json_double(&j, prep);
            syno_json_key(&j, "tilings");
            syno_json_begin_array(&j);
            for (int p = 0; p < B.npass; p++)
                for (int s = 0; s < B.prog[p]->nsrcs; s++) {
                    char t[64];
                    syno_json_string(&j, syno_cuda_tile_str(&B.prog[p]->srcs[s].tile, t, sizeof t));
                }
            syno_json_end_array(&j);
            syno_json_end_object(&j);
            syno_buf_putc(out, '\n');
        } else {
            syno_buf_printf(out, "bench %s, %s, %s, cuda backend on %s (sm_%d)\n", op->name,
                            o->grad ? "forward + backward (every gradient)" : "forward", syno_buf_str(&bt), info->name,
                            info->arch);
            syno_buf_printf(out, "  median %.4f ms  (min %.4f; %d runs after %d warm-up)  %.1f GFLOP/s  (plan: %.1f)\n",
                            median, min, o->repeat, o->warmup, gflops, pgflops);
            for (int p = 0; p < B.npass; p++)
                for (int s = 0; s < B.prog[p]->nsrcs; s++) {
                    char t[64];
                    syno_buf_printf(out, "  %s: %s\n", B.prog[p]->srcs[s].what,
                                    syno_cuda_tile_str(&B.prog[p]->srcs[s].tile, t, sizeof t));
                }
            syno_buf_printf(out, "  %d kernels in %d sources: cold NVRTC compile %.0f ms per source, "
                                 "warm load from the disk cache %.2f ms per source\n",
                            B.nkernels, B.nsrcs, cold, warm);
            syno_buf_puts(out, "  FLOPs per call: direct ");
            syno_num_human(B.direct_flops, "FLOP", out);
            syno_buf_puts(out, ", plan ");
            syno_num_human(B.plan_flops, "FLOP", out);
            syno_buf_puts(out, "; GFLOP/s = direct FLOPs / median time\n");
        }
        syno_buf_fini(&bt);
    } else {
        syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s", syno_buf_str(&err));
    }
    syno_cuda_oprun_fini(&B);
    syno_buf_fini(&err);
    fputs(syno_buf_str(&report), f);
    syno_buf_fini(&report);
    return ok ? SYNO_EXIT_OK : SYNO_EXIT_USER;
}
