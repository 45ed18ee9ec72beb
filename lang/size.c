/* size.c - monomial sizes, their printing and evaluation; small polynomials. */
#include "lang/size.h"

#include "base/hash.h"

#include <stdio.h>
#include <string.h>

/* Returns the index of the variable NAME, or -1. */
int syno_vars_find(const syno_vars *vars, const char *name)
{
    for (int i = 0; i < vars->n; i++)
        if (strcmp(vars->v[i].name, name) == 0) return i;
    return -1;
}

/* The size 1 (the empty product). */
syno_size syno_size_one(void)
{
    syno_size s;
    memset(&s, 0, sizeof s);
    return s;
}

/* The size consisting of variable I alone. */
syno_size syno_size_var(int i)
{
    SYNO_ASSERT(i >= 0 && i < SYNO_MAX_VARS);
    syno_size s = syno_size_one();
    s.e[i] = 1;
    return s;
}

/* No early exit: the loop stays branch-free (the compiler vectorizes
 * it), and sizes are combined in the synthesis' inner loops. */
static bool combine(syno_size *out, syno_size a, syno_size b, int sign)
{
    syno_size r;
    int bad = 0;
    for (int i = 0; i < SYNO_MAX_VARS; i++) {
        int e = a.e[i] + sign * b.e[i];
        bad |= (e > SYNO_MAX_EXPONENT) | (e < -SYNO_MAX_EXPONENT);
        r.e[i] = (int8_t)e;
    }
    if (bad) return false;
    *out = r;
    return true;
}

/* OUT = A*B.  Returns false (OUT untouched) if an exponent would exceed
 * SYNO_MAX_EXPONENT in magnitude. */
bool syno_size_mul(syno_size *out, syno_size a, syno_size b)
{
    return combine(out, a, b, 1);
}

/* OUT = A/B, symbolically (exponent subtraction); see syno_size_mul. */
bool syno_size_div(syno_size *out, syno_size a, syno_size b)
{
    return combine(out, a, b, -1);
}

/* OUT = A^P; see syno_size_mul. */
bool syno_size_pow(syno_size *out, syno_size a, int p)
{
    syno_size r;
    for (int i = 0; i < SYNO_MAX_VARS; i++) {
        long e = (long)a.e[i] * p;
        if (e > SYNO_MAX_EXPONENT || e < -SYNO_MAX_EXPONENT) return false;
        r.e[i] = (int8_t)e;
    }
    *out = r;
    return true;
}


/* A total order on sizes (exponent vectors compared lexicographically). */
int syno_size_cmp(syno_size a, syno_size b)
{
    for (int i = 0; i < SYNO_MAX_VARS; i++)
        if (a.e[i] != b.e[i]) return a.e[i] < b.e[i] ? -1 : 1;
    return 0;
}

/* Classifies A (see syno_size_kind). */
syno_size_kind syno_size_classify(const syno_vars *vars, syno_size a)
{
    bool primary = false, neg_coef = false, any = false;
    for (int i = 0; i < SYNO_MAX_VARS; i++) {
        if (!a.e[i]) continue;
        any = true;
        bool is_primary = i < vars->n && vars->v[i].kind == SYNO_VAR_PRIMARY;
        if (is_primary) {
            if (a.e[i] < 0) return SYNO_SIZE_NEG_PRIMARY;
            primary = true;
        } else if (a.e[i] < 0) {
            neg_coef = true;
        }
    }
    if (!any) return SYNO_SIZE_ONE;
    if (primary) return SYNO_SIZE_GENERAL;
    return neg_coef ? SYNO_SIZE_BAD_COEF : SYNO_SIZE_COEF;
}

/* True when A can be the size of a dimension (symbolically). */
bool syno_size_is_valid(const syno_vars *vars, syno_size a)
{
    syno_size_kind k = syno_size_classify(vars, a);
    return k == SYNO_SIZE_COEF || k == SYNO_SIZE_GENERAL;
}

/* Re-expresses A, a size over FROM's variables, over TO's variables by
 * name.  Returns false when a variable of A has no namesake in TO. */
bool syno_size_translate(const syno_vars *from, syno_size a, const syno_vars *to, syno_size *out)
{
    syno_size r = syno_size_one();
    for (int i = 0; i < SYNO_MAX_VARS; i++) {
        if (!a.e[i]) continue;
        int j = i < from->n ? syno_vars_find(to, from->v[i].name) : -1;
        if (j < 0) return false;
        r.e[j] = a.e[i];
    }
    *out = r;
    return true;
}

/* A fixed 64-bit hash of the exponent vector (FNV-1a of its bytes), stable
 * everywhere. */
