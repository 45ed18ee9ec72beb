/* dims.c - interned dimensions of the synthesis space and their sizes
 * under the layers.
 *
 * A dimension is identified by (kind, the ids of the dims below it, its
 * parameter, its weight number); equal structures get one id, so equal
 * subgraphs are one object and dim equality is id equality.  Its hash is a
 * Merkle hash of the subgraph below (kinds, sizes, output axis positions,
 * reduction multiplicities, weight numbers), a fixed function of the
 * structure, stable across runs and machines. */
#include "search/engine.h"

#include "lang/canon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_hash(int kind, int32_t a, int32_t b, syno_size param, int wid)
{
    uint64_t h = syno_hash_mix((uint64_t)kind * 0x100000001b3ull + (uint64_t)(uint32_t)a);
    h = syno_hash_mix(h ^ ((uint64_t)(uint32_t)b << 1) ^ ((uint64_t)wid << 40));
    return syno_hash_mix(h ^ sx_size_key(param));
}

static bool key_eq(const sx_dim *d, int kind, int32_t a, int32_t b, syno_size param, int wid)
{
    return d->kind == kind && d->a == a && d->b == b && d->wid == wid && syno_size_eq(d->param, param);
}

/* The dim table: open addressing over slots holding a dim id + 1 (low
 * half; 0: empty) and the high half of its key's hash, so that probes
 * rarely touch a dim.  Threads look dims up without the lock: a slot is
 * written once, after its dim (release), and a grown table replaces the
 * old one only once filled, the old one kept (retired, freed with the
 * space) for the readers still probing it; a reader that misses takes the
 * lock and looks again in the newest table. */
struct sx_dtab {
    struct sx_dtab *retired; /* the table this one replaced */
    uint32_t cap, n;
    uint64_t slot[];
};

#define TAG(h) ((h) & ~0xffffffffull)

/* The slot where a probe for key hash H begins in a table of CAP slots. */
static uint32_t home(uint64_t h, uint32_t cap)
{
    return (uint32_t)h & (cap - 1);
}

static void rehash(syno_space *sp)
{
    sx_dtab *old = sp->dtab;
    uint32_t ncap = old ? old->cap * 2 : 1024;
    sx_dtab *t = syno_xcalloc(1, sizeof *t + ncap * sizeof t->slot[0]);
    t->cap = ncap;
    t->n = old ? old->n : 0;
    t->retired = old;
    for (uint32_t i = 0; i < sp->ndims; i++) {
        const sx_dim *d = sx_d(sp, i);
        uint64_t h = key_hash(d->kind, d->a, d->b, d->param, d->wid);
        uint32_t j = home(h, ncap);
        while (t->slot[j]) j = (j + 1) & (ncap - 1);
        t->slot[j] = TAG(h) | (i + 1);
    }
    __atomic_store_n(&sp->dtab, t, __ATOMIC_RELEASE);
}

/* Frees SP's dim table and the tables it replaced. */
void sx_dtab_free(syno_space *sp)
{
    for (sx_dtab *t = sp->dtab, *next; t; t = next) {
        next = t->retired;
        free(t);
    }
    sp->dtab = NULL;
}

/* Evaluates S under LAYER as NUM/DEN.  False on overflow. */
static bool eval_ratio(const syno_space *sp, syno_size s, int layer, int64_t *num, int64_t *den)
{
    int64_t n = 1, d = 1;
    for (int v = 0; v < sp->nvars; v++) {
        int e = s.e[v];
        int64_t *acc = e > 0 ? &n : &d;
        for (int k = 0; k < (e > 0 ? e : -e); k++)
            if (__builtin_mul_overflow(*acc, sp->val[layer][v], acc)) return false;
    }
    *num = n;
    *den = d;
    return true;
}

/* The value of S under LAYER as a double (exact division not required). */
double sx_size_value(const syno_space *sp, syno_size s, int layer)
{
    double lg = 0;
    for (int v = 0; v < sp->nvars; v++)
        if (s.e[v]) lg += s.e[v] * sp->logval[layer][v];
    return exp(lg);
}

/* Evaluates S under every layer: true when it is an integer >= 1 in all of
 * them; *LO and *HI receive the extreme values and *ODD whether it is odd in
 * all of them. */
