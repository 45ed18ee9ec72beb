/* cpu_mm.c - the executor's own matrix product for the small, oddly
 * shaped products of GEMM stages (16 to 64 channels, a few hundred
 * pixels): C = alpha op(A) op(B), or C += that.
 *
 * One operand is packed into panels of MR rows (k-major: the MR values of
 * one k side by side), the other is read where it lies as a row-major
 * [k][cols] matrix, NR columns at a time: the gathered tiles of a GEMM
 * stage (an implicit im2col) are already that, so they are read once, by
 * the kernel, and never copied again.  The kernel keeps an MR x NR block
 * of C in registers (twelve eight-float vectors) over a block of KC values
 * of k.  Which operand is packed is chosen per call: the one whose
 * packing costs less (a row-major op(B) is read in place; otherwise the
 * product is computed transposed, C^T = op(B)^T op(A)^T, with op(A)^T read
 * in place when A is stored [k][m], and C written through its strides).
 * Columns past the last full panel, and operands that cannot be read in
 * place, are copied into a zero-padded panel first.
 *
 * Every sum over k runs in a fixed order (blocks of KC, k ascending), so
 * results do not depend on threads or tiling beyond where the caller
 * splits k.  The hot loop is compiled for x86-64-v3 as well
 * (base/simd.h). */
#include "codegen/cpu_int.h"
#include "base/simd.h"

#include "base/base.h"

#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define MC 264 /* rows of A packed at once: MC x KC floats stay in L2 */

/* Floats of work space cpu_mm needs (see cpu_int.h). */
int64_t cpu_mm_work(void)
{
    return (int64_t)MC * KC + (int64_t)KC * NR + 64;
}

/* The rows of the next panel when R rows are left: 6 at a time, but
 * never a last panel of fewer than 4 (a kernel needs eight independent
 * sums to keep both FMA units busy): 8 is 4 + 4, 9 is 5 + 4, 7 is 4 + 3. */
static int panel_rows(int64_t r)
{
    if (r <= MR) return (int)r;
    if (r == 7 || r == 8) return 4;
    if (r == 9) return 5;
    return MR;
}

/* Packs rows [i0, i0 + mr) and k [k0, k0 + kc) of the m x k matrix X
 * (element (i, k) at x[i * rs + k * cs]) times ALPHA into DST as panels of
 * panel_rows() rows each, k-major: the panel of rows [p, p + h) is at
 * dst + p * kc, its element (r, k) at [k * h + r]. */
SYNO_SIMD_INLINE void pack_rows(const float *x, int64_t rs, int64_t cs, float alpha, int64_t i0, int64_t mr,
                                int64_t k0, int64_t kc, float *restrict dst)
{
    for (int64_t p = 0; p < mr;) {
        int h = panel_rows(mr - p);
        float *restrict d = dst + p * kc;
        const float *src = x + (i0 + p) * rs + k0 * cs;
        if (cs == 1) {
            for (int r = 0; r < h; r++) {
                const float *s = src + r * rs;
                for (int64_t k = 0; k < kc; k++) d[k * h + r] = alpha * s[k];
            }
        } else {
            for (int64_t k = 0; k < kc; k++) {
                const float *s = src + k * cs;
                for (int r = 0; r < h; r++) d[k * h + r] = alpha * s[r * rs];
            }
        }
        p += h;
    }
}

/* Copies columns [j0, j0 + nr) of rows [k0, k0 + kc) of Y (element (k, j)
 * at y[k * rs + j * cs], or at y[yrow[k] + j] when YROW is given) into the
 * panel DST [kc][NR], zeros past NR. */
