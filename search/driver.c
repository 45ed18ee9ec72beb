/* driver.c - `syno search`: opens the store and checks or writes its meta
 * data, measures the reference (the baseline), runs the loop of
 * driver_loop.c (ask, evaluate in the pool, record, tell), the
 * confirmation stage, and prints the summary.
 *
 * Determinism: the algorithm draws from one RNG seeded with the search's
 * seed; with the local pool it is asked for batches of SYNO_SEARCH_BATCH
 * candidates whatever --jobs is and told the rewards in batch order, so
 * for a seed the candidates and their order do not depend on --jobs (only
 * the wall time, and latencies measured while other evaluations run, do).
 *
 * Resume: the store keeps the spec's text hash, the algorithm, the seed
 * and every evaluation.  A resumed search replays the algorithm from the
 * seed; a candidate already in the store is answered from it (not
 * evaluated again), so the replay of a local search retraces the killed
 * run exactly and then goes on with new candidates. */
#include "config.h"

#include "search/driver_int.h"

#include "base/clock.h"
#include "lang/module.h"
#include "train/proxy.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return syno_xstrdup(".");
    if (slash == path) return syno_xstrdup("/");
    char *d = syno_xmalloc((size_t)(slash - path) + 1);
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = 0;
    return d;
}

static char *join(const char *dir, const char *name)
{
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_printf(&b, "%s/%s", dir, name);
    return syno_buf_take(&b);
}

/* Reports an error of the run (see driver_int.h). */
void drv_error(drv_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    syno_buf b = SYNO_BUF_INIT;
    syno_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    syno_diag_error(r->d, syno_range_make(0, 0), "%s", syno_buf_str(&b));
    syno_buf_fini(&b);
}

/* Makes V the reference values (see driver_int.h). */
void drv_set_reference(drv_run *r, const double *v, const char *of)
{
    syno_buf b = SYNO_BUF_INIT;
    for (int k = 0; k < SYNO_METRIC_COUNT; k++) {
        r->ref[k] = v[k];
        syno_buf_printf(&b, "%s%s=%.17g", k ? ";" : "", syno_metric_names[k], v[k]);
    }
    syno_store_set_meta(r->store, "reference", b.data);
    if (of) syno_store_set_meta(r->store, "reference_of", of);
    syno_buf_fini(&b);
    r->have_ref = true;
}

/* The store's meta data: written for a new search, checked on resume.
 * Fills the algorithm, seed and iterations to use. */
static bool setup_meta(drv_run *r, syno_algorithm *alg, uint64_t *seed, int *iters)
{
    const syno_spec *spec = r->spec;
    const syno_source *src = spec->module->src;
    char hex[17];
    syno_hash_hex(syno_hash_fnv1a(SYNO_HASH_FNV_INIT, src->text, src->len), hex);
    int64_t count = syno_store_count(r->store, false);
    char *old_hash = syno_store_get_meta(r->store, "spec_hash");
    if (!r->o->resume) {
        if (count > 0 || old_hash) {
            drv_error(r, "%s already holds a search (%lld candidates); continue it with --resume or choose another "
                     "file with --db", r->db, (long long)count);
            free(old_hash);
            return false;
        }
        char buf[64];
        syno_store_set_meta(r->store, "spec_text", src->text);
        syno_store_set_meta(r->store, "spec_file", r->o->spec_path ? r->o->spec_path : src->name);
        syno_store_set_meta(r->store, "spec_name", spec->name);
        syno_store_set_meta(r->store, "spec_hash", hex);
        syno_store_set_meta(r->store, "algorithm", syno_algorithm_names[*alg]);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)*seed);
        syno_store_set_meta(r->store, "seed", buf);
        snprintf(buf, sizeof buf, "%d", SYNO_SEARCH_BATCH);
        syno_store_set_meta(r->store, "batch", buf);
        snprintf(buf, sizeof buf, "%d", *iters);
        syno_store_set_meta(r->store, "iterations", buf);
        syno_store_set_meta(r->store, "version", PACKAGE_VERSION);
        return true;
    }
    if (!old_hash) {
        drv_error(r, "%s holds no search to resume (start one without --resume)", r->db);
        return false;
    }
    bool ok = true;
    if (strcmp(old_hash, hex) != 0) {
        drv_error(r, "the spec file changed since the search in %s started (its text hash was %s, now %s); resuming would "
                 "mix two searches: start a new one with another --db", r->db, old_hash, hex);
        ok = false;
    }
    free(old_hash);
    char *name = syno_store_get_meta(r->store, "spec_name");
    if (ok && name && strcmp(name, spec->name) != 0) {
        drv_error(r, "%s holds search '%s', not '%s'", r->db, name, spec->name);
        ok = false;
    }
    free(name);
    char *a = syno_store_get_meta(r->store, "algorithm"), *s = syno_store_get_meta(r->store, "seed");
    if (ok && a) {
        int stored = -1;
        for (int k = 0; k < SYNO_ALG_COUNT; k++)
            if (strcmp(a, syno_algorithm_names[k]) == 0) stored = k;
        if (stored < 0) {
            drv_error(r, "%s records the algorithm '%s', which syno does not know: the store is damaged", r->db, a);
            ok = false;
        } else if (r->o->algorithm >= 0 && r->o->algorithm != stored) {
            drv_error(r, "%s was searched with --algorithm %s; resume it with the same algorithm", r->db, a);
            ok = false;
        }
        if (stored >= 0) *alg = (syno_algorithm)stored;
    }
    if (ok && s) {
        char *end;
        uint64_t stored = strtoull(s, &end, 10);
        if (!*s || *end || *s == '-') {
            drv_error(r, "%s records the seed '%s', which is not a seed: the store is damaged", r->db, s);
            ok = false;
        }
        if (ok && r->o->seed_set && r->o->seed != stored) {
            drv_error(r, "%s was searched with --seed %s; resume it with the same seed", r->db, s);
            ok = false;
        }
        *seed = stored;
    }
    char *it = syno_store_get_meta(r->store, "iterations");
    if (ok && it && r->o->iterations <= 0) *iters = atoi(it); /* the budget the search was started with */
    else if (ok && r->o->iterations > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", r->o->iterations);
        syno_store_set_meta(r->store, "iterations", buf);
    }
    free(it);
    free(a);
    free(s);
    return ok;
}

