/* size.h - the size algebra of LANGUAGE.md section 2.
 *
 * A size is a monomial over the size variables of a module: a vector of
 * integer exponents, one per variable.  Primary variables (`size N, H;`) are
 * large problem sizes and never take a negative exponent in a valid size;
 * coefficients (`coef k = 3;`) are small constants with a default value and
 * may appear in denominators (`C_out/(g*s)`).  Equality is symbolic: equal
 * exponent vectors.  Under a binding every variable has a value and a size
 * evaluates to an integer by exact division, or fails and says why. */
#ifndef SYNO_SIZE_H
#define SYNO_SIZE_H

#include "base/base.h"
#include "base/buf.h"
#include "lang/source.h"

#include <string.h>

#define SYNO_MAX_VARS 16
#define SYNO_MAX_EXPONENT 64
/* The largest value a command line (--bind) or the REPL (:bind) gives a
 * size variable; bind blocks may give up to 2^63-1. */
#define SYNO_BIND_MAX ((int64_t)1 << 40)

typedef enum syno_var_kind { SYNO_VAR_PRIMARY, SYNO_VAR_COEF } syno_var_kind;

typedef struct syno_var {
    const char *name;
    syno_var_kind kind;
    int64_t value;    /* a coefficient's default value; 0 for primaries */
    syno_range range; /* declaration */
} syno_var;

/* The variables of one module, in declaration order (the order sizes print in). */
typedef struct syno_vars {
    int n;
    syno_var v[SYNO_MAX_VARS];
} syno_vars;

typedef struct syno_size {
    int8_t e[SYNO_MAX_VARS];
} syno_size;

/* What a size can stand for (Syno's "trait"). */
typedef enum syno_size_kind {
    SYNO_SIZE_ONE,          /* the empty product: never a valid dimension size */
    SYNO_SIZE_COEF,         /* only coefficients, all exponents >= 0 */
    SYNO_SIZE_GENERAL,      /* some primary variable, all primary exponents >= 0 */
    SYNO_SIZE_BAD_COEF,     /* no primary, some coefficient in a denominator (1/g) */
    SYNO_SIZE_NEG_PRIMARY,  /* a primary variable in a denominator (C/H) */
} syno_size_kind;

/* Concrete values for the variables: one per layer an operator serves. */
typedef struct syno_binding {
    const char *name;             /* bind block name, or NULL (command line) */
    int64_t val[SYNO_MAX_VARS];   /* 0 = unbound */
} syno_binding;

typedef enum syno_eval_status {
    SYNO_EVAL_OK,
    SYNO_EVAL_UNBOUND,   /* a variable has no value */
    SYNO_EVAL_FRACTION,  /* not an integer */
    SYNO_EVAL_OVERFLOW,  /* does not fit in 63 bits */
} syno_eval_status;

int syno_vars_find(const syno_vars *vars, const char *name);

syno_size syno_size_one(void);
syno_size syno_size_var(int i);
bool syno_size_mul(syno_size *out, syno_size a, syno_size b);
bool syno_size_div(syno_size *out, syno_size a, syno_size b);
bool syno_size_pow(syno_size *out, syno_size a, int p);
/* Symbolic equality: two 8-byte words (SYNO_MAX_VARS is 16), inline and
 * with no call to memcmp, which the search's inner loops (the shape
 * distance's and the size table's look-ups) paid for. */
static inline bool syno_size_eq(syno_size a, syno_size b)
{
    _Static_assert(SYNO_MAX_VARS == 16, "syno_size_eq compares two 8-byte words");
    uint64_t x[2], y[2];
    memcpy(x, a.e, sizeof x);
    memcpy(y, b.e, sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* True for the empty product. */
static inline bool syno_size_is_one(syno_size a)
{
    return syno_size_eq(a, (syno_size){{0}});
}
int syno_size_cmp(syno_size a, syno_size b);
syno_size_kind syno_size_classify(const syno_vars *vars, syno_size a);
bool syno_size_is_valid(const syno_vars *vars, syno_size a);
uint64_t syno_size_hash(syno_size a);
bool syno_size_translate(const syno_vars *from, syno_size a, const syno_vars *to, syno_size *out);

void syno_size_print(const syno_vars *vars, syno_size a, syno_buf *out);
const char *syno_size_str(const syno_vars *vars, syno_size a, char *buf, size_t n);

void syno_binding_defaults(const syno_vars *vars, syno_binding *b);
syno_eval_status syno_size_eval(const syno_vars *vars, syno_size a, const syno_binding *b,
                                int64_t *value, int *bad_var);
void syno_size_eval_message(const syno_vars *vars, syno_size a, const syno_binding *b, syno_buf *out);
void syno_binding_describe(const syno_binding *b, syno_buf *out);

/* A sum of integer multiples of monomials: symbolic FLOPs and parameter
 * counts ("2*N*C_in*C_out*H*W*k^2"). */
#define SYNO_POLY_MAX 32
typedef struct syno_poly {
    int n;
    struct {
        int64_t c;
        syno_size m;
    } t[SYNO_POLY_MAX];
} syno_poly;

void syno_poly_zero(syno_poly *p);
bool syno_poly_add(syno_poly *p, int64_t c, syno_size m);
void syno_poly_print(const syno_vars *vars, const syno_poly *p, syno_buf *out);
syno_eval_status syno_poly_eval(const syno_vars *vars, const syno_poly *p, const syno_binding *b,
                                int64_t *value, int *bad_var);
double syno_poly_eval_double(const syno_vars *vars, const syno_poly *p, const syno_binding *b);

#endif
