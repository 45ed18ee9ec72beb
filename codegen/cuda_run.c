/* cuda_run.c - runtimes (device + cache + loaded modules) and executables
 * (see cuda_run.h). */
#include "codegen/cuda_run.h"

#include "base/clock.h"
#include "base/hash.h"
#include "base/rng.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDLE_MODULES 256 /* unreferenced modules kept loaded for reuse */

typedef struct module_entry {
    struct module_entry *next;
    uint64_t hash;
    char *text;            /* the source it was compiled from */
    syno_cuda_module *mod;
    int refs;
    unsigned gen;
} module_entry;

struct syno_cuda_rt {
    syno_cuda_dev *dev;
    syno_cuda_cache *cache;
    module_entry *modules;
    syno_cuda_rt_stats stats;
};

struct syno_cuda_exe {
    syno_cuda_rt *rt;
    const syno_cuda_prog *p;
    unsigned gen;
    module_entry **mods;   /* per source */
    syno_cufunction *fns;  /* per step */
    syno_cuda_mem *mem;    /* per buffer */
};

/* Opens a runtime (see cuda_run.h). */
syno_cuda_rt *syno_cuda_rt_open(int ordinal, const char *cache_dir, syno_buf *err)
{
    const char *why = NULL;
    if (!syno_cuda_nvrtc_get(&why)) {
        syno_buf_puts(err, why);
        return NULL;
    }
    syno_cuda_dev *dev = syno_cuda_dev_open(ordinal, err);
    if (!dev) return NULL;
    syno_cuda_rt *rt = syno_xcalloc(1, sizeof *rt);
    rt->dev = dev;
    rt->cache = syno_cuda_cache_new(cache_dir);
    return rt;
}

/* Unloads every module (ALL) or the unused ones of an old context.  An
 * old module still held by an executable stays listed (never matched)
 * until that executable gives it back. */
static void drop_modules(syno_cuda_rt *rt, bool all)
{
    for (module_entry **pp = &rt->modules; *pp;) {
        module_entry *m = *pp;
        if (all || (m->gen != syno_cuda_dev_generation(rt->dev) && m->refs == 0)) {
            *pp = m->next;
            syno_cuda_module_unload(rt->dev, m->mod);
            free(m->text);
            free(m);
            rt->stats.modules--;
        } else {
            pp = &m->next;
        }
    }
}

/* Closes RT: unloads its modules, frees its cache, releases the GPU. */
void syno_cuda_rt_close(syno_cuda_rt *rt)
{
    if (!rt) return;
    drop_modules(rt, true);
    syno_cuda_cache_free(rt->cache);
    syno_cuda_dev_close(rt->dev);
    free(rt);
}

static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static syno_cuda_rt *shared_rt;
static char shared_why[1024];

static void close_shared(void)
{
    syno_cuda_rt_close(shared_rt);
    shared_rt = NULL;
}

static void open_shared(void)
{
    syno_buf err = SYNO_BUF_INIT;
    shared_rt = syno_cuda_rt_open(0, NULL, &err);
    if (shared_rt) atexit(close_shared);
    else snprintf(shared_why, sizeof shared_why, "%s", syno_buf_str(&err));
    syno_buf_fini(&err);
}

/* The shared runtime on GPU 0 (see cuda_run.h). */
syno_cuda_rt *syno_cuda_rt_shared(syno_buf *err)
{
    pthread_once(&shared_once, open_shared);
    if (!shared_rt) syno_buf_puts(err, shared_why);
    return shared_rt;
}

/* RT's device (owned by RT). */
syno_cuda_dev *syno_cuda_rt_dev(syno_cuda_rt *rt)
{
    return rt->dev;
}

/* RT's kernel cache (owned by RT). */
syno_cuda_cache *syno_cuda_rt_cache(syno_cuda_rt *rt)
{
    return rt->cache;
}

/* RT's counters so far. */
syno_cuda_rt_stats syno_cuda_rt_get_stats(syno_cuda_rt *rt)
{
    return rt->stats;
}

