/* driver_loop.c - the loop of `syno search` (driver_int.h): asks the
 * algorithm for candidates, hands the new ones to the evaluation pool,
 * records each result in the store (one transaction each) and tells the
 * algorithm the rewards.
 *
 * Two rhythms, chosen by the pool:
 *  - batches (the local pool): the algorithm is asked for SYNO_SEARCH_BATCH
 *    candidates, the new ones are evaluated (--jobs at a time), recorded
 *    and told in batch order, then the next batch: for a seed, the
 *    candidates and their order do not depend on --jobs;
 *  - pulled (the MPI pool): every free evaluation slot gets the next
 *    candidate at once; a result is recorded and told as it arrives, and
 *    the algorithm is asked for one more.  MCTS's virtual loss covers the
 *    candidates in flight.  The candidates depend on the order results
 *    arrive in, so a replay on resume need not retrace the run; no
 *    evaluation is repeated either way, since the store answers for every
 *    recorded candidate.
 * Every candidate is written to the store's pending table when it is handed
 * out and leaves it in the transaction that records its result; a resumed
 * search evaluates the pending ones first, so the candidates in flight when
 * a search was killed are evaluated whatever the replay proposes. */
#include "search/driver_int.h"

#include "base/clock.h"
#include "lang/graph_print.h"

#include <stdlib.h>
#include <string.h>

/* Consecutive proposals without a new evaluation after which the algorithm
 * is taken to propose only known operators (pulled: once no result is in
 * flight that could change its mind; until then it is asked once per
 * result). */
#define IDLE_LIMIT (250 * SYNO_SEARCH_BATCH)

/* A candidate handed to the pool. */
typedef struct flight {
    uint64_t hash;
    int64_t id;              /* its job's id */
    const syno_op *op;       /* the proposal's final operator, or one loaded into CTX */
    syno_ctx *ctx;           /* owns OP for a pending candidate of an earlier run */
    char *path;              /* the steps from the root (owned), or NULL */
    bool finished;           /* M holds its result (batches) */
    syno_metrics m;
} flight;

/* A proposal waiting for the reward of the candidate with its hash (pulled). */
typedef struct waiter {
    syno_proposal p;
    uint64_t hash;
} waiter;

typedef struct loop {
    drv_run *r;
    const syno_algo_ops *ops;
    syno_algo *a;
    flight *fl;              /* NFL of them: the pool's capacity, and a batch held for recording */
    bool *used;
    int nfl;
    int64_t next_id;
    waiter *w;
    int nw, capw;
    struct pend {            /* pending candidates of an earlier run, not yet handed out */
        uint64_t hash;
        char *text, *path;
    } *pend;
    int npend, cappend, pend_at;
    int noted;               /* the evaluations under way last recorded in the store (-1: none yet) */
    double noted_at;         /* when (syno_clock_wall) */
} loop;

/* ---- recording ----------------------------------------------------------------- */

/* Records result M of candidate HASH (operator OP, step PATH) in its own
 * transaction and returns its reward; -2 when the store failed (reported). */
static double record(drv_run *r, uint64_t hash, const syno_op *op, const char *path, const syno_metrics *m)
{
    if (m->ok && !r->have_ref) drv_set_reference(r, m->v, NULL); /* no baseline: the first success */
    double reward = syno_search_reward(r->spec, m, r->ref);
    syno_canon_result cres;
    memset(&cres, 0, sizeof cres);
    syno_canon_opts co;
    memset(&co, 0, sizeof co);
    bool have_text = syno_canon_run(r->canon, op, &co, &cres);
    syno_record rec;
    memset(&rec, 0, sizeof rec);
    rec.hash = hash;
    rec.text = have_text ? cres.text : NULL;
    rec.path = path;
    rec.ok = m->ok;
    rec.reason = m->ok ? NULL : m->reason;
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) rec.v[k] = m->v[k];
    rec.reward = reward;
    rec.seconds = m->seconds;
    rec.when = syno_clock_epoch();
    rec.iteration = r->done + 1;
    char it[32];
    snprintf(it, sizeof it, "%lld", (long long)(r->done + 1));
    const char *keys[] = {"iterations_done"}, *vals[] = {it};
    syno_buf err = SYNO_BUF_INIT;
    bool ok = syno_store_add(r->store, &rec, 1, keys, vals, &err);
    if (!ok) drv_error(r, "%s: cannot record a candidate: %s", r->db, syno_buf_str(&err));
    syno_buf_fini(&err);
    if (ok && m->ok && (reward > r->best || !r->best_hash)) {
        r->best = reward;
        r->best_hash = rec.hash;
        syno_buf e = SYNO_BUF_INIT;
        char *file = syno_search_write_result(r->out_dir, r->spec, r->o->spec_path, &rec, r->have_ref ? r->ref : NULL, &e);
        if (file) syno_store_set_file(r->store, rec.hash, file);
        else fprintf(stderr, "syno: warning: %s\n", syno_buf_str(&e));
        free(file);
        syno_buf_fini(&e);
    }
    syno_canon_result_fini(&cres);
    if (!ok) return -2;
    r->done++;
    r->fresh++;
    r->failed += !m->ok;
    return m->ok ? reward : -1;
}

