/* t_npy.c - .npy reading and writing (interp/npy.c): round trips, the
 * three format versions, big-endian data, and every refusal with its
 * message.  When /usr/bin/python3 has numpy, files are also exchanged with
 * numpy in both directions. */
#include "interp/npy.h"
#include "tests/tap.h"

#include <math.h>
#include <unistd.h>

/* A .npy image: magic, version MAJOR.MINOR, header DICT padded to 64 with
 * a newline (unless RAW), then N bytes of DATA. */
static void image(syno_buf *out, int major, int minor, const char *dict, bool raw, const void *data, size_t n)
{
    syno_buf_clear(out);
    syno_buf_add(out, "\x93NUMPY", 6);
    syno_buf_putc(out, (char)major);
    syno_buf_putc(out, (char)minor);
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict);
    size_t pad = raw ? 0 : (64 - (pre + len + 1) % 64) % 64;
    size_t hlen = len + pad + (raw ? 0 : 1);
    for (size_t i = 0; i < pre - 8; i++) syno_buf_putc(out, (char)((hlen >> (8 * i)) & 0xff));
    syno_buf_puts(out, dict);
    for (size_t i = 0; i < pad; i++) syno_buf_putc(out, ' ');
    if (!raw) syno_buf_putc(out, '\n');
    syno_buf_add(out, data, n);
}

/* Parses IMG and expects a failure whose message contains every NEEDLE. */
static void refused(syno_buf *img, const char *what, const char *n1, const char *n2)
{
    syno_buf err = SYNO_BUF_INIT;
    syno_array *a = syno_npy_parse(img->data, img->len, "t.npy", 0, &err);
    const char *m = syno_buf_str(&err);
    bool good = !a && strncmp(m, "t.npy", 5) == 0 && strstr(m, n1) && (!n2 || strstr(m, n2));
    if (!ok(good, "refused: %s", what)) printf("#   message: %s\n", m);
    syno_array_free(a);
    syno_buf_fini(&err);
}

static const float vals[6] = {1.5f, -2.0f, 0.25f, 3e-8f, -1e30f, 7.0f};

static void test_roundtrip(void)
{
    syno_rng r;
    syno_rng_seed(&r, 3);
    static const int64_t shapes[][4] = {{0}, {5}, {2, 3}, {2, 1, 4}, {3, 0, 2}, {1, 2, 3, 4}};
    static const int ranks[] = {0, 1, 2, 3, 3, 4};
    bool all = true, aligned = true;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(ranks); i++) {
        syno_array *a = syno_array_new(ranks[i], shapes[i]);
        syno_array_fill_uniform(a, &r, -10, 10);
        syno_buf img = SYNO_BUF_INIT, err = SYNO_BUF_INIT;
        syno_npy_encode(a, &img);
        size_t hlen = (size_t)(unsigned char)img.data[8] | (size_t)(unsigned char)img.data[9] << 8;
        aligned &= (10 + hlen) % 64 == 0 && img.data[10 + hlen - 1] == '\n';
        syno_array *b = syno_npy_parse(img.data, img.len, "rt.npy", 0, &err);
        all &= b && syno_array_same_shape(a, b) && memcmp(a->data, b->data, (size_t)a->numel * 4) == 0;
        syno_array_free(a);
        syno_array_free(b);
        syno_buf_fini(&img);
        syno_buf_fini(&err);
    }
    ok(all, "ranks 0-4 (zero-size axes included) round-trip bit for bit");
    ok(aligned, "written headers end in a newline at a multiple of 64 bytes");

    /* Through a file. */
    char path[] = "/tmp/syno-t_npy-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int64_t shape[2] = {2, 3};
    syno_array *a = syno_array_new(2, shape);
    memcpy(a->data, vals, sizeof vals);
    syno_buf err = SYNO_BUF_INIT;
    bool wrote = syno_npy_write(path, a, &err);
    syno_array *b = syno_npy_read(path, 0, &err);
    ok(wrote && b && syno_array_same_shape(a, b) && memcmp(a->data, b->data, sizeof vals) == 0,
       "write then read a file");
    syno_array_free(b);
    syno_buf_clear(&err);
    b = syno_npy_read(path, 5, &err);
    ok(!b && strstr(syno_buf_str(&err), "too large"), "a size limit refuses larger arrays: %s", syno_buf_str(&err));
    unlink(path);
    syno_buf_clear(&err);
    b = syno_npy_read(path, 0, &err);
    ok(!b && strstr(syno_buf_str(&err), "cannot open") && strstr(syno_buf_str(&err), path),
       "a missing file is named: %s", syno_buf_str(&err));
    syno_buf_clear(&err);
    ok(!syno_npy_write("/nonexistent-dir/y.npy", a, &err) && strstr(syno_buf_str(&err), "/nonexistent-dir/y.npy"),
       "an unwritable path is named: %s", syno_buf_str(&err));
    syno_buf_clear(&err);
    int64_t want[3] = {2, 4, 5};
    ok(!syno_npy_check_shape(a, 3, want, "x.npy", "input 'x' [n: N = 2, c: C = 4, h: H = 5]", &err) &&
           strcmp(syno_buf_str(&err), "x.npy has shape [2, 3], but input 'x' [n: N = 2, c: C = 4, h: H = 5] needs "
                                      "[2, 4, 5]") == 0,
       "a shape mismatch quotes both shapes and the axis names: %s", syno_buf_str(&err));
    syno_buf_clear(&err);
    ok(syno_npy_check_shape(a, 2, shape, "x.npy", "x", &err) && err.len == 0, "a matching shape passes");
    syno_array_free(a);
    syno_buf_fini(&err);
}

