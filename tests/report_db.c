/* report_db.c - results stores for tests/report.sh that a search does not
 * make: `report_db SCENARIO OUT.db [N]` writes one through the store's own
 * interface (search/store.h, search/run_info.h), or through SQLite for
 * the malformed ones:
 *   hostile   markup, quotes, control characters and bad UTF-8 in every
 *             string the page shows; NaN, infinite and absurd numbers
 *   many      N candidates (default 3000), every third failed
 *   one       one successful candidate, FLOPs only
 *   noacc     five candidates with FLOPs, params and latency, no accuracy
 *   empty     a search that has evaluated nothing yet
 *   old       a store from before run records and confirmations
 *   running   a search that is running: this process records itself as
 *             its runner, says "ready" and waits to be killed
 *   notstore  an SQLite file with other tables */
#include "config.h"

#include "search/run_info.h"
#include "search/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SQLITE
#include <sqlite3.h>
#endif

static const char op_text[] = "size C_in, C_out, H, N, W;\n\n"
                              "op canonical(x[a: N, b: C_in, c: H, d: W]) -> [a, e, c, f] {\n"
                              "    weight w1[w1a: C_out, w1b: C_in];\n"
                              "    e = share(expand(C_out), w1a);\n"
                              "    f = shift(d, 1);\n"
                              "    sum(share(b, w1b));\n"
                              "}\n";
static const char op_path[] = "reduce(C_in); shift(out3:W); contract(expand out1:C_out, sum:C_in)";

static const char spec_text[] = "size N, C_in, C_out, H, W;\ncoef k = 3;\n"
                                "bind l1 { N = 2, C_in = 4, C_out = 8, H = 8, W = 8 }\n"
                                "search s {\n    input [N, C_in, H, W];\n    output [N, C_out, H, W];\n"
                                "    layers l1;\n    baseline conv2d;\n}\n";

static void meta(syno_store *s, const char *spec_name)
{
    syno_store_set_meta(s, "spec_name", spec_name);
    syno_store_set_meta(s, "spec_file", "tests/report.syno");
    syno_store_set_meta(s, "spec_text", spec_text);
    syno_store_set_meta(s, "algorithm", "random");
    syno_store_set_meta(s, "seed", "7");
    syno_store_set_meta(s, "iterations", "12");
    syno_store_set_meta(s, "reference", "flops=1000;params=100;latency=0.001;accuracy=0.5");
    syno_store_set_meta(s, "reference_of", "conv2d");
}

static void add(syno_store *s, uint64_t hash, bool ok, const char *reason, double flops, double params, double latency,
                double accuracy, double reward, int64_t iteration, const char *text, const char *path, const char *file)
{
    syno_record r;
    memset(&r, 0, sizeof r);
    r.hash = hash;
    r.ok = ok;
    r.reason = reason;
    r.v[SYNO_METRIC_FLOPS] = flops;
    r.v[SYNO_METRIC_PARAMS] = params;
    r.v[SYNO_METRIC_LATENCY] = latency;
    r.v[SYNO_METRIC_ACCURACY] = accuracy;
    r.reward = reward;
    r.seconds = 0.25;
    r.when = 1.8e9 + (double)iteration;
    r.iteration = iteration;
    r.text = text;
    r.path = path;
    r.file = file;
    syno_buf err = SYNO_BUF_INIT;
    if (!syno_store_add(s, &r, 0, NULL, NULL, &err)) {
        fprintf(stderr, "report_db: %s\n", syno_buf_str(&err));
        exit(1);
    }
    syno_buf_fini(&err);
}

static void hostile(syno_store *s)
{
    static const char evil[] = "<script>alert(1)</script>\"'&amp;<b>x</b>\x01\x1b[31m\xff\xfe\xc3(";
    syno_store_set_meta(s, "spec_name", evil);
    syno_store_set_meta(s, "spec_file", evil);
    syno_store_set_meta(s, "spec_text", evil);
    syno_store_set_meta(s, "algorithm", evil);
    syno_store_set_meta(s, "seed", evil);
    syno_store_set_meta(s, "iterations", "-5");
    syno_store_set_meta(s, "version", evil);
    syno_store_set_meta(s, "reference", "flops=nan;params=-0;latency=inf;accuracy=1e308");
    syno_store_set_meta(s, "reference_of", evil);
    syno_store_set_meta(s, "run_state", "searching");
    syno_store_set_meta(s, "run_host", evil);
    syno_store_set_meta(s, "run_process", evil);
    syno_store_set_meta(s, "machine", evil);
    syno_store_set_meta(s, "evaluating", "99999999999999999999");
    syno_store_set_meta(s, "started", "-1e308");
    syno_store_set_meta(s, "wall_seconds", "1e300");
    syno_store_set_meta(s, "cpu_seconds", "nan");
    add(s, 1, true, NULL, 1e308, -1, INFINITY, 2.5, 1e300, INT64_MAX, evil, evil, "javascript:alert(1)");
    add(s, 2, true, NULL, -1e308, 0, NAN, -3, -1e300, INT64_MIN, op_text, "a(b; c(d); e</li><script>x</script>",
        "\"><script>alert(2)</script>");
    add(s, 3, false, evil, NAN, NAN, NAN, NAN, NAN, 3, NULL, NULL, NULL);
    add(s, 4, true, NULL, 1e-300, 1e-300, 1e-300, 1e-300, 1e-300, 4, "op canonical(", "", "/etc/passwd");
    syno_buf err = SYNO_BUF_INIT;
    syno_store_add_confirm(s, 1, 2, true, 1e308, 1, NULL, &err);
    syno_store_add_confirm(s, 1, 3, false, NAN, 1, evil, &err);
    syno_store_add_confirm(s, 0, 2, true, -7, 1, NULL, &err);
    syno_store_add_confirm(s, 2, 99, true, 0.5, 1, NULL, &err);
    syno_buf_fini(&err);
}