static void progress(drv_run *r)
{
    if (!r->o->progress) return;
    char hex[17] = "-";
    if (r->best_hash) syno_hash_hex(r->best_hash, hex);
    fprintf(stderr, "\r[%s] %lld/%d evaluated, %lld failed, best %.4f (%.8s), %.1f s", syno_algorithm_names[r->alg],
            (long long)r->done, r->iters, (long long)r->failed, r->best_hash ? r->best : 0.0, hex,
            syno_clock_epoch() - r->t0);
    fflush(stderr);
}

/* The reward recorded for HASH, or -1 (failed or not recorded); also keeps
 * the best one up to date. */
static double known_reward(drv_run *r, uint64_t hash, bool *found)
{
    syno_record rec;
    *found = syno_store_find(r->store, hash, &rec);
    if (!*found || !rec.ok) return -1;
    if (rec.reward > r->best || !r->best_hash) r->best = rec.reward, r->best_hash = rec.hash;
    return rec.reward;
}

/* ---- handing out ---------------------------------------------------------------- */

/* Hands candidate HASH (OP, PATH: copied) to the pool: a free slot of L
 * gets it, and the store's pending table.  Returns its slot, or -1 when
 * the store failed (reported). */
static int issue(loop *L, uint64_t hash, const syno_op *op, syno_ctx *ctx, const char *path)
{
    drv_run *r = L->r;
    int slot = 0;
    while (L->used[slot]) slot++;
    SYNO_ASSERT(slot < L->nfl);
    syno_buf text = SYNO_BUF_INIT, err = SYNO_BUF_INIT;
    syno_graph_print_module(op, "candidate", 0, NULL, NULL, &text);
    if (!syno_store_add_pending(r->store, hash, text.data, path, syno_clock_epoch(), &err)) {
        drv_error(r, "%s: cannot record a candidate handed out: %s", r->db, syno_buf_str(&err));
        syno_buf_fini(&text);
        syno_buf_fini(&err);
        return -1;
    }
    flight *f = &L->fl[slot];
    memset(f, 0, sizeof *f);
    f->hash = hash;
    f->id = L->next_id++;
    f->op = op;
    f->ctx = ctx;
    f->path = path ? syno_xstrdup(path) : NULL;
    L->used[slot] = true;
    syno_eval_job job;
    memset(&job, 0, sizeof job);
    job.op = op;
    job.text = text.data;
    job.seed = hash;
    memcpy(job.want, r->want, sizeof job.want);
    job.id = f->id;
    syno_evalpool_submit(r->pool, &job);
    syno_buf_fini(&text);
    syno_buf_fini(&err);
    return slot;
}

static void release(loop *L, int slot)
{
    flight *f = &L->fl[slot];
    free(f->path);
    syno_ctx_free(f->ctx);
    memset(f, 0, sizeof *f);
    L->used[slot] = false;
}

/* Records in the store (run_info.h) how many evaluations are under way
 * when the number changed, and the times at least once a second. */
static void note(loop *L)
{
    drv_run *r = L->r;
    double now = syno_clock_wall();
    if (r->pool->busy == L->noted && now - L->noted_at < 1) return;
    syno_run_info_progress(r->store, &r->clock, SYNO_RUN_SEARCHING, r->pool->busy);
    L->noted = r->pool->busy;
    L->noted_at = now;
}

/* Waits for a result: the slot it belongs to (its M filled and FINISHED
 * set), or -1 when none is in flight or the pool failed (reported). */
static int receive(loop *L)
{
    drv_run *r = L->r;
    int64_t id;
    syno_metrics m;
    note(L); /* what is under way while the pool is waited for */
    if (!syno_evalpool_wait(r->pool, &id, &m)) {
        if (r->pool->error) drv_error(r, "%s", r->pool->error);
        return -1;
    }
    for (int s = 0; s < L->nfl; s++)
        if (L->used[s] && L->fl[s].id == id) {
            L->fl[s].m = m;
            L->fl[s].finished = true;
            return s;
        }
    SYNO_UNREACHABLE(); /* a pool answers only the ids it was given */
}

static int in_flight(loop *L, uint64_t hash)
{
    for (int s = 0; s < L->nfl; s++)
        if (L->used[s] && L->fl[s].hash == hash) return s;
    return -1;
}

