/* cmd_report.c - `syno report DB [-o FILE] [--refresh N] [--operators N]`:
 * a search's results store as one self-contained HTML page (report.h).
 * With --refresh the command stays while the search runs, writing the page
 * again every N seconds (the page reloads itself as often), and writes it
 * a last time, without the reload, once the search has ended. */
#include "interp/cli.h"
#include "interp/report.h"

#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: syno report DB [-o FILE] [--refresh N] [--operators N]\n"
    "Writes the results store DB of a search as one self-contained HTML page\n"
    "(inline SVG, no file or script fetched; open it in any browser): the\n"
    "spec, algorithm, seed, baseline, candidates (ok, failed, running), state,\n"
    "wall and processor time and machine; plots of accuracy (or the reward)\n"
    "against the FLOPs and latency ratios with the Pareto front and the\n"
    "baseline, the best reward so far, and the confirmed candidates with the\n"
    "spread of their runs; a table of every candidate (click a heading to\n"
    "sort); and a section per operator: `syno explain`, the canonical text,\n"
    "its path in the search space and its graph (with Graphviz's dot).\n"
    "  -o, --output FILE  write the page to FILE (default: standard output)\n"
    "  --refresh N   while the search runs, write the page again every N\n"
    "                seconds (1..86400), and make it reload itself as often;\n"
    "                returns when the search has ended (needs -o)\n"
    "  --operators N  sections for the N best candidates (default 20;\n"
    "                every confirmed one gets one too)\n";

static bool int_arg(const char *s, long lo, long hi, long *v)
{
    char *end;
    *v = strtol(s, &end, 10);
    return *s && !*end && *v >= lo && *v <= hi;
}

static bool running(const syno_run_info *ri)
{
    return ri->state == SYNO_RUN_SEARCHING || ri->state == SYNO_RUN_CONFIRMING;
}

/* Entry point of `syno report`. */
int syno_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"refresh", required_argument, NULL, 'r'},
                                         {"operators", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    long refresh = 0, operators = 20;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r':
            if (!int_arg(optarg, 1, 86400, &refresh))
                return syno_cli_usage_error("report", "--refresh takes seconds from 1 to 86400, not '%s'", optarg);
            break;
        case 'n':
            if (!int_arg(optarg, 0, 100000, &operators))
                return syno_cli_usage_error("report", "--operators takes an integer from 0 to 100000, not '%s'", optarg);
            break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        case ':':
        case '?':
            if (optopt) return syno_cli_usage_error("report", "option '-%c' needs a value", optopt);
            return syno_cli_usage_error("report", "unknown option or missing value: '%s'", argv[optind - 1]);
        default: return syno_cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return syno_cli_usage_error("report", optind == argc ? "no DB given" : "one DB at a time");
    if (refresh && (!out || strcmp(out, "-") == 0))
        return syno_cli_usage_error("report", "--refresh rewrites a file: give it with -o FILE");
    if (out && strcmp(out, "-") == 0) out = NULL;
    const char *db = argv[optind];
    struct stat st;
    if (stat(db, &st) != 0) {
        syno_cli_error("%s: no such results store", db);
        return SYNO_EXIT_USER;
    }
    if (S_ISDIR(st.st_mode)) {
        syno_cli_error("%s is a directory, not a results store (give the .db file of a search)", db);
        return SYNO_EXIT_USER;
    }
    char *copy = syno_xstrdup(out ? out : "."), *out_dir = syno_xstrdup(out ? dirname(copy) : ".");
    free(copy);
    syno_report_opts o = {out_dir, (int)operators, 0, 20, 0};
    int status = SYNO_EXIT_OK;
    for (;;) {
        syno_report rep;
        syno_buf err = SYNO_BUF_INIT;
        if (!syno_report_load(&rep, db, o.operators, &err)) {
            syno_cli_error("%s", syno_buf_str(&err));
            syno_buf_fini(&err);
            status = SYNO_EXIT_USER;
            break;
        }
        syno_buf_fini(&err);
        bool more = refresh && running(&rep.run);
        o.refresh = more ? (int)refresh : 0;
        o.now = (double)time(NULL);
        syno_buf page = SYNO_BUF_INIT;
        syno_report_page(&rep, &o, &page);
        syno_report_free(&rep);
        bool ok = true;
        if (out) {
            ok = syno_cli_write_file(out, page.data, page.len);
        } else {
            ok = fwrite(page.data, 1, page.len, stdout) == page.len && fflush(stdout) == 0;
            if (!ok) syno_cli_error("cannot write the page to standard output");
        }
        syno_buf_fini(&page);
        if (!ok) {
            status = SYNO_EXIT_USER;
            break;
        }
        if (!more) break;
        sleep((unsigned)refresh);
    }
    free(out_dir);
    return status;
}
