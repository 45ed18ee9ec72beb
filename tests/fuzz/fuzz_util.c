/* fuzz_util.c - helpers of the fuzz harnesses (fuzz.h): the failure report,
 * a null stream, a private temporary directory, splitting an input into
 * named parts. */
#include "tests/fuzz/fuzz.h"

#include "base/base.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* See fuzz.h. */
void fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz check failed: %s:%d: %s\n  ", file, line, what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* See fuzz.h. */
FILE *fuzz_devnull(void)
{
    static FILE *f;
    if (!f) f = fopen("/dev/null", "w");
    if (!f) fuzz_fail(__FILE__, __LINE__, "fopen", "cannot open /dev/null");
    return f;
}

static char tmpdir[4096];

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700); /* a harness may have made it unreadable */
        fuzz_clear_dir(path);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* See fuzz.h. */
void fuzz_clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        syno_buf p = SYNO_BUF_INIT;
        syno_buf_printf(&p, "%s/%s", dir, e->d_name);
        remove_tree(syno_buf_str(&p));
        syno_buf_fini(&p);
    }
    closedir(d);
}

static void remove_tmpdir(void)
{
    if (tmpdir[0]) remove_tree(tmpdir);
}

/* See fuzz.h. */
const char *fuzz_tmpdir(void)
{
    if (tmpdir[0]) return tmpdir;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/syno-fuzz-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) fuzz_fail(__FILE__, __LINE__, "mkdtemp", "cannot create %s", tmpdir);
    atexit(remove_tmpdir);
    return tmpdir;
}

/* See fuzz.h. */
void fuzz_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        fuzz_fail(__FILE__, __LINE__, "write", "cannot write %s", path);
}

/* See fuzz.h. */
int fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int max)
{
    const uint8_t *end = data + size;
    int n = 1;
    parts[0] = (fuzz_part){NULL, 0, data, 0};
    for (const uint8_t *line = data; line < end;) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(end - line)), *lend = nl ? nl : end;
        if (n < max && lend - line >= 4 && memcmp(line, "==> ", 4) == 0) {
            /* the part before ends before the newline that ends its last line */
            const uint8_t *pend = line > parts[n - 1].data ? line - 1 : line;
            parts[n - 1].len = (size_t)(pend - parts[n - 1].data);
            parts[n] = (fuzz_part){(const char *)line + 4, (size_t)(lend - line - 4), nl ? nl + 1 : end, 0};
            n++;
        }
        line = nl ? nl + 1 : end;
    }
    parts[n - 1].len = (size_t)(end - parts[n - 1].data);
    return n;
}
