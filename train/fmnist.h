/* fmnist.h - the Fashion-MNIST data set, read from the gzip IDX files of
 * Debian's dataset-fashion-mnist package.
 *
 * Images become float32 in [N, 28, 28] order, normalised with the data
 * set's pixel mean and standard deviation (so a typical image has mean 0
 * and variance 1); labels are the class numbers 0..9.  The directory is
 * $SYNO_FMNIST_DIR when set, else SYNO_FMNIST_DEFAULT_DIR. */
#ifndef SYNO_FMNIST_H
#define SYNO_FMNIST_H

#include "base/buf.h"

#define SYNO_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define SYNO_FMNIST_CLASSES 10
#define SYNO_FMNIST_MEAN 0.2860f /* of the training pixels, scaled to [0, 1] */
#define SYNO_FMNIST_STD 0.3530f

typedef struct syno_dataset {
    int n;             /* images */
    int h, w;          /* rows, columns */
    int nclasses;
    float *images;     /* [n][h][w], normalised */
    unsigned char *labels; /* [n] */
} syno_dataset;

/* Reads the training split (TRAIN) or the test split, at most LIMIT images
 * (the first ones; 0 = all).  Returns a new data set (free with
 * syno_dataset_free), or NULL after appending to ERR what is wrong: a
 * missing file (naming the package to install), a truncated or malformed
 * file, a build without zlib. */
syno_dataset *syno_fmnist_load(bool train, int limit, syno_buf *err);

/* Frees D.  NULL is a no-op. */
void syno_dataset_free(syno_dataset *d);

#endif
