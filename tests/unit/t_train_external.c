/* t_train_external.c - the external evaluator (train/external.c): command
 * templates, the result line (a number or a JSON object), the files and
 * placeholders a command sees, failures (exit status, signal, garbage,
 * time limit) recorded with their reasons, the scratch directory removed. */
#include "lang/module.h"
#include "tests/tap.h"
#include "train/external.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_check(void)
{
    const char *good[] = {"python3 train.py --op {pytorch} --layers {layers}", "echo {hash} {syno} {dir}",
                          "awk 'BEGIN {{ print 0.5 }}'"};
    for (size_t i = 0; i < SYNO_ARRAY_LEN(good); i++) {
        syno_buf err = SYNO_BUF_INIT;
        ok(syno_external_check(good[i], &err), "template accepted: %s", good[i]);
        syno_buf_fini(&err);
    }
    struct {
        const char *t, *why;
    } bad[] = {
        {"python3 train.py --op {torch}", "unknown placeholder '{torch}'"},
        {"echo {pytorch", "unknown placeholder '{pytorch'"},
        {"echo }", "a lone '}'"},
        {"", "empty"},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(bad); i++) {
        syno_buf err = SYNO_BUF_INIT;
        bool r = syno_external_check(bad[i].t, &err);
        if (!ok(!r && strstr(syno_buf_str(&err), bad[i].why), "template refused: '%s': %s", bad[i].t, bad[i].why))
            printf("#   got: %s\n", syno_buf_str(&err));
        syno_buf_fini(&err);
    }
}

static void test_parse(void)
{
    syno_external_result r;
    ok(syno_external_parse("0.75", &r) && r.accuracy == 0.75, "a number is the accuracy");
    ok(syno_external_parse("  1 ", &r) && r.accuracy == 1, "blanks around it are fine");
    ok(!syno_external_parse("87.5", &r) && strstr(r.reason, "neither an accuracy in [0, 1]"), "87.5 is refused");
    ok(!syno_external_parse("accuracy: 0.5", &r), "free text is refused");
    ok(syno_external_parse("{\"accuracy\": 0.8125, \"loss\": 0.31, \"note\": \"a, b}\", \"hist\": [1, {\"x\": 2}], "
                           "\"ok\": true}",
                           &r) &&
           r.accuracy == 0.8125 && r.nextra == 1 && strcmp(r.extra_name[0], "loss") == 0 && r.extra[0] == 0.31,
       "a JSON object: accuracy and the other numbers kept");
    ok(!syno_external_parse("{\"loss\": 0.3}", &r) && strstr(r.reason, "no \"accuracy\""), "JSON without accuracy");
    ok(!syno_external_parse("{\"accuracy\": 0.8", &r) && strstr(r.reason, "not a well-formed JSON object"),
       "unterminated JSON");
    ok(!syno_external_parse("{\"accuracy\": 2}", &r), "JSON accuracy outside [0, 1]");
}

static const char *ops =
    "size N, C_in, C_out, H, W;\n"
    "coef k = 3;\n"
    "op conv(x[n: N, c: C_in, h: H, w: W]) -> [n, o, y, z] {\n"
    "    weight f[fo: C_out, fc: C_in, fh: k, fw: k];\n"
    "    y, dy = unfold(h, k);\n"
    "    z, dz = unfold(w, k);\n"
    "    sum(share(c, fc));\n"
    "    sum(share(dy, fh));\n"
    "    sum(share(dz, fw));\n"
    "    o = share(expand(C_out), fo);\n"
    "}\n";

