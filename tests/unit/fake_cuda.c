/* fake_cuda.c - a stand-in for libcuda.so.1 in tests: the driver API
 * entry points syno uses (codegen/cuda_fns.def), implemented on the CPU.
 *
 * It lets CI, which has no GPU, run the host side of the CUDA backend for
 * real: device properties, the primary context, memory (malloc, with a
 * 1 GiB limit, so allocating more is CUDA_ERROR_OUT_OF_MEMORY), copies,
 * events, module loading (an image must look like a CUBIN or PTX), launch
 * checks (more than 1024 threads per block is CUDA_ERROR_INVALID_VALUE),
 * sticky errors (a kernel named syno_fault "faults": every call then
 * returns CUDA_ERROR_ILLEGAL_ADDRESS until the primary context is reset,
 * which frees all memory).  Kernels run on the CPU emulator: the test
 * compiles the generated sources with tests/unit/cuda_emu.h into a shared
 * object named by $SYNO_FAKE_CUDA_KERNELS, in which each kernel K has a
 * launcher K__syno_emu(params, grid, block); the CUBIN NVRTC made is
 * checked and otherwise ignored.  Built by tests/unit/t_cuda_gpu.c with
 * the C compiler and loaded through SYNO_CUDA_LIBRARY.  Never shipped. */
#include "codegen/cuda_api.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MEMORY ((size_t)1 << 30)

typedef struct alloc {
    struct alloc *next;
    void *p;
    size_t bytes;
} alloc;

typedef struct fake_fn {
    void (*launch)(void **params, const unsigned *grid, const unsigned *block);
    int fault;
} fake_fn;

static int sticky;          /* a sticky error, until the context is reset */
static int ctx_token = 1;   /* the primary context's address, in effect */
static alloc *allocs;
static size_t used;
static void *kernels;       /* the dlopen'ed kernel object */

int cuInit(unsigned int flags)
{
    return flags == 0 ? SYNO_CUDA_SUCCESS : SYNO_CUDA_ERROR_INVALID_VALUE;
}

int cuDriverGetVersion(int *v)
{
    *v = 13000;
    return 0;
}

static const char *name_of(int r)
{
    switch (r) {
#define X(name, value) \
    case value: return #name;
        SYNO_CU_ERRORS(X)
#undef X
    default: return NULL;
    }
}

int cuGetErrorName(int r, const char **s)
{
    *s = name_of(r);
    return *s ? 0 : SYNO_CUDA_ERROR_INVALID_VALUE;
}

int cuGetErrorString(int r, const char **s)
{
    static char buf[160];
    const char *n = name_of(r);
    if (!n) return SYNO_CUDA_ERROR_INVALID_VALUE;
    snprintf(buf, sizeof buf, "%s (from the fake test driver)", n);
    *s = buf;
    return 0;
}

int cuDeviceGetCount(int *n)
{
    *n = 1;
    return 0;
}

int cuDeviceGet(int *dev, int ordinal)
{
    if (ordinal != 0) return SYNO_CUDA_ERROR_INVALID_DEVICE;
    *dev = 0;
    return 0;
}

int cuDeviceGetName(char *name, int len, int dev)
{
    (void)dev;
    snprintf(name, (size_t)len, "syno fake GPU (CPU emulation)");
    return 0;
}

int cuDeviceGetAttribute(int *v, int attr, int dev)
{
    (void)dev;
    switch (attr) {
    case SYNO_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = 48 * 1024; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 132; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *v = 50 << 20; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *v = 228 * 1024; break;
    case SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = 227 * 1024; break;
    default: return SYNO_CUDA_ERROR_INVALID_VALUE;
    }
    return 0;
}

int cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
    (void)dev;
    *bytes = FAKE_MEMORY;
    return 0;
}

int cuDevicePrimaryCtxRetain(void **ctx, int dev)
{
    (void)dev;
    *ctx = &ctx_token;
    return 0;
}

int cuDevicePrimaryCtxRelease_v2(int dev)
{
    (void)dev;
    return 0;
}

int cuDevicePrimaryCtxReset_v2(int dev)
{
    (void)dev;
    while (allocs) {
        alloc *a = allocs;
        allocs = a->next;
        free(a->p);
        free(a);
    }
    used = 0;
    sticky = 0;
    return 0;
}

int cuCtxSetCurrent(void *ctx)
{
    return ctx == &ctx_token ? 0 : SYNO_CUDA_ERROR_INVALID_CONTEXT;
}

int cuCtxSynchronize(void)
{
    return sticky;
}

int cuModuleLoadDataEx(void **mod, const void *image, unsigned nopts, int *opts, void **vals)
{
    (void)nopts;
    (void)opts;
    (void)vals;
    if (sticky) return sticky;
    const char *s = image;
    if (memcmp(s, "\177ELF", 4) != 0 && !strstr(s, ".version")) return SYNO_CUDA_ERROR_INVALID_IMAGE;
    *mod = malloc(1);
    return 0;
}

