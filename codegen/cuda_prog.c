/* cuda_prog.c - GPU programs from plans and from graphs (see cuda_prog.h). */
#include "codegen/cuda_prog.h"

#include "codegen/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default chooser: the heuristic tile. */
syno_cuda_tile syno_cuda_choose_default(const syno_cuda_contr *c, void *ctx)
{
    return syno_cuda_tile_default(c, ctx ? *(const int *)ctx : 132);
}

static syno_cuda_tile cuda_fixed_tile(const syno_cuda_contr *c, void *ctx)
{
    (void)c;
    return *(const syno_cuda_tile *)ctx;
}

/* Chooser of the direct kernel. */
syno_cuda_tile syno_cuda_choose_direct(const syno_cuda_contr *c, void *ctx)
{
    (void)c;
    (void)ctx;
    return (syno_cuda_tile){0, 0, 0, 0, 0, 1};
}

/* "syno_" + OPNAME made an identifier. */
const char *syno_cuda_prog_ident(const char *opname, char *buf, size_t n)
{
    snprintf(buf, n, "%s", strncmp(opname, "syno_", 5) == 0 ? "" : "syno_");
    size_t len = strlen(buf);
    for (const char *s = opname; *s && len + 1 < n; s++) buf[len++] = isalnum((unsigned char)*s) ? *s : '_';
    buf[len] = 0;
    return buf;
}

/* NAME made an identifier. */
const char *syno_cuda_ident(const char *name, char *buf, size_t n)
{
    size_t len = 0;
    for (const char *s = name; *s && len + 1 < n; s++) buf[len++] = isalnum((unsigned char)*s) ? *s : '_';
    buf[len] = 0;
    return buf;
}

static syno_cuda_prog *prog_new(int wrt)
{
    syno_cuda_prog *p = syno_xcalloc(1, sizeof *p);
    p->wrt = wrt;
    p->result = -1;
    return p;
}

static int add_buf(syno_cuda_prog *p, syno_cuda_buf_kind kind, int tensor, const char *name, int64_t numel)
{
    p->bufs = syno_xrealloc(p->bufs, (size_t)(p->nbufs + 1) * sizeof *p->bufs);
    syno_cuda_pbuf *b = &p->bufs[p->nbufs];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->tensor = tensor;
    snprintf(b->name, sizeof b->name, "%s", name);
    b->numel = numel;
    return p->nbufs++;
}

static syno_cuda_step *add_step(syno_cuda_prog *p)
{
    p->steps = syno_xrealloc(p->steps, (size_t)(p->nsteps + 1) * sizeof *p->steps);
    syno_cuda_step *s = &p->steps[p->nsteps++];
    memset(s, 0, sizeof *s);
    return s;
}

/* Emits C (tile from CHOOSE, the direct kernel when that does not apply,
 * unless STRICT) as a new source of P, with its launches; C's buffer
 * numbers are P's. */
