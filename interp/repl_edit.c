/* repl_edit.c - the REPL's line editor: GNU readline on a terminal, plain
 * line reading otherwise; the history file; Ctrl-C.
 *
 * On a terminal, lines are read with readline's callback interface and a
 * select() loop, so that Ctrl-C (SIGINT, caught by a handler that only sets
 * a flag and does not restart system calls) interrupts the wait: the typed
 * line is thrown away and the caller cancels the pending statement.  The
 * same flag tells a running command that the user wants it to stop.
 * Ctrl-Z and window size changes are handled in the same loop.
 * Without a terminal there is no prompt, no echo and no history, so
 * `syno < session.txt` prints only what the commands print.
 *
 * History: one entry per statement, however many lines it has (psql's way:
 * in the file a newline inside an entry is stored as \001 and turned back
 * on loading).  The file is created with mode 0600, appended after every
 * entry (so a killed session loses nothing) and trimmed to HISTORY_MAX
 * entries at exit. */
#include "config.h"

#include "interp/repl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#define HISTORY_MAX 1000
#define NL_IN_HISTORY '\001'

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t resized;
static volatile sig_atomic_t suspended;
static struct sigaction old_int, old_winch, old_tstp;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* See repl.h. */
bool syno_repl_interrupted(void)
{
    return interrupted != 0;
}

/* See repl.h. */
void syno_repl_interrupt_clear(void)
{
    interrupted = 0;
}

/* The history file: $SYNO_HISTORY, else $XDG_STATE_HOME/syno/history, else
 * ~/.syno_history; NULL when SYNO_HISTORY is set but empty or no home is
 * known.  Malloc'ed. */
static char *default_history_path(void)
{
    const char *env = getenv("SYNO_HISTORY");
    if (env) return *env ? syno_xstrdup(env) : NULL;
    syno_buf b = SYNO_BUF_INIT;
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (state && *state) syno_buf_printf(&b, "%s/syno/history", state);
    else if (home && *home) syno_buf_printf(&b, "%s/.syno_history", home);
    else return NULL;
    return syno_buf_take(&b);
}

/* Reads a line from F without editing.  Returns INTERRUPT when Ctrl-C
 * interrupted the read. */
