/* t_size.c - unit tests of the size algebra (lang/size.c). */
#include "lang/size.h"
#include "tests/tap.h"

static syno_vars vars;

static void declare(const char *name, syno_var_kind k, int64_t value)
{
    vars.v[vars.n].name = name;
    vars.v[vars.n].kind = k;
    vars.v[vars.n].value = value;
    vars.n++;
}

static const char *str(syno_size s)
{
    static char buf[8][64];
    static int i;
    i = (i + 1) % 8;
    return syno_size_str(&vars, s, buf[i], sizeof buf[i]);
}

int main(void)
{
    declare("N", SYNO_VAR_PRIMARY, 0);     /* 0 */
    declare("C_in", SYNO_VAR_PRIMARY, 0);  /* 1 */
    declare("C_out", SYNO_VAR_PRIMARY, 0); /* 2 */
    declare("H", SYNO_VAR_PRIMARY, 0);     /* 3 */
    declare("k", SYNO_VAR_COEF, 3);        /* 4 */
    declare("g", SYNO_VAR_COEF, 32);       /* 5 */
    declare("s", SYNO_VAR_COEF, 2);        /* 6 */
    syno_size N = syno_size_var(0), Cin = syno_size_var(1), Cout = syno_size_var(2), H = syno_size_var(3);
    syno_size k = syno_size_var(4), g = syno_size_var(5), s = syno_size_var(6), t, u;

    is_int(syno_vars_find(&vars, "C_out"), 2, "find a variable");
    is_int(syno_vars_find(&vars, "c_out"), -1, "names are case-sensitive");
    is_str(str(syno_size_one()), "1", "one prints as 1");
    ok(syno_size_is_one(syno_size_one()), "one is one");

    /* products, quotients, powers */
    syno_size_mul(&t, g, s);
    syno_size_div(&t, Cout, t);
    is_str(str(t), "C_out/(g*s)", "C_out/(g*s)");
    syno_size_pow(&u, k, 2);
    is_str(str(u), "k^2", "k^2");
    syno_size_mul(&u, H, H);
    syno_size_mul(&u, u, N);
    is_str(str(u), "N*H^2", "factors print in declaration order with exponents");
    syno_size_div(&u, Cin, g);
    is_str(str(u), "C_in/g", "single denominator without parentheses");
    syno_size_div(&u, syno_size_one(), g);
    is_str(str(u), "1/g", "pure denominator");
    syno_size_div(&u, k, k);
    ok(syno_size_is_one(u), "k/k = 1");
    ok(!syno_size_pow(&u, k, 100), "exponent overflow is refused");

    /* symbolic equality and order */
    syno_size a, b;
    syno_size_mul(&a, Cin, k);
    syno_size_mul(&b, k, Cin);
    ok(syno_size_eq(a, b), "multiplication commutes");
    ok(!syno_size_eq(a, Cin), "C_in*k != C_in");
    ok(syno_size_cmp(a, b) == 0 && syno_size_cmp(a, Cin) != 0, "cmp agrees with eq");
    is_int(syno_size_hash(a), syno_size_hash(b), "equal sizes hash equal");
    ok(syno_size_hash(a) != syno_size_hash(Cin), "different sizes hash differently");
    is_int(syno_size_hash(syno_size_one()), 0x88201fb960ff6465ull, "hash of 1 is a fixed value");

    /* classification */
    is_int(syno_size_classify(&vars, syno_size_one()), SYNO_SIZE_ONE, "1 is ONE");
    is_int(syno_size_classify(&vars, k), SYNO_SIZE_COEF, "k is a coefficient size");
    is_int(syno_size_classify(&vars, t), SYNO_SIZE_GENERAL, "C_out/(g*s) is general");
    syno_size_div(&u, Cin, H);
    is_int(syno_size_classify(&vars, u), SYNO_SIZE_NEG_PRIMARY, "C_in/H is invalid");
    syno_size_div(&u, k, g);
    is_int(syno_size_classify(&vars, u), SYNO_SIZE_BAD_COEF, "k/g is an illegal coefficient");
    ok(syno_size_is_valid(&vars, t) && !syno_size_is_valid(&vars, u), "validity");

    /* evaluation */
    syno_binding bd;
    syno_binding_defaults(&vars, &bd);
    is_int(bd.val[4], 3, "defaults fill coefficients");
    is_int(bd.val[0], 0, "defaults leave primaries unbound");
    int64_t v;
    int bad = -1;
    is_int(syno_size_eval(&vars, t, &bd, &v, &bad), SYNO_EVAL_UNBOUND, "unbound variable");
    is_int(bad, 2, "names the unbound variable");
    bd.val[2] = 128;
    is_int(syno_size_eval(&vars, t, &bd, &v, NULL), SYNO_EVAL_OK, "C_out/(g*s) with C_out=128");
    is_int(v, 2, "128/(32*2) = 2");
    bd.val[2] = 96;
    bd.name = "layer3";
    is_int(syno_size_eval(&vars, t, &bd, &v, NULL), SYNO_EVAL_FRACTION, "96/(32*2) is a fraction");
    syno_buf msg = SYNO_BUF_INIT;
    syno_size_eval_message(&vars, t, &bd, &msg);
    is_str(syno_buf_str(&msg), "C_out/(g*s) = 96/(32*2) is not an integer (remainder 32) in binding 'layer3'",
           "the fraction message names the size, values, remainder and binding");
    syno_buf_fini(&msg);
    bd.val[0] = 1ll << 40;
    syno_size_pow(&u, N, 2);
    is_int(syno_size_eval(&vars, u, &bd, &v, NULL), SYNO_EVAL_OVERFLOW, "overflow is detected");

    /* polynomials */
    syno_poly p;
    syno_poly_zero(&p);
    syno_size m;
    syno_size_mul(&m, N, Cin);
    syno_poly_add(&p, 2, m);
    syno_poly_add(&p, 1, H);
    syno_poly_add(&p, 3, m);
    is_int(p.n, 2, "equal monomials merge");
    syno_buf pb = SYNO_BUF_INIT;
    syno_poly_print(&vars, &p, &pb);
    is_str(syno_buf_str(&pb), "5*N*C_in + H", "polynomial printing");
    syno_buf_fini(&pb);
    syno_binding_defaults(&vars, &bd);
    bd.val[0] = 8, bd.val[1] = 64, bd.val[3] = 32;
    is_int(syno_poly_eval(&vars, &p, &bd, &v, NULL), SYNO_EVAL_OK, "polynomial evaluates");
    is_int(v, 5 * 8 * 64 + 32, "polynomial value");

    /* translation between variable tables */
    syno_vars other = {0};
    other.v[0].name = "C_out";
    other.v[1].name = "g";
    other.v[2].name = "s";
    other.n = 3;
    ok(syno_size_translate(&vars, t, &other, &u) && u.e[0] == 1 && u.e[1] == -1 && u.e[2] == -1,
       "translate by name");
    ok(!syno_size_translate(&vars, N, &other, &u), "translation fails for a missing variable");
    return tap_done();
}
