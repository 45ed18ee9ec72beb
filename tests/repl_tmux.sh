#!/bin/sh
# repl_tmux.sh - the REPL on a real terminal: the binary runs inside tmux (a
# private server per run, no user configuration), keys go in with send-keys
# and the screen comes back with capture-pane.  Checks a multi-line
# definition under the continuation prompt, an error with its underline,
# completion of a primitive and of a command, Ctrl-C cancelling a partly
# typed statement and stopping a long :run, Ctrl-D, a multi-line
# history entry recalled after a restart, the synthesis walk to conv2d
# (:spec, :next, :take, :back, :keep, :write) and Ctrl-C during :bench.  Every wait polls the screen (at most 10 s), nothing is timed.
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

plan 23
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

# the synthesis walk by hand: :spec, then each step of `syno reach`'s path
# to conv2d, its number read off the screen after :next by its text; a
# :back and the step again; :keep and :write; the file holds conv2d
CONV="$top_srcdir/tests/search/conv.syno"
case $CONV in /*) ;; *) CONV="$(pwd)/$CONV" ;; esac
"$SYNO" reach "$CONV" conv2d | sed -n 's/^ *[0-9]*\. //p' >"$TMP/path"
# everything the session printed, wrapped lines joined
scrollback() { $T capture-pane -p -J -t main -S - 2>/dev/null | sed '/^ *$/d'; }
# command LINE: sends LINE and waits for the prompt that follows its output
command() {
  before=$(scrollback | grep -c '^syno>')
  send_line "$1"
  i=0
  while [ $i -lt 100 ]; do
    [ "$(scrollback | grep -c '^syno>')" -gt "$before" ] && last_line | grep -q '^syno>$' && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# step_number STEP: the number of STEP in the output of the last :next
step_number() {
  scrollback | awk -v s="$1" '
    /^syno> :next$/ { n = "" }
    { t = $0; sub(/^ *[0-9]+\. /, "", t)
      if (t != $0 && index(t, s "  ") == 1) { x = $0; sub(/\..*/, "", x); gsub(/ /, "", x); n = x } }
    END { print n }'
}
# take STEP: :next, then :take the number it shows STEP with
take() {
  command ':next' || return 1
  n=$(step_number "$1")
  [ -n "$n" ] || { echo "# no step '$1' after :next"; return 1; }
  command ":take $n" && scrollback | tail -n 12 | grep -qxF "took $1"
}
start && wait_last '^syno>$'
command ":spec $CONV"
walked=1 nstep=0 undone=
while IFS= read -r step; do
  nstep=$((nstep + 1))
  take "$step" || { walked=; break; }
  if [ $nstep = 3 ]; then
    command ':back' && scrollback | tail -n 12 | grep -qxF "undid $step" && undone=1
    take "$step" || { walked=; break; }
  fi
done <"$TMP/path"
if [ -n "$walked" ] && [ $nstep -ge 6 ]; then ok "the steps of reach's path are found in :next and taken"; else not_ok "walking reach's path by hand"; screen | diag; fi
[ -n "$undone" ] && ok ":back undoes a step, and :take takes it again" || not_ok ":back during the walk"
send_line ':keep myconv'
expect ":keep adds the finished operator to the session" '^op myconv(x\[N, C_in, H, W\]) -> \[N, C_out, H, W\]'
wait_last '^syno>$'
send_line ":write $TMP/walked.syno myconv"
expect ":write writes the kept operator" "^wrote $TMP/walked.syno ("
wait_last '^syno>$'
h1=$("$SYNO" canon --hash "$TMP/walked.syno:myconv" 2>&1 | cut -d' ' -f1)
h2=$("$SYNO" canon --hash "$top_srcdir/stdlib/conv.syno:conv2d" 2>&1 | cut -d' ' -f1)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && ok "the written operator has conv2d's canonical hash" || not_ok "canonical hash of the walked operator ($h1 vs $h2)"

# Ctrl-C stops a long :bench (a convolution of 2.4 GFLOP a call, timed
# 100000 times) and the session goes on
send_line ':bind N=8,C_in=64,C_out=64,H=64,W=64'
wait_last '^syno>$'
send_line ':bench conv2d --repeat 100000'
wait_for '^timing conv2d (Ctrl-C stops it)'
# the benchmark runs in a child of the REPL: wait until it is there
if command -v pgrep >/dev/null 2>&1; then
  pid=$($T display -p -t main '#{pane_pid}')
  i=0
  while [ $i -lt 100 ] && ! pgrep -P "$pid" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
fi
$T send-keys -t main C-c
if wait_last '^syno>$' && screen | grep -q '^interrupted$'; then ok "Ctrl-C stops :bench and the prompt returns"; else not_ok "Ctrl-C during :bench"; screen | diag; fi
send_line ':list ops'
expect "the REPL answers after the interrupted :bench" '^op myconv(x\[N, C_in, H, W\])'
$T send-keys -t main C-d
gone
done_testing
