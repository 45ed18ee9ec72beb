/* repl.h - the interactive `syno` session: state and the functions its
 * parts share (repl.c, repl_session.c, repl_bind.c, repl_cmds.c,
 * repl_complete.c, repl_edit.c).
 *
 * A session is a growing set of declarations typed at the prompt or loaded
 * from files.  Every text (an entry "<repl:N>" or a file) is parsed once,
 * as its own source, into the session's context, so diagnostics point into
 * the text the user typed.  The session keeps a list of live declarations
 * (items) that refer to those parsed ASTs; to accept a new text it builds a
 * fresh module whose AST lists copies of the live declaration nodes plus
 * the new ones and checks it as one file (lang/sema).  Ranges are global
 * offsets, so each diagnostic still names the entry or file it belongs to.
 * If the check fails, the candidate module is dropped and nothing changes:
 * bad input never loses earlier state.  A new `op f`, `bind b` or `search
 * s` replaces an older one of the same name, and a re-declared size or
 * coefficient replaces the old declaration (silently when it is identical),
 * each with a note.
 *
 * Operators of the checked module point (op->module) at a per-text "view":
 * a shallow copy of the session module whose src is the text the operator
 * was written in, so `explain` prints "<repl:3>:1" and binding lookups by
 * block name still see the whole session. */
#ifndef SYNO_REPL_H
#define SYNO_REPL_H

#include "lang/module.h"

#include <signal.h>
#include <stdio.h>

/* One live declaration: DECL is a top-level node of text TEXT's AST; for
 * size/coef declarations VAR is the one variable the item stands for. */
typedef struct syno_repl_item {
    int text;                 /* index into syno_repl.texts */
    const syno_ast *decl;
    const syno_ast *var;
} syno_repl_item;

/* One variable value of the current binding, kept by name so that it
 * applies to session and standard-library operators alike. */
typedef struct syno_repl_value {
    char *name;
    int64_t value;
} syno_repl_value;

typedef struct syno_repl {
    syno_ctx *ctx;            /* sources, diagnostics, every parsed text */
    FILE *out, *err;
    bool interactive;         /* stdin is a terminal: prompts, editing, history */
    /* the session */
    syno_module **texts;      /* parsed texts that contributed declarations */
    int ntexts, captexts;
    syno_repl_item *items;    /* live declarations, in order */
    int nitems, capitems;
    syno_module *mod;         /* the checked module of all items; NULL when empty */
    syno_module **views;      /* per-text copies of mod (see above) */
    int nviews;
    int next_entry;           /* N of the next "<repl:N>" */
    /* the current binding (:bind) */
    syno_repl_value *bind;
    int nbind;
    char *bind_block;         /* set when the binding is exactly one bind block */
    /* the statement being typed (continuation lines) */
    syno_buf pending;
    int pending_lines;
    /* the synthesis walk (:spec ... :keep), NULL before :spec */
    struct syno_repl_walk *walk;
    /* bookkeeping */
    int errors;               /* user errors so far: the exit status of a script */
    bool quit;
    bool no_history;          /* do not read or write the history file */
    char *history_path;       /* NULL: no history file */
} syno_repl;

/* What the session did with a line (repl.c). */
typedef enum syno_repl_status {
    SYNO_REPL_DONE,           /* a command ran or a statement was handled */
    SYNO_REPL_MORE,           /* the statement is incomplete: read another line */
    SYNO_REPL_QUIT,           /* :quit */
} syno_repl_status;

/* ---- repl.c: the session loop -------------------------------------------- */

/* Creates a session writing to OUT and ERR; INTERACTIVE turns on prompts,
 * line editing and history (stdin must then be a terminal).  Never fails. */
syno_repl *syno_repl_new(FILE *out, FILE *err, bool interactive);

/* Frees the session and everything it loaded.  NULL is a no-op. */
void syno_repl_free(syno_repl *r);

/* Handles one input line (without its newline): a :command when no
 * statement is pending, else a line of declarations.  Returns whether the
 * statement needs more lines, or :quit.  Errors are reported and counted,
 * never returned.  (syno_repl_run feeds the lines it reads; the REPL's
 * fuzz harness feeds its inputs.) */
syno_repl_status syno_repl_feed(syno_repl *r, const char *line);

/* At end of input: handles a pending statement (reporting it as
 * incomplete). */
void syno_repl_finish(syno_repl *r);

