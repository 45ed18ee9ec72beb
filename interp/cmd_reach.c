/* cmd_reach.c - `syno reach SPEC FILE:OP [--json]`: is this operator in the
 * synthesis space of the spec?  Yes: at which depth, by which path.  No:
 * which bound or rule excludes it. */
#include "base/hash.h"
#include "interp/cli.h"
#include "search/reach.h"
#include "search/search.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno reach SPEC FILE:OP [--json]\n"
    "Says whether the operator is in the synthesis space of the search block\n"
    "SPEC (an equal canonical hash is found by the search's own steps and\n"
    "rules): if so, its depth and the path of steps from the output axes; if\n"
    "not, the bound (weights, reductions, a primitive's limit, depth,\n"
    "allowance, chain, FLOPs window, layers) or the canonical rule (or the\n"
    "smallest set of rules) that excludes it.\n"
    "  SPEC     FILE, or FILE:SEARCH when the file has several searches\n"
    "  FILE:OP  the operator (or OP for the standard library)\n"
    "  --json   one JSON object on stdout\n"
    "Exit status: 0 when it is in the space, 1 when it is not (or on an\n"
    "error in the input), 2 on a bad command line.\n";

/* Entry point of `syno reach`. */
int syno_cmd_reach(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("reach", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) return syno_cli_usage_error("reach", "expected SPEC and FILE:OP");
    const char *specref = argv[optind], *opref = argv[optind + 1];
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = syno_search_find_spec(ctx, specref);
    syno_op *op = spec ? syno_cli_find_op(ctx, opref) : NULL;
    if (!spec || !op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_reach r;
    if (!syno_reach_run(spec, op, &ctx->diags, &r)) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    char hex[17];
    syno_hash_hex(r.hash, hex);
    if (json) {
        syno_buf b = SYNO_BUF_INIT;
        syno_json j;
        syno_json_init(&j, &b);
        syno_json_begin_object(&j);
        syno_json_key(&j, "operator");
        syno_json_string(&j, opref);
        syno_json_key(&j, "search");
        syno_json_string(&j, spec->name);
        syno_json_key(&j, "reachable");
        syno_json_bool(&j, r.reachable);
        syno_json_key(&j, "hash");
        if (r.hash) syno_json_string(&j, hex);
        else syno_json_null(&j);
        syno_json_key(&j, "depth");
        syno_json_int(&j, r.depth);
        syno_json_key(&j, "path");
        syno_json_begin_array(&j);
        for (int i = 0; i < r.nsteps; i++) syno_json_string(&j, r.steps[i]);
        syno_json_end_array(&j);
        syno_json_key(&j, "reason");
        if (r.reason) syno_json_string(&j, r.reason);
        else syno_json_null(&j);
        syno_json_key(&j, "rule");
        if (r.rule < SYNO_RULE_COUNT) syno_json_string(&j, syno_rules[r.rule].name);
        else syno_json_null(&j);
        syno_json_key(&j, "rules");
        syno_json_begin_array(&j);
        for (int k = 0; k < SYNO_RULE_COUNT; k++)
            if (r.rules >> k & 1) syno_json_string(&j, syno_rules[k].name);
        syno_json_end_array(&j);
        syno_json_key(&j, "flops");
        syno_json_double(&j, r.flops);
        syno_json_key(&j, "params");
        syno_json_double(&j, r.params);
        syno_json_end_object(&j);
        fputs(syno_buf_str(&b), stdout);
        syno_buf_fini(&b);
    } else if (r.reachable) {
        printf("%s is in the space of search %s: depth %d (canonical hash %s)\n", opref, spec->name, r.depth, hex);
        for (int i = 0; i < r.nsteps; i++) printf("  %2d. %s\n", i + 1, r.steps[i]);
    } else {
        printf("%s is not in the space of search %s: %s\n", opref, spec->name, r.reason ? r.reason : "?");
        if (r.nsteps) printf("  with %s off, this path builds it:\n", __builtin_popcountll(r.rules) > 1 ? "those rules" : "that rule");
        for (int i = 0; i < r.nsteps; i++) printf("  %2d. %s\n", i + 1, r.steps[i]);
    }
    int status = r.reachable ? SYNO_EXIT_OK : SYNO_EXIT_USER;
    syno_reach_fini(&r);
    syno_diags_print(&ctx->diags, stderr);
    syno_ctx_free(ctx);
    return status;
}
