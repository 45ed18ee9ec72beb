/* cuda_tile.c - how a contraction is tiled for the GPU (see cuda_tile.h):
 * its GEMM view, the valid tilings, the tuner's candidates, the
 * throughput model and the heuristic choice, and tilings as text. */
#include "codegen/cuda_tile.h"

#include <stdio.h>
#include <string.h>

/* ---- GEMM analysis -------------------------------------------------------- */

/* How strongly OFFSET moves with iterator IT: |coefficient| of a direct
 * term; a large value when IT only enters through a division or
 * remainder; larger still when OFFSET does not read IT. */
static int64_t stride_of(const syno_cuda_contr *c, const syno_ix *offset, int it)
{
    int atom = c->sp.iter_atom[it];
    for (int i = 0; i < offset->n; i++)
        if (offset->t[i].atom == atom) return offset->t[i].c < 0 ? -offset->t[i].c : offset->t[i].c;
    if (syno_ix_deps(&c->sp, offset) >> it & 1) return INT64_MAX / 8;
    return INT64_MAX / 4;
}

/* Lists the iterators of SET into OUT, ordered by decreasing stride in
 * OFFSET (so the last one moves fastest in memory); returns the count. */
static int order_iters(const syno_cuda_contr *c, uint64_t set, const syno_ix *offset, int *out)
{
    int n = 0;
    for (int i = 0; i < c->sp.niters; i++) {
        if (!(set >> i & 1)) continue;
        int64_t si = offset ? stride_of(c, offset, i) : 0;
        int j = n++;
        while (j > 0 && (offset ? stride_of(c, offset, out[j - 1]) : 0) < si) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = i;
    }
    return n;
}

static int64_t extent_of(const syno_cuda_contr *c, uint64_t set)
{
    int64_t e = 1;
    for (int i = 0; i < c->sp.niters; i++)
        if (set >> i & 1) {
            if (e > INT64_MAX / c->sp.ext[i]) return INT64_MAX;
            e *= c->sp.ext[i];
        }
    return e;
}

/* The operand of SIDE with the most elements (the one worth coalescing). */
static int main_operand(const syno_cuda_contr *c, const syno_cuda_gemm *g, int side)
{
    int best = -1;
    for (int k = 0; k < c->nops; k++)
        if (g->side[k] == side && (best < 0 || c->ops[k].numel > c->ops[best].numel)) best = k;
    return best;
}

/* Classifies C for the tiled kernel (see cuda_tile.h). */
void syno_cuda_gemm_analyze(const syno_cuda_contr *c, syno_cuda_gemm *g)
{
    memset(g, 0, sizeof *g);
    const syno_ix_space *sp = &c->sp;
    if (c->nops < 2 || c->nout == sp->niters || sp->niters > 63) return;
    uint64_t all = (1ull << sp->niters) - 1, outs = (1ull << c->nout) - 1, red = all & ~outs;
    uint64_t dop[SYNO_CUDA_MAX_OPERANDS], dg[SYNO_CUDA_MAX_GUARDS];
    for (int k = 0; k < c->nops; k++) dop[k] = syno_ix_deps(sp, &c->ops[k].offset);
    for (int q = 0; q < c->nguards; q++) dg[q] = syno_ix_deps(sp, &c->guards[q].e);
    double best = 0;
    unsigned best_mask = 0;
    for (unsigned mask = 1; mask + 1 < (1u << c->nops); mask++) {
        uint64_t da = 0, db = 0;
        for (int k = 0; k < c->nops; k++) *(mask >> k & 1 ? &db : &da) |= dop[k];
        uint64_t bset = outs & da & db, nset = outs & db & ~da, mset = outs & ~nset & ~bset;
        bool ok = true;
        for (int q = 0; q < c->nguards && ok; q++) ok = !((dg[q] & mset) && (dg[q] & nset));
        if (!ok) continue;
        int64_t M = extent_of(c, mset), N = extent_of(c, nset);
        if (M < 16 || N < 16) continue;
        double score = (double)(M < 128 ? M : 128) * (double)(N < 128 ? N : 128);
        if (score > best || (score == best && (mask & 1) == 0 && (best_mask & 1))) {
            best = score;
            best_mask = mask;
        }
    }
    if (!best_mask || extent_of(c, red) < 8) return;
    uint64_t da = 0, db = 0;
    for (int k = 0; k < c->nops; k++) {
        g->side[k] = best_mask >> k & 1;
        *(g->side[k] ? &db : &da) |= dop[k];
    }
    uint64_t bset = outs & da & db, nset = outs & db & ~da, mset = outs & ~nset & ~bset;
    for (int q = 0; q < c->nguards; q++) g->gside[q] = (dg[q] & nset) ? 1 : 0;
    int ma = main_operand(c, g, 0), mb = main_operand(c, g, 1);
    const syno_ix *oa = &c->ops[ma].offset, *ob = &c->ops[mb].offset;
    g->nm = order_iters(c, mset, oa, g->m);
    g->nn = order_iters(c, nset, ob, g->n);
    g->nb = order_iters(c, bset, NULL, g->b);
    g->a_mfast = true;
    for (int i = 0; i < g->nm; i++)
        if (stride_of(c, oa, g->m[i]) == 1) goto a_done;
    for (int i = 0; i < sp->niters; i++)
        if ((red >> i & 1) && stride_of(c, oa, i) == 1) g->a_mfast = false;
a_done:
    g->b_nfast = true;
    for (int i = 0; i < g->nn; i++)
        if (stride_of(c, ob, g->n[i]) == 1) goto b_done;
    for (int i = 0; i < sp->niters; i++)
        if ((red >> i & 1) && stride_of(c, ob, i) == 1) g->b_nfast = false;
b_done:
    g->nk = order_iters(c, red, g->b_nfast ? oa : ob, g->k);
    g->M = extent_of(c, mset);
    g->N = extent_of(c, nset);
    g->B = extent_of(c, bset);
    g->K = extent_of(c, red);
    g->ok = g->M < ((int64_t)1 << 31) && g->N < ((int64_t)1 << 31) && g->K < ((int64_t)1 << 31);
}