static bool add_contraction(syno_cuda_prog *p, const syno_cuda_contr *c, syno_cuda_chooser choose, void *ctx,
                            bool strict, syno_buf *err)
{
    syno_cuda_tile t = choose ? choose(c, ctx) : syno_cuda_choose_default(c, ctx);
    syno_buf text = SYNO_BUF_INIT, ignored = SYNO_BUF_INIT;
    syno_cuda_launch l;
    syno_cuda_emit_prelude(&text);
    size_t prelude = text.len;
    if (!syno_cuda_emit(c, &t, &text, &l, strict ? err : &ignored)) {
        if (strict) {
            syno_buf_fini(&text);
            syno_buf_fini(&ignored);
            return false;
        }
        text.len = prelude;
        text.data[prelude] = 0;
        t = syno_cuda_choose_direct(c, NULL);
        if (!syno_cuda_emit(c, &t, &text, &l, err)) {
            syno_buf_fini(&text);
            syno_buf_fini(&ignored);
            return false;
        }
    }
    syno_buf_fini(&ignored);
    p->srcs = syno_xrealloc(p->srcs, (size_t)(p->nsrcs + 1) * sizeof *p->srcs);
    syno_cuda_src *src = &p->srcs[p->nsrcs];
    src->text = syno_buf_take(&text);
    snprintf(src->what, sizeof src->what, "%s", c->what);
    src->tile = t;
    int work = -1;
    if (l.workspace) {
        char name[48];
        snprintf(name, sizeof name, "ws%d", p->nsrcs);
        work = add_buf(p, SYNO_CUDA_BUF_WORK, -1, name, l.workspace);
    }
    syno_cuda_step *s = add_step(p);
    s->src = p->nsrcs;
    snprintf(s->kernel, sizeof s->kernel, "%s", l.kernel);
    memcpy(s->grid, l.grid, sizeof s->grid);
    memcpy(s->block, l.block, sizeof s->block);
    s->args[s->nargs++] = work >= 0 ? work : c->out_buf;
    for (int k = 0; k < c->nops; k++) s->args[s->nargs++] = c->ops[k].buf;
    s->flops = l.flops;
    p->flops += l.flops;
    if (work >= 0) {
        s = add_step(p);
        s->src = p->nsrcs;
        snprintf(s->kernel, sizeof s->kernel, "%s", l.reduce);
        s->grid[0] = l.rgrid;
        s->grid[1] = s->grid[2] = 1;
        s->block[0] = l.rblock;
        s->block[1] = s->block[2] = 1;
        s->args[s->nargs++] = c->out_buf;
        s->args[s->nargs++] = work;
    }
    p->nsrcs++;
    return true;
}

/* The program of a plan (see cuda_prog.h). */
syno_cuda_prog *syno_cuda_prog_from_plan(const syno_plan *pl, const char *name, syno_cuda_chooser choose, void *ctx,
                                         syno_buf *err)
{
    syno_cuda_prog *p = prog_new(pl->wrt == SYNO_PLAN_FORWARD ? -1 : pl->wrt);
    static const syno_cuda_buf_kind kinds[] = {
        [SYNO_PBUF_TENSOR] = SYNO_CUDA_BUF_TENSOR,
        [SYNO_PBUF_GRAD_OUT] = SYNO_CUDA_BUF_DY,
        [SYNO_PBUF_TEMP] = SYNO_CUDA_BUF_TEMP,
        [SYNO_PBUF_RESULT] = SYNO_CUDA_BUF_RESULT,
    };
    for (int i = 0; i < pl->nbufs; i++) add_buf(p, kinds[pl->bufs[i].kind], pl->bufs[i].tensor, pl->bufs[i].name, pl->bufs[i].numel);
    p->result = pl->result;
    char prefix[96];
    if (pl->wrt == SYNO_PLAN_FORWARD) snprintf(prefix, sizeof prefix, "%s_fwd", name);
    else {
        char id[64];
        syno_cuda_ident(pl->op->tensors[pl->wrt].name, id, sizeof id);
        snprintf(prefix, sizeof prefix, "%s_grad_%s", name, id);
    }
    for (int s = 0; s < pl->nstages; s++) {
        syno_cuda_contr c;
        bool ok = syno_cuda_contr_from_stage(&c, pl, s, prefix, err) && add_contraction(p, &c, choose, ctx, false, err);
        syno_cuda_contr_fini(&c);
        if (!ok) {
            syno_cuda_prog_free(p);
            return NULL;
        }
    }
    return p;
}

