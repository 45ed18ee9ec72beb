#!/bin/sh
# search_mpi.sh - `syno search --mpi` under a real MPI (Open MPI's mpirun,
# ranks oversubscribed on this machine): an exhaustive search evaluates
# exactly the candidates a local one does, with the same metrics; random
# and MCTS searches record every candidate once; every evaluation runs on a
# worker rank, the confirmation runs too; a candidate that crashes its
# evaluation is recorded as failed and the search finishes; kill -9 of
# mpirun in the middle, then --resume with another rank count, loses no
# finished evaluation, repeats none and evaluates the ones that were in
# flight; `syno report` on the stores of MPI searches shows the counts, the
# evaluations under way while the search runs, the state (running, stopped
# by the kill, finished) and a processor time that includes the workers'
# evaluations; the error handler prints one line; bad use gets a clear
# error.
# Skipped when syno was built without MPI or mpirun is missing.
. "$top_srcdir/tests/lib.sh"
SPEC="$top_srcdir/tests/search/mpi.syno"
cd "$TMP" || exit 1

if ! "$SYNO" --version | grep -q "features:.* mpi"; then
  skip "syno was built without MPI (apt-get install libopenmpi-dev openmpi-bin, then ./configure)"; done_testing
fi
if ! command -v mpirun >/dev/null 2>&1; then skip "mpirun is not installed (apt-get install openmpi-bin)"; done_testing; fi

# Open MPI refuses to run as root unless told; CI runs as root.  Only here.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Under the sanitizers: the memory MPI's own threads lose (tests/mpi.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top_srcdir/tests/mpi.supp:print_suppressions=0"
MPIRUN="mpirun --oversubscribe"

