/* cuda_emit.c - CUDA C text for contractions: the direct kernel, the tiled
 * implicit-GEMM kernel and its split-K reduction (see cuda_emit.h).
 *
 * Index arithmetic is printed from the affine forms of cuda_ix.h: each
 * non-iterator atom becomes one `const` local (t<N>), defined at the
 * outermost point where its iterators are bound; guards become `if`s at
 * the same place.  Integers are 32-bit unless some index could leave the
 * int range, then the whole kernel uses long long. */
#include "codegen/cuda_emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRECT_THREADS 256
#define PAD 4          /* floats of padding per shared-memory row (bank conflicts) */

/* ---- names and expressions ------------------------------------------------ */

typedef struct namer {
    const syno_cuda_contr *c;
    uint64_t slotset;  /* iterators with per-slot copies (M or N in tile loads) */
    uint64_t kset;     /* iterators bound inside the current block */
    char suffix[16];   /* "_a0" */
} namer;

static bool suffixed(const namer *nm, uint64_t deps)
{
    return nm->slotset && (deps & nm->slotset) && !(deps & nm->kset);
}

static const char *atom_name(int atom, void *ctx)
{
    const namer *nm = ctx;
    const syno_ix_atom *a = &nm->c->sp.atoms[atom];
    static _Thread_local char bufs[16][64];
    static _Thread_local int next;
    char *s = bufs[next++ % 16];
    const char *suf = suffixed(nm, a->deps) ? nm->suffix : "";
    if (a->kind == SYNO_IX_ITER) snprintf(s, 64, "%s%s", nm->c->iter_name[a->iter], suf);
    else snprintf(s, 64, "t%d%s", atom, suf);
    return s;
}

static void print_ix(const namer *nm, const syno_ix *e, syno_buf *o)
{
    syno_ix_print(e, atom_name, (void *)nm, o);
}

/* Largest absolute value any partial sum of E can take. */
static int64_t ix_bound(const syno_ix_space *sp, const syno_ix *e)
{
    int64_t b = e->c0 < 0 ? -e->c0 : e->c0;
    for (int i = 0; i < e->n; i++) {
        const syno_ix_atom *a = &sp->atoms[e->t[i].atom];
        int64_t m = a->lo < 0 ? -a->lo : a->lo;
        if ((a->hi < 0 ? -a->hi : a->hi) > m) m = a->hi < 0 ? -a->hi : a->hi;
        int64_t c = e->t[i].c < 0 ? -e->t[i].c : e->t[i].c;
        if (m && c > INT64_MAX / 4 / m) return INT64_MAX / 4;
        b += c * m;
        if (b > INT64_MAX / 4) return INT64_MAX / 4;
    }
    return b;
}

/* Atoms the offsets and guards need (and the atoms those need). */
static void needed_atoms(const syno_cuda_contr *c, bool *need)
{
    const syno_ix_space *sp = &c->sp;
    memset(need, 0, (size_t)sp->natoms * sizeof *need);
    for (int k = 0; k < c->nops; k++)
        for (int i = 0; i < c->ops[k].offset.n; i++) need[c->ops[k].offset.t[i].atom] = true;
    for (int g = 0; g < c->nguards; g++)
        for (int i = 0; i < c->guards[g].e.n; i++) need[c->guards[g].e.t[i].atom] = true;
    for (int a = sp->natoms - 1; a >= 0; a--)
        if (need[a] && sp->atoms[a].kind != SYNO_IX_ITER)
            for (int i = 0; i < sp->atoms[a].arg.n; i++) need[sp->atoms[a].arg.t[i].atom] = true;
}

/* Tests set it to emit the 64-bit index arithmetic that only tensors of
 * over 2^30 elements would otherwise get (see cuda_emit.h). */
bool syno_cuda_emit_wide = false;

/* "int" when every index fits in 32 bits with room to spare, else "long long". */
static const char *index_type(const syno_cuda_contr *c, int64_t extra)
{
    const syno_ix_space *sp = &c->sp;
    int64_t worst = extra;
    for (int a = 0; a < sp->natoms; a++) {
        const syno_ix_atom *at = &sp->atoms[a];
        if (at->kind != SYNO_IX_ITER) {
            int64_t b = ix_bound(sp, &at->arg);
            if (b > worst) worst = b;
        }
        if (at->hi > worst) worst = at->hi;
        if (-at->lo > worst) worst = -at->lo;
    }
    for (int k = 0; k < c->nops; k++) {
        int64_t b = ix_bound(sp, &c->ops[k].offset);
        if (b > worst) worst = b;
    }
    for (int g = 0; g < c->nguards; g++) {
        int64_t b = ix_bound(sp, &c->guards[g].e);
        if (b > worst) worst = b;
    }
    return worst < ((int64_t)1 << 30) && !syno_cuda_emit_wide ? "int" : "long long";
}

