/* cpu_gemm.c - stages that are matrix products, on tiles (the product
 * itself is cpu_mm.c).
 *
 * The output iterators split into a batch prefix, then a run read only by
 * one operand (M), then a run read only by the other (N); the summed
 * iterators read by either form K.  Per batch value, out[M][N] = alpha ·
 * L[M][K] · R[K][N], one product per tile.  An operand that is a plain
 * strided matrix in its buffer (affine, no guards, groups contiguous) is
 * read in place; otherwise it is gathered (the implicit im2col): the larger
 * one tile by tile into per-thread scratch (tiles split its free
 * dimension), the smaller one once per batch value it depends on, before
 * the tiles.  When the output order is not [batch][M][N] (and making it so
 * would shrink the products), the products go to a temporary that is then
 * permuted.  A long K into a small output is split over the threads
 * instead, each adding into its own partial sum.  The order of K is chosen
 * to let operands be read in place and the gathers copy long unit-stride
 * runs.  The explicit mode (baselines) gathers whole matrices and lets the
 * BLAS thread one sgemm per batch value.
 *
 * Padded mode: when the streamed operand R is a window over the last two
 * axes of its buffer with zero padding (a convolution's input, or its
 * output gradient for the input gradient), it is not gathered at all.  One
 * copy of its buffer with zero borders is made per call (a ninth of what
 * the im2col gathers would copy), in which every guard holds; over output
 * columns (u, v') with v' running over the padded row length instead of
 * v's extent, each row of R is then one contiguous run of the copy, read
 * in place by the product through a table of row offsets.  The columns
 * v' >= v's extent are computed and dropped when the tile is copied to
 * the output. */
/* The inner loops here have run-time trip counts, which gcc's -O2 cost
 * model leaves scalar; the dynamic model vectorises them. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include "codegen/cpu_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GATHER_TILE_FLOATS (96 * 1024) /* floats of one gathered tile (per thread) */

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

/* How well a gather of A copies along the inner iterator of G: 0 under a
 * division, else its extent, four times that for a unit step, and times
 * the next iterator's extent when a unit-step run continues into it (the
 * block copies of cpu_access.c). */
static int64_t run_score(const cpu_stage *st, const cpu_access *a, const cpu_group *g)
{
    int v = g->it[g->n - 1];
    if (a->nonlin & (1ull << v)) return 0;
    int64_t q = st->ext[v];
    if (a->dstep[v] == 1 || a->dstep[v] == -1) q *= 4;
    if (a->dstep[v] == 1 && g->n >= 2 && a->affine && a->coef[g->it[g->n - 2]] == st->ext[v])
        q *= st->ext[g->it[g->n - 2]];
    return q;
}

/* Gather orientation: copy along the inner iterator of whichever group has
 * the longer unit-stride run.  Returns true for [cols][rows]. */
static bool gather_trans(const cpu_stage *st, const cpu_access *a, const cpu_group *rows, const cpu_group *cols)
{
    if (!rows->n) return false;
    if (!cols->n) return true;
    return run_score(st, a, rows) > run_score(st, a, cols);
}

/* Length of the unit-stride runs the better orientation of a gather of A
 * as [ROWS][COLS] copies (1 when neither inner iterator has unit stride),
 * longer when the next iterator out continues the run; at most 256. */
