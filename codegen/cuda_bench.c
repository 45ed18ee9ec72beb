/* cuda_bench.c - the measurements of `syno bench --backend cuda` (see
 * cuda_bench.h).
 *
 * The programs are those of `syno run --backend cuda` (staged plans,
 * tilings from the tuner).  All passes of one call run back to back on
 * the GPU; a timed call is every launch of every pass between two events,
 * so host overhead between kernels is included, as a framework would see
 * it.  Inputs are uniform in [-1, 1) from the seed (values do not change
 * FP32 speed). */
#include "codegen/cuda_bench.h"

#include "base/clock.h"
#include "codegen/cuda_latency.h"

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

/* Measures OP on GPU 0 (see cuda_bench.h). */
bool syno_cuda_bench(const syno_op *op, const syno_binding *b, const syno_cuda_bench_opts *o,
                     syno_cuda_bench_result *r, syno_buf *err)
{
    memset(r, 0, sizeof *r);
    syno_cuda_oprun B;
    memset(&B, 0, sizeof B);
    syno_cuda_rt *rt = syno_cuda_rt_shared(err);
    double prep0 = 1e3 * syno_clock_wall();
    bool ok = rt && syno_cuda_oprun_init(&B, rt, op, b, o->grad, o->tune, o->seed, err);
    r->prepare_ms = 1e3 * syno_clock_wall() - prep0;
    r->median_ms = r->min_ms = r->cold_ms = r->warm_ms = NAN;
    ok = ok && syno_cuda_oprun_time(&B, o->warmup, o->repeat, &r->median_ms, &r->min_ms, err);
    ok = ok && cold_compile(&B, &r->cold_ms, err) && warm_load(&B, &r->warm_ms, err);
    if (ok) {
        const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(B.rt));
        snprintf(r->device, sizeof r->device, "%s", info->name);
        r->arch = info->arch;
        r->direct_flops = B.direct_flops;
        r->plan_flops = B.plan_flops;
        r->nkernels = B.nkernels;
        int n = 0;
        for (int p = 0; p < B.npass; p++) n += B.prog[p]->nsrcs;
        r->srcs = syno_xcalloc((size_t)n, sizeof *r->srcs);
        for (int p = 0; p < B.npass; p++)
            for (int s = 0; s < B.prog[p]->nsrcs; s++, r->nsrcs++) {
                syno_cuda_bench_source *x = &r->srcs[r->nsrcs];
                snprintf(x->what, sizeof x->what, "%s", B.prog[p]->srcs[s].what);
                syno_cuda_tile_str(&B.prog[p]->srcs[s].tile, x->tiling, sizeof x->tiling);
            }
    }
    syno_cuda_oprun_fini(&B);
    if (!ok) syno_cuda_bench_result_fini(r);
    return ok;
}

/* Releases what R owns (see cuda_bench.h). */
void syno_cuda_bench_result_fini(syno_cuda_bench_result *r)
{
    free(r->srcs);
    memset(r, 0, sizeof *r);
}