/* Defines atom A (not an iterator). */
static void define_atom(const namer *nm, int a, const char *ity, int indent, syno_buf *o)
{
    const syno_ix_atom *at = &nm->c->sp.atoms[a];
    int64_t lo, hi;
    syno_ix_range(&nm->c->sp, &at->arg, &lo, &hi);
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "const %s %s = ", ity, atom_name(a, (void *)nm));
    if (lo >= 0) {
        print_ix(nm, &at->arg, o);
        syno_buf_printf(o, " %c %lld;\n", at->kind == SYNO_IX_DIV ? '/' : '%', (long long)at->k);
    } else {
        syno_buf_printf(o, "%s(", at->kind == SYNO_IX_DIV ? "SYNO_FLOORDIV" : "SYNO_MOD");
        print_ix(nm, &at->arg, o);
        syno_buf_printf(o, ", %lld);\n", (long long)at->k);
    }
}

/* The condition of guard G as C ("1" when its range already proves it). */
static void print_guard(const namer *nm, const syno_cuda_guard *g, syno_buf *o)
{
    int64_t lo, hi;
    syno_ix_range(&nm->c->sp, &g->e, &lo, &hi);
    bool need_lo = lo < g->lo, need_hi = hi > g->hi;
    if (g->lo == g->hi && need_lo && need_hi) {
        print_ix(nm, &g->e, o);
        syno_buf_printf(o, " == %lld", (long long)g->lo);
        return;
    }
    if (need_lo) {
        syno_buf_printf(o, "%lld <= ", (long long)g->lo);
        print_ix(nm, &g->e, o);
    }
    if (need_lo && need_hi) syno_buf_puts(o, " && ");
    if (need_hi) {
        print_ix(nm, &g->e, o);
        syno_buf_printf(o, " <= %lld", (long long)g->hi);
    }
    if (!need_lo && !need_hi) syno_buf_puts(o, "1");
}

/* Emits the decoding of linear index LIN into ITERS[0..n) (outer to inner). */
static void decode(const namer *nm, const char *lin, const int *iters, int n, const char *ity, int indent,
                   syno_buf *o)
{
    const syno_cuda_contr *c = nm->c;
    if (n == 0) return;
    if (n == 1) {
        syno_buf_indent(o, indent);
        syno_buf_printf(o, "const %s %s = %s;\n", ity, atom_name(c->sp.iter_atom[iters[0]], (void *)nm), lin);
        return;
    }
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "%s rest%s = %s;\n", ity, nm->suffix, lin);
    for (int i = n - 1; i > 0; i--) {
        syno_buf_indent(o, indent);
        syno_buf_printf(o, "const %s %s = rest%s %% %lld;\n", ity, atom_name(c->sp.iter_atom[iters[i]], (void *)nm),
                        nm->suffix, (long long)c->sp.ext[iters[i]]);
        syno_buf_indent(o, indent);
        syno_buf_printf(o, "rest%s /= %lld;\n", nm->suffix, (long long)c->sp.ext[iters[i]]);
    }
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "const %s %s = rest%s;\n", ity, atom_name(c->sp.iter_atom[iters[0]], (void *)nm), nm->suffix);
}

/* The product of operands OPS (mask over c->ops) as C, e.g. "x[...] * f[...]". */
static void print_product(const namer *nm, unsigned mask, syno_buf *o)
{
    const syno_cuda_contr *c = nm->c;
    bool first = true;
    for (int k = 0; k < c->nops; k++) {
        if (!(mask & (1u << k))) continue;
        if (!first) syno_buf_puts(o, " * ");
        first = false;
        syno_buf_printf(o, "%s[", c->ops[k].name);
        syno_ix_print(&c->ops[k].offset, atom_name, (void *)nm, o);
        syno_buf_putc(o, ']');
    }
    if (first) syno_buf_puts(o, "1.0f");
}

/* " * S" for a scale other than 1, as a float literal that reads back exactly. */
static void print_scale(double scale, syno_buf *o)
{
    if (scale == 1) return;
    char num[40];
    snprintf(num, sizeof num, "%.9g", (double)(float)scale);
    bool plain = strpbrk(num, ".eEn") == NULL; /* an integer: needs a point before the suffix */
    syno_buf_printf(o, " * %s%sf", num, plain ? ".0" : "");
}

/* The kernel's parameter list: OUT first, then the operands. */
static void print_params(const syno_cuda_contr *c, const char *out, syno_buf *o)
{
    syno_buf_printf(o, "float *__restrict__ %s", out);
    for (int k = 0; k < c->nops; k++) syno_buf_printf(o, ", const float *__restrict__ %s", c->ops[k].name);
}

static void header_comment(const syno_cuda_contr *c, const char *how, syno_buf *o)
{
    syno_buf_puts(o, "/*\n");
    syno_cuda_contr_describe(c, " * ", o);
    syno_buf_printf(o, " * kernel: %s\n */\n", how);
}

/* ---- the prelude ---------------------------------------------------------- */

