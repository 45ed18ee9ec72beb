/* repl_cmds.c - the REPL's :commands.  The list is repl_cmds.def; each
 * command is a small function that calls the library (explain, DOT, fmt,
 * CUDA export, the session, the synthesis walk of repl_walk.c) or runs a
 * `syno` subcommand in a child process (run, bench), and prints.  Commands report user mistakes with
 * syno_repl_error and carry on: nothing here ends the session but :quit. */
#include "base/clock.h"
#include "base/hash.h"
#include "codegen/dot.h"
#include "codegen/plan.h"
#include "interp/cli.h"
#include "interp/explain.h"
#include "interp/repl.h"
#include "lang/canon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the formats of `syno export` (interp/exports.def): :cuda is one */
#define SYNO_EXPORT(name, needs_binding, summary) \
    int syno_export_##name(syno_ctx *ctx, const syno_op *op, const syno_binding *b, syno_buf *out);
#include "interp/exports.def"
#undef SYNO_EXPORT

#define SYNO_REPL_CMD(name, alias, args, complete, help) \
    static void cmd_##name(syno_repl *r, const char *rest, int argc, char **argv);
#include "interp/repl_cmds.def"
#undef SYNO_REPL_CMD

const syno_repl_cmd syno_repl_cmds[] = {
#define SYNO_REPL_CMD(name, alias, args, complete, help) {#name, alias, args, complete, help, cmd_##name},
#include "interp/repl_cmds.def"
#undef SYNO_REPL_CMD
};
const int syno_repl_ncmds = (int)SYNO_ARRAY_LEN(syno_repl_cmds);

/* See repl.h. */
const syno_repl_cmd *syno_repl_cmd_find(const char *name)
{
    for (int i = 0; i < syno_repl_ncmds; i++)
        if (strcmp(syno_repl_cmds[i].name, name) == 0 || (*syno_repl_cmds[i].alias && strcmp(syno_repl_cmds[i].alias, name) == 0))
            return &syno_repl_cmds[i];
    return NULL;
}

/* ---- helpers -------------------------------------------------------------------- */

/* True when ARGC is within [MIN, MAX]; else reports the usage of NAME. */
static bool nargs(syno_repl *r, const char *name, int argc, int min, int max)
{
    if (argc >= min && argc <= max) return true;
    const syno_repl_cmd *c = syno_repl_cmd_find(name);
    SYNO_ASSERT(c != NULL);
    syno_repl_error(r, "%s; usage: :%s %s", argc < min ? "missing argument" : "too many arguments", c->name, c->args);
    return false;
}

static void print(syno_repl *r, syno_buf *b)
{
    fputs(syno_buf_str(b), r->out);
}

static bool write_file(syno_repl *r, const char *path, syno_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(syno_buf_str(b), 1, b->len, f) != b->len || fclose(f) != 0) {
        int e = errno;
        if (f) fclose(f);
        syno_repl_error(r, "cannot write '%s': %s", path, strerror(e));
        return false;
    }
    return true;
}

/* ---- the commands ------------------------------------------------------------- */

static void cmd_help(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "help", argc, 0, 1)) return;
    if (argc == 1) {
        const char *name = argv[0][0] == ':' ? argv[0] + 1 : argv[0];
        const syno_repl_cmd *c = syno_repl_cmd_find(name);
        if (!c) {
            syno_repl_error(r, "no command ':%s' (:help lists them)", name);
            return;
        }
        fprintf(r->out, ":%s%s%s\n    %s\n", c->name, *c->args ? " " : "", c->args, c->help);
        if (*c->alias) fprintf(r->out, "    (also :%s)\n", c->alias);
        return;
    }
    fprintf(r->out, "Type declarations (size, coef, op, bind, search) to add them to the session; a\n"
                    "statement may span several lines and ends when it is complete.  Commands:\n");
    for (int i = 0; i < syno_repl_ncmds; i++) {
        const syno_repl_cmd *c = &syno_repl_cmds[i];
        char head[64];
        snprintf(head, sizeof head, ":%s%s%s", c->name, *c->args ? " " : "", c->args);
        if (strlen(head) > 26) fprintf(r->out, "  %s\n  %-26s %s\n", head, "", c->help);
        else fprintf(r->out, "  %-26s %s\n", head, c->help);
    }
    fprintf(r->out, "Tab completes commands, names and files; Ctrl-C cancels the input; Ctrl-D leaves.\n");
}

