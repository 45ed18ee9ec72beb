/* cpu_conv.c - conv2d forward on the CPU: syno's executor next to an
 * im2col + OpenBLAS sgemm baseline and a naive loop, in one run.
 *
 * usage: cpu_conv [N C_in C_out H W k] [--threads T] [--repeat R]
 * (default: 8 64 64 56 56 3, all online CPUs, 15 repetitions)
 *
 * All three compute out[n,o,y,z] = Σ_{c,a,b} x[n,c,y+a-k/2,z+b-k/2] ·
 * f[o,c,a,b] with zero padding.  The baseline is written here, the
 * classic way: per image, unfold the input into a (C_in·k·k) x (H·W)
 * column matrix (split over the threads), then one cblas_sgemm with
 * OpenBLAS using the same number of threads.  The naive loop is seven
 * nested loops in one thread (it is timed once: it is slow).  Ours and the
 * baseline are timed alternately, call by call, after one warm-up call
 * each; the median is reported, with GFLOP/s from
 * the 2·N·C_out·H·W·C_in·k² FLOPs of direct evaluation.  The three outputs
 * are compared before any timing is trusted.  This is a measurement, not a
 * test: it never fails on a time. */
#include "config.h"

#include "base/clock.h"
#include "base/rng.h"
#include "codegen/cpu.h"
#include "lang/module.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_BLAS
#include <cblas.h>
#endif

static void blas_threads(int n)
{
#if defined(HAVE_BLAS) && defined(OPENBLAS_VERSION)
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

static int N = 8, CI = 64, CO = 64, H = 56, W = 56, K = 3, THREADS = 0, REPEAT = 15;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the baseline: im2col + sgemm --------------------------------------------- */

typedef struct im2col_job {
    const float *x; /* one image [CI][H][W] */
    float *col;     /* [CI*K*K][H*W] */
    int c0, c1;
} im2col_job;

static void *im2col_part(void *arg)
{
    const im2col_job *j = arg;
    int p = K / 2;
    for (int c = j->c0; c < j->c1; c++)
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++) {
                float *row = j->col + ((size_t)(c * K + a) * K + b) * H * W;
                for (int y = 0; y < H; y++) {
                    int h = y + a - p;
                    float *dst = row + (size_t)y * W;
                    if (h < 0 || h >= H) {
                        memset(dst, 0, (size_t)W * sizeof *dst);
                        continue;
                    }
                    const float *src = j->x + ((size_t)c * H + h) * W;
                    for (int z = 0; z < W; z++) {
                        int w = z + b - p;
                        dst[z] = w >= 0 && w < W ? src[w] : 0.0f;
                    }
                }
            }
    return NULL;
}

static void baseline(const float *x, const float *f, float *out, float *col)
{
    for (int n = 0; n < N; n++) {
        pthread_t th[64];
        im2col_job jobs[64];
        int t = THREADS < 64 ? THREADS : 64;
        for (int i = 0; i < t; i++) {
            jobs[i] = (im2col_job){x + (size_t)n * CI * H * W, col, CI * i / t, CI * (i + 1) / t};
            if (i) pthread_create(&th[i], NULL, im2col_part, &jobs[i]);
        }
        im2col_part(&jobs[0]);
        for (int i = 1; i < t; i++) pthread_join(th[i], NULL);
#ifdef HAVE_BLAS
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, CO, H * W, CI * K * K, 1.0f, f, CI * K * K, col, H * W,
                    0.0f, out + (size_t)n * CO * H * W, H * W);
#else
        (void)f; /* no BLAS: no baseline (reported as such) */
        memset(out + (size_t)n * CO * H * W, 0, (size_t)CO * H * W * sizeof *out);
#endif
    }
}

/* ---- the naive loop --------------------------------------------------------------- */

static void naive(const float *x, const float *f, float *out)
{
    int p = K / 2;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < CO; o++)
            for (int y = 0; y < H; y++)
                for (int z = 0; z < W; z++) {
                    float s = 0;
                    for (int c = 0; c < CI; c++)
                        for (int a = 0; a < K; a++) {
                            int h = y + a - p;
                            if (h < 0 || h >= H) continue;
                            for (int b = 0; b < K; b++) {
                                int w = z + b - p;
                                if (w < 0 || w >= W) continue;
                                s += x[(((size_t)n * CI + c) * H + h) * W + w] * f[(((size_t)o * CI + c) * K + a) * K + b];
                            }
                        }
                    out[(((size_t)n * CO + o) * H + y) * W + z] = s;
                }
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / m;
}

