/* cuda_emu_main.c - the main() of an emulated GPU program (see cuda_emu.h).
 *
 * Included at the end of a C file that holds generated kernels and a table
 * `static const emu_kernel emu_kernels[]` of them, ended by {0, 0}.  Usage: PROG JOB DATA OUT.  JOB is text, one item
 * a line:
 *     B numel in|out|tmp      a buffer (numbered from 0 in order)
 *     L kernel barriers gx gy gz bx by bz nargs arg...
 *                             a launch (args are buffers; barriers is 1
 *                             when the kernel calls __syncthreads())
 * The "in" buffers are read from DATA, in order; "out" and "tmp" buffers
 * start as NaN, so an element a kernel fails to write shows up; the "out"
 * buffers are written to OUT, in order, after the last launch. */

static void (*find_kernel(const char *name))(void)
{
    for (const emu_kernel *k = emu_kernels; k->name; k++)
        if (strcmp(k->name, name) == 0) return k->fn;
    fprintf(stderr, "emu: no kernel %s\n", name);
    exit(3);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s JOB DATA OUT\n", argv[0]);
        return 2;
    }
    FILE *job = fopen(argv[1], "r"), *data = fopen(argv[2], "rb"), *out = fopen(argv[3], "wb");
    if (!job || !data || !out) {
        perror("emu");
        return 3;
    }
    int nbufs = 0, cap = 0;
    float **bufs = NULL;
    long long *numel = NULL;
    char *kind = NULL;
    char line[4096];
    uint64_t seed = 1;
    while (fgets(line, sizeof line, job)) {
        if (line[0] == 'B') {
            long long n;
            char k[8];
            if (sscanf(line, "B %lld %7s", &n, k) != 2) return 3;
            if (nbufs == cap) {
                cap = cap ? 2 * cap : 64;
                bufs = realloc(bufs, (size_t)cap * sizeof *bufs);
                numel = realloc(numel, (size_t)cap * sizeof *numel);
                kind = realloc(kind, (size_t)cap);
            }
            bufs[nbufs] = malloc((size_t)(n ? n : 1) * sizeof(float));
            numel[nbufs] = n;
            kind[nbufs] = k[0];
            if (k[0] == 'i') {
                if (fread(bufs[nbufs], sizeof(float), (size_t)n, data) != (size_t)n) {
                    fprintf(stderr, "emu: short data\n");
                    return 3;
                }
            } else {
                for (long long i = 0; i < n; i++) bufs[nbufs][i] = __builtin_nanf("");
            }
            nbufs++;
        } else if (line[0] == 'L') {
            char name[256];
            unsigned grid[3], block[3];
            int nargs, used, barriers;
            if (sscanf(line, "L %255s %d %u %u %u %u %u %u %d%n", name, &barriers, &grid[0], &grid[1], &grid[2],
                       &block[0], &block[1], &block[2], &nargs, &used) != 9 || nargs > 10)
                return 3;
            void *args[10];
            const char *p = line + used;
            for (int a = 0; a < nargs; a++) {
                int b, u;
                if (sscanf(p, "%d%n", &b, &u) != 1 || b < 0 || b >= nbufs) return 3;
                p += u;
                args[a] = bufs[b];
            }
            emu_launch(find_kernel(name), grid, block, nargs, args, seed++, barriers);
        }
    }
    for (int b = 0; b < nbufs; b++)
        if (kind[b] == 'o' && fwrite(bufs[b], sizeof(float), (size_t)numel[b], out) != (size_t)numel[b]) return 3;
    return fclose(out) == 0 ? 0 : 3;
}
