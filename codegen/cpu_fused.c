/* cpu_fused.c - generic stages whose operands are all affine: products
 * taken straight from the operands' buffers, no gathered copies.
 *
 * The generic path (cpu_generic.c) gathers every operand into a dense tile
 * before multiplying; when each operand's offset and guards are affine in
 * the iterators (cpu_access.c's "fast" operands: a depthwise convolution,
 * its gradients, most Hadamard-like stages), the gather is a strided copy
 * whose only work is to skip the padding, so the copy can be the product
 * itself.  Along the segment iterator v (the generic path's choice) every
 * operand is base + t·step inside the interval where its guards hold; the
 * intersection of the operands' intervals is multiplied and accumulated in
 * place (step 0 is a scalar, so a weight broadcast over the pixels costs
 * nothing).  Offsets and guard values follow the iterators incrementally.
 *
 * Vector mode (v an output iterator): for each reduction point, every
 * segment of the output tile adds its products into the tile's sums.
 * Dot mode (v summed): for each output, the reduction is walked in
 * segments and each segment's dot product added up. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include "codegen/cpu_int.h"
#include "base/simd.h"

#include <string.h>

#define FG 8                               /* guards per operand (the fast operands' limit) */
#define FV ((SYNO_PLAN_MAX_OPS + 1) * (FG + 1)) /* values followed */

/* The running state: every operand's offset and guard values at the
 * current iterators, in the layout of cpu_stage.fused (the offset of
 * operand k at fvoff[k], its guards after it). */
typedef struct fstate {
    int64_t v[FV];
} fstate;

/* Whether stage ST can run fused: every operand (and the guard mask) a
 * fast affine access. */
bool cpu_fused_ok(const cpu_stage *st)
{
    int nv = 0;
    for (int k = 0; k < st->nacc; k++) {
        if (!st->acc[k].fast || st->acc[k].nguards > FG) return false;
        nv += 1 + st->acc[k].nguards;
    }
    return st->nacc >= 1 && nv <= FV;
}

/* Sets up the value layout and the per-iterator steps of ST's values. */
void cpu_fused_setup(cpu_stage *st)
{
    int nv = 0;
    for (int k = 0; k < st->nacc; k++) {
        st->fvoff[k] = nv;
        nv += 1 + st->acc[k].nguards;
    }
    st->fnv = nv;
    st->fdelta = syno_xcalloc((size_t)st->niters * (size_t)nv + 1, sizeof *st->fdelta);
    for (int i = 0; i < st->niters; i++)
        for (int k = 0; k < st->nacc; k++) {
            const cpu_access *a = &st->acc[k];
            int64_t *d = st->fdelta + (size_t)i * (size_t)nv + st->fvoff[k];
            d[0] = a->coef[i];
            for (int g = 0; g < a->nguards; g++) d[1 + g] = a->guards[g].coef[i];
        }
}

/* Adds D steps of iterator I to every value. */
SYNO_SIMD_INLINE void fs_step(const cpu_stage *st, fstate *f, int i, int64_t d)
{
    const int64_t *restrict dl = st->fdelta + (size_t)i * (size_t)st->fnv;
    for (int q = 0; q < st->fnv; q++) f->v[q] += dl[q] * d;
}

/* The state at iterator values IT (every iterator). */
SYNO_SIMD_INLINE void fs_init(const cpu_stage *st, fstate *f, const int64_t *it)
{
    for (int k = 0; k < st->nacc; k++) {
        const cpu_access *a = &st->acc[k];
        int64_t *v = f->v + st->fvoff[k];
        v[0] = a->c0;
        for (int g = 0; g < a->nguards; g++) v[1 + g] = a->guards[g].g0;
    }
    for (int i = 0; i < st->niters; i++)
        if (it[i]) fs_step(st, f, i, it[i]);
}

/* Carries group G's iterators from position J down, the state in step. */
SYNO_SIMD_INLINE void fs_carry(const cpu_stage *st, fstate *f, const cpu_group *grp, int j, int64_t *it)
{
    for (; j > 0 && it[grp->it[j]] == st->ext[grp->it[j]]; j--) {
        int i = grp->it[j], o = grp->it[j - 1];
        it[i] = 0;
        it[o]++;
        fs_step(st, f, i, -st->ext[i]);
        fs_step(st, f, o, 1);
    }
}