# q DB SQL: the rows of a query, fields separated by spaces.
q() { python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(*row)' "$1" "$2"; }
rows() { q "$1" "SELECT hash, status, flops, params, reward FROM candidates ORDER BY hash"; }

# ---- bad use -------------------------------------------------------------------
env -u OMPI_COMM_WORLD_SIZE -u PMI_SIZE -u PMI_RANK -u PMIX_RANK -u MPI_LOCALNRANKS -u SLURM_PROCID \
  "$SYNO" search "$SPEC:flops" --db u.db --mpi >o 2>&1; st=$?
[ $st = 2 ] && grep -q "not started by an MPI launcher; run it as 'mpirun -n P syno search SPEC --mpi'" o && [ ! -f u.db ] &&
  ok "--mpi without mpirun: a usage error that says how to launch it" || { not_ok "--mpi without mpirun (exit $st)"; diag <o; }
$MPIRUN -n 1 "$SYNO" search "$SPEC:flops" --db u.db --mpi >o 2>&1; st=$?
[ $st = 2 ] && grep -q "the job has 1 rank; a search needs at least 2" o && [ ! -f u.db ] &&
  ok "--mpi with one rank: a usage error" || { not_ok "--mpi with one rank (exit $st)"; diag <o; }

# a worker whose node lacks the standard library: the spec does not load there
$MPIRUN -n 1 "$SYNO" search "$SPEC:flops" --db w.db --mpi : -n 2 env SYNO_STDLIB=/nonexistent "$SYNO" search "$SPEC" --mpi \
  >o 2>&1; st=$?
[ $st = 1 ] && grep -q "^syno: error: MPI worker [12] (.*): the spec does not load here: .*unknown operator 'conv2d'" o &&
  ok "a worker where the spec does not load: one error naming the worker, its host and the reason; the job ends" ||
  { not_ok "a worker where the spec does not load (exit $st)"; diag <o; }

# ---- the same candidates as a local search -------------------------------------------
"$SYNO" search "$SPEC:flops" --algorithm exhaustive --iterations 100 --db local.db --out lo >o 2>&1 ||
  { not_ok "the local exhaustive search"; diag <o; }
$MPIRUN -n 4 "$SYNO" search "$SPEC:flops" --algorithm exhaustive --iterations 100 --db ex.db --out eo --mpi >ex.txt 2>&1
st=$?
rows local.db >local.rows; rows ex.db >ex.rows
n=$(wc -l <ex.rows)
[ $st = 0 ] && [ "$n" -gt 10 ] && cmp -s local.rows ex.rows && grep -q "the space is exhausted" ex.txt &&
  grep -q "^MPI: 3 workers on 1 node" ex.txt &&
  awk '/^coordinator: / { ok = $2 > 0 && $9 >= 0 && $9 <= $2 } END { exit !ok }' ex.txt &&
  ok "exhaustive over 3 workers: the $n candidates of the local search, each once, with the same metrics and rewards" ||
  { not_ok "exhaustive over MPI (exit $st, $n candidates)"; diff local.rows ex.rows | diag; diag <ex.txt; }
[ "$(q ex.db "SELECT count(*) FROM pending")" = 0 ] && ok "no candidate is left pending after a finished search" ||
  not_ok "no candidate is left pending after a finished search"

for alg in random mcts; do
  $MPIRUN -n 4 "$SYNO" search "$SPEC:flops" --algorithm $alg --seed 5 --iterations 10 --db $alg.db --out o_$alg --mpi \
    >$alg.txt 2>&1
  st=$?
  n=$(q $alg.db "SELECT count(*), count(DISTINCT hash) FROM candidates")
  [ $st = 0 ] && [ "$n" = "10 10" ] && ok "$alg with a seed over 3 workers records 10 candidates, each once" ||
    { not_ok "$alg over MPI (exit $st, candidates and distinct: $n)"; diag <$alg.txt; }
done

# ---- where evaluations run; a crash; confirmation -------------------------------------
# The command logs the hash, the seed, the MPI rank and the GPU of every
# evaluation; the first candidate's evaluation aborts (its process gets
# SIGABRT).  The node pretends to have two GPUs (CUDA_VISIBLE_DEVICES).
# Every other evaluation uses 0.15 s of processor time (BURN) before it
# answers.
BURN="python3 -c 'import time
while time.process_time() < 0.15: pass'"
E='echo {hash} {seed} $OMPI_COMM_WORLD_RANK $CUDA_VISIBLE_DEVICES >>'"$TMP"'/elog; if [ {hash} != 0000000000000001 ] && mkdir '"$TMP"'/crashed 2>/dev/null; then kill -ABRT $PPID; sleep 5; fi; '"$BURN"'; echo 0.5'
CUDA_VISIBLE_DEVICES=0,1 $MPIRUN -n 4 "$SYNO" search "$SPEC:acc" --db acc.db --out ao --mpi --evaluator "$E" >acc.txt 2>&1
st=$?
failed=$(q acc.db "SELECT count(*) FROM candidates WHERE status = 'failed' AND reason LIKE 'the evaluation crashed (signal 6%'")
total=$(q acc.db "SELECT count(*) FROM candidates")
[ $st = 0 ] && [ "$failed" = 1 ] && [ "$total" = 12 ] &&
  ! grep -q "Process received signal" acc.txt &&
  ok "a candidate whose evaluation crashes is recorded as failed, quietly; the search records its 12 candidates and ends" ||
  { not_ok "a crash in an evaluation (exit $st, $failed crashed, $total candidates)"; diag <acc.txt; }
ranks=$(awk '{ print $3 }' elog | sort -u | tr '\n' ' ')
runs=$(wc -l <elog)
# 1 baseline + 12 candidates + (2 best + baseline) x 2 seeds
[ "$runs" = 19 ] && [ "$(awk '$3 == 0' elog | wc -l)" = 0 ] && [ "$(awk '{ print $3 }' elog | sort -u | wc -l)" -ge 2 ] &&
  ok "all 19 evaluations ran on worker ranks ($ranks), none on rank 0" ||
  { not_ok "evaluations on the workers ($runs runs, ranks $ranks)"; diag <elog; }
[ "$(awk '$4 != ($3 - 1) % 2' elog | wc -l)" = 0 ] && grep -q "^MPI: 3 workers on 1 node (.*), .* per evaluation, 3 with a GPU$" acc.txt &&
  ok "on a node with GPUs 0 and 1, workers 1, 2 and 3 take GPUs 0, 1 and 0 (CUDA_VISIBLE_DEVICES)" ||
  { not_ok "GPU assignment"; diag <elog; diag <acc.txt; }
conf=$(awk '$2 != 1 { print $3 }' elog | sort -u | wc -l)
[ "$(q acc.db "SELECT count(*) FROM confirmations")" = 6 ] && [ "$conf" -ge 2 ] &&
  grep -q "^confirmed: the 2 best, trained again with seeds 2..3" acc.txt &&
  ok "the 6 confirmation runs are recorded, spread over $conf workers" ||
  { not_ok "confirmation over MPI ($conf ranks)"; diag <acc.txt; diag <elog; }
# syno report on the finished store: the counts and the state; the
# processor time counts the 18 evaluations that answered (0.15 s each at
# least) though they ran on the workers, not in rank 0 or its children
"$SYNO" report acc.db -o acc.html >o 2>&1; st=$?
cpu=$(q acc.db "SELECT value FROM meta WHERE key = 'cpu_seconds'" | awk '{ printf "%.2f", $1 }')
[ $st = 0 ] && grep -q "12 evaluated: 11 ok, 1 failed, 0 running; 2 confirmed" acc.html &&
  grep -q "<dt>state</dt><dd>finished" acc.html && [ "$(q acc.db "SELECT value FROM meta WHERE key = 'run_state'")" = finished ] &&
  awk -v c="$cpu" 'BEGIN { exit !(c >= 18 * 0.15) }' &&
  ok "syno report of the MPI search: 12 evaluated, 11 ok, 1 failed, none running, 2 confirmed, finished; processor time $cpu s with the workers' evaluations" ||
  { not_ok "syno report of the MPI search (exit $st, processor time $cpu s)"; grep -n "evaluated\|state" acc.html | diag; diag <o; }

# ---- kill -9 of mpirun, then --resume with another rank count ---------------------------
# The command logs the hash and seed of every evaluation as it starts, and
# takes a second: the ranks live on for a few seconds after mpirun dies,
# and the search must not reach its end meanwhile.
S='echo {hash} {seed} >>'"$TMP"'/klog; sleep 1; echo 0.5'
$MPIRUN -n 4 "$SYNO" search "$SPEC:acc" --iterations 100 --db k.db --out ko --mpi --evaluator "$S" >k1.txt 2>&1 &
mp=$!
n=0
for i in $(seq 1 600); do
  n=$(q k.db "SELECT count(*) FROM candidates" 2>/dev/null || echo 0)
  [ "$n" -ge 3 ] && break
  sleep 0.1
done
# while it runs, every worker is evaluating (the candidates are a second
# each), and syno report says so
"$SYNO" report k.db -o k1.html >o 2>&1; st=$?
[ $st = 0 ] && grep -q "<strong>running</strong> (searching; process" k1.html && grep -q " evaluated: .*, 3 running" k1.html &&
  ok "syno report of a running MPI search: searching, 3 evaluations under way (one per worker)" ||
  { not_ok "syno report of a running MPI search (exit $st)"; grep -n "evaluated\|state" k1.html | diag; diag <o; }
ranks=$(pgrep -P $mp)
kill -9 $mp
wait $mp 2>/dev/null
for i in $(seq 1 600); do # MPI ends the ranks of a job whose mpirun died; wait for that
  alive=
  for p in $ranks; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1
done
[ -n "$ranks" ] && [ -z "$alive" ] && ok "the ranks end after mpirun is killed" ||
  not_ok "ranks ($ranks) still running 60 s after mpirun was killed"
"$SYNO" report k.db -o k2.html >o 2>&1; st=$?
[ $st = 0 ] && grep -q "<strong>stopped</strong> before its end" k2.html && grep -q " evaluated: .*, 0 running" k2.html &&
  ok "syno report after the kill: stopped, nothing running" ||
  { not_ok "syno report after the kill (exit $st)"; grep -n "evaluated\|state" k2.html | diag; diag <o; }
q k.db "SELECT hash, created FROM candidates" | sort >before.rows
q k.db "SELECT hash FROM pending WHERE hash NOT IN (SELECT hash FROM candidates)" | sort >pending.txt
logged=$(wc -l <klog)
$MPIRUN -n 3 "$SYNO" search "$SPEC:acc" --resume --db k.db --out ko --mpi --evaluator "$S" >k2.txt 2>&1; st=$?
q k.db "SELECT hash, created FROM candidates" | sort >after.rows
q k.db "SELECT hash FROM candidates" | sort >after.hashes
# the evaluations of the resumed run with seed 1 (not confirmation runs)
tail -n +$((logged + 1)) klog | awk '$2 == 1 { print $1 }' | sort >resumed.txt
before=$(wc -l <before.rows)
lost=$(comm -23 before.rows after.rows | wc -l)
repeated=$(sed 's/ .*//' before.rows | comm -12 - resumed.txt | wc -l)
total=$(wc -l <after.hashes)
[ $st = 0 ] && [ "$before" -ge 3 ] && [ "$lost" = 0 ] && [ "$repeated" = 0 ] && ! grep -q '^0000000000000001$' resumed.txt &&
  [ "$total" = "$(sort -u after.hashes | wc -l)" ] && [ "$total" = "$(wc -l <local.rows)" ] &&
  ok "resumed with 2 workers instead of 3: the $before finished evaluations are kept, none is repeated, and the search ends with the whole space ($total candidates, each once)" ||
  { not_ok "resume after kill -9 (exit $st, $before before, $lost lost, $repeated repeated, $total after)"; diag <k1.txt; diag <k2.txt; }
npend=$(wc -l <pending.txt)
[ "$npend" -ge 1 ] && [ "$(comm -23 pending.txt after.hashes | wc -l)" = 0 ] &&
  [ "$(comm -12 pending.txt resumed.txt | wc -l)" = "$npend" ] &&
  ok "the $npend candidates in flight when mpirun was killed are evaluated on resume" ||
  { not_ok "candidates in flight at the kill ($npend) are evaluated on resume"; diag <pending.txt; }
"$SYNO" report k.db -o k3.html >o 2>&1; st=$?
[ $st = 0 ] && grep -q "$total evaluated: .*, 0 running" k3.html && grep -q "<dt>state</dt><dd>finished" k3.html &&
  ok "syno report after the resumed run: the $total candidates, finished" ||
  { not_ok "syno report after the resumed run (exit $st)"; grep -n "evaluated\|state" k3.html | diag; diag <o; }

# ---- the error handler ---------------------------------------------------------------
$MPIRUN -n 2 "$top_builddir/tests/mpi_errhandler" "$top_builddir/syno-mpi.so" >eh.txt 2>&1; st=$?
[ $st != 0 ] && grep -q "^syno: MPI failed on rank 0 (.*): MPI_ERR_RANK: invalid rank; ending the job$" eh.txt &&
  ok "an MPI error prints one line naming the rank, its host and the error, and ends the job" ||
  { not_ok "the MPI error handler (exit $st)"; diag <eh.txt; }
done_testing
