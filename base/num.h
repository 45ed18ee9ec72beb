/* num.h - numbers as text: integers read from command-line options, and
 * quantities printed for people (73.7 kFLOP, 1.5 MB). */
#ifndef SYNO_NUM_H
#define SYNO_NUM_H

#include "base/buf.h"

/* Reads S, a decimal integer (leading blanks and a sign allowed, nothing
 * after it), into *V when it lies in [LO, HI].  False, with *V untouched,
 * for an empty string, anything else after the digits, overflow or a value
 * out of range: the caller reports the option and S. */
bool syno_num_parse_int(const char *s, long long lo, long long hi, long long *v);

/* Reads S, a decimal integer in [0, 2^64) (no sign), into *V; false, with
 * *V untouched, otherwise. */
bool syno_num_parse_u64(const char *s, uint64_t *v);

/* Reads S, a decimal number (strtod's syntax: also 1e3, inf, nan), into *V
 * when it lies in [LO, HI] (NaN never does); false, with *V untouched,
 * otherwise. */
bool syno_num_parse_real(const char *s, double lo, double hi, double *v);

/* Appends V with a metric prefix and UNIT to OUT: "512 B", "73.7 kFLOP",
 * "1.21 GFLOP" (three significant digits from 1000 on, prefixes up to P). */
void syno_num_human(double v, const char *unit, syno_buf *out);

#endif