/* Reads and handles lines from standard input until end of input or :quit.
 * Returns the exit status: 0, or 1 when a script (not a terminal session)
 * reported errors. */
int syno_repl_run(syno_repl *r);

/* Prints "error: MESSAGE" on the error stream and counts a user error. */
void syno_repl_error(syno_repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints and clears the context's diagnostics, counting their errors.
 * Returns the number of errors printed. */
int syno_repl_flush_diags(syno_repl *r);

/* ---- repl_session.c: declarations ---------------------------------------- */

/* Adds the declarations of M (a text parsed into R->ctx, not checked) to
 * the session, replacing older ones of the same name.  Reports syntax and
 * check errors and leaves the session unchanged on failure.  With ECHO,
 * prints a short line per new operator, bind and search block.  Returns
 * success. */
bool syno_repl_add(syno_repl *r, syno_module *m, bool echo);

/* Loads the file PATH into the session (`:load`, `syno repl FILE`) and
 * prints one line saying what it added.  Returns success. */
bool syno_repl_load(syno_repl *r, const char *path);

/* Forgets every declaration (the binding is kept). */
void syno_repl_reset(syno_repl *r);

/* The session operator NAME, or NULL. */
syno_op *syno_repl_session_op(const syno_repl *r, const char *name);

/* Finds operator REF: a session operator, a standard-library operator, or
 * FILE:OP.  Reports why not (as an error) and returns NULL on failure. */
syno_op *syno_repl_find_op(syno_repl *r, const char *ref);

/* Appends a listing of the session (`:list`); WHAT is NULL or one of
 * "vars", "ops", "binds", "searches". */
void syno_repl_list(syno_repl *r, const char *what, syno_buf *out);

/* Appends the session as formatted .syno text (`:write`); with NAME, only
 * that declaration (an operator gets the size and coef declarations it
 * uses, unless BARE).  Returns false after reporting an error when NAME is
 * not in the session. */
bool syno_repl_source(syno_repl *r, const char *name, bool bare, syno_buf *out);

/* Appends "size ...;" and "coef ...;" lines declaring the variables OP
 * uses (coefficients with their values), so that OP's text checks on its
 * own. */
void syno_repl_var_header(const syno_op *op, syno_buf *out);

/* ---- repl_bind.c: the current binding ------------------------------------ */

/* Adds the values of SPEC ("N=8,C_in=64", names of bind blocks, separated
 * by commas or spaces) to the binding.  Reports and returns false on a bad
 * item, leaving the binding unchanged. */
bool syno_repl_bind(syno_repl *r, const char *spec);

/* Removes the named values (comma/space separated), or all when SPEC is
 * empty. */
bool syno_repl_unbind(syno_repl *r, const char *spec);

/* Appends the binding as "N=8, C_in=64" (or a sentence when empty). */
void syno_repl_show_binding(const syno_repl *r, syno_buf *out);

/* Prepares OP for an inspection under the current binding: fills B with
 * the coefficient defaults and the bound values, and *SIZES with a
 * malloc'ed per-dimension table (free it), or NULL when the binding is
 * empty (symbolic).  Returns false after reporting why when the binding
 * leaves a variable of OP without a value or a size does not divide. */
bool syno_repl_bound(syno_repl *r, const syno_op *op, syno_binding *b, int64_t **sizes);

/* ---- repl_cmds.c: the :commands (repl_cmds.def) -------------------------- */

typedef struct syno_repl_cmd {
    const char *name;         /* without the colon */
    const char *alias;        /* another accepted name, or "" */
    const char *args;         /* usage of the arguments, for :help */
    const char *complete;     /* argument kinds for completion, see the .def */
    const char *help;         /* one line */
    /* REST: the text after the name, trimmed; ARGV: REST split into words
     * (double quotes group, NULL-terminated). */
    void (*run)(syno_repl *r, const char *rest, int argc, char **argv);
} syno_repl_cmd;

extern const syno_repl_cmd syno_repl_cmds[];
extern const int syno_repl_ncmds;

/* The command called NAME (or by its alias), or NULL. */
const syno_repl_cmd *syno_repl_cmd_find(const char *name);

/* Runs the command line LINE (starting with ':').  Returns false when the
 * session should end (:quit). */
bool syno_repl_command(syno_repl *r, const char *line);

/* ---- repl_walk.c: the hand-guided synthesis walk ------------------------- */

/* The walk: its own copy of a search block, the space, and the partial
 * operators from the root to the current one (repl_walk.c). */
typedef struct syno_repl_walk syno_repl_walk;

/* Frees a walk.  NULL is a no-op. */
void syno_repl_walk_free(syno_repl_walk *w);

/* `:spec`: starts a walk at the root of the search block REF, which is the
 * name of a search block of the session, FILE (with one search block) or
 * FILE:SEARCH; NULL means the session's only search block.  Replaces the
 * walk in progress on success and prints the spec and the root; reports
 * why and keeps the old walk on failure.  Returns success. */
bool syno_repl_walk_start(syno_repl *r, const char *ref);

/* `:frontier`: prints the path taken and the current partial operator
 * (open dimensions with sizes, shape distance, FLOPs bound).  Reports an
 * error when there is no walk. */
void syno_repl_walk_frontier(syno_repl *r);

/* `:next`: prints the canonical children of the current partial operator,
 * numbered from 1 in the space's fixed order, with their shape distance
 * and FLOPs bound. */
void syno_repl_walk_next(syno_repl *r);

/* `:take K`: moves to child K (1-based, as :next numbers them) and prints
 * it.  Reports and returns false when K is out of range. */
bool syno_repl_walk_take(syno_repl *r, long k);

/* `:back`: returns to the partial operator before the last step.  Reports
 * and returns false at the root. */
bool syno_repl_walk_back(syno_repl *r);

/* `:finalize`: prints the finished operators of the current partial
 * operator, numbered, with canonical hash, FLOPs and parameters (relative
 * to the baseline when the spec has one) and their .syno text; or why
 * there are none. */
void syno_repl_walk_finalize(syno_repl *r);

/* `:keep [K] NAME`: adds finished operator K (0: the only one) of the
 * current partial operator to the session as `op NAME`, with the size and
 * coef declarations it uses, parsed as the text "<keep:NAME>".  Reports
 * and returns false when nothing is finished, K is out of range or
 * ambiguous, or the session refuses the text. */
bool syno_repl_walk_keep(syno_repl *r, long k, const char *name);

/* ---- repl_complete.c: completion candidates ------------------------------- */

/* What completes the word: session and language names, or file names. */
typedef struct syno_repl_matches {
    char **v;                 /* sorted, distinct, malloc'ed */
    int n, cap;
    bool files;               /* candidates are file names */
} syno_repl_matches;

/* Where the word being completed starts in LINE[0..POINT), given whether a
 * statement is pending (commands only start a fresh statement). */
int syno_repl_word_start(const syno_repl *r, const char *line, int point);

/* The characters that end a word at POINT of LINE (for readline). */
const char *syno_repl_word_breaks(const syno_repl *r, const char *line, int point);

/* Fills M with the completions of LINE[START..POINT), the word at the end
 * of LINE[0..POINT).  The pending statement counts as context. */
void syno_repl_complete(syno_repl *r, const char *line, int start, int point, syno_repl_matches *m);

/* Frees the candidates. */
void syno_repl_matches_fini(syno_repl_matches *m);

/* ---- repl_edit.c: line editing, history, signals -------------------------- */

/* What syno_repl_edit_read saw. */
typedef enum syno_repl_read {
    SYNO_REPL_LINE,           /* a line (free it) */
    SYNO_REPL_EOF,
    SYNO_REPL_INTERRUPT,      /* Ctrl-C: the line was abandoned */
} syno_repl_read;

/* Sets up editing (terminal only), completion and the history file, and
 * installs the SIGINT handler.  Call once per session. */
void syno_repl_edit_init(syno_repl *r);

/* Saves and trims the history, restores signal handling. */
void syno_repl_edit_fini(syno_repl *r);

/* Reads one line into *LINE (malloc'ed, no newline) with PROMPT (only shown
 * on a terminal). */
syno_repl_read syno_repl_edit_read(syno_repl *r, const char *prompt, char **line);

/* Adds TEXT (possibly several lines) to the history as one entry and
 * appends it to the history file. */
void syno_repl_edit_remember(syno_repl *r, const char *text);

/* True once Ctrl-C was pressed since the last syno_repl_interrupt_clear:
 * long-running commands poll it and stop early. */
bool syno_repl_interrupted(void);
void syno_repl_interrupt_clear(void);

#endif
