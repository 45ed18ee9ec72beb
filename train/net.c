/* net.c - the proxy network (see net.h): buffers, parameters, the
 * forward and backward passes, initialisation.
 *
 * Activations of one batch are kept for the backward pass: the stem's
 * output and its normalised version, each slot's output (before BN), the
 * normalised version where a slot reads it, the pooled map and the
 * pooling's choices.  The normalised map before the pooling and the one
 * before the global average are never stored: those layers are fused into
 * BN+ReLU (train/layers.h).  Each activation has one gradient buffer of
 * its size; BN's backward works in place in it.  Every buffer is
 * allocated when the network is built: a training step allocates
 * nothing. */
#include "train/net.h"

#include "base/clock.h"
#include "base/hash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct syno_net {
    syno_net_shape shape;
    syno_slot *slot[SYNO_NET_SLOTS];
    int nparams;
    syno_param params[SYNO_NET_MAX_PARAMS];
    /* parameter indices */
    int p_stem, p_fc_w, p_fc_b;
    int p_slot[SYNO_NET_SLOTS];        /* first weight of each slot */
    syno_bn bn[SYNO_NET_SLOTS + 1];    /* 0: after the stem; i + 1: after slot i */
    int64_t hw[SYNO_NET_SLOTS];        /* H*W of each slot */
    /* activations and their gradients */
    const float *x;
    float *a0, *r0, *da0;              /* stem output, after BN+ReLU, gradient (of r0, then a0) */
    float *xpad;                       /* the images padded for the stem */
    float *s[SYNO_NET_SLOTS], *ds[SYNO_NET_SLOTS];
    float *r[SYNO_NET_SLOTS];          /* normalised slot outputs that the next slot reads (else NULL) */
    float *p, *dp;                     /* pooled map and its gradient */
    unsigned char *arg;
    float *g, *dg, *z, *dz;
    const unsigned char *labels;
    bool trained;                      /* the last forward was a training one with labels */
    double prof[SYNO_NET_NPARTS], prof_cpu[SYNO_NET_NPARTS];
    double cpu_mark;                   /* processor time at the last tick */
};

/* Starts timing a pass: *T is the wall clock, and the processor clock is
 * noted in N. */
static void tick_start(syno_net *n, double *t)
{
    *t = syno_clock_wall();
    n->cpu_mark = syno_clock_cpu();
}

/* Adds the wall time since *T and the processor time (all threads) since
 * the last tick to part P, and restarts both. */
static void tick(syno_net *n, int p, double *t)
{
    double t1 = syno_clock_wall(), c1 = syno_clock_cpu();
    n->prof[p] += t1 - *t;
    n->prof_cpu[p] += c1 - n->cpu_mark;
    *t = t1;
    n->cpu_mark = c1;
}

const double *syno_net_profile(const syno_net *n)
{
    return n->prof;
}

const double *syno_net_profile_cpu(const syno_net *n)
{
    return n->prof_cpu;
}

static const char *const var_names[5] = {"N", "C_in", "C_out", "H", "W"};

void syno_net_shape_fmnist(syno_net_shape *s, int batch)
{
    static const char *const names[SYNO_NET_SLOTS] = {"fmnist_l1", "fmnist_l2", "fmnist_l3"};
    memset(s, 0, sizeof *s);
    s->batch = batch;
    s->h = s->w = 28;
    s->stem = 16;
    s->c[0] = 16;
    s->c[1] = 32;
    s->c[2] = 32;
    s->pool_after = 0;
    s->nclasses = 10;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) s->names[i] = names[i];
}

