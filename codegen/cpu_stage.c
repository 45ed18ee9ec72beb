/* cpu_stage.c - how one stage of a plan runs on the CPU, and running it.
 *
 * Two methods:
 *
 * GEMM (two operands, a real matrix product): the output iterators split
 * into a batch prefix, then a run read only by one operand (M), then a run
 * read only by the other (N); the summed iterators read by either form K.
 * Per batch value, out[M][N] = alpha · L[M][K] · R[K][N], one sgemm per
 * tile.  An operand that is a plain strided matrix in its buffer (affine,
 * no guards, groups contiguous) is read in place; otherwise it is gathered
 * (the implicit im2col): the larger one tile by tile into per-thread
 * scratch (tiles split its free dimension), the smaller one once per batch
 * value it depends on, before the tiles.  The order of K is chosen to let
 * operands be read in place, the gather orientation to copy along the
 * longest unit-stride run.
 *
 * GENERIC (anything else: one or three operands, guards no operand covers,
 * Hadamard-like products): the output is cut into tiles; per tile and per
 * chunk of the reduction, every operand is gathered as [reduction][tile]
 * and the products are accumulated over the reduction rows in a
 * vectorisable loop.
 *
 * Work units (batch x tiles, or output tiles) go to the thread pool. */
#include "codegen/cpu_int.h"

#include "codegen/cpu_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GATHER_TILE_FLOATS (96 * 1024)
#define INLINE_POINTS 65536 /* stages with fewer loop points run in the calling thread */

/* ---- set-up ---------------------------------------------------------------- */

static void group_add(cpu_stage *st, cpu_group *g, int it)
{
    if (g->n == 0) g->size = 1;
    g->it[g->n++] = it;
    g->size *= st->ext[it];
}

static void group_clear(cpu_group *g)
{
    g->n = 0;
    g->size = 1;
}

/* Stride of group G in access A when its iterators are contiguous there
 * (each one's coefficient is the next one's times its extent); 0 when
 * they are not, 1 for an empty group. */
static int64_t group_stride(const cpu_stage *st, const cpu_access *a, const cpu_group *g, bool *ok)
{
    *ok = true;
    if (g->n == 0) return 1;
    for (int j = 0; j + 1 < g->n; j++)
        if (a->coef[g->it[j]] != a->coef[g->it[j + 1]] * st->ext[g->it[j + 1]]) *ok = false;
    int64_t s = a->coef[g->it[g->n - 1]];
    if (s <= 0) *ok = false;
    return s;
}

/* Can access A be read in place as the matrix [ROWS][COLS]? */
static bool try_direct(const cpu_stage *st, const cpu_access *a, const cpu_group *rows, const cpu_group *cols,
                       cpu_mat *m)
{
    if (!a->affine || a->nguards || a->zero_always) return false;
    bool okr, okc;
    int64_t sr = group_stride(st, a, rows, &okr), sc = group_stride(st, a, cols, &okc);
    if (!okr || !okc || sr > INT32_MAX || sc > INT32_MAX) return false;
    if (rows->size == 1) sr = cols->size > 0 ? cols->size : 1;
    if (cols->size == 1) sc = 1;
    if (sc == 1 && sr >= cols->size) {
        m->direct = true;
        m->trans = false;
        m->ld = sr;
        return true;
    }
    if (sr == 1 && sc >= rows->size) {
        m->direct = true;
        m->trans = true;
        m->ld = sc;
        return true;
    }
    return false;
}

/* Gather orientation: copy along the inner iterator of whichever group has
 * the longer unit-stride run.  Returns true for [cols][rows]. */
