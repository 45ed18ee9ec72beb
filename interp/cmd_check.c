/* cmd_check.c - `syno check FILE...`: parse and check, report diagnostics. */
#include "interp/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: syno check [--json] [-v] FILE...\n"
    "Parses and checks each file (size algebra, linearity, shapes, bindings,\n"
    "search blocks) and reports every error found, in compiler format.\n"
    "  --json    print a JSON report on stdout instead\n"
    "  -v        print a line per file that checks clean\n"
    "Exit status: 0 when every file is clean, 1 when any has an error.\n";

/* Entry point of `syno check`. */
int syno_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false, verbose = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "jvhq", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'v': verbose = true; break;
        case 'q': verbose = false; break;
        case 'h': fputs(usage, stdout); return SYNO_EXIT_OK;
        default: return syno_cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc) return syno_cli_usage_error("check", "no FILE given");
    syno_ctx *ctx = syno_ctx_new();
    int nfiles = argc - optind;
    syno_module **mods = syno_xcalloc((size_t)nfiles, sizeof *mods);
    for (int i = 0; i < nfiles; i++) {
        int before = ctx->diags.errors;
        mods[i] = syno_ctx_load_file(ctx, argv[optind + i]);
        if (verbose && !json && mods[i] && ctx->diags.errors == before)
            printf("%s: %d operator%s, %d binding%s, %d search%s: ok\n", argv[optind + i], mods[i]->nops,
                   mods[i]->nops == 1 ? "" : "s", mods[i]->nbinds, mods[i]->nbinds == 1 ? "" : "s",
                   mods[i]->nspecs, mods[i]->nspecs == 1 ? "" : "es");
    }
    int status = ctx->diags.errors ? SYNO_EXIT_USER : SYNO_EXIT_OK;
    if (json) {
        syno_buf b = SYNO_BUF_INIT;
        syno_json j;
        syno_json_init(&j, &b);
        syno_json_begin_object(&j);
        syno_json_key(&j, "ok");
        syno_json_bool(&j, status == SYNO_EXIT_OK);
        syno_json_key(&j, "errors");
        syno_json_int(&j, ctx->diags.errors);
        syno_json_key(&j, "warnings");
        syno_json_int(&j, ctx->diags.warnings);
        syno_json_key(&j, "files");
        syno_json_begin_array(&j);
        for (int i = 0; i < nfiles; i++) {
            syno_json_begin_object(&j);
            syno_json_key(&j, "file");
            syno_json_string(&j, argv[optind + i]);
            syno_json_key(&j, "readable");
            syno_json_bool(&j, mods[i] != NULL);
            if (mods[i]) {
                syno_json_key(&j, "errors");
                syno_json_int(&j, mods[i]->errors);
                syno_json_key(&j, "operators");
                syno_json_begin_array(&j);
                for (int k = 0; k < mods[i]->nops; k++) syno_json_string(&j, mods[i]->ops[k]->name);
                syno_json_end_array(&j);
                syno_json_key(&j, "bindings");
                syno_json_begin_array(&j);
                for (int k = 0; k < mods[i]->nbinds; k++) syno_json_string(&j, mods[i]->binds[k].name);
                syno_json_end_array(&j);
                syno_json_key(&j, "searches");
                syno_json_begin_array(&j);
                for (int k = 0; k < mods[i]->nspecs; k++) syno_json_string(&j, mods[i]->specs[k]->name);
                syno_json_end_array(&j);
            }
            syno_json_end_object(&j);
        }
        syno_json_end_array(&j);
        syno_json_key(&j, "diagnostics");
        syno_cli_diags_json(&j, ctx);
        syno_json_end_object(&j);
        fputs(syno_buf_str(&b), stdout);
        syno_buf_fini(&b);
        syno_diags_clear(&ctx->diags);
    }
    free(mods);
    return syno_cli_finish(ctx, status);
}