SYNO_SIMD_INLINE void pack_panel(const float *y, int64_t rs, int64_t cs, const int64_t *yrow, int64_t k0, int64_t kc,
                                 int64_t j0, int64_t nr, float *restrict dst)
{
    if (cs == 1 || yrow) {
        for (int64_t k = 0; k < kc; k++) {
            const float *s = y + (yrow ? yrow[k0 + k] : (k0 + k) * rs) + j0;
            float *restrict d = dst + k * NR;
            for (int64_t j = 0; j < nr; j++) d[j] = s[j];
            for (int64_t j = nr; j < NR; j++) d[j] = 0.0f;
        }
        return;
    }
    /* columns contiguous along k: read them whole, write the panel's columns */
    for (int64_t j = 0; j < NR; j++) {
        float *restrict d = dst + j;
        if (j >= nr) {
            for (int64_t k = 0; k < kc; k++) d[k * NR] = 0.0f;
            continue;
        }
        const float *s = y + k0 * rs + (j0 + j) * cs;
        for (int64_t k = 0; k < kc; k++) d[k * NR] = s[k * rs];
    }
}

/* The ROWS x NR block (ROWS <= MR, a constant where it is inlined):
 * C[i * rs + j * cs] (+)= Σ_k A[k][i] B[k][j] for i < ROWS, j < nr; A a
 * packed panel of ROWS rows (alpha already applied), B rows ldb apart, or
 * (BROW, also a constant's NULL-ness) row k at b + brow[k]. */
