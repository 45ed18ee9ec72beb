/* array.c - host float32 arrays. */
#include "base/array.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocates a zeroed array of the given shape (rank 0 is a scalar).
 * Aborts with a message when the element count overflows or memory runs
 * out; callers check user-given shapes against limits first. */
syno_array *syno_array_new(int rank, const int64_t *shape)
{
    SYNO_ASSERT(rank >= 0 && rank <= SYNO_ARRAY_MAX_RANK);
    syno_array *a = syno_xcalloc(1, sizeof *a);
    a->rank = rank;
    a->numel = 1;
    for (int i = 0; i < rank; i++) {
        SYNO_ASSERT(shape[i] >= 0);
        a->shape[i] = shape[i];
        SYNO_ASSERT(!__builtin_mul_overflow(a->numel, shape[i], &a->numel));
    }
    SYNO_ASSERT((uint64_t)a->numel < (SIZE_MAX / sizeof(float)));
    a->data = syno_xcalloc((size_t)a->numel, sizeof(float));
    return a;
}

/* Frees A and its data.  NULL is a no-op. */
void syno_array_free(syno_array *a)
{
    if (!a) return;
    free(a->data);
    free(a);
}

/* Fills A with uniform values in [LO, HI) from R. */
void syno_array_fill_uniform(syno_array *a, syno_rng *r, float lo, float hi)
{
    for (int64_t i = 0; i < a->numel; i++) a->data[i] = lo + (hi - lo) * (float)syno_rng_unit(r);
}

/* True when A and B have the same rank and extents. */
bool syno_array_same_shape(const syno_array *a, const syno_array *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

/* max_i |got_i - want_i| / max(|want_i|, FLOOR): the relative error with a
 * floor so that near-zero references do not blow it up.  NaN anywhere
 * gives NaN.  The shapes must agree. */
double syno_array_max_rel_error(const syno_array *got, const syno_array *want, double floor)
{
    SYNO_ASSERT(got->numel == want->numel);
    double worst = 0;
    for (int64_t i = 0; i < got->numel; i++) {
        double g = got->data[i], w = want->data[i];
        if (isnan(g) != isnan(w)) return NAN;
        if (isnan(g)) continue;
        double d = fabs(g - w) / fmax(fabs(w), floor);
        if (d > worst) worst = d;
    }
    return worst;
}