int cuModuleGetFunction(void **fn, void *mod, const char *name)
{
    (void)mod;
    if (sticky) return sticky;
    fake_fn *f = calloc(1, sizeof *f);
    if (strcmp(name, "syno_fault") == 0) {
        f->fault = 1;
        *fn = f;
        return 0;
    }
    if (!kernels) {
        const char *path = getenv("SYNO_FAKE_CUDA_KERNELS");
        kernels = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
        if (!kernels) {
            fprintf(stderr, "fake driver: no kernel object (%s)\n", path ? dlerror() : "SYNO_FAKE_CUDA_KERNELS unset");
            free(f);
            return SYNO_CUDA_ERROR_NOT_FOUND;
        }
    }
    char sym[512];
    snprintf(sym, sizeof sym, "%s__syno_emu", name);
    *(void **)&f->launch = dlsym(kernels, sym);
    if (!f->launch) {
        free(f);
        return SYNO_CUDA_ERROR_NOT_FOUND;
    }
    *fn = f;
    return 0;
}

int cuModuleUnload(void *mod)
{
    free(mod);
    return sticky;
}

int cuFuncGetAttribute(int *v, int attr, void *fn)
{
    (void)fn;
    *v = attr == SYNO_CU_FUNC_ATTRIBUTE_NUM_REGS ? 32 : attr == SYNO_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK ? 1024 : 0;
    return sticky;
}

int cuFuncSetAttribute(void *fn, int attr, int v)
{
    (void)fn;
    (void)attr;
    (void)v;
    return sticky;
}

int cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void *stream, void **params, void **extra)
{
    (void)stream;
    (void)extra;
    if (sticky) return sticky;
    if ((uint64_t)bx * by * bz > 1024 || bx > 1024 || by > 1024 || bz > 64 || gy > 65535 || gz > 65535 || !gx || !gy ||
        !gz || !bx || !by || !bz || shared > 48 * 1024)
        return SYNO_CUDA_ERROR_INVALID_VALUE;
    fake_fn *f = fn;
    if (f->fault) {
        sticky = SYNO_CUDA_ERROR_ILLEGAL_ADDRESS; /* reported by the next call, as a real fault is */
        return 0;
    }
    unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
    f->launch(params, grid, block);
    return 0;
}

int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes)
{
    if (sticky) return sticky;
    if (bytes == 0) return SYNO_CUDA_ERROR_INVALID_VALUE;
    if (bytes > FAKE_MEMORY - used) return SYNO_CUDA_ERROR_OUT_OF_MEMORY;
    alloc *a = malloc(sizeof *a);
    a->p = malloc(bytes);
    if (!a->p) {
        free(a);
        return SYNO_CUDA_ERROR_OUT_OF_MEMORY;
    }
    a->bytes = bytes;
    a->next = allocs;
    allocs = a;
    used += bytes;
    *ptr = (unsigned long long)(uintptr_t)a->p;
    return 0;
}

int cuMemFree_v2(unsigned long long ptr)
{
    for (alloc **pp = &allocs; *pp; pp = &(*pp)->next)
        if ((uintptr_t)(*pp)->p == ptr) {
            alloc *a = *pp;
            *pp = a->next;
            used -= a->bytes;
            free(a->p);
            free(a);
            return sticky;
        }
    return sticky ? sticky : SYNO_CUDA_ERROR_INVALID_VALUE;
}

int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t bytes)
{
    if (sticky) return sticky;
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return 0;
}

int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t bytes)
{
    if (sticky) return sticky;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return 0;
}

int cuMemsetD32_v2(unsigned long long dst, unsigned value, size_t n)
{
    if (sticky) return sticky;
    unsigned *p = (unsigned *)(uintptr_t)dst;
    for (size_t i = 0; i < n; i++) p[i] = value;
    return 0;
}

int cuMemGetInfo_v2(size_t *free_bytes, size_t *total)
{
    *free_bytes = FAKE_MEMORY - used;
    *total = FAKE_MEMORY;
    return sticky;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cuEventCreate(void **ev, unsigned flags)
{
    (void)flags;
    if (sticky) return sticky;
    *ev = calloc(1, sizeof(double));
    return 0;
}

int cuEventDestroy_v2(void *ev)
{
    free(ev);
    return 0;
}

int cuEventRecord(void *ev, void *stream)
{
    (void)stream;
    if (sticky) return sticky;
    *(double *)ev = now_ms();
    return 0;
}

int cuEventSynchronize(void *ev)
{
    (void)ev;
    return sticky;
}

int cuEventElapsedTime_v2(float *ms, void *start, void *end)
{
    if (sticky) return sticky;
    *ms = (float)(*(double *)end - *(double *)start);
    return 0;
}
