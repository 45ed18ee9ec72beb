/* cuda_load.c - dlopen of the CUDA driver and of NVRTC, and why they are
 * unavailable when they are.
 *
 * Every entry point comes from cuda_fns.def by its exact exported symbol.
 * Each library is loaded once per process under pthread_once; the result
 * (a filled table of function pointers, or a reason) never changes after
 * that, so callers may keep the pointers.  Libraries are never dlclose'd:
 * NVRTC and the driver keep threads and state that outlive any caller. */
#define _GNU_SOURCE
#include "config.h"

#include "codegen/cuda_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- error names ---------------------------------------------------------- */

/* Returns the name of R or a "CUresult N" placeholder (per-thread buffer). */
static const char *result_name(syno_curesult r)
{
    switch (r) {
#define NAME_CASE(name, value) \
    case value: return #name;
        SYNO_CU_ERRORS(NAME_CASE)
#undef NAME_CASE
    default: break;
    }
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "CUresult %d", r);
    return buf;
}

/* Appends "NAME (N)" and, when the driver knows one, ": description". */
void syno_cuda_result_describe(const syno_cuda_driver *drv, syno_curesult r, syno_buf *out)
{
    syno_buf_printf(out, "%s (%d)", result_name(r), r);
    const char *text = NULL;
    if (drv && drv->cuGetErrorString && drv->cuGetErrorString(r, &text) == SYNO_CUDA_SUCCESS && text && *text)
        syno_buf_printf(out, ": %s", text);
}

/* ---- helpers -------------------------------------------------------------- */

/* Resolves SYM (or ALT when SYM is missing and ALT is not empty) in LIB. */
static void *lookup(void *lib, const char *sym, const char *alt)
{
    void *p = dlsym(lib, sym);
    if (!p && alt && *alt) p = dlsym(lib, alt);
    return p;
}

/* The file a loaded library came from, found through one of its symbols. */
static void library_path(const void *sym, const char *fallback, char *out, size_t n)
{
    Dl_info info;
    if (sym && dladdr(sym, &info) && info.dli_fname && *info.dli_fname) snprintf(out, n, "%s", info.dli_fname);
    else snprintf(out, n, "%s", fallback);
}

/* ---- driver --------------------------------------------------------------- */

static pthread_once_t driver_once = PTHREAD_ONCE_INIT;
static syno_cuda_driver driver;
static const syno_cuda_driver *driver_ok;
static char driver_why[768];

static void load_driver(void)
{
    const char *env = getenv("SYNO_CUDA_LIBRARY");
    const char *name = env && *env ? env : "libcuda.so.1";
    driver.lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!driver.lib) {
        const char *e = dlerror();
        snprintf(driver_why, sizeof driver_why, "no CUDA driver: %s", e ? e : name);
        return;
    }
#define SYNO_CUDA_FN(lib, ret, fname, sym, alt, params) SYNO_CUDA_FN_##lib(fname, sym, alt)
#define SYNO_CUDA_FN_DRV(fname, sym, alt)                                                                 \
    *(void **)&driver.fname = lookup(driver.lib, sym, alt);                                             \
    if (!driver.fname) {                                                                                \
        snprintf(driver_why, sizeof driver_why, "the CUDA driver %s has no %s (too old for CUDA 13?)", name, \
                 sym);                                                                                  \
        return;                                                                                         \
    }
