#!/bin/sh
# repl_tmux.sh - the REPL on a real terminal: the binary runs inside tmux (a
# private server per run, no user configuration), keys go in with send-keys
# and the screen comes back with capture-pane.  Checks a multi-line
# definition under the continuation prompt, an error with its underline,
# completion of a primitive and of a command, Ctrl-C cancelling a partly
# typed statement and stopping a long :run, Ctrl-D, and a multi-line
# history entry recalled after a restart.  Every wait polls the screen (at most 10 s), nothing is timed.
. "$top_srcdir/tests/lib.sh"
if ! command -v tmux >/dev/null 2>&1; then
  echo "1..0 # SKIP tmux is not installed (apt-get install tmux)"
  exit 0
fi
case $SYNO in /*) ;; *) SYNO="$(pwd)/$SYNO" ;; esac
case $SYNO_STDLIB in /*) ;; *) SYNO_STDLIB="$(pwd)/$SYNO_STDLIB" ;; esac
# the server's socket lives in the test's own directory, removed at exit
TMUX_TMPDIR=$TMP
export TMUX_TMPDIR
unset TMUX
T="tmux -L syno-test-$$ -f /dev/null"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
HIST="$TMP/state/history"
mkdir -p "$TMP/state"

start() {
  $T new-session -d -s main -x 120 -y 50 \
    "env SYNO_HISTORY='$HIST' SYNO_STDLIB='$SYNO_STDLIB' INPUTRC=/dev/null '$SYNO'" || return 1
}
screen() { $T capture-pane -p -t main 2>/dev/null; }
# last_line: the last line of the screen that is not blank
last_line() { screen | sed '/^ *$/d' | tail -n 1; }
# wait_for PATTERN: until a line of the screen matches (grep BRE)
wait_for() {
  i=0
  while [ $i -lt 100 ]; do
    screen | grep -q -- "$1" && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# wait_last PATTERN: until the last line matches, i.e. the REPL waits for input there
wait_last() {
  i=0
  while [ $i -lt 100 ]; do
    last_line | grep -q -- "$1" && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# send_line LINE: the line as literal keys, then Enter (tmux would take a
# trailing ';' for a command separator: escape it)
send_line() {
  s=$1
  case $s in *\;) s="${s%;}\\;" ;; esac
  $T send-keys -t main -l "$s" && $T send-keys -t main Enter
}
# expect DESC PATTERN: one test point, waiting for PATTERN on the screen
expect() {
  if wait_for "$2"; then ok "$1"; else not_ok "$1"; screen | diag; fi
}
gone() {
  i=0
  while [ $i -lt 100 ]; do
    $T has-session -t main 2>/dev/null || return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}

plan 16
start && wait_last '^syno>$' && ok "the REPL starts on a terminal and prompts" || { not_ok "the REPL starts"; screen | diag; }

# a multi-line definition
send_line 'size N, C;'
wait_last '^syno>$'
send_line 'op f(x[n: N, c: C]) -> [n] {'
if wait_last '^ \.\.\.>$'; then ok "an open statement continues under ' ...>'"; else not_ok "continuation prompt"; screen | diag; fi
send_line '    sum(c);'
wait_last '^ \.\.\.>$'
send_line '}'
expect "the finished statement is accepted" '^op f(x\[N, C\]) -> \[N\]$'
wait_last '^syno>$'

# an error and its underline
send_line 'op g(x[n: N]) -> [n] { sum(q); }'
expect "an error names the entry" "^<repl:3>:1:28: error: unknown dimension 'q'"
expect "and underlines the span" '^ \{31\}^$'
wait_last '^syno>$'

# completion of a primitive name, then Ctrl-C on the half-typed statement
send_line 'op h(x[n: N, c: C]) -> [n, c] {'
wait_last '^ \.\.\.>$'
$T send-keys -t main -l '    y = rev'
$T send-keys -t main Tab
if wait_last '^ \.\.\.>     y = reverse($'; then ok "Tab completes a primitive name and opens its call"; else not_ok "primitive completion"; screen | diag; fi
$T send-keys -t main C-c
if wait_last '^syno>$' && screen | grep -q 'y = reverse(^C$'; then ok "Ctrl-C cancels the statement and prompts afresh"; else not_ok "Ctrl-C"; screen | diag; fi
send_line ':list ops'
expect "the cancelled statement left nothing behind" '^op f(x\[N, C\]) -> \[N\]  (<repl:2>:1)$'
screen | grep -q '^op h' && not_ok "nothing of op h is defined" || ok "nothing of op h is defined"
wait_last '^syno>$'

# completion of a command
$T send-keys -t main ':expl' Tab
if wait_last '^syno> :explain$'; then ok "Tab completes a command"; else not_ok "command completion"; screen | diag; fi
send_line 'f'
expect ":explain runs" '^operator f  (<repl:[0-9]*>:1)$'
wait_last '^syno>$'

# Ctrl-C stops a long command, not the session (the reference evaluator on
# a convolution of 1.2e9 terms would take about a minute)
send_line ':bind N=8,C_in=64,C_out=64,H=64,W=64'
wait_last '^syno>$'
send_line ':run conv2d'
wait_for 'this may take a long time'
$T send-keys -t main C-c
if wait_last '^syno>$' && screen | grep -q '^interrupted$'; then ok "Ctrl-C stops a running command and the prompt returns"; else not_ok "Ctrl-C during :run"; screen | diag; fi
send_line ':unbind'
wait_last '^syno>$'

# a statement of two lines, then Ctrl-D; the history survives a restart
send_line 'size P,'
wait_last '^ \.\.\.>$'
send_line '    R;'
wait_last '^syno>$'
$T send-keys -t main C-d
if gone; then ok "Ctrl-D ends the session"; else not_ok "Ctrl-D"; screen | diag; fi
if [ -f "$HIST" ] && [ "$(stat -c %a "$HIST")" = 600 ]; then ok "the history file has mode 0600"; else not_ok "history file mode"; ls -l "$TMP/state" | diag; fi
start && wait_last '^syno>$'
$T send-keys -t main Up
wait_for '^    R;$'
$T send-keys -t main Enter
wait_last '^syno>$'
send_line ':list vars'
expect "a two-line entry is recalled as one after a restart" '^size P, R$'
$T send-keys -t main C-d
gone

# without SYNO_HISTORY the file goes to $XDG_STATE_HOME/syno/history
$T new-session -d -s main -x 120 -y 50 \
  "env -u SYNO_HISTORY XDG_STATE_HOME='$TMP/xdg' SYNO_STDLIB='$SYNO_STDLIB' INPUTRC=/dev/null '$SYNO'"
wait_last '^syno>$'
send_line ':list'
wait_for '^the session is empty'
$T send-keys -t main C-d
gone
if grep -q '^:list$' "$TMP/xdg/syno/history" 2>/dev/null && [ "$(stat -c %a "$TMP/xdg/syno/history")" = 600 ]; then
  ok "the history defaults to \$XDG_STATE_HOME/syno/history (created, mode 0600)"
else not_ok "XDG history"; ls -lR "$TMP/xdg" 2>&1 | diag; fi
done_testing