/* ---- tiles ---------------------------------------------------------------- */

/* The K range of one split-K piece and the number of pieces (see
 * cuda_tile.h). */
void syno_cuda_tile_split(const syno_cuda_gemm *g, const syno_cuda_tile *t, int64_t *chunk, int *pieces)
{
    int64_t ch = syno_ceil_div(syno_ceil_div(g->K, t->splitk), t->bk) * t->bk;
    *chunk = ch;
    *pieces = (int)syno_ceil_div(g->K, ch);
}

/* Whether T works for C (see cuda_tile.h). */
bool syno_cuda_tile_valid(const syno_cuda_contr *c, const syno_cuda_gemm *g, const syno_cuda_tile *t)
{
    if (t->bm == 0) return t->splitk == 1;
    if (!g->ok) return false;
    static const int sizes[] = {16, 32, 64, 128};
    bool bm_ok = false, bn_ok = false;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(sizes); i++) {
        bm_ok |= t->bm == sizes[i];
        bn_ok |= t->bn == sizes[i];
    }
    if (!bm_ok || !bn_ok || (t->bk != 8 && t->bk != 16)) return false;
    if (t->tm < 1 || t->tm > 8 || t->tn < 1 || t->tn > 8 || (t->tm & (t->tm - 1)) || (t->tn & (t->tn - 1))) return false;
    if (t->bm % t->tm || t->bn % t->tn) return false;
    if ((t->tm == 8 && t->bm < 64) || (t->tn == 8 && t->bn < 64)) return false;
    int nt = (t->bm / t->tm) * (t->bn / t->tn);
    if (nt < 64 || nt > 256 || nt % 32) return false;
    if ((t->bm * t->bk) % nt || (t->bn * t->bk) % nt) return false;
    if (t->splitk < 1 || t->splitk > 64 || (t->splitk > 1 && g->K < 2 * t->bk * t->splitk)) return false;
    int64_t chunk;
    int pieces;
    syno_cuda_tile_split(g, t, &chunk, &pieces);
    if (syno_ceil_div(g->N, t->bn) > SYNO_CUDA_MAX_GRID_YZ || g->B * pieces > SYNO_CUDA_MAX_GRID_YZ) return false;
    if (syno_ceil_div(g->M, t->bm) >= ((int64_t)1 << 31)) return false;
    (void)c;
    return true;
}

static const syno_cuda_tile tile_table[] = {
    {128, 128, 8, 8, 8, 1}, {128, 64, 8, 8, 4, 1}, {64, 128, 8, 4, 8, 1}, {64, 64, 8, 4, 4, 1},
    {64, 64, 16, 4, 4, 1},  {128, 32, 8, 4, 4, 1}, {32, 128, 8, 4, 4, 1}, {64, 32, 8, 4, 2, 1},
    {32, 64, 8, 2, 4, 1},   {32, 32, 8, 2, 2, 1},  {16, 64, 8, 1, 4, 1},  {64, 16, 8, 4, 1, 1},
};

