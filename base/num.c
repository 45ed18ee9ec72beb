/* num.c - reading option values and printing quantities (num.h). */
#include "base/num.h"

#include <errno.h>
#include <stdlib.h>

/* Reads a decimal integer in [LO, HI] (see num.h). */
bool syno_num_parse_int(const char *s, long long lo, long long hi, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || errno || x < lo || x > hi) return false;
    *v = x;
    return true;
}

/* Reads an unsigned 64-bit decimal integer (see num.h). */
bool syno_num_parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-') return false;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno) return false;
    *v = x;
    return true;
}

/* Reads a decimal number in [LO, HI] (see num.h). */
bool syno_num_parse_real(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!*s || *end || errno || !(x >= lo && x <= hi)) return false;
    *v = x;
    return true;
}

/* Appends V with a metric prefix and UNIT (see num.h). */
void syno_num_human(double v, const char *unit, syno_buf *out)
{
    const char *pre[] = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    while (v >= 1000 && i < 5) v /= 1000, i++;
    syno_buf_printf(out, i ? "%.3g %s%s" : "%.0f %s%s", v, pre[i], unit);
}