/* The loaded module of TEXT, compiled or from the cache; NULL with ERR. */
static module_entry *acquire(syno_cuda_rt *rt, const char *text, const char *what, syno_buf *err)
{
    drop_modules(rt, false); /* after a context reset, the old modules are gone */
    uint64_t h = syno_hash_fnv1a(SYNO_HASH_FNV_INIT, text, strlen(text));
    unsigned gen = syno_cuda_dev_generation(rt->dev);
    for (module_entry *m = rt->modules; m; m = m->next)
        if (m->hash == h && m->gen == gen && strcmp(m->text, text) == 0) {
            m->refs++;
            return m;
        }
    double t0 = (1e3 * syno_clock_wall());
    syno_cuda_image img;
    syno_cuda_cache_how how;
    char name[200];
    snprintf(name, sizeof name, "syno_kernel.cu");
    const syno_cuda_dev_info *info = syno_cuda_dev_get_info(rt->dev);
    if (!syno_cuda_cache_image(rt->cache, text, name, info->arch, &img, &how, err)) {
        syno_buf_printf(err, "\n  (while compiling the kernel for %s)", what);
        return NULL;
    }
    if (how == SYNO_CUDA_COMPILED) {
        rt->stats.compiled++;
        rt->stats.compile_ms += img.compile_ms;
    } else {
        rt->stats.from_disk += how == SYNO_CUDA_FROM_DISK;
        rt->stats.from_memory += how == SYNO_CUDA_FROM_MEMORY;
    }
    syno_cuda_module *mod = syno_cuda_module_load(rt->dev, &img, err);
    syno_cuda_image_fini(&img);
    if (!mod) return NULL;
    if (how != SYNO_CUDA_COMPILED) rt->stats.load_ms += (1e3 * syno_clock_wall()) - t0;
    module_entry *m = syno_xcalloc(1, sizeof *m);
    m->hash = h;
    m->text = syno_xstrdup(text);
    m->mod = mod;
    m->refs = 1;
    m->gen = syno_cuda_dev_generation(rt->dev);
    m->next = rt->modules;
    rt->modules = m;
    rt->stats.modules++;
    return m;
}

/* Gives a module back; unreferenced ones beyond MAX_IDLE_MODULES, and
 * unreferenced ones of an old context, are unloaded. */
static void release(syno_cuda_rt *rt, module_entry *m)
{
    if (!m) return;
    m->refs--;
    int idle = 0;
    unsigned gen = syno_cuda_dev_generation(rt->dev);
    for (module_entry **pp = &rt->modules; *pp;) {
        module_entry *e = *pp;
        if (e->refs == 0 && (e->gen != gen || ++idle > MAX_IDLE_MODULES)) {
            *pp = e->next;
            syno_cuda_module_unload(rt->dev, e->mod);
            free(e->text);
            free(e);
            rt->stats.modules--;
        } else {
            pp = &e->next;
        }
    }
}

/* Makes P ready to run (see cuda_run.h). */
syno_cuda_exe *syno_cuda_exe_new(syno_cuda_rt *rt, const syno_cuda_prog *p, syno_buf *err)
{
    syno_cuda_exe *e = syno_xcalloc(1, sizeof *e);
    e->rt = rt;
    e->p = p;
    e->mods = syno_xcalloc((size_t)(p->nsrcs ? p->nsrcs : 1), sizeof *e->mods);
    e->fns = syno_xcalloc((size_t)(p->nsteps ? p->nsteps : 1), sizeof *e->fns);
    e->mem = syno_xcalloc((size_t)(p->nbufs ? p->nbufs : 1), sizeof *e->mem);
    bool ok = true;
    for (int s = 0; s < p->nsrcs && ok; s++) ok = (e->mods[s] = acquire(rt, p->srcs[s].text, p->srcs[s].what, err)) != NULL;
    for (int s = 0; s < p->nsteps && ok; s++)
        ok = syno_cuda_module_function(rt->dev, e->mods[p->steps[s].src]->mod, p->steps[s].kernel, &e->fns[s], err);
    for (int b = 0; b < p->nbufs && ok; b++) {
        ok = syno_cuda_mem_alloc(rt->dev, (size_t)p->bufs[b].numel * sizeof(float), &e->mem[b], err);
        if (!ok) syno_buf_printf(err, "\n  (buffer %s: %lld floats)", p->bufs[b].name, (long long)p->bufs[b].numel);
    }
    e->gen = syno_cuda_dev_generation(rt->dev);
    if (!ok) {
        syno_cuda_exe_free(e);
        return NULL;
    }
    return e;
}