static bool size_layers(const syno_space *sp, syno_size s, float *lo, float *hi, bool *odd)
{
    bool ok = true, allodd = true;
    double mn = INFINITY, mx = 0;
    for (int l = 0; l < sp->nlayers; l++) {
        int64_t n, d;
        if (!eval_ratio(sp, s, l, &n, &d)) {
            ok = false;
            mn = 0, mx = INFINITY;
            continue;
        }
        double v = (double)n / (double)d;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (n % d || n / d < 1) ok = false;
        else if ((n / d) % 2 == 0) allodd = false;
    }
    if (lo) *lo = (float)mn;
    if (hi) *hi = (float)mx;
    if (odd) *odd = ok && allodd;
    return ok;
}

__thread sx_local *sx_tl;

/* Frees what a thread's local state holds. */
void sx_local_fini(sx_local *l)
{
    sx_memo_fini(&l->dist_memo);
    free(l->sinfo);
    free(l->divpool);
    syno_canon_free(l->canon);
    memset(l, 0, sizeof *l);
}

/* The cached facts about size S (computed on first use, per thread). */
const sx_size_info *sx_size_get(syno_space *sp, syno_size s)
{
    sx_local *lc = sx_loc(sp);
    if (2 * (lc->sinfo_n + 1) > lc->sinfo_cap) {
        uint32_t ncap = lc->sinfo_cap ? 2 * lc->sinfo_cap : 1024;
        sx_size_info *t = syno_xcalloc(ncap, sizeof *t);
        for (uint32_t i = 0; i < lc->sinfo_cap; i++) {
            if (!lc->sinfo[i].used) continue;
            uint32_t j = (uint32_t)sx_size_key(lc->sinfo[i].size) & (ncap - 1);
            while (t[j].used) j = (j + 1) & (ncap - 1);
            t[j] = lc->sinfo[i];
        }
        free(lc->sinfo);
        lc->sinfo = t;
        lc->sinfo_cap = ncap;
    }
    uint32_t mask = lc->sinfo_cap - 1;
    uint32_t j = (uint32_t)sx_size_key(s) & mask;
    for (; lc->sinfo[j].used; j = (j + 1) & mask)
        if (syno_size_eq(lc->sinfo[j].size, s)) return &lc->sinfo[j];
    sx_size_info *in = &lc->sinfo[j];
    in->used = true;
    in->size = s;
    in->div_off = -1;
    in->red = -1;
    in->valid_layers = size_layers(sp, s, &in->lo, &in->hi, &in->odd);
    in->legal = in->valid_layers && syno_size_is_valid(sp->vars, s);
    lc->sinfo_n++;
    return in;
}

/* True when S can be the size of a new dimension: symbolically valid (not 1,
 * no primary in a denominator, not a fraction of coefficients) and an
 * integer >= 1 under every layer. */
bool sx_size_legal(syno_space *sp, syno_size s)
{
    return sx_size_get(sp, s)->legal;
}

static uint64_t child(const syno_space *sp, int32_t id, bool blind)
{
    const sx_dim *c = sx_d(sp, (uint32_t)id);
    return blind ? c->bhash : c->hash;
}

static uint64_t merkle(const syno_space *sp, const sx_dim *d, bool blind)
{
    static const uint64_t salt[SX_KINDS] = {
        0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
        0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
        0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull, 0x9159015a3070dd17ull,
    };
    uint64_t h = salt[d->kind];
    switch ((sx_kind)d->kind) {
    case SX_ITER:
        return syno_hash_mix(h ^ (uint64_t)d->a);
    case SX_REDUCE:
        return syno_hash_mix(syno_hash_mix(h ^ syno_size_hash(d->param)) + (blind ? 0 : (uint64_t)d->a));
    case SX_SPLIT:
    case SX_UNFOLD:
        h = syno_hash_mix(h ^ child(sp, d->a, blind));
        return syno_hash_mix(h + (child(sp, d->b, blind) << 17 | child(sp, d->b, blind) >> 47));
    case SX_MERGE_L:
    case SX_MERGE_R:
    case SX_STRIDE:
        return syno_hash_mix(syno_hash_mix(h ^ child(sp, d->a, blind)) + syno_size_hash(d->param));
    case SX_SHARE_L:
    case SX_SHARE_R:
        return syno_hash_mix(syno_hash_mix(h ^ child(sp, d->a, blind)) + (uint64_t)d->wid);
    case SX_SHIFT:
    case SX_REVERSE:
        return syno_hash_mix(h ^ child(sp, d->a, blind));
    case SX_KINDS:
        break;
    }
    SYNO_UNREACHABLE();
}

