/* canon_apply.c - applying a canonical weight's re-layout steps to a
 * float32 C-order array (see canon_apply.h).  Splits and merges of axes
 * are reshapes and move no data; a permutation is a transpose; an affine
 * step gathers along one axis (a cyclic roll, or a flip and roll). */
#include "interp/canon_apply.h"

#include <stdlib.h>
#include <string.h>

typedef struct layout {
    int rank;
    int64_t shape[64];
} layout;

static int64_t emod(int64_t a, int64_t n)
{
    int64_t r = a % n;
    return r < 0 ? r + n : r;
}

static void strides(const layout *l, int64_t *st)
{
    int64_t s = 1;
    for (int i = l->rank - 1; i >= 0; i--) {
        st[i] = s;
        s *= l->shape[i];
    }
}

static bool permute(const layout *l, const int *perm, const float *src, float *dst, int64_t numel)
{
    int64_t st[64], idx[64] = {0};
    strides(l, st);
    for (int i = 0; i < l->rank; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++) seen |= perm[j] == perm[i];
        if (perm[i] < 0 || perm[i] >= l->rank || seen) return false;
    }
    for (int64_t k = 0; k < numel; k++) {
        int64_t off = 0;
        for (int i = 0; i < l->rank; i++) off += idx[i] * st[perm[i]];
        dst[k] = src[off];
        for (int i = l->rank - 1; i >= 0; i--) {
            if (++idx[i] < l->shape[perm[i]]) break;
            idx[i] = 0;
        }
    }
    return true;
}

static void affine(const layout *l, int pos, int sgn, int64_t off, const float *src, float *dst)
{
    int64_t outer = 1, inner = 1, n = l->shape[pos];
    for (int i = 0; i < pos; i++) outer *= l->shape[i];
    for (int i = pos + 1; i < l->rank; i++) inner *= l->shape[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < n; i++) {
            int64_t from = emod(sgn * i + off, n);
            memcpy(dst + (o * n + i) * inner, src + (o * n + from) * inner, (size_t)inner * sizeof *dst);
        }
}

/* Returns canonical weight W (0-based) of R, built from SRC, the array of
 * the original weight it comes from (r->weights[w].source), under binding B
 * of the original op's variables.  Returns NULL when SRC's shape does not
 * fit the steps under B or a size does not evaluate (the caller checked the
 * binding, so that is a misuse).  The caller frees the result. */
syno_array *syno_canon_weight_apply(const syno_canon_result *r, int w, const syno_binding *b, const syno_array *src)
{
    SYNO_ASSERT(w >= 0 && w < r->nweights);
    const syno_canon_weight *cw = &r->weights[w];
    if (src->rank != cw->source_rank) return NULL;
    layout l;
    l.rank = src->rank;
    memcpy(l.shape, src->shape, (size_t)src->rank * sizeof *l.shape);
    int64_t numel = src->numel;
    float *cur = syno_xmalloc((size_t)(numel ? numel : 1) * sizeof *cur);
    float *tmp = syno_xmalloc((size_t)(numel ? numel : 1) * sizeof *tmp);
    if (numel) memcpy(cur, src->data, (size_t)numel * sizeof *cur);
    bool ok = true;
    for (int s = 0; s < cw->nsteps && ok; s++) {
        const syno_canon_wstep *st = &cw->steps[s];
        switch (st->kind) {
        case SYNO_WSTEP_SPLIT: {
            if (st->pos >= l.rank || l.rank + st->count - 1 > 64) {
                ok = false;
                break;
            }
            int64_t v[64], prod = 1;
            for (int q = 0; q < st->count && ok; q++) {
                ok = syno_size_eval(&r->orig_vars, st->sizes[q], b, &v[q], NULL) == SYNO_EVAL_OK;
                prod *= ok ? v[q] : 1;
            }
            if (!ok || prod != l.shape[st->pos]) {
                ok = false;
                break;
            }
            memmove(l.shape + st->pos + st->count, l.shape + st->pos + 1, (size_t)(l.rank - st->pos - 1) * sizeof *l.shape);
            memcpy(l.shape + st->pos, v, (size_t)st->count * sizeof *v);
            l.rank += st->count - 1;
            break;
        }
        case SYNO_WSTEP_MERGE: {
            if (st->pos + st->count > l.rank) {
                ok = false;
                break;
            }
            int64_t prod = 1;
            for (int q = 0; q < st->count; q++) prod *= l.shape[st->pos + q];
            l.shape[st->pos] = prod;
            memmove(l.shape + st->pos + 1, l.shape + st->pos + st->count,
                    (size_t)(l.rank - st->pos - st->count) * sizeof *l.shape);
            l.rank -= st->count - 1;
            break;
        }
        case SYNO_WSTEP_PERMUTE: {
            if (st->count != l.rank || !permute(&l, st->perm, cur, tmp, numel)) {
                ok = false;
                break;
            }
            layout nl = l;
            for (int i = 0; i < l.rank; i++) nl.shape[i] = l.shape[st->perm[i]];
            l = nl;
            float *t = cur;
            cur = tmp;
            tmp = t;
            break;
        }
        case SYNO_WSTEP_AFFINE: {
            if (st->pos >= l.rank) {
                ok = false;
                break;
            }
            affine(&l, st->pos, st->sgn, st->off, cur, tmp);
            float *t = cur;
            cur = tmp;
            tmp = t;
            break;
        }
        }
    }
    syno_array *out = NULL;
    if (ok && l.rank == cw->rank && l.rank <= SYNO_ARRAY_MAX_RANK) {
        out = syno_array_new(l.rank, l.shape);
        if (numel) memcpy(out->data, cur, (size_t)numel * sizeof *cur);
    }
    free(cur);
    free(tmp);
    return out;
}
