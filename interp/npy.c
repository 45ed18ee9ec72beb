/* npy.c - reading and writing NumPy .npy files of float32 (see npy.h).
 *
 * Format (numpy.lib.format): the magic "\x93NUMPY", a major and minor
 * version byte, the header length (2 bytes little-endian for 1.0, 4 bytes
 * for 2.0 and 3.0), then the header: a Python dict literal with exactly the
 * keys 'descr', 'fortran_order' and 'shape', padded with spaces and ended
 * by '\n'.  The data follows, C order unless fortran_order is True.  Values
 * are decoded byte by byte, so the code does not depend on the host's byte
 * order. */
#include "interp/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* ---- the header: a tiny reader of Python literals ---------------------- */

typedef struct hdr {
    const char *p, *end;
    const char *name;
    syno_buf *err;
    bool failed;
} hdr;

static void hdr_fail(hdr *h, const char *what)
{
    if (h->failed) return;
    h->failed = true;
    syno_buf_printf(h->err, "%s: malformed .npy header: %s", h->name, what);
}

static void hdr_space(hdr *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')) h->p++;
}

static bool hdr_eat(hdr *h, char c)
{
    hdr_space(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string (no escapes are needed for the keys and dtypes we
 * accept) of printable characters: what it holds may be quoted in a
 * one-line message. */
static bool hdr_string(hdr *h, char *out, size_t n)
{
    hdr_space(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return false;
    char q = *h->p++;
    size_t i = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p < 32 || *h->p > 126) return false;
        if (i + 1 < n) out[i++] = *h->p;
        h->p++;
    }
    out[i] = 0;
    if (h->p >= h->end) return false;
    h->p++;
    return true;
}

static bool hdr_word(hdr *h, const char *w)
{
    hdr_space(h);
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return true;
    }
    return false;
}

/* A tuple of non-negative integers: (), (5,), (2, 3) or (2, 3,). */
static bool hdr_shape(hdr *h, int *rank, int64_t *shape)
{
    if (!hdr_eat(h, '(')) return false;
    *rank = 0;
    for (;;) {
        if (hdr_eat(h, ')')) return true;
        hdr_space(h);
        if (h->p >= h->end || *h->p < '0' || *h->p > '9') return false;
        int64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return false;
            v = v * 10 + (*h->p++ - '0');
        }
        hdr_space(h);
        if (h->p < h->end && *h->p == 'L') h->p++; /* Python 2 longs */
        if (*rank == SYNO_ARRAY_MAX_RANK) {
            *rank = SYNO_ARRAY_MAX_RANK + 1;
            return true;
        }
        shape[(*rank)++] = v;
        if (!hdr_eat(h, ',')) return hdr_eat(h, ')');
    }
}

static const char *dtype_name(const char *d)
{
    static const struct {
        const char *code, *name;
    } known[] = {
        {"f2", "float16"}, {"f4", "float32"}, {"f8", "float64"}, {"f16", "float128"}, {"i1", "int8"},
        {"i2", "int16"},   {"i4", "int32"},   {"i8", "int64"},   {"u1", "uint8"},     {"u2", "uint16"},
        {"u4", "uint32"},  {"u8", "uint64"},  {"b1", "bool"},    {"c8", "complex64"}, {"c16", "complex128"},
        {"O", "object"},
    };
    const char *code = (*d == '<' || *d == '>' || *d == '|' || *d == '=') ? d + 1 : d;
    for (size_t i = 0; i < SYNO_ARRAY_LEN(known); i++)
        if (strcmp(code, known[i].code) == 0) return known[i].name;
    if (*code == 'U' || *code == 'S') return "string";
    return NULL;
}

typedef struct header {
    char descr[64];
    bool fortran;
    int rank;
    int64_t shape[SYNO_ARRAY_MAX_RANK + 1];
} header;