SYNO_SIMD_INLINE void kernel(int rows, int64_t kc, const float *restrict a, const float *restrict b, int64_t ldb,
                             const int64_t *brow, float *c, int64_t rs, int64_t cs, bool acc, int64_t nr)
{
    syno_v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
    syno_v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
    for (int64_t k = 0; k < kc; k++, a += rows) {
        const float *bk = brow ? b + brow[k] : b + k * ldb;
        syno_v8 b0 = syno_v8_load(bk), b1 = syno_v8_load(bk + 8);
        c00 += a[0] * b0;
        c01 += a[0] * b1;
        if (rows > 1) c10 += a[1] * b0, c11 += a[1] * b1;
        if (rows > 2) c20 += a[2] * b0, c21 += a[2] * b1;
        if (rows > 3) c30 += a[3] * b0, c31 += a[3] * b1;
        if (rows > 4) c40 += a[4] * b0, c41 += a[4] * b1;
        if (rows > 5) c50 += a[5] * b0, c51 += a[5] * b1;
    }
    syno_v8 r[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (cs == 1 && nr == NR) {
        for (int i = 0; i < rows; i++) {
            float *ci = c + i * rs;
            if (acc) {
                syno_v8_store(ci, syno_v8_load(ci) + r[i][0]);
                syno_v8_store(ci + 8, syno_v8_load(ci + 8) + r[i][1]);
            } else {
                syno_v8_store(ci, r[i][0]);
                syno_v8_store(ci + 8, r[i][1]);
            }
        }
        return;
    }
    float t[MR][NR];
    for (int i = 0; i < rows; i++) {
        syno_v8_store(t[i], r[i][0]);
        syno_v8_store(t[i] + 8, r[i][1]);
    }
    for (int i = 0; i < rows; i++)
        for (int64_t j = 0; j < nr; j++) {
            float *p = c + i * rs + j * cs;
            *p = acc ? *p + t[i][j] : t[i][j];
        }
}

/* Calls kernel with ROWS (1 to 6) and the NULL-ness of BROW as constants. */
SYNO_SIMD_INLINE void block(int rows, int64_t kc, const float *a, const float *b, int64_t ldb, const int64_t *brow,
                            float *c, int64_t rs, int64_t cs, bool acc, int64_t nr)
{
#define BLOCK_CASE(r)                                                     \
    case r:                                                               \
        if (brow) kernel(r, kc, a, b, 0, brow, c, rs, cs, acc, nr);       \
        else kernel(r, kc, a, b, ldb, NULL, c, rs, cs, acc, nr);          \
        break;
    switch (rows) {
        BLOCK_CASE(1) BLOCK_CASE(2) BLOCK_CASE(3) BLOCK_CASE(4) BLOCK_CASE(5) BLOCK_CASE(6)
    default: SYNO_UNREACHABLE();
    }
#undef BLOCK_CASE
}

/* C[i * crs + j * ccs] (+)= alpha Σ_k X[i][k] Y[k][j] over i < m, j < n:
 * X element (i, k) at x[i * xrs + k * xcs] (packed), Y element (k, j) at
 * y[k * yrs + j * ycs] (read in place when ycs == 1), or at y[yrow[k] + j]
 * when YROW is given. */
SYNO_SIMD_CLONES static void product(int64_t m, int64_t n, int64_t k, float alpha, const float *x, int64_t xrs,
                                     int64_t xcs, const float *xpacked, const float *y, int64_t yrs, int64_t ycs,
                                     const int64_t *yrow, bool acc, float *c, int64_t crs, int64_t ccs, float *work)
{
    float *apack = work, *bpanel = work + (int64_t)MC * KC;
    /* rows a multiple of 128 floats apart fall into a few of L1's sets
     * and evict each other: copy the panel then */
    bool conflicts = yrs % 128 == 0;
    for (int64_t k0 = 0; k0 < k; k0 += KC) {
        int64_t kc = k - k0 < KC ? k - k0 : KC;
        bool add = acc || k0 > 0;
        for (int64_t i0 = 0; i0 < m; i0 += (xpacked ? m : MC)) {
            int64_t mc = xpacked ? m : m - i0 < MC ? m - i0 : MC;
            if (xpacked) apack = (float *)xpacked + m * k0; /* cpu_mm_pack's layout */
            else pack_rows(x, xrs, xcs, alpha, i0, mc, k0, kc, apack);
            for (int64_t j0 = 0; j0 < n; j0 += NR) {
                int64_t nr = n - j0 < NR ? n - j0 : NR;
                const float *bp;
                const int64_t *brow = NULL;
                int64_t ldb;
                if ((yrow || (ycs == 1 && !conflicts)) && nr == NR) {
                    bp = yrow ? y + j0 : y + k0 * yrs + j0;
                    brow = yrow ? yrow + k0 : NULL;
                    ldb = yrs;
                } else {
                    pack_panel(y, yrs, ycs, yrow, k0, kc, j0, nr, bpanel);
                    bp = bpanel;
                    ldb = NR;
                }
                for (int64_t ii = 0; ii < mc;) {
                    int rows = panel_rows(mc - ii);
                    block(rows, kc, apack + ii * kc, bp, ldb, brow, c + (i0 + ii) * crs + j0 * ccs, crs, ccs, add, nr);
                    ii += rows;
                }
            }
        }
    }
}

/* ---- both operands contiguous along k: dot products ------------------------
 * C = A B^T with A [m][k] and B [n][k] row-major (the weight gradients:
 * both operands are gathered along the pixels they sum over) needs no
 * packing: a block of RA rows of A and RB rows of B keeps RA x RB
 * eight-float partial sums over k, added up across lanes at the end. */

#define KD 2048 /* values of k per block: RB rows of B stay in L2 */

/* The RA x RB block (RA <= 3, RB <= 4, constants where it is inlined):
 * C[i * crs + j * ccs] (+)= alpha Σ_s Σ_k P_i[s·ps + k] Q_j[s·qs + k] over
 * NSEG segments of KC values, for rows P_i = P[i], Q_j = Q[j]. */
SYNO_SIMD_INLINE void kernel_dot(int ra, int rb, int64_t kc, int64_t nseg, int64_t ps, int64_t qs, const float *const *P,
                                 const float *const *Q, float alpha, bool acc, float *c, int64_t crs, int64_t ccs)
{
    syno_v8 s00 = {0}, s01 = {0}, s02 = {0}, s03 = {0}, s10 = {0}, s11 = {0};
    syno_v8 s12 = {0}, s13 = {0}, s20 = {0}, s21 = {0}, s22 = {0}, s23 = {0};
    const float *p0 = P[0], *p1 = ra > 1 ? P[1] : P[0], *p2 = ra > 2 ? P[2] : P[0];
    const float *q0 = Q[0], *q1 = rb > 1 ? Q[1] : Q[0], *q2 = rb > 2 ? Q[2] : Q[0], *q3 = rb > 3 ? Q[3] : Q[0];
    float tail[3][4] = {{0}};
    int64_t k = 0;
    for (int64_t sg = 0; sg < nseg; sg++, p0 += ps, p1 += ps, p2 += ps, q0 += qs, q1 += qs, q2 += qs, q3 += qs) {
        for (k = 0; k + 8 <= kc; k += 8) {
        syno_v8 b0 = syno_v8_load(q0 + k), b1 = {0}, b2 = {0}, b3 = {0}, x;
        if (rb > 1) b1 = syno_v8_load(q1 + k);
        if (rb > 2) b2 = syno_v8_load(q2 + k);
        if (rb > 3) b3 = syno_v8_load(q3 + k);
        x = syno_v8_load(p0 + k);
        s00 += x * b0;
        if (rb > 1) s01 += x * b1;
        if (rb > 2) s02 += x * b2;
        if (rb > 3) s03 += x * b3;
        if (ra > 1) {
            x = syno_v8_load(p1 + k);
            s10 += x * b0;
            if (rb > 1) s11 += x * b1;
            if (rb > 2) s12 += x * b2;
            if (rb > 3) s13 += x * b3;
        }
        if (ra > 2) {
            x = syno_v8_load(p2 + k);
            s20 += x * b0;
            if (rb > 1) s21 += x * b1;
            if (rb > 2) s22 += x * b2;
            if (rb > 3) s23 += x * b3;
        }
        }
        for (int i = 0; i < ra; i++)
            for (int j = 0; j < rb; j++)
                for (int64_t r = k; r < kc; r++) tail[i][j] += P[i][sg * ps + r] * Q[j][sg * qs + r];
    }
    syno_v8 sum[3] = {syno_v8_sum4(s00, s01, s02, s03), syno_v8_sum4(s10, s11, s12, s13),
                      syno_v8_sum4(s20, s21, s22, s23)};
    for (int i = 0; i < ra; i++)
        for (int j = 0; j < rb; j++) {
            float t = sum[i][j] + tail[i][j];
            float *o = c + i * crs + j * ccs;
            *o = acc ? *o + alpha * t : alpha * t;
        }
}

/* Calls kernel_dot with RA, RB as constants. */
SYNO_SIMD_INLINE void dot_block(int ra, int rb, int64_t kc, int64_t nseg, int64_t ps, int64_t qs, const float *const *P,
                                const float *const *Q, float alpha, bool acc, float *c, int64_t crs, int64_t ccs)
{
#define DOT_CASE(x, y)                                                                                      \
    case (x) * 4 + (y): kernel_dot(x, y, kc, nseg, ps, qs, P, Q, alpha, acc, c, crs, ccs); break;
    switch (ra * 4 + rb) {
        DOT_CASE(1, 1) DOT_CASE(1, 2) DOT_CASE(1, 3) DOT_CASE(1, 4)
        DOT_CASE(2, 1) DOT_CASE(2, 2) DOT_CASE(2, 3) DOT_CASE(2, 4)
        DOT_CASE(3, 1) DOT_CASE(3, 2) DOT_CASE(3, 3) DOT_CASE(3, 4)
    default: SYNO_UNREACHABLE();
    }
#undef DOT_CASE
}

/* C (+)= alpha A B^T, A [m][k] and B [n][k]: row i of A at a + i * lda, or
 * a + arow[i] when AROW is given; likewise B; each row made of NSEG
 * segments of K values, ASEG (BSEG) apart.  Blocks of 3 rows of one
 * operand by 4 of the other, the 4 on the side that it divides when one
 * does; the inner loop runs over the operand with fewer rows (it stays in
 * cache). */
SYNO_SIMD_CLONES static void product_dot(int64_t m, int64_t n, int64_t k, int64_t nseg, int64_t aseg, int64_t bseg,
                                         float alpha, const float *a, int64_t lda, const int64_t *arow, const float *b,
                                         int64_t ldb, const int64_t *brow, bool acc, float *c, int64_t ldc)
{
    bool swap = n % 4 != 0 && m % 4 == 0;
    const float *p = swap ? b : a, *q = swap ? a : b;
    const int64_t *prow = swap ? brow : arow, *qrow = swap ? arow : brow;
    int64_t lp = swap ? ldb : lda, lq = swap ? lda : ldb, mp = swap ? n : m, nq = swap ? m : n;
    int64_t crs = swap ? 1 : ldc, ccs = swap ? ldc : 1, ps = swap ? bseg : aseg, qs = swap ? aseg : bseg;
    for (int64_t k0 = 0; k0 < k; k0 += KD) {
        int64_t kc = k - k0 < KD ? k - k0 : KD;
        bool add = acc || k0 > 0;
        for (int64_t outer = 0; outer < (mp >= nq ? mp : nq); outer += (mp >= nq ? 3 : 4))
            for (int64_t inner = 0; inner < (mp >= nq ? nq : mp); inner += (mp >= nq ? 4 : 3)) {
                int64_t i = mp >= nq ? outer : inner, j = mp >= nq ? inner : outer;
                int ra = mp - i < 3 ? (int)(mp - i) : 3, rb = nq - j < 4 ? (int)(nq - j) : 4;
                const float *P[3], *Q[4];
                for (int t = 0; t < ra; t++) P[t] = p + (prow ? prow[i + t] : (i + t) * lp) + k0;
                for (int t = 0; t < rb; t++) Q[t] = q + (qrow ? qrow[j + t] : (j + t) * lq) + k0;
                dot_block(ra, rb, kc, nseg, ps, qs, P, Q, alpha, add, c + i * crs + j * ccs, crs, ccs);
            }
    }
}

/* C = alpha op(A) op(B) (+ C when ACCUMULATE), row-major as in
 * cpu_sgemm (see cpu_int.h). */
void cpu_mm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, bool accumulate, float *c, int64_t ldc, float *work)
{
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof *c);
        return;
    }
    /* both operands [rows][k]: dot products of rows when k is long
     * against the output (a K-split chunk), else the packed product */
    if (!ta && tb && k >= 4 * (m > n ? m : n)) {
        product_dot(m, n, k, 1, 0, 0, alpha, a, lda, NULL, b, ldb, NULL, accumulate, c, ldc);
        return;
    }
    /* strides of op(A) (i, k) and op(B) (k, j) */
    int64_t ars = ta ? 1 : lda, acs = ta ? lda : 1, brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
    /* packing costs: A packed, B read in place unless transposed; or the transposed product */
    int64_t normal = m * k + (tb ? n * k : 0), transposed = n * k + (ta ? 0 : m * k);
    if (transposed < normal)
        product(n, m, k, alpha, b, bcs, brs, NULL, a, acs, ars, NULL, accumulate, c, 1, ldc, work);
    else
        product(m, n, k, alpha, a, ars, acs, NULL, b, brs, bcs, NULL, accumulate, c, ldc, 1, work);
}