/* Tuner candidates (see cuda_tile.h). */
int syno_cuda_tile_candidates(const syno_cuda_contr *c, syno_cuda_tile *out, int max)
{
    int n = 0;
    if (max <= 0) return 0;
    out[n++] = (syno_cuda_tile){0, 0, 0, 0, 0, 1};
    syno_cuda_gemm g;
    syno_cuda_gemm_analyze(c, &g);
    if (!g.ok) return n;
    static const int splits[] = {1, 2, 4, 8, 16, 32};
    for (size_t s = 0; s < SYNO_ARRAY_LEN(splits); s++)
        for (size_t i = 0; i < SYNO_ARRAY_LEN(tile_table) && n < max; i++) {
            syno_cuda_tile t = tile_table[i];
            t.splitk = splits[s];
            /* Split-K only pays when the tiles alone leave the GPU idle. */
            if (t.splitk > 1 && syno_ceil_div(g.M, t.bm) * syno_ceil_div(g.N, t.bn) * g.B * t.splitk > 4096) continue;
            if (syno_cuda_tile_valid(c, &g, &t)) out[n++] = t;
        }
    return n;
}

/* The throughput model (see cuda_tile.h). */
double syno_cuda_tile_score(const syno_cuda_contr *c, const syno_cuda_tile *t, int sms)
{
    syno_cuda_gemm g;
    syno_cuda_gemm_analyze(c, &g);
    if (!g.ok || t->bm == 0) return 0;
    if (sms <= 0) sms = 132;
    double waste = (double)(g.M * g.N) / ((double)syno_ceil_div(g.M, t->bm) * t->bm * (double)syno_ceil_div(g.N, t->bn) * t->bn);
    double blocks = (double)syno_ceil_div(g.M, t->bm) * (double)syno_ceil_div(g.N, t->bn) * (double)g.B * t->splitk;
    double per_sm = t->bm * t->bn >= 128 * 128 ? 2 : t->bm * t->bn >= 128 * 64 ? 3 : 4; /* resident blocks */
    double slots = sms * per_sm, waves = blocks / slots;
    double fill = waves / (double)(int64_t)(waves + 0.999999);
    double reuse = (double)(t->tm * t->tn) / (t->tm + t->tn) / 4.0; /* FMAs per shared-memory read; 8x8 -> 1 */
    double split = t->splitk > 1 ? 1.0 / (1.0 + 0.05 * t->splitk) : 1;
    return waste * fill * (0.5 + 0.5 * reuse) * split;
}

/* Heuristic tile for SMS multiprocessors (see cuda_tile.h). */
syno_cuda_tile syno_cuda_tile_default(const syno_cuda_contr *c, int sms)
{
    syno_cuda_tile best = {0, 0, 0, 0, 0, 1};
    syno_cuda_gemm g;
    syno_cuda_gemm_analyze(c, &g);
    if (!g.ok || g.K < 32) return best;
    syno_cuda_tile cand[128];
    int n = syno_cuda_tile_candidates(c, cand, 128);
    double top = 0;
    for (int i = 0; i < n; i++) {
        double s = syno_cuda_tile_score(c, &cand[i], sms);
        if (s > top) {
            top = s;
            best = cand[i];
        }
    }
    return best;
}

/* Printable form of a tile. */
const char *syno_cuda_tile_str(const syno_cuda_tile *t, char *buf, size_t n)
{
    if (t->bm == 0) snprintf(buf, n, "direct");
    else if (t->splitk > 1) snprintf(buf, n, "%dx%dx%d/%dx%d/split%d", t->bm, t->bn, t->bk, t->tm, t->tn, t->splitk);
    else snprintf(buf, n, "%dx%dx%d/%dx%d", t->bm, t->bn, t->bk, t->tm, t->tn);
    return buf;
}

/* Parses syno_cuda_tile_str's output. */
bool syno_cuda_tile_parse(const char *s, syno_cuda_tile *t)
{
    if (strcmp(s, "direct") == 0) {
        *t = (syno_cuda_tile){0, 0, 0, 0, 0, 1};
        return true;
    }
    int used = 0;
    t->splitk = 1;
    if (sscanf(s, "%d x%d x%d /%d x%d%n", &t->bm, &t->bn, &t->bk, &t->tm, &t->tn, &used) != 5) return false;
    s += used;
    if (*s == 0) return true;
    used = 0;
    if (sscanf(s, "/split%d%n", &t->splitk, &used) != 1 || s[used] != 0) return false;
    return true;
}
