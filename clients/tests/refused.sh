#!/usr/bin/env bash
# An unreachable target (nothing bound: ICMP port unreachable, ECONNREFUSED on
# the connected socket) is a clear error and a non-zero exit, in both modes,
# and no --out directory is left behind.
. "$(dirname "$0")/lib.sh"

port=$(t_free_port)
for mode in baseline app; do
	rc=0
	timeout 20 "$HEDGE_CLIENT" --quiet --mode "$mode" -n 10 -w 0 --out "$T_DIR/$mode" \
		"127.0.0.1:$port" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
	cat "$T_DIR/err" >&2
	[ "$rc" = 1 ] || fail "$mode: exit $rc, expected 1"
	grep -q "127.0.0.1:$port is unreachable: connection refused" "$T_DIR/err" ||
		fail "$mode: no clear 'unreachable' message"
	[ "$(wc -l <"$T_DIR/err")" = 1 ] || fail "$mode: more than one error line"
	[ ! -e "$T_DIR/$mode" ] || fail "$mode: --out directory left behind"
	[ ! -s "$T_DIR/out" ] || fail "$mode: printed a summary of a failed run"
done

# The same for a hedge target that is down while the primary answers.
[ -n "$UDP_MISBEHAVE" ] || skip "udp-misbehave helper not built"
live=$(t_free_port)
t_misbehave "$live" stale --delay 30ms
rc=0
timeout 20 "$HEDGE_CLIENT" --quiet --mode app --hedge-delay 5ms --hedge-target "127.0.0.1:$port" \
	-n 10 -w 0 "127.0.0.1:$live" >/dev/null 2>"$T_DIR/err" || rc=$?
cat "$T_DIR/err" >&2
[ "$rc" = 1 ] && grep -q "127.0.0.1:$port is unreachable" "$T_DIR/err" ||
	fail "hedge target down: exit $rc"
echo "PASS"