/* A one-kernel program from the graph (see cuda_prog.h). */
syno_cuda_prog *syno_cuda_prog_direct(const syno_op *op, const int64_t *sizes, int wrt, const char *name,
                                      syno_cuda_chooser choose, void *ctx, syno_buf *err)
{
    syno_cuda_prog *p = prog_new(wrt);
    for (int t = 0; t < op->ntensors; t++) {
        int64_t n = 1;
        for (int a = 0; a < op->tensors[t].rank; a++) n *= sizes[op->tensors[t].axes[a]];
        add_buf(p, SYNO_CUDA_BUF_TENSOR, t, op->tensors[t].name, n);
    }
    int64_t nout = 1;
    for (int i = 0; i < op->nout; i++) nout *= sizes[op->out[i]];
    add_buf(p, SYNO_CUDA_BUF_DY, -1, "dy", nout);
    if (wrt < 0) p->result = add_buf(p, SYNO_CUDA_BUF_RESULT, -1, "y", nout);
    else {
        char d[48];
        snprintf(d, sizeof d, "d%s", op->tensors[wrt].name);
        p->result = add_buf(p, SYNO_CUDA_BUF_RESULT, wrt, d, p->bufs[wrt].numel);
    }
    syno_cuda_contr c;
    bool ok = syno_cuda_contr_from_op(&c, op, sizes, wrt < 0 ? SYNO_CUDA_OUT : wrt, name, err) &&
              add_contraction(p, &c, choose, ctx, false, err);
    syno_cuda_contr_fini(&c);
    if (!ok) {
        syno_cuda_prog_free(p);
        return NULL;
    }
    return p;
}

/* A program for one contraction (see cuda_prog.h). */
syno_cuda_prog *syno_cuda_prog_single(const syno_cuda_contr *c, const syno_cuda_tile *t, syno_buf *err)
{
    syno_cuda_prog *p = prog_new(-1);
    syno_cuda_contr *copy = syno_xmalloc(sizeof *copy);
    *copy = *c; /* renumbered buffers; the atoms stay C's (not freed here) */
    char ts[64], id[64];
    syno_cuda_ident(syno_cuda_tile_str(t, ts, sizeof ts), id, sizeof id);
    size_t len = strlen(copy->name); /* one kernel name per tiling: profiles tell them apart */
    snprintf(copy->name + len, sizeof copy->name - len, "_%s", id);
    for (int k = 0; k < c->nops; k++) {
        copy->ops[k].buf = add_buf(p, SYNO_CUDA_BUF_TENSOR, k, c->ops[k].name, c->ops[k].numel);
    }
    copy->out_buf = p->result = add_buf(p, SYNO_CUDA_BUF_RESULT, -1, c->out_name, c->out_numel);
    syno_cuda_tile tile = *t;
    bool ok = add_contraction(p, copy, cuda_fixed_tile, &tile, true, err);
    free(copy);
    if (!ok) {
        syno_cuda_prog_free(p);
        return NULL;
    }
    return p;
}

/* Frees P. */
void syno_cuda_prog_free(syno_cuda_prog *p)
{
    if (!p) return;
    for (int i = 0; i < p->nsrcs; i++) free(p->srcs[i].text);
    free(p->srcs);
    free(p->bufs);
    free(p->steps);
    free(p);
}

/* A comment listing P's launches. */
void syno_cuda_prog_describe(const syno_cuda_prog *p, syno_buf *out)
{
    static const char *const kind[] = {"input", "input (dy)", "temporary", "result", "split-K workspace"};
    syno_buf_puts(out, "/* Buffers (float32, C order):\n");
    for (int i = 0; i < p->nbufs; i++)
        syno_buf_printf(out, " *   %-8s %12lld elements  %s\n", p->bufs[i].name, (long long)p->bufs[i].numel,
                        kind[p->bufs[i].kind]);
    syno_buf_puts(out, " * Launches, in order:\n");
    for (int i = 0; i < p->nsteps; i++) {
        const syno_cuda_step *s = &p->steps[i];
        syno_buf_printf(out, " *   %s<<<(%u,%u,%u), (%u,%u,%u)>>>(", s->kernel, s->grid[0], s->grid[1], s->grid[2],
                        s->block[0], s->block[1], s->block[2]);
        for (int a = 0; a < s->nargs; a++) syno_buf_printf(out, "%s%s", a ? ", " : "", p->bufs[s->args[a]].name);
        syno_buf_puts(out, ")\n");
    }
    syno_buf_puts(out, " */\n");
}
