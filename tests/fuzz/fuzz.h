/* fuzz.h - what the fuzz harnesses of tests/fuzz/ share.
 *
 * Each harness (fuzz_NAME.c) defines LLVMFuzzerTestOneInput: it feeds one
 * input to a part of syno and aborts (FUZZ_CHECK) when a property that must
 * hold for every input fails, e.g. that the canonical text of a clean
 * operator reparses to the same hash.  A crash, a sanitizer report, an
 * internal error or a failed FUZZ_CHECK is a bug in syno; clear errors about
 * the input are the expected outcome of most inputs.
 *
 * The same sources are linked two ways: with libFuzzer's main under
 * `./configure --enable-fuzzing` (`make fuzz`), and with replay.c, a main
 * that runs each file of a corpus once, in every other build (`make check`
 * replays the committed corpora, tests/fuzz.sh).  doc/testing.md says how
 * to run a campaign and where its figures are. */
#ifndef SYNO_FUZZ_H
#define SYNO_FUZZ_H

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The entry points libFuzzer calls (the replay driver too). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with "fuzz check failed: WHAT" and the message when COND is false:
 * the input broke a property that holds for every input. */
#define FUZZ_CHECK(cond, ...) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

_Noreturn void fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A stream that discards what is written to it (diagnostics, tables): the
 * printing code runs, the output goes nowhere.  Opened once. */
FILE *fuzz_devnull(void);

/* A private directory for this process (under $TMPDIR or /tmp), created
 * on first use and removed with its contents at exit.  Harnesses that
 * write files work only inside it. */
const char *fuzz_tmpdir(void);

/* Removes everything inside DIR (not DIR itself), following no links. */
void fuzz_clear_dir(const char *dir);

/* Writes DATA[0..N) to PATH (replacing it); aborts when it cannot. */
void fuzz_write_file(const char *path, const void *data, size_t n);

/* Splits an input into parts at each line "==> NAME": a part is the text
 * after its marker line up to the newline before the next one; the first
 * part, before any marker, has no name.
 * Harnesses that need several files (a store and result files) read them
 * from one input this way, which keeps the seeds readable. */
typedef struct fuzz_part {
    const char *name;           /* NULL for the first part */
    size_t name_len;
    const uint8_t *data;
    size_t len;
} fuzz_part;

/* Fills PARTS (at most MAX) and returns how many there are. */
int fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, int max);

#endif