#ifdef HAVE_SQLITE
static void sql(const char *db, const char *text)
{
    sqlite3 *h;
    char *msg = NULL;
    if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, text, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "report_db: %s: %s\n", db, msg ? msg : sqlite3_errmsg(h));
        exit(1);
    }
    sqlite3_close(h);
}
#endif

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: report_db SCENARIO OUT.db [N]\n");
        return 2;
    }
    const char *what = argv[1], *db = argv[2];
#ifdef HAVE_SQLITE
    if (strcmp(what, "notstore") == 0) {
        sql(db, "CREATE TABLE notes (id INTEGER, body TEXT); INSERT INTO notes VALUES (1, 'hello');");
        return 0;
    }
#endif
    syno_buf err = SYNO_BUF_INIT;
    syno_store *s = syno_store_open(db, true, &err);
    if (!s) {
        fprintf(stderr, "report_db: %s\n", syno_buf_str(&err));
        return 1;
    }
    syno_buf_fini(&err);
    if (strcmp(what, "hostile") == 0) {
        hostile(s);
    } else if (strcmp(what, "many") == 0) {
        meta(s, "many");
        int n = argc > 3 ? atoi(argv[3]) : 3000;
        for (int i = 0; i < n; i++) {
            double f = 200 + (i * 7919) % 800, a = 0.4 + 0.5 * ((i * 104729) % 1000) / 1000.0;
            add(s, 0x1000 + (uint64_t)i, i % 3 != 2, i % 3 == 2 ? "out of time" : NULL, f, f / 10, NAN, a, a / 0.5,
                i + 1, op_text, op_path, NULL);
        }
    } else if (strcmp(what, "one") == 0) {
        meta(s, "one");
        syno_store_set_meta(s, "reference", "flops=1000;params=100;latency=nan;accuracy=nan");
        add(s, 0xabc, true, NULL, 300, 30, NAN, NAN, 0.7, 1, op_text, op_path, NULL);
    } else if (strcmp(what, "noacc") == 0) {
        meta(s, "noacc");
        for (int i = 0; i < 5; i++)
            add(s, 0x100 + (uint64_t)i, true, NULL, 100.0 * (i + 1), 10.0 * (i + 1), 0.0002 * (5 - i), NAN, 1.0 / (i + 1),
                i + 1, op_text, op_path, NULL);
    } else if (strcmp(what, "empty") == 0) {
        meta(s, "empty");
    } else if (strcmp(what, "old") == 0) {
        meta(s, "old");
        add(s, 0x200, true, NULL, 300, 30, NAN, 0.6, 1, 1, op_text, op_path, NULL);
        add(s, 0x201, false, "the evaluator command exited with status 3", NAN, NAN, NAN, NAN, NAN, 2, op_text, op_path,
            NULL);
        syno_store_close(s);
#ifdef HAVE_SQLITE
        sql(db, "DROP TABLE confirmations; PRAGMA journal_mode = DELETE;");
#endif
        return 0;
    } else if (strcmp(what, "running") == 0) {
        meta(s, "running");
        add(s, 0x300, true, NULL, 300, 30, NAN, 0.6, 1.2, 1, op_text, op_path, NULL);
        add(s, 0x301, true, NULL, 500, 50, NAN, 0.55, 1.1, 2, op_text, op_path, NULL);
        syno_run_clock clk;
        syno_run_info_start(s, &clk);
        syno_run_info_progress(s, &clk, SYNO_RUN_SEARCHING, 3);
        printf("ready\n");
        fflush(stdout);
        for (;;) pause(); /* until killed: the search "runs" as long as this process does */
    } else {
        fprintf(stderr, "report_db: unknown scenario '%s'\n", what);
        syno_store_close(s);
        return 2;
    }
    syno_store_close(s);
    return 0;
}