/* ---- pending candidates of an earlier run -------------------------------------- */

static void collect_pending(void *ctx, uint64_t hash, const char *text, const char *path)
{
    loop *L = ctx;
    if (L->npend == L->cappend) {
        L->cappend = L->cappend ? 2 * L->cappend : 16;
        L->pend = syno_xrealloc(L->pend, (size_t)L->cappend * sizeof *L->pend);
    }
    L->pend[L->npend].hash = hash;
    L->pend[L->npend].text = syno_xstrdup(text);
    L->pend[L->npend].path = path ? syno_xstrdup(path) : NULL;
    L->npend++;
}

/* Hands out the next pending candidate: its slot, -1 when none is left,
 * -2 when the store failed (reported). */
static int issue_pending(loop *L)
{
    while (L->pend_at < L->npend) {
        struct pend *p = &L->pend[L->pend_at++];
        syno_ctx *ctx = syno_ctx_new();
        char name[32], hex[17];
        syno_hash_hex(p->hash, hex);
        snprintf(name, sizeof name, "pending_%.8s", hex);
        const syno_op *op = syno_eval_load_op(ctx, name, p->text);
        bool recorded;
        known_reward(L->r, p->hash, &recorded);
        if (!op || recorded || in_flight(L, p->hash) >= 0) {
            if (!op) fprintf(stderr, "syno: warning: pending candidate %s does not load; left out\n", hex);
            syno_ctx_free(ctx);
            continue;
        }
        int s = issue(L, p->hash, op, ctx, p->path);
        if (s < 0) syno_ctx_free(ctx);
        return s < 0 ? -2 : s;
    }
    return -1;
}

/* ---- batches ------------------------------------------------------------------- */

/* Evaluates the pending candidates of an earlier run, recording each as it
 * finishes.  False when the store or the pool failed. */
static bool drain_pending(loop *L)
{
    drv_run *r = L->r;
    for (;;) {
        while (r->pool->busy < r->pool->capacity && r->done + r->pool->busy < r->iters && L->pend_at < L->npend)
            if (issue_pending(L) == -2) return false;
        int s = receive(L);
        if (s < 0) return !r->pool->error;
        flight *f = &L->fl[s];
        bool ok = record(r, f->hash, f->op, f->path, &f->m) > -2;
        release(L, s);
        if (!ok) return false;
        progress(r);
    }
}

/* Up to MAX proposals of the algorithm into OUT, their processor time
 * counted in the run's propose_cpu. */
static int propose(loop *L, int max, syno_proposal *out)
{
    double t = syno_clock_thread_cpu();
    int n = L->ops->ask(L->a, max, out);
    L->r->propose_cpu += syno_clock_thread_cpu() - t;
    return n;
}

static bool loop_batches(loop *L)
{
    drv_run *r = L->r;
    if (!drain_pending(L)) return false;
    int idle = 0;
    while (r->done < r->iters) {
        syno_proposal props[SYNO_SEARCH_BATCH];
        int n = propose(L, SYNO_SEARCH_BATCH, props);
        if (!n) {
            r->exhausted = true;
            break;
        }
        double reward[SYNO_SEARCH_BATCH];
        int slot[SYNO_SEARCH_BATCH], nnew = 0;
        bool good = true;
        for (int i = 0; i < n; i++) {
            bool found;
            slot[i] = -1;
            reward[i] = known_reward(r, props[i].f->hash, &found);
            if (found) continue;
            bool dup = false;
            for (int k = 0; k < i && !dup; k++) dup = slot[k] >= 0 && props[k].f->hash == props[i].f->hash;
            if (dup || r->done + nnew >= r->iters) continue;
            while (good && r->pool->busy == r->pool->capacity) good = receive(L) >= 0;
            if (good) slot[i] = issue(L, props[i].f->hash, props[i].f->op, NULL, props[i].path);
            good = good && slot[i] >= 0;
            nnew++;
        }
        while (good && r->pool->busy) good = receive(L) >= 0;
        for (int i = 0; i < n && good; i++) { /* record in batch order */
            if (slot[i] < 0) continue;
            flight *f = &L->fl[slot[i]];
            SYNO_ASSERT(f->finished);
            reward[i] = record(r, f->hash, f->op, f->path, &f->m);
            good = reward[i] > -2;
        }
        for (int i = 0; i < n; i++)
            if (slot[i] >= 0) release(L, slot[i]);
        if (!good) {
            for (int i = 0; i < n; i++) {
                L->ops->tell(L->a, &props[i], -1);
                free(props[i].path);
            }
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (slot[i] < 0 && reward[i] < 0) { /* a duplicate within the batch, or past the budget */
                bool found;
                reward[i] = known_reward(r, props[i].f->hash, &found);
            }
            L->ops->tell(L->a, &props[i], reward[i]);
            free(props[i].path);
        }
        idle = nnew ? 0 : idle + SYNO_SEARCH_BATCH;
        progress(r);
        if (idle > IDLE_LIMIT) {
            r->stuck = true;
            break;
        }
    }
    return true;
}

