/* cpu_generic.c - stages run as gather-multiply-reduce: one or three
 * operands, guards no operand covers, Hadamard-like or small products.
 *
 * The output is cut into tiles; per tile and per chunk of the reduction,
 * every operand is gathered and the products accumulated.  The iterator
 * the gathers run along is the cheapest to read over all operands (long,
 * unit-stride, not under a division): when it is an output iterator, the
 * operands are gathered as [reduction][tile] and whole vectors of outputs
 * accumulate at once; when it is a summed iterator, they are gathered as
 * [tile][reduction] and each output is a dot product.  Outputs are stored
 * through the output strides, so the output group may be reordered.
 * When every operand is affine, cpu_fused.c multiplies them where they
 * lie instead of gathering them. */
/* The inner loops here have run-time trip counts, which gcc's -O2 cost
 * model leaves scalar; the dynamic model vectorises them. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include "codegen/cpu_int.h"

#include <stdio.h>
#include <string.h>

/* Per-element cost of reading operand A in segments along iterator V (in
 * units of one copied float): a fixed cost per segment spread over its
 * length, a cheaper copy for unit or zero steps, a dearer one for steps
 * beyond a cache line, and the full expression
 * evaluation per element when V is under a division (a table look-up when
 * the operand has index tables). */
static double segment_cost(const cpu_stage *st, const cpu_access *a, int v)
{
    if (a->nonlin & (1ull << v)) return a->toff ? 3.0 : 30.0; /* a table entry, or every expression */
    int64_t step = a->dstep[v] < 0 ? -a->dstep[v] : a->dstep[v];
    /* a unit or zero step copies; a short one reads within cache lines; a
     * long one touches a new line per element */
    double per = step <= 1 || a->buf < 0 ? 0.3 : step < 16 ? 1.0 : 2.5;
    return 20.0 / (double)st->ext[v] + per;
}

/* The same for the operands read in place (cpu_fused.c): one fixed cost
 * per segment for all of them, nothing for a step 0 (a scalar). */
static double fused_cost(const cpu_stage *st, int v)
{
    double c = 20.0 / (double)st->ext[v];
    for (int k = 0; k < st->nacc; k++) {
        const cpu_access *a = &st->acc[k];
        int64_t step = a->dstep[v] < 0 ? -a->dstep[v] : a->dstep[v];
        if (a->buf >= 0) c += step == 0 ? 0.05 : step == 1 ? 0.3 : step < 16 ? 1.0 : 2.5;
    }
    return c;
}

/* Sets ST up for the generic method (see the file comment); LIVE_RED are
 * the summed iterators some operand reads, NTHREADS sizes the tiles. */
