/* cuda_cache.h - the kernel cache: compiled kernels (and tuning choices) in
 * memory and on disk.
 *
 * An entry is a blob under a key string.  For kernels the key holds
 * everything the code depends on: a format version, NVRTC's version, the
 * target (sm_90 / compute_90), the compile options, and the complete kernel
 * source (which spells out every size, since kernels are specialised to a
 * binding; it also embeds the operator's text).  The file name is a 64-bit
 * hash of the key, and the file stores the key itself, so a hash collision
 * reads as a miss, never as a wrong kernel.
 *
 * Disk layout: $SYNO_CACHE_DIR/cuda/, or $XDG_CACHE_HOME/syno/cuda/, or
 * ~/.cache/syno/cuda/ (SYNO_CACHE_DIR=none: memory only).  Each entry is
 * one file, written to a temporary file in the same directory and renamed
 * into place, so a reader sees a whole entry or none, and two processes
 * sharing the directory at worst both compile the same kernel.  Every read
 * checks a magic number, the lengths, the stored key and a checksum; a
 * corrupt entry is removed and treated as a miss.  Failing to write is not
 * an error (the cache is only a cache): it is counted in the statistics. */
#ifndef SYNO_CUDA_CACHE_H
#define SYNO_CUDA_CACHE_H

#include "codegen/cuda_jit.h"

#include <stdint.h>

typedef struct syno_cuda_cache syno_cuda_cache;

typedef struct syno_cuda_cache_stats {
    long mem_hits, disk_hits, misses; /* lookups */
    long stores, store_failures;      /* disk writes */
    long corrupt;                     /* entries found damaged and removed */
} syno_cuda_cache_stats;

/* How syno_cuda_cache_image found its image. */
typedef enum syno_cuda_cache_how { SYNO_CUDA_FROM_MEMORY, SYNO_CUDA_FROM_DISK, SYNO_CUDA_COMPILED } syno_cuda_cache_how;

/* Opens a cache over directory DIR, or the default directory above when
 * DIR is NULL; "none" keeps it in memory only.  The directory is created
 * when missing; when that fails the cache works in memory only (the reason
 * is in syno_cuda_cache_note).  Free with syno_cuda_cache_free.  Safe to
 * use from several threads. */
syno_cuda_cache *syno_cuda_cache_new(const char *dir);
void syno_cuda_cache_free(syno_cuda_cache *c);

/* The directory entries go to, or NULL when memory only. */
const char *syno_cuda_cache_dir(const syno_cuda_cache *c);

/* Why the disk cache is off, or "" when it is on. */
const char *syno_cuda_cache_note(const syno_cuda_cache *c);

/* Looks KEY up under KIND ("cubin", "ptx", "tune": the file extension):
 * memory first, then disk.  On a hit returns true and a malloc'ed copy of
 * the blob in *DATA (NUL-terminated past *SIZE; the caller frees it). */
bool syno_cuda_cache_get(syno_cuda_cache *c, const char *kind, const char *key, void **data, size_t *size);

/* Stores a copy of DATA (SIZE bytes) under KIND/KEY in memory and on disk. */
void syno_cuda_cache_put(syno_cuda_cache *c, const char *kind, const char *key, const void *data, size_t size);

/* The compiled image of SRC (NAME in messages) for a device of
 * architecture ARCH: from memory, from disk, or compiled with NVRTC (CUBIN
 * for sm_ARCH, or PTX as a fallback, see syno_cuda_jit_choose) and stored.
 * Fills *IMG (owned by the caller) and *HOW (may be NULL).  Fails like
 * syno_cuda_jit_compile, with the message in ERR. */
bool syno_cuda_cache_image(syno_cuda_cache *c, const char *src, const char *name, int arch, syno_cuda_image *img,
                           syno_cuda_cache_how *how, syno_buf *err);

/* Makes sure every one of the N sources SRCS is compiled for ARCH and in
 * C, compiling the missing ones on THREADS threads at once (<= 0: one per
 * online CPU; NVRTC programs are independent).  Returns how many failed,
 * with their errors appended to ERR.  Used before timing many kernels (the
 * tuner, the GPU tests, the benchmarks), where compiling one at a time
 * would dominate. */
int syno_cuda_cache_precompile(syno_cuda_cache *c, const char *const *srcs, int n, int arch, int threads,
                               syno_buf *err);

/* Counters since syno_cuda_cache_new. */
syno_cuda_cache_stats syno_cuda_cache_get_stats(syno_cuda_cache *c);

/* Drops the in-memory copies (the disk entries stay): the next lookups go
 * to disk, as in a fresh process.  For tests and the warm-load benchmark. */
void syno_cuda_cache_forget(syno_cuda_cache *c);

#endif
