#!/bin/sh
# search_run.sh - `syno search` and `syno results` on a small space: every
# algorithm runs and records its candidates (no canonical hash twice); the
# operators it writes check, run under every layer (reference and CPU
# backends, --check) and hash back to their record; a seed fixes the
# candidates and their order, --jobs does not change them, and a resumed
# search retraces an uninterrupted one; a search killed with kill -9 loses
# no finished evaluation and resumes to its budget; and the errors.
. "$top_srcdir/tests/lib.sh"
SPEC="$top_srcdir/tests/search/run.syno"
cd "$TMP" || exit 1

hashes() { "$SYNO" results "$1" --top 1000 --json | sed -n 's/^ *"hash": "\([0-9a-f]*\)".*/\1/p'; }

for alg in mcts random beam exhaustive; do
  "$SYNO" search "$SPEC:quick" --algorithm $alg --iterations 8 --db "$alg.db" --out "out_$alg" >"$alg.txt" 2>&1
  st=$?
  n=$(hashes "$alg.db" | wc -l)
  u=$(hashes "$alg.db" | sort -u | wc -l)
  if [ $st = 0 ] && [ "$n" = 8 ] && [ "$u" = 8 ]; then ok "search --algorithm $alg evaluates 8 distinct candidates"
  else not_ok "search --algorithm $alg (exit $st, $n candidates, $u distinct)"; diag <"$alg.txt"; fi
done

