/* state.c - partial operators as sets of interned dimensions: hashing,
 * equality, and the hash sets that hash-cons them.
 *
 * The hash of a state is the sum (mod 2^64) of one mixed hash per member
 * (a frontier dim, an expanded dim or a weight axis, each mixed with its
 * role), so a step updates it in O(1) and every order of the same steps
 * gives the same value.  Equality is exact (the id lists are compared). */
#include "search/engine.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of a state with N member ids. */
static size_t state_bytes(int n)
{
    return sizeof(syno_pstate) + (size_t)n * sizeof(uint32_t);
}

/* A zeroed state with room for N ids, in arena A. */
syno_pstate *sx_state_alloc(syno_arena *a, int n)
{
    return syno_arena_alloc(a, state_bytes(n));
}

/* Recomputes ST's hash from its members. */
void sx_state_rehash(syno_space *sp, syno_pstate *st)
{
    uint64_t h = 0;
    int i = 0;
    for (; i < st->nf; i++) h += sx_member_hash(sp, st->d[i], 0);
    for (; i < st->nf + st->ne; i++) h += sx_member_hash(sp, st->d[i], 1);
    for (; i < st->nf + st->ne + st->nw; i++) h += sx_member_hash(sp, st->d[i], 2);
    st->hash = h;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Equality of two states: the same members in the same roles, up to which
 * of equal reductions is which (reductions are never merged, so states
 * with the same multiset of blind member hashes are the same partial
 * operator with equal reductions relabeled); exact with SP->exact_states. */
static bool state_eq(const syno_space *sp, const syno_pstate *a, const syno_pstate *b)
{
    if (a->hash != b->hash || a->nf != b->nf || a->ne != b->ne || a->nw != b->nw) return false;
    int n = a->nf + a->ne + a->nw;
    if (memcmp(a->d, b->d, (size_t)n * sizeof(uint32_t)) == 0) return true;
    if (sp->exact_states) return false;
    uint64_t ha[3 * SX_MAX_STATE_DIMS], hb[3 * SX_MAX_STATE_DIMS];
    int off = 0;
    int len[3] = {a->nf, a->ne, a->nw};
    for (int role = 0; role < 3; role++) {
        for (int i = 0; i < len[role]; i++) {
            ha[off + i] = sx_d(sp, a->d[off + i])->bhash;
            hb[off + i] = sx_d(sp, b->d[off + i])->bhash;
        }
        qsort(ha + off, (size_t)len[role], sizeof *ha, cmp_u64);
        qsort(hb + off, (size_t)len[role], sizeof *hb, cmp_u64);
        off += len[role];
    }
    return memcmp(ha, hb, (size_t)n * sizeof *ha) == 0;
}

/* A hash of ST that tells equal reductions apart (its members' structural
 * hashes by role): a fixed function of the structure, independent of dim ids. */
static uint64_t exact_hash(const syno_space *sp, const syno_pstate *st)
{
    static const uint64_t salt[3] = {0x452821e638d01377ull, 0xbe5466cf34e90c6cull, 0xc0ac29b7c97c50ddull};
    uint64_t h = 0;
    int off = 0, len[3] = {st->nf, st->ne, st->nw};
    for (int role = 0; role < 3; role++) {
        for (int i = 0; i < len[role]; i++) h += syno_hash_mix(sx_d(sp, st->d[off + i])->hash ^ salt[role]);
        off += len[role];
    }
    return h;
}

/* ---- hash sets of states --------------------------------------------------- */

/* Initializes S empty, with its own arena, for states of SP. */
void sx_set_init(sx_set *s, const syno_space *sp)
{
    memset(s, 0, sizeof *s);
    s->arena = syno_arena_new();
    s->sp = sp;
}

/* Frees S and every state in it. */
void sx_set_fini(sx_set *s)
{
    free(s->slot);
    if (s->arena) syno_arena_free(s->arena);
    memset(s, 0, sizeof *s);
}

/* The slot where a probe for a state of hash HASH begins in a table of
 * CAP slots. */
static size_t set_home(uint64_t hash, size_t cap)
{
    return (size_t)hash & (cap - 1);
}

static void grow(sx_set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    syno_pstate **t = syno_xcalloc(ncap, sizeof *t);
    for (size_t i = 0; i < s->cap; i++) {
        syno_pstate *st = s->slot[i];
        if (!st) continue;
        size_t j = set_home(st->hash, ncap);
        while (t[j]) j = (j + 1) & (ncap - 1);
        t[j] = st;
    }
    free(s->slot);
    s->slot = t;
    s->cap = ncap;
}

/* Returns the member of S equal to ST, inserting a copy when there is none
 * (*ADDED tells).  The copy has no cached children. */
syno_pstate *sx_set_intern(sx_set *s, const syno_pstate *st, bool *added)
{
    if (2 * (s->n + 1) > s->cap) grow(s);
    size_t j = set_home(st->hash, s->cap);
    for (; s->slot[j]; j = (j + 1) & (s->cap - 1))
        if (state_eq(s->sp, s->slot[j], st)) {
            if (added) *added = false;
            if (s->least && exact_hash(s->sp, st) < exact_hash(s->sp, s->slot[j])) {
                /* the same partial operator with equal reductions relabeled: keep
                 * the one chosen by structure, so that which one is kept (and so
                 * the finals built from it) does not depend on which thread came
                 * first */
                struct sx_children *kids = s->slot[j]->kids;
                memcpy(s->slot[j], st, state_bytes(st->nf + st->ne + st->nw));
                s->slot[j]->kids = kids;
            }
            return s->slot[j];
        }
    int n = st->nf + st->ne + st->nw;
    syno_pstate *c = syno_arena_dup(s->arena, st, state_bytes(n));
    c->kids = NULL;
    s->slot[j] = c;
    s->n++;
    if (added) *added = true;
    return c;
}

/* Starts loading the slot of HASH in S (STAGE 0), or the state in it (1). */
void sx_set_prefetch(const sx_set *s, uint64_t hash, int stage)
{
    if (!s->cap) return;
    syno_pstate *const *slot = &s->slot[set_home(hash, s->cap)];
    if (!stage) __builtin_prefetch(slot);
    else if (*slot) __builtin_prefetch(*slot);
}

/* ---- memo tables (64-bit key -> int) ------------------------------------- */

/* Looks KEY up in M. */
bool sx_memo_get(const sx_memo *m, uint64_t key, int32_t *val)
{
    if (!m->cap) return false;
    size_t j = sx_memo_home(key, m->cap);
    key |= 1; /* 0 marks an empty slot */
    for (; m->slot[j].key; j = (j + 1) & (m->cap - 1))
        if (m->slot[j].key == key) {
            *val = m->slot[j].val;
            return true;
        }
    return false;
}

/* Stores KEY -> VAL in M (replacing). */
void sx_memo_put(sx_memo *m, uint64_t key, int32_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 4096;
        sx_memo_slot *t = syno_xcalloc(ncap, sizeof *t);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slot[i].key) continue;
            size_t j = sx_memo_home(m->slot[i].key, ncap);
            while (t[j].key) j = (j + 1) & (ncap - 1);
            t[j] = m->slot[i];
        }
        free(m->slot);
        m->slot = t;
        m->cap = ncap;
    }
    size_t j = sx_memo_home(key, m->cap);
    key |= 1;
    for (; m->slot[j].key; j = (j + 1) & (m->cap - 1))
        if (m->slot[j].key == key) {
            m->slot[j].val = val;
            return;
        }
    m->slot[j].key = key;
    m->slot[j].val = val;
    m->n++;
}

/* Frees M's tables. */
void sx_memo_fini(sx_memo *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}
