/* cuda_exec.h - a GPU through the CUDA driver: device, memory, modules,
 * launches, timing, and errors that leave the process usable.
 *
 * A syno_cuda_dev holds the device's primary context (retained, never
 * created: cuCtxCreate is cuCtxCreate_v4 in CUDA 13) and makes it current
 * on the calling thread in every call, so any thread may use it.
 *
 * Errors are sentences for the user: what was attempted, the CUresult's
 * name and number and the driver's description ("cuMemAlloc of 96.0 GiB:
 * CUDA_ERROR_OUT_OF_MEMORY (2): out of memory").  Most leave the context
 * intact.  The errors that poison a context (an illegal address in a
 * kernel, a trap, a launch failure: CUDA calls them sticky) make the device
 * reset its primary context and start a new generation: the message says
 * so, every buffer and module of the old generation is invalid (using one
 * is an error, not a crash), and the next candidate of a search runs on a
 * clean context.  That is how a search survives a bad kernel.  The
 * generation is kept per GPU for the whole process, so every handle of a
 * GPU sees a reset made through another (and retains the new context). */
#ifndef SYNO_CUDA_EXEC_H
#define SYNO_CUDA_EXEC_H

#include "codegen/cuda_jit.h"
#include "codegen/cuda_load.h"

typedef struct syno_cuda_dev syno_cuda_dev;

typedef struct syno_cuda_dev_info {
    int ordinal;
    char name[256];
    int cc_major, cc_minor;
    int arch;              /* 10·major + minor: 90 for H100/H200 */
    int sms;               /* multiprocessors */
    size_t total_mem;
    int smem_block, smem_optin, smem_sm; /* shared memory per block (default, opt-in), per SM */
    int l2;                /* L2 bytes */
    int driver_version;    /* 13000 for 13.0 */
} syno_cuda_dev_info;

typedef struct syno_cuda_mem {
    syno_cudeviceptr ptr;
    size_t bytes;
    unsigned gen;          /* the context generation it belongs to */
} syno_cuda_mem;

typedef struct syno_cuda_module syno_cuda_module;

/* Opens GPU ORDINAL (0 = the first): loads the driver if needed, retains
 * the primary context, reads the device's properties.  Returns NULL with
 * the reason in ERR (no driver, the stub library, no device, ...). */
syno_cuda_dev *syno_cuda_dev_open(int ordinal, syno_buf *err);

/* Releases the primary context.  Buffers and modules must be freed first. */
void syno_cuda_dev_close(syno_cuda_dev *d);

const syno_cuda_dev_info *syno_cuda_dev_get_info(const syno_cuda_dev *d);

/* The context generation of D's GPU: it changes when a sticky error reset
 * the context (through any handle of that GPU in this process). */
unsigned syno_cuda_dev_generation(const syno_cuda_dev *d);

/* Device memory.  Each fails with a message in ERR and returns false; the
 * context survives (an allocation larger than free memory included).
 * A zero-byte allocation succeeds with a null pointer. */
bool syno_cuda_mem_alloc(syno_cuda_dev *d, size_t bytes, syno_cuda_mem *m, syno_buf *err);
void syno_cuda_mem_free(syno_cuda_dev *d, syno_cuda_mem *m);
bool syno_cuda_mem_upload(syno_cuda_dev *d, const syno_cuda_mem *m, const void *src, size_t bytes, syno_buf *err);
bool syno_cuda_mem_download(syno_cuda_dev *d, void *dst, const syno_cuda_mem *m, size_t bytes, syno_buf *err);

/* Loads a CUBIN or PTX image; NULL with the driver's JIT log in ERR when
 * the device rejects it. */
syno_cuda_module *syno_cuda_module_load(syno_cuda_dev *d, const syno_cuda_image *img, syno_buf *err);
void syno_cuda_module_unload(syno_cuda_dev *d, syno_cuda_module *m);

/* Kernel NAME of module M. */
bool syno_cuda_module_function(syno_cuda_dev *d, syno_cuda_module *m, const char *name, syno_cufunction *fn,
                               syno_buf *err);

/* Queues FN on the default stream; ARGS[i] points at parameter i.
 * Configuration errors are reported here; errors inside the kernel show
 * at the next syno_cuda_sync. */
bool syno_cuda_launch_kernel(syno_cuda_dev *d, syno_cufunction fn, const unsigned grid[3],
                             const unsigned block[3], unsigned shared_bytes, void **args, syno_buf *err);

/* Waits for the queued work; reports (and recovers from) kernel faults. */
bool syno_cuda_sync(syno_cuda_dev *d, syno_buf *err);

/* GPU-side timing of queued work: start, then stop returns milliseconds. */
typedef struct syno_cuda_timer {
    syno_cuevent start, stop;
    unsigned gen;
} syno_cuda_timer;
bool syno_cuda_timer_start(syno_cuda_dev *d, syno_cuda_timer *t, syno_buf *err);
bool syno_cuda_timer_stop(syno_cuda_dev *d, syno_cuda_timer *t, double *ms, syno_buf *err);

#endif