static int64_t gather_quality(const cpu_stage *st, const cpu_access *a, const cpu_group *rows, const cpu_group *cols)
{
    int64_t best = 1;
    for (int side = 0; side < 2; side++) {
        const cpu_group *g = side ? cols : rows;
        if (!g->n) continue;
        int v = g->it[g->n - 1];
        if ((a->nonlin & (1ull << v)) || (a->dstep[v] != 1 && a->dstep[v] != -1)) continue;
        int64_t q = st->ext[v];
        if (g->n >= 2 && a->affine && a->coef[g->it[g->n - 2]] == st->ext[v] * a->coef[v]) q *= st->ext[g->it[g->n - 2]];
        if (q > best) best = q;
    }
    return best < 256 ? best : 256;
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

static int64_t vl_of(const cpu_stage *st)
{
    return st->M.size * st->K.size;
}

static int64_t vr_of(const cpu_stage *st)
{
    return st->K.size * st->N.size;
}

/* Plans P, a padded copy of the buffer of access A in which every guard
 * holds, with v reading only its last axis and u only the one before
 * (both with step 1) and the last axis at least WP_MIN long.  False when A
 * is not such a window: not affine, guards other than RANGE ones over an
 * axis's whole range, v or u reading other axes. */
static bool pad_plan(const cpu_stage *st, const cpu_access *a, int u, int v, int64_t wp_min, cpu_pad *p)
{
    memset(p, 0, sizeof *p);
    if (!a->affine || !a->fast || a->zero_always || a->buf < 0) return false;
    const syno_plan_buf *pb = &st->plan->bufs[a->buf];
    const syno_plan_stage *s = st->ps;
    int rank = pb->rank, n = st->niters;
    if (rank < 2) return false;
    int64_t *cf = syno_xcalloc((size_t)rank * (size_t)(n + 1), sizeof *cf), *c0 = syno_xcalloc((size_t)rank, sizeof *c0);
    int64_t *lo = syno_xcalloc((size_t)rank, sizeof *lo), *hi = syno_xcalloc((size_t)rank, sizeof *hi);
    bool ok = true, *guarded = syno_xcalloc((size_t)rank, sizeof *guarded);
    for (int ax = 0; ax < rank && ok; ax++) ok = syno_plan_expr_affine(s, a->index[ax], cf + ax * n, &c0[ax]);
    for (int ax = 0; ax < rank && ok; ax++) ok &= cf[ax * n + v] == (ax == rank - 1) && cf[ax * n + u] == (ax == rank - 2);
    for (int g = 0; g < a->nguards && ok; g++) {
        const cpu_guard *cg = &a->guards[g];
        int found = -1;
        for (int ax = 0; ax < rank && found < 0; ax++) {
            bool same = cg->g0 == c0[ax];
            for (int i = 0; i < n && same; i++) same = cg->coef[i] == cf[ax * n + i];
            if (same && cg->lo == 0 && cg->hi == pb->shape[ax]) found = ax;
        }
        if (found < 0) ok = false;
        else guarded[found] = true;
    }
    for (int ax = 0; ax < rank && ok; ax++) {
        int64_t mn = c0[ax], mx = c0[ax];
        for (int i = 0; i < n; i++) {
            int64_t c = cf[ax * n + i] * (st->ext[i] - 1);
            if (c > 0) mx += c;
            else mn += c;
        }
        lo[ax] = mn < 0 ? -mn : 0;
        hi[ax] = mx > pb->shape[ax] - 1 ? mx - (pb->shape[ax] - 1) : 0;
        if ((lo[ax] || hi[ax]) && !guarded[ax]) ok = false;
    }
    if (ok) {
        int64_t w = pb->shape[rank - 1] + lo[rank - 1] + hi[rank - 1];
        if (w < wp_min) hi[rank - 1] += wp_min - w;
        p->buf = a->buf;
        p->rank = rank;
        p->shape = syno_xmalloc((size_t)rank * sizeof *p->shape);
        p->pshape = syno_xmalloc((size_t)rank * sizeof *p->pshape);
        p->lo = lo;
        p->coef = syno_xcalloc((size_t)n + 1, sizeof *p->coef);
        int64_t total = 1;
        for (int ax = rank - 1; ax >= 0; ax--) {
            p->shape[ax] = pb->shape[ax];
            p->pshape[ax] = pb->shape[ax] + lo[ax] + hi[ax];
            p->c0 += total * (c0[ax] + lo[ax]);
            for (int i = 0; i < n; i++) p->coef[i] += total * cf[ax * n + i];
            total *= p->pshape[ax];
        }
        p->wp = p->pshape[rank - 1];
        /* slack: the last rows' dropped columns read past the copy */
        p->floats = (total + 2 * p->wp + 64 + 15) / 16 * 16;
        SYNO_ASSERT(p->coef[v] == 1 && p->coef[u] == p->wp);
    } else {
        free(lo);
    }
    free(cf), free(c0), free(hi), free(guarded);
    return ok;
}

static void pad_free(cpu_pad *p)
{
    free(p->shape), free(p->lo), free(p->pshape), free(p->coef);
    memset(p, 0, sizeof *p);
}

/* The offsets in copy P of the rows of group G (one per flat index). */
static int64_t *row_offsets(const cpu_stage *st, const cpu_pad *p, const cpu_group *g)
{
    int64_t *r = syno_xmalloc((size_t)(g->size + 1) * sizeof *r), it[CPU_MAXIT] = {0};
    for (int64_t k = 0; k < g->size; k++) {
        cpu_group_set(st, g, k, it);
        int64_t off = 0;
        for (int j = 0; j < g->n; j++) off += p->coef[g->it[j]] * it[g->it[j]];
        r[k] = off;
    }
    return r;
}

/* Sets up the padded mode (see the top of the file) when N is (u, v) and
 * R a window over them.  Returns false, changing nothing, otherwise. */
static bool padded_setup(cpu_stage *st, int nthreads)
{
    if (st->stream_L || st->R.direct || st->N.n != 2 || st->K.size > INT32_MAX || !st->acc[st->R.acc].nguards)
        return false;
    int u = st->N.it[0], v = st->N.it[1];
    cpu_pad *p = &st->pad[0];
    if (!pad_plan(st, &st->acc[st->R.acc], u, v, 0, p)) return false;
    if (st->ext[v] > p->wp) {
        pad_free(p);
        return false;
    }
    st->padded = true;
    st->npads = 1;
    st->rowoff[0] = row_offsets(st, p, &st->K);
    /* vectors over M when it fills them and the dropped columns are an
     * eighth or more of the copy's rows (at 28 x 28, 2 of 30, the other
     * kernel is as fast) */
    st->pixels = st->M.size % 16 == 0 && 8 * (p->wp - st->ext[v]) >= p->wp;
    /* tiles: whole rows of u, at least 3 units per thread */
    int64_t eu = st->ext[u], per = eu;
    if (st->batch.size < 3 * (int64_t)nthreads) {
        int64_t want = (3 * (int64_t)nthreads + st->batch.size - 1) / st->batch.size;
        per = (eu + want - 1) / want;
    }
    st->pad_rows = per;
    st->ntiles = (eu + per - 1) / per;
    st->tile = per * p->wp;
    st->scratch = st->M.size * st->tile;
    st->mm_off = (st->scratch + 15) / 16 * 16;
    st->scratch = st->mm_off + cpu_mm_work();
    st->ctemp_off = st->pre_L ? (st->pre_count * st->pre_size + 15) / 16 * 16 : 0;
    p->off = (st->ctemp_off + st->ctemp_floats + 15) / 16 * 16;
    /* L packed for the kernel once per call, one copy per batch value it reads */
    st->apack_count = 1;
    for (int j = 0; j < st->batch.n; j++)
        if (st->L.batch_deps & (1ull << st->batch.it[j])) st->apack_count *= st->ext[st->batch.it[j]];
    st->apack_off = (p->off + p->floats + 15) / 16 * 16;
    st->shared = st->apack_off + st->apack_count * st->M.size * st->K.size;
    snprintf(st->method_text, sizeof st->method_text,
             "sgemm %lldx[%lldx%lld * %lldx%lld]%s, R read from a padded copy (rows of %lld for %lld%s), %lld tiles "
             "of %lld rows%s",
             (long long)st->batch.size, (long long)st->M.size, (long long)st->K.size, (long long)st->K.size,
             (long long)(eu * p->wp), st->L.direct ? "" : ", L gathered once", (long long)p->wp, (long long)st->ext[v],
             st->pixels ? ", broadcast by pixel" : "", (long long)st->ntiles, (long long)per, st->out_direct ? "" : ", output permuted");
    return true;
}

/* Whether access A reads u and v as exactly the last two axes of its
 * buffer, which are ext(u) x ext(v) (so that its padded copy is 0 in the
 * dropped columns). */
static bool exact_window(const cpu_stage *st, const cpu_access *a, const cpu_pad *p, int u, int v)
{
    int r = p->rank;
    return p->lo[r - 1] == 0 && p->lo[r - 2] == 0 && p->shape[r - 1] == st->ext[v] && p->shape[r - 2] == st->ext[u] &&
           p->pshape[r - 2] == p->shape[r - 2] && a->nguards == 0;
}

/* The padded mode of a K-split product whose K ends with (u, v) and whose
 * operands are both windows over them, one of them exactly (its padded
 * copy is 0 in the dropped columns, so they add nothing): a weight
 * gradient.  Each chunk is G values of K's other iterators (images); the
 * rows of both operands are runs of their copies, read in place by
 * cpu_mm_dot_rows (which transposes the side with fewer rows a block at
 * a time and skips the dropped columns).  Returns false, changing
 * nothing, otherwise. */
static bool padded_ksplit_setup(cpu_stage *st, int nthreads)
{
    if (st->L.direct || st->R.direct || st->L.trans || !st->R.trans || st->K.n < 2) return false;
    int u = st->K.it[st->K.n - 2], v = st->K.it[st->K.n - 1];
    const cpu_access *ra = &st->acc[st->R.acc], *la = &st->acc[st->L.acc];
    cpu_pad pr, pl;
    if (!pad_plan(st, ra, u, v, 0, &pr)) return false;
    if (!pad_plan(st, la, u, v, 0, &pl)) {
        pad_free(&pr);
        return false;
    }
    int64_t wp = pr.wp > pl.wp ? pr.wp : pl.wp;
    pad_free(&pr);
    pad_free(&pl);
    pad_plan(st, ra, u, v, wp, &st->pad[0]);
    pad_plan(st, la, u, v, wp, &st->pad[1]);
    if (st->pad[0].wp != wp || st->pad[1].wp != wp ||
        !(exact_window(st, ra, &st->pad[0], u, v) || exact_window(st, la, &st->pad[1], u, v))) {
        pad_free(&st->pad[0]);
        pad_free(&st->pad[1]);
        return false;
    }
    st->padded = true;
    st->npads = 2;
    st->rowoff[0] = row_offsets(st, &st->pad[0], &st->N);
    st->rowoff[1] = row_offsets(st, &st->pad[1], &st->M);
    /* chunks of G planes of (u, v), G dividing the extent of the iterator
     * before them (so that a chunk is G steps of it), about 1024 values of
     * k each, at least 3 chunks per thread */
    int64_t plane = st->ext[u] * st->ext[v], outer = st->K.size / plane;
    int64_t e = st->K.n >= 3 ? st->ext[st->K.it[st->K.n - 3]] : 1;
    int64_t target = (1024 + st->ext[u] * wp - 1) / (st->ext[u] * wp), most = outer / (3 * (int64_t)nthreads);
    if (target > most) target = most;
    int64_t g = 1;
    for (int64_t d = 1; d <= e && d <= target; d++)
        if (e % d == 0) g = d;
    st->pad_rows = g;
    st->tile = plane * g;
    st->ntiles = outer / g;
    st->mm_off = (st->M.size * st->N.size + 15) / 16 * 16;
    st->scratch = st->mm_off + cpu_mm_dot_work(st->M.size, st->N.size, st->ext[v]);
    st->pad[0].off = (st->ctemp_floats + 15) / 16 * 16;
    st->pad[1].off = st->pad[0].off + st->pad[0].floats;
    st->shared = st->pad[1].off + st->pad[1].floats;
    snprintf(st->method_text, sizeof st->method_text,
             "sgemm [%lldx%lld * %lldx%lld], L and R read from padded copies (rows of %lld for %lld), K split into "
             "%lld chunks summed over threads%s",
             (long long)st->M.size, (long long)st->K.size, (long long)st->K.size, (long long)st->N.size, (long long)wp,
             (long long)st->ext[v], (long long)st->ntiles, st->out_direct ? "" : ", output permuted");
    return true;
}

/* Groups ST's iterators into batch, M, N and K, in place ([batch][M][N]
 * as the output is laid out) unless that makes the products small.
 * Returns which operand is the left one (1: the first, 2: the second), or
 * 0 when the products would be too small or too large to pay. */
static int group_iterators(cpu_stage *st, uint64_t live_red)
{
    const syno_plan_stage *s = st->ps;
    uint64_t ia = st->acc[0].iters, ib = st->acc[1].iters;
    /* classes of output iterators: 1 = A only, 2 = B only, 3 = both, 0 = neither */
    int cls[CPU_MAXIT];
    int last_mixed = -1;
    for (int i = 0; i < s->nout; i++) {
        cls[i] = ((ia >> i) & 1) | (((ib >> i) & 1) << 1);
        if (cls[i] == 0 || cls[i] == 3) last_mixed = i;
    }
    /* Option A: the output written in place, as [batch][M][N], promoting
     * leading single-operand iterators to the batch as needed. */
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
    int64_t ma = 1, na = 1, mb = 1, nb = 1;
    int lefta = p < s->nout ? cls[p] : 1;
    for (int i = p; i < s->nout; i++) {
        if (cls[i] == lefta) ma *= st->ext[i];
        else na *= st->ext[i];
    }
    /* Option B: batch = iterators both (or neither) read, M and N by
     * class, the output permuted from a temporary when its order differs. */
    for (int i = 0; i < s->nout; i++) {
        if (cls[i] == 1) mb *= st->ext[i];
        if (cls[i] == 2) nb *= st->ext[i];
    }
    int64_t mina = ma < na ? ma : na, minb = mb < nb ? mb : nb, kall = 1;
    for (int i = s->nout; i < s->niters; i++)
        if (live_red & (1ull << i)) kall *= st->ext[i];
    /* in place unless that makes the products small: a side under 32
     * that B makes larger, or tiny products (under 4096 outputs and 2^16
     * multiply-adds, or under 2048 outputs when B's small side is under 8
     * and no larger: the groups of a grouped convolution with 4 channels
     * each) that B makes larger */
    bool use_a = mina >= (minb < 32 ? minb : 32) &&
                 (mina >= 32 || ma * na >= 4096 || ma * na * kall >= (1 << 16) || ma * na >= mb * nb ||
                  (minb < 8 && minb <= mina && ma * na >= 2048));
    cpu_group_clear(&st->batch);
    cpu_group_clear(&st->M);
    cpu_group_clear(&st->N);
    cpu_group_clear(&st->K);
    int left;
    if (use_a) {
        for (int i = 0; i < p; i++) cpu_group_add(st, &st->batch, i);
        left = lefta; /* 1: A is L; 2: B is L */
        for (int i = p; i < s->nout; i++) cpu_group_add(st, cls[i] == left ? &st->M : &st->N, i);
        st->out_direct = true;
    } else {
        left = 1; /* the first single-operand iterator's operand is L */
        for (int i = 0; i < s->nout; i++) {
            if (cls[i] == 1 || cls[i] == 2) {
                left = cls[i];
                break;
            }
        }
        for (int i = 0; i < s->nout; i++) {
            if (cls[i] == 0 || cls[i] == 3) cpu_group_add(st, &st->batch, i);
            else cpu_group_add(st, cls[i] == left ? &st->M : &st->N, i);
        }
        /* in place when the output order happens to be [batch][M][N] */
        int order[CPU_MAXIT], no = 0;
        for (int j = 0; j < st->batch.n; j++) order[no++] = st->batch.it[j];
        for (int j = 0; j < st->M.n; j++) order[no++] = st->M.it[j];
        for (int j = 0; j < st->N.n; j++) order[no++] = st->N.it[j];
        st->out_direct = true;
        for (int i = 0; i < no; i++) st->out_direct &= order[i] == i;
    }
    for (int i = s->nout; i < s->niters; i++)
        if (live_red & (1ull << i)) cpu_group_add(st, &st->K, i);
    if (st->K.size < 8 || st->M.size < 4 || st->N.size < 4 || st->M.size * st->N.size * st->K.size < 4096) return 0;
    if (st->M.size > INT32_MAX / 4 || st->N.size > INT32_MAX / 4 || st->K.size > INT32_MAX / 4) return 0;
    return left;
}

/* Orders ST's K iterators so that the most data is read in place, and
 * decides for each operand (LEFT as group_iterators chose) whether it is
 * read in place or gathered, and which batch iterators it reads. */
static void place_operands(cpu_stage *st, int left)
{
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
            int64_t vl = st->M.size * st->K.size, vr = st->K.size * st->N.size;
            bool dl = try_direct(st, L, &st->M, &st->K, &ml), dr = try_direct(st, R, &st->K, &st->N, &mr);
            /* first what is read in place, then how long the gathers' copies run */
            int64_t score = ((dl ? vl : 0) + (dr ? vr : 0)) * 512;
            if (!dl) score += vl * gather_quality(st, L, &st->M, &st->K) / 64;
            if (!dr) score += vr * gather_quality(st, R, &st->K, &st->N) / 64;
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
}

/* ST as the explicit (im2col + sgemm) baseline: one product per batch. */
static bool explicit_setup(cpu_stage *st)
{
    st->explicit_floats = (st->L.direct ? 0 : vl_of(st)) + (st->R.direct ? 0 : vr_of(st));
    st->ctemp_off = (st->explicit_floats + 15) / 16 * 16;
    st->shared = st->ctemp_off + st->ctemp_floats;
    st->ntiles = 1;
    st->tile = st->N.size;
    snprintf(st->method_text, sizeof st->method_text, "explicit %s: %lldx sgemm [%lldx%lld * %lldx%lld]",
             st->L.direct && st->R.direct ? "sgemm" : "im2col + sgemm", (long long)st->batch.size,
             (long long)st->M.size, (long long)st->K.size, (long long)st->K.size, (long long)st->N.size);
    return true;
    }

/* ST as one product whose long K is split in chunks over the threads and
 * summed (a long reduction into a small output). */
static bool ksplit_setup(cpu_stage *st, int nthreads)
{
    st->ksplit = true;
    if (padded_ksplit_setup(st, nthreads)) return true;
    int64_t per = (st->L.direct ? 0 : st->M.size) + (st->R.direct ? 0 : st->N.size);
    int64_t KC = per ? GATHER_TILE_FLOATS / per : st->K.size;
    int64_t most = st->K.size / (3 * (int64_t)nthreads);
    if (KC > most) KC = most;
    if (KC < 16) KC = 16;
    /* chunks of whole runs of the inner K iterators (whole image rows
     * or images), which the gathers copy in blocks */
    int64_t blk = 1;
    for (int j = st->K.n - 1; j >= 0 && blk * st->ext[st->K.it[j]] <= KC; j--) blk *= st->ext[st->K.it[j]];
    KC = KC / blk * blk;
    if (KC > st->K.size) KC = st->K.size;
    st->tile = KC;
    st->ntiles = (st->K.size + KC - 1) / KC;
    /* both operands gathered with K contiguous: rows padded with zeros
     * to whole vectors, the product runs over the padding */
    st->kpad = !st->L.direct && !st->R.direct && !st->L.trans && st->R.trans;
    int64_t KCp = st->kpad ? (KC + 7) / 8 * 8 : KC;
    st->scratch = (st->M.size * st->N.size + 15) / 16 * 16 + KCp * per;
    st->mm_off = (st->scratch + 15) / 16 * 16;
    st->scratch = st->mm_off + cpu_mm_work();
    st->ctemp_off = 0;
    st->shared = st->ctemp_floats;
    snprintf(st->method_text, sizeof st->method_text,
             "sgemm [%lldx%lld * %lldx%lld]%s%s, K split into %lld chunks of %lld summed over threads%s",
             (long long)st->M.size, (long long)st->K.size, (long long)st->K.size, (long long)st->N.size,
             st->L.direct ? "" : ", L gathered per chunk", st->R.direct ? "" : ", R gathered per chunk",
             (long long)st->ntiles, (long long)KC, st->out_direct ? "" : ", output permuted");
    return true;
    }

/* ST as products tiled along the streaming operand (the larger one that is
 * gathered), the other one read in place or gathered once. */
static bool stream_setup(cpu_stage *st, int nthreads)
{
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
    if (padded_setup(st, nthreads)) return true;
    /* tiles: at most GATHER_TILE_FLOATS gathered floats each, at least 3
     * units per thread when there are several, split evenly in multiples of the kernel's panel
     * width (no sliver of a tile at the end) */
    int64_t S = st->stream_L ? st->M.size : st->N.size;
    const cpu_mat *stm = st->stream_L ? &st->L : &st->R;
    int64_t T = stm->direct ? S : GATHER_TILE_FLOATS / st->K.size;
    if (T < 16) T = 16;
    if (T > S) T = S;
    /* (one thread: no splitting for balance; every tile packs L again) */
    int64_t nt = (S + T - 1) / T, want_units = nthreads > 1 ? 3 * (int64_t)nthreads : 1;
    if (st->batch.size * nt < want_units) nt = (want_units + st->batch.size - 1) / st->batch.size;
    if (nt > (S + 15) / 16) nt = (S + 15) / 16;
    T = (S + nt - 1) / nt;
    if (T < S) T = (T + 15) / 16 * 16;
    if (T > S) T = S;
    st->tile = T;
    st->ntiles = (S + T - 1) / T;
    st->scratch = stm->direct ? 0 : T * st->K.size;
    st->mm_off = (st->scratch + 15) / 16 * 16;
    st->scratch = st->mm_off + cpu_mm_work();
    st->ctemp_off = st->pre_L || st->pre_R ? (st->pre_count * st->pre_size + 15) / 16 * 16 : 0;
    st->shared = st->ctemp_off + st->ctemp_floats;
    snprintf(st->method_text, sizeof st->method_text,
             "sgemm %lldx[%lldx%lld * %lldx%lld]%s%s, %lld tiles of %lld along %s%s", (long long)st->batch.size,
             (long long)st->M.size, (long long)st->K.size, (long long)st->K.size, (long long)st->N.size,
             st->L.direct ? "" : (st->stream_L ? ", L gathered per tile" : ", L gathered once"),
             st->R.direct ? "" : (st->stream_L ? ", R gathered once" : ", R gathered per tile"),
             (long long)st->ntiles, (long long)T, st->stream_L ? "M" : "N",
             st->out_direct ? "" : ", output permuted");
    return true;
}

/* Sets ST up as matrix products when it is a worthwhile one (two operands
 * read through their own iterators, a real M, N and K); LIVE_RED are the
 * summed iterators some operand reads, NTHREADS sizes the tiles.  Returns
 * false, leaving ST's method to the caller, otherwise. */
bool cpu_gemm_setup(cpu_stage *st, uint64_t live_red, int nthreads)
{
    if (st->ps->nops != 2 || st->has_mask) return false;
    int left = group_iterators(st, live_red);
    if (!left) return false;
    place_operands(st, left);
    st->ctemp_floats = st->out_direct ? 0 : st->batch.size * st->M.size * st->N.size;
    if (st->explicit_gemm) return explicit_setup(st);
    /* a long reduction into a small output: split K over the threads */
    int64_t mx = st->M.size > st->N.size ? st->M.size : st->N.size;
    if (st->batch.size == 1 && st->K.size >= 8 * mx && st->M.size * st->N.size <= 65536) return ksplit_setup(st, nthreads);
    return stream_setup(st, nthreads);
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
    if (m->trans) cpu_gather(st, a, cpu_acc_base(st, b, m->acc), it, cols, 0, cols->size, rows, 0, rows->size, dst, rows->size);
    else cpu_gather(st, a, cpu_acc_base(st, b, m->acc), it, rows, 0, rows->size, cols, 0, cols->size, dst, cols->size);
}

static void pre_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const cpu_job *jb = ctx;
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
    return cpu_acc_base(st, b, m->acc) + off;
}

