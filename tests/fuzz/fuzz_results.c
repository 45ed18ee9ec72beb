/* fuzz_results.c - the results-store harness: `syno results`, `syno
 * search --resume` and `syno report` on a hostile store and result
 * directory.
 *
 * An input is split into parts (fuzz.h): the first is the store, the
 * others are files of the result directory.  A store that starts with
 * SQLite's magic ("SQLite format 3") is written as it is (a corrupted or
 * truncated store); any other first part is run as SQL on a fresh database
 * (a foreign or hostile one: other tables, wrong types, NULLs, NaNs, odd
 * paths and canonical texts), with ATTACH and VACUUM refused and a budget
 * on its work.  A part named NAME becomes the file results/NAME (a name
 * ending in "!dir" a directory instead; names are reduced to [A-Za-z0-9_.-]).
 *
 * Then, in a private directory, run the commands as a user would:
 *   syno results DB; syno results DB --json --top 3; syno results DB --confirmed
 *   syno search spec.syno:quick --db DB --out results --resume --iterations 4
 *   syno results DB; syno report DB -o r.html --operators 2
 * Each must end with exit status 0 or 1 (never a crash or a sanitizer
 * report); their output goes to /dev/null unless FUZZ_VERBOSE is set.  The
 * spec is the FLOPs-only search of tests/search/run.syno, so that a resumed
 * search evaluates little and fast; the seeds are stores it wrote. */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include "interp/cli.h"
#include "base/base.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char spec_text[] =
    "size N, C_in, C_out, H, W;\n"
    "coef k = 3;\n"
    "\n"
    "bind l1 { N = 2, C_in = 4, C_out = 8, H = 8, W = 8 }\n"
    "bind l2 { N = 2, C_in = 8, C_out = 8, H = 6, W = 6 }\n"
    "\n"
    "search quick {\n"
    "    input [N, C_in, H, W];\n"
    "    output [N, C_out, H, W];\n"
    "    fixed N;\n"
    "    size N: 0, C_in: 2, C_out: 2, H: 0, W: 0;\n"
    "    coef k: 2;\n"
    "    layers l1, l2;\n"
    "    baseline conv2d;\n"
    "    depth 6;\n"
    "    reductions 3;\n"
    "    weights 1;\n"
    "    chain 5;\n"
    "    limit split 1, merge 1, shift 1;\n"
    "    objective flops;\n"
    "    algorithm random iterations 12 seed 7;\n"
    "    options min_weight_params 16;\n"
    "}\n";

#ifdef HAVE_SQLITE
#include <sqlite3.h>

static int progress_left;

static int progress(void *ctx)
{
    (void)ctx;
    return --progress_left <= 0;
}

/* Runs SQL[0..N) on a fresh database at PATH; false when it is refused. */
static bool run_sql(const char *path, const uint8_t *sql, size_t n)
{
    char *text = syno_xmalloc(n + 1);
    memcpy(text, sql, n);
    text[n] = 0;
    for (char *p = text; *p; p++) *p = (char)tolower((unsigned char)*p);
    bool refused = strstr(text, "attach") || strstr(text, "vacuum") || strlen(text) != n;
    memcpy(text, sql, n);
    sqlite3 *db = NULL;
    if (!refused && sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK) {
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
        progress_left = 2000;
        sqlite3_progress_handler(db, 1000, progress, NULL);
        sqlite3_exec(db, text, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    free(text);
    return !refused;
}
#else
static bool run_sql(const char *path, const uint8_t *sql, size_t n)
{
    (void)path, (void)sql, (void)n;
    return false; /* without SQLite there is no store to fuzz */
}
#endif

/* Runs `syno ARGV...` (NULL-terminated; RUN is the command's entry point,
 * interp/commands.def); its exit status must be 0 or 1. */
static void command(int (*run)(int, char **), const char *const *argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    syno_cli_command = argv[0];
    static int quiet = -1;
    if (quiet < 0) quiet = !getenv("FUZZ_VERBOSE");
    int out = -1, err = -1;
    fflush(stdout);
    fflush(stderr);
    if (quiet) {
        int null = open("/dev/null", O_WRONLY);
        out = dup(1), err = dup(2);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
    }
    char **args = syno_xcalloc((size_t)argc + 1, sizeof *args);
    for (int i = 0; i < argc; i++) args[i] = syno_xstrdup(argv[i]);
    int st = run(argc, args);
    for (int i = 0; i < argc; i++) free(args[i]);
    free(args);
    fflush(stdout);
    fflush(stderr);
    if (quiet) {
        dup2(out, 1);
        dup2(err, 2);
        close(out);
        close(err);
    }
    FUZZ_CHECK(st == 0 || st == 1, "syno %s exits with %d", argv[0], st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int home = -1;
    if (home < 0 && (home = open(".", O_RDONLY | O_DIRECTORY)) < 0)
        fuzz_fail(__FILE__, __LINE__, "open", "cannot open the working directory");
    if (!getenv("SYNO_STDLIB")) setenv("SYNO_STDLIB", SYNO_SRCDIR "/stdlib", 1);
    fuzz_clear_dir(fuzz_tmpdir());
    if (chdir(fuzz_tmpdir()) != 0) fuzz_fail(__FILE__, __LINE__, "chdir", "cannot enter %s", fuzz_tmpdir());
    fuzz_part parts[32];
    int n = fuzz_split(data, size, parts, 32);
    bool go = true;
    if (parts[0].len >= 15 && memcmp(parts[0].data, "SQLite format 3", 15) == 0)
        fuzz_write_file("r.db", parts[0].data, parts[0].len);
    else
        go = run_sql("r.db", parts[0].data, parts[0].len);
    mkdir("results", 0777);
    for (int i = 1; go && i < n; i++) {
        char name[80];
        size_t k = 0;
        for (size_t j = 0; j < parts[i].name_len && k < 64; j++) {
            char c = parts[i].name[j];
            if (isalnum((unsigned char)c) || c == '_' || c == '-' || (c == '.' && k > 0) || c == '!') name[k++] = c;
        }
        name[k] = 0;
        if (!k) continue;
        char path[96];
        bool dir = k > 4 && strcmp(name + k - 4, "!dir") == 0;
        if (dir) name[k - 4] = 0;
        snprintf(path, sizeof path, "results/%s", name);
        struct stat st;
        if (lstat(path, &st) == 0) continue; /* named twice: the first part wins */
        if (dir) mkdir(path, 0777);
        else fuzz_write_file(path, parts[i].data, parts[i].len);
    }
    if (go) {
        fuzz_write_file("spec.syno", spec_text, sizeof spec_text - 1);
        command(syno_cmd_results, (const char *const[]){"results", "r.db", NULL});
        command(syno_cmd_results, (const char *const[]){"results", "r.db", "--json", "--top", "3", NULL});
        command(syno_cmd_results, (const char *const[]){"results", "r.db", "--confirmed", NULL});
        command(syno_cmd_search, (const char *const[]){"search", "spec.syno:quick", "--db", "r.db", "--out", "results",
                                                       "--resume", "--iterations", "4", NULL});
        command(syno_cmd_results, (const char *const[]){"results", "r.db", NULL});
        command(syno_cmd_report, (const char *const[]){"report", "r.db", "-o", "r.html", "--operators", "2", NULL});
    }
    if (fchdir(home) != 0) fuzz_fail(__FILE__, __LINE__, "fchdir", "cannot return to the working directory");
    return 0;
}
