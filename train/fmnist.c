/* fmnist.c - reads Fashion-MNIST (see fmnist.h).
 *
 * An IDX file is a big-endian header (magic 0x00000803 for images with
 * count, rows and columns; 0x00000801 for labels with count) followed by
 * unsigned bytes.  The files are gzip-compressed and read with zlib's
 * gzread, which also accepts uncompressed files. */
#include "config.h"

#include "train/fmnist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u

/* The directory the data set is read from (see above). */
static const char *data_dir(void)
{
    const char *d = getenv("SYNO_FMNIST_DIR");
    return d && *d ? d : SYNO_FMNIST_DEFAULT_DIR;
}

#ifdef HAVE_ZLIB
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Opens DIR/NAME, reads its header of NWORDS 32-bit words into HDR and
 * checks the magic.  Returns the open file, or NULL with ERR appended. */
static gzFile open_idx(const char *name, uint32_t magic, int nwords, uint32_t *hdr, char **path, syno_buf *err)
{
    syno_buf p = SYNO_BUF_INIT;
    syno_buf_printf(&p, "%s/%s", data_dir(), name);
    *path = syno_buf_take(&p);
    errno = 0;
    gzFile f = gzopen(*path, "rb");
    if (!f) {
        syno_buf_printf(err, "cannot open %s: %s; Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
                             "(apt-get install dataset-fashion-mnist), or set SYNO_FMNIST_DIR to a directory "
                             "holding its four files",
                        *path, errno ? strerror(errno) : "out of memory");
        return NULL;
    }
    unsigned char raw[16];
    int want = 4 * nwords;
    if (gzread(f, raw, (unsigned)want) != want) {
        syno_buf_printf(err, "%s: truncated header (not an IDX file)", *path);
        gzclose(f);
        return NULL;
    }
    for (int i = 0; i < nwords; i++) hdr[i] = be32(raw + 4 * i);
    if (hdr[0] != magic) {
        syno_buf_printf(err, "%s: magic number 0x%08x, expected 0x%08x (not an IDX %s file)", *path, hdr[0], magic,
                        magic == IDX_IMAGES ? "image" : "label");
        gzclose(f);
        return NULL;
    }
    return f;
}

/* Reads exactly N bytes; false with ERR appended when the file ends early. */
static bool read_all(gzFile f, unsigned char *dst, size_t n, const char *path, syno_buf *err)
{
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(f, dst + got, chunk);
        if (r <= 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            syno_buf_printf(err, "%s: truncated after %zu of %zu data bytes%s%s", path, got, n,
                            zerr != Z_OK && zerr != Z_BUF_ERROR ? ": " : "",
                            zerr != Z_OK && zerr != Z_BUF_ERROR ? msg : "");
            return false;
        }
        got += (size_t)r;
    }
    return true;
}
#endif

syno_dataset *syno_fmnist_load(bool train, int limit, syno_buf *err)
{
#ifndef HAVE_ZLIB
    (void)train;
    (void)limit;
    syno_buf_puts(err, "this syno was built without zlib, so it cannot read Fashion-MNIST "
                       "(install zlib1g-dev and run configure again)");
    return NULL;
#else
    const char *iname = train ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz";
    const char *lname = train ? "train-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte.gz";
    uint32_t ih[4], lh[2];
    char *ipath = NULL, *lpath = NULL;
    syno_dataset *d = NULL;
    unsigned char *pix = NULL;
    gzFile fl = NULL, fi = open_idx(iname, IDX_IMAGES, 4, ih, &ipath, err);
    if (!fi) goto out;
    fl = open_idx(lname, IDX_LABELS, 2, lh, &lpath, err);
    if (!fl) goto out;
    if (ih[1] != lh[1]) {
        syno_buf_printf(err, "%s has %u images but %s has %u labels", ipath, ih[1], lpath, lh[1]);
        goto out;
    }
    if (ih[2] == 0 || ih[3] == 0 || ih[2] > 4096 || ih[3] > 4096 || ih[1] > (1u << 24)) {
        syno_buf_printf(err, "%s: implausible shape %u x %u x %u", ipath, ih[1], ih[2], ih[3]);
        goto out;
    }
    int n = (int)ih[1];
    if (limit > 0 && limit < n) n = limit;
    size_t per = (size_t)ih[2] * ih[3];
    d = syno_xcalloc(1, sizeof *d);
    d->n = n;
    d->h = (int)ih[2];
    d->w = (int)ih[3];
    d->nclasses = SYNO_FMNIST_CLASSES;
    d->labels = syno_xmalloc((size_t)n + 1);
    d->images = syno_xmalloc((size_t)n * per * sizeof *d->images);
    pix = syno_xmalloc((size_t)n * per + 1);
    if (!read_all(fl, d->labels, (size_t)n, lpath, err) || !read_all(fi, pix, (size_t)n * per, ipath, err)) goto fail;
    for (int i = 0; i < n; i++)
        if (d->labels[i] >= SYNO_FMNIST_CLASSES) {
            syno_buf_printf(err, "%s: label %d of image %d is not a class 0..%d", lpath, d->labels[i], i,
                            SYNO_FMNIST_CLASSES - 1);
            goto fail;
        }
    const float scale = 1.0f / (255.0f * SYNO_FMNIST_STD), shift = SYNO_FMNIST_MEAN / SYNO_FMNIST_STD;
    for (size_t i = 0; i < (size_t)n * per; i++) d->images[i] = (float)pix[i] * scale - shift;
    goto out;
fail:
    syno_dataset_free(d);
    d = NULL;
out:
    if (fi) gzclose(fi);
    if (fl) gzclose(fl);
    free(pix);
    free(ipath);
    free(lpath);
    return d;
#endif
}

void syno_dataset_free(syno_dataset *d)
{
    if (!d) return;
    free(d->images);
    free(d->labels);
    free(d);
}
