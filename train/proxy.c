/* proxy.c - the process-wide data set cache behind syno_proxy_train (see
 * proxy.h).  A later call that needs more images than are cached reads
 * the files again. */
#include "train/proxy.h"

#include <stdlib.h>

static syno_dataset *cached_train, *cached_test;

/* The first N images of the split (0 = all), cached in *SLOT. */
static const syno_dataset *get(syno_dataset **slot, bool train, int n, syno_buf *err)
{
    if (*slot && (n > 0 ? (*slot)->n >= n : (*slot)->n >= (train ? 60000 : 10000))) return *slot;
    syno_dataset *d = syno_fmnist_load(train, n, err);
    if (!d) return NULL;
    syno_dataset_free(*slot);
    *slot = d;
    return d;
}

syno_train_result *syno_proxy_train(const syno_op *op, const syno_train_config *cfg, syno_buf *err)
{
    const syno_dataset *train = get(&cached_train, true, cfg->subset, err);
    const syno_dataset *test = train ? get(&cached_test, false, cfg->test_subset, err) : NULL;
    if (!test) return NULL;
    return syno_train_run(op, cfg, train, test);
}

void syno_proxy_release(void)
{
    syno_dataset_free(cached_train);
    syno_dataset_free(cached_test);
    cached_train = cached_test = NULL;
}
