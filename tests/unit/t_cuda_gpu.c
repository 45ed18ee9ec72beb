/* t_cuda_gpu.c - the CUDA backend on a GPU: every result against the
 * reference evaluator, and the failures a search must survive.
 *
 *  - every stdlib operator at two bindings (small odd sizes; C=64 at 14x14),
 *    forward and the gradient of every tensor, as `syno run --backend cuda`
 *    runs them (staged plans, heuristic tiling), plus every tile candidate
 *    of conv2d's forward stage;
 *  - SYNO_GPU_RANDOM random operators (default 200), forward and gradients;
 *    each result within a relative error of 1e-4 of the reference (largest
 *    |difference| over the largest |reference|; float32 FMA sums of at most
 *    a few thousand terms against double);
 *  - device out of memory, a bad launch configuration, a kernel that does
 *    not compile, a kernel that faults (the context is reset; executables
 *    from before say so; new ones work), a PTX image (the driver's JIT);
 *  - the tuner (measures, then finds its choice in the cache) and the warm
 *    kernel cache (a new runtime compiles nothing);
 *  - timings as diagnostics: cold NVRTC compile per kernel, warm load.
 *
 * Without a GPU it prints `1..0 # SKIP <why>`.  With SYNO_TEST_FAKE_CUDA=1
 * (tests/cuda_fake.sh) it builds tests/unit/fake_cuda.c as the "driver"
 * and the generated kernels for the CPU emulator (cuda_emu.h), so all of
 * the host side runs in CI; timings are then meaningless. */
#include "tests/tap.h"
#include "tests/unit/cuda_test.h"

#include "base/clock.h"
#include "codegen/cuda_bench.h"
#include "codegen/cuda_latency.h"
#include "codegen/cuda_run.h"
#include "codegen/cuda_tune.h"
#include "codegen/plan.h"
#include "interp/backend.h"
#include "interp/bench.h"

#include <ctype.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYNO_TEST_CC
#define SYNO_TEST_CC "cc"
#endif

#define TOLERANCE 1e-4

typedef struct gcase {
    char desc[200];
    syno_cuda_prog *prog;
    const cuda_test_data *data;
    double *want;
    int64_t n;
} gcase;

typedef struct suite {
    gcase *c;
    int n;
    cuda_test_data **data;
    int ndata;
    syno_cuda_prog **extra; /* programs run outside the case list (error and tuner tests) */
    int nextra;
} suite;

static char tmpdir[512];
static bool fake;

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* ---- cases ---------------------------------------------------------------- */

static void add_case(suite *s, syno_cuda_prog *p, const cuda_test_data *d, double *want, int64_t n, const char *desc)
{
    s->c = syno_xrealloc(s->c, (size_t)(s->n + 1) * sizeof *s->c);
    gcase *g = &s->c[s->n++];
    snprintf(g->desc, sizeof g->desc, "%s", desc);
    g->prog = p;
    g->data = d;
    g->want = want;
    g->n = n;
}

/* OP under binding B, forward and every gradient, as the backend runs it. */
static void add_op(suite *s, const syno_op *op, const syno_binding *b, uint64_t seed, const char *label, int sms)
{
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    if (!syno_op_eval_sizes(op, b, sizes)) {
        ok(0, "%s: sizes evaluate", label);
        free(sizes);
        return;
    }
    cuda_test_data *d = syno_xmalloc(sizeof *d);
    cuda_test_data_init(d, op, sizes, seed);
    s->data = syno_xrealloc(s->data, (size_t)(s->ndata + 1) * sizeof *s->data);
    s->data[s->ndata++] = d;
    for (int wrt = -1; wrt < op->ntensors; wrt++) {
        syno_buf err = SYNO_BUF_INIT;
        char name[96], desc[200];
        snprintf(name, sizeof name, "g%d_", s->n);
        syno_cuda_ident(op->name, name + strlen(name), sizeof name - strlen(name));
        syno_plan *pl = syno_plan_build(op, b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, &err);
        syno_cuda_prog *p = pl ? syno_cuda_prog_from_plan(pl, name, syno_cuda_choose_default, &sms, &err) : NULL;
        snprintf(desc, sizeof desc, "%s %s%s (%d stages)", label, wrt < 0 ? "forward" : "gradient of ",
                 wrt < 0 ? "" : op->tensors[wrt].name, pl ? pl->nstages : 0);
        syno_plan_free(pl);
        if (!p) {
            ok(0, "%s: %s", desc, syno_buf_str(&err));
        } else {
            int64_t n;
            double *want = cuda_test_reference(op, sizes, d, wrt, &n);
            add_case(s, p, d, want, n, desc);
        }
        syno_buf_fini(&err);
    }
    free(sizes);
}

