#!/bin/sh
# search_doc.sh - keeps doc/search.md true: it names every option of
# lang/spec_options.def, every rule of search/rules.def, every step of
# search/steps.def and every algorithm.
. "$top_srcdir/tests/lib.sh"
DOC="$top_srcdir/doc/search.md"
for o in $(sed -n 's/^SYNO_SPEC_OPT([A-Z_]*, *"\([a-z_]*\)".*/\1/p' "$top_srcdir/lang/spec_options.def"); do
  grep -qF "\`$o\`" "$DOC" && ok "search.md documents option $o" || not_ok "search.md documents option $o"
done
for r in $(sed -n 's/^SYNO_RULE([A-Z_]*, *"\([a-z-]*\)".*/\1/p' "$top_srcdir/search/rules.def"); do
  grep -qF "\`$r\`" "$DOC" && ok "search.md documents rule $r" || not_ok "search.md documents rule $r"
done
for s in $(sed -n 's/^SYNO_STEP([A-Z_]*, *"\([a-z]*\)".*/\1/p' "$top_srcdir/search/steps.def"); do
  grep -q "^| $s" "$DOC" && ok "search.md documents step $s" || not_ok "search.md documents step $s"
done
for a in mcts random beam exhaustive; do
  grep -q "^- \*\*$a\*\*" "$DOC" && ok "search.md documents algorithm $a" || not_ok "search.md documents algorithm $a"
done
done_testing
