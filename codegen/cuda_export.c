/* cuda_export.c - `syno export --cuda FILE:OP --bind B`: the generated CUDA
 * C of an operator, forward and every gradient, as one self-contained file.
 *
 * The kernels are exactly those `syno run --backend cuda` runs (staged
 * plans), with the heuristic tiling for an H100 (132 multiprocessors) so
 * that the text does not depend on the machine.  Below them, host
 * functions (skipped by NVRTC, compiled by nvcc) launch each pass with the
 * CUDA runtime: `nvcc -c -arch=sm_90 file.cu` builds it as it is. */
#include "config.h"

#include "codegen/cuda_export.h"

#include "codegen/cuda_prog.h"
#include "codegen/plan.h"
#include "lang/formula.h"

#include <string.h>

/* The text of SRC after the shared prelude (printed once at the top). */
static const char *without_prelude(const char *src, const char *prelude)
{
    size_t n = strlen(prelude);
    return strncmp(src, prelude, n) == 0 ? src + n : src;
}

/* The host function running program P. */
static void host_function(const syno_cuda_prog *p, const syno_op *op, const char *ident, syno_buf *out)
{
    char fname[160];
    if (p->wrt < 0) snprintf(fname, sizeof fname, "%s_forward", ident);
    else {
        char t[64];
        syno_cuda_ident(op->tensors[p->wrt].name, t, sizeof t);
        snprintf(fname, sizeof fname, "%s_backward_%s", ident, t);
    }
    syno_buf_printf(out, "\n/* %s of %s.  ", p->wrt < 0 ? "The forward pass" : "The gradient", op->name);
    if (p->wrt >= 0) syno_buf_printf(out, "d%s = dL/d%s given dy = dL/dy.  ", op->tensors[p->wrt].name, op->tensors[p->wrt].name);
    syno_buf_puts(out, "Device pointers, float32, C order;\n * temporaries are allocated and freed here (cudaMalloc). */\n");
    syno_buf_printf(out, "extern \"C\" cudaError_t %s(", fname);
    bool first = true;
    const char *result = p->bufs[p->result].name;
    syno_buf_printf(out, "float *%s", result);
    first = false;
    for (int b = 0; b < p->nbufs; b++)
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TENSOR || p->bufs[b].kind == SYNO_CUDA_BUF_DY) {
            bool used = false;
            for (int s = 0; s < p->nsteps && !used; s++)
                for (int a = 0; a < p->steps[s].nargs; a++) used |= p->steps[s].args[a] == b;
            if (used) syno_buf_printf(out, "%sconst float *%s", first ? "" : ", ", p->bufs[b].name);
        }
    syno_buf_puts(out, ", cudaStream_t syno_stream)\n{\n    cudaError_t syno_status = cudaSuccess;\n");
    for (int b = 0; b < p->nbufs; b++)
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TEMP || p->bufs[b].kind == SYNO_CUDA_BUF_WORK)
            syno_buf_printf(out, "    float *%s = NULL;\n", p->bufs[b].name);
    for (int b = 0; b < p->nbufs; b++)
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TEMP || p->bufs[b].kind == SYNO_CUDA_BUF_WORK)
            syno_buf_printf(out, "    if (syno_status == cudaSuccess) syno_status = cudaMalloc(&%s, %lldull * sizeof(float));\n", p->bufs[b].name,
                            (long long)p->bufs[b].numel);
    syno_buf_puts(out, "    if (syno_status == cudaSuccess) {\n");
    for (int s = 0; s < p->nsteps; s++) {
        const syno_cuda_step *st = &p->steps[s];
        syno_buf_printf(out, "        %s<<<dim3(%u, %u, %u), dim3(%u, %u, %u), 0, syno_stream>>>(", st->kernel, st->grid[0],
                        st->grid[1], st->grid[2], st->block[0], st->block[1], st->block[2]);
        for (int a = 0; a < st->nargs; a++) syno_buf_printf(out, "%s%s", a ? ", " : "", p->bufs[st->args[a]].name);
        syno_buf_puts(out, ");\n");
    }
    syno_buf_puts(out, "        syno_status = cudaGetLastError();\n    }\n");
    bool temps = false;
    for (int b = 0; b < p->nbufs; b++)
        if (p->bufs[b].kind == SYNO_CUDA_BUF_TEMP || p->bufs[b].kind == SYNO_CUDA_BUF_WORK) temps = true;
    if (temps) {
        syno_buf_puts(out, "    if (syno_status == cudaSuccess) syno_status = cudaStreamSynchronize(syno_stream);\n");
        for (int b = 0; b < p->nbufs; b++)
            if (p->bufs[b].kind == SYNO_CUDA_BUF_TEMP || p->bufs[b].kind == SYNO_CUDA_BUF_WORK)
                syno_buf_printf(out, "    cudaFree(%s);\n", p->bufs[b].name);
    }
    syno_buf_puts(out, "    return syno_status;\n}\n");
}