#define SYNO_CUDA_FN_NVRTC(fname, sym, alt)
#include "codegen/cuda_fns.def"
#undef SYNO_CUDA_FN_DRV
#undef SYNO_CUDA_FN_NVRTC
#undef SYNO_CUDA_FN
    library_path((const void *)driver.cuInit, name, driver.path, sizeof driver.path);
    syno_curesult r = driver.cuInit(0);
    if (r != SYNO_CUDA_SUCCESS) {
        syno_buf b = SYNO_BUF_INIT;
        syno_cuda_result_describe(r == SYNO_CUDA_ERROR_STUB_LIBRARY ? NULL : &driver, r, &b);
        if (r == SYNO_CUDA_ERROR_STUB_LIBRARY)
            snprintf(driver_why, sizeof driver_why,
                     "no CUDA driver: %s is the CUDA toolkit's stub library (cuInit: %s); no NVIDIA driver is installed",
                     driver.path, syno_buf_str(&b));
        else if (r == SYNO_CUDA_ERROR_NO_DEVICE)
            snprintf(driver_why, sizeof driver_why, "no CUDA device (cuInit: %s)", syno_buf_str(&b));
        else
            snprintf(driver_why, sizeof driver_why, "no usable CUDA driver: cuInit failed: %s", syno_buf_str(&b));
        syno_buf_fini(&b);
        return;
    }
    if (driver.cuDriverGetVersion(&driver.version) != SYNO_CUDA_SUCCESS) driver.version = 0;
    if (driver.cuDeviceGetCount(&driver.ndevices) != SYNO_CUDA_SUCCESS || driver.ndevices <= 0) {
        snprintf(driver_why, sizeof driver_why, "no CUDA device (the driver at %s reports none)", driver.path);
        return;
    }
    driver_ok = &driver;
}

/* The initialised driver, or NULL and why (see cuda_load.h). */
const syno_cuda_driver *syno_cuda_driver_get(const char **why)
{
    pthread_once(&driver_once, load_driver);
    if (!driver_ok && why) *why = driver_why;
    return driver_ok;
}

/* ---- NVRTC ---------------------------------------------------------------- */

static pthread_once_t nvrtc_once = PTHREAD_ONCE_INIT;
static syno_nvrtc nvrtc;
static const syno_nvrtc *nvrtc_ok;
static char nvrtc_why[1024];

/* Tries to dlopen NAME; on failure remembers the first error seen. */
static void *try_open(const char *name, char *first_error, size_t n)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h && !*first_error) {
        const char *e = dlerror();
        snprintf(first_error, n, "%s", e ? e : name);
    }
    return h;
}

static void *open_nvrtc(char *first_error, size_t n)
{
    const char *sonames[] = {"libnvrtc.so.13", "libnvrtc.so.12"};
    for (size_t i = 0; i < SYNO_ARRAY_LEN(sonames); i++) {
        void *h = try_open(sonames[i], first_error, n);
        if (h) return h;
    }
    const char *dirs[4];
    int ndirs = 0;
    char cuda_home[512] = "";
    const char *home = getenv("CUDA_HOME");
    if (home && *home) {
        snprintf(cuda_home, sizeof cuda_home, "%s/lib64", home);
        dirs[ndirs++] = cuda_home;
    }
#ifdef SYNO_CUDA_INCLUDE_DIR
    /* configure found the toolkit: its include dir sits next to lib64. */
    char configured[512];
    snprintf(configured, sizeof configured, "%s/../lib64", SYNO_CUDA_INCLUDE_DIR);
    dirs[ndirs++] = configured;
#endif
    dirs[ndirs++] = "/usr/local/cuda/lib64";
    for (int d = 0; d < ndirs; d++)
        for (size_t i = 0; i < SYNO_ARRAY_LEN(sonames); i++) {
            char path[1100];
            snprintf(path, sizeof path, "%s/%s", dirs[d], sonames[i]);
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (h) return h;
        }
    return NULL;
}

