/* cmd_results.c - `syno results DB [--top N] [--confirmed] [--json]`: the best operators
 * of a search from its results store. */
#include "base/num.h"
#include "interp/cli.h"
#include "search/search_run.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: syno results DB [--top N] [--confirmed] [--json]\n"
    "Prints the best operators recorded in a search's results store: rank,\n"
    "canonical hash, reward, FLOPs, parameters, latency and accuracy (with\n"
    "ratios to the baseline), the confirmed accuracy when the search\n"
    "confirmed its best (`train confirm K`), and the .syno file of each.\n"
    "  --top N   at most N rows (default 10; failed candidates come last)\n"
    "  --confirmed  only the confirmed candidates, best confirmed accuracy\n"
    "            first\n"
    "  --json    a list of objects: hash, file, status, reason, reward, flops,\n"
    "            params, latency, accuracy, ratios to the baseline, confirmed\n"
    "            (mean accuracy of the confirmation runs), confirmed_runs,\n"
    "            confirmed_baseline, seconds, iteration and the canonical text\n";

typedef struct jctx {
    syno_json *j;
    const double *ref;
} jctx;

static void num(syno_json *j, const char *key, double v)
{
    syno_json_key(j, key);
    if (isfinite(v)) syno_json_double(j, v);
    else syno_json_null(j);
}

static void json_row(void *ctx, const syno_record *r)
{
    jctx *c = ctx;
    syno_json *j = c->j;
    char hex[17];
    syno_hash_hex(r->hash, hex);
    syno_json_begin_object(j);
    syno_json_key(j, "hash");
    syno_json_string(j, hex);
    syno_json_key(j, "file");
    if (r->file) syno_json_string(j, r->file);
    else syno_json_null(j);
    syno_json_key(j, "status");
    syno_json_string(j, r->ok ? "ok" : "failed");
    syno_json_key(j, "reason");
    if (r->reason) syno_json_string(j, r->reason);
    else syno_json_null(j);
    num(j, "reward", r->reward);
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) num(j, syno_metric_names[k], r->v[k]);
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
        if (k == SYNO_METRIC_ACCURACY) continue;
        char key[32];
        snprintf(key, sizeof key, "%s_ratio", syno_metric_names[k]);
        num(j, key, c->ref && isfinite(c->ref[k]) && c->ref[k] > 0 ? r->v[k] / c->ref[k] : NAN);
    }
    num(j, "confirmed", r->confirmed);
    syno_json_key(j, "confirmed_runs");
    syno_json_int(j, r->nconfirmed);
    num(j, "confirmed_baseline", c->ref ? c->ref[SYNO_REF_CONFIRMED] : NAN);
    num(j, "seconds", r->seconds);
    syno_json_key(j, "iteration");
    syno_json_int(j, r->iteration);
    syno_json_key(j, "path");
    if (r->path) syno_json_string(j, r->path);
    else syno_json_null(j);
    syno_json_key(j, "text");
    if (r->text) syno_json_string(j, r->text);
    else syno_json_null(j);
    syno_json_end_object(j);
}

/* Entry point of `syno results`. */
int syno_cmd_results(int argc, char **argv)
{
    static const struct option opts[] = {{"top", required_argument, NULL, 't'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"confirmed", no_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int top = 10, c;
    bool json = false, confirmed = false;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': {
            long long v;
            if (!syno_num_parse_int(optarg, 1, 1000000, &v))
                return syno_cli_usage_error("results", "--top takes a positive integer, not '%s'", optarg);
            top = (int)v;
            break;
        }
        case 'j': json = true; break;
        case 'c': confirmed = true; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("results", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return syno_cli_usage_error("results", optind == argc ? "no DB given" : "one DB at a time");
    const char *db = argv[optind];
    struct stat st;
    if (stat(db, &st) != 0) {
        syno_cli_error("%s: no such results store", db);
        return SYNO_EXIT_USER;
    }
    syno_buf err = SYNO_BUF_INIT;
    syno_store *s = syno_store_open_read(db, &err);
    if (!s) {
        syno_cli_error("%s", syno_buf_str(&err));
        syno_buf_fini(&err);
        return SYNO_EXIT_USER;
    }
    syno_buf_fini(&err);
    char *name = syno_store_get_meta(s, "spec_name");
    if (!name) {
        syno_cli_error("%s is not a results store of syno search", db);
        syno_store_close(s);
        return SYNO_EXIT_USER;
    }
    double ref[SYNO_REF_COUNT];
    bool refs = syno_search_refs_load(s, ref);
    if (json) {
        syno_buf b = SYNO_BUF_INIT;
        syno_json j;
        syno_json_init(&j, &b);
        syno_json_begin_array(&j);
        jctx jc = {&j, refs ? ref : NULL};
        syno_store_each(s, top, confirmed ? SYNO_ORDER_CONFIRMED : SYNO_ORDER_REWARD, json_row, &jc);
        syno_json_end_array(&j);
        fputs(syno_buf_str(&b), stdout);
        syno_buf_fini(&b);
    } else {
        char *file = syno_store_get_meta(s, "spec_file"), *alg = syno_store_get_meta(s, "algorithm");
        char *seed = syno_store_get_meta(s, "seed"), *of = syno_store_get_meta(s, "reference_of");
        printf("search %s (%s), algorithm %s, seed %s: %lld candidates, %lld failed%s%s\n", name, file ? file : "?",
               alg ? alg : "?", seed ? seed : "?", (long long)syno_store_count(s, false),
               (long long)(syno_store_count(s, false) - syno_store_count(s, true)), of ? "; ratios to " : "",
               of ? of : "");
        if (!confirmed) syno_search_print_table(s, top, refs ? ref : NULL, stdout);
        syno_search_print_confirmed(s, of, refs ? ref : NULL, stdout);
        free(file);
        free(alg);
        free(seed);
        free(of);
    }
    free(name);
    syno_store_close(s);
    return SYNO_EXIT_OK;
}
