/* cuda_jit.c - NVRTC compilation of generated kernels to CUBIN or PTX.
 *
 * The options are fixed and few: the architecture and C++17, so that the
 * same source also compiles with nvcc as it is (`syno export --cuda`).
 * Generated kernels are self-contained (no #include), so no include path is
 * passed and the result does not depend on which toolkit headers exist.
 * FP32 contractions use plain FMA (NVRTC's default --fmad=true); nothing
 * here turns on TF32 or fast-math. */
#include "codegen/cuda_jit.h"

#include "base/clock.h"
#include "codegen/cuda_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sm_90" / "compute_90". */
const char *syno_cuda_target_name(syno_cuda_target target, int arch)
{
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "%s_%d", target == SYNO_CUDA_CUBIN ? "sm" : "compute", arch);
    return buf;
}

/* Picks CUBIN for ARCH or PTX for the best older architecture. */
bool syno_cuda_jit_choose(int arch, syno_cuda_target *target, int *code_arch, syno_buf *err)
{
    const char *why = NULL;
    const syno_nvrtc *n = syno_cuda_nvrtc_get(&why);
    if (!n) {
        syno_buf_puts(err, why);
        return false;
    }
    if (syno_cuda_nvrtc_has_arch(n, arch) || n->narchs == 0) {
        *target = SYNO_CUDA_CUBIN;
        *code_arch = arch;
        return true;
    }
    int best = 0;
    for (int i = 0; i < n->narchs; i++)
        if (n->archs[i] <= arch && n->archs[i] > best) best = n->archs[i];
    if (!best) {
        syno_buf_printf(err, "NVRTC %d.%d cannot compile for sm_%d (it supports sm_%d to sm_%d)", n->major, n->minor,
                        arch, n->archs[0], n->archs[n->narchs - 1]);
        return false;
    }
    *target = SYNO_CUDA_PTX;
    *code_arch = best;
    return true;
}

/* Fills OPTS (at most 4) for TARGET/ARCH; ARCHBUF holds the architecture option. */
static int make_options(syno_cuda_target target, int arch, char *archbuf, size_t n, const char **opts)
{
    snprintf(archbuf, n, "--gpu-architecture=%s", syno_cuda_target_name(target, arch));
    int k = 0;
    opts[k++] = archbuf;
    opts[k++] = "--std=c++17";
    return k;
}

/* The options as one string (cache keys). */
void syno_cuda_jit_options(syno_cuda_target target, int arch, syno_buf *out)
{
    char archbuf[64];
    const char *opts[4];
    int k = make_options(target, arch, archbuf, sizeof archbuf, opts);
    for (int i = 0; i < k; i++) syno_buf_printf(out, "%s%s", i ? " " : "", opts[i]);
}

/* Appends NVRTC's LOG to ERR, indented under the headline.  NVRTC 12 and
 * later already quote the offending source line with a caret under it. */
static void explain_log(const char *log, syno_buf *err)
{
    while (*log) {
        const char *end = strchr(log, '\n');
        size_t len = end ? (size_t)(end - log) : strlen(log);
        if (len) {
            syno_buf_puts(err, "\n  ");
            syno_buf_add(err, log, len);
        }
        log += len + (end ? 1 : 0);
    }
}

/* Compiles SRC with NVRTC (see cuda_jit.h). */
bool syno_cuda_jit_compile(const char *src, const char *name, syno_cuda_target target, int arch, syno_cuda_image *img,
                           syno_buf *err)
{
    return syno_cuda_jit_compile_ex(src, name, target, arch, NULL, 0, false, img, NULL, err);
}