/* Every tile candidate of conv2d's forward contraction at binding B. */
static void add_tiles(suite *s, const syno_op *op, const syno_binding *b)
{
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    syno_op_eval_sizes(op, b, sizes);
    cuda_test_data *d = syno_xmalloc(sizeof *d);
    cuda_test_data_init(d, op, sizes, 77);
    s->data = syno_xrealloc(s->data, (size_t)(s->ndata + 1) * sizeof *s->data);
    s->data[s->ndata++] = d;
    syno_cuda_contr c;
    syno_buf err = SYNO_BUF_INIT;
    if (syno_cuda_contr_from_op(&c, op, sizes, SYNO_CUDA_OUT, "tiles", &err)) {
        syno_cuda_tile cand[128];
        int n = syno_cuda_tile_candidates(&c, cand, 128);
        if (fake && n > 3) n = 3; /* the emulator test runs every shape; here the host side matters */
        for (int i = 0; i < n; i++) {
            char name[96], ts[64], desc[200];
            snprintf(name, sizeof name, "g%d_conv2d", s->n);
            syno_cuda_prog *p = syno_cuda_prog_direct(op, sizes, -1, name, cuda_test_fixed, &cand[i], &err);
            snprintf(desc, sizeof desc, "conv2d forward, tile %s", syno_cuda_tile_str(&cand[i], ts, sizeof ts));
            if (!p) {
                ok(0, "%s: %s", desc, syno_buf_str(&err));
                continue;
            }
            int64_t nw;
            double *want = cuda_test_reference(op, sizes, d, -1, &nw);
            add_case(s, p, d, want, nw, desc);
        }
    }
    syno_cuda_contr_fini(&c);
    syno_buf_fini(&err);
    free(sizes);
}

/* Runs case G on RT; true when it ran (the comparison is a test point). */
static bool run_case(syno_cuda_rt *rt, const gcase *g, syno_buf *err)
{
    const syno_cuda_prog *p = g->prog;
    syno_cuda_exe *e = syno_cuda_exe_new(rt, p, err);
    bool ok1 = e != NULL;
    for (int b = 0; ok1 && b < p->nbufs; b++) {
        const float *in = cuda_test_input(p, b, g->data);
        if (in) ok1 = syno_cuda_exe_upload(e, b, in, err);
    }
    float *got = syno_xmalloc((size_t)g->n * sizeof *got);
    ok1 = ok1 && syno_cuda_exe_run(e, err) && syno_cuda_exe_download(e, p->result, got, err);
    double rel = ok1 ? cuda_test_error(got, g->want, g->n) : 1;
    if (!ok(ok1 && rel <= TOLERANCE, "%s: max rel error %.2g", g->desc, rel) && !ok1)
        printf("#   %s\n", syno_buf_str(err));
    free(got);
    syno_cuda_exe_free(e);
    return ok1;
}

/* ---- fake driver (CI) ----------------------------------------------------- */

/* Builds the kernels of every program of S (and S->extra) as a shared
 * object for the fake driver: emulator + sources + one launcher per
 * kernel, named <kernel>__syno_emu(params, grid, block). */
