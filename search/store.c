/* store.c - the SQLite results store (see store.h). */
#include "config.h"

#include "search/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Takes the store's lock (see store.h). */
int syno_store_lock(const char *path, syno_buf *err)
{
    syno_buf name = SYNO_BUF_INIT;
    syno_buf_printf(&name, "%s-lock", path);
    int fd = open(name.data, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        syno_buf_printf(err, "cannot open %s: %s", name.data, strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            syno_buf_printf(err, "%s is in use by another syno search (after a killed MPI job, wait until its ranks "
                                 "have ended)", path);
        else
            syno_buf_printf(err, "cannot lock %s: %s", name.data, strerror(errno));
        close(fd);
        fd = -1;
    }
    syno_buf_fini(&name);
    return fd;
}

/* Releases the store's lock. */
void syno_store_unlock(int fd)
{
    if (fd >= 0) close(fd);
}

#ifdef HAVE_SQLITE
#include <sqlite3.h>

struct syno_store {
    sqlite3 *db;
    sqlite3_stmt *find, *add, *meta_set, *meta_get, *set_file, *conf_add, *conf_find, *pend_add, *pend_del;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS candidates ("
    " id INTEGER PRIMARY KEY, hash TEXT UNIQUE NOT NULL, text TEXT, path TEXT, status TEXT NOT NULL,"
    " reason TEXT, flops REAL, params REAL, latency REAL, accuracy REAL, reward REAL, seconds REAL,"
    " created REAL, iteration INTEGER, file TEXT);"
    "CREATE INDEX IF NOT EXISTS candidates_reward ON candidates(status, reward DESC);"
    "CREATE TABLE IF NOT EXISTS confirmations ("
    " hash TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, accuracy REAL, seconds REAL,"
    " PRIMARY KEY (hash, seed));"
    "CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, hash TEXT UNIQUE NOT NULL, text TEXT NOT NULL,"
    " path TEXT, issued REAL);";

/* The columns of a candidate's row, in read_row's order: the table's, then
 * the number of confirmation runs and their mean accuracy (NULL when one
 * failed). */
#define ROW_COLUMNS                                                                                                   \
    "id, hash, text, path, file, status, reason, flops, params, latency, accuracy, reward, seconds, created, "         \
    "iteration, (SELECT count(*) FROM confirmations c WHERE c.hash = candidates.hash) AS nconf, "                    \
    "(SELECT CASE WHEN count(*) = sum(c.status = 'ok') THEN avg(c.accuracy) END FROM confirmations c "               \
    "WHERE c.hash = candidates.hash) AS conf"



static bool prep(syno_store *s, const char *sql, sqlite3_stmt **st, syno_buf *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK) return true;
    if (err) syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
    return false;
}

/* Prepares the statements of S.  False with the reason in ERR. */
static bool prepare_all(syno_store *s, syno_buf *err)
{
    return prep(s, "SELECT " ROW_COLUMNS " FROM candidates WHERE hash = ?", &s->find, err) &&
           prep(s, "INSERT INTO candidates (hash, text, path, status, reason, flops, params, latency, accuracy, reward, "
                   "seconds, created, iteration, file) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &s->add, err) &&
           prep(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", &s->meta_set, err) &&
           prep(s, "SELECT value FROM meta WHERE key = ?", &s->meta_get, err) &&
           prep(s, "UPDATE candidates SET file = ? WHERE hash = ?", &s->set_file, err) &&
           prep(s, "INSERT OR REPLACE INTO confirmations (hash, seed, status, reason, accuracy, seconds) "
                   "VALUES (?,?,?,?,?,?)", &s->conf_add, err) &&
           prep(s, "SELECT status, accuracy FROM confirmations WHERE hash = ? AND seed = ?", &s->conf_find, err);
}

/* Whether the main database of S has table NAME. */
static bool has_table(syno_store *s, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Opens the store at PATH to read it (see store.h). */
syno_store *syno_store_open_read(const char *path, syno_buf *err)
{
    syno_store *s = syno_xcalloc(1, sizeof *s);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        syno_buf_printf(err, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        syno_store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* the file may come from anywhere: its schema gets no trust (no functions with side effects in its views
     * or triggers) */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    char *msg = NULL;
    if (sqlite3_exec(s->db, "PRAGMA trusted_schema = OFF; SELECT count(*) FROM sqlite_master", NULL, NULL, &msg) !=
        SQLITE_OK) {
        syno_buf_printf(err, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        syno_store_close(s);
        return NULL;
    }
    if (!has_table(s, "meta") || !has_table(s, "candidates")) {
        syno_buf_printf(err, "%s is not a results store of syno search (it has no meta and candidates tables)", path);
        syno_store_close(s);
        return NULL;
    }
    /* a store from before the confirmation stage: an empty table of its own, in the temporary database */
    if (!has_table(s, "confirmations") &&
        sqlite3_exec(s->db, "CREATE TEMP TABLE confirmations (hash TEXT, seed INTEGER, status TEXT, reason TEXT, "
                            "accuracy REAL, seconds REAL)", NULL, NULL, &msg) != SQLITE_OK) {
        syno_buf_printf(err, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        syno_store_close(s);
        return NULL;
    }
    if (!prepare_all(s, err)) {
        syno_buf_printf(err, " (in %s: is it a results store of syno search?)", path);
        syno_store_close(s);
        return NULL;
    }
    return s;
}

/* Whether the open database of S may be used as a store before anything
 * is written to it: one with syno's tables meta and candidates and no
 * trigger, or (when CREATE) one without any table.  Any other file, a
 * foreign database or not a database at all, is refused with the reason
 * in ERR and left as it was. */
static bool is_store(syno_store *s, const char *path, bool create, syno_buf *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK) {
        syno_buf_printf(err, "cannot read %s: %s", path, sqlite3_errmsg(s->db));
        return false;
    }
    int ntables = 0, ours = 0, triggers = 0, rc;
    syno_buf names = SYNO_BUF_INIT;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
        if (!name || !type) continue;
        if (strcmp(type, "trigger") == 0) {
            triggers++;
            continue;
        }
        if (strcmp(name, "meta") == 0 || strcmp(name, "candidates") == 0) ours++;
        if (ntables < 5) syno_buf_printf(&names, "%s%s", ntables ? ", " : "", name);
        ntables++;
    }
    bool ok = rc == SQLITE_DONE;
    if (!ok) syno_buf_printf(err, "cannot read %s: %s", path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (ok && ntables && ours < 2) {
        syno_buf_printf(err, "%s is not a results store of syno search: it is an SQLite database with the table%s %s%s",
                        path, ntables == 1 ? "" : "s", syno_buf_str(&names), ntables > 5 ? ", ..." : "");
        ok = false;
    } else if (ok && triggers) {
        /* syno's stores have none; a trigger would run someone's SQL at every write */
        syno_buf_printf(err, "%s is not a results store of syno search: it has triggers", path);
        ok = false;
    } else if (ok && !ntables && !create) {
        syno_buf_printf(err, "%s holds no search (an empty file or database)", path);
        ok = false;
    }
    syno_buf_fini(&names);
    return ok;
}

/* Opens the store (see store.h). */
syno_store *syno_store_open(const char *path, bool create, syno_buf *err)
{
    syno_store *s = syno_xcalloc(1, sizeof *s);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        syno_buf_printf(err, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        syno_store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (!is_store(s, path, create, err)) {
        syno_store_close(s);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        syno_buf_printf(err, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        syno_store_close(s);
        return NULL;
    }
    /* the writer's own statements (a reader's store may predate the pending table) */
    if (!prepare_all(s, err) ||
        !prep(s, "INSERT OR REPLACE INTO pending (hash, text, path, issued) VALUES (?,?,?,?)", &s->pend_add, err) ||
        !prep(s, "DELETE FROM pending WHERE hash = ?", &s->pend_del, err)) {
        syno_store_close(s);
        return NULL;
    }
    return s;
}

/* Closes S (everything committed stays). */
void syno_store_close(syno_store *s)
{
    if (!s) return;
    sqlite3_finalize(s->find);
    sqlite3_finalize(s->add);
    sqlite3_finalize(s->meta_set);
    sqlite3_finalize(s->meta_get);
    sqlite3_finalize(s->set_file);
    sqlite3_finalize(s->conf_add);
    sqlite3_finalize(s->conf_find);
    sqlite3_finalize(s->pend_add);
    sqlite3_finalize(s->pend_del);
    if (s->db) sqlite3_close(s->db);
    free(s);
}

static bool meta_put(syno_store *s, const char *key, const char *value)
{
    sqlite3_reset(s->meta_set);
    sqlite3_bind_text(s->meta_set, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->meta_set, 2, value, -1, SQLITE_TRANSIENT);
    return sqlite3_step(s->meta_set) == SQLITE_DONE;
}

/* Sets meta KEY to VALUE (its own transaction). */
bool syno_store_set_meta(syno_store *s, const char *key, const char *value)
{
    return meta_put(s, key, value);
}

/* The value of meta KEY, or NULL. */
char *syno_store_get_meta(syno_store *s, const char *key)
{
    sqlite3_reset(s->meta_get);
    sqlite3_bind_text(s->meta_get, 1, key, -1, SQLITE_TRANSIENT);
    char *v = NULL;
    if (sqlite3_step(s->meta_get) == SQLITE_ROW && sqlite3_column_text(s->meta_get, 0))
        v = syno_xstrdup((const char *)sqlite3_column_text(s->meta_get, 0));
    sqlite3_reset(s->meta_get);
    return v;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

/* Adds a candidate and meta pairs in one transaction (see store.h). */
bool syno_store_add(syno_store *s, const syno_record *r, int n, const char *const *keys, const char *const *values,
                    syno_buf *err)
{
    char hex[17];
    syno_hash_hex(r->hash, hex);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
        return false;
    }
    sqlite3_stmt *st = s->add;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->ok ? "ok" : "failed", -1, SQLITE_STATIC);
    if (r->reason) sqlite3_bind_text(st, 5, r->reason, -1, SQLITE_TRANSIENT);
    for (int m = 0; m < SYNO_METRIC_COUNT; m++) bind_real(st, 6 + m, r->v[m]);
    bind_real(st, 10, r->reward);
    bind_real(st, 11, r->seconds);
    bind_real(st, 12, r->when);
    sqlite3_bind_int64(st, 13, r->iteration);
    if (r->file) sqlite3_bind_text(st, 14, r->file, -1, SQLITE_TRANSIENT);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    if (ok) {
        sqlite3_reset(s->pend_del);
        sqlite3_bind_text(s->pend_del, 1, hex, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(s->pend_del) == SQLITE_DONE;
    }
    for (int i = 0; ok && i < n; i++) ok = meta_put(s, keys[i], values[i]);
    if (!ok) {
        syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return false;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return false;
    }
    return true;
}

/* Records FILE for candidate HASH. */
bool syno_store_set_file(syno_store *s, uint64_t hash, const char *file)
{
    char hex[17];
    syno_hash_hex(hash, hex);
    sqlite3_reset(s->set_file);
    sqlite3_bind_text(s->set_file, 1, file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->set_file, 2, hex, -1, SQLITE_TRANSIENT);
    return sqlite3_step(s->set_file) == SQLITE_DONE;
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Fills R from a row of the find/each queries (same column order). */
static void read_row(sqlite3_stmt *st, syno_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    syno_hash_parse(col_text(st, 1), &r->hash);
    r->text = col_text(st, 2);
    r->path = col_text(st, 3);
    r->file = col_text(st, 4);
    const char *status = col_text(st, 5);
    r->ok = status && strcmp(status, "ok") == 0;
    r->reason = col_text(st, 6);
    for (int m = 0; m < SYNO_METRIC_COUNT; m++) r->v[m] = col_real(st, 7 + m);
    r->reward = col_real(st, 11);
    r->seconds = col_real(st, 12);
    r->when = col_real(st, 13);
    r->iteration = sqlite3_column_int64(st, 14);
    r->nconfirmed = sqlite3_column_int(st, 15);
    r->confirmed = col_real(st, 16);
}

/* Looks HASH up (see store.h). */
bool syno_store_find(syno_store *s, uint64_t hash, syno_record *r)
{
    char hex[17];
    syno_hash_hex(hash, hex);
    sqlite3_reset(s->find);
    sqlite3_bind_text(s->find, 1, hex, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s->find) != SQLITE_ROW) return false;
    read_row(s->find, r);
    return true;
}

/* Calls FN for the candidates (see store.h).  Returns how many. */
int syno_store_each(syno_store *s, int limit, syno_store_order order, syno_store_fn fn, void *ctx)
{
    static const char *const tail[] = {
        [SYNO_ORDER_ID] = "ORDER BY id",
        [SYNO_ORDER_REWARD] = "ORDER BY status = 'ok' DESC, reward DESC, id",
        [SYNO_ORDER_CONFIRMED] = "WHERE nconf > 0 ORDER BY conf IS NULL, conf DESC, id",
    };
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT * FROM (SELECT " ROW_COLUMNS " FROM candidates) %s LIMIT %d", tail[order],
             limit > 0 ? limit : -1);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        syno_record r;
        read_row(st, &r);
        fn(ctx, &r);
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

/* The last error of S's database, in words. */
const char *syno_store_error(syno_store *s)
{
    return sqlite3_errmsg(s->db);
}

/* The key of HASH in the confirmations table. */
static void confirm_key(uint64_t hash, char out[17])
{
    if (hash) syno_hash_hex(hash, out);
    else snprintf(out, 17, "baseline");
}

/* Records a confirmation run (see store.h). */
bool syno_store_add_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool ok, double accuracy, double seconds,
                            const char *reason, syno_buf *err)
{
    char key[17];
    confirm_key(hash, key);
    sqlite3_stmt *st = s->conf_add;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seed);
    sqlite3_bind_text(st, 3, ok ? "ok" : "failed", -1, SQLITE_STATIC);
    if (!ok && reason) sqlite3_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
    bind_real(st, 5, ok ? accuracy : NAN);
    bind_real(st, 6, seconds);
    if (sqlite3_step(st) == SQLITE_DONE) return true;
    syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
    return false;
}

/* Looks a confirmation run up (see store.h). */
bool syno_store_find_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool *ok, double *accuracy)
{
    char key[17];
    confirm_key(hash, key);
    sqlite3_stmt *st = s->conf_find;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seed);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        const char *status = col_text(st, 0);
        *ok = status && strcmp(status, "ok") == 0;
        *accuracy = col_real(st, 1);
    }
    sqlite3_reset(st);
    return found;
}

/* The confirmation runs of HASH by seed (see store.h). */
int syno_store_confirm_runs(syno_store *s, uint64_t hash, int max, uint64_t *seeds, double *accuracy)
{
    char key[17];
    confirm_key(hash, key);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT seed, status, accuracy FROM confirmations WHERE hash = ? ORDER BY seed", -1,
                           &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int n = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        const char *status = col_text(st, 1);
        seeds[n] = (uint64_t)sqlite3_column_int64(st, 0);
        accuracy[n++] = status && strcmp(status, "ok") == 0 ? col_real(st, 2) : NAN;
    }
    sqlite3_finalize(st);
    return n;
}

/* Number of confirmation runs (see store.h). */
int64_t syno_store_count_confirm(syno_store *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM confirmations", -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* The confirmation runs of HASH (see store.h). */
void syno_store_confirmed(syno_store *s, uint64_t hash, int *n, double *mean)
{
    char key[17];
    confirm_key(hash, key);
    *n = 0;
    *mean = NAN;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*), CASE WHEN count(*) = sum(status = 'ok') THEN avg(accuracy) END "
                           "FROM confirmations WHERE hash = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *n = sqlite3_column_int(st, 0);
        *mean = col_real(st, 1);
    }
    sqlite3_finalize(st);
}

/* Number of candidates (successful ones only with OK_ONLY). */
int64_t syno_store_count(syno_store *s, bool ok_only)
{
    sqlite3_stmt *st;
    const char *sql = ok_only ? "SELECT count(*) FROM candidates WHERE status = 'ok'" : "SELECT count(*) FROM candidates";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* Records a candidate handed out for evaluation (see store.h). */
bool syno_store_add_pending(syno_store *s, uint64_t hash, const char *text, const char *path, double when, syno_buf *err)
{
    char hex[17];
    syno_hash_hex(hash, hex);
    sqlite3_stmt *st = s->pend_add;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    if (path) sqlite3_bind_text(st, 3, path, -1, SQLITE_TRANSIENT);
    bind_real(st, 4, when);
    if (sqlite3_step(st) == SQLITE_DONE) return true;
    syno_buf_printf(err, "%s", sqlite3_errmsg(s->db));
    return false;
}

/* Calls FN for the pending candidates (see store.h). */
int syno_store_each_pending(syno_store *s, syno_pending_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT hash, text, path FROM pending p "
                           "WHERE NOT EXISTS (SELECT 1 FROM candidates c WHERE c.hash = p.hash) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t hash;
        if (!syno_hash_parse(col_text(st, 0), &hash) || !col_text(st, 1)) continue;
        fn(ctx, hash, col_text(st, 1), col_text(st, 2));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

#else /* !HAVE_SQLITE */

struct syno_store {
    int unused;
};


syno_store *syno_store_open(const char *path, bool create, syno_buf *err)
{
    (void)create;
    syno_buf_printf(err, "cannot open %s: syno was built without SQLite (install libsqlite3-dev and reconfigure)", path);
    return NULL;
}

syno_store *syno_store_open_read(const char *path, syno_buf *err)
{
    return syno_store_open(path, false, err);
}

const char *syno_store_error(syno_store *s)
{
    (void)s;
    return "syno was built without SQLite";
}

void syno_store_close(syno_store *s)
{
    free(s);
}

bool syno_store_set_meta(syno_store *s, const char *key, const char *value)
{
    (void)s, (void)key, (void)value;
    return false;
}

char *syno_store_get_meta(syno_store *s, const char *key)
{
    (void)s, (void)key;
    return NULL;
}

bool syno_store_add(syno_store *s, const syno_record *r, int n, const char *const *keys, const char *const *values,
                    syno_buf *err)
{
    (void)s, (void)r, (void)n, (void)keys, (void)values, (void)err;
    return false;
}

bool syno_store_set_file(syno_store *s, uint64_t hash, const char *file)
{
    (void)s, (void)hash, (void)file;
    return false;
}

bool syno_store_find(syno_store *s, uint64_t hash, syno_record *r)
{
    (void)s, (void)hash, (void)r;
    return false;
}

int syno_store_each(syno_store *s, int limit, syno_store_order order, syno_store_fn fn, void *ctx)
{
    (void)s, (void)limit, (void)order, (void)fn, (void)ctx;
    return -1;
}

int64_t syno_store_count(syno_store *s, bool ok_only)
{
    (void)s, (void)ok_only;
    return -1;
}

bool syno_store_add_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool ok, double accuracy, double seconds,
                            const char *reason, syno_buf *err)
{
    (void)s, (void)hash, (void)seed, (void)ok, (void)accuracy, (void)seconds, (void)reason, (void)err;
    return false;
}

bool syno_store_find_confirm(syno_store *s, uint64_t hash, uint64_t seed, bool *ok, double *accuracy)
{
    (void)s, (void)hash, (void)seed, (void)ok, (void)accuracy;
    return false;
}

int syno_store_confirm_runs(syno_store *s, uint64_t hash, int max, uint64_t *seeds, double *accuracy)
{
    (void)s, (void)hash, (void)max, (void)seeds, (void)accuracy;
    return 0;
}

int64_t syno_store_count_confirm(syno_store *s)
{
    (void)s;
    return -1;
}

void syno_store_confirmed(syno_store *s, uint64_t hash, int *n, double *mean)
{
    (void)s, (void)hash;
    *n = 0;
    *mean = NAN;
}

bool syno_store_add_pending(syno_store *s, uint64_t hash, const char *text, const char *path, double when, syno_buf *err)
{
    (void)s, (void)hash, (void)text, (void)path, (void)when, (void)err;
    return false;
}

int syno_store_each_pending(syno_store *s, syno_pending_fn fn, void *ctx)
{
    (void)s, (void)fn, (void)ctx;
    return -1;
}

#endif
