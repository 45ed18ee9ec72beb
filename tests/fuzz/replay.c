/* replay.c - a main for the fuzz harnesses outside libFuzzer: runs each
 * input file once through LLVMFuzzerTestOneInput.
 *
 *   fuzz_NAME [-flag...] FILE|DIR...
 *
 * Arguments that start with '-' are libFuzzer's flags and are ignored, so
 * one command line (`fuzz_lang -runs=0 CORPUS`) replays a corpus in both
 * builds.  A directory stands for the regular files in it, in name order.
 * Each input is read into a buffer of exactly its size (as libFuzzer does,
 * so that AddressSanitizer sees reads past its end).  Prints "replay: N
 * inputs" at the end; a failing input aborts the run after its name was
 * printed ("Running: FILE" on stderr), which tests/fuzz.sh reports. */
#include "tests/fuzz/fuzz.h"

#include "base/base.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Optional in a harness: libFuzzer calls it once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int ninputs;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    syno_buf b = SYNO_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) syno_buf_add(&b, chunk, n);
    fclose(f);
    /* exactly the input's bytes, no terminator: reads past the end are caught */
    uint8_t *data = syno_xmalloc(b.len ? b.len : 1);
    memcpy(data, b.data ? b.data : "", b.len);
    fprintf(stderr, "Running: %s\n", path);
    LLVMFuzzerTestOneInput(data, b.len);
    free(data);
    syno_buf_fini(&b);
    ninputs++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        exit(2);
    }
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        syno_buf p = SYNO_BUF_INIT;
        syno_buf_printf(&p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && stat(syno_buf_str(&p), &st) == 0 && S_ISREG(st.st_mode)) {
            names = syno_xrealloc(names, (size_t)(n + 1) * sizeof *names);
            names[n++] = syno_buf_take(&p);
        }
        syno_buf_fini(&p);
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        run_file(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') continue;
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) run_dir(argv[i]);
        else run_file(argv[i]);
    }
    printf("replay: %d inputs\n", ninputs);
    return 0;
}