static bool build_fake_kernels(const suite *s, const char *extra_src, const char *extra_kernels)
{
    syno_buf c = SYNO_BUF_INIT, launchers = SYNO_BUF_INIT;
    syno_buf_printf(&c, "#include \"%s/tests/unit/cuda_emu.h\"\n", SYNO_SRCDIR);
    const syno_cuda_prog *progs[4096];
    int np = 0;
    for (int i = 0; i < s->n && np < 4096; i++) progs[np++] = s->c[i].prog;
    for (int i = 0; i < s->nextra && np < 4096; i++) progs[np++] = s->extra[i];
    for (int i = 0; i < np; i++) {
        const syno_cuda_prog *p = progs[i];
        for (int k = 0; k < p->nsrcs; k++) syno_buf_puts(&c, p->srcs[k].text);
        for (int k = 0; k < p->nsteps; k++) {
            const syno_cuda_step *st = &p->steps[k];
            int barriers = p->srcs[st->src].tile.bm != 0 && st->flops > 0;
            syno_buf_printf(&launchers, "void %s__syno_emu(void **a, const unsigned *g, const unsigned *b)\n{\n    void *v[%d] = {",
                            st->kernel, st->nargs);
            for (int x = 0; x < st->nargs; x++)
                syno_buf_printf(&launchers, "%s(void *)(uintptr_t)*(unsigned long long *)a[%d]", x ? ", " : "", x);
            syno_buf_printf(&launchers, "};\n    emu_launch((void (*)(void))%s, g, b, %d, v, 1, %d);\n}\n", st->kernel,
                            st->nargs, barriers);
        }
    }
    syno_buf_puts(&c, extra_src);
    syno_buf_puts(&c, syno_buf_str(&launchers));
    syno_buf_puts(&c, extra_kernels);
    char path[700], so[700], cmd[2200];
    snprintf(path, sizeof path, "%s/kernels.c", tmpdir);
    snprintf(so, sizeof so, "%s/kernels.so", tmpdir);
    FILE *f = fopen(path, "w");
    bool ok1 = f && fputs(syno_buf_str(&c), f) >= 0;
    if (f) ok1 = fclose(f) == 0 && ok1;
    syno_buf_fini(&c);
    syno_buf_fini(&launchers);
    snprintf(cmd, sizeof cmd, "%s -std=gnu11 -O0 -w -fPIC -shared -o %s %s 2>%s/kernels.log", SYNO_TEST_CC, so, path, tmpdir);
    ok1 = ok1 && sh(cmd) == 0;
    if (!ok1) {
        snprintf(cmd, sizeof cmd, "head -20 %s/kernels.log | sed 's/^/# /'", tmpdir);
        sh(cmd);
        return false;
    }
    setenv("SYNO_FAKE_CUDA_KERNELS", so, 1);
    return true;
}

/* Builds tests/unit/fake_cuda.c and points the driver loader at it. */
static bool build_fake_driver(void)
{
    char so[700], cmd[2200];
    snprintf(so, sizeof so, "%s/libcuda-fake.so", tmpdir);
    snprintf(cmd, sizeof cmd, "%s -std=gnu11 -O1 -I%s -fPIC -shared -o %s %s/tests/unit/fake_cuda.c -ldl 2>%s/fake.log",
             SYNO_TEST_CC, SYNO_SRCDIR, so, SYNO_SRCDIR, tmpdir);
    if (sh(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "head -20 %s/fake.log | sed 's/^/# /'", tmpdir);
        sh(cmd);
        return false;
    }
    setenv("SYNO_CUDA_LIBRARY", so, 1);
    return true;
}

/* ---- the failures a search must survive ----------------------------------- */

static const char fault_src[] = "SYNO_KERNEL void syno_fault(float *p)\n{\n"
                                "    p[threadIdx.x + (1ull << 40)] = 1.0f; /* far outside any allocation */\n}\n";
static const char fault_launcher[] = "void syno_fault__syno_emu(void **a, const unsigned *g, const unsigned *b)\n"
                                     "{\n    (void)a; (void)g; (void)b; /* the fake driver faults instead */\n}\n";