/* Compiles SRC with extra options, keeping the log (see cuda_jit.h). */
bool syno_cuda_jit_compile_ex(const char *src, const char *name, syno_cuda_target target, int arch,
                              const char *const *extra, int nextra, bool want_ptx, syno_cuda_image *img, syno_buf *log,
                              syno_buf *err)
{
    memset(img, 0, sizeof *img);
    const char *why = NULL;
    const syno_nvrtc *n = syno_cuda_nvrtc_get(&why);
    if (!n) {
        syno_buf_puts(err, why);
        return false;
    }
    double t0 = (1e3 * syno_clock_wall());
    syno_nvrtcprogram prog = NULL;
    syno_nvrtcresult r = n->nvrtcCreateProgram(&prog, src, name, 0, NULL, NULL);
    if (r != SYNO_NVRTC_SUCCESS) {
        syno_buf_printf(err, "NVRTC could not create a program for '%s': %s", name, n->nvrtcGetErrorString(r));
        return false;
    }
    char archbuf[64];
    const char **opts = syno_xmalloc((size_t)(4 + (nextra > 0 ? nextra : 0)) * sizeof *opts);
    int nopts = make_options(target, arch, archbuf, sizeof archbuf, opts);
    for (int i = 0; i < nextra; i++) opts[nopts++] = extra[i];
    r = n->nvrtcCompileProgram(prog, nopts, opts);
    free(opts);
    bool ok = r == SYNO_NVRTC_SUCCESS;
    char *text = NULL;
    size_t loglen = 0;
    if (n->nvrtcGetProgramLogSize(prog, &loglen) == SYNO_NVRTC_SUCCESS && loglen > 1) {
        text = syno_xmalloc(loglen + 1);
        if (n->nvrtcGetProgramLog(prog, text) == SYNO_NVRTC_SUCCESS) text[loglen] = 0;
        else text[0] = 0;
        if (log) syno_buf_puts(log, text);
    }
    if (!ok) {
        syno_buf_printf(err, "NVRTC %d.%d failed to compile '%s' for %s: %s", n->major, n->minor, name,
                        syno_cuda_target_name(target, arch), n->nvrtcGetErrorString(r));
        if (text) explain_log(text, err);
    } else {
        size_t size = 0;
        r = target == SYNO_CUDA_CUBIN ? n->nvrtcGetCUBINSize(prog, &size) : n->nvrtcGetPTXSize(prog, &size);
        /* nvrtcGetCUBINSize succeeds with size 0 after a compute_XX compile. */
        if (r != SYNO_NVRTC_SUCCESS || size == 0) {
            syno_buf_printf(err, "NVRTC compiled '%s' for %s but produced no %s", name,
                            syno_cuda_target_name(target, arch), target == SYNO_CUDA_CUBIN ? "CUBIN" : "PTX");
            ok = false;
        } else {
            img->data = syno_xmalloc(size + 1);
            r = target == SYNO_CUDA_CUBIN ? n->nvrtcGetCUBIN(prog, (char *)img->data)
                                          : n->nvrtcGetPTX(prog, (char *)img->data);
            if (r != SYNO_NVRTC_SUCCESS) {
                syno_buf_printf(err, "NVRTC could not return the code of '%s': %s", name, n->nvrtcGetErrorString(r));
                free(img->data);
                img->data = NULL;
                ok = false;
            } else {
                img->data[size] = 0;
                img->size = size;
                img->target = target;
                img->arch = arch;
                size_t psize = 0;
                if (want_ptx && n->nvrtcGetPTXSize(prog, &psize) == SYNO_NVRTC_SUCCESS && psize) {
                    img->ptx = syno_xmalloc(psize + 1);
                    if (n->nvrtcGetPTX(prog, img->ptx) == SYNO_NVRTC_SUCCESS) img->ptx[psize] = 0;
                    else img->ptx[0] = 0;
                }
            }
        }
    }
    free(text);
    n->nvrtcDestroyProgram(&prog);
    img->compile_ms = (1e3 * syno_clock_wall()) - t0;
    return ok;
}

/* Frees IMG's code. */
void syno_cuda_image_fini(syno_cuda_image *img)
{
    free(img->data);
    free(img->ptx);
    memset(img, 0, sizeof *img);
}
