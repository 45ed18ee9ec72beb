/* cuda_compile.c - what the CUDA backend's kernels cost to compile with
 * NVRTC (cold) and to read back from the kernel cache (warm), per source,
 * for the programs `syno run --backend cuda` builds: forward and every
 * gradient of conv2d, syno_op1 and linear at ResNet-18-like sizes, with
 * the heuristic tiling for an H100.  No GPU needed (NVRTC only): this is
 * the part of the cold/warm figures that can be measured anywhere; `syno
 * bench --backend cuda` adds the GPU's module-load time on a GPU machine.
 *
 * usage: cuda_compile [--arch 90] [--threads T]
 * Prints, per operator: sources, the median and total cold compile time
 * per source (one source at a time), the wall time of compiling all of
 * them on T threads at once (syno_cuda_cache_precompile), and the median
 * warm time per source (a fresh cache object reading the disk entries).
 * A measurement, never a test. */
#include "config.h"

#include "base/clock.h"
#include "codegen/cuda_cache.h"
#include "codegen/cuda_load.h"
#include "codegen/cuda_prog.h"
#include "codegen/plan.h"
#include "lang/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int arch = 90, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) arch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--arch 90] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    const char *why = NULL;
    const syno_nvrtc *nv = syno_cuda_nvrtc_get(&why);
    if (!nv) {
        printf("%s\n", why);
        return 1;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("NVRTC %d.%d (%s), sm_%d, %ld CPUs\n", nv->major, nv->minor, nv->path, arch, cpus);
    static const struct {
        const char *op, *bind;
    } cases[] = {
        {"conv2d", "N=128,C_in=64,C_out=64,H=56,W=56"},
        {"conv2d", "N=1,C_in=512,C_out=512,H=7,W=7"},
        {"syno_op1", "N=128,C_in=64,C_out=64,H=56,W=56"},
        {"linear", "N=1024,C_in=4096,C_out=4096"},
    };
    char dir[] = "/tmp/syno-compile-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    syno_ctx *ctx = syno_ctx_new();
    int sms = 132;
    for (size_t k = 0; k < SYNO_ARRAY_LEN(cases); k++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, cases[k].op);
        syno_binding b;
        syno_binding_defaults(op->vars, &b);
        char *spec = syno_xstrdup(cases[k].bind);
        for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
            char *eq = strchr(tok, '=');
            *eq = 0;
            b.val[syno_vars_find(op->vars, tok)] = atoll(eq + 1);
        }
        free(spec);
        const char *texts[256];
        syno_cuda_prog *progs[SYNO_MAX_TENSORS + 1] = {NULL};
        int n = 0, np = 0, kernels = 0;
        for (int wrt = -1; wrt < op->ntensors; wrt++) {
            syno_buf err = SYNO_BUF_INIT;
            syno_plan *pl = syno_plan_build(op, &b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, &err);
            syno_cuda_prog *p = pl ? syno_cuda_prog_from_plan(pl, "syno_k", syno_cuda_choose_default, &sms, &err) : NULL;
            syno_plan_free(pl);
            if (!p) {
                printf("%s: %s\n", cases[k].op, syno_buf_str(&err));
                continue;
            }
            progs[np++] = p;
            for (int s = 0; s < p->nsrcs && n < 256; s++) texts[n++] = p->srcs[s].text;
            kernels += p->nsteps;
            syno_buf_fini(&err);
        }
        /* Cold, one at a time. */
        double *cold = syno_xmalloc((size_t)(n ? n : 1) * sizeof *cold), total = 0;
        for (int i = 0; i < n; i++) {
            syno_cuda_image img;
            syno_buf err = SYNO_BUF_INIT;
            if (!syno_cuda_jit_compile(texts[i], "k.cu", SYNO_CUDA_CUBIN, arch, &img, &err)) printf("%s\n", syno_buf_str(&err));
            cold[i] = img.compile_ms;
            total += img.compile_ms;
            syno_cuda_image_fini(&img);
            syno_buf_fini(&err);
        }
        /* Cold, all at once into the cache. */
        char sub[64];
        snprintf(sub, sizeof sub, "%s/%zu", dir, k);
        syno_cuda_cache *c = syno_cuda_cache_new(sub);
        syno_buf err = SYNO_BUF_INIT;
        double t0 = (1e3 * syno_clock_wall());
        syno_cuda_cache_precompile(c, texts, n, arch, threads, &err);
        double parallel = (1e3 * syno_clock_wall()) - t0;
        syno_cuda_cache_free(c);
        /* Warm: a new cache object (a new process) reading the disk. */
        c = syno_cuda_cache_new(sub);
        double *warm = syno_xmalloc((size_t)(n ? n : 1) * sizeof *warm);
        for (int i = 0; i < n; i++) {
            syno_cuda_image img;
            syno_cuda_cache_how how;
            t0 = (1e3 * syno_clock_wall());
            syno_cuda_cache_image(c, texts[i], "k.cu", arch, &img, &how, &err);
            warm[i] = (1e3 * syno_clock_wall()) - t0;
            if (how != SYNO_CUDA_FROM_DISK) warm[i] = -1;
            syno_cuda_image_fini(&img);
        }
        syno_cuda_cache_free(c);
        printf("%-9s %-34s %2d sources (%2d kernels): cold %6.0f ms median per source (%6.0f ms total; %6.0f ms on "
               "all CPUs at once), warm %.3f ms median per source\n",
               cases[k].op, cases[k].bind, n, kernels, n ? median(cold, n) : 0.0, total, parallel,
               n ? median(warm, n) : 0.0);
        free(cold);
        free(warm);
        syno_buf_fini(&err);
        for (int i = 0; i < np; i++) syno_cuda_prog_free(progs[i]);
    }
    syno_ctx_free(ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