/* ---- vectors over the rows of A, broadcasts over pixels --------------------
 * A convolution's output row m is (u, v) pixels of which the padded copy
 * holds rows of wp > ext(v) columns: cpu_mm_rows computes the wp - ext(v)
 * dropped columns too (an eighth at 14 x 14).  Here the roles turn: A is
 * packed [k][m] (cpu_mm_pack_t) and read as vectors of 16 rows, and the
 * kernel broadcasts the values of 6 pixels at a time, any 6 (they may
 * straddle rows of u), so only the ext(u) x ext(v) wanted pixels are
 * computed: per value of k two loads of A and six broadcasts feed twelve
 * multiply-adds, as in the other kernels. */

/* Packs alpha op(A), m x k, as [k][m] into DST (see cpu_int.h). */
SYNO_SIMD_CLONES void cpu_mm_pack_t(bool ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda,
                                    float *dst)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t kk = 0; kk < k; kk++) dst[kk * m + i] = alpha * (ta ? a[kk * lda + i] : a[i * lda + kk]);
}

/* The 16 x ROWS block (ROWS <= 6 a constant where it is inlined):
 * C[i * ldc + j] = Σ_k AT[k][i] Q_j[brow[k]] for i < 16, j < ROWS; AT rows
 * LDA apart. */