/* Padded mode: plane u of the padded copies (a plane is the last two
 * axes; the planes of every copy numbered one after the other): zeros
 * where they are padding, the buffer elsewhere. */
static void pad_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    int64_t first = 0;
    for (int k = 0; k < st->npads; k++) {
        const cpu_pad *p = &st->pad[k];
        int rank = p->rank;
        int64_t planes = 1;
        for (int ax = 0; ax < rank - 2; ax++) planes *= p->pshape[ax];
        if (u >= first + planes) {
            first += planes;
            continue;
        }
        const float *src = jb->b->p[p->buf];
        float *dst = jb->b->shared + p->off;
        int64_t pl = u - first, h = p->shape[rank - 2], w = p->shape[rank - 1], hp = p->pshape[rank - 2], wp = p->wp;
        int64_t lr = p->lo[rank - 2], l = p->lo[rank - 1];
        /* the source plane of padded plane pl, or none */
        int64_t rest = pl, splane = 0, sstride = 1;
        bool inside = true;
        for (int ax = rank - 3; ax >= 0; ax--) {
            int64_t i = rest % p->pshape[ax] - p->lo[ax];
            rest /= p->pshape[ax];
            inside &= i >= 0 && i < p->shape[ax];
            splane += i * sstride;
            sstride *= p->shape[ax];
        }
        float *d = dst + pl * hp * wp;
        if (!inside) {
            memset(d, 0, (size_t)(hp * wp) * sizeof *d);
        } else {
            /* the whole plane zeroed at once, then the rows copied in line:
             * rows of 14 or 28 floats make memcpy's call cost most of the copy */
            const float *sp = src + splane * h * w;
            memset(d, 0, (size_t)(hp * wp) * sizeof *d);
            for (int64_t r = 0; r < h; r++) {
                float *restrict dr = d + (lr + r) * wp + l;
                const float *restrict sr = sp + r * w;
                for (int64_t j = 0; j < w; j++) dr[j] = sr[j];
            }
        }
        if (pl == planes - 1) memset(dst + planes * hp * wp, 0, (size_t)(p->floats - planes * hp * wp) * sizeof *dst);
        return;
    }
}

