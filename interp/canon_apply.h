/* canon_apply.h - re-laying out weight arrays for a canonical operator.
 *
 * syno_canon_run (lang/canon.h) says, for each weight of the canonical
 * operator, which original weight it comes from and the steps (reshape,
 * transpose, roll/flip) that turn the original array into the canonical
 * one.  This applies them to float32 C-order arrays, so weights trained for
 * one spelling of an operator load into its canonical form. */
#ifndef SYNO_CANON_APPLY_H
#define SYNO_CANON_APPLY_H

#include "base/array.h"
#include "lang/canon.h"

syno_array *syno_canon_weight_apply(const syno_canon_result *r, int w, const syno_binding *b, const syno_array *src);

#endif
