/* cuda_cache.c - the kernel cache in memory and on disk (see cuda_cache.h).
 *
 * Memory: a chained hash table of copies, bounded in bytes (oldest entries
 * go first).  Disk: one file per entry,
 *
 *     offset  0  "SYNOKC\r\n"   magic (the \r\n catches text-mode damage)
 *             8  u32 format (1), u32 key length
 *            16  u64 payload length
 *            24  u64 FNV-1a of key and payload
 *            32  key bytes, payload bytes
 *
 * named <16 hex digits of the key's hash>.<kind>, written as a temporary
 * file in the same directory and renamed into place (rename is atomic
 * within a file system, so concurrent writers and readers never see half
 * an entry). */
#define _GNU_SOURCE
#include "codegen/cuda_cache.h"

#include "base/hash.h"
#include "codegen/cuda_load.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NBUCKETS 1024
#define MEM_LIMIT ((size_t)256 << 20)
#define FORMAT 1u
#define HEADER 32
static const char magic[8] = {'S', 'Y', 'N', 'O', 'K', 'C', '\r', '\n'};

typedef struct entry {
    struct entry *next;    /* bucket chain */
    struct entry *younger; /* insertion order, for eviction */
    uint64_t hash;
    char *kind, *key;
    void *data;
    size_t size;
} entry;

struct syno_cuda_cache {
    pthread_mutex_t lock;
    char *dir;            /* NULL: memory only */
    char note[600];
    entry *bucket[NBUCKETS];
    entry *oldest, *youngest;
    size_t bytes;
    syno_cuda_cache_stats stats;
};

static uint64_t key_hash(const char *kind, const char *key)
{
    uint64_t h = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, kind, strlen(kind) + 1);
    return syno_hash_fnv1a(h, key, strlen(key));
}

/* ---- directory ------------------------------------------------------------ */

/* mkdir -p PATH (mode 0700 for what it creates); false with errno set. */
static bool make_dirs(const char *path)
{
    char *p = syno_xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char save = *s;
            *s = 0;
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                free(p);
                return false;
            }
            *s = save;
            if (!save) break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

/* The default directory (cuda_cache.h), malloc'ed, or NULL for memory only. */
static char *default_dir(char *note, size_t n)
{
    const char *env = getenv("SYNO_CACHE_DIR");
    char buf[4200];
    if (env && strcmp(env, "none") == 0) {
        snprintf(note, n, "disk cache disabled by SYNO_CACHE_DIR=none");
        return NULL;
    }
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s/cuda", env);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (xdg && *xdg == '/') snprintf(buf, sizeof buf, "%s/syno/cuda", xdg);
        else if (home && *home) snprintf(buf, sizeof buf, "%s/.cache/syno/cuda", home);
        else {
            snprintf(note, n, "disk cache off: neither SYNO_CACHE_DIR, XDG_CACHE_HOME nor HOME is set");
            return NULL;
        }
    }
    return syno_xstrdup(buf);
}

/* Opens a cache (see cuda_cache.h). */
syno_cuda_cache *syno_cuda_cache_new(const char *dir)
{
    syno_cuda_cache *c = syno_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    if (dir && strcmp(dir, "none") == 0) snprintf(c->note, sizeof c->note, "disk cache disabled");
    else c->dir = dir ? syno_xstrdup(dir) : default_dir(c->note, sizeof c->note);
    if (c->dir && !make_dirs(c->dir)) {
        snprintf(c->note, sizeof c->note, "disk cache off: cannot create %s: %s", c->dir, strerror(errno));
        free(c->dir);
        c->dir = NULL;
    }
    return c;
}

static void free_entry(entry *e)
{
    free(e->kind);
    free(e->key);
    free(e->data);
    free(e);
}

static void forget_locked(syno_cuda_cache *c)
{
    for (entry *e = c->oldest, *next; e; e = next) {
        next = e->younger;
        free_entry(e);
    }
    memset(c->bucket, 0, sizeof c->bucket);
    c->oldest = c->youngest = NULL;
    c->bytes = 0;
}