static void test_failures(syno_cuda_rt *rt, const gcase *good)
{
    syno_cuda_dev *dev = syno_cuda_rt_dev(rt);
    syno_buf err = SYNO_BUF_INIT;

    /* Out of memory: a clear error, then business as usual. */
    syno_cuda_mem m;
    bool alloc = syno_cuda_mem_alloc(dev, (size_t)1 << 50, &m, &err);
    ok(!alloc && strstr(syno_buf_str(&err), "cuMemAlloc of 1024.0 TiB: CUDA_ERROR_OUT_OF_MEMORY (2)") &&
           strstr(syno_buf_str(&err), "free)"),
       "2^50 bytes: %s", syno_buf_str(&err));
    syno_buf_clear(&err);
    ok(run_case(rt, good, &err), "a program runs after running out of memory");

    /* A launch that does not fit: reported at once, the context survives. */
    unsigned gen = syno_cuda_dev_generation(dev);
    syno_cuda_exe *e = syno_cuda_exe_new(rt, good->prog, &err);
    syno_buf_clear(&err);
    {
        syno_cuda_image img;
        syno_cuda_cache_how how;
        bool built = syno_cuda_cache_image(syno_cuda_rt_cache(rt), good->prog->srcs[0].text, "k.cu",
                                           syno_cuda_dev_get_info(dev)->arch, &img, &how, &err);
        syno_cuda_module *mod = built ? syno_cuda_module_load(dev, &img, &err) : NULL;
        syno_cufunction fn;
        bool found = mod && syno_cuda_module_function(dev, mod, good->prog->steps[0].kernel, &fn, &err);
        unsigned grid[3] = {1, 1, 1}, block[3] = {4096, 1, 1};
        void *args[SYNO_CUDA_MAX_ARGS] = {NULL};
        syno_cudeviceptr zero = 0;
        for (int a = 0; a < good->prog->steps[0].nargs; a++) args[a] = &zero;
        bool launched = found && syno_cuda_launch_kernel(dev, fn, grid, block, 0, args, &err);
        ok(found && !launched && strstr(syno_buf_str(&err), "block (4096,1,1)") &&
               strstr(syno_buf_str(&err), "CUDA_ERROR_INVALID_VALUE (1)"),
           "4096 threads per block: %s", syno_buf_str(&err));
        ok(syno_cuda_dev_generation(dev) == gen, "the context is kept");
        syno_cuda_module_unload(dev, mod);
        syno_cuda_image_fini(&img);
    }
    syno_buf_clear(&err);
    ok(e && syno_cuda_exe_run(e, &err), "an executable made before it still runs");

    /* A kernel that does not compile: NVRTC's message, the runtime goes on. */
    syno_cuda_prog broken = *good->prog;
    syno_cuda_src src = good->prog->srcs[0];
    src.text = (char *)"SYNO_KERNEL void broken(float *y) { y[0] = not_declared; }\n";
    broken.srcs = &src;
    syno_buf_clear(&err);
    syno_cuda_exe *b = syno_cuda_exe_new(rt, &broken, &err);
    ok(!b && strstr(syno_buf_str(&err), "not_declared") && strstr(syno_buf_str(&err), "NVRTC"),
       "a kernel that does not compile: NVRTC's log (%.60s...)", syno_buf_str(&err));
    syno_cuda_exe_free(b);
    syno_buf_clear(&err);
    ok(run_case(rt, good, &err), "a program runs after a compile error");

    /* A kernel that faults: sticky error, context reset, old executables
     * refuse politely, new ones work. */
    syno_buf text = SYNO_BUF_INIT;
    syno_cuda_emit_prelude(&text);
    syno_buf_puts(&text, fault_src);
    syno_cuda_image img;
    syno_cuda_cache_how how;
    syno_buf_clear(&err);
    bool built = syno_cuda_cache_image(syno_cuda_rt_cache(rt), syno_buf_str(&text), "fault.cu",
                                       syno_cuda_dev_get_info(dev)->arch, &img, &how, &err);
    syno_cuda_module *mod = built ? syno_cuda_module_load(dev, &img, &err) : NULL;
    syno_cufunction fn;
    syno_cuda_mem buf;
    bool ready = mod && syno_cuda_module_function(dev, mod, "syno_fault", &fn, &err) &&
                 syno_cuda_mem_alloc(dev, 1024, &buf, &err);
    unsigned grid[3] = {1, 1, 1}, block[3] = {32, 1, 1};
    void *args[1] = {&buf.ptr};
    gen = syno_cuda_dev_generation(dev);
    bool ran = ready && syno_cuda_launch_kernel(dev, fn, grid, block, 0, args, &err) && syno_cuda_sync(dev, &err);
    const char *msg = syno_buf_str(&err);
    ok(ready && !ran && strstr(msg, "CUDA_ERROR_ILLEGAL_ADDRESS (700)") && strstr(msg, "context was reset"),
       "a faulting kernel: %s", msg);
    ok(syno_cuda_dev_generation(dev) == gen + 1, "a new context generation");
    syno_buf_clear(&err);
    bool refused = e && !syno_cuda_exe_run(e, &err);
    ok(refused && strstr(syno_buf_str(&err), "before a GPU context reset"), "an executable from before the reset says so: %s",
       syno_buf_str(&err));
    syno_buf_clear(&err);
    syno_cuda_mem_free(dev, &buf); /* of the old generation: a no-op */
    syno_cuda_module_unload(dev, mod);
    syno_cuda_image_fini(&img);
    syno_cuda_exe_free(e);
    ok(run_case(rt, good, &err), "a new executable of the same program works after the reset");
    syno_buf_fini(&text);

    /* PTX: the driver compiles it at load time (the fallback for GPUs newer than NVRTC). */
    syno_buf_clear(&err);
    syno_cuda_image ptx;
    int arch = syno_cuda_dev_get_info(dev)->arch;
    bool ptx_ok = syno_cuda_jit_compile(good->prog->srcs[0].text, "ptx.cu", SYNO_CUDA_PTX, arch, &ptx, &err);
    syno_cuda_module *pm = ptx_ok ? syno_cuda_module_load(dev, &ptx, &err) : NULL;
    syno_cufunction pf;
    ok(pm && syno_cuda_module_function(dev, pm, good->prog->steps[0].kernel, &pf, &err),
       "a PTX image for compute_%d loads and has the kernel", arch);
    syno_cuda_module_unload(dev, pm);
    syno_cuda_image_fini(&ptx);
    syno_buf_fini(&err);
}