void cpu_generic_setup(cpu_stage *st, uint64_t live_red, int nthreads)
{
    const syno_plan_stage *s = st->ps;
    /* the iterator to run segments along: the cheapest to read over all operands */
    bool fused = cpu_fused_ok(st);
    int64_t red = 1;
    for (int i = s->nout; i < s->niters; i++)
        if (live_red & (1ull << i)) red *= st->ext[i];
    int best = -1;
    double best_cost = 0;
    for (int v = 0; v < s->niters; v++) {
        if (v >= s->nout && !(live_red & (1ull << v))) continue;
        double c = 0;
        if (fused) {
            c = fused_cost(st, v);
            if (v < s->nout) { /* the sums are stored along v once per output */
                int64_t os = 1;
                for (int i = v + 1; i < s->nout; i++) os *= st->ext[i];
                c += (os == 1 ? 0.0 : os < 16 ? 1.0 : 2.5) / (double)red;
            }
        } else {
            for (int k = 0; k < st->nacc; k++) c += segment_cost(st, &st->acc[k], v);
        }
        if (best < 0 || c < best_cost - 1e-9) best = v, best_cost = c;
    }
    st->gen_rmode = best >= s->nout;
    st->gen_fused = best >= 0 && fused;
    if (st->gen_fused) cpu_fused_setup(st);
    cpu_group_clear(&st->og);
    cpu_group_clear(&st->rg);
    for (int i = 0; i < s->nout; i++)
        if (i != best) cpu_group_add(st, &st->og, i);
    if (best >= 0 && best < s->nout) cpu_group_add(st, &st->og, best);
    for (int i = s->nout; i < s->niters; i++)
        if ((live_red & (1ull << i)) && i != best) cpu_group_add(st, &st->rg, i);
    if (best >= s->nout) cpu_group_add(st, &st->rg, best);
    int64_t acc = 1;
    for (int i = s->nout - 1; i >= 0; i--) {
        st->ostride[i] = acc;
        acc *= st->ext[i];
    }
    int64_t want = 3 * (int64_t)nthreads, To, Rc;
    if (!st->gen_rmode) {
        To = 512;
        if (st->gen_fused && st->og.n >= 1) {
            /* whole rows of the inner output iterator (whole planes of the
             * two inner ones when small), which cpu_fused.c takes in blocks */
            int64_t ev = st->ext[st->og.it[st->og.n - 1]];
            int64_t plane = st->og.n >= 2 ? ev * st->ext[st->og.it[st->og.n - 2]] : ev;
            int64_t unit = plane <= 2048 ? plane : ev;
            if (unit <= 1024) To = unit * (1024 / unit);
        }
        if (To > st->og.size) To = st->og.size;
        if ((st->og.size + To - 1) / To < want) To = (st->og.size + want - 1) / want;
        if (To < 16) To = st->og.size < 16 ? st->og.size : 16;
        Rc = 8192 / To;
    } else {
        Rc = 2048;
        if (Rc > st->rg.size) Rc = st->rg.size;
        To = 8192 / Rc;
        if (To > st->og.size) To = st->og.size;
        if ((st->og.size + To - 1) / To < want) To = (st->og.size + want - 1) / want;
    }
    if (To < 1) To = 1;
    if (Rc < 1) Rc = 1;
    if (Rc > st->rg.size) Rc = st->rg.size;
    st->otile = To;
    st->rchunk = Rc;
    st->scratch = To + (int64_t)st->nacc * Rc * To;
    snprintf(st->method_text, sizeof st->method_text,
             "generic: %lld outputs x %lld reduction points, %d operand%s%s, along %s (%s%s)", (long long)st->og.size,
             (long long)st->rg.size, s->nops, s->nops == 1 ? "" : "s", st->has_mask ? " and a guard mask" : "",
             best >= 0 ? s->iters[best].name : "-", st->gen_rmode ? "dot products" : "vectors",
             st->gen_fused ? ", read in place" : "");
}

/* out[og flat index j in [o0, o1)] = alpha * acc[j - o0], along the
 * output strides (the output group may be reordered). */
static void generic_store(const cpu_stage *st, const cpu_bufs *b, int64_t o0, int64_t o1, const float *acc)
{
    float *out = b->p[st->ps->out];
    float alpha = st->alpha;
    if (st->og.n == 0) {
        out[0] = alpha * acc[0];
        return;
    }
    int64_t it[CPU_MAXIT] = {0};
    cpu_group_set(st, &st->og, o0, it);
    int v = st->og.it[st->og.n - 1];
    int64_t sv = st->ostride[v], ev = st->ext[v];
    for (int64_t j = o0; j < o1;) {
        int64_t off = 0;
        for (int g = 0; g < st->og.n; g++) off += st->ostride[st->og.it[g]] * it[st->og.it[g]];
        int64_t len = ev - it[v];
        if (len > o1 - j) len = o1 - j;
        const float *src = acc + (j - o0);
        if (sv == 1)
            for (int64_t t = 0; t < len; t++) out[off + t] = alpha * src[t];
        else
            for (int64_t t = 0; t < len; t++) out[off + t * sv] = alpha * src[t];
        j += len;
        it[v] += len;
        for (int g = st->og.n - 1; g > 0 && it[st->og.it[g]] == st->ext[st->og.it[g]]; g--) {
            it[st->og.it[g]] = 0;
            it[st->og.it[g - 1]]++;
        }
    }
}