/* Frees C and its in-memory entries (disk entries stay). */
void syno_cuda_cache_free(syno_cuda_cache *c)
{
    if (!c) return;
    forget_locked(c);
    pthread_mutex_destroy(&c->lock);
    free(c->dir);
    free(c);
}

/* Drops the in-memory copies. */
void syno_cuda_cache_forget(syno_cuda_cache *c)
{
    pthread_mutex_lock(&c->lock);
    forget_locked(c);
    pthread_mutex_unlock(&c->lock);
}

/* The disk directory, or NULL. */
const char *syno_cuda_cache_dir(const syno_cuda_cache *c)
{
    return c->dir;
}

/* Why there is no disk cache, or "". */
const char *syno_cuda_cache_note(const syno_cuda_cache *c)
{
    return c->note;
}

/* Counters. */
syno_cuda_cache_stats syno_cuda_cache_get_stats(syno_cuda_cache *c)
{
    pthread_mutex_lock(&c->lock);
    syno_cuda_cache_stats s = c->stats;
    pthread_mutex_unlock(&c->lock);
    return s;
}

/* ---- memory --------------------------------------------------------------- */

static entry *mem_find(syno_cuda_cache *c, uint64_t h, const char *kind, const char *key)
{
    for (entry *e = c->bucket[h % NBUCKETS]; e; e = e->next)
        if (e->hash == h && strcmp(e->kind, kind) == 0 && strcmp(e->key, key) == 0) return e;
    return NULL;
}

static void mem_unlink(syno_cuda_cache *c, entry *victim)
{
    entry **pp = &c->bucket[victim->hash % NBUCKETS];
    while (*pp != victim) pp = &(*pp)->next;
    *pp = victim->next;
    entry **op = &c->oldest;
    entry *prev = NULL;
    while (*op != victim) {
        prev = *op;
        op = &(*op)->younger;
    }
    *op = victim->younger;
    if (c->youngest == victim) c->youngest = prev;
    c->bytes -= victim->size + strlen(victim->key);
}

static void mem_put(syno_cuda_cache *c, uint64_t h, const char *kind, const char *key, const void *data, size_t size)
{
    entry *old = mem_find(c, h, kind, key);
    if (old) {
        mem_unlink(c, old);
        free_entry(old);
    }
    entry *e = syno_xcalloc(1, sizeof *e);
    e->hash = h;
    e->kind = syno_xstrdup(kind);
    e->key = syno_xstrdup(key);
    e->data = syno_xmalloc(size + 1);
    memcpy(e->data, data, size);
    ((char *)e->data)[size] = 0;
    e->size = size;
    e->next = c->bucket[h % NBUCKETS];
    c->bucket[h % NBUCKETS] = e;
    if (c->youngest) c->youngest->younger = e;
    else c->oldest = e;
    c->youngest = e;
    c->bytes += size + strlen(key);
    while (c->bytes > MEM_LIMIT && c->oldest && c->oldest != e) {
        entry *victim = c->oldest;
        mem_unlink(c, victim);
        free_entry(victim);
    }
}