static void cmd_quit(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "quit", argc, 0, 0)) return;
    r->quit = true;
}

static void cmd_load(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "load", argc, 1, 1000)) return;
    for (int i = 0; i < argc; i++) syno_repl_load(r, argv[i]);
}

static void cmd_list(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "list", argc, 0, 1)) return;
    static const char *const what[] = {"vars", "ops", "binds", "searches"};
    if (argc == 1) {
        bool ok = false;
        for (size_t i = 0; i < SYNO_ARRAY_LEN(what); i++) ok |= strcmp(argv[0], what[i]) == 0;
        if (!ok) {
            syno_repl_error(r, "no section '%s': say vars, ops, binds or searches", argv[0]);
            return;
        }
    }
    syno_buf b = SYNO_BUF_INIT;
    syno_repl_list(r, argc ? argv[0] : NULL, &b);
    print(r, &b);
    syno_buf_fini(&b);
}

static void cmd_show(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "show", argc, 1, 1)) return;
    syno_buf b = SYNO_BUF_INIT;
    if (syno_repl_source(r, argv[0], true, &b)) print(r, &b);
    syno_buf_fini(&b);
}

static void cmd_explain(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "explain", argc, 1, 1)) return;
    syno_op *op = syno_repl_find_op(r, argv[0]);
    if (!op) return;
    syno_binding b;
    int64_t *sizes;
    if (!syno_repl_bound(r, op, &b, &sizes)) return;
    syno_buf out = SYNO_BUF_INIT;
    syno_explain_text(op, &b, sizes, &out);
    print(r, &out);
    syno_buf_fini(&out);
    free(sizes);
}

/* Runs the `syno` subcommand CMD (ARGV[0] is its name) in a child process,
 * so that Ctrl-C stops it and not the session, and a crash in it cannot
 * take the session down.  The command prints its own results and errors;
 * a failure only counts.  On a terminal the wall time is shown. */
static void delegate(syno_repl *r, int (*cmd)(int, char **), int argc, char **argv)
{
    fflush(r->out);
    fflush(r->err);
    fflush(stdout);
    fflush(stderr);
    double t0 = syno_clock_wall();
    pid_t pid = fork();
    if (pid < 0) {
        syno_repl_error(r, "cannot start :%s: %s", argv[0], strerror(errno));
        return;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        if (syno_repl_interrupted()) raise(SIGINT); /* Ctrl-C came before the fork */
        int st = cmd(argc, argv);
        fflush(stdout);
        fflush(stderr);
        _exit(st);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            syno_repl_error(r, "lost :%s: %s", argv[0], strerror(errno));
            return;
        }
    double t1 = syno_clock_wall();
    if (WIFSIGNALED(status)) {
        fflush(r->out);
        if (WTERMSIG(status) == SIGINT) {
            /* on a terminal the ^C echo leaves the cursor after it */
            fputs(r->interactive ? "\ninterrupted\n" : "interrupted\n", r->err);
            syno_repl_interrupt_clear();
            r->errors++;
        } else {
            syno_repl_error(r, ":%s died of signal %d (%s)", argv[0], WTERMSIG(status), strsignal(WTERMSIG(status)));
        }
        return;
    }
    if (WEXITSTATUS(status) != 0) r->errors++;
    if (r->interactive)
        fprintf(r->out, "(%.3f s)\n", t1 - t0);
}

static void cmd_canon(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "canon", argc, 1, 64)) return;
    syno_canon *cn = syno_canon_new();
    syno_canon_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < argc; i++) {
        syno_op *op = syno_repl_find_op(r, argv[i]);
        if (!op) continue;
        syno_canon_result res;
        if (!syno_canon_run(cn, op, &o, &res)) {
            syno_repl_error(r, "%s: cannot canonicalize: %s", argv[i], syno_canon_error(cn));
            continue;
        }
        char hex[17];
        syno_hash_hex(res.hash, hex);
        if (argc == 1) fprintf(r->out, "%s# hash: %s\n", res.text, hex);
        else fprintf(r->out, "%s  %s\n", hex, argv[i]);
        syno_canon_result_fini(&res);
    }
    syno_canon_free(cn);
}

