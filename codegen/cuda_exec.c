/* cuda_exec.c - device, memory, modules and launches through the driver
 * API, with errors that leave the process usable (see cuda_exec.h). */
#include "codegen/cuda_exec.h"

#include <stdlib.h>
#include <string.h>

struct syno_cuda_dev {
    const syno_cuda_driver *drv;
    syno_cudevice dev;
    syno_cucontext ctx;
    unsigned seen;       /* the generation CTX was retained in */
    syno_cuda_dev_info info;
};

/* Context generations per GPU, process-wide: every syno_cuda_dev of a GPU
 * shares its primary context, so a reset through one is seen by all. */
#define MAX_GPUS 64
static unsigned generations[MAX_GPUS];

static unsigned gen_of(const syno_cuda_dev *d)
{
    return __atomic_load_n(&generations[d->info.ordinal % MAX_GPUS], __ATOMIC_ACQUIRE);
}

struct syno_cuda_module {
    syno_cumodule mod;
    unsigned gen;
};

/* Whether R poisons the context. */
static bool result_is_sticky(syno_curesult r)
{
    switch (r) {
    case SYNO_CUDA_ERROR_ILLEGAL_ADDRESS:
    case SYNO_CUDA_ERROR_LAUNCH_TIMEOUT:
    case SYNO_CUDA_ERROR_ASSERT:
    case SYNO_CUDA_ERROR_HARDWARE_STACK_ERROR:
    case SYNO_CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case SYNO_CUDA_ERROR_MISALIGNED_ADDRESS:
    case SYNO_CUDA_ERROR_INVALID_ADDRESS_SPACE:
    case SYNO_CUDA_ERROR_INVALID_PC:
    case SYNO_CUDA_ERROR_LAUNCH_FAILED:
    case SYNO_CUDA_ERROR_ECC_UNCORRECTABLE:
    case SYNO_CUDA_ERROR_UNKNOWN: return true;
    default: return false;
    }
}

/* Throws the poisoned primary context away and starts a new one. */
static void reset(syno_cuda_dev *d, syno_buf *err)
{
    const syno_cuda_driver *drv = d->drv;
    drv->cuDevicePrimaryCtxRelease(d->dev);
    syno_curesult r = drv->cuDevicePrimaryCtxReset(d->dev);
    if (r == SYNO_CUDA_SUCCESS) r = drv->cuDevicePrimaryCtxRetain(&d->ctx, d->dev);
    if (r == SYNO_CUDA_SUCCESS) r = drv->cuCtxSetCurrent(d->ctx);
    d->seen = __atomic_add_fetch(&generations[d->info.ordinal % MAX_GPUS], 1, __ATOMIC_ACQ_REL);
    if (r == SYNO_CUDA_SUCCESS) {
        syno_buf_puts(err, "; the GPU context was reset (its buffers and kernels are gone) and the GPU is usable again");
    } else {
        syno_buf_puts(err, "; resetting the GPU context failed too: ");
        syno_cuda_result_describe(drv, r, err);
        d->ctx = NULL;
    }
}

/* Turns R into a message "WHAT: NAME (N): description" and recovers from
 * sticky errors.  True when R is success. */
static bool check(syno_cuda_dev *d, syno_curesult r, const char *what, syno_buf *err)
{
    if (r == SYNO_CUDA_SUCCESS) return true;
    syno_buf_printf(err, "%s: ", what);
    syno_cuda_result_describe(d->drv, r, err);
    if (result_is_sticky(r)) reset(d, err);
    return false;
}

/* Makes the context current on this thread (retaining it anew when
 * another handle of this GPU reset it). */
static bool enter(syno_cuda_dev *d, syno_buf *err)
{
    unsigned g = gen_of(d);
    if (d->seen != g) {
        d->seen = g;
        if (!check(d, d->drv->cuDevicePrimaryCtxRetain(&d->ctx, d->dev), "cuDevicePrimaryCtxRetain", err)) {
            d->ctx = NULL;
            return false;
        }
    }
    if (!d->ctx) {
        syno_buf_puts(err, "the GPU context is gone (an earlier reset failed)");
        return false;
    }
    return check(d, d->drv->cuCtxSetCurrent(d->ctx), "cuCtxSetCurrent", err);
}

