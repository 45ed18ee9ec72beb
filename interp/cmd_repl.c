/* cmd_repl.c - `syno repl [FILE...]` (and `syno` with no arguments): the
 * interactive session of interp/repl.h.  On a terminal it edits lines with
 * readline and keeps a history; otherwise it reads commands and statements
 * from standard input line by line, printing no prompts. */
#include "config.h"

#include "interp/cli.h"
#include "interp/repl.h"

#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: syno repl [--no-history] [-q] [FILE...]\n"
    "An interactive session: type declarations (size, coef, op, bind, search)\n"
    "and :commands (:help lists them).  FILEs are loaded first, as by :load.\n"
    "On a terminal lines are edited with readline, Tab completes, and the\n"
    "history is kept in $SYNO_HISTORY, else $XDG_STATE_HOME/syno/history,\n"
    "else ~/.syno_history.  Otherwise standard input is read line by line\n"
    "(syno < session.txt) and the exit status is 1 if anything failed.\n"
    "  --no-history   neither read nor write the history file\n"
    "  -q, --quiet    no greeting\n";

/* Entry point of `syno repl`. */
int syno_cmd_repl(int argc, char **argv)
{
    bool no_history = false, quiet = false;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return SYNO_EXIT_OK;
        } else if (strcmp(a, "--no-history") == 0) {
            no_history = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--") == 0) {
            first = i + 1;
            break;
        } else if (a[0] == '-' && a[1]) {
            return syno_cli_usage_error("repl", "unknown option '%s'", a);
        } else {
            first = i;
            break;
        }
    }
    bool interactive = isatty(STDIN_FILENO) != 0;
    syno_repl *r = syno_repl_new(stdout, stderr, interactive);
    r->no_history = no_history;
    for (int i = first; i < argc; i++) syno_repl_load(r, argv[i]);
    if (interactive && !quiet)
        printf("syno %s: type declarations or :help; Tab completes, Ctrl-D leaves.\n", PACKAGE_VERSION);
    int st = syno_repl_run(r);
    syno_repl_free(r);
    return st;
}
