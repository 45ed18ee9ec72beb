#!/bin/sh
# report.sh - `syno report`: the page of a small search (tests/search/
# report.syno with an evaluator that makes up accuracies and fails some
# candidates) is well-formed XML (xmllint) and well-nested HTML (Python's
# html.parser, tests/report_check.py), holds every candidate's hash, its
# plots have one point per successful candidate (and per confirmation run),
# its graphs come from Graphviz (a note without it), its links reach the
# result files; stores that a search does not make (tests/report_db.c:
# markup and absurd numbers in every field, 3000 candidates, one, none, no
# accuracy, an older store, a running search) all render, a running one
# with --refresh until it stops; malformed, truncated and foreign files and
# bad command lines get clear errors; the store is not changed.
. "$top_srcdir/tests/lib.sh"
S=$SYNO
DB="$top_builddir/tests/report_db"
cd "$TMP" || exit 1
PY=$(command -v python3 || true)
XML=$(command -v xmllint || true)

# facts PAGE: what report_check.py reads in it (empty without Python)
facts() { if [ -n "$PY" ]; then "$PY" "$top_srcdir/tests/report_check.py" "$1"; else :; fi; }
fact() { grep "^$1 " "$2.facts" | cut -d' ' -f2-; } # fact KIND PAGE
# wellformed DESC PAGE: xmllint and html.parser find no error
wellformed() {
  facts "$2" >"$2.facts" 2>&1
  if [ -n "$XML" ] && ! xmllint --noout "$2" 2>"$2.xml"; then not_ok "$1: not well-formed XML"; head -5 "$2.xml" | diag
  elif grep -q "^error" "$2.facts" || { [ -n "$PY" ] && ! grep -q "^text" "$2.facts"; }; then
    not_ok "$1: the HTML parser objects"; head -5 "$2.facts" | diag
  else ok "$1 (well-formed${XML:+ XML (xmllint)}${PY:+ and well-nested HTML (html.parser)})"; fi
}

# 1. A small search with accuracies, failures and confirmations.
E='h={hash}; s={seed}; case $h in [23]*) echo "no luck for <b>$h</b> & co" >&2; exit 3;; esac; echo 0.$(( (0x$(echo $h | cut -c1-4) + s * 7) % 40 + 50 ))'
"$S" search "$top_srcdir/tests/search/report.syno" --db s.db --out ops --evaluator "$E" >search.txt 2>&1 ||
  { not_ok "the small search runs"; diag <search.txt; }
"$S" results s.db --top 1000 --json >s.json
cksum s.db >db.before
mkdir -p pages
"$S" report s.db -o pages/s.html >out.txt 2>&1
st=$?
[ $st = 0 ] && [ -s pages/s.html ] && [ ! -s out.txt ] && ok "report of a small search writes the page" ||
  { not_ok "report of a small search (exit $st)"; diag <out.txt; }
wellformed "the page of a small search" pages/s.html
nall=$(grep -c '"hash":' s.json); nok=$(grep -c '"status": "ok"' s.json); nfail=$((nall - nok))
missing=
for h in $(sed -n 's/^ *"hash": "\([0-9a-f]*\)".*/\1/p' s.json); do grep -q "$h" pages/s.html || missing="$missing $h"; done
[ "$nall" -ge 8 ] && [ "$nfail" -ge 1 ] && [ -z "$missing" ] &&
  ok "every candidate's hash is on the page ($nall candidates, $nfail failed)" ||
  not_ok "hashes on the page ($nall candidates, $nfail failed; missing:$missing)"
cmp -s db.before "$(cksum s.db >db.after; echo db.after)" && ok "the store is not changed by reading it" ||
  not_ok "the store changed"