SYNO_SIMD_INLINE void kernel_pix(int rows, int64_t k, const float *restrict at, int64_t lda, const int64_t *brow,
                                 const float *const *Q, float *restrict c, int64_t ldc)
{
    syno_v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
    syno_v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
    const float *q0 = Q[0], *q1 = rows > 1 ? Q[1] : Q[0], *q2 = rows > 2 ? Q[2] : Q[0];
    const float *q3 = rows > 3 ? Q[3] : Q[0], *q4 = rows > 4 ? Q[4] : Q[0], *q5 = rows > 5 ? Q[5] : Q[0];
    for (int64_t kk = 0; kk < k; kk++, at += lda) {
        int64_t o = brow[kk];
        syno_v8 a0 = syno_v8_load(at), a1 = syno_v8_load(at + 8);
        c00 += q0[o] * a0, c01 += q0[o] * a1;
        if (rows > 1) c10 += q1[o] * a0, c11 += q1[o] * a1;
        if (rows > 2) c20 += q2[o] * a0, c21 += q2[o] * a1;
        if (rows > 3) c30 += q3[o] * a0, c31 += q3[o] * a1;
        if (rows > 4) c40 += q4[o] * a0, c41 += q4[o] * a1;
        if (rows > 5) c50 += q5[o] * a0, c51 += q5[o] * a1;
    }
    float t[6][16];
    syno_v8 r[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int j = 0; j < rows; j++) {
        syno_v8_store(t[j], r[j][0]);
        syno_v8_store(t[j] + 8, r[j][1]);
    }
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < rows; j++) c[i * ldc + j] = t[j][i];
}