static bool parse_header(hdr *h, header *out)
{
    bool have_descr = false, have_fortran = false, have_shape = false;
    if (!hdr_eat(h, '{')) {
        hdr_fail(h, "it does not start with '{'");
        return false;
    }
    while (!h->failed) {
        if (hdr_eat(h, '}')) break;
        char key[32];
        if (!hdr_string(h, key, sizeof key)) {
            hdr_fail(h, "expected a quoted key");
            break;
        }
        if (!hdr_eat(h, ':')) {
            hdr_fail(h, "expected ':' after a key");
            break;
        }
        if (strcmp(key, "descr") == 0 && !have_descr) {
            hdr_space(h);
            if (h->p < h->end && *h->p == '[') {
                hdr_fail(h, "structured dtypes (a list of fields) are not supported; syno needs plain float32 ('<f4')");
                break;
            }
            if (!hdr_string(h, out->descr, sizeof out->descr)) hdr_fail(h, "'descr' is not a string");
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
            if (hdr_word(h, "True")) out->fortran = true;
            else if (hdr_word(h, "False")) out->fortran = false;
            else hdr_fail(h, "'fortran_order' is neither True nor False");
            have_fortran = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!hdr_shape(h, &out->rank, out->shape)) hdr_fail(h, "'shape' is not a tuple of integers");
            have_shape = true;
        } else {
            char msg[96];
            snprintf(msg, sizeof msg, "unexpected or repeated key '%s'", key);
            hdr_fail(h, msg);
            break;
        }
        if (!hdr_eat(h, ',')) {
            if (!hdr_eat(h, '}')) hdr_fail(h, "expected ',' or '}'");
            break;
        }
    }
    if (h->failed) return false;
    hdr_space(h);
    if (h->p != h->end) {
        hdr_fail(h, "text after the closing '}'");
        return false;
    }
    if (!have_descr || !have_fortran || !have_shape) {
        hdr_fail(h, !have_descr ? "no 'descr' key" : !have_fortran ? "no 'fortran_order' key" : "no 'shape' key");
        return false;
    }
    return true;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static bool host_is_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void shape_text(int rank, const int64_t *shape, syno_buf *out)
{
    syno_buf_putc(out, '[');
    for (int i = 0; i < rank; i++) syno_buf_printf(out, "%s%lld", i ? ", " : "", (long long)shape[i]);
    syno_buf_putc(out, ']');
}

/* Parses a .npy image; see npy.h. */
syno_array *syno_npy_parse(const void *data, size_t len, const char *name, int64_t max_numel, syno_buf *err)
{
    const unsigned char *b = data;
    if (len < 8 || memcmp(b, magic, sizeof magic) != 0) {
        syno_buf_printf(err, "%s: not a .npy file (it does not start with the magic \"\\x93NUMPY\")%s", name,
                        len == 0 ? "; the file is empty" : "");
        return NULL;
    }
    int major = b[6], minor = b[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        syno_buf_printf(err, "%s: unsupported .npy format version %d.%d (syno reads 1.0, 2.0 and 3.0)", name, major,
                        minor);
        return NULL;
    }
    size_t lenbytes = major == 1 ? 2 : 4;
    if (len < 8 + lenbytes) {
        syno_buf_printf(err, "%s: truncated .npy file: it ends inside the header length", name);
        return NULL;
    }
    size_t hlen = major == 1 ? (size_t)(b[8] | b[9] << 8) : (size_t)le32(b + 8);
    size_t start = 8 + lenbytes;
    if (hlen > len - start) {
        syno_buf_printf(err, "%s: truncated .npy file: the header should be %zu bytes but the file ends after %zu",
                        name, hlen, len - start);
        return NULL;
    }
    hdr h = {(const char *)b + start, (const char *)b + start + hlen, name, err, false};
    if (hlen == 0 || h.end[-1] != '\n') {
        hdr_fail(&h, "it does not end with a newline");
        return NULL;
    }
    for (const char *c = h.p; c < h.end; c++)
        if (*c == 0) {
            hdr_fail(&h, "it contains a NUL byte");
            return NULL;
        }
    header hd;
    memset(&hd, 0, sizeof hd);
    if (!parse_header(&h, &hd)) return NULL;
    bool big;
    if (strcmp(hd.descr, "<f4") == 0) big = false;
    else if (strcmp(hd.descr, ">f4") == 0) big = true;
    else if (strcmp(hd.descr, "=f4") == 0) big = !host_is_little();
    else {
        const char *dn = dtype_name(hd.descr);
        syno_buf_printf(err,
                        "%s: the data type is '%s'%s%s%s, but syno needs float32 ('<f4'); convert it in numpy with "
                        "np.save('%s', np.load('%s').astype(np.float32))",
                        name, hd.descr, dn ? " (" : "", dn ? dn : "", dn ? ")" : "", name, name);
        return NULL;
    }
    if (hd.fortran) {
        syno_buf_printf(err,
                        "%s: the data is in Fortran (column-major) order; syno needs C order: save "
                        "np.ascontiguousarray(a) instead",
                        name);
        return NULL;
    }
    if (hd.rank > SYNO_ARRAY_MAX_RANK) {
        syno_buf_printf(err, "%s: the array has more than %d axes; syno supports at most %d", name,
                        SYNO_ARRAY_MAX_RANK, SYNO_ARRAY_MAX_RANK);
        return NULL;
    }
    int64_t numel = 1;
    bool overflow = false;
    for (int i = 0; i < hd.rank; i++) overflow |= __builtin_mul_overflow(numel, hd.shape[i], &numel);
    syno_buf sh = SYNO_BUF_INIT;
    shape_text(hd.rank, hd.shape, &sh);
    size_t have = len - start - hlen;
    if (overflow || (max_numel > 0 && numel > max_numel)) {
        syno_buf_printf(err, "%s: the array %s is too large (more than %lld elements)", name, syno_buf_str(&sh),
                        (long long)(max_numel > 0 ? max_numel : INT64_MAX));
        syno_buf_fini(&sh);
        return NULL;
    }
    if ((uint64_t)numel > have / 4) {
        syno_buf_printf(err,
                        "%s: truncated .npy file: the header promises shape %s, %lld float32 values (%llu bytes of "
                        "data), but only %zu bytes follow the header",
                        name, syno_buf_str(&sh), (long long)numel, (unsigned long long)numel * 4, have);
        syno_buf_fini(&sh);
        return NULL;
    }
    if ((uint64_t)numel * 4 != have) {
        syno_buf_printf(err,
                        "%s: %llu unexpected bytes after the data (the header says shape %s, %llu bytes of float32)",
                        name, (unsigned long long)(have - (uint64_t)numel * 4), syno_buf_str(&sh),
                        (unsigned long long)numel * 4);
        syno_buf_fini(&sh);
        return NULL;
    }
    syno_buf_fini(&sh);
    syno_array *a = syno_array_new(hd.rank, hd.shape);
    const unsigned char *d = b + start + hlen;
    for (int64_t i = 0; i < numel; i++) {
        uint32_t u = big ? be32(d + 4 * i) : le32(d + 4 * i);
        memcpy(&a->data[i], &u, 4);
    }
    return a;
}

