/* cpu_int.h - what the files of the CPU executor share (not a public API).
 *
 * cpu_access.c compiles each operand of a stage into an access (offsets
 * and guards, affine where possible) and gathers blocks of it into dense
 * matrices; cpu_stage.c decides how each stage runs, as matrix products
 * (cpu_gemm.c) or on the generic path (cpu_generic.c, which multiplies
 * affine operands in place with cpu_fused.c), after cpu_digits.c has
 * split the iterators that divisions read; cpu.c owns plans, buffers and
 * the API. */
#ifndef SYNO_CPU_INT_H
#define SYNO_CPU_INT_H

#include "codegen/cpu.h"
#include "base/pool.h"

#define CPU_MAXIT SYNO_PLAN_MAX_ITERS

/* A guard as the executor checks it. */
typedef struct cpu_guard {
    syno_pguard_kind kind;
    int expr;
    int64_t lo, hi;
    bool affine;
    int64_t g0;
    int64_t *coef;        /* [niters] when affine */
} cpu_guard;

/* One operand of a stage (or, with buf = -1, the stage-level guards as a
 * 0/1 mask). */
typedef struct cpu_access {
    int buf;              /* plan buffer, or -1 for the mask */
    int rank;
    const int *index;     /* the plan operand's index expressions */
    int64_t *strides;     /* [rank] element strides of the buffer */
    uint64_t iters;       /* iterators the index expressions read */
    bool affine;          /* every index expression affine: offset = c0 + Σ coef·it */
    int64_t c0;
    int64_t *coef;        /* [niters] */
    uint64_t nonlin;      /* iterators read under a DIV or MOD (index or guards) */
    int nguards;
    cpu_guard *guards;    /* the stage's guards whose iterators it reads */
    int64_t *dstep;       /* [niters]: d(offset)/d(it) for iterators outside nonlin */
    int64_t **gstep;      /* [nguards][niters]: d(guard)/d(it) likewise */
    bool zero_always;     /* a constant guard fails: the operand is 0 */
    /* index tables of an operand with iterators under a DIV or MOD (nonlin):
     * offset = toff[t] + Σ_{i ∉ nonlin} dstep[i]·it[i] and guard g's value
     * = tguard[g][t] + Σ gstep[g][i]·it[i], where t = Σ tstride[i]·it[i]
     * numbers the values of the nonlin iterators; NULL when too large */
    int64_t *toff;
    int64_t **tguard;     /* [nguards][table size] */
    int64_t *tstride;     /* [niters]: 0 outside nonlin */
    bool fast;            /* affine with at most a few RANGE guards: the fast gather */
} cpu_access;

/* A group of iterators flattened into one matrix dimension, outer first. */
typedef struct cpu_group {
    int n;
    int it[CPU_MAXIT];
    int64_t size;         /* product of the extents */
} cpu_group;

typedef enum cpu_method { CPU_GEMM, CPU_GENERIC } cpu_method;

/* A zero-padded copy of a buffer (cpu_gemm.c's padded mode): every guard
 * of the operand holds in it, and its last axis is WP long. */
typedef struct cpu_pad {
    int buf, rank;
    int64_t *shape, *lo, *pshape; /* [rank]: the buffer's shape, pads before, padded shape */
    int64_t wp;                   /* padded length of the last axis */
    int64_t c0, *coef;            /* the operand's offset in the copy: c0 + Σ coef[i]·it[i] */
    int64_t floats, off;          /* its size (with slack) and place in the shared area */
} cpu_pad;

/* A matrix operand of the GEMM path. */
typedef struct cpu_mat {
    int acc;              /* access index */
    bool direct;          /* read in place (a strided matrix, no guards) */
    bool trans;           /* stored transposed: [cols][rows] */
    int64_t ld;           /* leading dimension (direct: from the buffer) */
    uint64_t batch_deps;  /* batch iterators it depends on */
} cpu_mat;

