/* t_cuda_emu.c - the generated CUDA kernels, run on the CPU emulator
 * (cuda_emu.h) and compared with the reference evaluator.
 *
 * Every stdlib operator, forward and the gradient of every tensor: the
 * one-kernel program from the graph with the direct kernel, the default
 * tiling and one more tiling (cycling through the tile table, split-K
 * included); the program of the staged plan with the default tiling and
 * with direct kernels.  Random operators the same way, without the extra
 * tiling.  All kernels go into one C program, compiled once with the
 * compiler that built syno and run as a child process; each result must
 * equal the reference within a relative error of 1e-4 (float32 sums of at
 * most a few thousand terms against double).  No GPU, no NVRTC needed. */
#include "tests/tap.h"
#include "tests/unit/cuda_test.h"

#include "codegen/plan.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYNO_TEST_CC
#define SYNO_TEST_CC "cc"
#endif

#define TOLERANCE 1e-4

typedef struct ecase {
    char desc[200];
    int64_t numel;
    double *want;
    float *got;
} ecase;

typedef struct emu_job {
    syno_buf src, job, table;
    FILE *data;
    int nbufs;
    ecase *cases;
    int ncases;
    char dir[256];
} emu_job;

/* Adds program P (kernel names already unique) with inputs from D. */
static void add_prog(emu_job *j, const syno_cuda_prog *p, const cuda_test_data *d, double *want, int64_t n,
                     const char *desc)
{
    int *global = syno_xmalloc((size_t)p->nbufs * sizeof *global);
    for (int b = 0; b < p->nbufs; b++) {
        global[b] = j->nbufs++;
        const float *in = cuda_test_input(p, b, d);
        const char *kind = b == p->result ? "out" : in ? "in" : "tmp";
        syno_buf_printf(&j->job, "B %lld %s\n", (long long)p->bufs[b].numel, kind);
        if (in) fwrite(in, sizeof(float), (size_t)p->bufs[b].numel, j->data);
    }
    for (int s = 0; s < p->nsrcs; s++) syno_buf_puts(&j->src, p->srcs[s].text);
    for (int s = 0; s < p->nsteps; s++) {
        const syno_cuda_step *st = &p->steps[s];
        /* Only the tiled main kernels use __syncthreads(). */
        int barriers = p->srcs[st->src].tile.bm != 0 && st->flops > 0;
        syno_buf_printf(&j->job, "L %s %d %u %u %u %u %u %u %d", st->kernel, barriers, st->grid[0], st->grid[1],
                        st->grid[2], st->block[0], st->block[1], st->block[2], st->nargs);
        for (int a = 0; a < st->nargs; a++) syno_buf_printf(&j->job, " %d", global[st->args[a]]);
        syno_buf_puts(&j->job, "\n");
        syno_buf_printf(&j->table, "    {\"%s\", (void (*)(void))%s},\n", st->kernel, st->kernel);
    }
    j->cases = syno_xrealloc(j->cases, (size_t)(j->ncases + 1) * sizeof *j->cases);
    ecase *c = &j->cases[j->ncases++];
    snprintf(c->desc, sizeof c->desc, "%s", desc);
    c->numel = n;
    c->want = want;
    c->got = NULL;
    free(global);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Compiles and runs the job; fills every case's results.  False on failure. */
static bool run_job(emu_job *j)
{
    char path[512], cmd[2048];
    fclose(j->data);
    j->data = NULL;
    syno_buf prog = SYNO_BUF_INIT;
    syno_buf_printf(&prog, "#include \"%s/tests/unit/cuda_emu.h\"\n", SYNO_SRCDIR);
    syno_buf_puts(&prog, syno_buf_str(&j->src));
    syno_buf_printf(&prog, "static const emu_kernel emu_kernels[] = {\n%s    {0, 0},\n};\n", syno_buf_str(&j->table));
    syno_buf_printf(&prog, "#include \"%s/tests/unit/cuda_emu_main.c\"\n", SYNO_SRCDIR);
    snprintf(path, sizeof path, "%s/prog.c", j->dir);
    bool ok = write_file(path, syno_buf_str(&prog));
    syno_buf_fini(&prog);
    snprintf(path, sizeof path, "%s/job", j->dir);
    ok = ok && write_file(path, syno_buf_str(&j->job));
    if (!ok) return false;
    snprintf(cmd, sizeof cmd, "%s -std=gnu11 -O0 -w -o %s/prog %s/prog.c 2>%s/cc.log", SYNO_TEST_CC, j->dir, j->dir, j->dir);
    if (run(cmd) != 0) {
        printf("# compiling the kernels as C failed: %s (see %s/cc.log)\n", cmd, j->dir);
        snprintf(cmd, sizeof cmd, "head -30 %s/cc.log | sed 's/^/# /'", j->dir);
        run(cmd);
        return false;
    }
    snprintf(cmd, sizeof cmd, "%s/prog %s/job %s/data %s/out 2>%s/run.log", j->dir, j->dir, j->dir, j->dir, j->dir);
    if (run(cmd) != 0) {
        printf("# the emulated program failed\n");
        snprintf(cmd, sizeof cmd, "head -30 %s/run.log | sed 's/^/# /'", j->dir);
        run(cmd);
        return false;
    }
    snprintf(path, sizeof path, "%s/out", j->dir);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    for (int i = 0; i < j->ncases; i++) {
        ecase *c = &j->cases[i];
        c->got = syno_xmalloc((size_t)c->numel * sizeof(float));
        if (fread(c->got, sizeof(float), (size_t)c->numel, f) != (size_t)c->numel) ok = false;
    }
    fclose(f);
    return ok;
}

/* Adds OP under SIZES for every target with the given choosers. */
static void add_op(emu_job *j, const syno_op *op, const syno_binding *b, const int64_t *sizes, uint64_t seed, int variant,
                   const char *label)
{
    cuda_test_data d;
    cuda_test_data_init(&d, op, sizes, seed);
    for (int wrt = -1; wrt < op->ntensors; wrt++) {
        int64_t n;
        syno_cuda_tile fixed[3];
        const char *how[3];
        int nhow = 0;
        fixed[nhow] = (syno_cuda_tile){0, 0, 0, 0, 0, 1};
        how[nhow++] = "direct";
        syno_cuda_contr c;
        syno_buf err = SYNO_BUF_INIT;
        if (syno_cuda_contr_from_op(&c, op, sizes, wrt < 0 ? SYNO_CUDA_OUT : wrt, "k", &err)) {
            syno_cuda_tile cand[64];
            int nc = syno_cuda_tile_candidates(&c, cand, 64);
            fixed[nhow] = syno_cuda_tile_default(&c, 132);
            if (fixed[nhow].bm) how[nhow++] = "default";
            if (nc > 1 && variant >= 0) {
                fixed[nhow] = cand[1 + (variant + wrt + 1) % (nc - 1)];
                how[nhow++] = "tile";
            }
        }
        syno_cuda_contr_fini(&c);
        for (int h = 0; h < nhow; h++) {
            char name[96], desc[200], ts[64];
            snprintf(name, sizeof name, "c%d_%s", j->ncases, op->name);
            for (char *s = name; *s; s++)
                if (!isalnum((unsigned char)*s)) *s = '_';
            syno_cuda_prog *p = syno_cuda_prog_direct(op, sizes, wrt, name, cuda_test_fixed, &fixed[h], &err);
            if (!p) {
                printf("# %s: %s\n", label, syno_buf_str(&err));
                continue;
            }
            snprintf(desc, sizeof desc, "%s %s%s, %s (%s)", label, wrt < 0 ? "forward" : "gradient of ",
                     wrt < 0 ? "" : op->tensors[wrt].name, how[h], syno_cuda_tile_str(&p->srcs[0].tile, ts, sizeof ts));
            double *want = cuda_test_reference(op, sizes, &d, wrt, &n);
            add_prog(j, p, &d, want, n, desc);
            syno_cuda_prog_free(p);
        }
        /* The staged plan, with the default tiling and with direct kernels only. */
        syno_plan *pl = syno_plan_build(op, b, wrt < 0 ? SYNO_PLAN_FORWARD : wrt, &err);
        if (!ok(pl != NULL, "%s: plan for %s", label, wrt < 0 ? "forward" : op->tensors[wrt].name))
            printf("#   %s\n", syno_buf_str(&err));
        for (int h = 0; pl && h < 2; h++) {
            char name[96], desc[200];
            snprintf(name, sizeof name, "c%d_%s", j->ncases, op->name);
            for (char *s = name; *s; s++)
                if (!isalnum((unsigned char)*s)) *s = '_';
            syno_cuda_prog *p = syno_cuda_prog_from_plan(pl, name, h ? syno_cuda_choose_direct : NULL, NULL, &err);
            if (!ok(p != NULL, "%s: program from the plan", label)) {
                printf("#   %s\n", syno_buf_str(&err));
                continue;
            }
            syno_buf tiles = SYNO_BUF_INIT;
            for (int k = 0; k < p->nsrcs; k++) {
                char ts[64];
                syno_buf_printf(&tiles, "%s%s", k ? ", " : "", syno_cuda_tile_str(&p->srcs[k].tile, ts, sizeof ts));
            }
            snprintf(desc, sizeof desc, "%s %s%s, %d-stage plan (%s)", label, wrt < 0 ? "forward" : "gradient of ",
                     wrt < 0 ? "" : op->tensors[wrt].name, pl->nstages, syno_buf_str(&tiles));
            syno_buf_fini(&tiles);
            double *want = cuda_test_reference(op, sizes, &d, wrt, &n);
            add_prog(j, p, &d, want, n, desc);
            syno_cuda_prog_free(p);
        }
        syno_plan_free(pl);
        syno_buf_fini(&err);
    }
    cuda_test_data_fini(&d);
}

int main(void)
{
    emu_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.dir, sizeof j.dir, "%s/syno-emu-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(j.dir)) return skip_all("cannot make a temporary directory");
    char path[512];
    snprintf(path, sizeof path, "%s/data", j.dir);
    j.data = fopen(path, "wb");
    bool sanitized = getenv("SYNO_SANITIZED") != NULL;

    syno_ctx *ctx = syno_ctx_new();
    int variant = 0;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cuda_test_ops); i++) {
        syno_op *op = syno_ctx_stdlib_op(ctx, cuda_test_ops[i]);
        if (!ok(op != NULL, "stdlib has %s", cuda_test_ops[i])) continue;
        syno_binding b;
        cuda_test_binding(op, &b);
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        if (ok(syno_op_eval_sizes(op, &b, sizes), "%s: sizes evaluate", op->name))
            add_op(&j, op, &b, sizes, 100 + i, variant++, op->name);
        free(sizes);
    }
    /* Random operators. */
    syno_vars vars;
    syno_randop_vars(&vars);
    syno_arena *arena = syno_arena_new();
    syno_diags diags;
    syno_diags_init(&diags, NULL);
    syno_rng rng;
    syno_rng_seed(&rng, 6);
    syno_randop_opts o;
    syno_randop_defaults(&o);
    o.max_terms = 4e4;
    int nrand = sanitized ? 4 : 12;
    for (int r = 0; r < nrand; r++) {
        syno_binding b;
        syno_op *op = syno_randop(arena, &vars, &diags, &rng, &o, &b, NULL);
        if (!op) continue;
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        char label[64];
        snprintf(label, sizeof label, "random op %d", r);
        if (syno_op_eval_sizes(op, &b, sizes)) add_op(&j, op, &b, sizes, 1000 + (uint64_t)r, -1, label);
        free(sizes);
    }
    /* The 64-bit index arithmetic of huge tensors, on small ones. */
    syno_cuda_emit_wide = true;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(cuda_test_ops); i += 3) {
        syno_op *op = syno_ctx_stdlib_op(ctx, cuda_test_ops[i]);
        if (!op) continue;
        syno_binding b;
        cuda_test_binding(op, &b);
        int64_t *sizes = syno_xmalloc((size_t)op->ndims * sizeof *sizes);
        char label[96];
        snprintf(label, sizeof label, "%s, 64-bit indices", op->name);
        if (syno_op_eval_sizes(op, &b, sizes)) add_op(&j, op, &b, sizes, 300 + i, (int)i, label);
        free(sizes);
    }
    syno_cuda_emit_wide = false;
    bool ran = run_job(&j);
    ok(ran, "the emulated program (%d results) compiled and ran", j.ncases);
    for (int i = 0; i < j.ncases; i++) {
        ecase *c = &j.cases[i];
        double e = ran ? cuda_test_error(c->got, c->want, c->numel) : 1;
        if (!ok(e <= TOLERANCE, "%s: max rel error %.2g", c->desc, e) && ran)
            printf("#   (tolerance %g; program in %s)\n", TOLERANCE, j.dir);
        free(c->want);
        free(c->got);
    }
    free(j.cases);
    syno_buf_fini(&j.src);
    syno_buf_fini(&j.job);
    syno_buf_fini(&j.table);
    syno_diags_fini(&diags);
    syno_arena_free(arena);
    syno_ctx_free(ctx);
    if (!tap_failed && !getenv("KEEP")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", j.dir);
        run(cmd);
    }
    return tap_done();
}