/* Calls kernel_pix with ROWS as a constant. */
SYNO_SIMD_INLINE void pix_block(int rows, int64_t k, const float *at, int64_t lda, const int64_t *brow,
                                const float *const *Q, float *c, int64_t ldc)
{
#define PIX_CASE(x)                                                   \
    case x: kernel_pix(x, k, at, lda, brow, Q, c, ldc); break;
    switch (rows) {
        PIX_CASE(1) PIX_CASE(2) PIX_CASE(3) PIX_CASE(4) PIX_CASE(5) PIX_CASE(6)
    default: SYNO_UNREACHABLE();
    }
#undef PIX_CASE
}

/* C = (A packed [k][m]) B over pixels (see cpu_int.h). */
SYNO_SIMD_CLONES void cpu_mm_pixels(int64_t m, int64_t k, const float *at, const float *b, const int64_t *brow,
                                    int64_t nu, int64_t nv, int64_t wp, float *c, int64_t ldc)
{
    int64_t np = nu * nv;
    for (int64_t m0 = 0; m0 < m; m0 += 16)
        for (int64_t p0 = 0; p0 < np; p0 += 6) {
            int rows = np - p0 < 6 ? (int)(np - p0) : 6;
            const float *Q[6];
            for (int j = 0; j < rows; j++) Q[j] = b + (p0 + j) / nv * wp + (p0 + j) % nv;
            pix_block(rows, k, at + m0, m, brow, Q, c + m0 * ldc + p0, ldc);
        }
}

/* Packs alpha op(A), m x k, for cpu_mm_rows (see cpu_int.h): per
 * block of KC values of k, the panels of all m rows. */
SYNO_SIMD_CLONES void cpu_mm_pack(bool ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda,
                                       float *dst)
{
    for (int64_t k0 = 0; k0 < k; k0 += KC)
        pack_rows(a, ta ? 1 : lda, ta ? lda : 1, alpha, 0, m, k0, k - k0 < KC ? k - k0 : KC, dst + m * k0);
}

/* C = (packed A) B (+ C when ACCUMULATE), row k of B at b + brow[k] (see
 * cpu_int.h). */
void cpu_mm_rows(int64_t m, int64_t n, int64_t k, const float *apacked, const float *b, const int64_t *brow,
                      bool accumulate, float *c, int64_t ldc, float *work)
{
    if (m <= 0 || n <= 0 || k <= 0) return;
    product(m, n, k, 1.0f, NULL, 0, 0, apacked, b, 0, 1, brow, accumulate, c, ldc, 1, work);
}

