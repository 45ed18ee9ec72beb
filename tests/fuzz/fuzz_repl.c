/* fuzz_repl.c - the REPL harness: an input is a session, one line of input
 * per line (declarations and :commands), fed to a non-interactive session
 * as `syno < FILE` would; its output goes nowhere.  A statement that fails
 * must leave the session's declarations as they were.
 *
 * Two kinds of command lines are left out: :run and :bench, which fork and
 * run the `syno` binary, and command lines that mention '/', so that files
 * are read and written only in the harness's private directory (a
 * `:load /dev/stdin` would wait for input forever). */
#include "tests/fuzz/fuzz.h"

#include "interp/repl.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the command LINE may run (see above). */
static bool allowed(const char *line)
{
    if (strchr(line, '/')) return false;
    line += strspn(line, " \t");
    char word[32];
    size_t n = strcspn(line + 1, " \t");
    if (n >= sizeof word) return true;
    memcpy(word, line + 1, n);
    word[n] = 0;
    const syno_repl_cmd *c = syno_repl_cmd_find(word);
    return !c || (strcmp(c->name, "run") != 0 && strcmp(c->name, "bench") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The session runs in the private directory; the fuzzer's own relative
     * paths (its corpus) need the old working directory back afterwards. */
    static int home = -1;
    if (home < 0 && (home = open(".", O_RDONLY | O_DIRECTORY)) < 0)
        fuzz_fail(__FILE__, __LINE__, "open", "cannot open the working directory");
    fuzz_clear_dir(fuzz_tmpdir());
    if (chdir(fuzz_tmpdir()) != 0) fuzz_fail(__FILE__, __LINE__, "chdir", "cannot enter %s", fuzz_tmpdir());
    syno_repl *r = syno_repl_new(fuzz_devnull(), fuzz_devnull(), false);
    r->no_history = true;
    char *text = syno_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    bool quit = false;
    for (char *line = text, *next; line && !quit; line = next) {
        next = memchr(line, '\n', (size_t)(text + size - line));
        if (next) *next++ = 0;
        bool command = !r->pending.len && line[strspn(line, " \t")] == ':';
        if (command && !allowed(line)) continue;
        int items = r->nitems, errors = r->errors;
        syno_repl_status st = syno_repl_feed(r, line);
        quit = st == SYNO_REPL_QUIT;
        if (!command && st == SYNO_REPL_DONE && r->errors > errors)
            FUZZ_CHECK(r->nitems == items, "a failing statement changed the session from %d to %d declarations", items,
                       r->nitems);
    }
    if (!quit) syno_repl_finish(r);
    free(text);
    syno_repl_free(r);
    if (fchdir(home) != 0) fuzz_fail(__FILE__, __LINE__, "fchdir", "cannot return to the working directory");
    return 0;
}