/* The planes of all padded copies together (pad_unit's numbering). */
static int64_t pad_planes(const cpu_stage *st)
{
    int64_t total = 0;
    for (int k = 0; k < st->npads; k++) {
        int64_t planes = 1;
        for (int ax = 0; ax < st->pad[k].rank - 2; ax++) planes *= st->pad[k].pshape[ax];
        total += planes;
    }
    return total;
}

/* The packed copy of L for the batch values in IT. */
static int64_t apack_index(const cpu_stage *st, const int64_t *it)
{
    int64_t idx = 0;
    for (int j = 0; j < st->batch.n; j++) {
        int i = st->batch.it[j];
        if (st->L.batch_deps & (1ull << i)) idx = idx * st->ext[i] + it[i];
    }
    return idx;
}

/* Padded mode: L for the U-th combination of the batch values it reads,
 * packed for the kernel (alpha applied). */
static void apack_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    int64_t it[CPU_MAXIT] = {0}, rest = u;
    for (int j = st->batch.n - 1; j >= 0; j--) {
        int i = st->batch.it[j];
        if (!(st->L.batch_deps & (1ull << i))) continue;
        it[i] = rest % st->ext[i];
        rest /= st->ext[i];
    }
    int64_t M = st->M.size, K = st->K.size;
    const float *res = st->L.direct ? direct_ptr(st, b, &st->L, it) : b->shared + pre_index(st, &st->L, it) * st->pre_size;
    int64_t ld = st->L.direct ? st->L.ld : (st->L.trans ? M : K);
    if (st->pixels) cpu_mm_pack_t(st->L.trans, M, K, st->alpha, res, ld, b->shared + st->apack_off + u * M * K);
    else cpu_mm_pack(st->L.trans, M, K, st->alpha, res, ld, b->shared + st->apack_off + u * M * K);
}