/* The id of the dim with key hash H and (KIND, A, B, PARAM, WID) in table
 * T, or UINT32_MAX when T has none. */
static uint32_t lookup(const syno_space *sp, const sx_dtab *t, uint64_t h, sx_kind kind, int32_t a, int32_t b,
                       syno_size param, int wid, uint32_t *empty)
{
    uint32_t mask = t->cap - 1;
    for (uint32_t j = home(h, t->cap);; j = (j + 1) & mask) {
        uint64_t e = __atomic_load_n(&t->slot[j], __ATOMIC_ACQUIRE);
        if (!e) {
            *empty = j;
            return UINT32_MAX;
        }
        if (TAG(e) == TAG(h) && key_eq(sx_d(sp, (uint32_t)e - 1), kind, a, b, param, wid)) return (uint32_t)e - 1;
    }
}

/* Starts loading the dim table's slot for (KIND, A, B, PARAM, WID) into
 * the cache, so that interning it a little later does not wait on memory.
 * Returns the key's hash, for sx_dim_intern_hashed. */
uint64_t sx_dim_prefetch(const syno_space *sp, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid)
{
    uint64_t h = key_hash(kind, a, b, param, wid);
    const sx_dtab *t = __atomic_load_n(&sp->dtab, __ATOMIC_ACQUIRE);
    if (t) __builtin_prefetch(&t->slot[home(h, t->cap)]);
    return h;
}

/* Once sx_dim_prefetch's slot for key hash H has loaded: starts loading
 * the dim the slot names when its tag matches (interning it compares its
 * key). */
void sx_dim_prefetch_record(const syno_space *sp, uint64_t h)
{
    const sx_dtab *t = __atomic_load_n(&sp->dtab, __ATOMIC_ACQUIRE);
    if (!t) return;
    uint64_t e = __atomic_load_n(&t->slot[home(h, t->cap)], __ATOMIC_ACQUIRE);
    if (!e || TAG(e) != TAG(h)) return;
    const sx_dim *d = sx_d(sp, (uint32_t)e - 1);
    __builtin_prefetch(&d->param); /* key_eq's fields, maybe on two lines */
    __builtin_prefetch(&d->kind);
}

/* Creates the dim (KIND, A, B, PARAM, WID) of key hash H (the lock held
 * when threaded). */
static uint32_t intern(syno_space *sp, uint64_t h, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid);

/* Returns the id of the dimension (KIND, A, B, PARAM, WID), creating it on
 * first use.  A and B are the dims below (or the output axis position /
 * the multiplicity for ITER / REDUCE, -1 when unused); PARAM is the merge
 * block, stride factor or reduction size.  The caller checks validity
 * (flags) before using a new dim in a state. */
uint32_t sx_dim_intern(syno_space *sp, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid)
{
    return sx_dim_intern_hashed(sp, key_hash(kind, a, b, param, wid), kind, a, b, param, wid);
}

/* sx_dim_intern, with H the key's hash that sx_dim_prefetch returned. */
uint32_t sx_dim_intern_hashed(syno_space *sp, uint64_t h, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid)
{
    const sx_dtab *t = __atomic_load_n(&sp->dtab, __ATOMIC_ACQUIRE);
    uint32_t empty, id = t ? lookup(sp, t, h, kind, a, b, param, wid, &empty) : UINT32_MAX;
    if (id != UINT32_MAX) return id;
    if (!sp->threaded) return intern(sp, h, kind, a, b, param, wid);
    pthread_mutex_lock(&sp->lock);
    id = intern(sp, h, kind, a, b, param, wid);
    pthread_mutex_unlock(&sp->lock);
    return id;
}

