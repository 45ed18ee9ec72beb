/* cmd_enumerate.c - `syno enumerate SPEC --depth D [--jobs N] [--json]`:
 * the size of a synthesis space, counted exhaustively: partial operators,
 * distinct (hash-consed) ones, final operators, and how many candidates
 * each rule removed. */
#include "base/hash.h"
#include "base/num.h"
#include "interp/cli.h"
#include "lang/graph_print.h"
#include "search/search.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno enumerate SPEC --depth D [--jobs N] [--json]\n"
    "Enumerates the synthesis space of a search block exhaustively up to D\n"
    "steps and prints its size: partial operators (generated, and distinct\n"
    "after hash-consing), final operators (before and after canonical\n"
    "dedup), per depth, and the candidates removed by each rule.\n"
    "  SPEC        FILE, or FILE:SEARCH when the file has several searches\n"
    "  --depth D   the depth bound (default: the spec's 'depth')\n"
    "  --jobs N    threads sharing each depth (the counts do not change)\n"
    "  --json      one JSON object on stdout\n"
    "  --print     also print every final operator (as .syno text)\n";

static void print_text(const syno_spec *spec, const char *ref, const syno_enum_result *r)
{
    printf("search %s (%s), depth %d\n", spec->name, ref, r->depth);
    printf("  partial operators  %llu distinct (%llu generated, %llu merged by hash-consing)\n",
           (unsigned long long)r->states, (unsigned long long)(r->generated + 1), (unsigned long long)r->merged);
    printf("  final operators    %llu (%llu before canonical dedup)\n", (unsigned long long)r->finals,
           (unsigned long long)r->finals_raw);
    printf("  depth   states       finals\n");
    for (int d = 0; d <= r->depth; d++)
        printf("  %-7d %-12llu %llu\n", d, (unsigned long long)r->states_at[d], (unsigned long long)r->finals_at[d]);
    printf("  removed by rule:\n");
    static const char *const cls[] = {"limit", "canonical", "guidance", "final"};
    for (int k = 0; k < SYNO_RULE_COUNT; k++)
        if (r->rejected[k])
            printf("    %-22s %-10s %llu\n", syno_rules[k].name, cls[syno_rules[k].cls], (unsigned long long)r->rejected[k]);
    printf("  time %.3f s, peak state memory %.1f MB\n", r->seconds, (double)r->peak_bytes / 1e6);
}

static void print_json(const syno_spec *spec, const char *ref, const syno_enum_result *r)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_json j;
    syno_json_init(&j, &b);
    syno_json_begin_object(&j);
    syno_json_key(&j, "spec");
    syno_json_string(&j, ref);
    syno_json_key(&j, "search");
    syno_json_string(&j, spec->name);
    syno_json_key(&j, "depth");
    syno_json_int(&j, r->depth);
    syno_json_key(&j, "states");
    syno_json_int(&j, (int64_t)r->states);
    syno_json_key(&j, "generated");
    syno_json_int(&j, (int64_t)(r->generated + 1));
    syno_json_key(&j, "merged");
    syno_json_int(&j, (int64_t)r->merged);
    syno_json_key(&j, "finals");
    syno_json_int(&j, (int64_t)r->finals);
    syno_json_key(&j, "finals_before_dedup");
    syno_json_int(&j, (int64_t)r->finals_raw);
    syno_json_key(&j, "per_depth");
    syno_json_begin_array(&j);
    for (int d = 0; d <= r->depth; d++) {
        syno_json_begin_object(&j);
        syno_json_key(&j, "depth");
        syno_json_int(&j, d);
        syno_json_key(&j, "states");
        syno_json_int(&j, (int64_t)r->states_at[d]);
        syno_json_key(&j, "finals");
        syno_json_int(&j, (int64_t)r->finals_at[d]);
        syno_json_end_object(&j);
    }
    syno_json_end_array(&j);
    syno_json_key(&j, "removed");
    syno_json_begin_object(&j);
    for (int k = 0; k < SYNO_RULE_COUNT; k++) {
        syno_json_key(&j, syno_rules[k].name);
        syno_json_int(&j, (int64_t)r->rejected[k]);
    }
    syno_json_end_object(&j);
    syno_json_key(&j, "seconds");
    syno_json_double(&j, r->seconds);
    syno_json_key(&j, "peak_state_bytes");
    syno_json_int(&j, (int64_t)r->peak_bytes);
    syno_json_end_object(&j);
    fputs(syno_buf_str(&b), stdout);
    syno_buf_fini(&b);
}

static void print_final(void *ctx, syno_final *f)
{
    syno_space_final_exact_flops(ctx, f); /* the window may have been decided by bounds */
    syno_buf b = SYNO_BUF_INIT;
    char hex[17];
    syno_hash_hex(f->hash, hex);
    syno_buf_printf(&b, "# %s  FLOPs %.6g  params %.6g\n", hex, f->flops, f->params);
    syno_graph_print_op(f->op, "op", SYNO_PRINT_NEST, &b);
    puts(syno_buf_str(&b));
    syno_buf_fini(&b);
    syno_final_free(f);
}

/* Entry point of `syno enumerate`. */
int syno_cmd_enumerate(int argc, char **argv)
{
    static const struct option opts[] = {{"depth", required_argument, NULL, 'd'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"print", no_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int depth = 0, jobs = 1, c;
    long long v;
    bool json = false, print = false;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (!syno_num_parse_int(optarg, 1, 64, &v))
                return syno_cli_usage_error("enumerate", "--depth takes an integer from 1 to 64, not '%s'", optarg);
            depth = (int)v;
            break;
        case 'j':
            if (!syno_num_parse_int(optarg, 1, 1024, &v))
                return syno_cli_usage_error("enumerate", "--jobs takes a positive integer, not '%s'", optarg);
            jobs = (int)v;
            break;
        case 'J': json = true; break;
        case 'p': print = true; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("enumerate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return syno_cli_usage_error("enumerate", optind == argc ? "no SPEC given" : "one SPEC at a time");
    const char *ref = argv[optind];
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = syno_search_find_spec(ctx, ref);
    if (!spec) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_space *sp = syno_space_new(spec, &ctx->diags);
    if (!sp) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    if (depth) syno_space_set_depth(sp, depth);
    syno_enum_result r;
    syno_enumerate(sp, jobs, print ? print_final : NULL, sp, &r);
    if (json) print_json(spec, ref, &r);
    else print_text(spec, ref, &r);
    syno_space_free(sp);
    return syno_cli_finish(ctx, SYNO_EXIT_OK);
}