static void cmd_plan(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "plan", argc, 1, 2)) return;
    syno_op *op = syno_repl_find_op(r, argv[0]);
    if (!op) return;
    int wrt[SYNO_MAX_TENSORS + 1], n = 0;
    const char *which = argc == 2 ? argv[1] : "forward";
    if (strcmp(which, "forward") == 0) {
        wrt[n++] = SYNO_PLAN_FORWARD;
    } else if (strcmp(which, "all") == 0) {
        for (int t = SYNO_PLAN_FORWARD; t < op->ntensors; t++) wrt[n++] = t;
    } else {
        for (int t = 0; t < op->ntensors; t++)
            if (strcmp(op->tensors[t].name, which) == 0) wrt[n++] = t;
    }
    if (!n) {
        syno_buf names = SYNO_BUF_INIT;
        for (int t = 0; t < op->ntensors; t++) syno_buf_printf(&names, ", %s", op->tensors[t].name);
        syno_repl_error(r, "%s has no tensor '%s' (say forward%s or all)", op->name, which, syno_buf_str(&names));
        syno_buf_fini(&names);
        return;
    }
    syno_binding b;
    int64_t *sizes;
    if (!syno_repl_bound(r, op, &b, &sizes)) return;
    if (!sizes) {
        syno_repl_error(r, "plans are made for concrete sizes: set a binding first (:bind N=8,...)");
        return;
    }
    free(sizes);
    syno_buf out = SYNO_BUF_INIT, err = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) {
        syno_plan *p = syno_plan_build(op, &b, wrt[i], &err);
        if (!p) {
            syno_repl_error(r, "%s", syno_buf_str(&err));
            break;
        }
        if (i) syno_buf_putc(&out, '\n');
        syno_plan_print(p, &out);
        syno_plan_free(p);
    }
    print(r, &out);
    syno_buf_fini(&out);
    syno_buf_fini(&err);
}

/* A `syno` subcommand that finds operators in files (run, bench) on
 * session or library operator OP, named REF by the user: runs CMD (NAME)
 * with "NAME FILE:OP --bind VALUES" and the options ARGV[0..ARGC), where
 * VALUES are B's values of the variables OP's sizes use.  A session
 * operator goes through a temporary copy of the session. */
static void delegate_op(syno_repl *r, int (*cmd)(int, char **), const char *name, syno_op *op, const char *ref,
                        const syno_binding *b, int argc, char **argv)
{
    char path[4096] = "";
    syno_buf fref = SYNO_BUF_INIT, bind = SYNO_BUF_INIT;
    if (op == syno_repl_session_op(r, ref)) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/syno-repl-XXXXXX.syno", dir && *dir ? dir : "/tmp");
        int fd = mkstemps(path, 5);
        syno_buf text = SYNO_BUF_INIT;
        bool ok = fd >= 0 && syno_repl_source(r, NULL, false, &text) &&
                  write(fd, syno_buf_str(&text), text.len) == (ssize_t)text.len;
        syno_buf_fini(&text);
        if (fd >= 0) close(fd);
        if (!ok) {
            syno_repl_error(r, "cannot write a temporary file in %s: %s", dir && *dir ? dir : "/tmp", strerror(errno));
            if (fd >= 0) unlink(path);
            return;
        }
        syno_buf_printf(&fref, "%s:%s", path, op->name);
    } else {
        syno_buf_puts(&fref, ref);
    }
    for (int v = 0; v < op->vars->n; v++) {
        bool used = false;
        for (int d = 0; d < op->ndims && !used; d++) used = op->dims[d].size.e[v] != 0;
        if (used) syno_buf_printf(&bind, "%s%s=%lld", bind.len ? "," : "", op->vars->v[v].name, (long long)b->val[v]);
    }
    char **args = syno_xcalloc((size_t)argc + 5, sizeof *args);
    int n = 0;
    args[n++] = (char *)name;
    args[n++] = (char *)syno_buf_str(&fref);
    args[n++] = (char *)"--bind";
    args[n++] = (char *)syno_buf_str(&bind);
    for (int i = 0; i < argc; i++) args[n++] = argv[i];
    delegate(r, cmd, n, args);
    free(args);
    if (*path) unlink(path);
    syno_buf_fini(&fref);
    syno_buf_fini(&bind);
}

