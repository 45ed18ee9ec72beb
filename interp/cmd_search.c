/* cmd_search.c - `syno search SPEC [--db FILE] [--algorithm A] [--seed N]
 * [--iterations N] [--jobs N] [--resume] [--out DIR] [--evaluator CMD]
 * [--backend B] [--mpi]`: runs the search block of SPEC
 * (search/search_run.h); under --mpi, rank 0 of the MPI job runs it and
 * the other ranks evaluate (search/mpi.h). */
#include "base/num.h"
#include "interp/cli.h"
#include "search/eval_external.h"
#include "search/mpi.h"
#include "search/search.h"
#include "search/search_run.h"
#include "train/slot.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: syno search SPEC [--db FILE] [--algorithm random|beam|mcts|exhaustive]\n"
    "                   [--seed N] [--iterations N] [--jobs N] [--resume] [--out DIR]\n"
    "Runs the search block of SPEC: the algorithm proposes operators from the\n"
    "synthesis space, each new one is evaluated (FLOPs, parameters, and the\n"
    "objective's metrics) in a child process and recorded in the results\n"
    "store, the best are written as .syno files, and a table of the best ones\n"
    "is printed at the end.  A progress line goes to stderr when it is a tty.\n"
    "  SPEC              FILE, or FILE:SEARCH when the file has several searches\n"
    "  --db FILE         the results store (default: results.db next to SPEC)\n"
    "  --algorithm A     mcts, random, beam or exhaustive (default: the spec's)\n"
    "  --seed N          the seed of every random choice (default: the spec's)\n"
    "  --iterations N    candidates to evaluate in all (default: the spec's)\n"
    "  --jobs N          evaluations at a time (the candidates do not change);\n"
    "                    with --mpi: CPU threads of each rank's evaluation\n"
    "  --resume          continue the search recorded in the store\n"
    "  --out DIR         where operators are written (default: results/ next to the store)\n"
    "  --top N           rows of the table and files kept (default 10)\n"
    "  --evaluator CMD   measure accuracy with a command run per candidate instead\n"
    "                    of proxy training: {pytorch} {syno} {layers} {hash} {seed}\n"
    "                    {dir} are replaced; its last output line is the accuracy\n"
    "                    or a JSON object with \"accuracy\" (doc/training.md)\n"
    "  --evaluator-timeout S  seconds the command may run (default: no limit)\n"
    "  --backend B       where proxy training runs: auto (default), cpu or cuda\n"
    "  --mpi             one search over an MPI job: rank 0 searches and keeps the\n"
    "                    store, every other rank evaluates one candidate at a time\n"
    "                    (mpirun -n P syno search SPEC --mpi, P >= 2; doc/search.md)\n";

/* Reads an integer option value in [LO, HI] into *OUT (see base/num.h). */
static bool parse_int(const char *s, int lo, int hi, int *out)
{
    long long v;
    if (!syno_num_parse_int(s, lo, hi, &v)) return false;
    *out = (int)v;
    return true;
}