static void test_versions(void)
{
    unsigned char le[24], be[24];
    for (int i = 0; i < 6; i++) {
        uint32_t u;
        memcpy(&u, &vals[i], 4);
        for (int j = 0; j < 4; j++) le[4 * i + j] = (unsigned char)(u >> (8 * j)), be[4 * i + 3 - j] = le[4 * i + j];
    }
    syno_buf img = SYNO_BUF_INIT, err = SYNO_BUF_INIT;
    static const struct {
        int major;
        const char *dict;
        bool big;
        const char *what;
    } good[] = {
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", false, "version 1.0"},
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", false, "version 2.0"},
        {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", false, "version 3.0"},
        {1, "{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}", false, "keys in another order, no spaces"},
        {1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}", false, "double quotes"},
        {1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", true, "big-endian '>f4' (converted)"},
    };
    for (size_t i = 0; i < SYNO_ARRAY_LEN(good); i++) {
        image(&img, good[i].major, 0, good[i].dict, false, good[i].big ? be : le, 24);
        syno_buf_clear(&err);
        syno_array *a = syno_npy_parse(img.data, img.len, "t.npy", 0, &err);
        bool right = a && a->numel == 6 && memcmp(a->data, vals, sizeof vals) == 0;
        if (!ok(right, "reads %s", good[i].what)) printf("#   %s\n", syno_buf_str(&err));
        syno_array_free(a);
    }
    syno_buf_fini(&img);
    syno_buf_fini(&err);
}

static void test_refusals(void)
{
    unsigned char data[24] = {0};
    syno_buf img = SYNO_BUF_INIT;
    const char *f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    syno_buf_clear(&img);
    refused(&img, "an empty file", "not a .npy file", "empty");
    syno_buf_puts(&img, "PK\x03\x04 this is a zip file");
    refused(&img, "bad magic", "not a .npy file", "\\x93NUMPY");
    image(&img, 4, 0, f4, false, data, 24);
    refused(&img, "version 4.0", "unsupported .npy format version 4.0", "1.0, 2.0 and 3.0");
    image(&img, 1, 1, f4, false, data, 24);
    refused(&img, "version 1.1", "version 1.1", NULL);
    image(&img, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", false, data, 24);
    refused(&img, "float64 data", "'<f8' (float64)", "astype(np.float32)");
    image(&img, 1, 0, "{'descr': '<i4', 'fortran_order': False, 'shape': (6,), }", false, data, 24);
    refused(&img, "int32 data", "'<i4' (int32)", "float32 ('<f4')");
    image(&img, 1, 0, "{'descr': '<f2', 'fortran_order': False, 'shape': (12,), }", false, data, 24);
    refused(&img, "float16 data", "(float16)", NULL);
    image(&img, 1, 0, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", false, data, 24);
    refused(&img, "a structured dtype", "structured", NULL);
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", false, data, 24);
    refused(&img, "Fortran order", "Fortran (column-major) order", "ascontiguousarray");
    image(&img, 1, 0, "{'descr': '<f4', 'shape': (2, 3), }", false, data, 24);
    refused(&img, "a missing key", "malformed .npy header", "fortran_order");
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", false, data, 24);
    refused(&img, "an extra key", "malformed .npy header", "'x'");
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", false, data, 24);
    refused(&img, "a shape that is not a tuple", "'shape' is not a tuple", NULL);
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", false, data, 24);
    refused(&img, "a negative extent", "malformed .npy header", NULL);
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': maybe, 'shape': (2, 3), }", false, data, 24);
    refused(&img, "fortran_order neither True nor False", "neither True nor False", NULL);
    image(&img, 1, 0, f4, true, data, 24);
    refused(&img, "a header without its newline", "malformed .npy header", "newline");
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk", false, data, 24);
    refused(&img, "text after the dict", "after the closing", NULL);
    image(&img, 1, 0, f4, false, data, 20);
    refused(&img, "truncated data", "truncated", "only 20 bytes");
    image(&img, 1, 0, f4, false, data, 24);
    syno_buf_putc(&img, 'x');
    syno_buf_putc(&img, 'y');
    refused(&img, "trailing garbage", "2 unexpected bytes after the data", NULL);
    image(&img, 1, 0, f4, false, data, 24);
    img.len = 30;
    refused(&img, "a file cut inside the header", "truncated", "header");
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 9999999), }",
          false, data, 24);
    refused(&img, "a shape whose size overflows", "too large", NULL);
    image(&img, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", false, data, 24);
    refused(&img, "a huge shape with little data (no allocation)", "truncated", "1000000000");
    syno_buf_fini(&img);
}

/* numpy, when available: it writes (v1, v2, v3, big-endian) and we read;
 * we write and it reads. */
static void test_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
        skip("no /usr/bin/python3 with numpy");
        skip("no /usr/bin/python3 with numpy");
        skip("no /usr/bin/python3 with numpy");
        return;
    }
    char dir[] = "/tmp/syno-t_npy-np-XXXXXX";
    if (!mkdtemp(dir)) {
        ok(0, "temporary directory");
        return;
    }
    char cmd[2048], path[256];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import numpy as np, numpy.lib.format as F\n"
             "a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8 - 1\n"
             "for v in [(1, 0), (2, 0), (3, 0)]:\n"
             "    with open('%s/v%%d.npy' %% v[0], 'wb') as f: F.write_array(f, a, version=v)\n"
             "np.save('%s/be.npy', a.astype('>f4'))\n"
             "np.save('%s/f8.npy', a.astype(np.float64))\n"
             "\"",
             dir, dir, dir);
    bool made = system(cmd) == 0;
    int good = 0;
    for (int v = 1; made && v <= 4; v++) {
        if (v == 4) snprintf(path, sizeof path, "%s/be.npy", dir);
        else snprintf(path, sizeof path, "%s/v%d.npy", dir, v);
        syno_buf err = SYNO_BUF_INIT;
        syno_array *a = syno_npy_read(path, 0, &err);
        bool right = a && a->rank == 3 && a->shape[0] == 2 && a->shape[1] == 3 && a->shape[2] == 4;
        for (int64_t i = 0; right && i < 24; i++) right = a->data[i] == (float)i / 8 - 1;
        good += right;
        if (!right) printf("#   %s: %s\n", path, syno_buf_str(&err));
        syno_array_free(a);
        syno_buf_fini(&err);
    }
    is_int(good, 4, "numpy's versions 1.0, 2.0, 3.0 and big-endian files read correctly");
    snprintf(path, sizeof path, "%s/f8.npy", dir);
    syno_buf err = SYNO_BUF_INIT;
    syno_array *a = syno_npy_read(path, 0, &err);
    ok(!a && strstr(syno_buf_str(&err), "float64"), "numpy float64 refused: %s", syno_buf_str(&err));
    syno_buf_clear(&err);
    int64_t shape[3] = {2, 1, 3};
    a = syno_array_new(3, shape);
    memcpy(a->data, vals, sizeof vals);
    snprintf(path, sizeof path, "%s/ours.npy", dir);
    bool wrote = syno_npy_write(path, a, &err);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import numpy as np\n"
             "a = np.load('%s')\n"
             "assert a.dtype == np.float32 and a.shape == (2, 1, 3) and a.flags.c_contiguous, (a.dtype, a.shape)\n"
             "assert a.ravel().tolist() == np.array([1.5, -2.0, 0.25, 3e-8, -1e30, 7.0], np.float32).tolist()\n"
             "\"",
             path);
    ok(wrote && system(cmd) == 0, "numpy reads what syno writes (dtype, shape, values)");
    syno_array_free(a);
    syno_buf_fini(&err);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);
}

int main(void)
{
    test_roundtrip();
    test_versions();
    test_refusals();
    test_numpy();
    return tap_done();
}
