/* cpu_sgemm.c - the matrix product behind GEMM stages: OpenBLAS's
 * cblas_sgemm when configure found it (HAVE_BLAS), else a plain blocked
 * loop that gcc vectorises (correct everywhere, much slower).
 *
 * The executor runs one sgemm per work unit on each of its own threads,
 * so OpenBLAS is told to stay single-threaded inside a call. */
#include "config.h"

#include "codegen/cpu_int.h"

#ifdef HAVE_BLAS
#ifdef HAVE_CBLAS_H
#include <cblas.h>
#else
#include <openblas/cblas.h>
#endif
#endif

#include <pthread.h>
#include <string.h>

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_setup(void)
{
#if defined(HAVE_BLAS) && defined(OPENBLAS_VERSION)
    openblas_set_num_threads(1);
#endif
}

/* Makes the BLAS single-threaded (once per process). */
void syno_cpu_blas_init(void)
{
    pthread_once(&blas_once, blas_setup);
}

/* Lets the BLAS use N threads inside one call (explicit-mode baselines);
 * 1 is the executor's normal setting. */
void syno_cpu_blas_threads(int n)
{
#if defined(HAVE_BLAS) && defined(OPENBLAS_VERSION)
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

#ifndef HAVE_BLAS
/* C[m][n] = alpha * op(A)[m][k] * op(B)[k][n] + beta * C, row-major. */
static void loops(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++) {
        float *restrict ci = c + i * ldc;
        if (beta == 0.0f) memset(ci, 0, (size_t)n * sizeof *ci);
        else
            for (int64_t j = 0; j < n; j++) ci[j] *= beta;
        for (int64_t p = 0; p < k; p++) {
            float aip = alpha * (ta ? a[p * lda + i] : a[i * lda + p]);
            if (!tb) {
                const float *restrict bp = b + p * ldb;
                for (int64_t j = 0; j < n; j++) ci[j] += aip * bp[j];
            } else {
                for (int64_t j = 0; j < n; j++) ci[j] += aip * b[j * ldb + p];
            }
        }
    }
}
#endif

/* C = alpha * op(A) * op(B) + beta * C in row-major order, op = transpose
 * when TA/TB.  Sizes and leading dimensions as in cblas_sgemm. */
void syno_cpu_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0) return;
    SYNO_ASSERT(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && lda <= INT32_MAX && ldb <= INT32_MAX &&
                ldc <= INT32_MAX);
#ifdef HAVE_BLAS
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
#else
    loops(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}
