#!/usr/bin/env bash
# Command line: --help exits 0; bad options give ONE clear error line and
# exit 2, a busy port one line and exit 1; --stats-file holds the counters.
set -u
server=$1
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK

runner=()         # command prefix for check_error (e.g. setpriv ...)
want_rc=2         # usage errors; failures at run time exit 1
check_error() {   # check_error DESCRIPTION PATTERN ARGS...
  local what=$1 pattern=$2; shift 2
  "${runner[@]}" "$server" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne $want_rc ]; then fail_later "$what: exit $rc, want $want_rc"; return; fi
  if [ "$(grep -c 'error' "$tmp/err")" -ne 1 ]; then fail_later "$what: not one error line: $(cat "$tmp/err")"; return; fi
  if ! grep -q -- "$pattern" "$tmp/err"; then fail_later "$what: no '$pattern' in: $(cat "$tmp/err")"; return; fi
  echo "ok: $what: $(cat "$tmp/err")"
}

"$server" --help >"$tmp/help" || fail_later "--help exit $?"
grep -q -- '--fault-pattern' "$tmp/help" && grep -q 'Examples' "$tmp/help" || fail_later "--help text"
grep -q '0.02 or 2% (default 2%)' "$tmp/help" || fail_later "--help text lacks '2%' or shows '%%'"

check_error "bad duration" "--stall" --stall 400 -p 0 -b 127.0.0.1
check_error "bad pattern" "--fault-pattern" --fault-pattern zigzag -p 0 -b 127.0.0.1
check_error "bad port" "--port" -p 70000
check_error "bad bind" "--bind" -b 300.1.1.1 -p 0
check_error "fractional modulo rate" "whole percent" --fault-rate 1.5% -p 0 -b 127.0.0.1
check_error "pause without length" "--pause-for" --pause-every 1s -p 0 -b 127.0.0.1
check_error "unknown option" "unrecognized" --frobnicate
# a server that wrongly accepts these would run on: bounded by timeout
runner=(timeout 10)
check_error "replica repeating replica 0" "distinct schedules" --replica 1000 -p 0 -b 127.0.0.1
check_error "replica 50 at 2% modulo" "distinct schedules" --replica 50 -p 0 -b 127.0.0.1
check_error "same bind twice" "given twice" -b 127.0.0.1 -b 127.0.0.1 -p 0
check_error "same v6 bind twice" "same address" -b ::1 -b '[::1]' -p 0
check_error "wildcard covering a bind" "overlap" -b 0.0.0.0 -b 127.0.0.1 -p 39998
runner=()
check_error "stats file in a missing directory" "--stats-file" --stats-file "$tmp/none/stats" -p 0 -b 127.0.0.1
for args in "-b 127.0.0.1 -b 127.0.0.1 -p 0" "--replica 1000 -p 0 -b 127.0.0.1"; do
  # refused before any socket is opened: nothing reports listening
  # shellcheck disable=SC2086
  timeout 10 "$server" $args >/dev/null 2>"$tmp/err"
  if grep -q listening "$tmp/err"; then fail_later "'$args' listened before refusing"; fi
done

# missing privilege: an unprivileged user cannot bind a port below 1024
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)" -gt 80 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$server"; then
  runner=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  want_rc=1
  check_error "privileged port" "permission denied" -b 127.0.0.1 -p 80
  runner=()
else
  echo "note: privileged-port check skipped (needs root, setpriv, a binary nobody can run, port 80 privileged)"
fi

# busy port: a first server takes a free port, a second one must refuse it
"$server" -b 127.0.0.1 -p 0 --stats-file "$tmp/stats" >"$tmp/first.out" 2>"$tmp/first.err" &
pid=$!
track $pid
wait_line "$tmp/first.err" 'faults:' 5
if grep -q 'io_uring' "$tmp/first.err" && ! kill -0 $pid 2>/dev/null; then skip "no io_uring"; fi
port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/first.err" | cut -d: -f2)
[ -n "$port" ] || fail "first server did not start: $(cat "$tmp/first.err")"
want_rc=1
check_error "busy port" "already in use" -b 127.0.0.1 -p "$port"
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 0 ] || fail_later "first server exit $rc"
# The stats file: the exit line's counters, one KEY=VALUE a line.
[ "$(sed -n 's/^when=//p' "$tmp/stats")" = exit ] || fail_later "stats file: no when=exit: $(cat "$tmp/stats")"
line=$(grep 'stats (exit)' "$tmp/first.out")
for k in received replied stalled replay_hits nobufs pauses; do
  v=$(sed -n "s/^$k=//p" "$tmp/stats")
  [ -n "$v" ] && [[ $line == *" $k=$v "* ]] || fail_later "stats file: $k='$v', stats line: $line"
done
[ ! -e "$tmp/stats.tmp" ] || fail_later "stats file: $tmp/stats.tmp left behind"
