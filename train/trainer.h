/* trainer.h - proxy training: an operator substituted into every slot of
 * the proxy network (net.h), trained on Fashion-MNIST with SGD, momentum
 * and a cosine schedule, then evaluated on the test split.
 *
 * Training uses the first `subset` training images, reshuffled every
 * epoch; batches are whole (a remainder smaller than a batch is left out
 * of that epoch).  Everything random comes from the seed: the parameters
 * from one stream, the shuffles from another.  On one thread a run is
 * bit-for-bit reproducible; the network's own layers give the same bits on
 * any number of threads.
 *
 * A run ends early, with a status saying why, when the loss is not finite
 * or above `max_loss` (divergence), when the training accuracy misses a
 * milestone (hopeless: Syno's prune milestones), or when it has used more
 * processor time than its limit (processor time, not wall time, so that a
 * busy machine does not fail a candidate).  Such runs still report what
 * they measured. */
#ifndef SYNO_TRAINER_H
#define SYNO_TRAINER_H

#include "train/fmnist.h"
#include "train/net.h"

#define SYNO_TRAIN_MAX_MILESTONES 8

/* Why a run ended. */
#define SYNO_TRAIN_STATUSES(X)                                               \
    X(OK, "ok", "trained to the end")                                     \
    X(DIVERGED, "diverged", "the loss became NaN, infinite or too large")  \
    X(PRUNED, "pruned", "the training accuracy missed a milestone")        \
    X(TIMEOUT, "timeout", "the run exceeded its time limit")               \
    X(ERROR, "error", "the operator could not run in the network")

typedef enum syno_train_status {
#define X(e, name, doc) SYNO_TRAIN_##e,
    SYNO_TRAIN_STATUSES(X)
#undef X
} syno_train_status;

/* The name of a status ("diverged"). */
const char *syno_train_status_name(syno_train_status s);

typedef struct syno_train_milestone {
    double at;       /* fraction of the training steps done, in (0, 1] */
    double min_acc;  /* training accuracy over the preceding log interval, at least */
} syno_train_milestone;

typedef struct syno_train_config {
    int subset;             /* training images (first ones of the split) */
    int test_subset;        /* test images evaluated, 0 = all */
    int epochs;
    int batch;              /* N of every slot */
    double lr, momentum, weight_decay;
    int warmup;             /* warm-up steps (0: none) */
    uint64_t seed;
    int log_points;         /* loss-curve points per epoch */
    double max_loss;        /* a log interval's mean loss above this: diverged */
    int nmilestones;
    syno_train_milestone milestones[SYNO_TRAIN_MAX_MILESTONES];
    double time_limit;      /* processor seconds (all threads, setup included), 0 = none; a run whose
                             * pace would need 1.5 times as much stops at the first log interval that
                             * shows it */
    const char *backend;    /* slot backend name, NULL or "auto": syno_slot_backend_auto */
    const syno_net_shape *shape; /* the network (batch ignored: `batch` wins); NULL: the fmnist one */
    /* Called after every log interval (may be NULL). */
    void (*progress)(void *ctx, int epoch, int64_t step, int64_t steps, double loss, double acc);
    void *progress_ctx;
} syno_train_config;

/* The defaults of `syno train --task fmnist` (doc/training.md). */
void syno_train_config_defaults(syno_train_config *c);

typedef struct syno_train_point {
    int64_t step;           /* steps done at the end of the interval */
    double loss;            /* mean training loss over the interval */
    double acc;             /* training accuracy over the interval */
} syno_train_point;

typedef struct syno_train_result {
    syno_train_status status;
    char message[512];      /* why, when status != OK */
    const char *backend;
    double test_acc;        /* NaN when not evaluated */
    double train_loss, train_acc;  /* last epoch (or the part done) */
    int64_t steps, steps_planned;
    int epochs_done;
    int npoints;
    syno_train_point *curve;       /* the loss curve */
    double *epoch_seconds;         /* [epochs_done] training time of each epoch */
    double seconds_init, seconds_train, seconds_test;
    double cpu_seconds_train;      /* processor time of the process while training (all threads) */
    double profile[SYNO_NET_NPARTS]; /* training seconds by part of the network (net.h) */
    double profile_cpu[SYNO_NET_NPARTS]; /* the same in processor seconds, all threads */
    int64_t params;                /* slot parameters (all three slots) */
    int64_t images_per_epoch;
} syno_train_result;

/* Trains OP (finished, error-free) in the proxy network on TRAIN and
 * evaluates it on TEST (borrowed).  Always returns a result (free with
 * syno_train_result_free); its status says how the run ended, and for
 * SYNO_TRAIN_ERROR its message says why the operator does not fit a slot. */
syno_train_result *syno_train_run(const syno_op *op, const syno_train_config *cfg, const syno_dataset *train,
                                  const syno_dataset *test);

void syno_train_result_free(syno_train_result *r);

#endif