static const char *human_bytes(size_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

/* Opens a GPU (see cuda_exec.h). */
syno_cuda_dev *syno_cuda_dev_open(int ordinal, syno_buf *err)
{
    const char *why = NULL;
    const syno_cuda_driver *drv = syno_cuda_driver_get(&why);
    if (!drv) {
        syno_buf_puts(err, why);
        return NULL;
    }
    if (ordinal < 0 || ordinal >= drv->ndevices) {
        syno_buf_printf(err, "no GPU %d: the driver reports %d", ordinal, drv->ndevices);
        return NULL;
    }
    syno_cuda_dev *d = syno_xcalloc(1, sizeof *d);
    d->drv = drv;
    syno_cuda_dev_info *in = &d->info;
    in->ordinal = ordinal;
    syno_curesult r = drv->cuDeviceGet(&d->dev, ordinal);
    if (r == SYNO_CUDA_SUCCESS) r = drv->cuDevicePrimaryCtxRetain(&d->ctx, d->dev);
    if (r == SYNO_CUDA_SUCCESS) r = drv->cuCtxSetCurrent(d->ctx);
    if (r != SYNO_CUDA_SUCCESS) {
        syno_buf_printf(err, "cannot open GPU %d: ", ordinal);
        syno_cuda_result_describe(drv, r, err);
        free(d);
        return NULL;
    }
    if (drv->cuDeviceGetName(in->name, (int)sizeof in->name, d->dev) != SYNO_CUDA_SUCCESS)
        snprintf(in->name, sizeof in->name, "GPU %d", ordinal);
    struct {
        int attr, *dst;
    } attrs[] = {
        {SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &in->cc_major},
        {SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &in->cc_minor},
        {SYNO_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &in->sms},
        {SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, &in->smem_block},
        {SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &in->smem_optin},
        {SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, &in->smem_sm},
        {SYNO_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, &in->l2},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(attrs); i++)
        if (drv->cuDeviceGetAttribute(attrs[i].dst, attrs[i].attr, d->dev) != SYNO_CUDA_SUCCESS) *attrs[i].dst = 0;
    in->arch = in->cc_major * 10 + in->cc_minor;
    if (drv->cuDeviceTotalMem(&in->total_mem, d->dev) != SYNO_CUDA_SUCCESS) in->total_mem = 0;
    in->driver_version = drv->version;
    d->seen = gen_of(d);
    return d;
}

/* Releases the primary context. */
void syno_cuda_dev_close(syno_cuda_dev *d)
{
    if (!d) return;
    if (d->ctx) d->drv->cuDevicePrimaryCtxRelease(d->dev);
    free(d);
}

/* D's properties (owned by D). */
const syno_cuda_dev_info *syno_cuda_dev_get_info(const syno_cuda_dev *d)
{
    return &d->info;
}

/* The process-wide context generation of D's GPU. */
unsigned syno_cuda_dev_generation(const syno_cuda_dev *d)
{
    return gen_of(d);
}

static bool current(syno_cuda_dev *d, unsigned gen, const char *what, syno_buf *err)
{
    if (gen == gen_of(d)) return true;
    syno_buf_printf(err, "%s from before a GPU context reset can no longer be used", what);
    return false;
}

/* ---- memory --------------------------------------------------------------- */

/* BYTES of device memory into *M; false with the reason (sizes, free memory) in ERR. */
bool syno_cuda_mem_alloc(syno_cuda_dev *d, size_t bytes, syno_cuda_mem *m, syno_buf *err)
{
    memset(m, 0, sizeof *m);
    m->gen = gen_of(d);
    if (bytes == 0) return true;
    if (!enter(d, err)) return false;
    char what[96], hb[32];
    snprintf(what, sizeof what, "cuMemAlloc of %s", human_bytes(bytes, hb, sizeof hb));
    if (!check(d, d->drv->cuMemAlloc(&m->ptr, bytes), what, err)) {
        size_t free_b = 0, total_b = 0;
        if (d->drv->cuMemGetInfo(&free_b, &total_b) == SYNO_CUDA_SUCCESS) {
            char fb[32], tb[32];
            syno_buf_printf(err, " (%s of %s free)", human_bytes(free_b, fb, sizeof fb), human_bytes(total_b, tb, sizeof tb));
        }
        m->ptr = 0;
        return false;
    }
    m->bytes = bytes;
    return true;
}

/* Frees M (a no-op for an empty buffer or one of an old generation) and zeroes it. */
void syno_cuda_mem_free(syno_cuda_dev *d, syno_cuda_mem *m)
{
    syno_buf ignored = SYNO_BUF_INIT;
    if (m->ptr && m->gen == gen_of(d) && enter(d, &ignored)) d->drv->cuMemFree(m->ptr);
    syno_buf_fini(&ignored);
    memset(m, 0, sizeof *m);
}

/* Copies BYTES (at most M's size) from host SRC to M; false with ERR. */
bool syno_cuda_mem_upload(syno_cuda_dev *d, const syno_cuda_mem *m, const void *src, size_t bytes, syno_buf *err)
{
    SYNO_ASSERT(bytes <= m->bytes);
    if (bytes == 0) return true;
    if (!current(d, m->gen, "a buffer", err) || !enter(d, err)) return false;
    return check(d, d->drv->cuMemcpyHtoD(m->ptr, src, bytes), "cuMemcpyHtoD", err);
}

/* Copies BYTES from M to host DST; reports a kernel fault that surfaces here. */
bool syno_cuda_mem_download(syno_cuda_dev *d, void *dst, const syno_cuda_mem *m, size_t bytes, syno_buf *err)
{
    SYNO_ASSERT(bytes <= m->bytes);
    if (bytes == 0) return true;
    if (!current(d, m->gen, "a buffer", err) || !enter(d, err)) return false;
    return check(d, d->drv->cuMemcpyDtoH(dst, m->ptr, bytes), "cuMemcpyDtoH (a kernel before it may have failed)", err);
}

/* ---- modules and launches ------------------------------------------------- */

/* Loads IMG into the current context; NULL with the driver's JIT log in ERR. */
syno_cuda_module *syno_cuda_module_load(syno_cuda_dev *d, const syno_cuda_image *img, syno_buf *err)
{
    if (!enter(d, err)) return NULL;
    char errlog[8192] = "";
    int opts[2] = {SYNO_CU_JIT_ERROR_LOG_BUFFER, SYNO_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *vals[2] = {errlog, (void *)(uintptr_t)sizeof errlog};
    syno_cumodule mod = NULL;
    char what[96];
    snprintf(what, sizeof what, "cuModuleLoadDataEx (%s, %zu bytes)", syno_cuda_target_name(img->target, img->arch),
             img->size);
    if (!check(d, d->drv->cuModuleLoadDataEx(&mod, img->data, 2, opts, vals), what, err)) {
        errlog[sizeof errlog - 1] = 0;
        if (errlog[0]) syno_buf_printf(err, "\n  %s", errlog);
        return NULL;
    }
    syno_cuda_module *m = syno_xcalloc(1, sizeof *m);
    m->mod = mod;
    m->gen = gen_of(d);
    return m;
}

/* Unloads M (only when its context still exists) and frees it. */
void syno_cuda_module_unload(syno_cuda_dev *d, syno_cuda_module *m)
{
    if (!m) return;
    syno_buf ignored = SYNO_BUF_INIT;
    if (m->gen == gen_of(d) && enter(d, &ignored)) d->drv->cuModuleUnload(m->mod);
    syno_buf_fini(&ignored);
    free(m);
}

/* Kernel NAME of M into *FN; false with ERR (a missing name included). */
bool syno_cuda_module_function(syno_cuda_dev *d, syno_cuda_module *m, const char *name, syno_cufunction *fn,
                               syno_buf *err)
{
    if (!current(d, m->gen, "a kernel module", err) || !enter(d, err)) return false;
    char what[200];
    snprintf(what, sizeof what, "cuModuleGetFunction(%s)", name);
    return check(d, d->drv->cuModuleGetFunction(fn, m->mod, name), what, err);
}

/* Queues FN on the default stream; configuration errors are reported here. */
bool syno_cuda_launch_kernel(syno_cuda_dev *d, syno_cufunction fn, const unsigned grid[3],
                             const unsigned block[3], unsigned shared_bytes, void **args, syno_buf *err)
{
    if (!enter(d, err)) return false;
    char what[160];
    snprintf(what, sizeof what, "cuLaunchKernel grid (%u,%u,%u) block (%u,%u,%u)", grid[0], grid[1], grid[2], block[0],
             block[1], block[2]);
    return check(d,
                 d->drv->cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], shared_bytes, NULL,
                                        args, NULL),
                 what, err);
}

