#!/usr/bin/env bash
# Command line: --help exits 0; bad options and a busy port give ONE clear
# error line and a non-zero exit.
set -u
server=$1
fail=0
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

runner=()         # command prefix for check_error (e.g. setpriv ...)
check_error() {   # check_error DESCRIPTION PATTERN ARGS...
  local what=$1 pattern=$2; shift 2
  "${runner[@]}" "$server" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ $rc -eq 0 ]; then echo "FAIL: $what: exit 0"; fail=1; return; fi
  if [ "$(grep -c 'error' "$tmp/err")" -ne 1 ]; then echo "FAIL: $what: not one error line:"; cat "$tmp/err"; fail=1; return; fi
  if ! grep -q -- "$pattern" "$tmp/err"; then echo "FAIL: $what: no '$pattern' in:"; cat "$tmp/err"; fail=1; return; fi
  echo "ok: $what: $(cat "$tmp/err")"
}

"$server" --help >"$tmp/help" || { echo "FAIL: --help exit $?"; fail=1; }
grep -q -- '--fault-pattern' "$tmp/help" && grep -q 'Examples' "$tmp/help" || { echo "FAIL: --help text"; fail=1; }

check_error "bad duration" "--stall" --stall 400 -p 0 -b 127.0.0.1
check_error "bad pattern" "--fault-pattern" --fault-pattern zigzag -p 0 -b 127.0.0.1
check_error "bad port" "--port" -p 70000
check_error "bad bind" "--bind" -b 300.1.1.1 -p 0
check_error "fractional modulo rate" "whole percent" --fault-rate 1.5% -p 0 -b 127.0.0.1
check_error "pause without length" "--pause-for" --pause-every 1s -p 0 -b 127.0.0.1
check_error "unknown option" "unrecognized" --frobnicate

# missing privilege: an unprivileged user cannot bind a port below 1024
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)" -gt 80 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$server"; then
  runner=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  check_error "privileged port" "permission denied" -b 127.0.0.1 -p 80
  runner=()
else
  echo "note: privileged-port check skipped (needs root, setpriv, a binary nobody can run, port 80 privileged)"
fi

# busy port: a first server takes a free port, a second one must refuse it
"$server" -b 127.0.0.1 -p 0 >"$tmp/first.out" 2>"$tmp/first.err" &
pid=$!
for _ in $(seq 100); do grep -q 'faults:' "$tmp/first.err" && break; sleep 0.05; done
if grep -q 'io_uring' "$tmp/first.err" && ! kill -0 $pid 2>/dev/null; then echo "SKIP: no io_uring"; exit 77; fi
port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/first.err" | cut -d: -f2)
if [ -z "$port" ]; then echo "FAIL: first server did not start"; cat "$tmp/first.err"; exit 1; fi
check_error "busy port" "already in use" -b 127.0.0.1 -p "$port"
kill -TERM $pid; wait $pid; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: first server exit $rc"; fail=1; }
exit $fail
