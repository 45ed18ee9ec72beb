/* rng.c - the parts of the generator that need libm. */
#include "base/rng.h"

#include <math.h>

/* A standard normal deviate (Box-Muller, one of the pair). */
double syno_rng_normal(syno_rng *r)
{
    double u = syno_rng_unit(r), v = syno_rng_unit(r);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