typedef struct cpu_stage {
    const syno_plan *plan;
    const syno_plan_stage *ps;  /* the plan's stage, or its rewrite over digits */
    struct syno_arena *digits;  /* owns that rewrite (cpu_digits.c), or NULL */
    int niters;
    int64_t *ext;
    int nacc;             /* operands, plus 1 when there is a mask */
    cpu_access acc[SYNO_PLAN_MAX_OPS + 1];
    bool has_mask;
    cpu_method method;
    float alpha;          /* scale x extents of reductions nobody reads */
    /* GEMM: out[batch][M][N] = alpha · Σ_K L[batch][M][K] · R[batch][K][N] */
    cpu_group batch, M, N, K;
    cpu_mat L, R;
    bool stream_L;        /* tiles split M (L gathered per tile) rather than N */
    bool ksplit;          /* tiles split K instead; partial sums per thread, added up */
    bool kpad;            /* ksplit with both operands gathered [rows][K]: rows padded to 8 with zeros */
    int64_t tile, ntiles;
    bool pre_L, pre_R;    /* gathered once per batch value before the tiles */
    int64_t pre_size;     /* floats of one pre-gathered copy */
    int64_t pre_count;    /* batch values it is gathered for (1 when it ignores the batch) */
    bool out_direct;      /* writes the output in place, else into a temporary then permuted */
    int64_t ctemp_off, ctemp_floats; /* that temporary, in the shared area */
    /* GENERIC: out[o] = alpha · Σ_r Π_k acc_k[o, r]; og and rg may be
     * reordered to read along the cheapest iterator, which is og's last
     * (tiles of output vectors) or, in rmode, rg's last (dot products) */
    cpu_group og, rg;
    int64_t otile, rchunk;
    bool gen_rmode;
    bool gen_fused;       /* every operand affine: products read in place (cpu_fused.c) */
    int fnv;              /* fused: values followed (offsets and guards), operand k's at fvoff[k] */
    int fvoff[SYNO_PLAN_MAX_OPS + 1];
    int64_t *fdelta;      /* fused: [niters][fnv] step of each value per iterator */
    int64_t *ostride;     /* [niters] output strides of the output iterators */
    /* explicit mode (baselines): whole gathered matrices, one sgemm with
     * the BLAS's own threads per batch value */
    bool explicit_gemm;
    int64_t explicit_floats;
    /* padded mode (cpu_gemm.c): operands read in place from zero-padded
     * copies of their buffers, over columns (u, v < wp) instead of (u, v):
     * R when N is (u, v); L and R, K-split, when K ends with (u, v) */
    bool padded;
    cpu_pad pad[2];       /* [0] R's copy, [1] L's (K-split) */
    int npads;
    int64_t *rowoff[2];   /* offsets in the copies of R's rows (K) and L's (M; K-split: R's rows are N) */
    int64_t pad_rows;     /* values of u per tile */
    bool pixels;          /* N = (u, v): L as vectors, pixels broadcast (cpu_mm_pixels) */
    int64_t apack_off, apack_count; /* L packed once per call, per batch value it depends on */
    int64_t shared;       /* floats of the shared area the stage uses */
    /* scratch floats per thread (GEMM: a gathered tile, then from mm_off
     * the work space of cpu_mm) */
    int64_t scratch;
    int64_t mm_off;
    char method_text[256];
} cpu_stage;

/* The bound buffers of one plan execution. */
typedef struct cpu_bufs {
    float **p;            /* per plan buffer */
    float *shared;        /* pre-gathered operands (pre_count * pre_size floats), or the
                           * explicit mode's matrices */
    float *scratch;       /* nthreads * per-thread scratch */
    int64_t scratch_per_thread;
} cpu_bufs;

void cpu_access_init(cpu_access *a, const syno_plan *p, const syno_plan_stage *s, int op, const int *guards, int ng);
void cpu_access_fini(cpu_access *a);
void cpu_gather(const cpu_stage *st, const cpu_access *a, const float *base, int64_t *it, const cpu_group *rows,
                     int64_t r0, int64_t r1, const cpu_group *cols, int64_t c0, int64_t c1, float *dst, int64_t ld);
void cpu_group_set(const cpu_stage *st, const cpu_group *g, int64_t flat, int64_t *it);

/* One running stage: the context of its pool units. */
typedef struct cpu_job {
    const cpu_stage *st;
    const cpu_bufs *b;
} cpu_job;

/* Stages with fewer loop points than this run in the calling thread. */
#define CPU_INLINE_POINTS 65536

static inline void cpu_group_clear(cpu_group *g)
{
    g->n = 0;
    g->size = 1;
}

/* Appends iterator IT (of stage ST) to G. */
static inline void cpu_group_add(const cpu_stage *st, cpu_group *g, int it)
{
    if (g->n == 0) g->size = 1;
    g->it[g->n++] = it;
    g->size *= st->ext[it];
}

/* The buffer operand K of ST reads, or NULL for the guard mask. */
static inline const float *cpu_acc_base(const cpu_stage *st, const cpu_bufs *b, int k)
{
    int buf = st->acc[k].buf;
    return buf >= 0 ? b->p[buf] : NULL;
}