/* Reads the .npy file PATH; see npy.h. */
syno_array *syno_npy_read(const char *path, int64_t max_numel, syno_buf *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        syno_buf_printf(err, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = syno_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            /* Stop early when the file is far larger than any allowed array. */
            if (max_numel > 0 && (uint64_t)len > (uint64_t)max_numel * 4 + (1u << 20)) break;
            cap *= 2;
            buf = syno_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        syno_buf_printf(err, "cannot read '%s': %s", path, strerror(errno));
        free(buf);
        return NULL;
    }
    syno_array *a = syno_npy_parse(buf, len, path, max_numel, err);
    free(buf);
    return a;
}

/* Checks A's shape against RANK/SHAPE; see npy.h. */
bool syno_npy_check_shape(const syno_array *a, int rank, const int64_t *shape, const char *path,
                          const char *what, syno_buf *err)
{
    bool same = a->rank == rank;
    for (int i = 0; same && i < rank; i++) same = a->shape[i] == shape[i];
    if (same) return true;
    syno_buf_printf(err, "%s has shape ", path);
    shape_text(a->rank, a->shape, err);
    syno_buf_printf(err, ", but %s needs ", what);
    shape_text(rank, shape, err);
    return false;
}

/* Appends the .npy image of A to OUT; see npy.h. */
void syno_npy_encode(const syno_array *a, syno_buf *out)
{
    syno_buf dict = SYNO_BUF_INIT;
    syno_buf_puts(&dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < a->rank; i++) syno_buf_printf(&dict, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    syno_buf_puts(&dict, a->rank == 1 ? ",), }" : "), }");
    /* Pad with spaces so that magic + version + length + header is a
     * multiple of 64, the header ending in '\n'. */
    bool v2 = dict.len + 1 + 10 > 65535;
    size_t pre = v2 ? 12 : 10;
    size_t total = pre + dict.len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = dict.len + pad + 1;
    syno_buf_add(out, magic, sizeof magic);
    syno_buf_putc(out, v2 ? 2 : 1);
    syno_buf_putc(out, 0);
    if (v2) {
        for (int i = 0; i < 4; i++) syno_buf_putc(out, (char)((hlen >> (8 * i)) & 0xff));
    } else {
        syno_buf_putc(out, (char)(hlen & 0xff));
        syno_buf_putc(out, (char)((hlen >> 8) & 0xff));
    }
    syno_buf_add(out, dict.data, dict.len);
    for (size_t i = 0; i < pad; i++) syno_buf_putc(out, ' ');
    syno_buf_putc(out, '\n');
    syno_buf_fini(&dict);
    for (int64_t i = 0; i < a->numel; i++) {
        uint32_t u;
        memcpy(&u, &a->data[i], 4);
        char bytes[4] = {(char)(u & 0xff), (char)((u >> 8) & 0xff), (char)((u >> 16) & 0xff), (char)(u >> 24)};
        syno_buf_add(out, bytes, 4);
    }
}

/* Writes A to PATH; see npy.h. */
bool syno_npy_write(const char *path, const syno_array *a, syno_buf *err)
{
    syno_buf img = SYNO_BUF_INIT;
    syno_npy_encode(a, &img);
    FILE *f = fopen(path, "wb");
    if (!f) {
        syno_buf_printf(err, "cannot write '%s': %s", path, strerror(errno));
        syno_buf_fini(&img);
        return false;
    }
    bool ok = fwrite(img.data, 1, img.len, f) == img.len;
    int e = errno;
    ok &= fclose(f) == 0;
    if (!ok) syno_buf_printf(err, "cannot write '%s': %s", path, strerror(e ? e : errno));
    syno_buf_fini(&img);
    return ok;
}