/* ---- disk ----------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static char *entry_path(const syno_cuda_cache *c, uint64_t h, const char *kind)
{
    size_t n = strlen(c->dir) + strlen(kind) + 32;
    char *p = syno_xmalloc(n);
    snprintf(p, n, "%s/%016llx.%s", c->dir, (unsigned long long)h, kind);
    return p;
}

/* Writes all of P; false on error. */
static bool write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static bool disk_put(syno_cuda_cache *c, uint64_t h, const char *kind, const char *key, const void *data, size_t size)
{
    size_t klen = strlen(key);
    unsigned char hdr[HEADER];
    memcpy(hdr, magic, 8);
    put_u32(hdr + 8, FORMAT);
    put_u32(hdr + 12, (uint32_t)klen);
    put_u64(hdr + 16, size);
    put_u64(hdr + 24, syno_hash_fnv1a(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, key, klen), data, size));
    size_t n = strlen(c->dir) + 32;
    char *tmp = syno_xmalloc(n);
    snprintf(tmp, n, "%s/.tmp-XXXXXX", c->dir);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0;
    if (ok) {
        ok = write_all(fd, hdr, HEADER) && write_all(fd, key, klen) && write_all(fd, data, size);
        ok = close(fd) == 0 && ok;
        char *path = entry_path(c, h, kind);
        ok = ok && rename(tmp, path) == 0;
        if (!ok) unlink(tmp);
        free(path);
    }
    free(tmp);
    return ok;
}

/* Reads the entry for KIND/KEY: 1 hit, 0 absent, -1 corrupt (removed). */
static int disk_get(syno_cuda_cache *c, uint64_t h, const char *kind, const char *key, void **data, size_t *size)
{
    char *path = entry_path(c, h, kind);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(path);
        return 0;
    }
    struct stat st;
    unsigned char *buf = NULL;
    int result = -1;
    size_t klen = strlen(key);
    if (fstat(fd, &st) == 0 && st.st_size >= HEADER && (uint64_t)st.st_size < ((uint64_t)1 << 34)) {
        size_t n = (size_t)st.st_size;
        buf = syno_xmalloc(n + 1);
        size_t got = 0;
        while (got < n) {
            ssize_t r = read(fd, buf + got, n - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got == n && memcmp(buf, magic, 8) == 0 && get_u32(buf + 8) == FORMAT) {
            uint64_t k = get_u32(buf + 12), len = get_u64(buf + 16);
            if (HEADER + k + len == n) {
                uint64_t sum = syno_hash_fnv1a(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, buf + HEADER, k), buf + HEADER + k, len);
                if (sum == get_u64(buf + 24)) {
                    /* Intact.  A different key under the same hash is a miss. */
                    if (k == klen && memcmp(buf + HEADER, key, klen) == 0) {
                        *size = len;
                        *data = syno_xmalloc(len + 1);
                        memcpy(*data, buf + HEADER + k, len);
                        ((char *)*data)[len] = 0;
                        result = 1;
                    } else {
                        result = 0;
                    }
                }
            }
        }
    }
    close(fd);
    free(buf);
    if (result < 0) unlink(path);
    free(path);
    return result;
}

/* ---- lookups -------------------------------------------------------------- */

/* Memory, then disk: 0 miss, 1 memory hit, 2 disk hit. */
static int lookup(syno_cuda_cache *c, const char *kind, const char *key, void **data, size_t *size)
{
    uint64_t h = key_hash(kind, key);
    pthread_mutex_lock(&c->lock);
    entry *e = mem_find(c, h, kind, key);
    if (e) {
        *size = e->size;
        *data = syno_xmalloc(e->size + 1);
        memcpy(*data, e->data, e->size + 1);
        c->stats.mem_hits++;
        pthread_mutex_unlock(&c->lock);
        return 1;
    }
    pthread_mutex_unlock(&c->lock);
    int r = c->dir ? disk_get(c, h, kind, key, data, size) : 0;
    pthread_mutex_lock(&c->lock);
    if (r > 0) {
        c->stats.disk_hits++;
        mem_put(c, h, kind, key, *data, *size);
    } else {
        c->stats.misses++;
        if (r < 0) c->stats.corrupt++;
    }
    pthread_mutex_unlock(&c->lock);
    return r > 0 ? 2 : 0;
}

/* Memory, then disk (see cuda_cache.h). */
bool syno_cuda_cache_get(syno_cuda_cache *c, const char *kind, const char *key, void **data, size_t *size)
{
    return lookup(c, kind, key, data, size) != 0;
}

