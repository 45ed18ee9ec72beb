#!/bin/sh
# search.sh - speed and memory of the synthesis engine on the reference
# implementation's sampler space (bench/kas-sampler.syno), on one core:
# exhaustive enumeration at depths 8 and 12 (CPU time, states, finals,
# peak memory, the share of candidates each rule removed) and random
# sampling (finals per second).  Prints figures; never passes or fails.
#   make check && sh bench/search.sh            (from the build directory)
# Environment: SEARCH_BENCH (the binary, default ./bench/search_bench),
# SPEC (default: the sampler space next to this script).
here=$(cd "$(dirname "$0")" && pwd)
bin=${SEARCH_BENCH:-./bench/search_bench}
spec=${SPEC:-$here/kas-sampler.syno}
pin=
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
echo "machine: $(uname -m), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')); one core used"
for d in 8 12; do
  $pin "$bin" "$spec" --depth $d --samples 0
done
$pin "$bin" "$spec" --depth 12 --samples 5000 | tail -1