/* Padded mode: rows [t0, t1) of u of batch value BI: the product over the
 * padded columns into scratch, then its first ext(v) columns of each row
 * of u to the output. */
static void padded_unit(const cpu_stage *st, const cpu_bufs *b, int64_t bi, int64_t ti, int thread)
{
    int64_t it[CPU_MAXIT] = {0};
    cpu_group_set(st, &st->batch, bi, it);
    int64_t M = st->M.size, N = st->N.size, K = st->K.size, wp = st->pad[0].wp, ev = st->ext[st->N.it[1]];
    int64_t eu = st->ext[st->N.it[0]], u0 = ti * st->pad_rows, u1 = u0 + st->pad_rows < eu ? u0 + st->pad_rows : eu;
    int64_t cols = (u1 - u0) * wp;
    const float *apacked = b->shared + st->apack_off + apack_index(st, it) * M * K;
    const cpu_pad *p = &st->pad[0];
    int64_t base = p->c0;
    for (int j = 0; j < st->batch.n; j++) base += p->coef[st->batch.it[j]] * it[st->batch.it[j]];
    const float *bsrc = b->shared + p->off + base + u0 * wp;
    float *scratch = b->scratch + (int64_t)thread * b->scratch_per_thread;
    float *C = (st->out_direct ? b->p[st->ps->out] : b->shared + st->ctemp_off) + bi * M * N;
    if (st->pixels) {
        cpu_mm_pixels(M, K, apacked, bsrc, st->rowoff[0], u1 - u0, ev, wp, C + u0 * ev, N);
        return;
    }
    cpu_mm_rows(M, cols, K, apacked, bsrc, st->rowoff[0], false, scratch, cols, scratch + st->mm_off);
    for (int64_t m = 0; m < M; m++)
        for (int64_t uu = u0; uu < u1; uu++)
            memcpy(C + m * N + uu * ev, scratch + m * cols + (uu - u0) * wp, (size_t)ev * sizeof *C);
}