bool syno_net_shape_from_layers(syno_net_shape *s, const syno_vars *vars, const syno_binding *layers,
                                const char *const *names, int nlayers, int batch, int image, syno_buf *err)
{
    memset(s, 0, sizeof *s);
    if (nlayers != SYNO_NET_SLOTS) {
        syno_buf_printf(err, "the proxy network has %d convolution slots, but %d layers are given", SYNO_NET_SLOTS,
                        nlayers);
        return false;
    }
    int64_t v[SYNO_NET_SLOTS][5];
    for (int l = 0; l < nlayers; l++)
        for (int k = 1; k < 5; k++) {
            int i = syno_vars_find(vars, var_names[k]);
            v[l][k] = i >= 0 ? layers[l].val[i] : 0;
            if (v[l][k] < 1 || v[l][k] > (1 << 20)) {
                syno_buf_printf(err, "layer '%s' gives no value to %s, which the proxy network needs",
                                names[l] ? names[l] : "?", var_names[k]);
                return false;
            }
        }
    s->batch = batch;
    s->h = (int)v[0][3];
    s->w = (int)v[0][4];
    s->stem = (int)v[0][1];
    s->nclasses = 10;
    s->pool_after = -1;
    if (s->h != image || s->w != image) {
        syno_buf_printf(err, "the proxy task's images are %dx%d, but the first layer '%s' has H = %lld, W = %lld", image,
                        image, names[0] ? names[0] : "?", (long long)v[0][3], (long long)v[0][4]);
        return false;
    }
    for (int l = 0; l < nlayers; l++) {
        s->c[l] = (int)v[l][2];
        s->names[l] = names[l];
        if (l == 0) continue;
        if (v[l][1] != v[l - 1][2]) {
            syno_buf_printf(err, "layer '%s' has C_in = %lld but the layer before it, '%s', has C_out = %lld: the "
                                 "proxy network chains its slots",
                            names[l] ? names[l] : "?", (long long)v[l][1], names[l - 1] ? names[l - 1] : "?",
                            (long long)v[l - 1][2]);
            return false;
        }
        bool same = v[l][3] == v[l - 1][3] && v[l][4] == v[l - 1][4];
        bool half = v[l][3] * 2 == v[l - 1][3] && v[l][4] * 2 == v[l - 1][4];
        if (half && s->pool_after < 0) s->pool_after = l - 1;
        else if (!same) {
            syno_buf_printf(err, "layer '%s' has H = %lld, W = %lld after '%s' with H = %lld, W = %lld: the proxy "
                                 "network keeps the size or halves it once",
                            names[l] ? names[l] : "?", (long long)v[l][3], (long long)v[l][4],
                            names[l - 1] ? names[l - 1] : "?", (long long)v[l - 1][3], (long long)v[l - 1][4]);
            return false;
        }
    }
    if (s->pool_after < 0) {
        syno_buf_puts(err, "the proxy network halves H and W once between its slots, but the layers keep them");
        return false;
    }
    return true;
}

void syno_net_slot_dims(const syno_net_shape *s, int slot, int *cin, int *cout, int *h, int *w)
{
    *cin = slot == 0 ? s->stem : s->c[slot - 1];
    *cout = s->c[slot];
    bool pooled = slot > s->pool_after;
    *h = pooled ? s->h / 2 : s->h;
    *w = pooled ? s->w / 2 : s->w;
}

/* Appends the sizes of SIZES (a symbolic list) to OUT as "[N, C_in, H, W]". */
static void print_sizes(const syno_vars *vars, const syno_size *sizes, int n, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int i = 0; i < n; i++) {
        if (i) syno_buf_puts(out, ", ");
        syno_size_print(vars, sizes[i], out);
    }
    syno_buf_putc(out, ']');
}

/* Whether SIZES is exactly the variables WANT (names) in order. */
static bool is_layout(const syno_vars *vars, const syno_size *sizes, int n, const char *const *want, int nwant)
{
    if (n != nwant) return false;
    for (int i = 0; i < n; i++) {
        int v = syno_vars_find(vars, want[i]);
        if (v < 0 || !syno_size_eq(sizes[i], syno_size_var(v))) return false;
    }
    return true;
}

static bool var_used(const syno_op *op, int v)
{
    for (int d = 0; d < op->ndims; d++)
        if (op->dims[d].size.e[v]) return true;
    for (int k = 0; k < op->nnodes; k++)
        if (op->nodes[k].param.e[v]) return true;
    return false;
}

