/* driver_confirm.c - the confirmation stage of `syno search` (the spec's
 * `train confirm K seeds S`): one short proxy training per candidate is a
 * noisy measurement (about a point of accuracy from the seed alone), so a
 * search that ranks hundreds of candidates by it picks lucky runs.  After
 * the search, the K best successful candidates and the baseline are
 * trained again with the seeds 2 .. S+1 (the search itself used seed 1)
 * and measured on the whole test set; the mean of those runs is their
 * confirmed accuracy, and a candidate is compared with the baseline's mean
 * over the same seeds.
 *
 * Every run is its own job of the search's evaluation pool (search/evalpool.h:
 * a child process, or an MPI rank) and is recorded in the store as soon as
 * it finishes, so a killed search loses at most the runs under way and
 * `--resume` picks up the rest. */
#include "search/search_run.h"

#include "lang/module.h"
#include "search/run_info.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIRM 256

typedef struct pick {
    uint64_t hash[MAX_CONFIRM];
    int n, limit;
} pick;

static void collect(void *ctx, const syno_record *r)
{
    pick *p = ctx;
    if (r->ok && p->n < p->limit) p->hash[p->n++] = r->hash;
}

/* One run to make: operator OP (hash HASH, 0 for the baseline) with SEED. */
typedef struct job {
    const syno_op *op;
    uint64_t hash, seed;
} job;

/* Loads the canonical text of candidate HASH from S into CTX.  NULL when
 * it is missing or does not load (the candidate is then left out). */
static const syno_op *load_op(syno_ctx *ctx, syno_store *s, uint64_t hash)
{
    syno_record r;
    if (!syno_store_find(s, hash, &r) || !r.text) return NULL;
    char name[32], hex[17];
    syno_hash_hex(hash, hex);
    snprintf(name, sizeof name, "confirm_%.8s", hex);
    return syno_eval_load_op(ctx, name, r.text);
}

/* Records the result M of run JB (its own transaction). */
static bool record(syno_store *s, const job *jb, const syno_metrics *m, syno_buf *err)
{
    double acc = m->v[SYNO_METRIC_ACCURACY];
    bool ok = m->ok && isfinite(acc);
    return syno_store_add_confirm(s, jb->hash, jb->seed, ok, acc, m->seconds,
                                  ok ? NULL : m->reason[0] ? m->reason : "no accuracy measured", err);
}

/* Runs the confirmation stage (see search_run.h). */
bool syno_search_confirm(syno_store *s, const syno_spec *spec, syno_evalpool *pool, bool progress,
                         const syno_run_clock *clock, syno_buf *err)
{
    int k = spec->train_confirm, seeds = spec->train_seeds;
    if (k <= 0 || seeds <= 0) return true;
    pick p = {{0}, 0, k < MAX_CONFIRM ? k : MAX_CONFIRM};
    syno_store_each(s, 0, SYNO_ORDER_REWARD, collect, &p);
    syno_ctx *ctx = syno_ctx_new();
    int cap = (p.n + 1) * seeds, n = 0;
    job *todo = syno_xcalloc((size_t)cap, sizeof *todo);
    for (int c = -1; c < p.n; c++) {
        uint64_t hash = c < 0 ? 0 : p.hash[c];
        const syno_op *op = c < 0 ? spec->baseline_op : load_op(ctx, s, hash);
        if (!op) {
            if (c >= 0) fprintf(stderr, "syno: warning: candidate %016llx has no loadable canonical text; not confirmed\n",
                                (unsigned long long)hash);
            continue;
        }
        for (int i = 0; i < seeds; i++) {
            bool ok;
            double acc;
            uint64_t seed = 2 + (uint64_t)i;
            if (syno_store_find_confirm(s, hash, seed, &ok, &acc)) continue;
            todo[n++] = (job){op, hash, seed};
        }
    }
    bool good = true;
    int noted = -1; /* the runs under way last recorded */
    int next = 0, finished = 0;
    while (good && (next < n || pool->busy)) {
        if (progress) {
            fprintf(stderr, "\r[confirm] %d/%d runs (%d candidates and the baseline, %d seeds each)", finished, n, p.n,
                    seeds);
            fflush(stderr);
        }
        while (next < n && pool->busy < pool->capacity) {
            const job *jb = &todo[next];
            syno_eval_job ej;
            memset(&ej, 0, sizeof ej);
            ej.op = jb->op;
            ej.seed = jb->hash ? jb->hash : 1; /* the baseline's data seed is 1, as when the search measured it */
            ej.train_seed = jb->seed;
            ej.full_test = true;
            ej.want[SYNO_METRIC_ACCURACY] = true;
            ej.id = next++;
            syno_evalpool_submit(pool, &ej);
        }
        int64_t id;
        syno_metrics m;
        if (clock && pool->busy != noted) { /* the runs under way, as they change */
            syno_run_info_progress(s, clock, SYNO_RUN_CONFIRMING, pool->busy);
            noted = pool->busy;
        }
        if (!syno_evalpool_wait(pool, &id, &m)) {
            if (pool->error) syno_buf_printf(err, "%s", pool->error);
            good = !pool->error;
            break;
        }
        syno_buf why = SYNO_BUF_INIT;
        good = record(s, &todo[id], &m, &why);
        if (!good) syno_buf_printf(err, "cannot record a confirmation run: %s", syno_buf_str(&why));
        syno_buf_fini(&why);
        finished++;
    }
    if (clock && n) syno_run_info_progress(s, clock, SYNO_RUN_CONFIRMING, 0);
    if (progress && n) fprintf(stderr, "\r[confirm] %d/%d runs done%30s\n", finished, n, "");
    free(todo);
    syno_ctx_free(ctx);
    return good;
}

