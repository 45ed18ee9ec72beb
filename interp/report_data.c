/* report_data.c - reading a results store for `syno report` (see
 * report.h): the search's meta data, the baseline, every candidate in
 * rank order with its confirmation runs, and what the store says about
 * its runs.  The store is opened read-only: a search may be writing it. */
#include "interp/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct loader {
    syno_report *rep;
    int cap;
} loader;

static char *dup_or_null(const char *s)
{
    return s ? syno_xstrdup(s) : NULL;
}

static void add_row(void *ctx, const syno_record *r)
{
    loader *l = ctx;
    syno_report *rep = l->rep;
    if (rep->nrows == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        rep->rows = syno_xrealloc(rep->rows, (size_t)l->cap * sizeof *rep->rows);
    }
    syno_report_row *row = &rep->rows[rep->nrows++];
    memset(row, 0, sizeof *row);
    row->r = *r;
    row->r.text = dup_or_null(r->text);
    row->r.path = dup_or_null(r->path);
    row->r.file = dup_or_null(r->file);
    row->r.reason = dup_or_null(r->reason);
    row->rank = rep->nrows;
    if (r->ok) {
        rep->nok++;
        rep->any_accuracy |= isfinite(r->v[SYNO_METRIC_ACCURACY]);
        rep->any_latency |= isfinite(r->v[SYNO_METRIC_LATENCY]);
    } else {
        rep->nfailed++;
    }
    if (isfinite(r->when)) {
        double start = r->when - (isfinite(r->seconds) && r->seconds > 0 ? r->seconds : 0);
        if (!isfinite(rep->first) || start < rep->first) rep->first = start;
        if (!isfinite(rep->last) || r->when > rep->last) rep->last = r->when;
    }
    if (isfinite(r->seconds) && r->seconds > 0) rep->eval_seconds += r->seconds;
}

/* Reads the store (see report.h). */
bool syno_report_load(syno_report *rep, const char *db, int operators, syno_buf *err)
{
    memset(rep, 0, sizeof *rep);
    rep->db = db;
    rep->first = rep->last = NAN;
    rep->iterations = -1;
    syno_store *s = syno_store_open_read(db, err);
    if (!s) return false;
    rep->spec_name = syno_store_get_meta(s, "spec_name");
    if (!rep->spec_name) {
        syno_buf_printf(err, "%s is not a results store of syno search (it names no search)", db);
        syno_store_close(s);
        return false;
    }
    rep->spec_file = syno_store_get_meta(s, "spec_file");
    rep->spec_text = syno_store_get_meta(s, "spec_text");
    rep->algorithm = syno_store_get_meta(s, "algorithm");
    rep->seed = syno_store_get_meta(s, "seed");
    rep->baseline = syno_store_get_meta(s, "reference_of");
    rep->version = syno_store_get_meta(s, "version");
    char *it = syno_store_get_meta(s, "iterations");
    if (it) {
        char *end;
        long long v = strtoll(it, &end, 10);
        if (end != it && !*end && v > 0) rep->iterations = v;
        free(it);
    }
    rep->have_ref = syno_search_refs_load(s, rep->ref);
    syno_run_info_load(s, &rep->run);
    loader l = {rep, 0};
    if (syno_store_each(s, 0, SYNO_ORDER_REWARD, add_row, &l) < 0) {
        syno_buf_printf(err, "%s: cannot read its candidates: %s", db, syno_store_error(s));
        syno_store_close(s);
        syno_report_free(rep);
        return false;
    }
    int best = 0;
    for (int i = 0; i < rep->nrows; i++) {
        syno_report_row *row = &rep->rows[i];
        if (row->r.nconfirmed > 0) {
            rep->nconfirmed++;
            row->nseeds = syno_store_confirm_runs(s, row->r.hash, SYNO_REPORT_MAX_SEEDS, row->seed, row->seed_acc);
        }
        row->section = row->r.ok && (best++ < operators || row->r.nconfirmed > 0);
    }
    rep->nbase = syno_store_confirm_runs(s, 0, SYNO_REPORT_MAX_SEEDS, rep->base_seed, rep->base_acc);
    syno_store_close(s);
    return true;
}

/* Frees what REP owns. */
void syno_report_free(syno_report *rep)
{
    for (int i = 0; i < rep->nrows; i++) {
        syno_record *r = &rep->rows[i].r;
        free((char *)r->text);
        free((char *)r->path);
        free((char *)r->file);
        free((char *)r->reason);
    }
    free(rep->rows);
    free(rep->spec_name);
    free(rep->spec_file);
    free(rep->spec_text);
    free(rep->algorithm);
    free(rep->seed);
    free(rep->baseline);
    free(rep->version);
    memset(rep, 0, sizeof *rep);
}

/* The tooltip of a row (see report.h). */
void syno_report_row_summary(const syno_report *rep, const syno_report_row *row, syno_buf *out)
{
    const syno_record *r = &row->r;
    char hex[17];
    syno_hash_hex(r->hash, hex);
    syno_buf_printf(out, "#%d %s", row->rank, hex);
    if (!r->ok) {
        syno_buf_printf(out, ": failed: %s", r->reason ? r->reason : "?");
        return;
    }
    if (isfinite(r->reward)) syno_buf_printf(out, ", reward %.4g", r->reward);
    static const char *const label[SYNO_METRIC_COUNT] = {"FLOPs", "params", "latency"};
    for (int k = 0; k < SYNO_METRIC_ACCURACY; k++) {
        if (!isfinite(r->v[k])) continue;
        if (isfinite(rep->ref[k]) && rep->ref[k] > 0) syno_buf_printf(out, ", %s %.3gx", label[k], r->v[k] / rep->ref[k]);
        else syno_buf_printf(out, ", %s %.4g", label[k], r->v[k]);
    }
    double a = r->v[SYNO_METRIC_ACCURACY];
    if (isfinite(a)) {
        syno_buf_printf(out, ", accuracy %.2f%%", 100 * a);
        if (isfinite(rep->ref[SYNO_METRIC_ACCURACY]))
            syno_buf_printf(out, " (%+.1f points)", 100 * (a - rep->ref[SYNO_METRIC_ACCURACY]));
    }
    if (isfinite(r->confirmed)) syno_buf_printf(out, ", confirmed %.2f%%", 100 * r->confirmed);
}