static bool gather_trans(const cpu_stage *st, const cpu_access *a, const cpu_group *rows, const cpu_group *cols)
{
    int vr = rows->n ? rows->it[rows->n - 1] : -1, vc = cols->n ? cols->it[cols->n - 1] : -1;
    if (vr < 0) return false;
    if (vc < 0) return true;
    int64_t score_r = st->ext[vr], score_c = st->ext[vc];
    bool lin_r = !(a->nonlin & (1ull << vr)), lin_c = !(a->nonlin & (1ull << vc));
    if (lin_r && (a->dstep[vr] == 1 || a->dstep[vr] == -1)) score_r *= 4;
    if (lin_c && (a->dstep[vc] == 1 || a->dstep[vc] == -1)) score_c *= 4;
    if (!lin_r) score_r = 0;
    if (!lin_c) score_c = 0;
    return score_r > score_c;
}

static void permute_next(int *perm, int n, bool *done)
{
    /* next lexicographic permutation */
    int i = n - 2;
    while (i >= 0 && perm[i] >= perm[i + 1]) i--;
    if (i < 0) {
        *done = true;
        return;
    }
    int j = n - 1;
    while (perm[j] <= perm[i]) j--;
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) t = perm[a], perm[a] = perm[b], perm[b] = t;
}

static int64_t round_down8(int64_t v)
{
    return v >= 16 ? v / 8 * 8 : v;
}

/* Tries the GEMM method; false when the stage is not a worthwhile matrix
 * product. */