/* Σ_r Π_k rows[k][r] over R elements, with eight partial sums. */
static float dot(const float *const *rows, int nk, int64_t R)
{
    float part[8] = {0};
    int64_t r = 0;
    if (nk == 1) {
        const float *restrict a = rows[0];
        for (; r + 8 <= R; r += 8)
            for (int l = 0; l < 8; l++) part[l] += a[r + l];
        for (; r < R; r++) part[0] += a[r];
    } else if (nk == 2) {
        const float *restrict a = rows[0], *restrict c = rows[1];
        for (; r + 8 <= R; r += 8)
            for (int l = 0; l < 8; l++) part[l] += a[r + l] * c[r + l];
        for (; r < R; r++) part[0] += a[r] * c[r];
    } else {
        for (; r < R; r++) {
            float p = rows[0][r];
            for (int k = 1; k < nk; k++) p *= rows[k][r];
            part[0] += p;
        }
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

static void generic_unit(void *ctx, int64_t u, int thread)
{
    const cpu_job *jb = ctx;
    const cpu_stage *st = jb->st;
    const cpu_bufs *b = jb->b;
    int64_t To = st->otile, o0 = u * To, o1 = o0 + To < st->og.size ? o0 + To : st->og.size, n = o1 - o0;
    float *scratch = b->scratch + (int64_t)thread * b->scratch_per_thread;
    float *restrict acc = scratch;
    float *g = scratch + To;
    if (st->gen_fused) {
        cpu_fused_tile(st, b, o0, o1, acc);
        generic_store(st, b, o0, o1, acc);
        return;
    }
    int64_t it[CPU_MAXIT] = {0};
    for (int64_t t = 0; t < n; t++) acc[t] = 0.0f;
    int64_t R = st->rg.size, Rc = st->rchunk;
    for (int64_t r0 = 0; r0 < R; r0 += Rc) {
        int64_t r1 = r0 + Rc < R ? r0 + Rc : R, nr = r1 - r0;
        if (st->gen_rmode) {
            for (int k = 0; k < st->nacc; k++)
                cpu_gather(st, &st->acc[k], cpu_acc_base(st, b, k), it, &st->og, o0, o1, &st->rg, r0, r1,
                                g + k * Rc * To, Rc);
            const float *rows[SYNO_PLAN_MAX_OPS + 1];
            for (int64_t t = 0; t < n; t++) {
                for (int k = 0; k < st->nacc; k++) rows[k] = g + k * Rc * To + t * Rc;
                acc[t] += dot(rows, st->nacc, nr);
            }
            continue;
        }
        for (int k = 0; k < st->nacc; k++)
            cpu_gather(st, &st->acc[k], cpu_acc_base(st, b, k), it, &st->rg, r0, r1, &st->og, o0, o1, g + k * Rc * To,
                            To);
        if (st->nacc == 1) {
            for (int64_t r = 0; r < nr; r++) {
                const float *restrict a0 = g + r * To;
                for (int64_t t = 0; t < n; t++) acc[t] += a0[t];
            }
        } else if (st->nacc == 2) {
            for (int64_t r = 0; r < nr; r++) {
                const float *restrict a0 = g + r * To, *restrict a1 = g + Rc * To + r * To;
                for (int64_t t = 0; t < n; t++) acc[t] += a0[t] * a1[t];
            }
        } else {
            for (int64_t r = 0; r < nr; r++) {
                float *restrict p0 = g + r * To;
                for (int k = 1; k < st->nacc; k++) {
                    const float *restrict ak = g + k * Rc * To + r * To;
                    for (int64_t t = 0; t < n; t++) p0[t] *= ak[t];
                }
                for (int64_t t = 0; t < n; t++) acc[t] += p0[t];
            }
        }
    }
    generic_store(st, b, o0, o1, acc);
}

/* Runs generic stage ST on the bound buffers B (see cpu_int.h). */
void cpu_generic_run(const cpu_stage *st, const cpu_bufs *b)
{
    cpu_job jb = {st, b};
    cpu_run_units(st, (st->og.size + st->otile - 1) / st->otile, generic_unit, &jb);
}
