#!/bin/sh
# report_browser.sh - `syno report` in a real browser: headless Chromium
# (Debian's chromium) loads the report of the bundled demo's search and
# the test reads the page's text through the DOM (--dump-dom, after the
# page's script ran: the table sorted by the column named in the URL) and
# checks two screenshots, in the light and the dark scheme, for what they
# show (tests/png_colours.py: the background, the plot colours, distinct
# colours).  The demo's search (examples/fmnist-conv.syno, `make demo`)
# takes minutes; this test searches the same space, 6 candidates in the
# exhaustive order, with an external evaluator that makes their accuracies
# up, and confirms the best as the spec says.  When `make demo` has been
# run, its own report is loaded too.  Skipped when Chromium is not
# installed or cannot run here.
. "$top_srcdir/tests/lib.sh"
cd "$TMP" || exit 1
CHROME=
for c in chromium chromium-browser google-chrome; do command -v $c >/dev/null 2>&1 && { CHROME=$c; break; }; done
[ -n "$CHROME" ] || { skip "Chromium is not installed (Debian: apt-get install chromium)"; done_testing; }
PY=$(command -v python3 || true)
[ -n "$PY" ] || { skip "python3 is not installed: the page cannot be read"; done_testing; }
# browser ARGS...: headless, as root, offline, a fresh profile each time
n=0
browser() {
  n=$((n + 1))
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --user-data-dir="$TMP/profile$n" "$@" 2>>"$TMP/chrome.log"
}
if ! browser --dump-dom "data:text/html,<p>hello</p>" >probe.html || ! grep -q hello probe.html; then
  skip "Chromium cannot run here: $(grep -v '^$' chrome.log | tail -1)"
  done_testing
fi

E='h={hash}; s={seed}; echo 0.$(( (0x$(echo $h | cut -c1-4) + s * 7) % 30 + 60 ))'
"$SYNO" search "$top_srcdir/examples/fmnist-conv.syno" --algorithm exhaustive --iterations 6 --db demo.db \
  --out operators --evaluator "$E" >search.txt 2>&1 || { not_ok "the stand-in search runs"; diag <search.txt; }
"$SYNO" report demo.db -o report.html >out.txt 2>&1 && ok "syno report writes the page of the search" ||
  { not_ok "syno report"; diag <out.txt; }
hashes=$("$SYNO" results demo.db --top 100 --json | sed -n 's/^ *"hash": "\([0-9a-f]*\)".*/\1/p')
nall=$(echo "$hashes" | wc -l)

# The DOM after the script ran, the table sorted by accuracy, best first.
browser --dump-dom "file://$TMP/report.html#sort=accuracy-desc" >dom.html
"$PY" "$top_srcdir/tests/report_check.py" dom.html --column accuracy >dom.facts 2>&1
text=$(sed -n 's/^text //p' dom.facts)
case $text in *"Search fmnist_conv"*"algorithm exhaustive, seed 42"*"baseline conv2d"*"$nall evaluated: $nall ok, 0 failed, 0 running; 4 confirmed"*"state finished"*"Accuracy against FLOPs"*"Best reward so far"*"Confirmed accuracy"*"Candidates"*"Operators"*)
  ok "the browser's DOM has the header, the plots' captions, the table and the operators" ;;
*) not_ok "the page's text in the browser"; echo "$text" | cut -c1-800 | diag ;; esac
missing=
for h in $hashes; do grep -q "$h" dom.html || missing="$missing $h"; done
[ "$nall" -ge 6 ] && [ -z "$missing" ] && ok "every candidate's hash is in the DOM ($nall)" || not_ok "hashes in the DOM:$missing"
grep -q '<html[^>]*class="[^"]*js' dom.html && grep -q '<th[^>]*><button type="button">' dom.html &&
  ok "the page's script ran: the column headings became buttons" || not_ok "the script did not run"
vals=$(sed -n 's/^column accuracy //p' dom.facts)
sorted=$(for v in $vals; do echo "$v"; done | sort -gr | tr '\n' ' ')
[ "$(grep '^sorted ' dom.facts)" = "sorted accuracy descending" ] && [ "$(echo $vals) " = "$sorted" ] && [ -n "$vals" ] &&
  ok "#sort=accuracy-desc sorts the table by accuracy, best first, and marks the column" ||
  { not_ok "sorting in the browser"; grep '^column\|^sorted' dom.facts | diag; }

# Screenshots: light and dark.
browser --screenshot="$TMP/light.png" --window-size=1000,1400 "file://$TMP/report.html" >/dev/null
browser --force-dark-mode --screenshot="$TMP/dark.png" --window-size=1000,1400 "file://$TMP/report.html" >/dev/null
for scheme in light dark; do
  if [ ! -s $scheme.png ]; then not_ok "a $scheme screenshot"; diag <chrome.log; continue; fi
  "$PY" "$top_srcdir/tests/png_colours.py" $scheme.png --at 4,4 --count c62828 --count ff7b72 --count 1e8e3e \
    --count 7ee787 >$scheme.facts 2>&1 || { not_ok "reading the $scheme screenshot"; diag <$scheme.facts; }
done
get() { sed -n "s/^$1 //p" "$2.facts"; }
bg=$(get "pixel 4 4" light); col=$(get colours light); red=$(get "count c62828" light); green=$(get "count 1e8e3e" light)
[ "$bg" = ffffff ] && [ "${col:-0}" -ge 64 ] && [ "${red:-0}" -ge 50 ] && [ "${green:-0}" -ge 20 ] &&
  [ "$(get dark light)" -ge 5000 ] &&
  ok "the light screenshot is not blank: white page, dark text, the front's red and the baseline's green ($col colours)" ||
  { not_ok "the light screenshot"; diag <light.facts; }
bg=$(get "pixel 4 4" dark); col=$(get colours dark); red=$(get "count ff7b72" dark); green=$(get "count 7ee787" dark)
[ "$bg" = 16181c ] && [ "${col:-0}" -ge 64 ] && [ "${red:-0}" -ge 50 ] && [ "${green:-0}" -ge 20 ] &&
  [ "$(get light dark)" -ge 5000 ] &&
  ok "the dark scheme: dark page, light text, the dark scheme's plot colours ($col colours)" ||
  { not_ok "the dark screenshot"; diag <dark.facts; }

DEMO="$top_builddir/demo-results/results.db"
if [ -f "$DEMO" ]; then
  "$SYNO" report "$DEMO" -o demo.html >out.txt 2>&1 && browser --dump-dom "file://$TMP/demo.html" >demo-dom.html &&
    grep -q "Search fmnist_conv" demo-dom.html && grep -q 'Confirmed accuracy' demo-dom.html &&
    ok "the report of make demo's own results loads in the browser" || { not_ok "the report of make demo's results"; diag <out.txt; }
else
  skip "no $DEMO (run make demo to check its report too)"
fi
done_testing