/* ---- one operand broadcast, the other transposed: the weight gradients ----
 * The dot-product kernel above keeps RA x RB partial sums of eight lanes
 * and reads RA + RB rows for them, so a block of rows of one operand
 * streams the other operand's rows from L2 for every block.  A weight
 * gradient has one side with few rows (the channels of an exact window:
 * 16 to 64) and one with many (channels x taps, every tap a shifted run of
 * the same padded copy): the few rows are transposed, a block of KT values
 * of k at a time, into T [KT][ne8] (zeros past ne), which stays in L1, and
 * the kernel keeps a register tile of 6 rows of the other side x 16
 * columns of T: per value of k, two loads of T and six broadcasts from
 * the rows feed twelve multiply-adds, as in the forward kernel. */

#define KT_FLOATS 6144 /* floats of one transposed block of T (24 KiB: in L1) */

static int64_t round8(int64_t n)
{
    return (n + 7) / 8 * 8;
}

/* Runs of KV values of k per transposed block for NE columns (at least
 * one). */
static int64_t bcast_runs(int64_t ne, int64_t kv)
{
    int64_t r = KT_FLOATS / round8(ne) / kv;
    return r < 1 ? 1 : r;
}

/* Floats of work space cpu_mm_dot_rows needs (see cpu_int.h). */
int64_t cpu_mm_dot_work(int64_t m, int64_t n, int64_t kv)
{
    int64_t ne = m < n ? m : n, nb = m < n ? n : m;
    return bcast_runs(ne, kv) * kv * round8(ne) + nb * round8(ne) + 32;
}

/* The ROWS x W block (ROWS <= 6, W 8 or 16, constants where it is
 * inlined): C[i][j] += Σ_r Σ_v P_i[r·kst + v] T[r·kv + v][j] over r < NR,
 * v < KV, for the rows P_i and T's columns [0, W) (rows LDT apart); C
 * rows LDC apart. */
SYNO_SIMD_INLINE void kernel_bcast(int rows, int w, int64_t nr, int64_t kv, int64_t kst, const float *const *P,
                                   const float *restrict t, int64_t ldt, float *restrict c, int64_t ldc)
{
    syno_v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
    syno_v8 c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
    const float *p0 = P[0], *p1 = rows > 1 ? P[1] : P[0], *p2 = rows > 2 ? P[2] : P[0];
    const float *p3 = rows > 3 ? P[3] : P[0], *p4 = rows > 4 ? P[4] : P[0], *p5 = rows > 5 ? P[5] : P[0];
    for (int64_t r = 0; r < nr; r++, p0 += kst, p1 += kst, p2 += kst, p3 += kst, p4 += kst, p5 += kst)
        for (int64_t k = 0; k < kv; k++, t += ldt) {
            syno_v8 b0 = syno_v8_load(t), b1 = w > 8 ? syno_v8_load(t + 8) : b0;
            c00 += p0[k] * b0;
            if (w > 8) c01 += p0[k] * b1;
            if (rows > 1) c10 += p1[k] * b0;
            if (rows > 1 && w > 8) c11 += p1[k] * b1;
            if (rows > 2) c20 += p2[k] * b0;
            if (rows > 2 && w > 8) c21 += p2[k] * b1;
            if (rows > 3) c30 += p3[k] * b0;
            if (rows > 3 && w > 8) c31 += p3[k] * b1;
            if (rows > 4) c40 += p4[k] * b0;
            if (rows > 4 && w > 8) c41 += p4[k] * b1;
            if (rows > 5) c50 += p5[k] * b0;
            if (rows > 5 && w > 8) c51 += p5[k] * b1;
        }
    syno_v8 res[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < rows; i++) {
        float *ci = c + i * ldc;
        syno_v8_store(ci, syno_v8_load(ci) + res[i][0]);
        if (w > 8) syno_v8_store(ci + 8, syno_v8_load(ci + 8) + res[i][1]);
    }
}

/* Calls kernel_bcast with ROWS and W as constants. */
SYNO_SIMD_INLINE void bcast_block(int rows, int w, int64_t nr, int64_t kv, int64_t kst, const float *const *P,
                                  const float *t, int64_t ldt, float *c, int64_t ldc)
{
#define BCAST_CASE(x)                                                           \
    case x:                                                                     \
        if (w > 8) kernel_bcast(x, 16, nr, kv, kst, P, t, ldt, c, ldc);         \
        else kernel_bcast(x, 8, nr, kv, kst, P, t, ldt, c, ldc);                \
        break;
    switch (rows) {
        BCAST_CASE(1) BCAST_CASE(2) BCAST_CASE(3) BCAST_CASE(4) BCAST_CASE(5) BCAST_CASE(6)
    default: SYNO_UNREACHABLE();
    }
#undef BCAST_CASE
}

