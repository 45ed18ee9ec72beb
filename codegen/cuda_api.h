/* cuda_api.h - our own minimal declarations of the CUDA driver API and of
 * NVRTC, so that nothing needs cuda.h or nvrtc.h at build time.
 *
 * Both libraries are loaded at run time (cuda_load.c), so syno builds and
 * runs on machines without a GPU, without a driver and without the CUDA
 * toolkit; the CUDA backend then says why it is unavailable.  The names
 * carry a syno_ / SYNO_ prefix so that this header can sit next to the real
 * cuda.h in the drift test (tests/unit/t_cuda_api.c), which checks every
 * constant and every versioned symbol name below against the toolkit's own
 * headers whenever they exist.  Values are those of CUDA 13 (cuda.h
 * CUDA_VERSION 13000, nvrtc.h 13.0); they have been stable since CUDA 11. */
#ifndef SYNO_CUDA_API_H
#define SYNO_CUDA_API_H

#include <stddef.h>

/* ---- driver API ---------------------------------------------------------- */

typedef int syno_curesult;                       /* CUresult */
typedef int syno_cudevice;                       /* CUdevice */
typedef unsigned long long syno_cudeviceptr;     /* CUdeviceptr (64-bit) */
typedef struct syno_cuctx_st *syno_cucontext;    /* CUcontext */
typedef struct syno_cumod_st *syno_cumodule;     /* CUmodule */
typedef struct syno_cufunc_st *syno_cufunction;  /* CUfunction */
typedef struct syno_custream_st *syno_custream;  /* CUstream (NULL: default stream) */
typedef struct syno_cuevent_st *syno_cuevent;    /* CUevent */

/* CUresult values syno names in messages: SYNO_CU_ERROR(name, value).  The
 * stub library's cuGetErrorName does not fill in names (toolchain.md), so
 * cuda_load.c keeps its own table from this list. */
#define SYNO_CU_ERRORS(X)                        \
    X(CUDA_SUCCESS, 0)                           \
    X(CUDA_ERROR_INVALID_VALUE, 1)               \
    X(CUDA_ERROR_OUT_OF_MEMORY, 2)               \
    X(CUDA_ERROR_NOT_INITIALIZED, 3)             \
    X(CUDA_ERROR_DEINITIALIZED, 4)               \
    X(CUDA_ERROR_STUB_LIBRARY, 34)               \
    X(CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER, 36) \
    X(CUDA_ERROR_DEVICE_UNAVAILABLE, 46)         \
    X(CUDA_ERROR_NO_DEVICE, 100)                 \
    X(CUDA_ERROR_INVALID_DEVICE, 101)            \
    X(CUDA_ERROR_INVALID_IMAGE, 200)             \
    X(CUDA_ERROR_INVALID_CONTEXT, 201)           \
    X(CUDA_ERROR_NO_BINARY_FOR_GPU, 209)         \
    X(CUDA_ERROR_ECC_UNCORRECTABLE, 214)         \
    X(CUDA_ERROR_INVALID_PTX, 218)               \
    X(CUDA_ERROR_JIT_COMPILER_NOT_FOUND, 221)    \
    X(CUDA_ERROR_UNSUPPORTED_PTX_VERSION, 222)   \
    X(CUDA_ERROR_INVALID_SOURCE, 300)            \
    X(CUDA_ERROR_INVALID_HANDLE, 400)            \
    X(CUDA_ERROR_NOT_FOUND, 500)                 \
    X(CUDA_ERROR_NOT_READY, 600)                 \
    X(CUDA_ERROR_ILLEGAL_ADDRESS, 700)           \
    X(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, 701)   \
    X(CUDA_ERROR_LAUNCH_TIMEOUT, 702)            \
    X(CUDA_ERROR_ASSERT, 710)                    \
    X(CUDA_ERROR_HARDWARE_STACK_ERROR, 714)      \
    X(CUDA_ERROR_ILLEGAL_INSTRUCTION, 715)       \
    X(CUDA_ERROR_MISALIGNED_ADDRESS, 716)        \
    X(CUDA_ERROR_INVALID_ADDRESS_SPACE, 717)     \
    X(CUDA_ERROR_INVALID_PC, 718)                \
    X(CUDA_ERROR_LAUNCH_FAILED, 719)             \
    X(CUDA_ERROR_NOT_PERMITTED, 800)             \
    X(CUDA_ERROR_NOT_SUPPORTED, 801)             \
    X(CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, 803)    \
    X(CUDA_ERROR_UNKNOWN, 999)

enum {
#define SYNO_CU_ENUM_(name, value) SYNO_##name = value,
    SYNO_CU_ERRORS(SYNO_CU_ENUM_)
#undef SYNO_CU_ENUM_
};

/* CUdevice_attribute values used by syno. */
enum {
    SYNO_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    SYNO_CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    SYNO_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    SYNO_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    SYNO_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    SYNO_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};

/* CUfunction_attribute values used by syno. */
enum {
    SYNO_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    SYNO_CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    SYNO_CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    SYNO_CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    SYNO_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
};

/* CUjit_option values for cuModuleLoadDataEx. */
enum {
    SYNO_CU_JIT_INFO_LOG_BUFFER = 3,
    SYNO_CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    SYNO_CU_JIT_ERROR_LOG_BUFFER = 5,
    SYNO_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

enum { SYNO_CU_EVENT_DEFAULT = 0 };

/* ---- NVRTC --------------------------------------------------------------- */

typedef int syno_nvrtcresult;                      /* nvrtcResult */
typedef struct syno_nvrtcprog_st *syno_nvrtcprogram; /* nvrtcProgram */

enum {
    SYNO_NVRTC_SUCCESS = 0,
    SYNO_NVRTC_ERROR_OUT_OF_MEMORY = 1,
    SYNO_NVRTC_ERROR_INVALID_INPUT = 3,
    SYNO_NVRTC_ERROR_INVALID_OPTION = 5,
    SYNO_NVRTC_ERROR_COMPILATION = 6,
    SYNO_NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
};

#endif
