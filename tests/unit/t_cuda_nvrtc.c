/* t_cuda_nvrtc.c - every generated kernel through the real CUDA compiler.
 *
 * Where NVRTC exists (CI has it; no GPU needed), the kernels `syno run
 * --backend cuda` would run for every stdlib operator and for random
 * operators, forward and every gradient (staged plans, default tiling:
 * direct and tiled kernels), are compiled to a CUBIN for sm_90 (H100/H200:
 * ptxas runs, so register allocation is checked too) and to PTX (the PTX
 * NVRTC makes on the way).  Each operator's kernels go into one
 * translation unit.  Kernels cost 0.1-0.8 s each to compile, so the
 * emulator test, not this one, runs every tile shape and the programs
 * straight from the graph.  Also: every tile shape compiles without spilling registers, a
 * broken kernel gives a readable error with the offending line, and a
 * device newer than NVRTC knows gets PTX for the newest architecture it
 * knows. */
#include "tests/tap.h"
#include "tests/unit/cuda_test.h"

#include "codegen/cuda_jit.h"
#include "codegen/cuda_load.h"
#include "codegen/plan.h"

/* Appends every source of P to TU. */
static void add_prog(syno_buf *tu, const syno_cuda_prog *p, int *nkernels)
{
    for (int s = 0; s < p->nsrcs; s++) syno_buf_puts(tu, p->srcs[s].text);
    *nkernels += p->nsteps;
}

/* Adds the programs `syno run --backend cuda` would run for OP (staged
 * plans, default tiling), forward and every gradient, to TU. */
static void add_op(syno_buf *tu, const syno_op *op, const syno_binding *b, const char *prefix, int *nkernels)
{
    syno_buf err = SYNO_BUF_INIT;
    for (int wrt = -1; wrt < op->ntensors; wrt++) {
        char name[96];
        syno_plan *pl = syno_plan_build(op, b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, &err);
        snprintf(name, sizeof name, "%s_p%d", prefix, wrt + 1);
        syno_cuda_prog *p = pl ? syno_cuda_prog_from_plan(pl, name, NULL, NULL, &err) : NULL;
        if (p) add_prog(tu, p, nkernels);
        else printf("# %s: %s\n", prefix, syno_buf_str(&err));
        syno_cuda_prog_free(p);
        syno_plan_free(pl);
    }
    syno_buf_fini(&err);
}

/* Compiles TU once to a CUBIN for sm_90, keeping the PTX made on the way. */
static void compile_both(const char *tu, const char *what, int nkernels)
{
    syno_cuda_image img;
    syno_buf err = SYNO_BUF_INIT;
    bool built = syno_cuda_jit_compile_ex(tu, "syno_test.cu", SYNO_CUDA_CUBIN, 90, NULL, 0, true, &img, NULL, &err);
    bool elf = built && img.size > 4 && memcmp(img.data, "\177ELF", 4) == 0;
    if (!ok(elf, "%s: %d kernels compile to a CUBIN for sm_90 (%zu bytes, %.0f ms)", what, nkernels, img.size,
            img.compile_ms))
        printf("# %.3000s\n", syno_buf_str(&err));
    bool ptx = built && img.ptx && strstr(img.ptx, ".target sm_90") != NULL;
    ok(ptx, "%s: and to PTX (%zu bytes)", what, img.ptx ? strlen(img.ptx) : (size_t)0);
    syno_cuda_image_fini(&img);
    syno_buf_fini(&err);
}