static uint32_t intern(syno_space *sp, uint64_t h, sx_kind kind, int32_t a, int32_t b, syno_size param, int wid)
{
    if (!sp->dtab || 2 * (sp->dtab->n + 1) > sp->dtab->cap) rehash(sp);
    uint32_t j, found = lookup(sp, sp->dtab, h, kind, a, b, param, wid, &j);
    if (found != UINT32_MAX) return found; /* another thread made it */
    uint32_t id = sp->ndims;
    if (!(id & ((1u << SX_CHUNK_BITS) - 1))) {
        SYNO_ASSERT((id >> SX_CHUNK_BITS) < SX_MAX_CHUNKS);
        sp->dchunk[id >> SX_CHUNK_BITS] = syno_xmalloc(sizeof(sx_dim) << SX_CHUNK_BITS);
    }
    sx_dim *d = sx_dm(sp, id);
    memset(d, 0, sizeof *d);
    d->kind = (uint8_t)kind;
    d->a = a;
    d->b = b;
    d->param = param;
    d->wid = (uint8_t)wid;
    d->scope = -1;
    d->base = id;
    const sx_dim *da = kind >= SX_SPLIT ? sx_d(sp, (uint32_t)a) : NULL;
    const sx_dim *db = (kind == SX_SPLIT || kind == SX_UNFOLD) ? sx_d(sp, (uint32_t)b) : NULL;
    bool sized = true;
    switch (kind) {
    case SX_ITER:
        d->size = sp->spec->out[a].size;
        if (sp->spec->out[a].unordered) d->scope = (int32_t)id;
        break;
    case SX_REDUCE:
        d->size = param;
        d->height = 1;
        d->flags |= SXF_ENDS_RED;
        d->scope = (int32_t)id;
        break;
    case SX_SPLIT:
    case SX_UNFOLD:
        if (kind == SX_SPLIT) sized = syno_size_mul(&d->size, da->size, db->size);
        else d->size = da->size;
        d->height = (uint8_t)((da->height > db->height ? da->height : db->height) + 1);
        d->flags |= (uint8_t)(da->flags & db->flags & SXF_ENDS_RED);
        d->flags |= (uint8_t)((kind == SX_SPLIT ? (da->flags | db->flags) : da->flags) & SXF_DISCARD);
        d->wmask = (uint16_t)(da->wmask | db->wmask);
        if (da->scope == db->scope) d->scope = da->scope;
        break;
    case SX_MERGE_L:
        sized = syno_size_div(&d->size, da->size, param);
        goto one;
    case SX_MERGE_R:
        d->size = param;
        goto one;
    case SX_STRIDE:
        sized = syno_size_mul(&d->size, da->size, param);
        d->height = (uint8_t)(da->height + 1);
        d->flags = (uint8_t)((da->flags & SXF_ENDS_RED) | SXF_DISCARD);
        d->wmask = da->wmask;
        d->scope = da->scope;
        break;
    case SX_SHARE_L:
    case SX_SHARE_R:
        d->size = da->size;
        d->height = (uint8_t)(da->height + 1);
        d->flags = (uint8_t)(da->flags & (SXF_ENDS_RED | SXF_DISCARD));
        d->wmask = (uint16_t)(da->wmask | (1u << (wid - 1)));
        d->scope = da->scope;
        if (kind == SX_SHARE_L) {
            d->base = da->base;
            d->nshares = (uint8_t)(da->nshares + 1);
        }
        break;
    case SX_SHIFT:
    case SX_REVERSE:
        d->size = da->size;
    one:
        d->height = (uint8_t)(da->height + 1);
        d->flags = (uint8_t)(da->flags & (SXF_ENDS_RED | SXF_DISCARD));
        d->wmask = da->wmask;
        d->scope = da->scope;
        break;
    case SX_KINDS:
        SYNO_UNREACHABLE();
    }
    bool odd = false;
    if (sized && syno_size_is_valid(sp->vars, d->size) && size_layers(sp, d->size, &d->lo, &d->hi, &odd))
        d->flags |= SXF_VALID;
    if (syno_size_classify(sp->vars, d->size) == SYNO_SIZE_COEF) {
        d->flags |= SXF_COEF;
        if (odd) d->flags |= SXF_ODD;
    }
    d->hash = merkle(sp, d, false);
    d->bhash = merkle(sp, d, true);
    d->size_key = sx_size_key(d->size);
    for (int v = 0; v < sp->nvars; v++) {
        if (d->size.e[v] > 0 && sp->vars->v[v].kind == SYNO_VAR_PRIMARY) d->pvars |= 1u << v;
        if (d->size.e[v] < 0) d->negvars |= 1u << v;
        if (d->size.e[v] > 0) d->posvars |= 1u << v;
    }
    const sx_dim *base = sx_d(sp, d->base);
    if (base->kind == SX_ITER || base->kind == SX_MERGE_L || base->kind == SX_MERGE_R) d->dist_flags |= SXD_MERGE_PIECE;
    if (base->kind == SX_REDUCE && d->nshares >= 1) d->dist_flags |= SXD_WS;
    if (d->lo >= sp->spec->opt[SYNO_OPT_WS_MIN] * (1 - 1e-9) && d->hi <= sp->spec->opt[SYNO_OPT_WS_MAX] * (1 + 1e-9))
        d->dist_flags |= SXD_WS_OK;
    if (d->hi <= sp->spec->opt[SYNO_OPT_OUTER_MAX] * (1 + 1e-9)) d->dist_flags |= SXD_OUTER_OK;
    sp->ndims = id + 1;
    sp->dtab->n++;
    __atomic_store_n(&sp->dtab->slot[j], TAG(h) | (id + 1), __ATOMIC_RELEASE); /* published: lookups see it only now */
    return id;
}

