/* npy.h - NumPy .npy files of float32 in C order: how tensors enter and
 * leave syno.
 *
 * Reading accepts format versions 1.0, 2.0 and 3.0 with dtype '<f4'
 * (little-endian float32), '=f4' (native) or '>f4' (big-endian: converted
 * on load), fortran_order False, and any shape (rank 0 to
 * SYNO_ARRAY_MAX_RANK).  Everything else is refused with a message that
 * names the file and says what was found and how to fix it: bad magic,
 * unsupported version, another dtype (e.g. "'<f8' (float64)", with the
 * numpy line that converts it), Fortran order, a malformed header, data
 * shorter than the header promises, or bytes after the data.
 *
 * Writing produces version 1.0 (2.0 only when the header would not fit)
 * with dtype '<f4', the header padded to a multiple of 64 bytes as numpy
 * does, which numpy.load reads back. */
#ifndef SYNO_NPY_H
#define SYNO_NPY_H

#include "base/array.h"
#include "base/buf.h"

/* Parses the .npy image DATA[0..LEN) (NAME is the file name used in
 * messages).  MAX_NUMEL > 0 refuses arrays with more elements than that
 * (before allocating); 0 means no limit beyond what fits in memory.
 * Returns a new array (free with syno_array_free), or NULL after
 * appending one line of explanation, starting with NAME, to ERR. */
syno_array *syno_npy_parse(const void *data, size_t len, const char *name, int64_t max_numel, syno_buf *err);

/* Reads the .npy file PATH (see syno_npy_parse).  A file that cannot be
 * opened or read is reported with the system's reason. */
syno_array *syno_npy_read(const char *path, int64_t max_numel, syno_buf *err);

/* Checks that A (read from PATH) has exactly the shape RANK/SHAPE that
 * WHAT needs; WHAT describes the tensor with its axis names, e.g.
 * "input 'x' [n: N, c: C_in, h: H, w: W]".  On mismatch appends "PATH has
 * shape [2, 3], but input 'x' [...] needs [2, 4, 5, 5]" to ERR and returns
 * false. */
bool syno_npy_check_shape(const syno_array *a, int rank, const int64_t *shape, const char *path,
                          const char *what, syno_buf *err);

/* Appends the .npy image of A (float32, C order) to OUT. */
void syno_npy_encode(const syno_array *a, syno_buf *out);

/* Writes A to PATH as a .npy file (replacing it).  Returns false after
 * appending the reason, naming PATH, to ERR. */
bool syno_npy_write(const char *path, const syno_array *a, syno_buf *err);

#endif