int main(void)
{
    const char *why = NULL;
    const syno_nvrtc *nv = syno_cuda_nvrtc_get(&why);
    if (!nv) return skip_all(why);
    printf("# NVRTC %d.%d from %s\n", nv->major, nv->minor, nv->path);
    bool sanitized = getenv("SYNO_SANITIZED") != NULL;

    /* The library: one translation unit per operator. */
    syno_ctx *ctx = syno_ctx_new();
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cuda_test_ops); i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, cuda_test_ops[i]);
        if (!op) {
            ok(0, "stdlib has %s", cuda_test_ops[i]);
            continue;
        }
        syno_binding b;
        cuda_test_binding(op, &b);
        syno_buf tu = SYNO_BUF_INIT;
        int nk = 0;
        add_op(&tu, op, &b, op->name, &nk);
        compile_both(syno_buf_str(&tu), op->name, nk);
        syno_buf_fini(&tu);
    }

    /* The 64-bit index arithmetic huge tensors get. */
    {
        syno_op *op = syno_ctx_stdlib_op(ctx, "pooled_conv2d");
        syno_binding b;
        cuda_test_binding(op, &b);
        syno_buf tu = SYNO_BUF_INIT;
        int nk = 0;
        syno_cuda_emit_wide = true;
        add_op(&tu, op, &b, "wide", &nk);
        syno_cuda_emit_wide = false;
        ok(strstr(syno_buf_str(&tu), "long long") != NULL, "64-bit indices emitted");
        compile_both(syno_buf_str(&tu), "pooled_conv2d with 64-bit indices", nk);
        syno_buf_fini(&tu);
    }

    /* Tile shapes on conv2d at a ResNet-like size: no register spills.  The
     * biggest (8x8 per thread), mid, small, and a split-K one; the
     * emulator test runs every shape. */
    {
        syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
        syno_binding b;
        cuda_test_binding(op, &b);
        b.val[syno_vars_find(op->vars, "C_in")] = 64;
        b.val[syno_vars_find(op->vars, "C_out")] = 64;
        b.val[syno_vars_find(op->vars, "H")] = 56;
        b.val[syno_vars_find(op->vars, "W")] = 56;
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        syno_op_eval_sizes(op, &b, sizes);
        syno_cuda_contr c;
        syno_buf err = SYNO_BUF_INIT, tu = SYNO_BUF_INIT, log = SYNO_BUF_INIT;
        syno_cuda_contr_from_op(&c, op, sizes, SYNO_CUDA_OUT, "t", &err);
        syno_cuda_tile cand[128];
        int ncand = syno_cuda_tile_candidates(&c, cand, 128), emitted = 0;
        ok(ncand > 10, "conv2d 64->64 at 56x56: %d tile candidates", ncand);
        const char *shapes[] = {"128x128x8/8x8", "64x64x16/4x4", "32x32x8/2x2", "128x64x8/8x4/split2"};
        int n = (int)SYNO_ARRAY_LEN(shapes);
        syno_cuda_emit_prelude(&tu);
        for (int i = 0; i < n; i++) {
            syno_cuda_tile t;
            snprintf(c.name, sizeof c.name, "tile%d", i);
            syno_cuda_launch l;
            if (syno_cuda_tile_parse(shapes[i], &t) && syno_cuda_emit(&c, &t, &tu, &l, &err)) emitted++;
        }
        ok(emitted == n, "%d of them emit: %s, %s, %s, %s", n, shapes[0], shapes[1], shapes[2], shapes[3]);
        syno_cuda_image img;
        const char *verbose[] = {"--ptxas-options=-v"};
        bool built = syno_cuda_jit_compile_ex(syno_buf_str(&tu), "tiles.cu", SYNO_CUDA_CUBIN, 90, verbose, 1, false,
                                              &img, &log, &err);
        ok(built, "they compile for sm_90 (%.0f ms)", img.compile_ms);
        int spills = 0, reports = 0;
        for (const char *s = syno_buf_str(&log); (s = strstr(s, "bytes spill stores")) != NULL; s++) {
            const char *p = s;
            while (p > syno_buf_str(&log) && p[-1] == ' ') p--;
            while (p > syno_buf_str(&log) && p[-1] >= '0' && p[-1] <= '9') p--;
            reports++;
            if (atoi(p) != 0) spills++;
        }
        ok(reports >= n && spills == 0, "ptxas reports no register spills (%d kernels, %d spill)", reports, spills);
        if (spills) printf("%s", syno_buf_str(&log));
        syno_cuda_image_fini(&img);
        syno_cuda_contr_fini(&c);
        syno_buf_fini(&tu);
        syno_buf_fini(&log);
        syno_buf_fini(&err);
        free(sizes);
    }

    /* Random operators, all in one translation unit. */
    {
        syno_vars vars;
        syno_randop_vars(&vars);
        syno_arena *arena = syno_arena_new();
        syno_diags diags;
        syno_diags_init(&diags, NULL);
        syno_rng rng;
        syno_rng_seed(&rng, 66);
        syno_buf tu = SYNO_BUF_INIT;
        int nk = 0, nops = sanitized ? 2 : 4;
        for (int r = 0; r < nops; r++) {
            syno_binding b;
            syno_op *op = syno_randop(arena, &vars, &diags, &rng, NULL, &b, NULL);
            if (!op) continue;
            char prefix[32];
            snprintf(prefix, sizeof prefix, "rand%d", r);
            add_op(&tu, op, &b, prefix, &nk);
        }
        char what[64];
        snprintf(what, sizeof what, "%d random operators", nops);
        compile_both(syno_buf_str(&tu), what, nk);
        syno_buf_fini(&tu);
        syno_diags_fini(&diags);
        syno_arena_free(arena);
    }

    /* A broken kernel: the error names the kernel, the target and the line. */
    {
        const char *bad = "extern \"C\" __global__ void broken(float *y)\n{\n    y[threadIdx.x] = undefined_thing;\n}\n";
        syno_cuda_image img;
        syno_buf err = SYNO_BUF_INIT;
        bool built = syno_cuda_jit_compile(bad, "broken.cu", SYNO_CUDA_CUBIN, 90, &img, &err);
        const char *e = syno_buf_str(&err);
        ok(!built, "a broken kernel does not compile");
        ok(strstr(e, "failed to compile 'broken.cu' for sm_90") && strstr(e, "NVRTC_ERROR_COMPILATION"),
           "the error names the kernel, the architecture and the NVRTC result");
        ok(strstr(e, "broken.cu(3): error") && strstr(e, "undefined_thing") &&
               strstr(e, "y[threadIdx.x] = undefined_thing;"),
           "and quotes the compiler's message with the offending line");
        printf("# %s\n", e);
        syno_buf_fini(&err);
    }

    /* Architecture choice: exact CUBIN when known, PTX fallback for newer. */
    {
        syno_cuda_target t;
        int arch;
        syno_buf err = SYNO_BUF_INIT;
        bool chosen = syno_cuda_jit_choose(90, &t, &arch, &err);
        ok(chosen && t == SYNO_CUDA_CUBIN && arch == 90, "sm_90: a CUBIN");
        int newest = 0;
        for (int i = 0; i < nv->narchs; i++)
            if (nv->archs[i] > newest) newest = nv->archs[i];
        chosen = syno_cuda_jit_choose(newest + 1, &t, &arch, &err);
        ok(chosen && t == SYNO_CUDA_PTX && arch == newest, "a device newer than NVRTC knows (sm_%d): PTX for compute_%d",
           newest + 1, arch);
        chosen = syno_cuda_jit_choose(10, &t, &arch, &err);
        ok(!chosen && strstr(syno_buf_str(&err), "cannot compile for sm_10"), "a device older than NVRTC supports: %s",
           syno_buf_str(&err));
        syno_buf_fini(&err);
    }
    syno_ctx_free(ctx);
    return tap_done();
}
