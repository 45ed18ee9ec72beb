/* space_check.c - does pruning lose operators? (not a test: a driver for
 * longer runs than the test suite affords; tests/unit/t_search runs the
 * same comparison on small spaces).
 *
 * Enumerates a spec's space twice to a depth: once as `syno enumerate`
 * does, once with the guidance rules (shape distance, critical state,
 * FLOPs bound) off and with states that differ only in which of equal
 * reductions is which kept apart, and prints every final operator that
 * the second enumeration finds and the first does not (with its text):
 * guidance must only remove partial operators that lead nowhere.  With
 * --fuzz N it does the same on N random variations of the spec
 * (allowances, coefficient uses, limits of each primitive, reductions,
 * weights, chain, shift_pattern, depth), drawn from --seed.
 *
 *   space_check SPEC [--depth D] [--fuzz N] [--seed S] [--max-depth D]
 *   space_check SPEC --depth D --hashes [--off RULE,...] [--exact]
 *       (only the sorted canonical hashes of one enumeration, one a line)
 *
 * Exits 1 when an operator was lost. */
#include "lang/graph_print.h"
#include "base/rng.h"
#include "search/engine.h"
#include "search/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hset {
    uint64_t *h;
    syno_final **f;  /* kept finals (only for the pruning-off pass) */
    int n, cap;
    bool keep;
} hset;

static void on_final(void *ctx, syno_final *f)
{
    hset *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->h = syno_xrealloc(s->h, (size_t)s->cap * sizeof *s->h);
        s->f = syno_xrealloc(s->f, (size_t)s->cap * sizeof *s->f);
    }
    s->h[s->n] = f->hash;
    s->f[s->n++] = s->keep ? f : NULL;
    if (!s->keep) syno_final_free(f);
}