struct syno_arena;
syno_plan_stage *cpu_digits(struct syno_arena *ar, const syno_plan *p, const syno_plan_stage *s, syno_buf *note);
void cpu_stage_init(cpu_stage *st, const syno_plan *p, int s, int nthreads, bool explicit_gemm);
void cpu_run_units(const cpu_stage *st, int64_t nunits, syno_pool_fn fn, cpu_job *jb);
bool cpu_gemm_setup(cpu_stage *st, uint64_t live_red, int nthreads);
void cpu_gemm_run(const cpu_stage *st, const cpu_bufs *b);
void cpu_generic_setup(cpu_stage *st, uint64_t live_red, int nthreads);
void cpu_generic_run(const cpu_stage *st, const cpu_bufs *b);
bool cpu_fused_ok(const cpu_stage *st);
void cpu_fused_setup(cpu_stage *st);
void cpu_fused_tile(const cpu_stage *st, const cpu_bufs *b, int64_t o0, int64_t o1, float *acc);
void cpu_stage_fini(cpu_stage *st);
void cpu_stage_run(const cpu_stage *st, const cpu_bufs *b);

/* C = alpha op(A) op(B), or C += that when ACCUMULATE: op(A) is m x k,
 * op(B) k x n (op = transpose when TA/TB), all row-major with leading
 * dimensions LDA, LDB, LDC.  The executor's own product (cpu_mm.c), fast
 * for the small shapes of GEMM stages; WORK holds cpu_mm_work()
 * floats of the calling thread's scratch. */
void cpu_mm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, bool accumulate, float *c, int64_t ldc, float *work);
int64_t cpu_mm_work(void);
/* alpha op(A) (m x k, op = transpose when TA) packed for
 * cpu_mm_rows into DST (m * k floats). */
void cpu_mm_pack(bool ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda, float *dst);
/* C = A B (+ C when ACCUMULATE), A packed by cpu_mm_pack, row k of the
 * k x n matrix B at b + brow[k] (columns contiguous; a padded copy read in
 * place); K > 0. */
void cpu_mm_rows(int64_t m, int64_t n, int64_t k, const float *apacked, const float *b, const int64_t *brow,
                      bool accumulate, float *c, int64_t ldc, float *work);
/* alpha op(A) (m x k) packed as [k][m] into DST (m * k floats), for
 * cpu_mm_pixels. */
void cpu_mm_pack_t(bool ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda, float *dst);
/* C[i][p] = Σ_k AT[k][i] B[k][p] for i < m (a multiple of 16) and the
 * NU x NV pixels p = (u, v) (C row-major, rows LDC apart, pixels
 * contiguous), AT packed by cpu_mm_pack_t, B[k][(u, v)] at
 * b + brow[k] + u * wp + v (a padded copy read in place). */
void cpu_mm_pixels(int64_t m, int64_t k, const float *at, const float *b, const int64_t *brow, int64_t nu,
                   int64_t nv, int64_t wp, float *c, int64_t ldc);
/* C += alpha A B^T, C m x n (row stride LDC), row i of A at a + arow[i],
 * row j of B at b + brow[j]: rows of padded copies, a weight gradient.
 * Each row is NSEG segments (images), ASEG (BSEG) apart, of KR runs (rows
 * of the image) of KV values, KST apart; the values between runs must be
 * 0 in one of A and B (they may be summed).  The side with fewer rows is
 * transposed in blocks and the other broadcast (or, under 8 rows on both
 * sides, dot products); WORK holds cpu_mm_dot_work(m, n, kv) floats of
 * the calling thread's scratch. */
void cpu_mm_dot_rows(int64_t m, int64_t n, int64_t kr, int64_t kv, int64_t kst, int64_t nseg, int64_t aseg,
                          int64_t bseg, float alpha, const float *a, const int64_t *arow, const float *b,
                          const int64_t *brow, float *c, int64_t ldc, float *work);
int64_t cpu_mm_dot_work(int64_t m, int64_t n, int64_t kv);
/* The BLAS's sgemm (cpu_sgemm.c): the explicit mode of baselines. */
void cpu_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                    const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
/* Loads the BLAS (at the first call, when configure found one), single-threaded. */
void cpu_blas_init(void);
/* Lets the loaded BLAS use N threads in a call (loading it first). */
void cpu_blas_threads(int n);

#endif