static void gemm_unit(void *ctx, int64_t u, int thread)
{
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    int64_t bi = u / st->ntiles, ti = u % st->ntiles;
    if (st->padded) {
        padded_unit(st, b, bi, ti, thread);
        return;
    }
    int64_t it[CPU_MAXIT] = {0};
    cpu_group_set(st, &st->batch, bi, it);
    int64_t M = st->M.size, N = st->N.size, K = st->K.size;
    float *C = (st->out_direct ? b->p[st->ps->out] : b->shared + st->ctemp_off) + bi * M * N;
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
        const float *base = cpu_acc_base(st, b, sm->acc);
        if (st->stream_L) {
            if (sm->trans) cpu_gather(st, sa, base, it, &st->K, 0, K, &st->M, t0, t1, scratch, T), str_ld = T;
            else cpu_gather(st, sa, base, it, &st->M, t0, t1, &st->K, 0, K, scratch, K), str_ld = K;
        } else {
            if (sm->trans) cpu_gather(st, sa, base, it, &st->N, t0, t1, &st->K, 0, K, scratch, K), str_ld = K;
            else cpu_gather(st, sa, base, it, &st->K, 0, K, &st->N, t0, t1, scratch, T), str_ld = T;
        }
        str = scratch;
    }
    float *work = b->scratch + (int64_t)thread * b->scratch_per_thread + st->mm_off;
    if (st->stream_L)
        cpu_mm(st->L.trans, st->R.trans, T, N, K, st->alpha, str, str_ld, res, res_ld, false, C + t0 * N, N, work);
    else
        cpu_mm(st->L.trans, st->R.trans, M, T, K, st->alpha, res, res_ld, str, str_ld, false, C + t0, N, work);
}