static void load_nvrtc(void)
{
    const char *env = getenv("SYNO_NVRTC_LIBRARY");
    char first_error[600] = "";
    if (env && strcmp(env, "none") == 0) {
        snprintf(nvrtc_why, sizeof nvrtc_why, "no NVRTC: disabled by SYNO_NVRTC_LIBRARY=none");
        return;
    }
    nvrtc.lib = env && *env ? try_open(env, first_error, sizeof first_error) : open_nvrtc(first_error, sizeof first_error);
    if (!nvrtc.lib) {
        snprintf(nvrtc_why, sizeof nvrtc_why, "no NVRTC: %s", first_error);
        return;
    }
#define SYNO_CUDA_FN(lib, ret, fname, sym, alt, params) SYNO_CUDA_FN_##lib(fname, sym, alt)
#define SYNO_CUDA_FN_DRV(fname, sym, alt)
#define SYNO_CUDA_FN_NVRTC(fname, sym, alt)                                                           \
    *(void **)&nvrtc.fname = lookup(nvrtc.lib, sym, alt);                                           \
    if (!nvrtc.fname) {                                                                             \
        snprintf(nvrtc_why, sizeof nvrtc_why, "no NVRTC: the library has no %s (older than CUDA 11.2?)", sym); \
        return;                                                                                     \
    }
#include "codegen/cuda_fns.def"
#undef SYNO_CUDA_FN_DRV
#undef SYNO_CUDA_FN_NVRTC
#undef SYNO_CUDA_FN
    library_path((const void *)nvrtc.nvrtcVersion, env ? env : "libnvrtc", nvrtc.path, sizeof nvrtc.path);
    if (nvrtc.nvrtcVersion(&nvrtc.major, &nvrtc.minor) != SYNO_NVRTC_SUCCESS) {
        snprintf(nvrtc_why, sizeof nvrtc_why, "no NVRTC: nvrtcVersion failed in %s", nvrtc.path);
        return;
    }
    int n = 0;
    if (nvrtc.nvrtcGetNumSupportedArchs(&n) == SYNO_NVRTC_SUCCESS && n > 0 && n <= (int)SYNO_ARRAY_LEN(nvrtc.archs) &&
        nvrtc.nvrtcGetSupportedArchs(nvrtc.archs) == SYNO_NVRTC_SUCCESS)
        nvrtc.narchs = n;
    /* Preload the builtins from NVRTC's own directory (see cuda_load.h). */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", nvrtc.path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        char path[700];
        snprintf(path, sizeof path, "%s/libnvrtc-builtins.so.%d.%d", dir, nvrtc.major, nvrtc.minor);
        if (!dlopen(path, RTLD_NOW | RTLD_GLOBAL)) (void)dlerror();
    }
    nvrtc_ok = &nvrtc;
}

/* NVRTC, or NULL and why (see cuda_load.h). */
const syno_nvrtc *syno_cuda_nvrtc_get(const char **why)
{
    pthread_once(&nvrtc_once, load_nvrtc);
    if (!nvrtc_ok && why) *why = nvrtc_why;
    return nvrtc_ok;
}

/* Whether N compiles real code for sm_ARCH. */
bool syno_cuda_nvrtc_has_arch(const syno_nvrtc *n, int arch)
{
    for (int i = 0; n && i < n->narchs; i++)
        if (n->archs[i] == arch) return true;
    return false;
}

/* ---- --version ------------------------------------------------------------ */

/* Prints the NVRTC and driver lines of `syno --version` to F. */
void syno_cuda_print_version(FILE *f)
{
    const char *why = NULL;
    const syno_nvrtc *n = syno_cuda_nvrtc_get(&why);
    if (n) {
        fprintf(f, "nvrtc: %d.%d (%s)", n->major, n->minor, n->path);
        if (n->narchs) fprintf(f, ", sm_%d..sm_%d", n->archs[0], n->archs[n->narchs - 1]);
        fprintf(f, "\n");
    } else {
        fprintf(f, "%s\n", why); /* "no NVRTC: ..." */
    }
    const syno_cuda_driver *d = syno_cuda_driver_get(&why);
    if (!d) {
        fprintf(f, "%s\n", why); /* "no CUDA driver: ...", "no CUDA device ..." */
        return;
    }
    fprintf(f, "cuda driver: %d.%d (%s), %d device%s", d->version / 1000, d->version % 1000 / 10, d->path,
            d->ndevices, d->ndevices == 1 ? "" : "s");
    for (int i = 0; i < d->ndevices && i < 8; i++) {
        syno_cudevice dev;
        char name[256] = "?";
        int maj = 0, min = 0;
        if (d->cuDeviceGet(&dev, i) != SYNO_CUDA_SUCCESS) continue;
        if (d->cuDeviceGetName(name, (int)sizeof name, dev) != SYNO_CUDA_SUCCESS) snprintf(name, sizeof name, "?");
        d->cuDeviceGetAttribute(&maj, SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        d->cuDeviceGetAttribute(&min, SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        fprintf(f, "%s %d: %s (sm_%d%d)", i ? "," : ":", i, name, maj, min);
    }
    fprintf(f, "\n");
}
