# lib.sh - shared setup for the shell tests (sourced, not run).
#
# Tests print TAP: call `plan N` (or let `done_testing` print it), then
# `ok`/`not_ok`, or the helpers below.  Environment from `make check`:
# $SYNO (the binary), $top_srcdir, $top_builddir, $ACCEPT (1: rewrite goldens).
set -u
export LC_ALL=C
unset NO_COLOR
: "${SYNO:=${top_builddir:-.}/syno}"
: "${top_srcdir:=.}"
: "${ACCEPT:=}"
export SYNO_STDLIB="${SYNO_STDLIB:-$top_srcdir/stdlib}"
_tap_n=0
_tap_fail=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/syno-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

plan() { echo "1..$1"; _tap_planned=1; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
diag() { sed 's/^/# /'; }
done_testing() { [ -n "${_tap_planned:-}" ] || echo "1..$_tap_n"; exit 0; }

# check DESC CMD...: passes when CMD exits 0.
check() { local d=$1; shift; if "$@" >"$TMP/out" 2>&1; then ok "$d"; else not_ok "$d"; diag <"$TMP/out"; fi; }

# expect_status DESC STATUS CMD...: passes when CMD exits with STATUS.
expect_status() {
  local d=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>&1; local got=$?
  if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; diag <"$TMP/out"; fi
}

# golden DESC ACTUAL_FILE GOLDEN_FILE: compares; on mismatch leaves
# GOLDEN.actual (in the build tree) and prints the diff.  ACCEPT=1 rewrites.
golden() {
  local d=$1 actual=$2 want=$3
  if [ -n "$ACCEPT" ]; then cp "$actual" "$want"; ok "$d (accepted)"; return; fi
  if [ ! -f "$want" ]; then not_ok "$d: no golden file $want (run make check ACCEPT=1)"; return; fi
  if cmp -s "$actual" "$want"; then ok "$d"; return; fi
  local keep="$top_builddir/tests/$(basename "$want").actual"
  mkdir -p "$(dirname "$keep")"; cp "$actual" "$keep"
  not_ok "$d: output differs; see: diff -u $want $keep"
  diff -u "$want" "$actual" | head -40 | diag
}