if [ -n "$PY" ]; then
  f=pages/s.html
  [ "$(fact plot $f | grep '^plot-flops ')" = "plot-flops $nok $nok" ] &&
    [ "$(fact plot $f | grep '^plot-history ')" = "plot-history $nok $nok" ] &&
    ok "the accuracy-FLOPs and history plots have a point per successful candidate ($nok)" ||
    { not_ok "points of the plots (want $nok)"; fact plot $f | diag; }
  # confirmation runs: the 2 best and the baseline, 2 seeds each
  [ "$(fact plot $f | grep '^plot-confirmed ')" = "plot-confirmed 6 6" ] &&
    ok "the confirmation plot has a point per run (2 candidates and the baseline, 2 seeds each)" ||
    { not_ok "points of the confirmation plot"; fact plot $f | diag; }
  [ "$(fact rows $f)" = "$nall" ] && [ "$(fact scripts $f)" = 1 ] &&
    ok "the table has a row per candidate; one script on the page" ||
    not_ok "table rows $(fact rows $f) (want $nall), scripts $(fact scripts $f)"
  t=$(fact text $f)
  case $t in *"Search report"*"algorithm random, seed 7, 12 iterations"*"baseline conv2d"*"$nall evaluated: $nok ok, $nfail failed, 0 running; 2 confirmed"*"state finished"*"processor time"*"machine"*"$(uname -m)"*)
    ok "the header: spec, algorithm, seed, baseline, candidates, state, times, machine" ;;
  *) not_ok "the header"; echo "$t" | cut -c1-600 | diag ;; esac
  case $t in *"failed: accuracy: the evaluator command exited with status 3; its last error line: no luck for <b>"*"& co"*)
    ok "a failure's reason is shown as text (its markup escaped)" ;;
  *) not_ok "failure reason on the page" ;; esac
  grep -q 'no luck for &lt;b&gt;' pages/s.html && ! grep -q 'no luck for <b>' pages/s.html &&
    ok "the reason's markup is escaped in the source" || not_ok "the reason's markup is escaped in the source"
  # links to the result files resolve from the page's directory
  bad= n=0
  for h in $(fact href $f | grep '\.syno$'); do
    n=$((n + 1)); [ -f "pages/$h" ] || bad="$bad $h"
  done
  [ "$n" -ge 1 ] && [ -z "$bad" ] && ok "its $n links to result files resolve relative to the page" ||
    not_ok "links to result files ($n;$bad)"
  nsec=$(fact sections $f)
  if command -v dot >/dev/null 2>&1; then
    [ "$nsec" -ge 1 ] && [ "$(fact graphs $f)" = "$nsec" ] &&
      ok "every operator's section ($nsec) has its graph drawn by Graphviz" ||
      not_ok "graphs: $(fact graphs $f) for $nsec sections"
  else
    skip "Graphviz's dot is not installed (apt-get install graphviz)"
  fi
  case $t in *"Explained under layer l1"*"Canonical form"*"Path in the search space"*) ok "sections: explain under the first layer, canonical form, path" ;;
  *) not_ok "operator sections" ;; esac
else
  for i in 1 2 3 4 5 6 7 8 9 10; do skip "python3 is not installed: the page's structure is not read"; done
fi
PATH=/nonexistent "$S" report s.db -o nodot.html --operators 2 >out.txt 2>&1
[ $? = 0 ] && [ "$(grep -c "<code>dot</code> is not installed" nodot.html)" = 2 ] &&
  ok "without Graphviz each section says so (--operators 2: two sections)" || { not_ok "report without dot"; diag <out.txt; }