bool syno_net_slot_binding(const syno_net_shape *s, int slot, const syno_op *op, syno_binding *b, syno_buf *err)
{
    int cin, cout, h, w;
    syno_net_slot_dims(s, slot, &cin, &cout, &h, &w);
    int64_t vals[5] = {s->batch, cin, cout, h, w};
    const syno_vars *vars = op->vars;
    syno_binding_defaults(vars, b);
    b->name = s->names[slot];
    syno_buf where = SYNO_BUF_INIT;
    syno_buf_printf(&where, "slot %s (N=%d, C_in=%d, C_out=%d, H=%d, W=%d)", s->names[slot], s->batch, cin, cout, h,
                    w);
    bool ok = true;
    for (int v = 0; v < vars->n && ok; v++) {
        int k = 0;
        while (k < 5 && strcmp(vars->v[v].name, var_names[k]) != 0) k++;
        if (k < 5) b->val[v] = vals[k];
        else if (vars->v[v].kind == SYNO_VAR_PRIMARY && var_used(op, v)) {
            syno_buf_printf(err, "%s: operator '%s' uses the size variable '%s', which the proxy network does not "
                                 "bind (it binds N, C_in, C_out, H and W)",
                            syno_buf_str(&where), op->name, vars->v[v].name);
            ok = false;
        }
    }
    /* the layouts the network hands over */
    syno_size in[SYNO_MAX_TENSORS * 2], out[SYNO_MAX_TENSORS * 2];
    const syno_tensor *x = &op->tensors[0];
    int nin = x->rank < (int)SYNO_ARRAY_LEN(in) ? x->rank : (int)SYNO_ARRAY_LEN(in);
    int nout = op->nout < (int)SYNO_ARRAY_LEN(out) ? op->nout : (int)SYNO_ARRAY_LEN(out);
    for (int i = 0; i < nin; i++) in[i] = op->dims[x->axes[i]].size;
    for (int i = 0; i < nout; i++) out[i] = op->dims[op->out[i]].size;
    const char *want_in[4] = {"N", "C_in", "H", "W"}, *want_out[4] = {"N", "C_out", "H", "W"};
    if (ok && (!is_layout(vars, in, x->rank, want_in, 4) || !is_layout(vars, out, op->nout, want_out, 4))) {
        syno_buf_printf(err, "%s: operator '%s' maps ", syno_buf_str(&where), op->name);
        print_sizes(vars, in, nin, err);
        syno_buf_puts(err, " to ");
        print_sizes(vars, out, nout, err);
        syno_buf_puts(err, "; a slot takes [N, C_in, H, W] to [N, C_out, H, W]");
        ok = false;
    }
    for (int d = 0; d < op->ndims && ok; d++) {
        int64_t v;
        if (syno_size_eval(vars, op->dims[d].size, b, &v, NULL) == SYNO_EVAL_OK) continue;
        syno_buf lab = SYNO_BUF_INIT;
        syno_op_dim_label(op, d, &lab);
        syno_buf_printf(err, "%s: size of '%s': ", syno_buf_str(&where), syno_buf_str(&lab));
        syno_size_eval_message(vars, op->dims[d].size, b, err);
        syno_buf_fini(&lab);
        ok = false;
    }
    for (int k = 0; k < op->nnodes && ok; k++) {
        int64_t kv;
        const syno_node *nd = &op->nodes[k];
        if (nd->prim != SYNO_PRIM_UNFOLD || syno_size_eval(vars, nd->param, b, &kv, NULL) != SYNO_EVAL_OK) continue;
        if (kv % 2 == 0) {
            syno_buf_printf(err, "%s: an unfold window of operator '%s' is %lld, which is even", syno_buf_str(&where),
                            op->name, (long long)kv);
            ok = false;
        }
    }
    syno_buf_fini(&where);
    return ok;
}

static float *fbuf(int64_t n)
{
    return syno_xcalloc((size_t)(n > 0 ? n : 1), sizeof(float));
}

static int add_param(syno_net *n, const char *name, int64_t numel, bool decay)
{
    SYNO_ASSERT(n->nparams < SYNO_NET_MAX_PARAMS);
    syno_param *p = &n->params[n->nparams];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->n = numel;
    p->w = fbuf(numel);
    p->g = fbuf(numel);
    p->v = fbuf(numel);
    p->decay = decay;
    return n->nparams++;
}

static void add_bn(syno_net *n, syno_bn *bn, const char *name, int c)
{
    char nm[48];
    bn->c = c;
    snprintf(nm, sizeof nm, "%s.gamma", name);
    int pg = add_param(n, nm, c, false);
    snprintf(nm, sizeof nm, "%s.beta", name);
    int pb = add_param(n, nm, c, false);
    bn->gamma = n->params[pg].w;
    bn->dgamma = n->params[pg].g;
    bn->beta = n->params[pb].w;
    bn->dbeta = n->params[pb].g;
    bn->rmean = fbuf(c);
    bn->rvar = fbuf(c);
    bn->mean = fbuf(c);
    bn->rstd = fbuf(c);
    bn->scale = fbuf(c);
    bn->shift = fbuf(c);
}