/* Waits for queued work; a kernel fault is reported (and the context reset) here. */
bool syno_cuda_sync(syno_cuda_dev *d, syno_buf *err)
{
    if (!enter(d, err)) return false;
    return check(d, d->drv->cuCtxSynchronize(), "a kernel failed (cuCtxSynchronize)", err);
}

/* ---- timing --------------------------------------------------------------- */

/* Creates two events and records the first; false with ERR. */
bool syno_cuda_timer_start(syno_cuda_dev *d, syno_cuda_timer *t, syno_buf *err)
{
    memset(t, 0, sizeof *t);
    t->gen = gen_of(d);
    if (!enter(d, err)) return false;
    if (!check(d, d->drv->cuEventCreate(&t->start, SYNO_CU_EVENT_DEFAULT), "cuEventCreate", err)) return false;
    if (!check(d, d->drv->cuEventCreate(&t->stop, SYNO_CU_EVENT_DEFAULT), "cuEventCreate", err)) {
        d->drv->cuEventDestroy(t->start);
        return false;
    }
    if (!check(d, d->drv->cuEventRecord(t->start, NULL), "cuEventRecord", err)) {
        d->drv->cuEventDestroy(t->start);
        d->drv->cuEventDestroy(t->stop);
        return false;
    }
    return true;
}

/* Records the second event, waits, puts the elapsed milliseconds in *MS and frees the events. */
bool syno_cuda_timer_stop(syno_cuda_dev *d, syno_cuda_timer *t, double *ms, syno_buf *err)
{
    float f = 0;
    bool ok = enter(d, err) && check(d, d->drv->cuEventRecord(t->stop, NULL), "cuEventRecord", err) &&
              check(d, d->drv->cuEventSynchronize(t->stop), "a kernel failed (cuEventSynchronize)", err) &&
              check(d, d->drv->cuEventElapsedTime(&f, t->start, t->stop), "cuEventElapsedTime", err);
    *ms = f;
    if (t->gen == gen_of(d)) { /* events of a reset context are gone with it */
        if (t->start) d->drv->cuEventDestroy(t->start);
        if (t->stop) d->drv->cuEventDestroy(t->stop);
    }
    memset(t, 0, sizeof *t);
    return ok;
}
