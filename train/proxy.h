/* proxy.h - proxy accuracy as a service for the search: Fashion-MNIST
 * loaded once per process (the largest subsets asked for so far) and the
 * trainer run with the caller's settings. */
#ifndef SYNO_PROXY_H
#define SYNO_PROXY_H

#include "train/trainer.h"

/* Trains OP in the proxy network with CFG (cfg->subset and
 * cfg->test_subset say how many images are needed).  Returns the result
 * (free with syno_train_result_free), or NULL with ERR appended when the
 * data set cannot be read.  Not thread-safe (one search evaluation at a
 * time per process). */
syno_train_result *syno_proxy_train(const syno_op *op, const syno_train_config *cfg, syno_buf *err);

/* Frees the cached data sets: a search calls it when it ends (the next
 * syno_proxy_train reads the files again). */
void syno_proxy_release(void);

#endif