/* Helpers shared by every kernel (see cuda_emit.h). */
void syno_cuda_emit_prelude(syno_buf *out)
{
    syno_buf_puts(out,
                  "#ifndef SYNO_PRELUDE\n"
                  "#define SYNO_PRELUDE\n"
                  "/* Kernels are C-callable: extern \"C\" under C++ (NVRTC, nvcc). */\n"
                  "#ifdef __cplusplus\n"
                  "#define SYNO_KERNEL extern \"C\" __global__\n"
                  "#else\n"
                  "#define SYNO_KERNEL __global__\n"
                  "#endif\n"
                  "#if defined(__CUDACC__)\n"
                  "#define SYNO_UNROLL _Pragma(\"unroll\")\n"
                  "#else\n"
                  "#define SYNO_UNROLL\n"
                  "#endif\n"
                  "/* Floor division and Euclidean remainder (C's / and % truncate toward 0). */\n"
                  "#define SYNO_FLOORDIV(a, b) ((a) >= 0 ? (a) / (b) : -((-(a) + (b) - 1) / (b)))\n"
                  "#define SYNO_MOD(a, b) (((a) % (b) + (b)) % (b))\n"
                  "#endif\n");
}

/* ---- direct kernel -------------------------------------------------------- */

static bool emit_direct(const syno_cuda_contr *c, syno_buf *o, syno_cuda_launch *l)
{
    const syno_ix_space *sp = &c->sp;
    const char *ity = index_type(c, c->out_numel + (int64_t)DIRECT_THREADS * 65536);
    namer nm = {c, 0, 0, ""};
    bool *need = syno_xmalloc((size_t)(sp->natoms ? sp->natoms : 1) * sizeof *need);
    needed_atoms(c, need);

    /* Loop order: larger extents outside, small tap loops inside. */
    int order[SYNO_IX_MAX_ITERS], nred = 0;
    for (int i = c->nout; i < sp->niters; i++) {
        int j = nred++;
        while (j > 0 && sp->ext[order[j - 1]] < sp->ext[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int level[SYNO_IX_MAX_ITERS];
    for (int i = 0; i < c->nout; i++) level[i] = 0;
    for (int j = 0; j < nred; j++) level[order[j]] = j + 1;
    int *alevel = syno_xmalloc((size_t)(sp->natoms ? sp->natoms : 1) * sizeof *alevel);
    for (int a = 0; a < sp->natoms; a++) {
        alevel[a] = 0;
        for (int i = 0; i < sp->niters; i++)
            if ((sp->atoms[a].deps >> i & 1) && level[i] > alevel[a]) alevel[a] = level[i];
    }
    int *glevel = syno_xmalloc((size_t)(c->nguards ? c->nguards : 1) * sizeof *glevel);
    for (int g = 0; g < c->nguards; g++) {
        glevel[g] = 0;
        uint64_t d = syno_ix_deps(sp, &c->guards[g].e);
        for (int i = 0; i < sp->niters; i++)
            if ((d >> i & 1) && level[i] > glevel[g]) glevel[g] = level[i];
    }

    snprintf(l->kernel, sizeof l->kernel, "%s", c->name);
    header_comment(c, "direct: one thread per result element", o);
    syno_buf_printf(o, "SYNO_KERNEL void __launch_bounds__(%d) %s(", DIRECT_THREADS, c->name);
    print_params(c, c->out_name, o);
    syno_buf_puts(o, ")\n{\n");
    syno_buf_printf(o, "    for (%s idx = (%s)blockIdx.x * %d + threadIdx.x; idx < %lld; idx += (%s)gridDim.x * %d) {\n",
                    ity, ity, DIRECT_THREADS, (long long)c->out_numel, ity, DIRECT_THREADS);
    int outer[SYNO_IX_MAX_ITERS];
    for (int i = 0; i < c->nout; i++) outer[i] = i;
    decode(&nm, "idx", outer, c->nout, ity, 8, o);
    syno_buf_puts(o, "        float acc = 0.0f;\n");
    int indent = 8, open_blocks = 0;
    for (int lv = 0; lv <= nred; lv++) {
        if (lv > 0) {
            int it = order[lv - 1];
            syno_buf_indent(o, indent);
            if (sp->ext[it] <= 8) syno_buf_puts(o, "SYNO_UNROLL\n"), syno_buf_indent(o, indent);
            syno_buf_printf(o, "for (%s %s = 0; %s < %lld; %s++) {\n", ity, c->iter_name[it], c->iter_name[it],
                            (long long)sp->ext[it], c->iter_name[it]);
            indent += 4;
            open_blocks++;
        }
        for (int a = 0; a < sp->natoms; a++)
            if (need[a] && alevel[a] == lv && sp->atoms[a].kind != SYNO_IX_ITER) define_atom(&nm, a, ity, indent, o);
        bool any = false;
        for (int g = 0; g < c->nguards; g++)
            if (glevel[g] == lv) {
                if (!any) {
                    syno_buf_indent(o, indent);
                    syno_buf_puts(o, "if (");
                } else {
                    syno_buf_puts(o, " && ");
                }
                any = true;
                syno_buf_putc(o, '(');
                print_guard(&nm, &c->guards[g], o);
                syno_buf_putc(o, ')');
            }
        if (any) {
            syno_buf_puts(o, ") {\n");
            indent += 4;
            open_blocks++;
        }
    }
    syno_buf_indent(o, indent);
    syno_buf_puts(o, "acc += ");
    print_product(&nm, (1u << c->nops) - 1, o);
    syno_buf_puts(o, ";\n");
    while (open_blocks--) {
        indent -= 4;
        syno_buf_indent(o, indent);
        syno_buf_puts(o, "}\n");
    }
    syno_buf_printf(o, "        %s[idx] = acc", c->out_name);
    print_scale(c->scale, o);
    syno_buf_puts(o, ";\n    }\n}\n");
    int64_t blocks = (c->out_numel + DIRECT_THREADS - 1) / DIRECT_THREADS;
    if (blocks > 65536) blocks = 65536;
    l->grid[0] = (unsigned)blocks;
    l->grid[1] = l->grid[2] = 1;
    l->block[0] = DIRECT_THREADS;
    l->block[1] = l->block[2] = 1;
    free(need);
    free(alevel);
    free(glevel);
    return true;
}

/* ---- tiled kernel --------------------------------------------------------- */

typedef struct tiled {
    const syno_cuda_contr *c;
    const syno_cuda_gemm *g;
    const syno_cuda_tile *t;
    syno_buf *o;
    const char *ity;
    int nt, la, lb;          /* threads, A and B loads per thread per tile */
    uint64_t mset, nset, bset, kset;
    bool *need_a, *need_b;   /* atoms each side's loads need */
} tiled;

static uint64_t set_of(const int *its, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++) s |= 1ull << its[i];
    return s;
}

/* Atoms the operands and guards of SIDE need. */
static void side_atoms(const tiled *T, int side, bool *need)
{
    const syno_cuda_contr *c = T->c;
    const syno_ix_space *sp = &c->sp;
    memset(need, 0, (size_t)sp->natoms * sizeof *need);
    for (int k = 0; k < c->nops; k++)
        if (T->g->side[k] == side)
            for (int i = 0; i < c->ops[k].offset.n; i++) need[c->ops[k].offset.t[i].atom] = true;
    for (int q = 0; q < c->nguards; q++)
        if (T->g->gside[q] == side)
            for (int i = 0; i < c->guards[q].e.n; i++) need[c->guards[q].e.t[i].atom] = true;
    for (int a = sp->natoms - 1; a >= 0; a--)
        if (need[a] && sp->atoms[a].kind != SYNO_IX_ITER)
            for (int i = 0; i < sp->atoms[a].arg.n; i++) need[sp->atoms[a].arg.t[i].atom] = true;
}

/* The local (in-tile) m/n and k of load slot I of SIDE, as C expressions of tid. */
static void slot_coords(const tiled *T, int side, int i, char *mn, char *k, size_t n)
{
    int rows = side == 0 ? T->t->bm : T->t->bn; /* extent along m (A) or n (B) */
    bool fast = side == 0 ? T->g->a_mfast : T->g->b_nfast;
    int e0 = i * T->nt;
    if (fast) {
        snprintf(mn, n, "(tid + %d) %% %d", e0, rows);
        snprintf(k, n, "(tid + %d) / %d", e0, rows);
    } else {
        snprintf(mn, n, "(tid + %d) / %d", e0, T->t->bk);
        snprintf(k, n, "(tid + %d) %% %d", e0, T->t->bk);
    }
}

/* Per-slot set-up before the K loop: which row/column each load slot
 * covers, its m/n iterators and the atoms that depend on nothing else. */
static void emit_slots(const tiled *T, int side)
{
    const syno_cuda_contr *c = T->c;
    syno_buf *o = T->o;
    int nslots = side == 0 ? T->la : T->lb;
    char letter = side == 0 ? 'a' : 'b';
    const bool *need = side == 0 ? T->need_a : T->need_b;
    uint64_t own = side == 0 ? T->mset : T->nset;
    for (int i = 0; i < nslots; i++) {
        namer nm = {c, own, T->kset, ""};
        snprintf(nm.suffix, sizeof nm.suffix, "_%c%d", letter, i);
        char mn[64], k[64];
        slot_coords(T, side, i, mn, k, sizeof mn);
        syno_buf_printf(o, "    const int %cl_%c%d = %s;\n", side == 0 ? 'm' : 'n', letter, i, mn);
        syno_buf_printf(o, "    const int kl_%c%d = %s;\n", letter, i, k);
        syno_buf_printf(o, "    const %s %c_%c%d = %c0 + %cl_%c%d;\n", T->ity, side == 0 ? 'm' : 'n', letter, i,
                        side == 0 ? 'm' : 'n', side == 0 ? 'm' : 'n', letter, i);
        char lin[32];
        snprintf(lin, sizeof lin, "%c_%c%d", side == 0 ? 'm' : 'n', letter, i);
        decode(&nm, lin, side == 0 ? T->g->m : T->g->n, side == 0 ? T->g->nm : T->g->nn, T->ity, 4, o);
        for (int a = 0; a < c->sp.natoms; a++) {
            const syno_ix_atom *at = &c->sp.atoms[a];
            if (need[a] && at->kind != SYNO_IX_ITER && (at->deps & own) && !(at->deps & T->kset))
                define_atom(&nm, a, T->ity, 4, o);
        }
    }
}

/* Loads the tile starting at K index KBASE into the registers ra/rb. */
static void emit_load(const tiled *T, int side, const char *kbase)
{
    const syno_cuda_contr *c = T->c;
    syno_buf *o = T->o;
    int nslots = side == 0 ? T->la : T->lb;
    char letter = side == 0 ? 'a' : 'b';
    const bool *need = side == 0 ? T->need_a : T->need_b;
    uint64_t own = side == 0 ? T->mset : T->nset;
    int64_t lim = side == 0 ? T->g->M : T->g->N;
    for (int i = 0; i < nslots; i++) {
        namer nm = {c, own, T->kset, ""};
        snprintf(nm.suffix, sizeof nm.suffix, "_%c%d", letter, i);
        syno_buf_printf(o, "        {\n            const %s k = %s + kl_%c%d;\n            float v = 0.0f;\n", T->ity, kbase,
                        letter, i);
        syno_buf_printf(o, "            if (%c_%c%d < %lld && k < kend) {\n", side == 0 ? 'm' : 'n', letter, i,
                        (long long)lim);
        const namer kn = nm;
        /* K iterators are plain names inside the block: decode with an empty suffix. */
        namer plain = {c, 0, 0, ""};
        decode(&plain, "k", T->g->k, T->g->nk, T->ity, 16, o);
        for (int a = 0; a < c->sp.natoms; a++) {
            const syno_ix_atom *at = &c->sp.atoms[a];
            if (need[a] && at->kind != SYNO_IX_ITER && (at->deps & T->kset)) define_atom(&kn, a, T->ity, 16, o);
        }
        bool any = false;
        for (int q = 0; q < c->nguards; q++) {
            if (T->g->gside[q] != side) continue;
            syno_buf_puts(o, any ? " && (" : "                if ((");
            any = true;
            print_guard(&kn, &c->guards[q], o);
            syno_buf_putc(o, ')');
        }
        syno_buf_puts(o, any ? ")\n                    v = " : "                v = ");
        unsigned mask = 0;
        for (int k = 0; k < c->nops; k++)
            if (T->g->side[k] == side) mask |= 1u << k;
        print_product(&kn, mask, o);
        syno_buf_printf(o, ";\n            }\n            r%c[%d] = v;\n        }\n", letter, i);
    }
}

static void emit_store(const tiled *T, const char *buf)
{
    for (int i = 0; i < T->la; i++)
        syno_buf_printf(T->o, "            As[%s][kl_a%d][ml_a%d] = ra[%d];\n", buf, i, i, i);
    for (int i = 0; i < T->lb; i++)
        syno_buf_printf(T->o, "            Bs[%s][kl_b%d][nl_b%d] = rb[%d];\n", buf, i, i, i);
}

/* The row (of m) or column (of n) of a thread's element I: blocks of four
 * consecutive elements, the second half of an 8-wide block half a tile
 * away (conflict-free 16-byte shared-memory reads). */
static void print_lane(int tile, int per, const char *who, const char *i, syno_buf *o)
{
    if (per == 8) syno_buf_printf(o, "(%s / 4) * %d + %s * 4 + %s %% 4", i, tile / 2, who, i);
    else syno_buf_printf(o, "%s * %d + %s", who, per, i);
}

/* The output offset contribution of the iterators ITS (outer to inner),
 * decoded from linear index LIN, added to variable DST. */
static void emit_out_offset(const tiled *T, const int *its, int n, const char *lin, const char *dst, int indent)
{
    const syno_cuda_contr *c = T->c;
    syno_buf *o = T->o;
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "%s %s = 0;\n", T->ity, dst);
    if (n == 0) return;
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "{\n");
    syno_buf_indent(o, indent + 4);
    syno_buf_printf(o, "%s rest = %s;\n", T->ity, lin);
    for (int i = n - 1; i >= 0; i--) {
        int64_t stride = 1;
        for (int j = its[i] + 1; j < c->nout; j++) stride *= c->sp.ext[j];
        syno_buf_indent(o, indent + 4);
        if (i > 0) {
            syno_buf_printf(o, "%s += (rest %% %lld) * %lld;\n", dst, (long long)c->sp.ext[its[i]], (long long)stride);
            syno_buf_indent(o, indent + 4);
            syno_buf_printf(o, "rest /= %lld;\n", (long long)c->sp.ext[its[i]]);
        } else {
            syno_buf_printf(o, "%s += rest * %lld;\n", dst, (long long)stride);
        }
    }
    syno_buf_indent(o, indent);
    syno_buf_printf(o, "}\n");
}