static void usage(void)
{
    fprintf(stderr, "usage: cpu_conv [N C_in C_out H W k] [--threads T] [--repeat R]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int pos[6], npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) THREADS = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) REPEAT = atoi(argv[++i]);
        else if (npos < 6 && atoi(argv[i]) > 0) pos[npos++] = atoi(argv[i]);
        else usage();
    }
    if (npos == 6) N = pos[0], CI = pos[1], CO = pos[2], H = pos[3], W = pos[4], K = pos[5];
    else if (npos) usage();
    if (REPEAT < 1 || K % 2 == 0) usage();
    if (THREADS > 0) syno_cpu_set_threads(THREADS);
    THREADS = syno_cpu_threads();

    syno_ctx *ctx = syno_ctx_new();
    syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
    if (!op) {
        fprintf(stderr, "cpu_conv: conv2d not found in the standard library\n");
        return 1;
    }
    syno_binding b;
    syno_binding_defaults(op->vars, &b);
    const char *names[] = {"N", "C_in", "C_out", "H", "W", "k"};
    int vals[] = {N, CI, CO, H, W, K};
    for (int i = 0; i < 6; i++) b.val[syno_vars_find(op->vars, names[i])] = vals[i];
    syno_buf err = SYNO_BUF_INIT;
    syno_cpu *cpu = syno_cpu_new(op, &b, &err);
    if (!cpu) {
        fprintf(stderr, "cpu_conv: %s\n", syno_buf_str(&err));
        return 1;
    }

    size_t nx = (size_t)N * CI * H * W, nf = (size_t)CO * CI * K * K, ny = (size_t)N * CO * H * W;
    float *x = malloc(nx * 4), *f = malloc(nf * 4), *y0 = malloc(ny * 4), *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
    float *col = malloc((size_t)CI * K * K * H * W * 4);
    syno_rng r;
    syno_rng_seed(&r, 1);
    for (size_t i = 0; i < nx; i++) x[i] = (float)(2 * syno_rng_unit(&r) - 1);
    for (size_t i = 0; i < nf; i++) f[i] = (float)(2 * syno_rng_unit(&r) - 1);
    const float *t[2] = {x, f};
    double flops = 2.0 * N * CO * H * W * CI * K * K;

    blas_threads(1); /* ours runs one sgemm per thread */
    /* ours and the baseline alternate, call by call, so that a change in
     * the machine's load affects both alike */
    double *ts = malloc((size_t)REPEAT * sizeof *ts), *tb = malloc((size_t)REPEAT * sizeof *tb), med_ours, med_base,
           t_naive;
    syno_cpu_forward(cpu, t, y0);
    blas_threads(THREADS);
    baseline(x, f, y1, col);
    for (int i = 0; i < REPEAT; i++) {
        blas_threads(1); /* ours runs one sgemm per thread */
        double t0 = syno_clock_wall();
        syno_cpu_forward(cpu, t, y0);
        ts[i] = syno_clock_wall() - t0;
        blas_threads(THREADS);
        t0 = syno_clock_wall();
        baseline(x, f, y1, col);
        tb[i] = syno_clock_wall() - t0;
    }
    blas_threads(1);
    qsort(ts, (size_t)REPEAT, sizeof *ts, cmp_double);
    qsort(tb, (size_t)REPEAT, sizeof *tb, cmp_double);
    med_ours = ts[REPEAT / 2];
    med_base = tb[REPEAT / 2];

    double t0 = syno_clock_wall();
    naive(x, f, y2);
    t_naive = syno_clock_wall() - t0;

    double e1 = max_rel(y0, y2, ny), e2 = 0;
#ifdef HAVE_BLAS
    e2 = max_rel(y1, y2, ny);
#endif
    printf("conv2d forward, N=%d C_in=%d C_out=%d H=%d W=%d k=%d, %d threads, %.3g GFLOP per call\n", N, CI, CO, H, W,
           K, THREADS, flops / 1e9);
    printf("  %-28s %10s %10s %8s\n", "", "median ms", "GFLOP/s", "ratio");
    printf("  %-28s %10.2f %10.1f %8.2f\n", "syno cpu executor", 1e3 * med_ours, flops / med_ours / 1e9, 1.0);
#ifdef HAVE_BLAS
    printf("  %-28s %10.2f %10.1f %8.2f\n", "im2col + OpenBLAS sgemm", 1e3 * med_base, flops / med_base / 1e9,
           med_ours / med_base);
#else
    printf("  %-28s (no BLAS in this build)\n", "im2col + OpenBLAS sgemm");
#endif
    printf("  %-28s %10.2f %10.1f %8.3f   (one thread, one call)\n", "naive loop", 1e3 * t_naive, flops / t_naive / 1e9,
           med_ours / t_naive);
    printf("  ours / im2col+sgemm throughput: %.0f%%;  max relative difference to the naive loop: ours %.2g, "
           "baseline %.2g\n",
           100.0 * med_base / med_ours, e1, e2);
    printf("  our plan: %s\n", syno_cpu_stage_method(cpu, SYNO_PLAN_FORWARD, 0));
    int bad = !(e1 < 1e-4) || !(e2 < 1e-4);
    if (bad) printf("  WARNING: the outputs differ; the timings above are meaningless\n");
    syno_cpu_free(cpu);
    syno_ctx_free(ctx);
    syno_buf_fini(&err);
    free(x), free(f), free(y0), free(y1), free(y2), free(col), free(ts), free(tb);
    return bad;
}
