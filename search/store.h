/* store.h - the results store of a search: one SQLite file per search.
 *
 * Tables:
 *   meta(key, value)         the spec's text, name, file and hash, the
 *                            algorithm, seed, batch, baseline metrics, and
 *                            the progress counters (iteration, RNG state);
 *   candidates(...)          every evaluated candidate: canonical hash,
 *                            canonical text, the step path, status ('ok' or
 *                            'failed'), failure reason, FLOPs, params,
 *                            latency, accuracy, reward, evaluation time,
 *                            when, and the .syno file written for it;
 *   confirmations(...)       the best candidates (and the baseline, hash
 *                            'baseline') trained again with other seeds
 *                            after the search: hash, seed, status, reason,
 *                            accuracy, time; one row per (hash, seed);
 *   pending(...)             candidates handed out for evaluation whose
 *                            result is not recorded yet: hash, the
 *                            operator's .syno text, the step path, when.
 * The database runs in WAL mode and every finished evaluation is committed
 * in its own transaction (with the progress counters), so a search killed
 * at any moment (kill -9 included) loses no finished evaluation.  A
 * resumed search replays its algorithm from the seed, taking the results
 * of candidates already in the store instead of evaluating them again, and
 * first evaluates the pending candidates (those in flight when it was
 * killed: an MPI search's replay need not propose them again). */
#ifndef SYNO_SEARCH_STORE_H
#define SYNO_SEARCH_STORE_H

#include "base/buf.h"
#include "base/hash.h"
#include "lang/spec.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct syno_store syno_store;

/* A candidate's record. */
typedef struct syno_record {
    int64_t id;
    uint64_t hash;
    const char *text;       /* canonical text (owned by the store's last query) */
    const char *path;       /* the steps from the root */
    const char *file;       /* the .syno file written for it, or NULL */
    bool ok;
    const char *reason;     /* why it failed */
    double v[SYNO_METRIC_COUNT]; /* NaN where not measured */
    double reward;
    double seconds;         /* evaluation time */
    double when;            /* seconds since the epoch */
    int64_t iteration;
    int nconfirmed;         /* confirmation runs recorded for it */
    double confirmed;       /* their mean accuracy (NaN: none, or one failed) */
} syno_record;

/* Opens the store at PATH; with CREATE, a missing or empty file becomes a
 * new store.  A file that is not a store (not a database, a corrupted one,
 * another program's database) is left as it was and refused: NULL with
 * the reason in ERR. */
syno_store *syno_store_open(const char *path, bool create, syno_buf *err);
/* Opens the store at PATH read-only (nothing in the file changes, a store
 * another process is writing included).  NULL with the reason in ERR when
 * it cannot be opened or is not a results store. */
syno_store *syno_store_open_read(const char *path, syno_buf *err);
void syno_store_close(syno_store *s);

/* meta table */
bool syno_store_set_meta(syno_store *s, const char *key, const char *value);
/* The value of KEY (a new string to free), or NULL. */
char *syno_store_get_meta(syno_store *s, const char *key);

/* Adds candidate R (its hash must be new) and the meta pairs KEYS/VALUES
 * (N of them) in one transaction.  Returns false with the reason in ERR. */
bool syno_store_add(syno_store *s, const syno_record *r, int n, const char *const *keys, const char *const *values,
                    syno_buf *err);
/* Records the file written for candidate HASH. */
bool syno_store_set_file(syno_store *s, uint64_t hash, const char *file);

/* Looks HASH up: true and *R filled (strings valid until the next query)
 * when it was evaluated. */
bool syno_store_find(syno_store *s, uint64_t hash, syno_record *r);

/* The orders of syno_store_each. */
typedef enum syno_store_order {
    SYNO_ORDER_ID,        /* every candidate, in the order evaluated */
    SYNO_ORDER_REWARD,    /* every candidate, best reward first, failed ones last */
    SYNO_ORDER_CONFIRMED, /* the confirmed ones, best confirmed accuracy first, failed confirmations last */
} syno_store_order;

/* Calls FN for the candidates in ORDER, at most LIMIT (0: all).  Returns
 * how many, or -1 when the query failed (FN may have been called for some:
 * a damaged file; syno_store_error says why). */
typedef void (*syno_store_fn)(void *ctx, const syno_record *r);
int syno_store_each(syno_store *s, int limit, syno_store_order order, syno_store_fn fn, void *ctx);
int64_t syno_store_count(syno_store *s, bool ok_only);
/* The last error of S's database, in words (valid until the next call). */
const char *syno_store_error(syno_store *s);

/* Records the confirmation run of candidate HASH (0: the baseline) with
 * SEED: its accuracy, or its failure and REASON (its own transaction; a
 * run of the same pair is replaced).  False with the reason in ERR. */
bool syno_store_add_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool ok, double accuracy, double seconds,
                            const char *reason, syno_buf *err);
/* Looks the confirmation run of HASH (0: the baseline) with SEED up: true
 * with *OK and *ACCURACY when it is recorded. */
bool syno_store_find_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool *ok, double *accuracy);

/* The confirmation runs of HASH (0: the baseline), by seed: at most MAX of
 * them into SEEDS and ACCURACY (NaN for a failed run).  Returns how many
 * were filled. */
int syno_store_confirm_runs(syno_store *s, uint64_t hash, int max, uint64_t *seeds, double *accuracy);

/* Number of confirmation runs recorded. */
int64_t syno_store_count_confirm(syno_store *s);

/* The confirmation runs of HASH (0: the baseline): *N of them, *MEAN their
 * mean accuracy (NaN when there are none or one failed). */
void syno_store_confirmed(syno_store *s, uint64_t hash, int *n, double *mean);

/* Records candidate HASH as handed out for evaluation at WHEN (seconds
 * since the epoch), with TEXT, its operator as a complete .syno module
 * (lang/graph_print.h), and its step PATH (or NULL), in its own
 * transaction; syno_store_add removes it in the transaction that records
 * its result.  False with the reason in ERR. */
bool syno_store_add_pending(syno_store *s, uint64_t hash, const char *text, const char *path, double when, syno_buf *err);

/* Calls FN for every pending candidate whose result is not recorded, in
 * the order they were handed out (TEXT and PATH, which may be NULL, are
 * valid during the call).  Returns how many, -1 when the store cannot be
 * read. */
typedef void (*syno_pending_fn)(void *ctx, uint64_t hash, const char *text, const char *path);
int syno_store_each_pending(syno_store *s, syno_pending_fn fn, void *ctx);

/* Takes the lock of the store at PATH for one search: an exclusive
 * flock(2) on the file PATH-lock (created when missing, never removed),
 * held until syno_store_unlock.  Returns its descriptor, or -1 with the
 * reason in ERR when another process holds it. */
int syno_store_lock(const char *path, syno_buf *err);
void syno_store_unlock(int fd);

#endif