static bool setup_gemm(cpu_stage *st, uint64_t live_red, int nthreads)
{
    const syno_plan_stage *s = st->ps;
    if (s->nops != 2 || st->has_mask) return false;
    uint64_t ia = st->acc[0].iters, ib = st->acc[1].iters;
    /* classes of output iterators: 1 = A only, 2 = B only, 3 = both, 0 = neither */
    int cls[CPU_MAXIT];
    int last_mixed = -1;
    for (int i = 0; i < s->nout; i++) {
        cls[i] = ((ia >> i) & 1) | (((ib >> i) & 1) << 1);
        if (cls[i] == 0 || cls[i] == 3) last_mixed = i;
    }
    int p = last_mixed + 1;
    for (; p <= s->nout; p++) {
        int runs = 0, prev = -1;
        bool good = true;
        for (int i = p; i < s->nout; i++) {
            if (cls[i] != prev) {
                if (cls[i] != 1 && cls[i] != 2) good = false;
                runs++;
                prev = cls[i];
            }
        }
        if (good && runs <= 2) break;
    }
    group_clear(&st->batch);
    group_clear(&st->M);
    group_clear(&st->N);
    group_clear(&st->K);
    for (int i = 0; i < p; i++) group_add(st, &st->batch, i);
    int left = p < s->nout ? cls[p] : 1; /* 1: A is L; 2: B is L */
    for (int i = p; i < s->nout; i++) group_add(st, cls[i] == left ? &st->M : &st->N, i);
    for (int i = s->nout; i < s->niters; i++)
        if (live_red & (1ull << i)) group_add(st, &st->K, i);
    if (st->K.size < 2 || st->M.size * st->N.size < 16 || st->M.size * st->N.size * st->K.size < 512) return false;
    if (st->M.size > INT32_MAX / 4 || st->N.size > INT32_MAX / 4 || st->K.size > INT32_MAX / 4) return false;
    st->L.acc = left == 1 ? 0 : 1;
    st->R.acc = left == 1 ? 1 : 0;
    const cpu_access *L = &st->acc[st->L.acc], *R = &st->acc[st->R.acc];
    /* K order: the permutation that lets the most data be read in place */
    int perm[CPU_MAXIT], best[CPU_MAXIT];
    int nk = st->K.n;
    for (int j = 0; j < nk; j++) perm[j] = best[j] = j;
    int64_t best_score = -1;
    if (nk <= 6) {
        int base[CPU_MAXIT];
        memcpy(base, st->K.it, (size_t)nk * sizeof *base);
        bool done = false;
        while (!done) {
            for (int j = 0; j < nk; j++) st->K.it[j] = base[perm[j]];
            cpu_mat ml = {0}, mr = {0};
            int64_t score = 0;
            if (try_direct(st, L, &st->M, &st->K, &ml)) score += st->M.size * st->K.size;
            if (try_direct(st, R, &st->K, &st->N, &mr)) score += st->K.size * st->N.size;
            if (score > best_score) {
                best_score = score;
                memcpy(best, perm, (size_t)nk * sizeof *best);
            }
            permute_next(perm, nk, &done);
        }
        for (int j = 0; j < nk; j++) st->K.it[j] = base[best[j]];
    }
    int la = st->L.acc, ra = st->R.acc;
    memset(&st->L, 0, sizeof st->L);
    memset(&st->R, 0, sizeof st->R);
    st->L.acc = la;
    st->R.acc = ra;
    if (!try_direct(st, L, &st->M, &st->K, &st->L)) st->L.trans = gather_trans(st, L, &st->M, &st->K);
    if (!try_direct(st, R, &st->K, &st->N, &st->R)) st->R.trans = gather_trans(st, R, &st->K, &st->N);
    for (int j = 0; j < st->batch.n; j++) {
        int i = st->batch.it[j];
        if (L->iters & (1ull << i)) st->L.batch_deps |= 1ull << i;
        if (R->iters & (1ull << i)) st->R.batch_deps |= 1ull << i;
    }
    /* which one streams */
    int64_t vl = st->M.size * st->K.size, vr = st->K.size * st->N.size;
    if (!st->L.direct && !st->R.direct) st->stream_L = vl > vr;
    else if (!st->L.direct) st->stream_L = true;
    else if (!st->R.direct) st->stream_L = false;
    else st->stream_L = st->M.size > st->N.size;
    const cpu_mat *res = st->stream_L ? &st->R : &st->L;
    if (!res->direct) {
        if (st->stream_L) st->pre_R = true;
        else st->pre_L = true;
        st->pre_size = st->stream_L ? vr : vl;
        st->pre_count = 1;
        for (int j = 0; j < st->batch.n; j++)
            if (res->batch_deps & (1ull << st->batch.it[j])) st->pre_count *= st->ext[st->batch.it[j]];
    }
    /* tiles */
    int64_t S = st->stream_L ? st->M.size : st->N.size;
    const cpu_mat *stm = st->stream_L ? &st->L : &st->R;
    int64_t T = stm->direct ? S : GATHER_TILE_FLOATS / st->K.size;
    if (T < 16) T = 16;
    if (T > S) T = S;
    int64_t want_units = 3 * (int64_t)nthreads;
    if (st->batch.size * ((S + T - 1) / T) < want_units) {
        int64_t per = (want_units + st->batch.size - 1) / st->batch.size;
        int64_t t2 = (S + per - 1) / per;
        if (t2 < T) T = t2;
        if (T < 16 && S >= 16) T = 16;
        if (T < 1) T = 1;
    }
    T = round_down8(T);
    st->tile = T;
    st->ntiles = (S + T - 1) / T;
    st->scratch = stm->direct ? 0 : T * st->K.size;
    st->out_direct = true;
    snprintf(st->method_text, sizeof st->method_text,
             "sgemm %lldx[%lldx%lld * %lldx%lld]%s%s, %lld tiles of %lld along %s", (long long)st->batch.size,
             (long long)st->M.size, (long long)st->K.size, (long long)st->K.size, (long long)st->N.size,
             st->L.direct ? "" : (st->stream_L ? ", L gathered per tile" : ", L gathered once"),
             st->R.direct ? "" : (st->stream_L ? ", R gathered once" : ", R gathered per tile"),
             (long long)st->ntiles, (long long)T, st->stream_L ? "M" : "N");
    return true;
}