syno_net *syno_net_new(const syno_net_shape *shape, const syno_op *op, const syno_slot_backend *be, syno_buf *err)
{
    SYNO_ASSERT(shape->pool_after >= 0 && shape->pool_after < SYNO_NET_SLOTS - 1 && shape->h % 2 == 0 &&
                shape->w % 2 == 0);
    syno_net *n = syno_xcalloc(1, sizeof *n);
    n->shape = *shape;
    const syno_net_shape *s = &n->shape;
    int64_t B = s->batch, HW = (int64_t)s->h * s->w;
    n->p_stem = add_param(n, "stem.w", (int64_t)s->stem * 9, true);
    add_bn(n, &n->bn[0], "stem.bn", s->stem);
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        syno_binding b;
        if (!syno_net_slot_binding(s, i, op, &b, err)) goto fail;
        n->slot[i] = be->create(op, &b, err);
        if (!n->slot[i]) {
            syno_buf_printf(err, " (slot %s)", s->names[i]);
            goto fail;
        }
        int cin, cout, h, w;
        syno_net_slot_dims(s, i, &cin, &cout, &h, &w);
        n->hw[i] = (int64_t)h * w;
        n->p_slot[i] = n->nparams;
        for (int t = 1; t < op->ntensors; t++) {
            char nm[48];
            snprintf(nm, sizeof nm, "l%d.%s", i + 1, op->tensors[t].name);
            add_param(n, nm, n->slot[i]->numel[t], true);
        }
        char nm[16];
        snprintf(nm, sizeof nm, "l%d.bn", i + 1);
        add_bn(n, &n->bn[i + 1], nm, cout);
        n->s[i] = fbuf(B * cout * n->hw[i]);
        if (i != s->pool_after && i != SYNO_NET_SLOTS - 1) n->r[i] = fbuf(B * cout * n->hw[i]);
        n->ds[i] = fbuf(B * cout * n->hw[i]);
        if (i == s->pool_after) {
            n->p = fbuf(B * cout * n->hw[i] / 4);
            n->dp = fbuf(B * cout * n->hw[i] / 4);
            n->arg = syno_xcalloc((size_t)(B * cout * n->hw[i] / 4), 1);
        }
    }
    int clast = s->c[SYNO_NET_SLOTS - 1];
    n->p_fc_w = add_param(n, "fc.w", (int64_t)s->nclasses * clast, true);
    n->p_fc_b = add_param(n, "fc.b", s->nclasses, false);
    n->a0 = fbuf(B * s->stem * HW);
    n->r0 = fbuf(B * s->stem * HW);
    n->da0 = fbuf(B * s->stem * HW);
    n->xpad = fbuf(B * syno_layer_stem_pad(s->h, s->w));
    n->g = fbuf(B * clast);
    n->dg = fbuf(B * clast);
    n->z = fbuf(B * s->nclasses);
    n->dz = fbuf(B * s->nclasses);
    return n;
fail:
    syno_net_free(n);
    return NULL;
}

void syno_net_free(syno_net *n)
{
    if (!n) return;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        syno_slot_free(n->slot[i]);
        free(n->s[i]);
        free(n->r[i]);
        free(n->ds[i]);
    }
    for (int i = 0; i <= SYNO_NET_SLOTS; i++) {
        free(n->bn[i].rmean);
        free(n->bn[i].rvar);
        free(n->bn[i].mean);
        free(n->bn[i].rstd);
        free(n->bn[i].scale);
        free(n->bn[i].shift);
    }
    for (int i = 0; i < n->nparams; i++) {
        free(n->params[i].w);
        free(n->params[i].g);
        free(n->params[i].v);
    }
    free(n->p);
    free(n->dp);
    free(n->arg);
    free(n->a0);
    free(n->r0);
    free(n->da0);
    free(n->xpad);
    free(n->g);
    free(n->dg);
    free(n->z);
    free(n->dz);
    free(n);
}

int syno_net_nparams(const syno_net *n)
{
    return n->nparams;
}

syno_param *syno_net_param(syno_net *n, int i)
{
    SYNO_ASSERT(i >= 0 && i < n->nparams);
    return &n->params[i];
}

const syno_net_shape *syno_net_get_shape(const syno_net *n)
{
    return &n->shape;
}

syno_slot *syno_net_slot(syno_net *n, int i)
{
    return n->slot[i];
}

const float *syno_net_logits(const syno_net *n)
{
    return n->z;
}

/* The input of slot I. */
static float *slot_input(syno_net *n, int i)
{
    if (i == 0) return n->r0;
    return i - 1 == n->shape.pool_after ? n->p : n->r[i - 1];
}

