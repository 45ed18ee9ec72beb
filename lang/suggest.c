/* suggest.c - "did you mean ...?" for misspelled names. */
#include "lang/module.h"

#include <string.h>

static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 99;
    int row[65];
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = diag + cost;
            if (row[j] + 1 < v) v = row[j] + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
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
