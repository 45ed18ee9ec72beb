/* array.h - host float32 arrays in C order (row-major), the tensors that
 * .npy files, the reference evaluator and the CPU executor exchange. */
#ifndef SYNO_ARRAY_H
#define SYNO_ARRAY_H

#include "base/base.h"
#include "base/rng.h"

#define SYNO_ARRAY_MAX_RANK 16 /* lang/graph.h's SYNO_MAX_RANK: an operator's tensors fit */

typedef struct syno_array {
    int rank;
    int64_t shape[SYNO_ARRAY_MAX_RANK];
    int64_t numel;
    float *data;
} syno_array;

syno_array *syno_array_new(int rank, const int64_t *shape);
void syno_array_free(syno_array *a);
void syno_array_fill_uniform(syno_array *a, syno_rng *r, float lo, float hi);
bool syno_array_same_shape(const syno_array *a, const syno_array *b);
double syno_array_max_rel_error(const syno_array *got, const syno_array *want, double floor);

#endif