/* The CUDA C of OP under B (see cuda_export.h). */
bool syno_cuda_export(const syno_op *op, const syno_binding *b, syno_buf *out, syno_buf *err)
{
    SYNO_ASSERT(b);
    char ident[80];
    syno_cuda_prog_ident(op->name, ident, sizeof ident);
    syno_cuda_prog *progs[SYNO_MAX_TENSORS + 1] = {NULL};
    int sms = 132;
    for (int wrt = -1; wrt < op->ntensors; wrt++) {
        syno_plan *pl = syno_plan_build(op, b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, err);
        syno_cuda_prog *p = pl ? syno_cuda_prog_from_plan(pl, ident, syno_cuda_choose_default, &sms, err) : NULL;
        syno_plan_free(pl);
        if (!p) {
            for (int i = 0; i <= wrt; i++) syno_cuda_prog_free(progs[i]);
            return false;
        }
        progs[wrt + 1] = p;
    }
    syno_buf formula = SYNO_BUF_INIT, bind = SYNO_BUF_INIT, prelude = SYNO_BUF_INIT;
    syno_op_formula(op, b, &formula);
    syno_op_print_binding(op, b, &bind);
    syno_buf_printf(out,
                    "/* %s.cu - operator %s, generated by syno %s (`syno export --cuda`).\n"
                    " *\n *   %s\n *\n * Sizes: %s.\n"
                    " * Kernels for the forward pass and the gradient of every tensor, specialised to\n"
                    " * these sizes; FP32 with FMA (no TF32).  Self-contained: NVRTC compiles the\n"
                    " * kernels (the host functions at the end are skipped), and\n"
                    " *     nvcc -c -arch=sm_90 %s.cu\n"
                    " * builds all of it.  Tiling: syno's heuristic for an H100; `syno run --backend\n"
                    " * cuda` may use measured tilings (SYNO_CUDA_TUNE=1). */\n\n",
                    ident, op->name, PACKAGE_VERSION, syno_buf_str(&formula), syno_buf_str(&bind), ident);
    syno_cuda_emit_prelude(&prelude);
    syno_buf_puts(out, syno_buf_str(&prelude));
    for (int i = 0; i <= op->ntensors; i++) {
        const syno_cuda_prog *p = progs[i];
        syno_buf_printf(out, "\n/* ==== %s ==== */\n", i == 0 ? "forward" : op->tensors[i - 1].name);
        if (i > 0) syno_buf_printf(out, "/* The gradient with respect to %s. */\n", op->tensors[i - 1].name);
        syno_cuda_prog_describe(p, out);
        for (int s = 0; s < p->nsrcs; s++) {
            syno_buf_putc(out, '\n');
            syno_buf_puts(out, without_prelude(p->srcs[s].text, syno_buf_str(&prelude)));
        }
    }
    syno_buf_puts(out, "\n#if !defined(__CUDACC_RTC__)\n/* ==== host functions (nvcc) ==== */\n#include <cuda_runtime.h>\n");
    for (int i = 0; i <= op->ntensors; i++) host_function(progs[i], op, ident, out);
    syno_buf_puts(out, "#endif\n");
    for (int i = 0; i <= op->ntensors; i++) syno_cuda_prog_free(progs[i]);
    syno_buf_fini(&formula);
    syno_buf_fini(&bind);
    syno_buf_fini(&prelude);
    return true;
}