/* K-split: this unit's chunk of K, added into the thread's partial sum. */
static void ksplit_unit(void *ctx, int64_t u, int thread)
{
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    if (st->padded) {
        /* chunk u: pad_rows consecutive values of K's iterators before (u, v),
         * the last one of them stepping (images) */
        int64_t it[CPU_MAXIT] = {0};
        int64_t nseg = st->pad_rows;
        cpu_group_set(st, &st->K, u * st->tile, it);
        int64_t bl = st->pad[1].c0, br = st->pad[0].c0;
        for (int j = 0; j + 2 < st->K.n; j++) {
            bl += st->pad[1].coef[st->K.it[j]] * it[st->K.it[j]];
            br += st->pad[0].coef[st->K.it[j]] * it[st->K.it[j]];
        }
        int lastj = st->K.n - 3; /* the iterator the segments step; none when K is just (u, v) */
        int64_t sl = lastj >= 0 ? st->pad[1].coef[st->K.it[lastj]] : 0, sr = lastj >= 0 ? st->pad[0].coef[st->K.it[lastj]] : 0;
        float *part = b->scratch + (int64_t)thread * b->scratch_per_thread;
        cpu_mm_dot_rows(st->M.size, st->N.size, st->ext[st->K.it[st->K.n - 2]], st->ext[st->K.it[st->K.n - 1]],
                        st->pad[0].wp, nseg, sl, sr, st->alpha, b->shared + st->pad[1].off + bl, st->rowoff[1],
                        b->shared + st->pad[0].off + br, st->rowoff[0], part, st->N.size, part + st->mm_off);
        return;
    }
    int64_t M = st->M.size, N = st->N.size, K = st->K.size;
    int64_t k0 = u * st->tile, k1 = k0 + st->tile < K ? k0 + st->tile : K, kc = k1 - k0;
    int64_t kp = st->kpad ? (kc + 7) / 8 * 8 : kc; /* row length of the gathers (see kpad) */
    float *part = b->scratch + (int64_t)thread * b->scratch_per_thread;
    float *g = part + (M * N + 15) / 16 * 16;
    int64_t it[CPU_MAXIT] = {0};
    const float *Lp, *Rp;
    int64_t lda, ldb;
    if (st->L.direct) {
        const float *base = direct_ptr(st, b, &st->L, it);
        Lp = st->L.trans ? base + k0 * st->L.ld : base + k0;
        lda = st->L.ld;
    } else {
        const cpu_access *a = &st->acc[st->L.acc];
        if (st->L.trans) cpu_gather(st, a, cpu_acc_base(st, b, st->L.acc), it, &st->K, k0, k1, &st->M, 0, M, g, M), lda = M;
        else cpu_gather(st, a, cpu_acc_base(st, b, st->L.acc), it, &st->M, 0, M, &st->K, k0, k1, g, kp), lda = kp;
        Lp = g;
        g += M * kp;
    }
    if (st->R.direct) {
        const float *base = direct_ptr(st, b, &st->R, it);
        Rp = st->R.trans ? base + k0 : base + k0 * st->R.ld;
        ldb = st->R.ld;
    } else {
        const cpu_access *a = &st->acc[st->R.acc];
        if (st->R.trans) cpu_gather(st, a, cpu_acc_base(st, b, st->R.acc), it, &st->N, 0, N, &st->K, k0, k1, g, kp), ldb = kp;
        else cpu_gather(st, a, cpu_acc_base(st, b, st->R.acc), it, &st->K, k0, k1, &st->N, 0, N, g, N), ldb = N;
        Rp = g;
    }
    if (kp > kc) {
        for (int64_t i = 0; i < M; i++) memset((float *)Lp + i * kp + kc, 0, (size_t)(kp - kc) * sizeof(float));
        for (int64_t j = 0; j < N; j++) memset((float *)Rp + j * kp + kc, 0, (size_t)(kp - kc) * sizeof(float));
    }
    cpu_mm(st->L.trans, st->R.trans, M, N, kp, st->alpha, Lp, lda, Rp, ldb, true, part, N,
                b->scratch + (int64_t)thread * b->scratch_per_thread + st->mm_off);
}

/* K-split: zero the partial sums, run the chunks, add the partials up. */
static void run_ksplit(const cpu_stage *st, const cpu_bufs *b, cpu_job *jb, bool inline_units)
{
    int nthreads = inline_units ? 1 : syno_pool_threads();
    int64_t MN = st->M.size * st->N.size;
    if (st->padded) cpu_run_units(st, pad_planes(st), pad_unit, jb);
    for (int t = 0; t < nthreads; t++) memset(b->scratch + (int64_t)t * b->scratch_per_thread, 0, (size_t)MN * sizeof(float));
    if (inline_units)
        for (int64_t u = 0; u < st->ntiles; u++) ksplit_unit(jb, u, 0);
    else
        syno_pool_run(st->ntiles, ksplit_unit, jb);
    float *restrict dst = st->out_direct ? b->p[st->ps->out] : b->shared + st->ctemp_off;
    memcpy(dst, b->scratch, (size_t)MN * sizeof(float));
    for (int t = 1; t < nthreads; t++) {
        const float *restrict part = b->scratch + (int64_t)t * b->scratch_per_thread;
        for (int64_t i = 0; i < MN; i++) dst[i] += part[i];
    }
}

