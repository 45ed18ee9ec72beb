/* tap.h - Test Anything Protocol helpers for the C unit tests.
 *
 *   tap_plan(n);  ok(cond, "what");  is_int(got, want, "what");
 *   is_str(got, want, "what");  skip_all("why");  return tap_done();
 *
 * automake's tap-driver.sh turns each "ok"/"not ok" line into a PASS or a
 * FAIL; lines starting with '#' are diagnostics kept in the test's log. */
#ifndef SYNO_TAP_H
#define SYNO_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void tap_plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond) tap_failed++;
    fflush(stdout);
    return cond;
}

#define is_int(got, want, ...)                                                                      \
    do {                                                                                            \
        long long g_ = (long long)(got), w_ = (long long)(want);                                    \
        if (!ok(g_ == w_, __VA_ARGS__)) printf("#   got %lld, want %lld\n", g_, w_);                \
    } while (0)

#define is_str(got, want, ...)                                                                      \
    do {                                                                                            \
        const char *g_ = (got), *w_ = (want);                                                       \
        if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                                      \
            printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
    } while (0)

static inline void skip(const char *why)
{
    printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static inline int skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    return 0;
}

/* Ends the test: prints the plan when none was given; nonzero on failure. */
static inline int tap_done(void)
{
    if (!tap_planned) printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