static void hset_fini(hset *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->f[i]) syno_final_free(s->f[i]);
    free(s->h);
    free(s->f);
    memset(s, 0, sizeof *s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool has(const hset *s, uint64_t h)
{
    return bsearch(&h, s->h, (size_t)s->n, sizeof h, cmp_u64) != NULL;
}

/* One enumeration of SPEC to DEPTH with the rules DISABLED off. */
static uint64_t enumerate(const syno_spec *spec, syno_diags *d, int depth, uint64_t disabled, bool exact, hset *out)
{
    syno_space *sp = syno_space_new(spec, d);
    if (!sp) return 0;
    sp->disabled = disabled;
    sp->exact_states = exact;
    if (depth) syno_space_set_depth(sp, depth);
    syno_enum_result r;
    syno_enumerate(sp, 1, on_final, out, &r);
    syno_space_free(sp);
    if (!out->keep) qsort(out->h, (size_t)out->n, sizeof *out->h, cmp_u64);
    return r.states;
}

static const uint64_t guidance = 1ull << SYNO_RULE_DISTANCE | 1ull << SYNO_RULE_CRITICAL | 1ull << SYNO_RULE_FLOPS_BOUND;

/* Compares SPEC's enumeration with and without guidance; prints what was
 * lost (with LABEL).  Returns the number lost. */
static int compare(const syno_spec *spec, syno_diags *d, int depth, const char *label)
{
    hset on = {0}, off = {.keep = true};
    uint64_t s_on = enumerate(spec, d, depth, 0, false, &on);
    uint64_t s_off = enumerate(spec, d, depth, guidance, true, &off);
    int lost = 0;
    for (int i = 0; i < off.n; i++) {
        if (has(&on, off.h[i])) continue;
        if (!lost++) printf("%s: LOST operators (found without guidance, not with it):\n", label);
        syno_buf b = SYNO_BUF_INIT;
        syno_graph_print_op(off.f[i]->op, "lost", 0, &b);
        printf("# %016llx\n%s\n", (unsigned long long)off.h[i], syno_buf_str(&b));
        syno_buf_fini(&b);
    }
    printf("%s: %d finals with guidance (%llu states), %d without (%llu states), %d lost\n", label, on.n,
           (unsigned long long)s_on, off.n, (unsigned long long)s_off, lost);
    fflush(stdout);
    hset_fini(&on);
    hset_fini(&off);
    return lost;
}

static int pick(syno_rng *r, int lo, int hi)
{
    return lo + (int)(syno_rng_below(r, (uint64_t)(hi - lo + 1)));
}

/* A random variation of BASE into S (BASE's own arrays are shared). */
static void vary(const syno_spec *base, syno_spec *s, syno_rng *r, int max_depth, int *depth)
{
    *s = *base;
    for (int v = 0; v < base->vars->n; v++) {
        if (base->fixed & (1u << v)) continue;
        if (base->vars->v[v].kind == SYNO_VAR_PRIMARY) s->allow[v] = pick(r, 1, 2);
        else s->allow[v] = pick(r, 0, 3);
    }
    static const syno_prim prims[] = {SYNO_PRIM_SPLIT, SYNO_PRIM_MERGE, SYNO_PRIM_SHIFT, SYNO_PRIM_STRIDE,
                                      SYNO_PRIM_UNFOLD, SYNO_PRIM_EXPAND, SYNO_PRIM_REVERSE};
    for (size_t k = 0; k < SYNO_ARRAY_LEN(prims); k++) {
        int x = pick(r, 0, 2);
        if (prims[k] == SYNO_PRIM_REVERSE && x > 1) x = 1;
        s->limit[prims[k]] = x;
    }
    s->reductions = pick(r, 1, 3);
    s->weights = pick(r, 1, 2);
    s->chain = pick(r, 3, 6);
    s->opt[SYNO_OPT_SHIFT_PATTERN] = pick(r, 1, 6);
    s->opt[SYNO_OPT_TILE] = pick(r, 0, 1);
    s->opt[SYNO_OPT_HEURISTIC_RULES] = pick(r, 0, 1);
    s->opt[SYNO_OPT_EXPAND_REPEAT] = pick(r, 0, 1) ? 1 : 5;
    *depth = pick(r, 4, max_depth);
}

static void describe(const syno_spec *s, int depth, syno_buf *b)
{
    syno_buf_printf(b, "depth %d, reductions %d, weights %d, chain %d, allow", depth, s->reductions, s->weights, s->chain);
    for (int v = 0; v < s->vars->n; v++) syno_buf_printf(b, " %s:%d", s->vars->v[v].name, s->allow[v]);
    syno_buf_puts(b, ", limit");
    for (int p = 0; p < SYNO_PRIM_COUNT; p++)
        if (s->limit[p] >= 0 && p != SYNO_PRIM_SUM && p != SYNO_PRIM_SHARE) syno_buf_printf(b, " %s %d", syno_prims[p].name, s->limit[p]);
    syno_buf_printf(b, ", shift_pattern %g, tile %g, heuristic_rules %g, expand_repeat %g", s->opt[SYNO_OPT_SHIFT_PATTERN],
                    s->opt[SYNO_OPT_TILE], s->opt[SYNO_OPT_HEURISTIC_RULES], s->opt[SYNO_OPT_EXPAND_REPEAT]);
}

static uint64_t parse_rules(const char *list)
{
    uint64_t m = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (strcmp(t, "guidance") == 0) {
            m |= guidance;
            continue;
        }
        int k = 0;
        while (k < SYNO_RULE_COUNT && strcmp(syno_rules[k].name, t) != 0) k++;
        if (k == SYNO_RULE_COUNT) {
            fprintf(stderr, "space_check: unknown rule '%s'\n", t);
            exit(2);
        }
        m |= 1ull << k;
    }
    return m;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: space_check SPEC [--depth D] [--fuzz N] [--seed S] [--max-depth D]\n"
                        "       space_check SPEC --depth D --hashes [--off RULE,...] [--exact]\n");
        return 2;
    }
    int depth = 0, fuzz = 0, max_depth = 7;
    uint64_t seed = 1, off = 0;
    bool hashes = false, exact = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--hashes") == 0) hashes = true;
        else if (strcmp(a, "--exact") == 0) exact = true;
        else if (!v) {
            fprintf(stderr, "space_check: %s needs a value\n", a);
            return 2;
        } else if (strcmp(a, "--depth") == 0) depth = atoi(v), i++;
        else if (strcmp(a, "--fuzz") == 0) fuzz = atoi(v), i++;
        else if (strcmp(a, "--seed") == 0) seed = strtoull(v, NULL, 10), i++;
        else if (strcmp(a, "--max-depth") == 0) max_depth = atoi(v), i++;
        else if (strcmp(a, "--off") == 0) off = parse_rules(v), i++;
        else {
            fprintf(stderr, "space_check: unknown option %s\n", a);
            return 2;
        }
    }
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = syno_search_find_spec(ctx, argv[1]);
    if (!spec) {
        syno_diags_print(&ctx->diags, stderr);
        return 1;
    }
    int lost = 0;
    if (hashes) {
        hset s = {0};
        enumerate(spec, &ctx->diags, depth, off, exact, &s);
        for (int i = 0; i < s.n; i++) printf("%016llx\n", (unsigned long long)s.h[i]);
        hset_fini(&s);
    } else if (!fuzz) {
        lost = compare(spec, &ctx->diags, depth, spec->name);
    } else {
        syno_rng rng;
        syno_rng_seed(&rng, seed);
        for (int k = 0; k < fuzz; k++) {
            syno_spec var;
            int d;
            vary(spec, &var, &rng, max_depth, &d);
            syno_buf b = SYNO_BUF_INIT;
            syno_buf_printf(&b, "#%d (", k);
            describe(&var, d, &b);
            syno_buf_putc(&b, ')');
            lost += compare(&var, &ctx->diags, d, syno_buf_str(&b)) > 0;
            syno_buf_fini(&b);
        }
        printf("%d of %d spaces lost operators\n", lost, fuzz);
    }
    syno_ctx_free(ctx);
    return lost ? 1 : 0;
}