/* C (+)= alpha Σ_s Σ_r Σ_v P_i[s·ps + r·kst + v] E_j[s·es + r·kst + v]
 * (r < KR, v < KV) for NB rows P_i at p + prow[i] and NE rows E_j at
 * e + erow[j]; C element (i, j) at c[i * crs + j * ccs]; WORK as
 * cpu_mm_dot_work.  The sums go to a contiguous [NB][ne8] tile in WORK
 * first, then to C. */
SYNO_SIMD_CLONES static void product_bcast(int64_t nb, int64_t ne, int64_t kr, int64_t kv, int64_t kst, int64_t nseg,
                                           int64_t ps, int64_t es, float alpha, const float *p, const int64_t *prow,
                                           const float *e, const int64_t *erow, float *c, int64_t crs, int64_t ccs,
                                           float *work)
{
    int64_t ne8 = round8(ne), rmax = bcast_runs(ne, kv);
    float *t = work, *acc = work + rmax * kv * ne8;
    memset(acc, 0, (size_t)(nb * ne8) * sizeof *acc);
    for (int64_t s = 0; s < nseg; s++)
        for (int64_t r0 = 0; r0 < kr; r0 += rmax) {
            int64_t nr = kr - r0 < rmax ? kr - r0 : rmax, off = s * es + r0 * kst;
            for (int64_t j = 0; j < ne; j++) {
                const float *src = e + erow[j] + off;
                for (int64_t r = 0; r < nr; r++)
                    for (int64_t v = 0; v < kv; v++) t[(r * kv + v) * ne8 + j] = src[r * kst + v];
            }
            for (int64_t j = ne; j < ne8; j++)
                for (int64_t kk = 0; kk < nr * kv; kk++) t[kk * ne8 + j] = 0.0f;
            for (int64_t i0 = 0; i0 < nb; i0 += 6) {
                int rows = nb - i0 < 6 ? (int)(nb - i0) : 6;
                const float *P[6];
                for (int i = 0; i < rows; i++) P[i] = p + prow[i0 + i] + s * ps + r0 * kst;
                for (int64_t j0 = 0; j0 < ne8; j0 += 16)
                    bcast_block(rows, ne8 - j0 >= 16 ? 16 : 8, nr, kv, kst, P, t + j0, ne8, acc + i0 * ne8 + j0, ne8);
            }
        }
    for (int64_t i = 0; i < nb; i++)
        for (int64_t j = 0; j < ne; j++) c[i * crs + j * ccs] += alpha * acc[i * ne8 + j];
}

/* C += alpha A B^T with rows given by offsets, in segments of runs (see
 * cpu_int.h): the side with fewer rows transposed (product_bcast) when it
 * has 8 or more, else the dot-product kernel over whole segments (which
 * then include the values between runs: one side is 0 there). */
void cpu_mm_dot_rows(int64_t m, int64_t n, int64_t kr, int64_t kv, int64_t kst, int64_t nseg, int64_t aseg,
                          int64_t bseg, float alpha, const float *a, const int64_t *arow, const float *b,
                          const int64_t *brow, float *c, int64_t ldc, float *work)
{
    if (m <= 0 || n <= 0 || kr <= 0 || kv <= 0 || nseg <= 0) return;
    if (n >= 8 && n <= m)
        product_bcast(m, n, kr, kv, kst, nseg, aseg, bseg, alpha, a, arow, b, brow, c, ldc, 1, work);
    else if (m >= 8)
        product_bcast(n, m, kr, kv, kst, nseg, bseg, aseg, alpha, b, brow, a, arow, c, 1, ldc, work);
    else
        product_dot(m, n, kr * kst, nseg, aseg, bseg, alpha, a, 0, arow, b, 0, brow, true, c, ldc);
}
