/* cpu_sgemm.c - the BLAS's matrix product, for the explicit (im2col +
 * sgemm) baselines that `syno bench` compares the executor with: OpenBLAS's
 * cblas_sgemm when configure found it (HAVE_BLAS) and it loads, else the
 * executor's own product (cpu_mm.c).  The executor's stages use cpu_mm.c
 * directly.
 *
 * syno does not link the BLAS: it is loaded (dlopen of BLAS_SONAME) when a
 * baseline first needs it.  A loaded OpenBLAS starts a thread per core at
 * once, and each spins (sched_yield) for about 0.1 s of processor time
 * before it sleeps: every syno process would pay that, a search's
 * coordinator and each MPI rank included.  Once loaded, it is made
 * single-threaded (the executor has its own threads); a baseline lets it
 * use the executor's thread count for its one call per batch value. */
#include "config.h"

#include "codegen/cpu_int.h"

#ifdef HAVE_BLAS
#ifdef HAVE_CBLAS_H
#include <cblas.h>
#else
#include <openblas/cblas.h>
#endif
#include <dlfcn.h>
#endif

#include <pthread.h>
#include <stdlib.h>

#ifdef HAVE_BLAS
static struct {
    __typeof__(cblas_sgemm) *sgemm;    /* NULL: not loaded (cpu_mm instead) */
    void (*set_threads)(int);          /* openblas_set_num_threads, or NULL */
} blas;
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_load(void)
{
    void *h = dlopen(BLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    *(void **)&blas.sgemm = dlsym(h, "cblas_sgemm");
    *(void **)&blas.set_threads = dlsym(h, "openblas_set_num_threads");
    if (blas.set_threads) blas.set_threads(1);
}
#endif

/* Loads the BLAS, single-threaded, if it is not yet (once per process). */
void cpu_blas_init(void)
{
#ifdef HAVE_BLAS
    pthread_once(&blas_once, blas_load);
#endif
}

/* Lets the BLAS use N threads inside one call (explicit-mode baselines);
 * 1 is the executor's normal setting.  Loads it first. */
void cpu_blas_threads(int n)
{
#ifdef HAVE_BLAS
    cpu_blas_init();
    if (blas.set_threads) blas.set_threads(n);
#else
    (void)n;
#endif
}

/* C = alpha * op(A) * op(B) + beta * C in row-major order, op = transpose
 * when TA/TB, BETA 0 or 1.  Sizes and leading dimensions as in
 * cblas_sgemm. */
void cpu_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0) return;
    SYNO_ASSERT(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && lda <= INT32_MAX && ldb <= INT32_MAX &&
                ldc <= INT32_MAX);
#ifdef HAVE_BLAS
    cpu_blas_init();
    if (blas.sgemm) {
        blas.sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                   (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
        return;
    }
#endif
    SYNO_ASSERT(beta == 0.0f || beta == 1.0f);
    float *work = syno_xmalloc((size_t)cpu_mm_work() * sizeof *work);
    cpu_mm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta != 0.0f, c, ldc, work);
    free(work);
}
