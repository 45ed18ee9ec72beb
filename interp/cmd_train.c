/* cmd_train.c - `syno train FILE:OP --task fmnist [options]`: the proxy
 * accuracy of an operator: the proxy network (train/net.h) with the
 * operator in every convolution slot, trained on Fashion-MNIST and
 * evaluated on its test split.
 *
 * Settings come from the defaults (train/trainer.h), then from a search
 * block's `train` item when --spec names one (whose layers also give the
 * network its slot sizes), then from the options. */
#include "base/num.h"
#include "codegen/cpu.h"
#include "interp/cli.h"
#include "train/report.h"
#include "train/trainer.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    syno_train_config d;
    syno_train_config_defaults(&d);
    fprintf(f,
            "usage: syno train FILE:OP [--task fmnist] [--epochs N] [--subset N] [--batch N]\n"
            "                  [--lr X] [--momentum X] [--wd X] [--seed N] [--threads N]\n"
            "                  [--test-subset N] [--spec FILE:SEARCH] [--backend NAME]\n"
            "                  [--time-limit S] [--json]\n"
            "Trains the proxy network with the operator in each of its three convolution\n"
            "slots (N, C_in, C_out, H and W bound per slot) and reports the test accuracy,\n"
            "the training loss curve and the time (doc/training.md).\n"
            "  --task fmnist       the proxy task (the only one): Fashion-MNIST from\n"
            "                      /usr/share/datasets/fashion-mnist or $SYNO_FMNIST_DIR\n"
            "  --epochs N          passes over the training subset (default %d)\n"
            "  --subset N          training images, the first N of 60000 (default %d)\n"
            "  --batch N           batch size, the N of every slot (default %d)\n"
            "  --lr X              peak learning rate of the cosine schedule (default %g)\n"
            "  --momentum X        SGD momentum (default %g)\n"
            "  --wd X              weight decay (default %g)\n"
            "  --seed N            seed of the initialisation and the shuffles (default %llu)\n"
            "  --threads N         CPU threads (default: $SYNO_THREADS, else all)\n"
            "  --test-subset N     evaluate on the first N test images (default all 10000)\n"
            "  --spec FILE:SEARCH  take the settings of that search block's `train` item\n"
            "                      and the network its layers describe (options given\n"
            "                      here still win)\n"
            "  --backend NAME      where the slots run: auto (default)",
            d.epochs, d.subset, d.batch, d.lr, d.momentum, d.weight_decay, (unsigned long long)d.seed);
    for (int i = 0; i < syno_slot_nbackends; i++) fprintf(f, ", %s", syno_slot_backends[i].name);
    fprintf(f, "\n  --time-limit S      stop (status timeout) after S seconds of processor time,\n"
               "                      or at once when the pace so far would need 1.5 S\n"
               "  --json              print the result as one JSON object\n"
               "Exit status: 0 when training finished, 1 when the operator does not fit\n"
               "the network, the data set is missing or the training diverged.\n");
}

typedef struct train_args {
    const char *ref, *task, *spec, *backend;
    syno_train_config cfg;
    int threads;
    bool json;
    bool set[16];
    bool have_shape;
    syno_net_shape shape; /* the spec's network (when have_shape) */
} train_args;

enum { O_TASK = 256, O_EPOCHS, O_SUBSET, O_BATCH, O_LR, O_MOMENTUM, O_WD, O_SEED, O_THREADS, O_TEST, O_SPEC,
       O_BACKEND, O_LIMIT, O_JSON, O_HELP };