/* Narrows [*lo, *hi) to the t with glo <= x + d·t < ghi. */
SYNO_SIMD_INLINE void fs_narrow(int64_t x, int64_t d, int64_t glo, int64_t ghi, int64_t *lo, int64_t *hi)
{
    int64_t a0, a1;
    if (d == 0) {
        if (x < glo || x >= ghi) *hi = *lo;
        return;
    }
    if (d == 1) {
        a0 = glo - x;
        a1 = ghi - x;
    } else if (d == -1) {
        a0 = x - ghi + 1;
        a1 = x - glo + 1;
    } else if (d > 0) {
        a0 = glo - x <= 0 ? 0 : (glo - x + d - 1) / d;
        a1 = ghi - x <= 0 ? 0 : (ghi - x + d - 1) / d;
    } else {
        int64_t m = -d;
        a1 = x - glo < 0 ? 0 : (x - glo) / m + 1;
        a0 = x - ghi < 0 ? 0 : (x - ghi) / m + 1;
    }
    if (a0 > *lo) *lo = a0;
    if (a1 < *hi) *hi = a1;
}

/* Narrows [*lo, *hi) to the t where operand K's guards hold at state F
 * plus t steps of iterator V. */
SYNO_SIMD_INLINE void fs_interval(const cpu_stage *st, const fstate *f, int k, int v, int64_t *lo, int64_t *hi)
{
    const cpu_access *a = &st->acc[k];
    const int64_t *x = f->v + st->fvoff[k] + 1;
    for (int g = 0; g < a->nguards && *lo < *hi; g++)
        fs_narrow(x[g], a->guards[g].coef[v], a->guards[g].lo, a->guards[g].hi, lo, hi);
}

/* One segment's operands: where each starts and its step along v (the
 * guard mask has no data and is left out). */
typedef struct fseg {
    int m;
    const float *src[SYNO_PLAN_MAX_OPS + 1];
    int64_t step[SYNO_PLAN_MAX_OPS + 1];
} fseg;

SYNO_SIMD_INLINE void seg_of(const cpu_stage *st, const cpu_bufs *b, const fstate *f, int v, fseg *sg)
{
    sg->m = 0;
    for (int k = 0; k < st->nacc; k++) {
        if (st->acc[k].buf < 0) continue;
        sg->src[sg->m] = cpu_acc_base(st, b, k) + f->v[st->fvoff[k]];
        sg->step[sg->m++] = st->acc[k].coef[v];
    }
}

/* The products P[t] = Π_k src_k[t·step_k] of a segment for t in [lo, hi),
 * with every source moved by SHIFT_k elements.  ACC: acc[t] += P[t], and
 * 0 is returned; else Σ P[t] is returned. */