static void test_run(void)
{
    syno_ctx *ctx = syno_ctx_new();
    syno_module *m = syno_ctx_load_string(ctx, "t.syno", ops, strlen(ops));
    const syno_op *op = m ? syno_module_find_op(m, "conv") : NULL;
    if (!op || op->errors) {
        printf("Bail out! test operator does not check\n");
        exit(1);
    }
    syno_binding b[2];
    const char *names[2] = {"l1", "l2"};
    for (int l = 0; l < 2; l++) {
        syno_binding_defaults(op->vars, &b[l]);
        const char *vn[] = {"N", "C_in", "C_out", "H", "W"};
        int64_t vv[2][5] = {{8, 4, 6, 10, 10}, {8, 6, 12, 5, 5}};
        for (int i = 0; i < 5; i++) b[l].val[syno_vars_find(op->vars, vn[i])] = vv[l][i];
    }
    char tmpl[64] = "/tmp/t_train_external-XXXXXX";
    const char *td = mkdtemp(tmpl);
    syno_external_result r;
    ok(syno_external_run("echo 0.625", op, b, names, 2, 0xab, 1, 10, false, &r) && r.accuracy == 0.625 &&
           r.exit_status == 0 && !r.timed_out,
       "echo 0.625: accuracy 0.625");
    ok(syno_external_run("printf 'epoch 1\\n0.5\\n\\n  \\n'", op, b, names, 2, 0xab, 1, 10, false, &r) &&
           r.accuracy == 0.5,
       "the last non-empty line counts");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "test -f {pytorch} && grep -q 'class conv(nn.Module)' {pytorch} && grep -q 'bind l2 { N = 8, C_in = 6, "
             "C_out = 12, H = 5, W = 5 }' {syno} && echo {layers} | grep -q '\"name\": \"l1\", \"N\": 8, \"C_in\": 4' && "
             "test {hash} = 00000000000000ab && test {seed} = 3 && echo {dir} >%s/dir && echo '{{\"accuracy\": 0.5, \"loss\": 1.25}}'",
             td);
    bool good = syno_external_run(cmd, op, b, names, 2, 0xab, 3, 10, false, &r);
    if (!ok(good && r.accuracy == 0.5 && r.nextra == 1 && r.extra[0] == 1.25,
            "placeholders: the module, the .syno file with a bind block per layer, the layers' JSON, the hash, the seed"))
        printf("#   %s\n", r.reason);
    char path[300], dir[300] = "";
    snprintf(path, sizeof path, "%s/dir", td);
    FILE *f = fopen(path, "r");
    if (f && fgets(dir, sizeof dir, f)) dir[strcspn(dir, "\n")] = 0;
    if (f) fclose(f);
    struct stat st;
    ok(dir[0] && stat(dir, &st) != 0, "the scratch directory %s is gone afterwards", dir);
    ok(!syno_external_run("echo out of memory >&2; exit 3", op, b, names, 2, 1, 1, 10, false, &r) &&
           r.exit_status == 3 && strstr(r.reason, "exited with status 3; its last error line: out of memory"),
       "a failing command: %s", r.reason);
    ok(!syno_external_run("kill -9 $$", op, b, names, 2, 1, 1, 10, false, &r) && r.exit_status == -9 &&
           strstr(r.reason, "killed by signal 9"),
       "a killed command: %s", r.reason);
    ok(!syno_external_run("echo done", op, b, names, 2, 1, 1, 10, false, &r) && strstr(r.reason, "'done'"),
       "a last line that is no result: %s", r.reason);
    ok(!syno_external_run("true", op, b, names, 2, 1, 1, 10, false, &r) && strstr(r.reason, "neither"),
       "no output at all: %s", r.reason);
    good = !syno_external_run("sleep 30; echo 0.9", op, b, names, 2, 1, 1, 0.3, false, &r);
    ok(good && r.timed_out && r.seconds >= 0.3 && r.seconds < 5 && strstr(r.reason, "time limit of 0.3 s"),
       "a command past its time limit is killed (after %.2f s)", r.seconds);
    good = syno_external_run("sleep 30 & echo 0.25", op, b, names, 2, 1, 1, 5, false, &r);
    ok(good && r.accuracy == 0.25 && r.seconds < 3,
       "a background process holding the output open does not stall it (%.2f s)", r.seconds);
    ok(!syno_external_run("exit 1", op, b, names, 2, 1, 1, 10, true, &r) && strstr(r.reason, "(files kept in "),
       "a failed run can keep its files: %s", r.reason);
    char *kept = strstr(r.reason, "(files kept in ");
    if (kept) {
        char rm[700];
        snprintf(rm, sizeof rm, "rm -rf '%.*s'", (int)strcspn(kept + 15, ")"), kept + 15);
        if (system(rm) != 0) printf("# could not remove the kept directory\n");
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", td);
    if (system(cmd) != 0) printf("# could not remove %s\n", td);
    syno_ctx_free(ctx);
}

int main(void)
{
    test_check();
    test_parse();
    test_run();
    return tap_done();
}
