#!/usr/bin/env bash
# A rate the machine cannot sustain is a clear error and a non-zero exit,
# quickly, and leaves no --out directory.
. "$(dirname "$0")/lib.sh"
[ -n "$UDP_MISBEHAVE" ] || skip "udp-misbehave helper not built"

port=$(t_free_port)
t_misbehave "$port" drop
# 5M/s is ~10x what one thread can send(); the sender falls 50 ms behind
# within a fraction of a second.
rc=0
start=$(date +%s%N)
timeout 30 "$HEDGE_CLIENT" --quiet --rate 5000000/s -n 2000000 -w 0 --timeout 100ms \
	--max-lag 50ms --out "$T_DIR/over" "127.0.0.1:$port" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
took=$(( $(date +%s%N) - start ))
cat "$T_DIR/err" >&2
t_check "exit status 1 (got $rc)" "$rc == 1"
grep -q "cannot sustain --rate 5000000/s" "$T_DIR/err" || fail "no clear message"
t_check "one error line" "$(wc -l <"$T_DIR/err") == 1"
t_check "gave up quickly ($(t_ms "$took") ms)" "$took < 5e9"
[ ! -e "$T_DIR/over" ] || fail "--out directory left behind"
echo "PASS"