/* Entry point of `syno search`. */
int syno_cmd_search(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},         {"algorithm", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},       {"iterations", required_argument, NULL, 'i'},
        {"jobs", required_argument, NULL, 'j'},       {"resume", no_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},        {"top", required_argument, NULL, 't'},
        {"evaluator", required_argument, NULL, 'e'}, {"evaluator-timeout", required_argument, NULL, 'T'},
        {"backend", required_argument, NULL, 'b'},   {"mpi", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    const char *evaluator = NULL, *backend = NULL;
    double evaluator_timeout = 0;
    bool mpi = false, jobs_set = false;
    syno_search_opts o;
    memset(&o, 0, sizeof o);
    o.algorithm = -1;
    o.jobs = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.db = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'r': o.resume = true; break;
        case 'a':
            o.algorithm = -1;
            for (int k = 0; k < SYNO_ALG_COUNT; k++)
                if (strcmp(optarg, syno_algorithm_names[k]) == 0) o.algorithm = k;
            if (o.algorithm < 0)
                return syno_cli_usage_error("search", "unknown algorithm '%s' (mcts, random, beam or exhaustive)", optarg);
            break;
        case 's':
            if (!syno_num_parse_u64(optarg, &o.seed)) return syno_cli_usage_error("search", "--seed takes a non-negative integer, not '%s'", optarg);
            o.seed_set = true;
            break;
        case 'i':
            if (!parse_int(optarg, 1, 100000000, &o.iterations))
                return syno_cli_usage_error("search", "--iterations takes an integer from 1 to 100000000, not '%s'", optarg);
            break;
        case 'j':
            if (!parse_int(optarg, 1, 256, &o.jobs)) return syno_cli_usage_error("search", "--jobs takes an integer from 1 to 256, not '%s'", optarg);
            jobs_set = true;
            break;
        case 'b': backend = optarg; break;
        case 'm': mpi = true; break;
        case 't':
            if (!parse_int(optarg, 1, 256, &o.top)) return syno_cli_usage_error("search", "--top takes an integer from 1 to 256, not '%s'", optarg);
            break;
        case 'e': evaluator = optarg; break;
        case 'T': {
            char *end;
            evaluator_timeout = strtod(optarg, &end);
            if (!*optarg || *end || !(evaluator_timeout > 0))
                return syno_cli_usage_error("search", "--evaluator-timeout takes a number of seconds > 0, not '%s'", optarg);
            break;
        }
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("search", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return syno_cli_usage_error("search", optind == argc ? "no SPEC given" : "one SPEC at a time");
    if (evaluator) {
        syno_buf err = SYNO_BUF_INIT;
        bool good = syno_search_use_evaluator(evaluator, evaluator_timeout, &err);
        if (!good) syno_cli_usage_error("search", "--evaluator: %s", syno_buf_str(&err));
        syno_buf_fini(&err);
        if (!good) return SYNO_EXIT_USAGE;
    } else if (evaluator_timeout > 0) {
        return syno_cli_usage_error("search", "--evaluator-timeout needs --evaluator");
    }
    if (backend) {
        syno_buf err = SYNO_BUF_INIT;
        bool good = syno_slot_backend_check(backend, &err);
        if (!good) syno_cli_usage_error("search", "--backend: %s", syno_buf_str(&err));
        syno_buf_fini(&err);
        if (!good) return SYNO_EXIT_USAGE;
        syno_search_set_backend(backend);
    }
    syno_mpi *m = NULL;
    if (mpi) {
        syno_buf err = SYNO_BUF_INIT;
        m = syno_mpi_start(&argc, &argv, &err);
        if (!m) syno_cli_usage_error("search", "%s", syno_buf_str(&err));
        syno_buf_fini(&err);
        if (!m) return SYNO_EXIT_USAGE;
        if (syno_mpi_world_get(m)->rank != 0) { /* a worker */
            syno_mpi_worker_opts wo = {jobs_set ? o.jobs : 0};
            int status = syno_mpi_worker(m, &wo);
            syno_mpi_end(m);
            return status;
        }
    }
    const char *ref = argv[optind];
    syno_ctx *ctx = syno_ctx_new();
    syno_spec *spec = syno_search_find_spec(ctx, ref);
    bool accuracy = false;
    for (int i = 0; spec && i < spec->nobj; i++) accuracy |= spec->obj[i].metric == SYNO_METRIC_ACCURACY;
    if (spec && evaluator && !accuracy) {
        syno_cli_error("--evaluator measures accuracy, but the objective of search '%s' does not use it "
                       "(add 'objective accuracy;')", spec->name);
        spec = NULL;
    }
    if (!spec) {
        syno_mpi_end(m);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    o.spec_path = spec->module->src->name;
    o.progress = isatty(STDERR_FILENO) != 0;
    o.out = stdout;
    if (m) o.pool = syno_mpi_pool_new(m, spec);
    int status = syno_search_run(spec, &o, &ctx->diags);
    syno_evalpool_free(o.pool);
    syno_mpi_end(m);
    return syno_cli_finish(ctx, status ? SYNO_EXIT_USER : SYNO_EXIT_OK);
}