/* ---- the backend of `syno run` -------------------------------------------- */

/* The programs the backend will build for OP (the fake driver needs their
 * kernels up front): plans, heuristic tiling, kernel names from the op. */
static void add_backend_progs(suite *s, const syno_op *op, const syno_binding *b, int sms)
{
    char name[80];
    syno_cuda_prog_ident(op->name, name, sizeof name);
    for (int wrt = -1; wrt < op->ntensors; wrt++) {
        syno_buf err = SYNO_BUF_INIT;
        syno_plan *pl = syno_plan_build(op, b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, &err);
        syno_cuda_prog *p = pl ? syno_cuda_prog_from_plan(pl, name, syno_cuda_choose_default, &sms, &err) : NULL;
        if (p) s->extra[s->nextra++] = p;
        syno_plan_free(pl);
        syno_buf_fini(&err);
    }
}

static void fill(syno_array *a, const float *v)
{
    memcpy(a->data, v, (size_t)a->numel * sizeof(float));
}

static double array_error(const syno_array *got, const syno_array *want)
{
    double *w = syno_xmalloc((size_t)want->numel * sizeof *w);
    for (int64_t i = 0; i < want->numel; i++) w[i] = want->data[i];
    double e = cuda_test_error(got->data, w, got->numel);
    free(w);
    return e;
}

/* syno_backend_cuda_forward/backward against the reference backend. */
static void test_backend(const syno_op *op, const syno_binding *b)
{
    int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
    syno_op_eval_sizes(op, b, sizes);
    cuda_test_data d;
    cuda_test_data_init(&d, op, sizes, 4242);
    syno_array *t[SYNO_MAX_TENSORS], *g[2][SYNO_MAX_TENSORS];
    for (int i = 0; i < op->ntensors; i++) {
        t[i] = syno_ref_array_new(op, sizes, i);
        fill(t[i], d.t[i]);
        g[0][i] = syno_ref_array_new(op, sizes, i);
        g[1][i] = syno_ref_array_new(op, sizes, i);
    }
    syno_array *y[2] = {syno_ref_array_new(op, sizes, SYNO_OP_OUT), syno_ref_array_new(op, sizes, SYNO_OP_OUT)};
    syno_array *dy = syno_ref_array_new(op, sizes, SYNO_OP_OUT);
    fill(dy, d.t[op->ntensors]);
    const syno_backend *be[2] = {syno_backend_find("cuda"), syno_backend_find("ref")};
    bool ran[2] = {false, false};
    syno_buf err = SYNO_BUF_INIT;
    for (int k = 0; k < 2 && be[k]; k++) {
        syno_backend_call c = {op, b, sizes, t[0], (const syno_array *const *)&t[1], y[k], dy, g[k][0], &g[k][1]};
        ran[k] = be[k]->forward(&c, &err) && be[k]->backward(&c, &err);
    }
    ok(be[0] && ran[0] && ran[1], "the cuda backend of `syno run` runs %s forward and backward%s%s", op->name,
       ran[0] ? "" : ": ", ran[0] ? "" : syno_buf_str(&err));
    double worst = ran[0] ? array_error(y[0], y[1]) : 1;
    for (int i = 0; ran[0] && i < op->ntensors; i++) {
        double e = array_error(g[0][i], g[1][i]);
        if (e > worst) worst = e;
    }
    ok(ran[0] && worst <= TOLERANCE, "and equals the reference backend (max rel error %.2g)", worst);
    for (int i = 0; i < op->ntensors; i++) {
        syno_array_free(t[i]);
        syno_array_free(g[0][i]);
        syno_array_free(g[1][i]);
    }
    syno_array_free(y[0]);
    syno_array_free(y[1]);
    syno_array_free(dy);
    syno_buf_fini(&err);
    cuda_test_data_fini(&d);
    free(sizes);
}