static void setup_generic(cpu_stage *st, uint64_t live_red, int nthreads)
{
    const syno_plan_stage *s = st->ps;
    group_clear(&st->og);
    group_clear(&st->rg);
    for (int i = 0; i < s->nout; i++) group_add(st, &st->og, i);
    for (int i = s->nout; i < s->niters; i++)
        if (live_red & (1ull << i)) group_add(st, &st->rg, i);
    int64_t To = 512;
    if (To > st->og.size) To = st->og.size;
    int64_t units = (st->og.size + To - 1) / To;
    if (units < 3 * nthreads && st->og.size >= 3 * nthreads * 16) To = (st->og.size + 3 * nthreads - 1) / (3 * nthreads);
    else if (units < 3 * nthreads) To = st->og.size >= 16 ? 16 : st->og.size;
    if (To < 1) To = 1;
    st->otile = To;
    int64_t Rc = 8192 / To;
    if (Rc < 1) Rc = 1;
    if (Rc > st->rg.size) Rc = st->rg.size;
    st->rchunk = Rc;
    st->scratch = To + (int64_t)st->nacc * Rc * To;
    snprintf(st->method_text, sizeof st->method_text, "generic: %lld outputs x %lld reduction points, %d operand%s%s",
             (long long)st->og.size, (long long)st->rg.size, s->nops, s->nops == 1 ? "" : "s",
             st->has_mask ? " and a guard mask" : "");
}

/* Compiles stage SI of plan P for NTHREADS threads into ST. */
void syno_cpu_stage_init(cpu_stage *st, const syno_plan *p, int si, int nthreads)
{
    memset(st, 0, sizeof *st);
    const syno_plan_stage *s = &p->stages[si];
    st->plan = p;
    st->ps = s;
    st->niters = s->niters;
    st->ext = syno_xcalloc((size_t)s->niters + 1, sizeof *st->ext);
    for (int i = 0; i < s->niters; i++) st->ext[i] = s->iters[i].extent;
    int *gl = syno_xcalloc((size_t)s->nguards + 1, sizeof *gl);
    uint64_t mask_iters = 0;
    for (int k = 0; k < s->nops; k++) {
        int ng = 0;
        for (int g = 0; g < s->nguards; g++)
            if (!(s->guards[g].iters & ~s->ops[k].iters)) gl[ng++] = g;
        syno_cpu_access_init(&st->acc[k], p, s, k, gl, ng);
    }
    int nm = 0;
    for (int g = 0; g < s->nguards; g++) {
        bool covered = false;
        for (int k = 0; k < s->nops; k++) covered |= !(s->guards[g].iters & ~s->ops[k].iters);
        if (!covered) gl[nm++] = g, mask_iters |= s->guards[g].iters;
    }
    st->nacc = s->nops;
    if (nm) {
        syno_cpu_access_init(&st->acc[st->nacc++], p, s, -1, gl, nm);
        st->has_mask = true;
    }
    free(gl);
    uint64_t read = mask_iters;
    for (int k = 0; k < st->nacc; k++) read |= st->acc[k].iters;
    double alpha = s->scale;
    uint64_t live_red = 0;
    for (int i = s->nout; i < s->niters; i++) {
        if (read & (1ull << i)) live_red |= 1ull << i;
        else alpha *= (double)st->ext[i];
    }
    st->alpha = (float)alpha;
    if (setup_gemm(st, live_red, nthreads)) st->method = CPU_GEMM;
    else {
        st->method = CPU_GENERIC;
        setup_generic(st, live_red, nthreads);
    }
}

/* Frees what syno_cpu_stage_init allocated. */
void syno_cpu_stage_fini(cpu_stage *st)
{
    for (int k = 0; k < st->nacc; k++) syno_cpu_access_fini(&st->acc[k]);
    free(st->ext);
    memset(st, 0, sizeof *st);
}

/* ---- running ------------------------------------------------------------------- */

typedef struct job {
    const cpu_stage *st;
    const cpu_bufs *b;
} job;

static const float *acc_base(const cpu_stage *st, const cpu_bufs *b, int k)
{
    int buf = st->acc[k].buf;
    return buf >= 0 ? b->p[buf] : NULL;
}