/* Frees E's buffers and gives its modules back. */
void syno_cuda_exe_free(syno_cuda_exe *e)
{
    if (!e) return;
    for (int b = 0; b < e->p->nbufs; b++) syno_cuda_mem_free(e->rt->dev, &e->mem[b]);
    for (int s = 0; s < e->p->nsrcs; s++) release(e->rt, e->mods[s]);
    free(e->mods);
    free(e->fns);
    free(e->mem);
    free(e);
}

static bool usable(syno_cuda_exe *e, syno_buf *err)
{
    if (e->gen == syno_cuda_dev_generation(e->rt->dev)) return true;
    syno_buf_puts(err, "this GPU program was prepared before a GPU context reset; prepare it again");
    return false;
}

/* Copies buffer BUF's elements from HOST to the device; false with ERR. */
bool syno_cuda_exe_upload(syno_cuda_exe *e, int buf, const float *host, syno_buf *err)
{
    SYNO_ASSERT(buf >= 0 && buf < e->p->nbufs);
    return usable(e, err) &&
           syno_cuda_mem_upload(e->rt->dev, &e->mem[buf], host, (size_t)e->p->bufs[buf].numel * sizeof(float), err);
}

/* Copies buffer BUF's elements from the device to HOST; false with ERR. */
bool syno_cuda_exe_download(syno_cuda_exe *e, int buf, float *host, syno_buf *err)
{
    SYNO_ASSERT(buf >= 0 && buf < e->p->nbufs);
    return usable(e, err) &&
           syno_cuda_mem_download(e->rt->dev, host, &e->mem[buf], (size_t)e->p->bufs[buf].numel * sizeof(float), err);
}

/* Uniform [-1, 1) inputs from SEED in every input buffer; false with ERR. */
bool syno_cuda_exe_randomize(syno_cuda_exe *e, uint64_t seed, syno_buf *err)
{
    syno_rng r;
    syno_rng_seed(&r, seed);
    bool ok = true;
    for (int b = 0; b < e->p->nbufs && ok; b++) {
        syno_cuda_buf_kind k = e->p->bufs[b].kind;
        if (k != SYNO_CUDA_BUF_TENSOR && k != SYNO_CUDA_BUF_DY) continue;
        int64_t n = e->p->bufs[b].numel;
        float *h = syno_xmalloc((size_t)(n ? n : 1) * sizeof *h);
        for (int64_t i = 0; i < n; i++) h[i] = (float)(2 * syno_rng_unit(&r) - 1);
        ok = syno_cuda_exe_upload(e, b, h, err);
        free(h);
    }
    return ok;
}

/* Queues every launch. */
static bool launch_all(syno_cuda_exe *e, syno_buf *err)
{
    const syno_cuda_prog *p = e->p;
    for (int s = 0; s < p->nsteps; s++) {
        const syno_cuda_step *st = &p->steps[s];
        void *args[SYNO_CUDA_MAX_ARGS];
        for (int a = 0; a < st->nargs; a++) args[a] = &e->mem[st->args[a]].ptr;
        if (!syno_cuda_launch_kernel(e->rt->dev, e->fns[s], st->grid, st->block, 0, args, err)) {
            syno_buf_printf(err, "\n  (launching %s)", st->kernel);
            return false;
        }
    }
    return true;
}

/* Every launch in order, then a sync; false with ERR (a faulting kernel included). */
bool syno_cuda_exe_run(syno_cuda_exe *e, syno_buf *err)
{
    return usable(e, err) && launch_all(e, err) && syno_cuda_sync(e->rt->dev, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Warm-up runs, then the median (and minimum) of REPS runs timed with GPU events. */
bool syno_cuda_exe_time(syno_cuda_exe *e, int warmup, int reps, double *median_ms, double *min_ms, syno_buf *err)
{
    if (!usable(e, err)) return false;
    for (int i = 0; i < warmup; i++)
        if (!launch_all(e, err)) return false;
    if (!syno_cuda_sync(e->rt->dev, err)) return false;
    if (reps < 1) reps = 1;
    double *t = syno_xmalloc((size_t)reps * sizeof *t);
    bool ok = true;
    for (int i = 0; i < reps && ok; i++) {
        syno_cuda_timer tm;
        ok = syno_cuda_timer_start(e->rt->dev, &tm, err) && launch_all(e, err) &&
             syno_cuda_timer_stop(e->rt->dev, &tm, &t[i], err);
    }
    if (ok) {
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        *median_ms = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
        if (min_ms) *min_ms = t[0];
    }
    free(t);
    return ok;
}