# The files: check, run on both layers and both CPU backends, hash back.
"$SYNO" search "$SPEC:run" --db run.db --out files >run.txt 2>&1
st=$?
nfiles=$(ls files/*.syno 2>/dev/null | wc -l)
if [ $st = 0 ] && [ "$nfiles" -ge 1 ] && grep -q "12 candidates evaluated" run.txt; then
  ok "search with objective flops and latency writes $nfiles operators"
else not_ok "search with objective flops and latency (exit $st, $nfiles files)"; diag <run.txt; fi
bad=
for f in files/*.syno; do
  "$SYNO" check "$f" >/dev/null 2>&1 || bad="$bad check:$f"
  for l in l1 l2; do
    "$SYNO" run "$f" --bind $l --check >/dev/null 2>&1 || bad="$bad run-ref-$l:$f"
    "$SYNO" run "$f" --bind $l --backend cpu --check >/dev/null 2>&1 || bad="$bad run-cpu-$l:$f"
  done
  h=$(basename "$f" .syno | sed 's/op_//')
  full=$("$SYNO" canon --hash "$f" | cut -d' ' -f1)
  case $full in "$h"*) ;; *) bad="$bad hash:$f" ;; esac
  hashes run.db | grep -q "^$full\$" || bad="$bad unrecorded:$f"
done
[ -z "$bad" ] && ok "every written operator checks, runs under both layers (ref and cpu, --check) and hashes back to its record" ||
  not_ok "written operators:$bad"
grep -q "^# canonical hash" files/*.syno && grep -q "layer l2" files/*.syno && grep -q "the baseline conv2d" files/*.syno &&
  grep -q "^bind l1 {" files/*.syno && ok "written operators carry their metrics per layer, the baseline ratios and bind blocks" ||
  not_ok "written operators carry their metrics per layer, the baseline ratios and bind blocks"

"$SYNO" results run.db --json >j.txt 2>&1
if grep -q '"hash":' j.txt && grep -q '"file":' j.txt && grep -q '"flops":' j.txt && grep -q '"params":' j.txt &&
  grep -q '"latency":' j.txt && grep -q '"reward":' j.txt; then ok "results --json has hash, file, flops, params, latency and reward"
else not_ok "results --json"; diag <j.txt; fi
"$SYNO" results run.db --top 3 >t.txt 2>&1 && [ "$(grep -c '^  [0-9]' t.txt)" = 3 ] && ok "results --top 3 prints 3 rows" ||
  { not_ok "results --top 3"; diag <t.txt; }

# Determinism, --jobs, resume.
"$SYNO" search "$SPEC:quick" --algorithm mcts --iterations 10 --seed 3 --db a.db --out oa >/dev/null 2>&1
"$SYNO" search "$SPEC:quick" --algorithm mcts --iterations 10 --seed 3 --db b.db --out ob --jobs 2 >/dev/null 2>&1
"$SYNO" search "$SPEC:quick" --algorithm mcts --iterations 5 --seed 3 --db c.db --out oc >/dev/null 2>&1
"$SYNO" search "$SPEC:quick" --resume --iterations 10 --db c.db --out oc >/dev/null 2>&1
"$SYNO" search "$SPEC:quick" --algorithm mcts --iterations 10 --seed 4 --db d.db --out od >/dev/null 2>&1
sqlite_order() { "$SYNO" results "$1" --top 1000 --json | sed -n 's/^ *"iteration": \([0-9]*\).*/\1/p' >"$1.it"; hashes "$1" | paste "$1.it" - | sort -n; }
sqlite_order a.db >a.seq; sqlite_order b.db >b.seq; sqlite_order c.db >c.seq; sqlite_order d.db >d.seq
[ -s a.seq ] && cmp -s a.seq b.seq && ok "--jobs 2 evaluates the same candidates in the same order" || { not_ok "--jobs 2 changes the candidates"; diff a.seq b.seq | diag; }
cmp -s a.seq c.seq && ok "a resumed search retraces the uninterrupted one" || { not_ok "resume diverges"; diff a.seq c.seq | diag; }
cmp -s a.seq d.seq && not_ok "another seed gives other candidates" || ok "another seed gives other candidates"

# kill -9 in the middle of evaluations, then resume.
"$SYNO" search "$SPEC:big" --iterations 50 --db k.db --out ok_ >/dev/null 2>&1 &
pid=$!
n=0
for i in $(seq 1 600); do
  n=$("$SYNO" results k.db --top 1000 --json 2>/dev/null | grep -c '"hash":')
  [ "$n" -ge 3 ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
after=$("$SYNO" results k.db --top 1000 --json 2>/dev/null | grep -c '"hash":')
if [ "$n" -ge 3 ] && [ "$after" -ge "$n" ]; then ok "kill -9 keeps every finished evaluation ($after recorded, $n seen before the kill)"
else not_ok "kill -9 keeps every finished evaluation ($n before, $after after)"; fi
"$SYNO" search "$SPEC:big" --resume --db k.db --out ok_ >res.txt 2>&1
st=$?
total=$(hashes k.db | wc -l); uniq=$(hashes k.db | sort -u | wc -l)
# (a fast machine may finish before the kill: then the resume has nothing left to do)
{ [ "$total" -ge 50 ] || grep -q "exhausted" res.txt; } && [ $st = 0 ] && [ "$total" -ge "$after" ] &&
  [ "$total" = "$uniq" ] && ok "the killed search resumes to its budget (or the end of the space) without repeating ($total candidates)" ||
  { not_ok "resume after kill -9 (exit $st, $total candidates, $uniq distinct)"; diag <res.txt; }

# Errors.
expect_status "search without SPEC is a usage error" 2 "$SYNO" search
expect_status "an unknown algorithm is a usage error" 2 "$SYNO" search "$SPEC" --algorithm sa
expect_status "--resume without a store is an input error" 1 "$SYNO" search "$SPEC:quick" --resume --db none.db
"$SYNO" search "$SPEC:quick" --db a.db --out oa >e.txt 2>&1
st=$?
[ $st = 1 ] && grep -q "already holds a search" e.txt && ok "a new search refuses a store that holds one" ||
  { not_ok "a new search refuses a store that holds one (exit $st)"; diag <e.txt; }
sed 's/seed 7;/seed 8;/' "$SPEC" >changed.syno
"$SYNO" search changed.syno:quick --resume --db a.db --out oa >e.txt 2>&1
st=$?
[ $st = 1 ] && grep -q "spec file changed" e.txt && ok "resume refuses a changed spec" ||
  { not_ok "resume refuses a changed spec (exit $st)"; diag <e.txt; }
expect_status "results of a missing store is an input error" 1 "$SYNO" results none.db
if command -v flock >/dev/null 2>&1; then
  flock a.db-lock "$SYNO" search "$SPEC:quick" --resume --db a.db --out oa >e.txt 2>&1
  st=$?
  [ $st = 1 ] && grep -q "a.db is in use by another syno search" e.txt && ok "a store in use by another search is refused" ||
    { not_ok "a store in use by another search is refused (exit $st)"; diag <e.txt; }
else
  skip "flock(1) is not installed (util-linux)"
fi
done_testing