/* The share(O) dims of weight WID (cached for weights 1 and 2). */
uint32_t sx_share(syno_space *sp, uint32_t o, int wid, bool right)
{
    uint32_t *cache = wid <= 2 ? &sx_dm(sp, o)->share[wid - 1][right] : NULL;
    if (cache) {
        uint32_t id = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
        if (id) return id;
    }
    uint32_t id = sx_dim_intern(sp, right ? SX_SHARE_R : SX_SHARE_L, (int32_t)o, -1, syno_size_one(), wid);
    if (cache) __atomic_store_n(cache, id, __ATOMIC_RELEASE); /* never 0: the root's dims come first */
    return id;
}

static void size_text(const syno_space *sp, syno_size s, syno_buf *out)
{
    syno_size_print(sp->vars, s, out);
}

/* Appends a readable description of dimension ID: its size, and how it is
 * consumed below ("H*W = split(H, W)", "k = sum#1"). */
void sx_dim_text(const syno_space *sp, uint32_t id, syno_buf *out)
{
    const sx_dim *d = sx_d(sp, id);
    switch ((sx_kind)d->kind) {
    case SX_ITER:
        syno_buf_printf(out, "out%d:", d->a);
        size_text(sp, d->size, out);
        return;
    case SX_REDUCE:
        syno_buf_puts(out, "sum:");
        size_text(sp, d->size, out);
        if (d->a) syno_buf_printf(out, "#%d", d->a + 1);
        return;
    case SX_SPLIT:
    case SX_UNFOLD:
        syno_buf_puts(out, d->kind == SX_SPLIT ? "split(" : "unfold(");
        sx_dim_text(sp, (uint32_t)d->a, out);
        syno_buf_puts(out, ", ");
        sx_dim_text(sp, (uint32_t)d->b, out);
        syno_buf_putc(out, ')');
        return;
    case SX_MERGE_L:
    case SX_MERGE_R:
        syno_buf_puts(out, d->kind == SX_MERGE_L ? "hi(" : "lo(");
        sx_dim_text(sp, (uint32_t)d->a, out);
        syno_buf_puts(out, " / ");
        size_text(sp, d->param, out);
        syno_buf_putc(out, ')');
        return;
    case SX_STRIDE:
        syno_buf_puts(out, "stride(");
        sx_dim_text(sp, (uint32_t)d->a, out);
        syno_buf_puts(out, ", ");
        size_text(sp, d->param, out);
        syno_buf_putc(out, ')');
        return;
    case SX_SHIFT:
    case SX_REVERSE:
        syno_buf_puts(out, d->kind == SX_SHIFT ? "shift(" : "reverse(");
        sx_dim_text(sp, (uint32_t)d->a, out);
        syno_buf_putc(out, ')');
        return;
    case SX_SHARE_L:
    case SX_SHARE_R:
        syno_buf_printf(out, "%s%d(", d->kind == SX_SHARE_L ? "x" : "w", d->wid);
        sx_dim_text(sp, (uint32_t)d->a, out);
        syno_buf_putc(out, ')');
        return;
    case SX_KINDS:
        break;
    }
}
