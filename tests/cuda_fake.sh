# cuda_fake.sh - tests/unit/t_cuda_gpu against the fake driver
# (tests/unit/fake_cuda.c): every host-side path of the CUDA backend, with
# the kernels run by the CPU emulator, on machines without a GPU.  The
# same test runs against the real driver as tests/unit/t_cuda_gpu.
SYNO_TEST_FAKE_CUDA=1 exec "${top_builddir:-.}/tests/unit/t_cuda_gpu"