static bool emit_tiled(const syno_cuda_contr *c, const syno_cuda_gemm *g, const syno_cuda_tile *t, syno_buf *o,
                       syno_cuda_launch *l)
{
    tiled T = {c, g, t, o, NULL, 0, 0, 0, 0, 0, 0, 0, NULL, NULL};
    T.nt = (t->bm / t->tm) * (t->bn / t->tn);
    T.la = t->bm * t->bk / T.nt;
    T.lb = t->bn * t->bk / T.nt;
    T.mset = set_of(g->m, g->nm);
    T.nset = set_of(g->n, g->nn);
    T.bset = set_of(g->b, g->nb);
    T.kset = set_of(g->k, g->nk);
    int64_t chunk;
    int pieces;
    syno_cuda_tile_split(g, t, &chunk, &pieces);
    int64_t bound = c->out_numel * pieces + g->M + g->N + g->K + (int64_t)t->bm * t->bn;
    T.ity = index_type(c, bound);
    size_t na = (size_t)(c->sp.natoms ? c->sp.natoms : 1);
    T.need_a = syno_xmalloc(na * sizeof *T.need_a);
    T.need_b = syno_xmalloc(na * sizeof *T.need_b);
    side_atoms(&T, 0, T.need_a);
    side_atoms(&T, 1, T.need_b);
    const char *ity = T.ity;
    char tilestr[64];
    syno_cuda_tile_str(t, tilestr, sizeof tilestr);
    char how[400];
    snprintf(how, sizeof how,
             "tiled implicit GEMM %s, %d threads: M=%lld (", tilestr, T.nt, (long long)g->M);
    syno_buf hb = SYNO_BUF_INIT;
    syno_buf_puts(&hb, how);
    for (int i = 0; i < g->nm; i++) syno_buf_printf(&hb, "%s%s", i ? "," : "", c->iter_name[g->m[i]]);
    syno_buf_printf(&hb, ") x N=%lld (", (long long)g->N);
    for (int i = 0; i < g->nn; i++) syno_buf_printf(&hb, "%s%s", i ? "," : "", c->iter_name[g->n[i]]);
    syno_buf_printf(&hb, ") x K=%lld (", (long long)g->K);
    for (int i = 0; i < g->nk; i++) syno_buf_printf(&hb, "%s%s", i ? "," : "", c->iter_name[g->k[i]]);
    syno_buf_puts(&hb, ")");
    if (g->nb) {
        syno_buf_printf(&hb, ", batch %lld (", (long long)g->B);
        for (int i = 0; i < g->nb; i++) syno_buf_printf(&hb, "%s%s", i ? "," : "", c->iter_name[g->b[i]]);
        syno_buf_puts(&hb, ")");
    }
    syno_buf_puts(&hb, "\n *   A = ");
    for (int k = 0, f = 0; k < c->nops; k++)
        if (g->side[k] == 0) syno_buf_printf(&hb, "%s%s", f++ ? " * " : "", c->ops[k].name);
    syno_buf_puts(&hb, ", B = ");
    for (int k = 0, f = 0; k < c->nops; k++)
        if (g->side[k] == 1) syno_buf_printf(&hb, "%s%s", f++ ? " * " : "", c->ops[k].name);
    header_comment(c, syno_buf_str(&hb), o);
    syno_buf_fini(&hb);

    snprintf(l->kernel, sizeof l->kernel, "%s", c->name);
    const char *dst = pieces > 1 ? "ws" : c->out_name;
    syno_buf_printf(o, "SYNO_KERNEL void __launch_bounds__(%d) %s(", T.nt, c->name);
    print_params(c, dst, o);
    syno_buf_puts(o, ")\n{\n");
    syno_buf_printf(o, "    __shared__ __align__(16) float As[2][%d][%d];\n", t->bk, t->bm + PAD);
    syno_buf_printf(o, "    __shared__ __align__(16) float Bs[2][%d][%d];\n", t->bk, t->bn + PAD);
    syno_buf_puts(o, "    const int tid = threadIdx.x;\n");
    syno_buf_printf(o, "    const int tx = tid %% %d, ty = tid / %d;\n", t->bn / t->tn, t->bn / t->tn);
    syno_buf_printf(o, "    const %s m0 = (%s)blockIdx.x * %d;\n", ity, ity, t->bm);
    syno_buf_printf(o, "    const %s n0 = (%s)blockIdx.y * %d;\n", ity, ity, t->bn);
    if (pieces > 1) {
        if (g->nb) syno_buf_printf(o, "    const int zb = blockIdx.z / %d;\n", pieces);
        syno_buf_printf(o, "    const int split = blockIdx.z %% %d;\n", pieces);
        syno_buf_printf(o, "    const %s kbeg = (%s)split * %lld;\n", ity, ity, (long long)chunk);
        syno_buf_printf(o, "    const %s kend = kbeg + %lld < %lld ? kbeg + %lld : %lld;\n", ity, (long long)chunk,
                        (long long)g->K, (long long)chunk, (long long)g->K);
    } else {
        if (g->nb) syno_buf_puts(o, "    const int zb = blockIdx.z;\n");
        syno_buf_printf(o, "    const %s kbeg = 0, kend = %lld;\n", ity, (long long)g->K);
    }
    /* Batch iterators and what depends on them alone. */
    namer plain = {c, 0, 0, ""};
    decode(&plain, "zb", g->b, g->nb, ity, 4, o);
    for (int a = 0; a < c->sp.natoms; a++) {
        const syno_ix_atom *at = &c->sp.atoms[a];
        if ((T.need_a[a] || T.need_b[a]) && at->kind != SYNO_IX_ITER && (at->deps & ~T.bset) == 0)
            define_atom(&plain, a, ity, 4, o);
    }
    emit_slots(&T, 0);
    emit_slots(&T, 1);
    syno_buf_printf(o, "    float acc[%d][%d];\n", t->tm, t->tn);
    syno_buf_printf(o, "    SYNO_UNROLL\n    for (int i = 0; i < %d; i++) {\n        SYNO_UNROLL\n"
                       "        for (int j = 0; j < %d; j++) acc[i][j] = 0.0f;\n    }\n", t->tm, t->tn);
    syno_buf_printf(o, "    float ra[%d], rb[%d];\n", T.la, T.lb);
    /* Software pipeline, one sync per tile: iteration k0 loads tile k0 + BK
     * into registers (global loads in flight), multiplies tile k0 from
     * shared memory, then stores the registers into the other buffer.  The
     * first iteration only loads. */
    syno_buf_printf(o, "    int buf = 0;\n    for (%s k0 = kbeg - %d; k0 < kend; k0 += %d) {\n", ity, t->bk, t->bk);
    syno_buf_printf(o, "        const %s kn = k0 + %d;\n", ity, t->bk);
    syno_buf_puts(o, "        if (kn < kend) {\n");
    emit_load(&T, 0, "kn");
    emit_load(&T, 1, "kn");
    syno_buf_puts(o, "        }\n        if (k0 >= kbeg) {\n");
    syno_buf_printf(o, "        SYNO_UNROLL\n        for (int kk = 0; kk < %d; kk++) {\n", t->bk);
    syno_buf_printf(o, "            float a[%d], b[%d];\n", t->tm, t->tn);
    /* Shared-memory reads: 16 bytes at a time where the layout allows. */
    if (t->tm % 4 == 0) {
        syno_buf_printf(o, "            SYNO_UNROLL\n            for (int q = 0; q < %d; q++) {\n", t->tm / 4);
        syno_buf_puts(o, "                const float4 v = *(const float4 *)&As[buf][kk][");
        print_lane(t->bm, t->tm, "ty", "4 * q", o);
        syno_buf_puts(o, "];\n                a[4 * q] = v.x;\n                a[4 * q + 1] = v.y;\n"
                         "                a[4 * q + 2] = v.z;\n                a[4 * q + 3] = v.w;\n            }\n");
    } else {
        syno_buf_printf(o, "            SYNO_UNROLL\n            for (int i = 0; i < %d; i++) a[i] = As[buf][kk][", t->tm);
        print_lane(t->bm, t->tm, "ty", "i", o);
        syno_buf_puts(o, "];\n");
    }
    if (t->tn % 4 == 0) {
        syno_buf_printf(o, "            SYNO_UNROLL\n            for (int q = 0; q < %d; q++) {\n", t->tn / 4);
        syno_buf_puts(o, "                const float4 v = *(const float4 *)&Bs[buf][kk][");
        print_lane(t->bn, t->tn, "tx", "4 * q", o);
        syno_buf_puts(o, "];\n                b[4 * q] = v.x;\n                b[4 * q + 1] = v.y;\n"
                         "                b[4 * q + 2] = v.z;\n                b[4 * q + 3] = v.w;\n            }\n");
    } else {
        syno_buf_printf(o, "            SYNO_UNROLL\n            for (int j = 0; j < %d; j++) b[j] = Bs[buf][kk][", t->tn);
        print_lane(t->bn, t->tn, "tx", "j", o);
        syno_buf_puts(o, "];\n");
    }
    syno_buf_printf(o, "            SYNO_UNROLL\n            for (int i = 0; i < %d; i++) {\n"
                       "                SYNO_UNROLL\n                for (int j = 0; j < %d; j++) acc[i][j] += a[i] * b[j];\n"
                       "            }\n        }\n        }\n", t->tm, t->tn);
    syno_buf_puts(o, "        if (kn < kend) {\n");
    emit_store(&T, "buf ^ 1");
    syno_buf_puts(o, "        }\n        __syncthreads();\n        buf ^= 1;\n    }\n");

    /* Epilogue: each thread writes its TM x TN block. */
    syno_buf_puts(o, "    /* Results. */\n");
    emit_out_offset(&T, g->b, g->nb, "zb", "offb", 4);
    if (pieces > 1) syno_buf_printf(o, "    offb += (%s)split * %lld;\n", ity, (long long)c->out_numel);
    syno_buf_printf(o, "    %s offn[%d];\n", ity, t->tn);
    syno_buf_printf(o, "    SYNO_UNROLL\n    for (int j = 0; j < %d; j++) {\n        const %s n = n0 + ", t->tn, ity);
    print_lane(t->bn, t->tn, "tx", "j", o);
    syno_buf_puts(o, ";\n");
    emit_out_offset(&T, g->n, g->nn, "n", "off", 8);
    syno_buf_puts(o, "        offn[j] = off;\n    }\n");
    syno_buf_printf(o, "    SYNO_UNROLL\n    for (int i = 0; i < %d; i++) {\n        const %s m = m0 + ", t->tm, ity);
    print_lane(t->bm, t->tm, "ty", "i", o);
    syno_buf_printf(o, ";\n        if (m >= %lld) continue;\n", (long long)g->M);
    emit_out_offset(&T, g->m, g->nm, "m", "offm", 8);
    syno_buf_printf(o, "        SYNO_UNROLL\n        for (int j = 0; j < %d; j++) {\n            if (n0 + ", t->tn);
    print_lane(t->bn, t->tn, "tx", "j", o);
    syno_buf_printf(o, " < %lld) %s[offb + offm + offn[j]] = acc[i][j]", (long long)g->N, dst);
    if (pieces == 1) print_scale(c->scale, o);
    syno_buf_puts(o, ";\n        }\n    }\n}\n");

    l->grid[0] = (unsigned)syno_ceil_div(g->M, t->bm);
    l->grid[1] = (unsigned)syno_ceil_div(g->N, t->bn);
    l->grid[2] = (unsigned)(g->B * pieces);
    l->block[0] = (unsigned)T.nt;
    l->block[1] = l->block[2] = 1;
    if (pieces > 1) {
        snprintf(l->reduce, sizeof l->reduce, "%s_sum", c->name);
        l->workspace = c->out_numel * pieces;
        const char *rty = index_type(c, c->out_numel * (pieces + 1) + (int64_t)DIRECT_THREADS * 65536);
        syno_buf_printf(o, "\n/* The sum of the %d split-K pieces of %s, in a fixed order. */\n", pieces, c->name);
        syno_buf_printf(o, "SYNO_KERNEL void __launch_bounds__(%d) %s(float *__restrict__ %s, const float *__restrict__ ws)\n{\n",
                        DIRECT_THREADS, l->reduce, c->out_name);
        syno_buf_printf(o, "    for (%s idx = (%s)blockIdx.x * %d + threadIdx.x; idx < %lld; idx += (%s)gridDim.x * %d) {\n",
                        rty, rty, DIRECT_THREADS, (long long)c->out_numel, rty, DIRECT_THREADS);
        syno_buf_puts(o, "        float s = 0.0f;\n");
        syno_buf_printf(o, "        SYNO_UNROLL\n        for (int p = 0; p < %d; p++) s += ws[(%s)p * %lld + idx];\n", pieces,
                        rty, (long long)c->out_numel);
        syno_buf_printf(o, "        %s[idx] = s", c->out_name);
        print_scale(c->scale, o);
        syno_buf_puts(o, ";\n    }\n}\n");
        int64_t blocks = syno_ceil_div(c->out_numel, DIRECT_THREADS);
        l->rgrid = (unsigned)(blocks > 65536 ? 65536 : blocks);
        l->rblock = DIRECT_THREADS;
    }
    free(T.need_a);
    free(T.need_b);
    return true;
}

/* ---- entry point ---------------------------------------------------------- */

/* Emits C with tiling T (see cuda_emit.h). */
bool syno_cuda_emit(const syno_cuda_contr *c, const syno_cuda_tile *t, syno_buf *out, syno_cuda_launch *l,
                    syno_buf *err)
{
    memset(l, 0, sizeof *l);
    l->flops = 2.0 * (double)c->out_numel;
    for (int i = c->nout; i < c->sp.niters; i++) l->flops *= (double)c->sp.ext[i];
    if (t->bm == 0) return emit_direct(c, out, l);
    syno_cuda_gemm g;
    syno_cuda_gemm_analyze(c, &g);
    if (!syno_cuda_tile_valid(c, &g, t)) {
        char buf[64];
        syno_buf_printf(err, "tiling %s does not apply to kernel %s", syno_cuda_tile_str(t, buf, sizeof buf), c->name);
        return false;
    }
    return emit_tiled(c, &g, t, out, l);
}
