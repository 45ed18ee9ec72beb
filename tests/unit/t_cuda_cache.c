/* t_cuda_cache.c - the kernel cache: memory and disk hits and misses, the
 * default directory, corrupt and foreign entries, an unusable directory,
 * several processes sharing one directory, and compile-through with NVRTC
 * (where it exists). */
#include "tests/tap.h"

#include "codegen/cuda_cache.h"
#include "codegen/cuda_load.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[512];

static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* The path of the only file with extension EXT in DIR, into OUT. */
static bool find_entry(const char *dir, const char *ext, char *out, size_t n)
{
    DIR *d = opendir(dir);
    bool found = false;
    if (!d) return false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot && strcmp(dot + 1, ext) == 0 && e->d_name[0] != '.') {
            snprintf(out, n, "%s/%s", dir, e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

static bool get_is(syno_cuda_cache *c, const char *kind, const char *key, const char *want)
{
    void *data = NULL;
    size_t size = 0;
    bool hit = syno_cuda_cache_get(c, kind, key, &data, &size);
    bool same = hit && want && size == strlen(want) && memcmp(data, want, size) == 0 && ((char *)data)[size] == 0;
    free(data);
    return want ? same : !hit;
}

static void test_memory(void)
{
    syno_cuda_cache *c = syno_cuda_cache_new("none");
    ok(syno_cuda_cache_dir(c) == NULL && strstr(syno_cuda_cache_note(c), "disabled"), "\"none\": memory only");
    ok(get_is(c, "tune", "k1", NULL), "memory: a miss first");
    syno_cuda_cache_put(c, "tune", "k1", "value one", 9);
    ok(get_is(c, "tune", "k1", "value one"), "memory: then a hit with the same bytes");
    ok(get_is(c, "cubin", "k1", NULL), "the kind is part of the key");
    syno_cuda_cache_put(c, "tune", "k1", "value two", 9);
    ok(get_is(c, "tune", "k1", "value two"), "a second put replaces the value");
    syno_cuda_cache_stats s = syno_cuda_cache_get_stats(c);
    is_int(s.mem_hits, 2, "two memory hits counted");
    is_int(s.stores, 0, "nothing written to disk");
    syno_cuda_cache_free(c);
}

static void test_disk(void)
{
    char dir[600], path[1024];
    snprintf(dir, sizeof dir, "%s/disk/cuda", root);
    syno_cuda_cache *c = syno_cuda_cache_new(dir);
    is_str(syno_cuda_cache_dir(c), dir, "the directory is created");
    syno_cuda_cache_put(c, "cubin", "key A", "payload A", 9);
    syno_cuda_cache_put(c, "cubin", "key B", "payload B", 9);
    is_int(syno_cuda_cache_get_stats(c).stores, 2, "two entries written");
    is_int(count_files(dir, ".tmp"), 0, "no temporary file left");
    syno_cuda_cache_free(c);

    c = syno_cuda_cache_new(dir);
    ok(get_is(c, "cubin", "key A", "payload A") && get_is(c, "cubin", "key B", "payload B"),
       "a new cache (a new process) reads both from disk");
    syno_cuda_cache_stats s = syno_cuda_cache_get_stats(c);
    ok(s.disk_hits == 2 && s.mem_hits == 0, "as disk hits (%ld)", s.disk_hits);
    ok(get_is(c, "cubin", "key A", "payload A") && syno_cuda_cache_get_stats(c).mem_hits == 1,
       "then from memory");
    syno_cuda_cache_forget(c);
    ok(get_is(c, "cubin", "key A", "payload A") && syno_cuda_cache_get_stats(c).disk_hits == 3,
       "forget drops the memory copies only");
    ok(get_is(c, "cubin", "key C", NULL), "an unknown key misses");
    syno_cuda_cache_free(c);

    /* Damage: truncate one entry, flip a byte of another. */
    struct dirent *e;
    DIR *d = opendir(dir);
    int damaged = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r+b");
        if (!f) continue;
        if (damaged == 0) {
            if (ftruncate(fileno(f), 20) == 0) damaged++;
        } else {
            fseek(f, -1, SEEK_END);
            int ch = fgetc(f);
            fseek(f, -1, SEEK_END);
            fputc(ch ^ 0x20, f);
            damaged++;
        }
        fclose(f);
    }
    if (d) closedir(d);
    is_int(damaged, 2, "two entries damaged");
    c = syno_cuda_cache_new(dir);
    ok(get_is(c, "cubin", "key A", NULL) && get_is(c, "cubin", "key B", NULL), "damaged entries read as misses");
    is_int(syno_cuda_cache_get_stats(c).corrupt, 2, "and are counted as corrupt");
    is_int(count_files(dir, ""), 0, "and removed");
    syno_cuda_cache_put(c, "cubin", "key A", "payload A2", 10);
    syno_cuda_cache_forget(c);
    ok(get_is(c, "cubin", "key A", "payload A2"), "a fresh entry replaces it");

    /* An intact entry stored under another key's file name (a hash
     * collision) is a miss, and is left alone. */
    syno_cuda_cache_put(c, "ptx", "key X", "x", 1);
    char xpath[1024], ypath[1024];
    find_entry(dir, "ptx", xpath, sizeof xpath);
    syno_cuda_cache_put(c, "ptx", "key Y", "y", 1);
    struct stat st;
    char moved[1024] = "";
    d = opendir(dir);
    while (d && (e = readdir(d)) != NULL) { /* the file of key Y: the .ptx that is not X's */
        snprintf(ypath, sizeof ypath, "%s/%s", dir, e->d_name);
        const char *dot = strrchr(e->d_name, '.');
        if (dot && strcmp(dot, ".ptx") == 0 && strcmp(ypath, xpath) != 0) snprintf(moved, sizeof moved, "%s", ypath);
    }
    if (d) closedir(d);
    bool renamed = moved[0] && rename(xpath, moved) == 0; /* X's bytes now sit under Y's name */
    syno_cuda_cache_forget(c);
    ok(renamed && get_is(c, "ptx", "key Y", NULL), "an entry whose stored key differs is a miss");
    ok(stat(moved, &st) == 0 && syno_cuda_cache_get_stats(c).corrupt == 2, "and is not counted corrupt or removed");
    syno_cuda_cache_free(c);
}

static void test_unusable(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/file", root);
    FILE *f = fopen(dir, "w");
    if (f) fclose(f);
    snprintf(dir, sizeof dir, "%s/file/cuda", root);
    syno_cuda_cache *c = syno_cuda_cache_new(dir);
    ok(syno_cuda_cache_dir(c) == NULL && strstr(syno_cuda_cache_note(c), "cannot create"),
       "an uncreatable directory: memory only, and why (%s)", syno_cuda_cache_note(c));
    syno_cuda_cache_put(c, "tune", "k", "v", 1);
    ok(get_is(c, "tune", "k", "v"), "the cache still works in memory");
    syno_cuda_cache_free(c);
}

static void test_default_dir(void)
{
    char want[700];
    setenv("SYNO_CACHE_DIR", root, 1);
    syno_cuda_cache *c = syno_cuda_cache_new(NULL);
    snprintf(want, sizeof want, "%s/cuda", root);
    is_str(syno_cuda_cache_dir(c), want, "$SYNO_CACHE_DIR/cuda");
    syno_cuda_cache_free(c);
    unsetenv("SYNO_CACHE_DIR");
    char xdg[600];
    snprintf(xdg, sizeof xdg, "%s/xdg", root);
    setenv("XDG_CACHE_HOME", xdg, 1);
    c = syno_cuda_cache_new(NULL);
    snprintf(want, sizeof want, "%s/xdg/syno/cuda", root);
    is_str(syno_cuda_cache_dir(c), want, "else $XDG_CACHE_HOME/syno/cuda");
    syno_cuda_cache_free(c);
    unsetenv("XDG_CACHE_HOME");
    char home[600];
    snprintf(home, sizeof home, "%s/home", root);
    setenv("HOME", home, 1);
    c = syno_cuda_cache_new(NULL);
    snprintf(want, sizeof want, "%s/home/.cache/syno/cuda", root);
    is_str(syno_cuda_cache_dir(c), want, "else ~/.cache/syno/cuda");
    syno_cuda_cache_free(c);
    setenv("SYNO_CACHE_DIR", "none", 1);
    c = syno_cuda_cache_new(NULL);
    ok(syno_cuda_cache_dir(c) == NULL, "SYNO_CACHE_DIR=none: memory only");
    syno_cuda_cache_free(c);
    unsetenv("SYNO_CACHE_DIR");
}

/* Several processes write and read the same keys at once. */
static void test_processes(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/shared/cuda", root);
    enum { PROCS = 4, KEYS = 40 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            syno_cuda_cache *c = syno_cuda_cache_new(dir);
            int bad = 0;
            for (int round = 0; round < 3; round++)
                for (int k = 0; k < KEYS; k++) {
                    char key[32], val[128];
                    snprintf(key, sizeof key, "key %d", k);
                    snprintf(val, sizeof val, "the value of key %d, %0*d", k, 20 + k, k);
                    syno_cuda_cache_put(c, "cubin", key, val, strlen(val));
                    syno_cuda_cache_forget(c);
                    void *data;
                    size_t size;
                    if (!syno_cuda_cache_get(c, "cubin", key, &data, &size) || size != strlen(val) ||
                        memcmp(data, val, size) != 0)
                        bad++;
                    else free(data);
                }
            bad += (int)syno_cuda_cache_get_stats(c).corrupt;
            syno_cuda_cache_free(c);
            _exit(bad ? 1 : 0);
        }
    }
    int failed = 0;
    for (int p = 0; p < PROCS; p++) {
        int st = 0;
        waitpid(pids[p], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
    }
    is_int(failed, 0, "%d processes writing and reading %d shared keys: every read whole and right", PROCS, KEYS);
    is_int(count_files(dir, ".tmp"), 0, "no temporary files left");
    is_int(count_files(dir, ""), KEYS, "one file per key");
}

static void test_nvrtc(void)
{
    const char *why = NULL;
    if (!syno_cuda_nvrtc_get(&why)) {
        for (int i = 0; i < 5; i++) skip(why);
        return;
    }
    char dir[600];
    snprintf(dir, sizeof dir, "%s/kernels", root);
    const char *src = "extern \"C\" __global__ void twice(float *y) { y[threadIdx.x] *= 2.0f; }\n";
    syno_cuda_cache *c = syno_cuda_cache_new(dir);
    syno_cuda_image a, b, d;
    syno_cuda_cache_how how1, how2, how3;
    syno_buf err = SYNO_BUF_INIT;
    bool ok1 = syno_cuda_cache_image(c, src, "twice.cu", 90, &a, &how1, &err);
    ok(ok1 && how1 == SYNO_CUDA_COMPILED && a.target == SYNO_CUDA_CUBIN && a.arch == 90,
       "first use compiles a CUBIN for sm_90 (%.0f ms)", a.compile_ms);
    bool ok2 = syno_cuda_cache_image(c, src, "twice.cu", 90, &b, &how2, &err);
    ok(ok2 && how2 == SYNO_CUDA_FROM_MEMORY && b.size == a.size && memcmp(a.data, b.data, a.size) == 0,
       "second use: the same bytes from memory");
    syno_cuda_cache_free(c);
    c = syno_cuda_cache_new(dir);
    bool ok3 = syno_cuda_cache_image(c, src, "twice.cu", 90, &d, &how3, &err);
    ok(ok3 && how3 == SYNO_CUDA_FROM_DISK && d.size == a.size && memcmp(a.data, d.data, a.size) == 0,
       "a new process: from disk");
    syno_cuda_image e;
    syno_cuda_cache_how how4;
    bool ok4 = syno_cuda_cache_image(c, src, "twice.cu", 80, &e, &how4, &err);
    ok(ok4 && how4 == SYNO_CUDA_COMPILED && e.arch == 80, "another architecture is another entry");
    syno_cuda_image_fini(&e);
    syno_cuda_image f;
    bool ok5 = syno_cuda_cache_image(c, "this is not CUDA", "bad.cu", 90, &f, NULL, &err);
    ok(!ok5 && strstr(syno_buf_str(&err), "failed to compile 'bad.cu'"), "a compile error comes through");
    syno_cuda_image_fini(&a);
    syno_cuda_image_fini(&b);
    syno_cuda_image_fini(&d);
    syno_buf_fini(&err);
    syno_cuda_cache_free(c);
}

int main(void)
{
    snprintf(root, sizeof root, "%s/syno-cache-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) return skip_all("cannot make a temporary directory");
    test_memory();
    test_disk();
    test_unusable();
    test_default_dir();
    test_processes();
    test_nvrtc();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) printf("# could not remove %s\n", root);
    return tap_done();
}