static int parse_args(int argc, char **argv, train_args *a)
{
    static const struct option opts[] = {
        {"task", required_argument, NULL, O_TASK},         {"epochs", required_argument, NULL, O_EPOCHS},
        {"subset", required_argument, NULL, O_SUBSET},     {"batch", required_argument, NULL, O_BATCH},
        {"lr", required_argument, NULL, O_LR},             {"momentum", required_argument, NULL, O_MOMENTUM},
        {"wd", required_argument, NULL, O_WD},             {"seed", required_argument, NULL, O_SEED},
        {"threads", required_argument, NULL, O_THREADS},   {"test-subset", required_argument, NULL, O_TEST},
        {"spec", required_argument, NULL, O_SPEC},         {"backend", required_argument, NULL, O_BACKEND},
        {"time-limit", required_argument, NULL, O_LIMIT},  {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    syno_train_config_defaults(&a->cfg);
    a->task = "fmnist";
    a->backend = "auto";
    optind = 1;
    opterr = 0;
    int c, longi;
    while ((c = getopt_long(argc, argv, "h", opts, &longi)) != -1) {
        long long iv = 0;
        double dv = 0;
        bool good = true;
        const char *range = "";
        switch (c) {
        case O_TASK: a->task = optarg; break;
        case O_SPEC: a->spec = optarg; break;
        case O_BACKEND: a->backend = optarg; break;
        case O_JSON: a->json = true; break;
        case O_EPOCHS: good = syno_num_parse_int(optarg, 1, 1000, &iv), a->cfg.epochs = (int)iv, range = "1..1000"; break;
        case O_SUBSET: good = syno_num_parse_int(optarg, 1, 60000, &iv), a->cfg.subset = (int)iv, range = "1..60000"; break;
        case O_BATCH: good = syno_num_parse_int(optarg, 1, 4096, &iv), a->cfg.batch = (int)iv, range = "1..4096"; break;
        case O_TEST: good = syno_num_parse_int(optarg, 1, 10000, &iv), a->cfg.test_subset = (int)iv, range = "1..10000"; break;
        case O_THREADS: good = syno_num_parse_int(optarg, 1, 256, &iv), a->threads = (int)iv, range = "1..256"; break;
        case O_SEED:
            good = optarg[0] != '-' && syno_num_parse_int(optarg, 0, INT64_MAX, &iv), a->cfg.seed = (uint64_t)iv;
            range = "a non-negative integer";
            break;
        case O_LR: good = syno_num_parse_real(optarg, 1e-9, 100, &dv) && dv > 0, a->cfg.lr = dv, range = "in (0, 100]"; break;
        case O_MOMENTUM: good = syno_num_parse_real(optarg, 0, 0.999999, &dv), a->cfg.momentum = dv, range = "in [0, 1)"; break;
        case O_WD: good = syno_num_parse_real(optarg, 0, 1, &dv), a->cfg.weight_decay = dv, range = "in [0, 1]"; break;
        case O_LIMIT:
            good = syno_num_parse_real(optarg, 1e-3, 1e7, &dv), a->cfg.time_limit = dv, range = "a number of seconds > 0";
            break;
        case 'h':
        case O_HELP: usage(stdout); return -1;
        default:
            if (optopt >= O_TASK) return syno_cli_usage_error("train", "%s needs a value", argv[optind - 1]);
            return syno_cli_usage_error("train", "unknown option '%s'", argv[optind - 1]);
        }
        if (!good) return syno_cli_usage_error("train", "--%s must be %s, not '%s'", opts[longi].name, range, optarg);
        if (c - O_TASK < (int)SYNO_ARRAY_LEN(a->set)) a->set[c - O_TASK] = true;
    }
    if (optind != argc - 1)
        return syno_cli_usage_error("train", optind == argc ? "no operator given" : "one operator at a time");
    a->ref = argv[optind];
    if (strcmp(a->task, "fmnist") != 0)
        return syno_cli_usage_error("train", "unknown task '%s' (the only task is fmnist)", a->task);
    syno_buf why = SYNO_BUF_INIT;
    if (!syno_slot_backend_check(a->backend, &why)) {
        int st = syno_cli_usage_error("train", "%s", syno_buf_str(&why));
        syno_buf_fini(&why);
        return st;
    }
    return SYNO_EXIT_OK;
}

/* Applies the `train` item of search block SPEC ("FILE:NAME" or a file
 * with one search block) to the settings not given as options. */
static bool apply_spec(syno_ctx *ctx, train_args *a)
{
    char *file = syno_xstrdup(a->spec);
    char *colon = strrchr(file, ':');
    const char *name = NULL;
    if (colon && colon != file && colon[1]) *colon = 0, name = colon + 1;
    syno_module *m = syno_ctx_load_file(ctx, file);
    syno_spec *sp = NULL;
    if (m && name) {
        sp = syno_module_find_spec(m, name);
        if (!sp) syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s has no search block '%s'", file, name);
    } else if (m) {
        if (m->nspecs == 1) sp = m->specs[0];
        else syno_diag_error(&ctx->diags, syno_range_make(0, 0), "%s has %d search blocks; name one as %s:SEARCH",
                             file, m->nspecs, file);
    }
    free(file);
    if (!sp || (m && m->errors)) return false;
    if (sp->nlayers) { /* the network the search trains its candidates in */
        const char *names[SYNO_SPEC_MAX_LAYERS];
        for (int l = 0; l < sp->nlayers; l++) names[l] = sp->layer_binding[l].name;
        syno_buf err = SYNO_BUF_INIT;
        bool good = syno_net_shape_from_layers(&a->shape, sp->vars, sp->layer_binding, names, sp->nlayers,
                                               sp->train_batch, 28, &err);
        if (!good) syno_cli_error("%s: search '%s': %s", a->spec, sp->name, syno_buf_str(&err));
        syno_buf_fini(&err);
        if (!good) return false;
        a->have_shape = true;
    }
    if (!a->set[O_SUBSET - O_TASK]) a->cfg.subset = sp->train_subset;
    if (!a->set[O_EPOCHS - O_TASK]) a->cfg.epochs = sp->train_epochs;
    if (!a->set[O_BATCH - O_TASK]) a->cfg.batch = sp->train_batch;
    if (!a->set[O_LR - O_TASK]) a->cfg.lr = sp->train_lr;
    if (!a->set[O_MOMENTUM - O_TASK]) a->cfg.momentum = sp->train_momentum;
    if (!a->set[O_TEST - O_TASK]) a->cfg.test_subset = sp->train_test;
    return true;
}

/* Progress on stderr, when it is a terminal. */
static void progress(void *ctx, int epoch, int64_t step, int64_t steps, double loss, double acc)
{
    (void)ctx;
    fprintf(stderr, "\r\033[Kepoch %d  step %lld/%lld  loss %.4f  acc %.4f", epoch + 1, (long long)step,
            (long long)steps, loss, acc);
    if (step == steps) fputc('\n', stderr);
    fflush(stderr);
}

/* Entry point of `syno train`. */
int syno_cmd_train(int argc, char **argv)
{
    train_args a;
    int st = parse_args(argc, argv, &a);
    if (st) return st < 0 ? SYNO_EXIT_OK : st;
    syno_ctx *ctx = syno_ctx_new();
    if (a.spec && !apply_spec(ctx, &a)) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    syno_op *op = syno_cli_find_op(ctx, a.ref);
    if (!op) return syno_cli_finish(ctx, SYNO_EXIT_USER);
    /* the slots first: a misfit operator is reported before the data set is read */
    syno_net_shape shape;
    syno_net_shape_fmnist(&shape, a.cfg.batch);
    if (a.have_shape) {
        shape = a.shape;
        shape.batch = a.cfg.batch;
        a.cfg.shape = &a.shape;
    }
    syno_buf err = SYNO_BUF_INIT;
    for (int i = 0; i < SYNO_NET_SLOTS; i++) {
        syno_binding b;
        if (!syno_net_slot_binding(&shape, i, op, &b, &err)) {
            syno_cli_error("%s", syno_buf_str(&err));
            syno_buf_fini(&err);
            return syno_cli_finish(ctx, SYNO_EXIT_USER);
        }
    }
    if (strcmp(a.backend, "auto") != 0) {
        const syno_slot_backend *be = syno_slot_backend_find(a.backend);
        if (!be->available(&err)) {
            syno_cli_error("backend %s is not available here: %s", be->name, syno_buf_str(&err));
            syno_buf_fini(&err);
            return syno_cli_finish(ctx, SYNO_EXIT_USER);
        }
    }
    a.cfg.backend = a.backend;
    if (a.threads) syno_cpu_set_threads(a.threads);
    syno_dataset *train = syno_fmnist_load(true, a.cfg.subset, &err);
    syno_dataset *test = train ? syno_fmnist_load(false, a.cfg.test_subset, &err) : NULL;
    if (!test) {
        syno_cli_error("%s", syno_buf_str(&err));
        syno_buf_fini(&err);
        syno_dataset_free(train);
        return syno_cli_finish(ctx, SYNO_EXIT_USER);
    }
    if (!a.json && isatty(STDERR_FILENO)) a.cfg.progress = progress;
    syno_train_result *r = syno_train_run(op, &a.cfg, train, test);
    syno_buf out = SYNO_BUF_INIT;
    if (a.json) {
        syno_json j;
        syno_json_init(&j, &out);
        syno_json_begin_object(&j);
        syno_json_key(&j, "operator");
        syno_json_string(&j, op->name);
        syno_json_key(&j, "task");
        syno_json_string(&j, a.task);
        syno_json_key(&j, "threads");
        syno_json_int(&j, syno_cpu_threads());
        syno_train_result_json(r, &a.cfg, &j);
        syno_json_end_object(&j);
        syno_buf_putc(&out, '\n');
    } else {
        syno_buf_printf(&out, "%s on %s: proxy network with %s in 3 slots (", op->name, a.task, op->name);
        for (int i = 0; i < SYNO_NET_SLOTS; i++) {
            int cin, cout, h, w;
            syno_net_slot_dims(&shape, i, &cin, &cout, &h, &w);
            syno_buf_printf(&out, "%s%d->%d channels at %dx%d", i ? ", " : "", cin, cout, h, w);
        }
        syno_buf_printf(&out, "), backend %s, %d threads, %lld slot parameters\n", r->backend, syno_cpu_threads(),
                        (long long)r->params);
        syno_buf_printf(&out, "settings: %d images x %d epochs, batch %d, lr %g, momentum %g, weight decay %g, "
                              "seed %llu\n",
                        a.cfg.subset, a.cfg.epochs, a.cfg.batch, a.cfg.lr, a.cfg.momentum, a.cfg.weight_decay,
                        (unsigned long long)a.cfg.seed);
        syno_train_result_text(r, &a.cfg, &out);
    }
    fputs(syno_buf_str(&out), stdout);
    fflush(stdout);
    if (r->status != SYNO_TRAIN_OK) {
        syno_cli_error("training %s: %s", syno_train_status_name(r->status), r->message);
        st = SYNO_EXIT_USER;
    }
    syno_buf_fini(&out);
    syno_buf_fini(&err);
    syno_train_result_free(r);
    syno_dataset_free(train);
    syno_dataset_free(test);
    return syno_cli_finish(ctx, st);
}