/* Index of the pre-gathered copy for the batch values in IT. */
static int64_t pre_index(const cpu_stage *st, const cpu_mat *m, const int64_t *it)
{
    int64_t idx = 0;
    for (int j = 0; j < st->batch.n; j++) {
        int i = st->batch.it[j];
        if (m->batch_deps & (1ull << i)) idx = idx * st->ext[i] + it[i];
    }
    return idx;
}

static void gather_full(const cpu_stage *st, const cpu_bufs *b, const cpu_mat *m, const cpu_group *rows,
                        const cpu_group *cols, int64_t *it, float *dst)
{
    const cpu_access *a = &st->acc[m->acc];
    if (m->trans) syno_cpu_gather(st, a, acc_base(st, b, m->acc), it, cols, 0, cols->size, rows, 0, rows->size, dst, rows->size);
    else syno_cpu_gather(st, a, acc_base(st, b, m->acc), it, rows, 0, rows->size, cols, 0, cols->size, dst, cols->size);
}

static void pre_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const job *jb = ctx;
    const cpu_stage *st = jb->st;
    int64_t it[CPU_MAXIT] = {0};
    const cpu_mat *m = st->pre_L ? &st->L : &st->R;
    /* decompose u over the batch iterators m depends on */
    int64_t rest = u;
    for (int j = st->batch.n - 1; j >= 0; j--) {
        int i = st->batch.it[j];
        if (!(m->batch_deps & (1ull << i))) continue;
        it[i] = rest % st->ext[i];
        rest /= st->ext[i];
    }
    float *dst = jb->b->shared + u * st->pre_size;
    if (st->pre_L) gather_full(st, jb->b, m, &st->M, &st->K, it, dst);
    else gather_full(st, jb->b, m, &st->K, &st->N, it, dst);
}

static const float *direct_ptr(const cpu_stage *st, const cpu_bufs *b, const cpu_mat *m, const int64_t *it)
{
    const cpu_access *a = &st->acc[m->acc];
    int64_t off = a->c0;
    for (int j = 0; j < st->batch.n; j++) off += a->coef[st->batch.it[j]] * it[st->batch.it[j]];
    return acc_base(st, b, m->acc) + off;
}

static void gemm_unit(void *ctx, int64_t u, int thread)
{
    const job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    int64_t bi = u / st->ntiles, ti = u % st->ntiles;
    int64_t it[CPU_MAXIT] = {0};
    syno_cpu_group_set(st, &st->batch, bi, it);
    int64_t M = st->M.size, N = st->N.size, K = st->K.size;
    float *C = b->p[st->ps->out] + bi * M * N;
    float *scratch = b->scratch + (int64_t)thread * b->scratch_per_thread;
    int64_t t0 = ti * st->tile, t1 = t0 + st->tile < (st->stream_L ? M : N) ? t0 + st->tile : (st->stream_L ? M : N);
    int64_t T = t1 - t0;
    /* resident operand */
    const cpu_mat *rm = st->stream_L ? &st->R : &st->L;
    const float *res;
    if (rm->direct) res = direct_ptr(st, b, rm, it);
    else res = b->shared + pre_index(st, rm, it) * st->pre_size;
    int64_t res_ld = rm->direct ? rm->ld : (st->stream_L ? (rm->trans ? K : N) : (rm->trans ? M : K));
    /* streamed operand, tile [t0, t1) of its free dimension */
    const cpu_mat *sm = st->stream_L ? &st->L : &st->R;
    const cpu_access *sa = &st->acc[sm->acc];
    const float *str;
    int64_t str_ld;
    if (sm->direct) {
        const float *base = direct_ptr(st, b, sm, it);
        if (st->stream_L) str = sm->trans ? base + t0 : base + t0 * sm->ld;
        else str = sm->trans ? base + t0 * sm->ld : base + t0;
        str_ld = sm->ld;
    } else {
        const float *base = acc_base(st, b, sm->acc);
        if (st->stream_L) {
            if (sm->trans) syno_cpu_gather(st, sa, base, it, &st->K, 0, K, &st->M, t0, t1, scratch, T), str_ld = T;
            else syno_cpu_gather(st, sa, base, it, &st->M, t0, t1, &st->K, 0, K, scratch, K), str_ld = K;
        } else {
            if (sm->trans) syno_cpu_gather(st, sa, base, it, &st->N, t0, t1, &st->K, 0, K, scratch, K), str_ld = K;
            else syno_cpu_gather(st, sa, base, it, &st->K, 0, K, &st->N, t0, t1, scratch, T), str_ld = T;
        }
        str = scratch;
    }
    if (st->stream_L)
        syno_cpu_sgemm(st->L.trans, st->R.trans, T, N, K, st->alpha, str, str_ld, res, res_ld, 0.0f, C + t0 * N, N);
    else
        syno_cpu_sgemm(st->L.trans, st->R.trans, M, T, K, st->alpha, res, res_ld, str, str_ld, 0.0f, C + t0, N);
}