/* ---- pulled -------------------------------------------------------------------- */

static void wait_for(loop *L, const syno_proposal *p, uint64_t hash)
{
    if (L->nw == L->capw) {
        L->capw = L->capw ? 2 * L->capw : 64;
        L->w = syno_xrealloc(L->w, (size_t)L->capw * sizeof *L->w);
    }
    L->w[L->nw].p = *p;
    L->w[L->nw].hash = hash;
    L->nw++;
}

/* Tells the proposals waiting for HASH its REWARD, in the order asked. */
static void tell_waiting(loop *L, uint64_t hash, double reward)
{
    int keep = 0;
    for (int i = 0; i < L->nw; i++) {
        if (L->w[i].hash != hash) {
            L->w[keep++] = L->w[i];
            continue;
        }
        L->ops->tell(L->a, &L->w[i].p, reward);
        free(L->w[i].p.path);
    }
    L->nw = keep;
}

/* Fills the free slots of the pool: pending candidates first, then the
 * algorithm's.  False when the store failed. */
static bool fill(loop *L, int *idle, bool *asking)
{
    drv_run *r = L->r;
    while (*asking && r->pool->busy < r->pool->capacity) {
        if (r->done + r->pool->busy >= r->iters) { /* the budget is handed out */
            *asking = false;
            break;
        }
        if (L->pend_at < L->npend) {
            if (issue_pending(L) == -2) return false;
            continue;
        }
        syno_proposal p;
        if (!propose(L, 1, &p)) { /* the space is exhausted, or the algorithm waits for rewards */
            if (!r->pool->busy) r->exhausted = true, *asking = false;
            break;
        }
        uint64_t hash = p.f->hash;
        bool found;
        double reward = known_reward(r, hash, &found);
        if (found) {
            L->ops->tell(L->a, &p, reward);
            free(p.path);
        } else if (in_flight(L, hash) >= 0) {
            wait_for(L, &p, hash);
        } else {
            int s = issue(L, hash, p.f->op, NULL, p.path);
            wait_for(L, &p, hash);
            if (s < 0) return false;
            *idle = -1;
        }
        if (++*idle > IDLE_LIMIT) { /* only known operators lately: wait for the results in flight, if any */
            if (r->pool->busy) break;
            r->stuck = true;
            *asking = false;
        }
    }
    return true;
}

static bool loop_pulled(loop *L)
{
    drv_run *r = L->r;
    int idle = 0;
    bool asking = r->done < r->iters;
    for (;;) {
        if (!fill(L, &idle, &asking)) return false;
        int s = receive(L);
        if (s < 0) return !r->pool->error;
        flight *f = &L->fl[s];
        double reward = record(r, f->hash, f->op, f->path, &f->m);
        uint64_t hash = f->hash;
        release(L, s);
        if (reward < -1) return false;
        tell_waiting(L, hash, reward);
        progress(r);
    }
}

/* ---- both ---------------------------------------------------------------------- */

/* Runs the loop (see driver_int.h). */
bool drv_loop(drv_run *r, const syno_algo_ops *ops, syno_algo *a)
{
    loop L;
    memset(&L, 0, sizeof L);
    L.r = r;
    L.ops = ops;
    L.a = a;
    L.nfl = r->pool->capacity + SYNO_SEARCH_BATCH;
    L.fl = syno_xcalloc((size_t)L.nfl, sizeof *L.fl);
    L.used = syno_xcalloc((size_t)L.nfl, sizeof *L.used);
    L.next_id = 1;
    L.noted = -1;
    syno_store_each_pending(r->store, collect_pending, &L);
    bool ok = r->pool->pulled ? loop_pulled(&L) : loop_batches(&L);
    if (L.noted > 0) syno_run_info_progress(r->store, &r->clock, SYNO_RUN_SEARCHING, 0);
    if (r->o->progress) fputc('\n', stderr);
    for (int s = 0; s < L.nfl; s++)
        if (L.used[s]) release(&L, s);
    for (int i = 0; i < L.nw; i++) { /* proposals left when the loop failed */
        ops->tell(a, &L.w[i].p, -1);
        free(L.w[i].p.path);
    }
    for (int i = 0; i < L.npend; i++) {
        free(L.pend[i].text);
        free(L.pend[i].path);
    }
    free(L.pend);
    free(L.w);
    free(L.fl);
    free(L.used);
    return ok;
}