#define PERMUTE_ROWS 64

/* Copies rows [u * PERMUTE_ROWS, ...) of the [batch][M][N] temporary to
 * the output, whose axis i is iterator i. */
static void permute_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    const float *src = jb->b->shared + st->ctemp_off;
    float *out = jb->b->p[st->ps->out];
    int nout = st->ps->nout;
    int64_t stride[CPU_MAXIT], it[CPU_MAXIT] = {0};
    int64_t acc = 1;
    for (int i = nout - 1; i >= 0; i--) {
        stride[i] = acc;
        acc *= st->ext[i];
    }
    int64_t M = st->M.size, N = st->N.size, rows = st->batch.size * M;
    int64_t r0 = u * PERMUTE_ROWS, r1 = r0 + PERMUTE_ROWS < rows ? r0 + PERMUTE_ROWS : rows;
    int vn = st->N.it[st->N.n - 1];
    for (int64_t r = r0; r < r1; r++) {
        cpu_group_set(st, &st->batch, r / M, it);
        cpu_group_set(st, &st->M, r % M, it);
        cpu_group_set(st, &st->N, 0, it);
        const float *row = src + r * N;
        for (int64_t j = 0; j < N;) {
            int64_t off = 0;
            for (int i = 0; i < nout; i++) off += stride[i] * it[i];
            int64_t len = st->ext[vn], sv = stride[vn];
            for (int64_t t = 0; t < len; t++) out[off + t * sv] = row[j + t];
            j += len;
            it[vn] = len;
            for (int g = st->N.n - 1; g > 0 && it[st->N.it[g]] == st->ext[st->N.it[g]]; g--) {
                it[st->N.it[g]] = 0;
                it[st->N.it[g - 1]]++;
            }
        }
    }
}

typedef struct xjob {
    const cpu_stage *st;
    const cpu_bufs *b;
    const cpu_access *a;
    const cpu_group *rows, *cols;
    float *dst;
    int64_t chunk;
    const int64_t *it;
} xjob;

static void xgather_unit(void *ctx, int64_t u, int thread)
{
    (void)thread;
    const xjob *x = ctx;
    int64_t it[CPU_MAXIT];
    memcpy(it, x->it, sizeof it);
    int64_t r0 = u * x->chunk, r1 = r0 + x->chunk < x->rows->size ? r0 + x->chunk : x->rows->size;
    cpu_gather(x->st, x->a, cpu_acc_base(x->st, x->b, x->a - x->st->acc), it, x->rows, r0, r1, x->cols, 0,
                    x->cols->size, x->dst + r0 * x->cols->size, x->cols->size);
}

/* The whole matrix M (rows ROWS, cols COLS in its logical orientation)
 * gathered into DST by every thread, or its address when it is direct. */
static const float *explicit_matrix(const cpu_stage *st, const cpu_bufs *b, const cpu_mat *m, const cpu_group *rows,
                                    const cpu_group *cols, const int64_t *it, float *dst)
{
    if (m->direct) return direct_ptr(st, b, m, it);
    xjob x = {st, b, &st->acc[m->acc], m->trans ? cols : rows, m->trans ? rows : cols, dst, 0, it};
    x.chunk = (x.rows->size + 63) / 64;
    syno_pool_run((x.rows->size + x.chunk - 1) / x.chunk, xgather_unit, &x);
    return dst;
}

/* Explicit mode: for each batch value, the two whole matrices, then one
 * sgemm threaded by the BLAS itself. */
static void run_explicit(const cpu_stage *st, const cpu_bufs *b)
{
    int64_t M = st->M.size, N = st->N.size, K = st->K.size;
    float *lbuf = b->shared, *rbuf = b->shared + (st->L.direct ? 0 : M * K);
    for (int64_t bi = 0; bi < st->batch.size; bi++) {
        int64_t it[CPU_MAXIT] = {0};
        cpu_group_set(st, &st->batch, bi, it);
        const float *L = explicit_matrix(st, b, &st->L, &st->M, &st->K, it, lbuf);
        const float *R = explicit_matrix(st, b, &st->R, &st->K, &st->N, it, rbuf);
        int64_t lda = st->L.direct ? st->L.ld : (st->L.trans ? M : K);
        int64_t ldb = st->R.direct ? st->R.ld : (st->R.trans ? K : N);
        cpu_blas_threads(syno_pool_threads());
        cpu_sgemm(st->L.trans, st->R.trans, M, N, K, st->alpha, L, lda, R, ldb, 0.0f,
                       (st->out_direct ? b->p[st->ps->out] : b->shared + st->ctemp_off) + bi * M * N, N);
        cpu_blas_threads(1);
    }
}

/* Runs GEMM stage ST on the bound buffers B (see cpu_int.h). */
void cpu_gemm_run(const cpu_stage *st, const cpu_bufs *b)
{
    cpu_job jb = {st, b};
    if (st->explicit_gemm) {
        run_explicit(st, b);
    } else if (st->ksplit) {
        run_ksplit(st, b, &jb, st->ps->points < CPU_INLINE_POINTS);
    } else {
        if (st->pre_L || st->pre_R) cpu_run_units(st, st->pre_count, pre_unit, &jb);
        if (st->padded) {
            cpu_run_units(st, pad_planes(st), pad_unit, &jb);
            cpu_run_units(st, st->apack_count, apack_unit, &jb);
        }
        cpu_run_units(st, st->batch.size * st->ntiles, gemm_unit, &jb);
    }
    if (!st->out_direct)
        cpu_run_units(st, (st->batch.size * st->M.size + PERMUTE_ROWS - 1) / PERMUTE_ROWS, permute_unit, &jb);
}
