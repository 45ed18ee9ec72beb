#!/bin/sh
# mpi.sh - how `syno search --mpi` scales on this machine, ranks
# oversubscribed: for P ranks (P - 1 workers) it runs the sampler space
# (bench/mpi-space.syno) twice,
#   trivial: FLOPs only, PER candidates per worker: candidates per second;
#   delay:   an --evaluator that sleeps T seconds, ROUNDS candidates per
#            worker: candidates per second against the ideal (P - 1) / T,
#            the parallel efficiency;
# and the coordinator's (rank 0's) CPU time per candidate, measured with
# the shell's `times` around rank 0 (user + system of the syno process),
# with the share the search itself reports for the algorithm's proposals
# (its "coordinator:" line: the random walks, finals and FLOPs window).
# Throughput is taken over the steady state: from the (P-1)-th recorded
# candidate to the last (the store's timestamps).  Then a cost model of the
# coordinator, fitted on two trivial runs of different lengths at P = 4:
# fixed cost + cost per candidate, and what that means for 1,000 workers
# whose evaluations take a minute.  Prints figures; never passes or fails.
#   sh ../bench/mpi.sh [P ...]          (from the build directory; default P: 2 4 8 16 32 64)
# Environment: SYNO (default ./syno), T (default 1), ROUNDS (default 5),
# PER (default 20), ALG (default random).
here=$(cd "$(dirname "$0")" && pwd)
SYNO=${SYNO:-./syno}
case $SYNO in /*) ;; *) SYNO="$(pwd)/$SYNO" ;; esac
T=${T:-1}
ROUNDS=${ROUNDS:-5}
PER=${PER:-20}
ALG=${ALG:-random}
SPEC=$here/mpi-space.syno
export SYNO_STDLIB="${SYNO_STDLIB:-$here/../stdlib}"
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ranks=${*:-2 4 8 16 32 64}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/syno-mpi-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# q DB SQL: rows of a query
q() { python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row)' "$1" "$2"; }

# run P SEARCH N DB [ARGS...]: the search over P ranks; prints rank 0's CPU seconds
run() {
  p=$1 search=$2 n=$3 db=$4
  shift 4
  mpirun --oversubscribe -n 1 sh -c '"$@" >"$0.out" 2>"$0.err"; times >"$0.cpu"' "$db" \
    "$SYNO" search "$SPEC:$search" --algorithm "$ALG" --iterations "$n" --db "$db" --out "$db.ops" --mpi "$@" : \
    -n $((p - 1)) "$SYNO" search "$SPEC:$search" --mpi "$@" >/dev/null 2>&1
  # the second line of `times`: user and system time of rank 0's syno
  sed -n 2p "$db.cpu" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } } END { printf "%.3f", s }'
}

# proposing DB: the coordinator's own figure of the algorithm's proposals, ms per candidate
proposing() {
  awk '/^coordinator: / { print $9; f = 1 } END { if (!f) print "-" }' "$1.out"
}

# rate DB W: candidates per second from the W-th recorded candidate to the last
rate() {
  q "$1" "SELECT created FROM candidates ORDER BY created" | awk -v w="$2" '
    { t[NR] = $1 } END { if (NR > w && t[NR] > t[w]) printf "%d %.2f %.2f", NR, t[NR] - t[w], (NR - w) / (t[NR] - t[w]); else print NR, "-", "-" }'
}

echo "machine: $(uname -m), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'))"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(mpirun --version 2>/dev/null | head -1); algorithm $ALG"
echo
echo "trivial evaluator (FLOPs only), $PER candidates per worker"
printf "%5s %8s %11s %9s %9s %13s %10s %10s\n" P workers candidates seconds "cand/s" "rank 0 CPU s" "ms/cand" "proposing"
for p in $ranks; do
  w=$((p - 1))
  cpu=$(run "$p" flops $((PER * w)) "t$p.db")
  set -- $(rate "t$p.db" "$w")
  awk -v p="$p" -v w="$w" -v n="$1" -v s="$2" -v r="$3" -v c="$cpu" -v g="$(proposing "t$p.db")" \
    'BEGIN { printf "%5d %8d %11d %9s %9s %13.3f %10.2f %10s\n", p, w, n, s, r, c, n ? 1000 * c / n : 0, g }'
done
echo
echo "fixed-delay evaluator (sleep $T s), $ROUNDS candidates per worker"
printf "%5s %8s %11s %9s %9s %9s %10s %13s %10s\n" P workers candidates seconds "cand/s" ideal efficiency "rank 0 CPU s" "ms/cand"
for p in $ranks; do
  w=$((p - 1))
  cpu=$(run "$p" delay $((ROUNDS * w)) "d$p.db" --evaluator "sleep $T; echo 0.5")
  set -- $(rate "d$p.db" "$w")
  awk -v p="$p" -v w="$w" -v n="$1" -v s="$2" -v r="$3" -v c="$cpu" -v t="$T" 'BEGIN {
    e = r == "-" ? "-" : sprintf("%.3f", r / (w / t))
    printf "%5d %8d %11d %9s %9s %9.2f %10s %13.3f %10.2f\n", p, w, n, s, r, w / t, e, c, n ? 1000 * c / n : 0 }'
done
echo
# the cost model: two trivial runs at P = 4
c1=$(run 4 flops 30 m1.db)
c2=$(run 4 flops 600 m2.db)
n1=$(q m1.db "SELECT count(*) FROM candidates")
n2=$(q m2.db "SELECT count(*) FROM candidates")
awk -v c1="$c1" -v c2="$c2" -v n1="$n1" -v n2="$n2" -v g="$(proposing m2.db)" 'BEGIN {
  b = (c2 - c1) / (n2 - n1); a = c1 - b * n1
  printf "coordinator cost model (P = 4, %d and %d candidates): %.3f s fixed + %.2f ms per candidate\n", n1, n2, a, 1000 * b
  printf "  of which the algorithm'"'"'s proposals (its own figure, %d candidates): %s ms per candidate\n", n2, g
  printf "1,000 workers, 60 s evaluations: %.1f candidates/s need %.1f%% of one core on rank 0\n", 1000 / 60, 100 * b * 1000 / 60
}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
