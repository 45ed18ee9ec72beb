/* main.c - the `syno` command: global options and subcommand dispatch. */
#include "config.h"

#include "codegen/cuda_load.h"
#include "interp/cli.h"

#include <stdlib.h>
#include <string.h>

const syno_command syno_commands[] = {
#define SYNO_COMMAND(name, args, summary) {#name, syno_cmd_##name, args, summary},
#include "interp/commands.def"
#undef SYNO_COMMAND
};
const int syno_ncommands = (int)SYNO_ARRAY_LEN(syno_commands);

static void usage(FILE *f)
{
    fprintf(f, "usage: syno [--version] [--help] COMMAND [ARGS]\n\n"
               "syno discovers neural-network operators: it checks, explains, runs and\n"
               "searches operators written in the .syno language.\n\ncommands:\n");
    for (int i = 0; i < syno_ncommands; i++)
        fprintf(f, "  %-9s %-30s %s\n", syno_commands[i].name, syno_commands[i].args, syno_commands[i].summary);
    fprintf(f, "\nOperators are named FILE:OP (or just OP for the standard library).\n"
               "'syno COMMAND --help' describes a command; 'man syno' has the details.\n"
               "Exit status: 0 success, 1 error in the input, 2 bad command line.\n");
}

static void version(void)
{
    printf("syno %s\n", PACKAGE_VERSION);
    printf("features:");
#ifdef HAVE_READLINE
    printf(" readline");
#endif
#ifdef HAVE_BLAS
    printf(" openblas");
#endif
#ifdef HAVE_SQLITE
    printf(" sqlite");
#endif
#ifdef HAVE_ZLIB
    printf(" zlib");
#endif
#ifdef HAVE_NVRTC
    printf(" nvrtc");
#endif
#ifdef HAVE_MPI
    printf(" mpi");
#endif
    printf("\n");
    syno_cuda_print_version(stdout); /* which NVRTC and CUDA driver were found, or why not */
}

int main(int argc, char **argv)
{
    if (argc < 2) { /* no command: the interactive session (or a script on stdin) */
        char *args[] = {(char *)"repl", NULL};
        return syno_cmd_repl(1, args);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (strcmp(cmd, "help") == 0 && argc > 2) {
            for (int i = 0; i < syno_ncommands; i++)
                if (strcmp(syno_commands[i].name, argv[2]) == 0) {
                    char *args[] = {argv[2], (char *)"--help", NULL};
                    return syno_commands[i].run(2, args);
                }
            return syno_cli_usage_error(NULL, "no command '%s'", argv[2]);
        }
        usage(stdout);
        return SYNO_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return SYNO_EXIT_OK;
    }
    for (int i = 0; i < syno_ncommands; i++)
        if (strcmp(syno_commands[i].name, cmd) == 0) {
            syno_cli_command = syno_commands[i].name;
            return syno_commands[i].run(argc - 1, argv + 1);
        }
    const char *names[64];
    for (int i = 0; i < syno_ncommands && i < 64; i++) names[i] = syno_commands[i].name;
    const char *best = syno_suggest(cmd, names, syno_ncommands);
    if (best) return syno_cli_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", cmd, best);
    return syno_cli_usage_error(NULL, "unknown command '%s'", cmd);
}
