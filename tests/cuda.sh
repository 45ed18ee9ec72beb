# cuda.sh - the CUDA backend from the command line: what `syno --version`
# says about NVRTC and the driver (and why one is missing: no library, the
# toolkit's stub, disabled), `syno run --backend cuda` failing clearly
# without a GPU, and `syno export --cuda` producing CUDA C that nvcc
# compiles as it is (where nvcc and a host C++ compiler exist).
. "${top_srcdir:-.}/tests/lib.sh"

BIND=N=2,C_in=8,C_out=8,H=6,W=6
STUB=${CUDA_HOME:-/usr/local/cuda}/lib64/stubs/libcuda.so

# --version: one NVRTC line and one driver line.
$SYNO --version >"$TMP/v" 2>&1
if grep -q '^nvrtc: [0-9]*\.[0-9]* (' "$TMP/v" || grep -q '^no NVRTC: ' "$TMP/v"; then
  ok "--version says which NVRTC was found, or why none"
else not_ok "--version NVRTC line"; diag <"$TMP/v"; fi
if grep -q '^cuda driver: [0-9]*\.[0-9]* (' "$TMP/v" || grep -qE '^no (usable )?CUDA (driver|device)' "$TMP/v"; then
  ok "--version says which driver was found, or why none"
else not_ok "--version driver line"; diag <"$TMP/v"; fi

SYNO_CUDA_LIBRARY=/nonexistent/libcuda.so.1 $SYNO --version >"$TMP/v" 2>&1
grep -q '^no CUDA driver: /nonexistent/libcuda.so.1: cannot open shared object file' "$TMP/v" &&
  ok "a driver library that is not there: dlopen's reason" || { not_ok "missing driver library"; diag <"$TMP/v"; }

if [ -f "$STUB" ]; then
  SYNO_CUDA_LIBRARY=$STUB $SYNO --version >"$TMP/v" 2>&1
  grep -q "stub library (cuInit: CUDA_ERROR_STUB_LIBRARY (34)); no NVIDIA driver is installed" "$TMP/v" &&
    ok "the toolkit's stub driver: recognised and named" || { not_ok "stub driver"; diag <"$TMP/v"; }
  SYNO_CUDA_LIBRARY=$STUB $SYNO run conv2d --bind $BIND --backend cuda >"$TMP/out" 2>&1
  st=$?
  if [ $st = 1 ] && grep -q "backend cuda: .*stub library" "$TMP/out"; then
    ok "run --backend cuda on the stub driver: exit 1 and why"
  else not_ok "run on the stub driver (exit $st)"; diag <"$TMP/out"; fi
else
  skip "no stub driver at $STUB"
  skip "no stub driver at $STUB"
fi

SYNO_NVRTC_LIBRARY=none $SYNO --version >"$TMP/v" 2>&1
grep -q '^no NVRTC: disabled by SYNO_NVRTC_LIBRARY=none' "$TMP/v" &&
  ok "SYNO_NVRTC_LIBRARY=none disables NVRTC and says so" || { not_ok "NVRTC disabled"; diag <"$TMP/v"; }
SYNO_NVRTC_LIBRARY=/nonexistent/libnvrtc.so $SYNO --version >"$TMP/v" 2>&1
grep -q '^no NVRTC: /nonexistent/libnvrtc.so: cannot open' "$TMP/v" &&
  ok "an NVRTC library that is not there: dlopen's reason" || { not_ok "missing NVRTC"; diag <"$TMP/v"; }

# Without a GPU, run --backend cuda fails with the reason and exit 1.
if $SYNO --version | grep -q '^cuda driver: '; then
  skip "a CUDA driver is present (the GPU tests cover this machine)"
else
  $SYNO run conv2d --bind $BIND --backend cuda >"$TMP/out" 2>&1
  st=$?
  if [ $st = 1 ] && grep -qE "error: backend cuda: no (usable )?CUDA (driver|device)" "$TMP/out"; then
    ok "run --backend cuda without a GPU: exit 1 and why"
  else not_ok "run without a GPU (exit $st)"; diag <"$TMP/out"; fi
fi

# export --cuda
expect_status "export --cuda needs --bind" 2 $SYNO export --cuda conv2d
expect_status "export --cuda with sizes that do not divide: exit 1" 1 $SYNO export --cuda group_conv2d --bind N=2,C_in=7,C_out=8,H=6,W=6,g=2
if $SYNO export --cuda syno_op1 --bind N=2,C_in=16,C_out=16,H=6,W=6,g=2 >"$TMP/op1.cu" 2>"$TMP/err"; then
  ok "export --cuda syno_op1"
else not_ok "export --cuda syno_op1"; diag <"$TMP/err"; fi
n=$(grep -c '^SYNO_KERNEL void' "$TMP/op1.cu")
[ "$n" -ge 4 ] && ok "it has the kernels of the forward pass and the three gradients ($n)" || not_ok "kernels: $n"
for f in syno_op1_forward syno_op1_backward_x syno_op1_backward_A syno_op1_backward_B; do
  grep -q "^extern \"C\" cudaError_t $f(" "$TMP/op1.cu" || { not_ok "host function $f"; continue; }
  ok "host function $f"
done
grep -q '#include' "$TMP/op1.cu" && ! grep -v cuda_runtime.h "$TMP/op1.cu" | grep -q '#include' &&
  ok "no #include but the host part's cuda_runtime.h" || not_ok "self-contained"
$SYNO export --cuda syno_op1 --bind N=2,C_in=16,C_out=16,H=6,W=6,g=2 >"$TMP/again.cu" 2>&1
cmp -s "$TMP/op1.cu" "$TMP/again.cu" && ok "the text is deterministic" || not_ok "deterministic"

NVCC=${CUDA_HOME:-/usr/local/cuda}/bin/nvcc
if [ -x "$NVCC" ] && command -v g++ >/dev/null 2>&1; then
  if "$NVCC" -c -arch=sm_90 -Werror all-warnings -o "$TMP/op1.o" "$TMP/op1.cu" >"$TMP/nvcc" 2>&1; then
    ok "nvcc -c -arch=sm_90 compiles the export as it is, without a warning"
  else not_ok "nvcc compiles the export"; diag <"$TMP/nvcc"; fi
else
  skip "no nvcc or no g++ (nvcc's host compiler)"
fi
done_testing
