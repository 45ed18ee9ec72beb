/* report.h - a training result as text or JSON (shared by `syno train`
 * and the search's accuracy evaluator). */
#ifndef SYNO_REPORT_H
#define SYNO_REPORT_H

#include "base/json.h"
#include "train/trainer.h"

/* Appends the members of a JSON object describing R trained with CFG
 * (the caller has begun the object): status, message, test_accuracy,
 * train_loss, train_accuracy, steps, epochs, curve, epoch_seconds,
 * seconds, settings. */
void syno_train_result_json(const syno_train_result *r, const syno_train_config *cfg, syno_json *j);

/* Appends a readable report of R: per-epoch figures, the loss curve,
 * test accuracy and times. */
void syno_train_result_text(const syno_train_result *r, const syno_train_config *cfg, syno_buf *out);

#endif