static void generic_unit(void *ctx, int64_t u, int thread)
{
    const job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    int64_t To = st->otile, o0 = u * To, o1 = o0 + To < st->og.size ? o0 + To : st->og.size, n = o1 - o0;
    float *scratch = b->scratch + (int64_t)thread * b->scratch_per_thread;
    float *restrict acc = scratch;
    float *g = scratch + To;
    int64_t it[CPU_MAXIT] = {0};
    for (int64_t t = 0; t < n; t++) acc[t] = 0.0f;
    int64_t R = st->rg.size, Rc = st->rchunk;
    for (int64_t r0 = 0; r0 < R; r0 += Rc) {
        int64_t r1 = r0 + Rc < R ? r0 + Rc : R, nr = r1 - r0;
        for (int k = 0; k < st->nacc; k++)
            syno_cpu_gather(st, &st->acc[k], acc_base(st, b, k), it, &st->rg, r0, r1, &st->og, o0, o1, g + k * Rc * To,
                            To);
        if (st->nacc == 1) {
            for (int64_t r = 0; r < nr; r++) {
                const float *restrict a0 = g + r * To;
                for (int64_t t = 0; t < n; t++) acc[t] += a0[t];
            }
        } else if (st->nacc == 2) {
            for (int64_t r = 0; r < nr; r++) {
                const float *restrict a0 = g + r * To, *restrict a1 = g + Rc * To + r * To;
                for (int64_t t = 0; t < n; t++) acc[t] += a0[t] * a1[t];
            }
        } else {
            for (int64_t r = 0; r < nr; r++) {
                float *restrict p0 = g + r * To;
                for (int k = 1; k < st->nacc; k++) {
                    const float *restrict ak = g + k * Rc * To + r * To;
                    for (int64_t t = 0; t < n; t++) p0[t] *= ak[t];
                }
                for (int64_t t = 0; t < n; t++) acc[t] += p0[t];
            }
        }
    }
    float *out = b->p[st->ps->out] + o0;
    float alpha = st->alpha;
    for (int64_t t = 0; t < n; t++) out[t] = alpha * acc[t];
}

/* Runs FN over NUNITS units: on the pool, or in this thread when the
 * stage is too small to repay waking the workers. */
static void run_units(const cpu_stage *st, int64_t nunits, syno_pool_fn fn, job *jb)
{
    if (st->ps->points < INLINE_POINTS) {
        for (int64_t u = 0; u < nunits; u++) fn(jb, u, 0);
        return;
    }
    syno_pool_run(nunits, fn, jb);
}

/* Runs stage ST on the bound buffers B (see cpu_int.h). */
void syno_cpu_stage_run(const cpu_stage *st, const cpu_bufs *b)
{
    job jb = {st, b};
    if (st->method == CPU_GEMM) {
        if (st->pre_L || st->pre_R) run_units(st, st->pre_count, pre_unit, &jb);
        run_units(st, st->batch.size * st->ntiles, gemm_unit, &jb);
    } else {
        run_units(st, (st->og.size + st->otile - 1) / st->otile, generic_unit, &jb);
    }
}