typedef struct listing {
    FILE *out;
    double base, bflops;
    int rows;
} listing;

static void confirmed_row(void *ctx, const syno_record *r)
{
    listing *l = ctx;
    char hex[17], fl[32] = "-", conf[48] = "failed", px[32] = "-";
    syno_hash_hex(r->hash, hex);
    double f = r->v[SYNO_METRIC_FLOPS], a = r->v[SYNO_METRIC_ACCURACY];
    if (isfinite(f) && isfinite(l->bflops) && l->bflops > 0) snprintf(fl, sizeof fl, "%.2fx", f / l->bflops);
    if (isfinite(a)) snprintf(px, sizeof px, "%.4f", a);
    if (isfinite(r->confirmed)) {
        if (isfinite(l->base)) snprintf(conf, sizeof conf, "%.4f (%+.1f)", r->confirmed, 100 * (r->confirmed - l->base));
        else snprintf(conf, sizeof conf, "%.4f", r->confirmed);
    }
    fprintf(l->out, "  %s  %-8s  %-9s  %-17s  %s\n", hex, fl, px, conf, r->file ? r->file : "-");
    l->rows++;
}

static void max_runs(void *ctx, const syno_record *r)
{
    int *n = ctx;
    if (r->nconfirmed > *n) *n = r->nconfirmed;
}

/* Prints the confirmed candidates (see search_run.h). */
void syno_search_print_confirmed(syno_store *s, const char *baseline, const double *ref, FILE *out)
{
    int runs = 0;
    int n = syno_store_each(s, 0, SYNO_ORDER_CONFIRMED, max_runs, &runs);
    if (n <= 0) return;
    listing l = {out, ref ? ref[SYNO_REF_CONFIRMED] : NAN, ref ? ref[SYNO_METRIC_FLOPS] : NAN, 0};
    fprintf(out, "confirmed: the %d best, trained again with seeds 2..%d, tested on the whole test set", n, 1 + runs);
    if (isfinite(l.base)) fprintf(out, "; baseline%s%s: %.4f", baseline ? " " : "", baseline ? baseline : "", l.base);
    fputc('\n', out);
    fprintf(out, "  %-16s  %-8s  %-9s  %-17s  %s\n", "hash", "FLOPs", "proxy", "confirmed", "file");
    syno_store_each(s, 0, SYNO_ORDER_CONFIRMED, confirmed_row, &l);
}
