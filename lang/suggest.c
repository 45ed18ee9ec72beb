/* suggest.c - "did you mean ...?" for misspelled names. */
#include "lang/module.h"

#include <string.h>

/* Edit distance counting insertions, deletions, substitutions and swaps of
 * adjacent letters ("inptu" is one edit from "input"). */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    static __thread int d[66][66];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

/* Returns the candidate among CANDS[0..N) closest to NAME by edit distance
 * when that distance is small for the name's length (1 for short names,
 * about a third of the length for long ones), else NULL.  Ties go to the
 * earlier candidate. */
const char *syno_suggest(const char *name, const char *const *cands, int n)
{
    int limit = (int)strlen(name) / 3;
    if (limit < 1) limit = 1;
    const char *best = NULL;
    int bestd = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], name) == 0) continue;
        int d = distance(name, cands[i]);
        if (d < bestd) bestd = d, best = cands[i];
    }
    return best;
}