uint64_t syno_size_hash(syno_size a)
{
    return syno_hash_fnv1a(SYNO_HASH_FNV_INIT, a.e, sizeof a.e);
}

/* Prints one side of a fraction: the factors with exponent of sign SIGN.
 * VALUES, when given, replaces names by numbers. */
static int print_side(const syno_vars *vars, syno_size a, int sign, const syno_binding *values,
                      syno_buf *out)
{
    int count = 0;
    for (int i = 0; i < vars->n; i++) {
        int e = a.e[i] * sign;
        if (e <= 0) continue;
        if (count++) syno_buf_putc(out, '*');
        if (values) syno_buf_printf(out, "%lld", (long long)values->val[i]);
        else syno_buf_puts(out, vars->v[i].name);
        if (e > 1) syno_buf_printf(out, "^%d", e);
    }
    return count;
}

static int count_side(const syno_vars *vars, syno_size a, int sign)
{
    int n = 0;
    for (int i = 0; i < vars->n; i++)
        if (a.e[i] * sign > 0) n += a.e[i] * sign > 1 ? 2 : 1;
    return n;
}

static void print_with(const syno_vars *vars, syno_size a, const syno_binding *values, syno_buf *out)
{
    if (!print_side(vars, a, 1, values, out)) syno_buf_putc(out, '1');
    int den = count_side(vars, a, -1);
    if (!den) return;
    syno_buf_putc(out, '/');
    if (den > 1) syno_buf_putc(out, '(');
    print_side(vars, a, -1, values, out);
    if (den > 1) syno_buf_putc(out, ')');
}

/* Prints A in the canonical written form: numerator factors in declaration
 * order, then "/" and the denominator, parenthesized when it has several
 * factors: "C_out/(g*s)", "k^2", "H*W", "1". */
void syno_size_print(const syno_vars *vars, syno_size a, syno_buf *out)
{
    print_with(vars, a, NULL, out);
}

/* Prints A with each variable replaced by its value in B: "96/(32*2)". */
static void print_values(const syno_vars *vars, syno_size a, const syno_binding *b, syno_buf *out)
{
    print_with(vars, a, b, out);
}

/* Prints A into BUF[0..N) and returns BUF (truncating if needed). */
const char *syno_size_str(const syno_vars *vars, syno_size a, char *buf, size_t n)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_size_print(vars, a, &b);
    snprintf(buf, n, "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
    return buf;
}

/* Clears B and gives every coefficient its default value. */
void syno_binding_defaults(const syno_vars *vars, syno_binding *b)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < vars->n; i++)
        if (vars->v[i].kind == SYNO_VAR_COEF) b->val[i] = vars->v[i].value;
}

static bool mul_checked(int64_t *acc, int64_t v)
{
    return !__builtin_mul_overflow(*acc, v, acc);
}

/* Evaluates A under B as the fraction NUM/DEN (numerator and denominator
 * products, not reduced).  On SYNO_EVAL_UNBOUND, *BAD_VAR names the unbound
 * variable. */
static syno_eval_status eval_ratio(const syno_vars *vars, syno_size a, const syno_binding *b,
                                      int64_t *num, int64_t *den, int *bad_var)
{
    int64_t n = 1, d = 1;
    for (int i = 0; i < SYNO_MAX_VARS; i++) {
        int e = a.e[i];
        if (!e) continue;
        if (i >= vars->n || b->val[i] <= 0) {
            if (bad_var) *bad_var = i;
            return SYNO_EVAL_UNBOUND;
        }
        int64_t *acc = e > 0 ? &n : &d;
        for (int k = 0; k < (e > 0 ? e : -e); k++)
            if (!mul_checked(acc, b->val[i])) return SYNO_EVAL_OVERFLOW;
    }
    *num = n;
    *den = d;
    return SYNO_EVAL_OK;
}

/* Evaluates A under B by exact division.  SYNO_EVAL_FRACTION when the
 * division leaves a remainder. */
syno_eval_status syno_size_eval(const syno_vars *vars, syno_size a, const syno_binding *b,
                                int64_t *value, int *bad_var)
{
    int64_t n, d;
    syno_eval_status st = eval_ratio(vars, a, b, &n, &d, bad_var);
    if (st != SYNO_EVAL_OK) return st;
    if (n % d) return SYNO_EVAL_FRACTION;
    *value = n / d;
    return SYNO_EVAL_OK;
}

/* Describes a binding for messages: "binding 'layer3'" or "the binding
 * N=8, C_in=64". */
void syno_binding_describe(const syno_binding *b, syno_buf *out)
{
    if (b->name) syno_buf_printf(out, "binding '%s'", b->name);
    else syno_buf_puts(out, "the given binding");
}

