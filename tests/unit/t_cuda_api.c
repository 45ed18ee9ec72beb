/* t_cuda_api.c - drift test: our own CUDA declarations (codegen/cuda_api.h,
 * codegen/cuda_fns.def) against the toolkit's real cuda.h and nvrtc.h.
 *
 * For every entry point, the versioned symbol we dlsym must be exactly what
 * cuda.h's macros turn the plain name into (cuMemAlloc -> cuMemAlloc_v2);
 * every constant we declare must equal the header's.  Where the headers are
 * missing (a build without the CUDA toolkit) the test skips. */
#include "codegen/cuda_api.h"
#include "base/base.h"

#include "tests/tap.h"

#if defined(__has_include)
#if __has_include(<cuda.h>) && __has_include(<nvrtc.h>)
#define HAVE_CUDA_HEADERS 1
#endif
#endif

#ifdef HAVE_CUDA_HEADERS
#include <cuda.h>
#include <nvrtc.h>

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct entry {
    const char *lib, *ours, *header, *plain;
} entry;

/* STR(name) expands cuda.h's macro for NAME first: the header's symbol. */
static const entry entries[] = {
#define SYNO_CUDA_FN(lib, ret, name, sym, alt, params) {#lib, sym, STR(name), STR_(name)},
#include "codegen/cuda_fns.def"
#undef SYNO_CUDA_FN
};

int main(void)
{
    for (size_t i = 0; i < SYNO_ARRAY_LEN(entries); i++)
        is_str(entries[i].ours, entries[i].header, "%s %s: exported symbol matches the CUDA %d header",
               entries[i].lib, entries[i].plain, CUDA_VERSION);
    int bad = 0;
#define CHECK_ERR(name, value) \
    if ((long long)SYNO_##name != (long long)name || (long long)name != (long long)value) { printf("# %s differs\n", #name); bad++; }
    SYNO_CU_ERRORS(CHECK_ERR)
#undef CHECK_ERR
    is_int(bad, 0, "every CUresult value we name equals cuda.h's");
#define SAME(ours, theirs) ok((long long)(ours) == (long long)(theirs), "%s == %s (%lld)", #ours, #theirs, (long long)(theirs))
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_WARP_SIZE, CU_DEVICE_ATTRIBUTE_WARP_SIZE);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR,
         CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR);
    SAME(SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    SAME(SYNO_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
    SAME(SYNO_CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES);
    SAME(SYNO_CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES);
    SAME(SYNO_CU_FUNC_ATTRIBUTE_NUM_REGS, CU_FUNC_ATTRIBUTE_NUM_REGS);
    SAME(SYNO_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
    SAME(SYNO_CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER);
    SAME(SYNO_CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES);
    SAME(SYNO_CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER);
    SAME(SYNO_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
    SAME(SYNO_CU_EVENT_DEFAULT, CU_EVENT_DEFAULT);
    SAME(SYNO_NVRTC_SUCCESS, NVRTC_SUCCESS);
    SAME(SYNO_NVRTC_ERROR_OUT_OF_MEMORY, NVRTC_ERROR_OUT_OF_MEMORY);
    SAME(SYNO_NVRTC_ERROR_INVALID_INPUT, NVRTC_ERROR_INVALID_INPUT);
    SAME(SYNO_NVRTC_ERROR_INVALID_OPTION, NVRTC_ERROR_INVALID_OPTION);
    SAME(SYNO_NVRTC_ERROR_COMPILATION, NVRTC_ERROR_COMPILATION);
    SAME(SYNO_NVRTC_ERROR_BUILTIN_OPERATION_FAILURE, NVRTC_ERROR_BUILTIN_OPERATION_FAILURE);
    SAME(sizeof(syno_cudeviceptr), sizeof(CUdeviceptr));
    SAME(sizeof(syno_curesult), sizeof(CUresult));
    SAME(sizeof(syno_cudevice), sizeof(CUdevice));
    SAME(sizeof(syno_nvrtcresult), sizeof(nvrtcResult));
#undef SAME
    return tap_done();
}
#else
int main(void)
{
    return skip_all("cuda.h/nvrtc.h not found at build time (configure without the CUDA toolkit)");
}
#endif