/* OP of a command that needs concrete sizes, bound: fills B; reports and
 * returns NULL when OP is unknown or the binding does not do (WHY says
 * what the sizes are for). */
static syno_op *bound_op(syno_repl *r, const char *ref, const char *why, syno_binding *b)
{
    syno_op *op = syno_repl_find_op(r, ref);
    if (!op) return NULL;
    int64_t *sizes;
    if (!syno_repl_bound(r, op, b, &sizes)) return NULL;
    if (!sizes) {
        syno_repl_error(r, "%s needs concrete sizes: set a binding first (:bind N=8,...)", why);
        return NULL;
    }
    free(sizes);
    return op;
}

static void cmd_run(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "run", argc, 1, 64)) return;
    syno_binding b;
    syno_op *op = bound_op(r, argv[0], "running", &b);
    if (op) delegate_op(r, syno_cmd_run, "run", op, argv[0], &b, argc - 1, argv + 1);
}

static void cmd_bench(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "bench", argc, 1, 64)) return;
    syno_binding b;
    syno_op *op = bound_op(r, argv[0], "timing", &b);
    if (!op) return;
    if (r->interactive) { /* nothing shows until the end: say that it runs */
        fprintf(r->out, "timing %s (Ctrl-C stops it) ...\n", op->name);
        fflush(r->out);
    }
    delegate_op(r, syno_cmd_bench, "bench", op, argv[0], &b, argc - 1, argv + 1);
}

static void cmd_cuda(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "cuda", argc, 1, 2)) return;
    syno_binding b;
    syno_op *op = bound_op(r, argv[0], "generating CUDA", &b);
    if (!op) return;
    syno_buf out = SYNO_BUF_INIT;
    int st = syno_export_cuda(r->ctx, op, &b, &out);
    if (syno_repl_flush_diags(r) == 0 && st != SYNO_EXIT_OK) r->errors++;
    if (st == SYNO_EXIT_OK && argc == 1) print(r, &out);
    else if (st == SYNO_EXIT_OK && write_file(r, argv[1], &out)) fprintf(r->out, "wrote %s\n", argv[1]);
    syno_buf_fini(&out);
}

static void cmd_dot(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "dot", argc, 1, 2)) return;
    syno_op *op = syno_repl_find_op(r, argv[0]);
    if (!op) return;
    syno_binding b;
    int64_t *sizes;
    if (!syno_repl_bound(r, op, &b, &sizes)) return;
    syno_buf out = SYNO_BUF_INIT;
    syno_dot_op(op, sizes ? &b : NULL, sizes, &out);
    if (argc == 1) print(r, &out);
    else if (write_file(r, argv[1], &out)) fprintf(r->out, "wrote %s\n", argv[1]);
    syno_buf_fini(&out);
    free(sizes);
}

static void cmd_bind(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (argc && !syno_repl_bind(r, rest)) return;
    syno_buf b = SYNO_BUF_INIT;
    syno_repl_show_binding(r, &b);
    syno_buf_putc(&b, '\n');
    print(r, &b);
    syno_buf_fini(&b);
}

static void cmd_unbind(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!syno_repl_unbind(r, rest)) return;
    syno_buf b = SYNO_BUF_INIT;
    syno_repl_show_binding(r, &b);
    syno_buf_putc(&b, '\n');
    print(r, &b);
    syno_buf_fini(&b);
}

static void cmd_write(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "write", argc, 1, 2)) return;
    struct stat st;
    if (stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode)) {
        syno_repl_error(r, "cannot write '%s': it is a directory", argv[0]);
        return;
    }
    syno_buf b = SYNO_BUF_INIT;
    if (syno_repl_source(r, argc == 2 ? argv[1] : NULL, false, &b) && write_file(r, argv[0], &b)) {
        int lines = 0;
        for (size_t i = 0; i < b.len; i++) lines += b.data[i] == '\n';
        fprintf(r->out, "wrote %s (%d line%s)\n", argv[0], lines, lines == 1 ? "" : "s");
    }
    syno_buf_fini(&b);
}

static void cmd_reset(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "reset", argc, 0, 0)) return;
    syno_repl_reset(r);
    fprintf(r->out, "the session is empty\n");
}

/* Parses the number ARG of :NAME (a step or a finished operator), or
 * reports and returns 0. */