/* Stores in memory and on disk (see cuda_cache.h). */
void syno_cuda_cache_put(syno_cuda_cache *c, const char *kind, const char *key, const void *data, size_t size)
{
    uint64_t h = key_hash(kind, key);
    pthread_mutex_lock(&c->lock);
    mem_put(c, h, kind, key, data, size);
    pthread_mutex_unlock(&c->lock);
    if (!c->dir) return;
    bool ok = disk_put(c, h, kind, key, data, size);
    pthread_mutex_lock(&c->lock);
    if (ok) c->stats.stores++;
    else c->stats.store_failures++;
    pthread_mutex_unlock(&c->lock);
}

/* ---- parallel compilation -------------------------------------------------- */

typedef struct precompile_job {
    syno_cuda_cache *c;
    const char *const *srcs;
    int n, next, arch, failed;
    pthread_mutex_t lock;
    syno_buf *err;
} precompile_job;

static void *precompile_worker(void *arg)
{
    precompile_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->n) return NULL;
        syno_cuda_image img;
        syno_buf e = SYNO_BUF_INIT;
        if (!syno_cuda_cache_image(j->c, j->srcs[i], "syno_kernel.cu", j->arch, &img, NULL, &e)) {
            pthread_mutex_lock(&j->lock);
            j->failed++;
            syno_buf_printf(j->err, "%s\n", syno_buf_str(&e));
            pthread_mutex_unlock(&j->lock);
        }
        syno_cuda_image_fini(&img);
        syno_buf_fini(&e);
    }
}

/* Compiles what is missing of SRCS in parallel (see cuda_cache.h). */
int syno_cuda_cache_precompile(syno_cuda_cache *c, const char *const *srcs, int n, int arch, int threads,
                               syno_buf *err)
{
    if (threads <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (int)cpus : 1;
    }
    if (threads > 64) threads = 64;
    if (threads > n) threads = n;
    precompile_job j = {c, srcs, n, 0, arch, 0, PTHREAD_MUTEX_INITIALIZER, err};
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[started], NULL, precompile_worker, &j) == 0) started++;
    precompile_worker(&j);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.lock);
    return j.failed;
}

/* Compile-through lookup of a kernel image (see cuda_cache.h). */
bool syno_cuda_cache_image(syno_cuda_cache *c, const char *src, const char *name, int arch, syno_cuda_image *img,
                           syno_cuda_cache_how *how, syno_buf *err)
{
    memset(img, 0, sizeof *img);
    syno_cuda_target target;
    int code_arch;
    if (!syno_cuda_jit_choose(arch, &target, &code_arch, err)) return false;
    const syno_nvrtc *n = syno_cuda_nvrtc_get(NULL);
    syno_buf key = SYNO_BUF_INIT;
    syno_buf_printf(&key, "syno-cuda-kernel %u\nnvrtc %d.%d\ntarget %s\noptions ", FORMAT, n->major, n->minor,
                    syno_cuda_target_name(target, code_arch));
    syno_cuda_jit_options(target, code_arch, &key);
    syno_buf_puts(&key, "\n---\n");
    syno_buf_puts(&key, src);
    const char *kind = target == SYNO_CUDA_CUBIN ? "cubin" : "ptx";
    void *data;
    size_t size;
    int found = lookup(c, kind, syno_buf_str(&key), &data, &size);
    bool ok = found != 0;
    if (ok) {
        if (how) *how = found == 1 ? SYNO_CUDA_FROM_MEMORY : SYNO_CUDA_FROM_DISK;
        img->target = target;
        img->arch = code_arch;
        img->data = data;
        img->size = size;
    } else {
        ok = syno_cuda_jit_compile(src, name, target, code_arch, img, err);
        if (ok) syno_cuda_cache_put(c, kind, syno_buf_str(&key), img->data, img->size);
        if (how) *how = SYNO_CUDA_COMPILED;
    }
    syno_buf_fini(&key);
    return ok;
}
