/* t_base.c - unit tests of the ground floor's hashes and numbers
 * (base/hash.c, base/num.c, syno_ceil_div): FNV-1a and splitmix64 against
 * their published values, hex and option values on good, malformed, huge
 * and truncated text. */
#include "base/base.h"
#include "base/hash.h"
#include "base/num.h"
#include "base/rng.h"
#include "tests/tap.h"

static void test_hash(void)
{
    char hex[17];
    uint64_t h = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, "foobar", 6);
    syno_hash_hex(h, hex);
    is_str(hex, "85944171f73967e8", "FNV-1a 64 of \"foobar\" (the published test vector)");
    uint64_t parts = syno_hash_fnv1a(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, "foo", 3), "bar", 3);
    ok(parts == h, "FNV-1a continued over two pieces equals FNV-1a of the whole");
    syno_hash_hex(syno_hash_mix(0), hex);
    is_str(hex, "e220a8397b1dcdaf", "the mixer of 0 is splitmix64's first output from seed 0");
    uint64_t state = 12345, same = 1;
    for (int i = 0; i < 4; i++) {
        uint64_t want = syno_hash_mix(12345 + (uint64_t)i * SYNO_HASH_GAMMA);
        same &= syno_splitmix64(&state) == want;
    }
    ok(same, "syno_splitmix64 is the mixer over the state's steps of SYNO_HASH_GAMMA");
}

static void test_hex(void)
{
    static const uint64_t values[] = {0, 1, 0xabcdef, 0x8000000000000000ull, UINT64_MAX};
    bool round = true;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(values); i++) {
        char hex[17];
        uint64_t back = 7;
        syno_hash_hex(values[i], hex);
        round &= strlen(hex) == 16 && syno_hash_parse(hex, &back) && back == values[i];
    }
    ok(round, "16 hex digits and back, for 0, 1, a middle value, the top bit and all ones");
    static const char *bad[] = {"", "123456789abcdef", "0123456789abcdef0", "0123456789abcdeg", "0123456789abcde ",
                                "ffffffffffffffffffffffffffffffff"};
    bool refused = !syno_hash_parse(NULL, NULL);
    for (size_t i = 0; i < SYNO_ARRAY_LEN(bad); i++) {
        uint64_t h = 42;
        refused &= !syno_hash_parse(bad[i], &h) && h == 42;
    }
    ok(refused, "hex: NULL, empty, 15 and 17 digits, a non-digit, a blank and 32 digits are refused, *H untouched");
}

static void test_int(void)
{
    long long v = 0;
    ok(syno_num_parse_int("42", 1, 100, &v) && v == 42, "42 in [1, 100]");
    ok(syno_num_parse_int("1", 1, 100, &v) && v == 1 && syno_num_parse_int("100", 1, 100, &v) && v == 100,
       "both ends of the range are in it");
    static const char *bad[] = {"", "0", "101", "-5", "4x", "x4", "1.5", "99999999999999999999999", "1e3"};
    bool refused = true;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(bad); i++) {
        v = 7;
        refused &= !syno_num_parse_int(bad[i], 1, 100, &v) && v == 7;
    }
    ok(refused, "integers: empty, out of range (both sides), trailing or leading garbage, a fraction, overflow and "
                "an exponent are refused, *V untouched");
    uint64_t u = 0;
    ok(syno_num_parse_u64("18446744073709551615", &u) && u == UINT64_MAX, "2^64-1 is a u64");
    u = 3;
    ok(!syno_num_parse_u64("18446744073709551616", &u) && !syno_num_parse_u64("-1", &u) && !syno_num_parse_u64("", &u) &&
           !syno_num_parse_u64("12a", &u) && u == 3,
       "u64: 2^64, a sign, empty and garbage are refused");
}

static void test_real(void)
{
    double d = 0;
    ok(syno_num_parse_real("0.5", 0, 1, &d) && d == 0.5, "0.5 in [0, 1]");
    ok(syno_num_parse_real("1e-3", 1e-3, 1, &d) && d == 1e-3, "1e-3 at the low end");
    static const char *bad[] = {"", "nan", "inf", "1e999", "2", "-0.1", "0.5x", " "};
    bool refused = true;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(bad); i++) {
        d = 9;
        refused &= !syno_num_parse_real(bad[i], 0, 1, &d) && d == 9;
    }
    ok(refused, "reals: empty, NaN, infinity, overflow, out of range, garbage and a blank are refused");
}

static void test_human(void)
{
    static const struct {
        double v;
        const char *unit, *want;
    } cases[] = {
        {0, "FLOP", "0 FLOP"},         {999, "B", "999 B"},          {1000, "FLOP", "1 kFLOP"},
        {73728, "FLOP", "73.7 kFLOP"}, {1.5e6, "B", "1.5 MB"},       {2.42e9, "FLOP", "2.42 GFLOP"},
        {1e15, "FLOP", "1 PFLOP"},     {2.5e18, "FLOP", "2.5e+03 PFLOP"},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cases); i++) {
        syno_buf b = SYNO_BUF_INIT;
        syno_num_human(cases[i].v, cases[i].unit, &b);
        is_str(syno_buf_str(&b), cases[i].want, "%g %s reads as %s", cases[i].v, cases[i].unit, cases[i].want);
        syno_buf_fini(&b);
    }
}

static void test_division(void)
{
    ok(syno_ceil_div(7, 2) == 4 && syno_ceil_div(8, 2) == 4 && syno_ceil_div(0, 5) == 0 && syno_ceil_div(1, 5) == 1,
       "ceil division of non-negative numbers");
    ok(syno_ceil_div(-7, 2) == -3 && syno_ceil_div(-8, 2) == -4 && syno_ceil_div(-1, 5) == 0,
       "ceil division rounds negative numbers toward plus infinity");
    ok(syno_floor_div(-7, 2) == -4 && syno_euclid_mod(-7, 2) == 1, "floor division and the language's modulo");
}

int main(void)
{
    test_hash();
    test_hex();
    test_int();
    test_real();
    test_human();
    test_division();
    return tap_done();
}