static long number(syno_repl *r, const char *name, const char *arg, const char *what)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < 1) {
        syno_repl_error(r, ":%s needs %s (a number from 1), not '%s'", name, what, arg);
        return 0;
    }
    return v;
}

static void cmd_spec(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "spec", argc, 0, 1)) return;
    syno_repl_walk_start(r, argc ? argv[0] : NULL);
}

static void cmd_frontier(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "frontier", argc, 0, 0)) return;
    syno_repl_walk_frontier(r);
}

static void cmd_next(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "next", argc, 0, 0)) return;
    syno_repl_walk_next(r);
}

static void cmd_take(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "take", argc, 1, 1)) return;
    long k = number(r, "take", argv[0], "the number of a step of :next");
    if (k) syno_repl_walk_take(r, k);
}

static void cmd_back(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "back", argc, 0, 0)) return;
    syno_repl_walk_back(r);
}

static void cmd_finalize(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "finalize", argc, 0, 0)) return;
    syno_repl_walk_finalize(r);
}

static void cmd_keep(syno_repl *r, const char *rest, int argc, char **argv)
{
    if (!nargs(r, "keep", argc, 1, 2)) return;
    long k = 0;
    if (argc == 2 && !(k = number(r, "keep", argv[0], "the number of a finished operator of :finalize"))) return;
    syno_repl_walk_keep(r, k, argv[argc - 1]);
}

static void cmd_complete(syno_repl *r, const char *rest, int argc, char **argv)
{
    int len = (int)strlen(rest);
    int start = syno_repl_word_start(r, rest, len);
    syno_repl_matches m;
    syno_repl_complete(r, rest, start, len, &m);
    for (int i = 0; i < m.n; i++) {
        struct stat st;
        bool dir = m.files && stat(m.v[i], &st) == 0 && S_ISDIR(st.st_mode);
        fprintf(r->out, "%s%s\n", m.v[i], dir ? "/" : "");
    }
    syno_repl_matches_fini(&m);
}

/* ---- dispatch --------------------------------------------------------------------- */

/* Splits S into words at blanks; "double quotes" group and are removed. */
static char **split(const char *s, int *argc)
{
    char **v = syno_xcalloc(1, sizeof *v);
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        syno_buf w = SYNO_BUF_INIT;
        bool quoted = false;
        for (; *s && (quoted || (*s != ' ' && *s != '\t')); s++) {
            if (*s == '"') quoted = !quoted;
            else syno_buf_putc(&w, *s);
        }
        v = syno_xrealloc(v, (size_t)(n + 2) * sizeof *v);
        v[n++] = syno_buf_take(&w);
    }
    v[n] = NULL;
    *argc = n;
    return v;
}

/* See repl.h. */
bool syno_repl_command(syno_repl *r, const char *line)
{
    while (*line == ' ' || *line == '\t') line++;
    SYNO_ASSERT(*line == ':');
    line++;
    size_t n = strcspn(line, " \t");
    char name[64];
    if (n == 0 || n >= sizeof name) {
        syno_repl_error(r, n ? "no such command (:help lists them)" : "a command name must follow ':' (:help lists them)");
        return true;
    }
    memcpy(name, line, n);
    name[n] = 0;
    const syno_repl_cmd *c = syno_repl_cmd_find(name);
    if (!c) {
        const char *names[SYNO_ARRAY_LEN(syno_repl_cmds)];
        for (int i = 0; i < syno_repl_ncmds; i++) names[i] = syno_repl_cmds[i].name;
        const char *best = syno_suggest(name, names, syno_repl_ncmds);
        if (best) syno_repl_error(r, "unknown command ':%s'; did you mean ':%s'?", name, best);
        else syno_repl_error(r, "unknown command ':%s' (:help lists the commands)", name);
        return true;
    }
    const char *rest = line + n;
    while (*rest == ' ' || *rest == '\t') rest++;
    char *trimmed = syno_xstrdup(rest);
    size_t len = strlen(trimmed);
    if (len && trimmed[len - 1] == '\r') trimmed[--len] = 0; /* trailing blanks matter to :complete */
    int argc;
    char **argv = split(trimmed, &argc);
    c->run(r, trimmed, argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
    free(trimmed);
    return !r->quit;
}
