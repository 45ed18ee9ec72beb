/* fuzz_npy.c - the .npy harness: an input is the bytes of a .npy file.
 *
 * syno_npy_parse either refuses it with one line that names the file, or
 * returns an array; a parsed array must re-encode to an image that parses
 * to the same shape and the same bits (NaN payloads included) and encodes
 * to the same bytes again.  Every other input is also read through
 * syno_npy_read from a file, which must agree with the parse. */
#include "tests/fuzz/fuzz.h"

#include "interp/npy.h"

#include <stdlib.h>
#include <string.h>

/* The element limit the harness gives the parser: bigger arrays are refused
 * before anything is allocated, as `syno run` does with its own limit. */
#define MAX_NUMEL (1 << 20)

static bool same(const syno_array *a, const syno_array *b)
{
    return syno_array_same_shape(a, b) && a->numel == b->numel &&
           (a->numel == 0 || memcmp(a->data, b->data, (size_t)a->numel * sizeof(float)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    syno_buf err = SYNO_BUF_INIT;
    syno_array *a = syno_npy_parse(data, size, "fuzz.npy", MAX_NUMEL, &err);
    if (!a) {
        FUZZ_CHECK(strncmp(syno_buf_str(&err), "fuzz.npy", 8) == 0 && !strchr(syno_buf_str(&err), '\n'),
                   "a refusal must be one line naming the file: '%s'", syno_buf_str(&err));
    } else {
        FUZZ_CHECK(a->rank >= 0 && a->rank <= SYNO_ARRAY_MAX_RANK && a->numel <= MAX_NUMEL, "rank %d, %lld elements",
                   a->rank, (long long)a->numel);
        int64_t n = 1;
        for (int i = 0; i < a->rank; i++) n *= a->shape[i];
        FUZZ_CHECK(n == a->numel, "numel %lld is not the product of the shape", (long long)a->numel);
        syno_buf img = SYNO_BUF_INIT, img2 = SYNO_BUF_INIT;
        syno_npy_encode(a, &img);
        syno_buf_clear(&err);
        syno_array *b = syno_npy_parse(img.data, img.len, "again.npy", 0, &err);
        FUZZ_CHECK(b, "the re-encoded array does not parse: %s", syno_buf_str(&err));
        FUZZ_CHECK(same(a, b), "the re-encoded array differs");
        syno_npy_encode(b, &img2);
        FUZZ_CHECK(img.len == img2.len && memcmp(img.data, img2.data, img.len) == 0, "encoding is not stable");
        syno_buf_clear(&err);
        syno_npy_check_shape(a, a->rank, a->shape, "fuzz.npy", "input 'x'", &err);
        FUZZ_CHECK(err.len == 0, "an array does not have its own shape: %s", syno_buf_str(&err));
        syno_array_free(b);
        syno_buf_fini(&img);
        syno_buf_fini(&img2);
    }
    /* the same bytes from a file */
    syno_buf path = SYNO_BUF_INIT, err2 = SYNO_BUF_INIT;
    syno_buf_printf(&path, "%s/in.npy", fuzz_tmpdir());
    fuzz_write_file(syno_buf_str(&path), data, size);
    syno_array *c = syno_npy_read(syno_buf_str(&path), MAX_NUMEL, &err2);
    FUZZ_CHECK(!a == !c && (!a || same(a, c)), "syno_npy_read and syno_npy_parse disagree: '%s' / '%s'",
               syno_buf_str(&err), syno_buf_str(&err2));
    syno_array_free(c);
    syno_array_free(a);
    syno_buf_fini(&path);
    syno_buf_fini(&err2);
    syno_buf_fini(&err);
    return 0;
}