/* Explains why A does not evaluate under B, e.g.
 * "C_out/(g*s) = 96/(32*2) is not an integer (remainder 32) in binding 'l3'". */
void syno_size_eval_message(const syno_vars *vars, syno_size a, const syno_binding *b, syno_buf *out)
{
    int64_t n = 0, d = 1;
    int bad = -1;
    syno_eval_status st = eval_ratio(vars, a, b, &n, &d, &bad);
    syno_size_print(vars, a, out);
    switch (st) {
    case SYNO_EVAL_UNBOUND:
        syno_buf_printf(out, ": variable '%s' has no value in ",
                        bad >= 0 && bad < vars->n ? vars->v[bad].name : "?");
        break;
    case SYNO_EVAL_OVERFLOW:
        syno_buf_puts(out, " = ");
        print_values(vars, a, b, out);
        syno_buf_puts(out, " overflows 64 bits in ");
        break;
    case SYNO_EVAL_OK:
        syno_buf_puts(out, " = ");
        print_values(vars, a, b, out);
        if (n % d) syno_buf_printf(out, " is not an integer (remainder %lld) in ", (long long)(n % d));
        else syno_buf_printf(out, " = %lld in ", (long long)(n / d));
        break;
    case SYNO_EVAL_FRACTION:
        SYNO_UNREACHABLE();
    }
    syno_binding_describe(b, out);
}

/* ---- polynomials ----------------------------------------------------------- */

/* Makes P the zero polynomial. */
void syno_poly_zero(syno_poly *p)
{
    memset(p, 0, sizeof *p);
}

/* Adds C*M to P, merging with an equal monomial.  Returns false if P has no
 * room for another term. */
bool syno_poly_add(syno_poly *p, int64_t c, syno_size m)
{
    for (int i = 0; i < p->n; i++)
        if (syno_size_eq(p->t[i].m, m)) {
            p->t[i].c += c;
            return true;
        }
    if (p->n == SYNO_POLY_MAX) return false;
    p->t[p->n].c = c;
    p->t[p->n].m = m;
    p->n++;
    return true;
}

/* Prints P as "2*N*C_in*k^2 + C_out*H", terms in insertion order. */
void syno_poly_print(const syno_vars *vars, const syno_poly *p, syno_buf *out)
{
    int printed = 0;
    for (int i = 0; i < p->n; i++) {
        int64_t c = p->t[i].c;
        if (!c) continue;
        if (printed++) syno_buf_puts(out, c < 0 ? " - " : " + ");
        else if (c < 0) syno_buf_putc(out, '-');
        int64_t ac = c < 0 ? -c : c;
        if (syno_size_is_one(p->t[i].m)) {
            syno_buf_printf(out, "%lld", (long long)ac);
            continue;
        }
        if (ac != 1) syno_buf_printf(out, "%lld*", (long long)ac);
        syno_size_print(vars, p->t[i].m, out);
    }
    if (!printed) syno_buf_putc(out, '0');
}

/* Evaluates P under B exactly.  Each term must be an integer. */
syno_eval_status syno_poly_eval(const syno_vars *vars, const syno_poly *p, const syno_binding *b,
                                int64_t *value, int *bad_var)
{
    int64_t sum = 0;
    for (int i = 0; i < p->n; i++) {
        int64_t n, d;
        syno_eval_status st = eval_ratio(vars, p->t[i].m, b, &n, &d, bad_var);
        if (st != SYNO_EVAL_OK) return st;
        int64_t t;
        if (__builtin_mul_overflow(n, p->t[i].c, &t)) return SYNO_EVAL_OVERFLOW;
        if (t % d) return SYNO_EVAL_FRACTION;
        if (__builtin_add_overflow(sum, t / d, &sum)) return SYNO_EVAL_OVERFLOW;
    }
    *value = sum;
    return SYNO_EVAL_OK;
}

/* Evaluates P under B in floating point (for ratios and huge counts).
 * Unbound variables count as 0. */
double syno_poly_eval_double(const syno_vars *vars, const syno_poly *p, const syno_binding *b)
{
    double sum = 0;
    for (int i = 0; i < p->n; i++) {
        double t = (double)p->t[i].c;
        for (int v = 0; v < vars->n; v++)
            for (int k = 0; k < (p->t[i].m.e[v] < 0 ? -p->t[i].m.e[v] : p->t[i].m.e[v]); k++)
                t = p->t[i].m.e[v] > 0 ? t * (double)b->val[v] : t / (double)b->val[v];
        sum += t;
    }
    return sum;
}