/* The gradient buffer of slot I's input. */
static float *slot_input_grad(syno_net *n, int i)
{
    if (i == 0) return n->da0;
    return i - 1 == n->shape.pool_after ? n->dp : n->ds[i - 1];
}

/* Tensor pointers of slot I: its input, then its weights (from W or, when
 * GRAD, the gradients). */
static void slot_tensors(syno_net *n, int i, const float **t, float **g)
{
    int nt = n->slot[i]->ntensors;
    t[0] = slot_input(n, i);
    if (g) g[0] = slot_input_grad(n, i);
    for (int k = 1; k < nt; k++) {
        t[k] = n->params[n->p_slot[i] + k - 1].w;
        if (g) g[k] = n->params[n->p_slot[i] + k - 1].g;
    }
}

bool syno_net_forward(syno_net *n, const float *x, const unsigned char *labels, bool train, bool update_stats,
                      double *loss, int *correct, syno_buf *err)
{
    const syno_net_shape *s = &n->shape;
    int B = s->batch, HW = s->h * s->w, last = SYNO_NET_SLOTS - 1;
    double t;
    tick_start(n, &t);
    n->x = x;
    n->labels = labels;
    n->trained = false;
    syno_layer_stem_forward(x, n->params[n->p_stem].w, n->a0, n->xpad, B, s->stem, s->h, s->w);
    tick(n, SYNO_NET_STEM, &t);
    syno_bn_relu_forward(&n->bn[0], n->a0, n->r0, B, HW, train, update_stats);
    tick(n, SYNO_NET_BN, &t);
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        const float *tt[SYNO_MAX_TENSORS];
        slot_tensors(n, i, tt, NULL);
        if (!syno_slot_forward(n->slot[i], tt, n->s[i], err)) return false;
        tick(n, SYNO_NET_SLOT_FWD + 3 * i, &t);
        syno_bn *bn = &n->bn[i + 1];
        if (i == s->pool_after) {
            int cin, cout, h, w;
            syno_net_slot_dims(s, i, &cin, &cout, &h, &w);
            syno_bn_relu_pool_forward(bn, n->s[i], n->p, n->arg, B, h, w, train, update_stats);
        } else if (i == last) {
            syno_bn_relu_gap_forward(bn, n->s[i], n->g, B, (int)n->hw[i], train, update_stats);
        } else {
            syno_bn_relu_forward(bn, n->s[i], n->r[i], B, (int)n->hw[i], train, update_stats);
        }
        tick(n, SYNO_NET_BN, &t);
    }
    int clast = s->c[last];
    syno_layer_linear_forward(n->g, n->params[n->p_fc_w].w, n->params[n->p_fc_b].w, n->z, B, clast, s->nclasses);
    double l = 0;
    if (labels) {
        l = syno_layer_softmax_ce(n->z, labels, train ? n->dz : NULL, B, s->nclasses, correct);
        n->trained = train;
    }
    if (loss) *loss = l;
    tick(n, SYNO_NET_OTHER, &t);
    return true;
}

bool syno_net_backward(syno_net *n, syno_buf *err)
{
    SYNO_ASSERT(n->trained);
    const syno_net_shape *s = &n->shape;
    int B = s->batch, last = SYNO_NET_SLOTS - 1, clast = s->c[last];
    double t;
    tick_start(n, &t);
    syno_layer_linear_backward(n->g, n->params[n->p_fc_w].w, n->dz, n->params[n->p_fc_w].g, n->params[n->p_fc_b].g,
                               n->dg, B, clast, s->nclasses);
    tick(n, SYNO_NET_OTHER, &t);
    for (int i = last; i >= 0; i--) {
        syno_bn *bn = &n->bn[i + 1];
        if (i == last) {
            syno_bn_relu_gap_backward(bn, n->s[i], n->dg, n->ds[i], B, (int)n->hw[i]);
        } else if (i == s->pool_after) {
            int cin, cout, h, w;
            syno_net_slot_dims(s, i, &cin, &cout, &h, &w);
            syno_bn_relu_pool_backward(bn, n->s[i], n->dp, n->arg, n->ds[i], B, h, w);
        } else {
            syno_bn_relu_backward(bn, n->s[i], n->ds[i], n->ds[i], B, (int)n->hw[i]);
        }
        tick(n, SYNO_NET_BN, &t);
        const float *tt[SYNO_MAX_TENSORS];
        float *g[SYNO_MAX_TENSORS], *gx[SYNO_MAX_TENSORS] = {NULL};
        slot_tensors(n, i, tt, g);
        gx[0] = g[0];
        g[0] = NULL;
        if (!syno_slot_backward(n->slot[i], tt, n->ds[i], gx, err)) return false;
        tick(n, SYNO_NET_SLOT_BWD_X + 3 * i, &t);
        if (n->slot[i]->ntensors > 1 && !syno_slot_backward(n->slot[i], tt, n->ds[i], g, err)) return false;
        tick(n, SYNO_NET_SLOT_BWD_W + 3 * i, &t);
    }
    syno_bn_relu_stem_backward(&n->bn[0], n->a0, n->da0, n->xpad, n->params[n->p_stem].g, B, s->h, s->w);
    tick(n, SYNO_NET_STEM, &t);
    return true;
}