/* The reference values of the metrics: the baseline's (evaluated once and
 * kept in the store). */
static void setup_reference(drv_run *r)
{
    if (syno_search_refs_load(r->store, r->ref)) {
        r->have_ref = true;
        return;
    }
    if (!r->spec->baseline_op) return;
    syno_eval_job job;
    memset(&job, 0, sizeof job);
    job.op = r->spec->baseline_op;
    job.seed = 1;
    memcpy(job.want, r->want, sizeof job.want);
    syno_metrics met;
    int64_t id;
    syno_evalpool_submit(r->pool, &job);
    syno_run_info_progress(r->store, &r->clock, SYNO_RUN_SEARCHING, r->pool->busy);
    bool got = syno_evalpool_wait(r->pool, &id, &met);
    syno_run_info_progress(r->store, &r->clock, SYNO_RUN_SEARCHING, 0);
    if (!got) return;
    if (!met.ok) {
        fprintf(stderr, "syno: warning: the baseline %s cannot be evaluated (%s); no ratios to it\n", r->spec->baseline,
                met.reason);
        return;
    }
    drv_set_reference(r, met.v, r->spec->baseline);
}

/* Runs the search (see search_run.h). */
int syno_search_run(const syno_spec *spec, const syno_search_opts *o, syno_diags *d)
{
    drv_run r;
    memset(&r, 0, sizeof r);
    r.spec = spec;
    r.o = o;
    r.d = d;
    r.best = -1;
    const char *spec_path = o->spec_path ? o->spec_path : spec->module->src->name;
    if (o->db) r.db = syno_xstrdup(o->db);
    else {
        char *dir = dir_of(spec_path);
        r.db = join(dir, "results.db");
        free(dir);
    }
    if (o->out_dir) r.out_dir = syno_xstrdup(o->out_dir);
    else {
        char *dir = dir_of(r.db);
        r.out_dir = join(dir, "results");
        free(dir);
    }
    for (int i = 0; i < spec->nobj; i++) r.want[spec->obj[i].metric] = true;
    r.want[SYNO_METRIC_FLOPS] = r.want[SYNO_METRIC_PARAMS] = true;
    struct stat stt;
    if (o->resume && stat(r.db, &stt) != 0) {
        drv_error(&r, "%s does not exist: there is no search to resume", r.db);
        free(r.db);
        free(r.out_dir);
        return 1;
    }
    if (!o->resume) { /* the store's directory */
        char *dir = dir_of(r.db);
        for (char *p = dir + 1; *p; p++)
            if (*p == '/') *p = 0, mkdir(dir, 0777), *p = '/';
        mkdir(dir, 0777);
        free(dir);
    }
    syno_buf err = SYNO_BUF_INIT;
    int lock = syno_store_lock(r.db, &err);
    r.store = lock >= 0 ? syno_store_open(r.db, !o->resume, &err) : NULL;
    if (!r.store) {
        drv_error(&r, "%s", syno_buf_str(&err));
        syno_buf_fini(&err);
        syno_store_unlock(lock);
        free(r.db);
        free(r.out_dir);
        return 1;
    }
    syno_buf_fini(&err);
    syno_algorithm alg = o->algorithm >= 0 ? (syno_algorithm)o->algorithm : spec->algorithm;
    uint64_t seed = o->seed_set ? o->seed : spec->seed;
    int iters = o->iterations > 0 ? o->iterations : spec->iterations;
    int status = 1;
    bool started = false;
    if (o->pool) {
        r.pool = o->pool;
    } else {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        int jobs = o->jobs > 0 ? o->jobs : 1;
        r.pool = syno_evalpool_local_new(spec, jobs, (int)(ncpu > jobs ? ncpu / jobs : 1));
    }
    if (!setup_meta(&r, &alg, &seed, &iters)) goto out;
    syno_run_info_start(r.store, &r.clock);
    r.clock.cpu_elsewhere = &r.pool->cpu_elsewhere;
    started = true;
    r.alg = alg;
    r.iters = iters;
    r.sp = syno_space_new(spec, d);
    if (!r.sp) goto out;
    r.canon = syno_canon_new();
    setup_reference(&r);
    if (r.pool->error) {
        drv_error(&r, "%s", r.pool->error);
        goto out;
    }
    r.done = syno_store_count(r.store, false);
    r.failed = r.done - syno_store_count(r.store, true);
    syno_rng rng;
    syno_rng_seed(&rng, seed);
    const syno_algo_ops *ops = syno_algo_get(alg);
    syno_algo *a = ops->create(r.sp, &rng);
    r.t0 = syno_clock_epoch();
    double cpu = syno_clock_cpu();
    bool looped = drv_loop(&r, ops, a);
    r.loop_cpu = syno_clock_cpu() - cpu;
    ops->destroy(a);
    if (!looped) goto out;
    if (!syno_search_confirm(r.store, spec, r.pool, o->progress, &r.clock, &err)) {
        if (r.pool->error) drv_error(&r, "%s", r.pool->error);
        else drv_error(&r, "%s: %s", r.db, syno_buf_str(&err));
        goto out;
    }
    if (r.have_ref) syno_search_refs_load(r.store, r.ref); /* now with the baseline's confirmed accuracy */
    /* the best ones as files */
    int top = o->top > 0 ? o->top : 10;
    FILE *out = o->out ? o->out : stdout;
    fprintf(out, "search %s: %lld candidates evaluated (%lld this run, %lld failed), algorithm %s, seed %llu%s\n",
            spec->name, (long long)r.done, (long long)r.fresh, (long long)r.failed, syno_algorithm_names[alg],
            (unsigned long long)seed,
            r.exhausted ? "; the space is exhausted"
            : r.stuck   ? "; the algorithm proposed only known operators for 1000 candidates (the space is probably "
                          "exhausted)"
                        : "");
    if (r.pool->summary) fprintf(out, "%s\n", r.pool->summary);
    if (r.pool->summary && r.fresh > 0) /* an MPI coordinator: what a candidate costs it */
        fprintf(out, "coordinator: %.2f ms of processor time per candidate, %.2f ms of it the algorithm's proposals\n",
                1e3 * r.loop_cpu / (double)r.fresh, 1e3 * r.propose_cpu / (double)r.fresh);
    fprintf(out, "results in %s; operators in %s/\n", r.db, r.out_dir);
    syno_search_keep_files(r.store, top, spec, spec_path, r.out_dir, r.have_ref ? r.ref : NULL);
    syno_search_print_table(r.store, top, r.have_ref ? r.ref : NULL, out);
    syno_search_print_confirmed(r.store, spec->baseline, r.have_ref ? r.ref : NULL, out);
    status = 0;
out:
    if (started) syno_run_info_finish(r.store, &r.clock, status == 0 ? SYNO_RUN_FINISHED : SYNO_RUN_STOPPED);
    syno_buf_fini(&err);
    if (r.pool != o->pool) syno_evalpool_free(r.pool);
    syno_canon_free(r.canon);
    syno_space_free(r.sp);
    syno_store_close(r.store);
    syno_store_unlock(lock);
    free(r.db);
    free(r.out_dir);
    syno_proxy_release(); /* the data sets of evaluations that ran in this process */
    return status;
}
