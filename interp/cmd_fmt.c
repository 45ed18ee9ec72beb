/* cmd_fmt.c - `syno fmt`: canonical formatting. */
#include "interp/cli.h"
#include "lang/fmt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno fmt [-w | --check] [FILE...]\n"
    "Prints each FILE (standard input when none is given) in the canonical\n"
    "format.  Formatting needs only a syntactically valid file; a file with\n"
    "syntax errors is reported and left alone.\n"
    "  -w, --write   rewrite the files in place (only those that change)\n"
    "  --check       print the names of files that are not formatted; exit 1 if any\n";

/* Entry point of `syno fmt`. */
int syno_cmd_fmt(int argc, char **argv)
{
    static const struct option opts[] = {{"write", no_argument, NULL, 'w'},
                                         {"check", no_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool write = false, check = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "wh", opts, NULL)) != -1) {
        switch (c) {
        case 'w': write = true; break;
        case 'c': check = true; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("fmt", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (write && check) return syno_cli_usage_error("fmt", "-w and --check exclude each other");
    char *stdin_only[] = {(char *)"-"};
    char **files = optind < argc ? argv + optind : stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;
    if (write && optind == argc) return syno_cli_usage_error("fmt", "-w needs FILE arguments");
    syno_ctx *ctx = syno_ctx_new();
    int status = SYNO_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        syno_module *m = syno_ctx_parse_file(ctx, files[i]);
        if (!m || m->syntax_errors) {
            status = SYNO_EXIT_USER;
            continue;
        }
        syno_buf out = SYNO_BUF_INIT;
        syno_fmt_module(m, &out);
        bool same = out.len == m->src->len && memcmp(syno_buf_str(&out), m->src->text, out.len) == 0;
        if (check) {
            if (!same) {
                printf("%s\n", files[i]);
                status = SYNO_EXIT_USER;
            }
        } else if (write) {
            if (!same && !syno_cli_write_file(files[i], syno_buf_str(&out), out.len)) status = SYNO_EXIT_USER;
        } else {
            fwrite(syno_buf_str(&out), 1, out.len, stdout);
        }
        syno_buf_fini(&out);
    }
    return syno_cli_finish(ctx, status);
}