uint64_t syno_net_kink_signature(const syno_net *n)
{
    const syno_net_shape *s = &n->shape;
    uint64_t h = syno_bn_relu_sign_hash(&n->bn[0], n->a0, s->batch, s->h * s->w, 0);
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        h = syno_bn_relu_sign_hash(&n->bn[i + 1], n->s[i], s->batch, (int)n->hw[i], h);
        if (i == s->pool_after)
            for (int64_t k = 0; k < n->slot[i]->out_numel / 4; k++) h = syno_hash_mix(h ^ (uint64_t)n->arg[k]);
    }
    return h;
}

static double second_moment(const float *a, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return n ? s / (double)n : 0;
}

void syno_net_slot_moments(const syno_net *n, int i, double *in2, double *out2)
{
    const syno_slot *sl = n->slot[i];
    *in2 = second_moment(slot_input((syno_net *)n, i), sl->numel[0]);
    *out2 = second_moment(n->s[i], sl->out_numel);
}

bool syno_net_init(syno_net *n, syno_rng *rng, const float *x, syno_buf *err)
{
    const syno_net_shape *s = &n->shape;
    for (int i = 0; i < n->nparams; i++) {
        syno_param *p = &n->params[i];
        memset(p->v, 0, (size_t)p->n * sizeof *p->v);
        memset(p->g, 0, (size_t)p->n * sizeof *p->g);
    }
    for (int i = 0; i <= SYNO_NET_SLOTS; i++) {
        syno_bn *bn = &n->bn[i];
        for (int c = 0; c < bn->c; c++) {
            bn->gamma[c] = 1;
            bn->beta[c] = 0;
            bn->rmean[c] = 0;
            bn->rvar[c] = 1;
        }
    }
    syno_param *stem = &n->params[n->p_stem];
    double sd = sqrt(2.0 / 9.0);
    for (int64_t k = 0; k < stem->n; k++) stem->w[k] = (float)(sd * syno_rng_normal(rng));
    for (int i = 0; i < SYNO_NET_SLOTS; i++)
        for (int k = 1; k < n->slot[i]->ntensors; k++) {
            syno_param *p = &n->params[n->p_slot[i] + k - 1];
            for (int64_t e = 0; e < p->n; e++) p->w[e] = (float)syno_rng_normal(rng);
        }
    syno_param *fw = &n->params[n->p_fc_w], *fb = &n->params[n->p_fc_b];
    double bound = 1.0 / sqrt((double)s->c[SYNO_NET_SLOTS - 1]);
    for (int64_t k = 0; k < fw->n; k++) fw->w[k] = (float)(bound * (2 * syno_rng_unit(rng) - 1));
    memset(fb->w, 0, (size_t)fb->n * sizeof *fb->w);
    /* Data-driven scale of the slot weights: BN after every slot makes each
     * slot's input independent of the scale of the slots before it, so one
     * forward pass measures every slot. */
    if (!syno_net_forward(n, x, NULL, true, false, NULL, NULL, err)) return false;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        int m = n->slot[i]->ntensors - 1;
        double in2, out2;
        syno_net_slot_moments(n, i, &in2, &out2);
        if (m == 0 || !(out2 > 0) || !isfinite(out2) || !(in2 > 0)) continue;
        float f = (float)pow(2.0 * in2 / out2, 0.5 / m);
        for (int k = 0; k < m; k++) {
            syno_param *p = &n->params[n->p_slot[i] + k];
            for (int64_t e = 0; e < p->n; e++) p->w[e] *= f;
        }
    }
    return true;
}
