/* report.c - training results as text and JSON (see report.h). */
#include "train/report.h"

#include <math.h>
#include <stdio.h>

/* The name of profile part P ("slot2_backward_weights"). */
static const char *part_name(int p, char *buf, size_t n)
{
    static const char *const fixed[] = {"stem", "bn_relu", "pool_head_loss"};
    static const char *const slot[] = {"forward", "backward_input", "backward_weights"};
    if (p < SYNO_NET_SLOT_FWD) snprintf(buf, n, "%s", fixed[p]);
    else snprintf(buf, n, "slot%d_%s", (p - SYNO_NET_SLOT_FWD) / 3 + 1, slot[(p - SYNO_NET_SLOT_FWD) % 3]);
    return buf;
}

/* Mean training seconds per epoch (of the whole epochs done), or NaN. */
static double seconds_per_epoch(const syno_train_result *r)
{
    if (r->epochs_done == 0) return NAN;
    double s = 0;
    for (int e = 0; e < r->epochs_done; e++) s += r->epoch_seconds[e];
    return s / r->epochs_done;
}

/* KEY: an object of the seconds SECS by part of the network. */
static void json_parts(syno_json *j, const char *key, const double *secs)
{
    syno_json_key(j, key);
    syno_json_begin_object(j);
    for (int p = 0; p < SYNO_NET_NPARTS; p++) {
        char name[48];
        syno_json_key(j, part_name(p, name, sizeof name));
        syno_json_double(j, secs[p]);
    }
    syno_json_end_object(j);
}

void syno_train_result_json(const syno_train_result *r, const syno_train_config *cfg, syno_json *j)
{
    syno_json_key(j, "status");
    syno_json_string(j, syno_train_status_name(r->status));
    if (r->status != SYNO_TRAIN_OK) {
        syno_json_key(j, "message");
        syno_json_string(j, r->message);
    }
    syno_json_key(j, "backend");
    syno_json_string(j, r->backend ? r->backend : "");
    syno_json_key(j, "test_accuracy");
    syno_json_double(j, r->test_acc);
    syno_json_key(j, "train_loss");
    syno_json_double(j, r->train_loss);
    syno_json_key(j, "train_accuracy");
    syno_json_double(j, r->train_acc);
    syno_json_key(j, "slot_params");
    syno_json_int(j, r->params);
    syno_json_key(j, "steps");
    syno_json_int(j, r->steps);
    syno_json_key(j, "epochs");
    syno_json_int(j, r->epochs_done);
    syno_json_key(j, "images_per_epoch");
    syno_json_int(j, r->images_per_epoch);
    syno_json_key(j, "settings");
    syno_json_begin_object(j);
    syno_json_key(j, "subset");
    syno_json_int(j, cfg->subset);
    syno_json_key(j, "test_subset");
    syno_json_int(j, cfg->test_subset);
    syno_json_key(j, "epochs");
    syno_json_int(j, cfg->epochs);
    syno_json_key(j, "batch");
    syno_json_int(j, cfg->batch);
    syno_json_key(j, "lr");
    syno_json_double(j, cfg->lr);
    syno_json_key(j, "momentum");
    syno_json_double(j, cfg->momentum);
    syno_json_key(j, "weight_decay");
    syno_json_double(j, cfg->weight_decay);
    syno_json_key(j, "seed");
    syno_json_int(j, (int64_t)cfg->seed);
    syno_json_end_object(j);
    syno_json_key(j, "curve");
    syno_json_begin_array(j);
    for (int i = 0; i < r->npoints; i++) {
        syno_json_begin_array_inline(j);
        syno_json_int(j, r->curve[i].step);
        syno_json_double(j, r->curve[i].loss);
        syno_json_double(j, r->curve[i].acc);
        syno_json_end_array(j);
    }
    syno_json_end_array(j);
    syno_json_key(j, "epoch_seconds");
    syno_json_begin_array_inline(j);
    for (int e = 0; e < r->epochs_done; e++) syno_json_double(j, r->epoch_seconds[e]);
    syno_json_end_array(j);
    syno_json_key(j, "seconds");
    syno_json_begin_object(j);
    syno_json_key(j, "init");
    syno_json_double(j, r->seconds_init);
    syno_json_key(j, "train");
    syno_json_double(j, r->seconds_train);
    syno_json_key(j, "per_epoch");
    syno_json_double(j, seconds_per_epoch(r));
    syno_json_key(j, "test");
    syno_json_double(j, r->seconds_test);
    syno_json_key(j, "train_cpu");
    syno_json_double(j, r->cpu_seconds_train);
    syno_json_end_object(j);
    json_parts(j, "profile", r->profile);
    json_parts(j, "profile_cpu", r->profile_cpu);
}

void syno_train_result_text(const syno_train_result *r, const syno_train_config *cfg, syno_buf *out)
{
    syno_buf_puts(out, "loss curve (step, mean training loss, training accuracy over the interval):\n");
    for (int i = 0; i < r->npoints; i++)
        syno_buf_printf(out, "  %7lld  %.4f  %.4f\n", (long long)r->curve[i].step, r->curve[i].loss, r->curve[i].acc);
    for (int e = 0; e < r->epochs_done; e++)
        syno_buf_printf(out, "epoch %d/%d: %.1f s\n", e + 1, cfg->epochs, r->epoch_seconds[e]);
    if (r->status != SYNO_TRAIN_OK)
        syno_buf_printf(out, "stopped (%s): %s\n", syno_train_status_name(r->status), r->message);
    syno_buf_printf(out, "train loss %.4f, train accuracy %.4f (last epoch)\n", r->train_loss, r->train_acc);
    if (!isnan(r->test_acc)) syno_buf_printf(out, "test accuracy: %.4f\n", r->test_acc);
    syno_buf_printf(out, "time: %.1f s training (%.2f s per epoch of %lld images; %.1f s of processor time), "
                         "%.1f s test, %.1f s setup\n",
                    r->seconds_train, seconds_per_epoch(r), (long long)r->images_per_epoch,
                    r->cpu_seconds_train, r->seconds_test, r->seconds_init);
    syno_buf_puts(out, "training time by part (wall / processor s):");
    for (int p = 0; p < SYNO_NET_NPARTS; p++) {
        char name[48];
        syno_buf_printf(out, "%s %s %.2f / %.2f", p ? "," : "", part_name(p, name, sizeof name), r->profile[p],
                        r->profile_cpu[p]);
    }
    syno_buf_putc(out, '\n');
}