static syno_repl_read plain_read(FILE *f, char **line)
{
    char *buf = NULL;
    size_t cap = 0;
    errno = 0;
    ssize_t n = getline(&buf, &cap, f);
    if (n < 0) {
        free(buf);
        if (errno == EINTR && interrupted) {
            clearerr(f);
            interrupted = 0;
            return SYNO_REPL_INTERRUPT;
        }
        return SYNO_REPL_EOF;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    *line = buf;
    return SYNO_REPL_LINE;
}

#ifdef HAVE_READLINE

static syno_repl *active;   /* the session being edited, for the callbacks */
static char *got_line;
static bool got, got_eof;

static void on_sigwinch(int sig)
{
    (void)sig;
    resized = 1;
}

static void on_sigtstp(int sig)
{
    (void)sig;
    suspended = 1;
}

/* Ctrl-Z while waiting for a key: give the terminal back as it was, stop,
 * and take it again when the shell continues us (readline's own handlers
 * are only installed while it reads a character). */
static void suspend(void)
{
    struct sigaction dfl, ours;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (rl_deprep_term_function) rl_deprep_term_function();
    sigaction(SIGTSTP, &dfl, &ours);
    raise(SIGTSTP); /* stopped here until SIGCONT */
    sigaction(SIGTSTP, &ours, NULL);
    if (rl_prep_term_function) rl_prep_term_function(1);
    rl_forced_update_display();
}

/* readline's word breaks depend on the context (see repl_complete.c). */
static char *word_break_hook(void)
{
    return (char *)syno_repl_word_breaks(active, rl_line_buffer, rl_point);
}

static char **attempt_completion(const char *text, int start, int end)
{
    (void)text;
    rl_attempted_completion_over = 1; /* no fallback to file names */
    syno_repl_matches m;
    syno_repl_complete(active, rl_line_buffer, start, end, &m);
    if (m.n == 0) {
        syno_repl_matches_fini(&m);
        return NULL;
    }
    rl_filename_completion_desired = m.files;
    rl_completion_append_character = ' ';
    if (m.n == 1) {
        const char *s = m.v[0];
        size_t len = strlen(s);
        if (syno_prim_lookup(s) >= 0) rl_completion_append_character = '(';
        else if (len && s[len - 1] == '=') rl_completion_append_character = '\0';
    }
    /* readline's format: the common prefix, then the matches, then NULL */
    char **v = syno_xmalloc((size_t)(m.n + 2) * sizeof *v);
    size_t lcd = strlen(m.v[0]);
    for (int i = 1; i < m.n; i++) {
        size_t k = 0;
        while (k < lcd && m.v[i][k] == m.v[0][k]) k++;
        lcd = k;
    }
    if (m.n == 1) {
        v[0] = m.v[0];
        v[1] = NULL;
    } else {
        v[0] = syno_xmalloc(lcd + 1);
        memcpy(v[0], m.v[0], lcd);
        v[0][lcd] = 0;
        for (int i = 0; i < m.n; i++) v[i + 1] = m.v[i];
        v[m.n + 1] = NULL;
    }
    free(m.v); /* the strings now belong to readline */
    return v;
}

static void on_line(char *line)
{
    got = true;
    if (line) got_line = line;
    else got_eof = true;
    rl_callback_handler_remove();
}

static void code_newlines(char *s, char from, char to)
{
    for (; *s; s++)
        if (*s == from) *s = to;
}

static void load_history(syno_repl *r)
{
    if (r->no_history || !(r->history_path = default_history_path())) return;
    /* $XDG_STATE_HOME/syno may not exist yet */
    const char *env = getenv("SYNO_HISTORY");
    if (!env) {
        char *dir = syno_xstrdup(r->history_path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            char *up = strrchr(dir, '/');
            if (up && up != dir) {
                *up = 0;
                mkdir(dir, 0700);
                *up = '/';
            }
            mkdir(dir, 0700);
        }
        free(dir);
    }
    int fd = open(r->history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) {
        fprintf(r->err, "syno: warning: cannot use the history file %s: %s\n", r->history_path, strerror(errno));
        free(r->history_path);
        r->history_path = NULL;
        return;
    }
    fchmod(fd, 0600);
    close(fd);
    read_history(r->history_path);
    for (int i = 0; i < history_length; i++) {
        HIST_ENTRY *h = history_get(history_base + i);
        if (h && h->line) code_newlines(h->line, NL_IN_HISTORY, '\n');
    }
}

#endif /* HAVE_READLINE */

/* See repl.h. */
void syno_repl_edit_init(syno_repl *r)
{
    if (!r->interactive) return; /* a script: Ctrl-C ends it, as usual */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: Ctrl-C must interrupt a blocked read */
    sigaction(SIGINT, &sa, &old_int);
    interrupted = 0;
#ifdef HAVE_READLINE
    active = r;
    sa.sa_handler = on_sigwinch;
    sigaction(SIGWINCH, &sa, &old_winch);
    sa.sa_handler = on_sigtstp;
    sigaction(SIGTSTP, &sa, &old_tstp);
    rl_readline_name = "syno";
    rl_attempted_completion_function = attempt_completion;
    rl_completion_word_break_hook = word_break_hook;
    rl_basic_word_break_characters = (char *)" \t\n";
    using_history();
    stifle_history(HISTORY_MAX);
    load_history(r);
#endif
}

/* See repl.h. */
void syno_repl_edit_fini(syno_repl *r)
{
    if (!r->interactive) return;
    sigaction(SIGINT, &old_int, NULL);
#ifdef HAVE_READLINE
    sigaction(SIGWINCH, &old_winch, NULL);
    sigaction(SIGTSTP, &old_tstp, NULL);
    if (r->history_path) {
        history_truncate_file(r->history_path, HISTORY_MAX);
        chmod(r->history_path, 0600);
    }
    clear_history();
    active = NULL;
#endif
}

/* See repl.h. */
void syno_repl_edit_remember(syno_repl *r, const char *text)
{
#ifdef HAVE_READLINE
    if (!r->interactive || !*text) return;
    HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
    if (last && last->line && strcmp(last->line, text) == 0) return;
    add_history(text);
    if (!r->history_path) return;
    HIST_ENTRY *h = history_get(history_base + history_length - 1);
    if (!h || !h->line) return;
    code_newlines(h->line, '\n', NL_IN_HISTORY);
    append_history(1, r->history_path);
    code_newlines(h->line, NL_IN_HISTORY, '\n');
#else
    (void)r;
    (void)text;
#endif
}

/* See repl.h. */
syno_repl_read syno_repl_edit_read(syno_repl *r, const char *prompt, char **line)
{
    *line = NULL;
    if (!r->interactive) return plain_read(stdin, line);
#ifdef HAVE_READLINE
    fflush(r->out);
    interrupted = 0;
    got = got_eof = false;
    got_line = NULL;
    rl_callback_handler_install(prompt, on_line);
    while (!got) {
        if (resized) {
            resized = 0;
            rl_resize_terminal();
        }
        if (suspended) {
            suspended = 0;
            suspend();
        }
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fileno(rl_instream), &fds);
        int n = select(fileno(rl_instream) + 1, &fds, NULL, NULL, NULL);
        if (n < 0 && errno != EINTR) {
            rl_callback_handler_remove();
            return SYNO_REPL_EOF;
        }
        if (n > 0) rl_callback_read_char();
        if (interrupted && !got) {
            /* Ctrl-C: drop the line, leave readline in a clean state */
            FILE *o = rl_outstream ? rl_outstream : stdout;
            rl_point = rl_end; /* the ^C goes after what was typed */
            rl_redisplay();
            fputs("^C", o);
            rl_crlf();
            fflush(o);
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_cleanup_after_signal();
            rl_callback_handler_remove();
            interrupted = 0;
            return SYNO_REPL_INTERRUPT;
        }
    }
    if (got_eof) {
        fputc('\n', r->out); /* the shell's prompt starts on a line of its own */
        return SYNO_REPL_EOF;
    }
    *line = got_line;
    return SYNO_REPL_LINE;
#else
    fputs(prompt, r->out);
    fflush(r->out);
    return plain_read(stdin, line);
#endif
}
