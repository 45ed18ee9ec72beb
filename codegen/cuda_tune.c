/* cuda_tune.c - the tiling tuner (see cuda_tune.h). */
#include "codegen/cuda_tune.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TUNE_FORMAT 1

/* Fills T with the defaults. */
void syno_cuda_tuner_init(syno_cuda_tuner *t, syno_cuda_rt *rt, bool measure)
{
    memset(t, 0, sizeof *t);
    t->rt = rt;
    t->measure = measure;
    t->shortlist = 6;
    t->reps = 5;
}

/* The shortlist (see cuda_tune.h). */
int syno_cuda_tune_shortlist(const syno_cuda_contr *c, int sms, int max, syno_cuda_tile *out)
{
    syno_cuda_tile cand[128];
    double score[128];
    int n = syno_cuda_tile_candidates(c, cand, 128), m = 0;
    for (int i = 0; i < n; i++) {
        if (cand[i].bm == 0) continue;
        cand[m] = cand[i];
        score[m++] = syno_cuda_tile_score(c, &cand[i], sms);
    }
    for (int i = 1; i < m; i++) /* insertion sort, best first, stable */
        for (int j = i; j > 0 && score[j] > score[j - 1]; j--) {
            double s = score[j];
            score[j] = score[j - 1];
            score[j - 1] = s;
            syno_cuda_tile t = cand[j];
            cand[j] = cand[j - 1];
            cand[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < m && k < max - 1; i++) out[k++] = cand[i];
    if (k < max) out[k++] = (syno_cuda_tile){0, 0, 0, 0, 0, 1};
    return k;
}

static void tune_key(const syno_cuda_tuner *t, const syno_cuda_contr *c, syno_buf *key)
{
    const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(t->rt));
    const syno_nvrtc *nv = syno_cuda_nvrtc_get(NULL);
    syno_buf_printf(key, "syno-tune %d\narch %d\ndevice %s\nnvrtc %d.%d\n", TUNE_FORMAT, info->arch, info->name,
                    nv ? nv->major : 0, nv ? nv->minor : 0);
    syno_cuda_contr_signature(c, key);
}

/* Times program P; false when it cannot run (then *MS is unset). */
static bool time_one(syno_cuda_tuner *t, const syno_cuda_prog *p, double *ms, syno_buf *err)
{
    syno_cuda_exe *e = syno_cuda_exe_new(t->rt, p, err);
    bool ok = e && syno_cuda_exe_randomize(e, 1, err) && syno_cuda_exe_time(e, 2, t->reps, ms, NULL, err);
    syno_cuda_exe_free(e);
    return ok;
}

/* The tuned chooser (see cuda_tune.h). */
syno_cuda_tile syno_cuda_choose_tuned(const syno_cuda_contr *c, void *ctx)
{
    syno_cuda_tuner *t = ctx;
    const syno_cuda_dev_info *info = syno_cuda_dev_get_info(syno_cuda_rt_dev(t->rt));
    syno_buf key = SYNO_BUF_INIT;
    tune_key(t, c, &key);
    void *data;
    size_t size;
    syno_cuda_tile best = syno_cuda_tile_default(c, info->sms);
    char ts[64];
    if (syno_cuda_cache_get(syno_cuda_rt_cache(t->rt), "tune", syno_buf_str(&key), &data, &size)) {
        char *sp = strchr((char *)data, ' ');
        if (sp) *sp = 0;
        syno_cuda_tile cached;
        if (syno_cuda_tile_parse((char *)data, &cached)) {
            best = cached;
            t->cached++;
            if (t->log) fprintf(t->log, "tune: %s: %s (cached)\n", c->name, syno_cuda_tile_str(&best, ts, sizeof ts));
            free(data);
            syno_buf_fini(&key);
            return best;
        }
        free(data);
    }
    if (!t->measure) {
        t->guessed++;
        syno_buf_fini(&key);
        return best;
    }
    syno_cuda_tile list[16];
    int n = syno_cuda_tune_shortlist(c, info->sms, t->shortlist + 1 < 16 ? t->shortlist + 1 : 16, list);
    /* Compile every candidate at once (one thread per CPU), then time them. */
    syno_cuda_prog *progs[16];
    const char *texts[16];
    int ntexts = 0;
    for (int i = 0; i < n; i++) {
        syno_buf err = SYNO_BUF_INIT;
        progs[i] = syno_cuda_prog_single(c, &list[i], &err);
        if (progs[i])
            for (int s = 0; s < progs[i]->nsrcs && ntexts < 16; s++) texts[ntexts++] = progs[i]->srcs[s].text;
        syno_buf_fini(&err);
    }
    syno_buf ignored = SYNO_BUF_INIT; /* failures show again when timed */
    syno_cuda_cache_precompile(syno_cuda_rt_cache(t->rt), texts, ntexts, info->arch, 0, &ignored);
    syno_buf_fini(&ignored);
    double best_ms = INFINITY;
    syno_buf report = SYNO_BUF_INIT;
    for (int i = 0; i < n; i++) {
        double ms;
        syno_buf err = SYNO_BUF_INIT;
        if (progs[i] && time_one(t, progs[i], &ms, &err)) {
            syno_buf_printf(&report, " %s=%.4g", syno_cuda_tile_str(&list[i], ts, sizeof ts), ms);
            if (ms < best_ms) {
                best_ms = ms;
                best = list[i];
            }
        } else {
            syno_buf_printf(&report, " %s=failed", syno_cuda_tile_str(&list[i], ts, sizeof ts));
            if (t->log) fprintf(t->log, "tune: %s: %s failed: %s\n", c->name, ts, syno_buf_str(&err));
        }
        syno_buf_fini(&err);
        syno_cuda_prog_free(progs[i]);
    }
    if (isfinite(best_ms)) {
        syno_buf val = SYNO_BUF_INIT;
        syno_buf_printf(&val, "%s %.6g ms;%s", syno_cuda_tile_str(&best, ts, sizeof ts), best_ms, syno_buf_str(&report));
        syno_cuda_cache_put(syno_cuda_rt_cache(t->rt), "tune", syno_buf_str(&key), val.data, val.len);
        syno_buf_fini(&val);
        t->measured++;
    } else {
        t->guessed++;
    }
    if (t->log)
        fprintf(t->log, "tune: %s: %s (measured:%s ms)\n", c->name, syno_cuda_tile_str(&best, ts, sizeof ts),
                syno_buf_str(&report));
    syno_buf_fini(&report);
    syno_buf_fini(&key);
    return best;
}