SYNO_SIMD_INLINE float seg_products(const fseg *sg, const int64_t *shift, int64_t lo, int64_t hi, float *restrict acc)
{
    float part[8] = {0};
    const int m = sg->m;
    if (m == 2 && sg->step[0] == 1 && sg->step[1] == 1) {
        const float *restrict x = sg->src[0] + shift[0], *restrict y = sg->src[1] + shift[1];
        if (acc) {
            for (int64_t t = lo; t < hi; t++) acc[t] += x[t] * y[t];
            return 0.0f;
        }
        int64_t t = lo;
        for (; t + 8 <= hi; t += 8)
            for (int l = 0; l < 8; l++) part[l] += x[t + l] * y[t + l];
        for (; t < hi; t++) part[0] += x[t] * y[t];
    } else if (m == 2 && (sg->step[0] == 0 || sg->step[1] == 0)) {
        int s = sg->step[0] == 0 ? 1 : 0;
        const float c = sg->src[1 - s][shift[1 - s]];
        const float *restrict x = sg->src[s] + shift[s];
        int64_t sx = sg->step[s];
        if (acc) {
            if (sx == 1)
                for (int64_t t = lo; t < hi; t++) acc[t] += x[t] * c;
            else
                for (int64_t t = lo; t < hi; t++) acc[t] += x[t * sx] * c;
            return 0.0f;
        }
        if (sx == 1) {
            int64_t t = lo;
            for (; t + 8 <= hi; t += 8)
                for (int l = 0; l < 8; l++) part[l] += x[t + l];
            for (; t < hi; t++) part[0] += x[t];
        } else {
            for (int64_t t = lo; t < hi; t++) part[0] += x[t * sx];
        }
        for (int l = 0; l < 8; l++) part[l] *= c;
    } else if (m == 2) {
        const float *restrict x = sg->src[0] + shift[0], *restrict y = sg->src[1] + shift[1];
        int64_t sx = sg->step[0], sy = sg->step[1];
        if (acc) {
            for (int64_t t = lo; t < hi; t++) acc[t] += x[t * sx] * y[t * sy];
            return 0.0f;
        }
        for (int64_t t = lo; t < hi; t++) part[0] += x[t * sx] * y[t * sy];
    } else if (m == 1) {
        const float *restrict x = sg->src[0] + shift[0];
        int64_t sx = sg->step[0];
        for (int64_t t = lo; t < hi; t++) {
            if (acc) acc[t] += x[t * sx];
            else part[0] += x[t * sx];
        }
    } else {
        for (int64_t t = lo; t < hi; t++) {
            float p = 1.0f;
            for (int k = 0; k < m; k++) p *= sg->src[k][shift[k] + t * sg->step[k]];
            if (acc) acc[t] += p;
            else part[0] += p;
        }
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

/* Whether the rows of U can be taken in blocks when walking along V: no
 * guard of any operand reads both. */
SYNO_SIMD_INLINE bool blockable(const cpu_stage *st, int u, int v)
{
    for (int k = 0; k < st->nacc; k++)
        for (int g = 0; g < st->acc[k].nguards; g++)
            if (st->acc[k].guards[g].coef[u] && st->acc[k].guards[g].coef[v]) return false;
    return true;
}

/* Walks positions [c0, c1) of group G (its iterators in IT at c0, the
 * state F there), adding the products at each position into ACC[c - c0]
 * (vector mode) or into the returned sum (ACC NULL).  Runs along the last
 * iterator v of G; whole rows of the next one, u, at once when BLOCK. */
SYNO_SIMD_INLINE float walk(const cpu_stage *st, const cpu_bufs *b, fstate *f, const cpu_group *grp, int64_t *it, int64_t c0,
                  int64_t c1, bool block, float *acc)
{
    int v = grp->it[grp->n - 1], u = grp->n >= 2 ? grp->it[grp->n - 2] : -1;
    int64_t ev = st->ext[v], zero[SYNO_PLAN_MAX_OPS + 1] = {0};
    float sum = 0.0f;
    for (int64_t c = c0; c < c1;) {
        fseg sg;
        seg_of(st, b, f, v, &sg);
        if (block && u >= 0 && it[v] == 0 && c1 - c >= 2 * ev) {
            /* rows [0, nr) of u: the valid rectangle of every operand */
            int64_t nr = (c1 - c) / ev, left = st->ext[u] - it[u];
            if (nr > left) nr = left;
            int64_t ulo = 0, uhi = nr, vlo = 0, vhi = ev;
            for (int k = 0; k < st->nacc; k++) {
                const cpu_access *a = &st->acc[k];
                const int64_t *x = f->v + st->fvoff[k] + 1;
                for (int g = 0; g < a->nguards; g++) {
                    const cpu_guard *cg = &a->guards[g];
                    if (cg->coef[u]) fs_narrow(x[g], cg->coef[u], cg->lo, cg->hi, &ulo, &uhi);
                    else fs_narrow(x[g], cg->coef[v], cg->lo, cg->hi, &vlo, &vhi);
                }
            }
            if (vlo < vhi && acc && sg.m == 2 && sg.step[0] + sg.step[1] == 1 && sg.step[0] * sg.step[1] == 0) {
                /* a row of one operand times a scalar of the other, row
                 * after row (the weight of a depthwise convolution) */
                int s = sg.step[0] == 0 ? 1 : 0;
                int64_t su = 0, cu = 0;
                for (int k = 0, q = 0; k < st->nacc; k++)
                    if (st->acc[k].buf >= 0) *(q++ == s ? &su : &cu) = st->acc[k].coef[u];
                for (int64_t t = ulo; t < uhi; t++) {
                    const float w = sg.src[1 - s][t * cu];
                    const float *restrict x = sg.src[s] + t * su;
                    float *restrict a = acc + (c - c0) + t * ev;
                    for (int64_t z = vlo; z < vhi; z++) a[z] += x[z] * w;
                }
            } else if (vlo < vhi) {
                int64_t ustep[SYNO_PLAN_MAX_OPS + 1], shift[SYNO_PLAN_MAX_OPS + 1];
                for (int k = 0, q = 0; k < st->nacc; k++)
                    if (st->acc[k].buf >= 0) ustep[q++] = st->acc[k].coef[u];
                for (int64_t t = ulo; t < uhi; t++) {
                    for (int q = 0; q < sg.m; q++) shift[q] = t * ustep[q];
                    float r = seg_products(&sg, shift, vlo, vhi, acc ? acc + (c - c0) + t * ev : NULL);
                    sum += r;
                }
            }
            c += nr * ev;
            it[u] += nr;
            fs_step(st, f, u, nr);
            fs_carry(st, f, grp, grp->n - 2, it);
            continue;
        }
        int64_t len = ev - it[v], lo = 0, hi;
        if (len > c1 - c) len = c1 - c;
        hi = len;
        for (int k = 0; k < st->nacc && lo < hi; k++) fs_interval(st, f, k, v, &lo, &hi);
        if (lo < hi) sum += seg_products(&sg, zero, lo, hi, acc ? acc + (c - c0) : NULL);
        c += len;
        it[v] += len;
        fs_step(st, f, v, len);
        fs_carry(st, f, grp, grp->n - 1, it);
    }
    return sum;
}

/* Vector mode: ACC[0, o1 - o0) += Σ_r the products at outputs [o0, o1). */
SYNO_SIMD_CLONES static void fused_vectors(const cpu_stage *st, const cpu_bufs *b, int64_t o0, int64_t o1, float *acc)
{
    const cpu_group *og = &st->og, *rg = &st->rg;
    int64_t it[CPU_MAXIT] = {0}, ostart[CPU_MAXIT] = {0};
    cpu_group_set(st, og, o0, ostart);
    bool block = og->n >= 2 && blockable(st, og->it[og->n - 2], og->it[og->n - 1]);
    fstate base, f;
    for (int j = 0; j < og->n; j++) it[og->it[j]] = ostart[og->it[j]];
    fs_init(st, &base, it); /* at the tile's first output, reduction point 0 */
    for (int64_t r = 0; r < rg->size; r++) {
        f = base;
        for (int j = 0; j < og->n; j++) it[og->it[j]] = ostart[og->it[j]];
        walk(st, b, &f, og, it, o0, o1, block, acc);
        if (rg->n) { /* next reduction point */
            int last = rg->it[rg->n - 1];
            it[last]++;
            fs_step(st, &base, last, 1);
            fs_carry(st, &base, rg, rg->n - 1, it);
        }
    }
}

/* Dot mode: ACC[j - o0] = Σ over the reduction of the products at output j. */
SYNO_SIMD_CLONES static void fused_dots(const cpu_stage *st, const cpu_bufs *b, int64_t o0, int64_t o1, float *acc)
{
    const cpu_group *og = &st->og, *rg = &st->rg;
    int64_t it[CPU_MAXIT] = {0};
    cpu_group_set(st, og, o0, it);
    bool block = rg->n >= 2 && blockable(st, rg->it[rg->n - 2], rg->it[rg->n - 1]);
    fstate base, f;
    fs_init(st, &base, it);
    for (int64_t j = o0; j < o1; j++) {
        f = base;
        for (int q = 0; q < rg->n; q++) it[rg->it[q]] = 0;
        acc[j - o0] = walk(st, b, &f, rg, it, 0, rg->size, block, NULL);
        for (int q = 0; q < rg->n; q++) it[rg->it[q]] = 0;
        if (og->n) { /* next output */
            int last = og->it[og->n - 1];
            it[last]++;
            fs_step(st, &base, last, 1);
            fs_carry(st, &base, og, og->n - 1, it);
        }
    }
}

/* Fills ACC[0, o1 - o0) with the unscaled sums of outputs [o0, o1) of the
 * generic stage ST (og order) from the buffers B, reading the operands in
 * place (ST must pass cpu_fused_ok and be set up). */
void cpu_fused_tile(const cpu_stage *st, const cpu_bufs *b, int64_t o0, int64_t o1, float *acc)
{
    if (st->gen_rmode) {
        fused_dots(st, b, o0, o1, acc);
        return;
    }
    memset(acc, 0, (size_t)(o1 - o0) * sizeof *acc);
    fused_vectors(st, b, o0, o1, acc);
}