/* ---- main ----------------------------------------------------------------- */

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/syno-gpu-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) return skip_all("cannot make a temporary directory");
    fake = getenv("SYNO_TEST_FAKE_CUDA") && strcmp(getenv("SYNO_TEST_FAKE_CUDA"), "1") == 0;
    if (fake && getenv("SYNO_SANITIZED")) {
        rmdir(tmpdir);
        return skip_all("the CPU emulation of kernels switches stacks, which AddressSanitizer does not support "
                        "(the unsanitized run covers it)");
    }
    if (fake) {
        const char *why = NULL;
        if (!syno_cuda_nvrtc_get(&why)) return skip_all(why);
        if (!build_fake_driver()) return skip_all("could not build the fake driver tests/unit/fake_cuda.c");
    }
    char cache_dir[600];
    snprintf(cache_dir, sizeof cache_dir, "%s/cuda", tmpdir);
    setenv("SYNO_CACHE_DIR", tmpdir, 1); /* the backend's shared runtime: the same cache, not $HOME's */
    syno_buf err = SYNO_BUF_INIT;
    syno_cuda_rt *rt = syno_cuda_rt_open(0, cache_dir, &err);
    if (!rt) {
        skip_all(syno_buf_str(&err));
        syno_buf_fini(&err);
        rmdir(tmpdir);
        return 0;
    }
    const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(rt));
    printf("# GPU 0: %s, sm_%d, %d SMs, %.1f GiB, driver %d%s\n", info->name, info->arch, info->sms,
           (double)info->total_mem / (1 << 30), info->driver_version, fake ? " (the fake driver: no real GPU)" : "");

    /* The cases. */
    suite s;
    memset(&s, 0, sizeof s);
    syno_ctx *ctx = syno_ctx_new();
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cuda_test_ops); i++) {
        /* On the fake driver a few operators are enough (the host side is
         * what it checks; t_cuda_emu runs every operator's kernels). */
        if (fake && i % 3 != 0) continue;
        syno_op *op = syno_ctx_stdlib_op(ctx, cuda_test_ops[i]);
        if (!op) {
            ok(0, "stdlib has %s", cuda_test_ops[i]);
            continue;
        }
        syno_binding b;
        cuda_test_binding(op, &b);
        add_op(&s, op, &b, 10 + i, op->name, info->sms);
        if (!fake) { /* a bigger binding: real tiles, split-K, more blocks */
            static const struct {
                const char *name;
                int64_t v;
            } big[] = {{"N", 4}, {"C_in", 64}, {"C_out", 64}, {"H", 14}, {"W", 14}, {"g", 8}};
            for (size_t v = 0; v < SYNO_ARRAY_LEN(big); v++) {
                int k = syno_vars_find(op->vars, big[v].name);
                if (k >= 0) b.val[k] = big[v].v;
            }
            char label[96];
            snprintf(label, sizeof label, "%s (C=64, 14x14)", op->name);
            add_op(&s, op, &b, 20 + i, label, info->sms);
        }
    }
    {
        syno_op *op = syno_ctx_stdlib_op(ctx, "conv2d");
        syno_binding b;
        cuda_test_binding(op, &b);
        if (!fake) {
            b.val[syno_vars_find(op->vars, "C_in")] = 32;
            b.val[syno_vars_find(op->vars, "C_out")] = 48;
            b.val[syno_vars_find(op->vars, "H")] = 11;
            b.val[syno_vars_find(op->vars, "W")] = 11;
        }
        add_tiles(&s, op, &b);
    }
    int nrand = fake ? 2 : 200;
    if (getenv("SYNO_GPU_RANDOM")) nrand = atoi(getenv("SYNO_GPU_RANDOM"));
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_arena *arena = syno_arena_new();
    syno_diags diags;
    syno_diags_init(&diags, NULL);
    syno_rng rng;
    syno_rng_seed(&rng, 2025);
    for (int r = 0; r < nrand; r++) {
        syno_binding b;
        syno_op *op = syno_randop(arena, &vars, &diags, &rng, NULL, &b, NULL);
        char label[64];
        snprintf(label, sizeof label, "random op %d", r);
        if (!op) ok(0, "%s: generated", label);
        else add_op(&s, op, &b, 5000 + (uint64_t)r, label, info->sms);
    }

    /* The tuner's candidates for conv2d's forward stage (the fake needs
     * every kernel it will run up front). */
    syno_op *conv = syno_ctx_stdlib_op(ctx, "conv2d");
    syno_binding cb;
    cuda_test_binding(conv, &cb);
    syno_plan *cplan = syno_plan_build(conv, &cb, SYNO_PLAN_FORWARD, &err);
    syno_cuda_contr tc;
    bool have_tc = cplan && syno_cuda_contr_from_stage(&tc, cplan, 0, "tune_conv2d", &err);
    s.extra = syno_xcalloc(32, sizeof *s.extra);
    add_backend_progs(&s, conv, &cb, info->sms);
    if (have_tc) {
        syno_cuda_tile list[16];
        int n = syno_cuda_tune_shortlist(&tc, info->sms, 7, list);
        for (int i = 0; i < n; i++) {
            syno_cuda_prog *p = syno_cuda_prog_single(&tc, &list[i], &err);
            if (p) s.extra[s.nextra++] = p;
        }
    }
    if (fake && !build_fake_kernels(&s, fault_src, fault_launcher)) {
        ok(0, "the fake driver's kernels compile as C");
        return tap_done();
    }

    /* Cold: compile everything (one thread per CPU), timing it. */
    const char **texts = NULL;
    int ntexts = 0, nkernels = 0;
    for (int i = 0; i < s.n + s.nextra; i++) {
        const syno_cuda_prog *p = i < s.n ? s.c[i].prog : s.extra[i - s.n];
        for (int k = 0; k < p->nsrcs; k++) {
            texts = syno_xrealloc(texts, (size_t)(ntexts + 1) * sizeof *texts);
            texts[ntexts++] = p->srcs[k].text;
        }
        nkernels += p->nsteps;
    }
    double t0 = (1e3 * syno_clock_wall());
    syno_buf cerr = SYNO_BUF_INIT;
    int failed = syno_cuda_cache_precompile(syno_cuda_rt_cache(rt), texts, ntexts, info->arch, 0, &cerr);
    double cold = (1e3 * syno_clock_wall()) - t0;
    if (!ok(failed == 0, "%d sources (%d kernels) compile for sm_%d", ntexts, nkernels, info->arch))
        printf("# %.2000s\n", syno_buf_str(&cerr));
    printf("# cold NVRTC compile: %.0f ms for %d sources on all CPUs\n", cold, ntexts);
    syno_buf_fini(&cerr);

    /* Every case against the reference. */
    for (int i = 0; i < s.n; i++) {
        syno_buf_clear(&err);
        run_case(rt, &s.c[i], &err);
    }
    syno_cuda_rt_stats st = syno_cuda_rt_get_stats(rt);
    printf("# kernel images: %d compiled (%.0f ms of NVRTC, %.0f ms per source), %d from disk, %d from memory\n",
           st.compiled, st.compile_ms, st.compiled ? st.compile_ms / st.compiled : 0.0, st.from_disk, st.from_memory);

    /* Failures. */
    if (s.n) test_failures(rt, &s.c[0]);

    /* The backend `syno run --backend cuda` uses (its own shared runtime).
     * Before the tuner: with the fake driver, kernels are found by name, so
     * a tuned tiling (another kernel of the same name) would not match. */
    test_backend(conv, &cb);
    {
        syno_cuda_bench_opts bo = {true, false, 3, 1, 7};
        syno_bench_opts o = {true, false, 3, 1, 0, 7};
        syno_cuda_bench_result cr;
        syno_buf_clear(&err);
        bool measured = syno_cuda_bench(conv, &cb, &bo, &cr, &err);
        syno_buf json = SYNO_BUF_INIT;
        if (measured) {
            syno_bench_report rep;
            syno_bench_report_cuda(conv, &cb, &o, &cr, &rep);
            syno_bench_report_json(&rep, &json);
            syno_bench_report_fini(&rep);
            syno_cuda_bench_result_fini(&cr);
        }
        const char *text = syno_buf_str(&json);
        ok(measured && strstr(text, "\"gflops\":") && strstr(text, "\"cold_compile_ms_per_source\":") &&
               strstr(text, "\"warm_load_ms_per_source\":") && strstr(text, "\"pass\": \"forward+backward\""),
           "syno bench --backend cuda --grad --json reports speed and compile times%s%s", measured ? "" : ": ",
           syno_buf_str(&err));
        for (char *line = strtok(json.data, "\n"); line; line = strtok(NULL, "\n")) printf("# %s\n", line);
        syno_buf_fini(&json);
        double ms = -1;
        syno_buf_clear(&err);
        bool timed = syno_cuda_latency(conv, &cb, false, false, 5, &ms, &err);
        ok(timed && ms > 0, "syno_cuda_latency (the search's objective): conv2d forward %.4f ms%s", ms,
           syno_buf_str(&err));
    }

    /* The tuner: measure once, then the cached choice. */
    if (have_tc) {
        syno_cuda_tuner tu;
        syno_cuda_tuner_init(&tu, rt, true);
        syno_cuda_tile a = syno_cuda_choose_tuned(&tc, &tu);
        ok(tu.measured == 1, "the tuner measures a new contraction (%d measured, %d guessed)", tu.measured, tu.guessed);
        syno_cuda_tuner tu2;
        syno_cuda_tuner_init(&tu2, rt, true);
        syno_cuda_tile b2 = syno_cuda_choose_tuned(&tc, &tu2);
        char ta[64], tb[64];
        ok(tu2.cached == 1 && memcmp(&a, &b2, sizeof a) == 0, "then finds its choice in the cache: %s = %s",
           syno_cuda_tile_str(&a, ta, sizeof ta), syno_cuda_tile_str(&b2, tb, sizeof tb));
        syno_cuda_contr_fini(&tc);
    }
    syno_plan_free(cplan);

    /* Warm: a new runtime on the same cache compiles nothing. */
    syno_cuda_rt_close(rt);
    syno_buf_clear(&err);
    rt = syno_cuda_rt_open(0, cache_dir, &err);
    if (rt) {
        t0 = (1e3 * syno_clock_wall());
        int made = 0;
        for (int i = 0; i < s.n && i < 40; i++) {
            syno_cuda_exe *e = syno_cuda_exe_new(rt, s.c[i].prog, &err);
            made += e != NULL;
            syno_cuda_exe_free(e);
        }
        double warm = (1e3 * syno_clock_wall()) - t0;
        st = syno_cuda_rt_get_stats(rt);
        ok(made == (s.n < 40 ? s.n : 40) && st.compiled == 0 && st.from_disk > 0,
           "warm cache: %d programs ready with %d compiles, %d kernel images from disk", made, st.compiled,
           st.from_disk);
        printf("# warm: %.1f ms per program (disk cache + module load)\n", made ? warm / made : 0.0);
        syno_cuda_rt_close(rt);
    } else {
        ok(0, "reopening the GPU: %s", syno_buf_str(&err));
    }

    for (int i = 0; i < s.n; i++) {
        syno_cuda_prog_free(s.c[i].prog);
        free(s.c[i].want);
    }
    for (int i = 0; i < s.nextra; i++) syno_cuda_prog_free(s.extra[i]);
    for (int i = 0; i < s.ndata; i++) {
        cuda_test_data_fini(s.data[i]);
        free(s.data[i]);
    }
    free(s.extra);
    free(s.data);
    free(s.c);
    free(texts);
    syno_buf_fini(&err);
    syno_diags_fini(&diags);
    syno_arena_free(arena);
    syno_ctx_free(ctx);
    if (!tap_failed) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        sh(cmd);
    } else {
        printf("# files kept in %s\n", tmpdir);
    }
    return tap_done();
}