"$S" report s.db >stdout.html 2>out.txt && [ "$(grep -c '<tr id="row-' stdout.html)" = "$nall" ] &&
  ok "without -o the page goes to standard output" || { not_ok "report to standard output"; diag <out.txt; }

# 2. Stores no search makes.  The hostile store names a result file
# 'javascript:alert(1)': made here, so that it gets a link.
: >'javascript:alert(1)'
for what in hostile many one noacc empty old; do
  "$DB" $what $what.db >db.txt 2>&1 || { not_ok "report_db $what"; diag <db.txt; continue; }
  cksum $what.db >$what.before
  "$S" report $what.db -o $what.html --operators 3 >out.txt 2>&1
  st=$?
  [ $st = 0 ] && ok "report of the $what store (exit 0)" || { not_ok "report of the $what store (exit $st)"; diag <out.txt; }
  wellformed "the page of the $what store" $what.html
done
cksum hostile.db | cmp -s - hostile.before && ok "the hostile store is not changed" || not_ok "the hostile store changed"
# hostile: our one script, no other markup, no link with a scheme
n=$(grep -c '<script' hostile.html)
if [ "$n" = 1 ] && ! grep -qi 'href="javascript:' hostile.html && grep -q 'href="javascript%3Aalert%281%29"' hostile.html &&
   ! grep -q '<b>x' hostile.html && grep -q '&lt;script&gt;alert(1)' hostile.html; then
  ok "markup from the store is escaped: one script element (the page's); a file named javascript:alert(1) is a relative link"
else not_ok "hostile store: $n script elements"; grep -n 'script\|javascript' hostile.html | head -5 | diag; fi
if [ -n "$PY" ]; then
  fact href hostile.html | grep -vq '^#\|^[a-zA-Z0-9._/%~-]*$\|^file:///' &&
    { not_ok "every link is a fragment, a relative path or a file: URL"; fact href hostile.html | diag; } ||
    ok "every link is a fragment, a relative path or a file: URL"
  [ "$(fact plot many.html | grep '^plot-flops ')" = "plot-flops 2000 2000" ] && [ "$(fact rows many.html)" = 3000 ] &&
    [ "$(fact sections many.html)" = 3 ] &&
    ok "3000 candidates: 2000 points (1000 failed), 3000 rows, 3 sections (--operators 3)" ||
    { not_ok "3000 candidates"; grep -v '^href\|^text' many.html.facts | diag; }
  [ "$(fact plot one.html | grep '^plot-flops ')" = "plot-flops 1 1" ] && ok "one candidate: one point" ||
    { not_ok "one candidate"; grep '^plot' one.html.facts | diag; }
  fact plot noacc.html | grep -q '^plot-latency 5 5' && fact text noacc.html | grep -q 'Reward against FLOPs' &&
    ok "no accuracy: the reward is plotted, against FLOPs and against latency" ||
    { not_ok "no accuracy"; grep '^plot' noacc.html.facts | diag; }
  fact text empty.html | grep -q 'No candidate has been evaluated yet' && ok "an empty search says so" ||
    not_ok "an empty search"
  fact text old.html | grep -q 'state not recorded (a store written by an older syno)' &&
    ok "an older store: the state is not recorded" || not_ok "an older store"
else
  for i in 1 2 3 4 5 6; do skip "python3 is not installed"; done
fi

# 3. A running search, and --refresh until it stops.
"$DB" running run.db >ready.txt 2>&1 &
runner=$!
for i in $(seq 1 200); do grep -q ready ready.txt && break; sleep 0.05; done
"$S" report run.db -o run.html >out.txt 2>&1
grep -q '<strong>running</strong> (searching; process' run.html && grep -q '2 evaluated: 2 ok, 0 failed, 3 running' run.html &&
  ! grep -q 'http-equiv="refresh"' run.html &&
  ok "a running search: 'running', its process and the evaluations under way; no reload without --refresh" ||
  { not_ok "a running search"; grep -n 'state\|evaluated' run.html | diag; diag <out.txt; }
"$S" report run.db -o live.html --refresh 1 >live.txt 2>&1 &
reporter=$!
for i in $(seq 1 400); do [ -f live.html ] && break; sleep 0.05; done
grep -q 'http-equiv="refresh" content="1"' live.html && ok "--refresh 1: the page reloads itself while the search runs" ||
  not_ok "--refresh: no reload in the page"
kill $runner; wait $runner 2>/dev/null
for i in $(seq 1 600); do kill -0 $reporter 2>/dev/null || break; sleep 0.1; done
if kill -0 $reporter 2>/dev/null; then kill $reporter; not_ok "--refresh returns when the search stops"
else
  wait $reporter; st=$?
  [ $st = 0 ] && ! grep -q 'http-equiv' live.html && grep -q '<strong>stopped</strong>' live.html &&
    ok "--refresh returns when the search stops, leaving a page without the reload that says 'stopped'" ||
    { not_ok "--refresh after the search stopped (exit $st)"; diag <live.txt; }
fi

# 4. Bad input and bad command lines.
"$DB" notstore other.db
cksum other.db >other.before
expect_status "an SQLite file of something else is an input error" 1 "$S" report other.db
grep -q "is not a results store of syno search" "$TMP/out" && cksum other.db | cmp -s - other.before &&
  ok "... which says so and is left unchanged" || { not_ok "a foreign SQLite file"; diag <"$TMP/out"; }
: >empty.db
expect_status "an empty file is an input error" 1 "$S" report empty.db
head -c 5000 /dev/urandom >random.db
expect_status "random bytes are an input error" 1 "$S" report random.db
for n in 100 4096 12288 20480; do
  head -c $n s.db >trunc.db
  "$S" report trunc.db >trunc.html 2>trunc.err; st=$?
  [ $st = 1 ] && grep -q "malformed\|not a database\|not a results store" trunc.err ||
    { not_ok "a store truncated to $n bytes (exit $st)"; diag <trunc.err; continue; }
done
ok "stores truncated to 100, 4096, 12288 and 20480 bytes are input errors that say the file is malformed"
expect_status "a missing store is an input error" 1 "$S" report none.db
expect_status "a directory is an input error" 1 "$S" report "$TMP"
expect_status "an unwritable page is an input error" 1 "$S" report s.db -o "$TMP/no/such/dir/x.html"
expect_status "no DB is a usage error" 2 "$S" report
expect_status "two DBs are a usage error" 2 "$S" report s.db s.db
expect_status "--refresh 0 is a usage error" 2 "$S" report s.db -o x.html --refresh 0
expect_status "--refresh without -o is a usage error" 2 "$S" report s.db --refresh 5
expect_status "--operators x is a usage error" 2 "$S" report s.db --operators x
expect_status "an unknown option is a usage error" 2 "$S" report s.db --pdf
done_testing
