#!/usr/bin/env bash
# test_jumbo.sh - a request that is one frame larger than 1500 bytes (a
# jumbo-frame device; lo) is hedged like any other: the delay line's veth
# takes frames up to 64 KiB (LINE_MTU), so its clone is not dropped there.
#
#   +------ P-client ------+  veth, MTU 9000  +------ P-server ------+
#   | udp_gso send 4000 B  +------------------+ udp_gso serve :9999  |
#   | udp_gso send 200 B   |                  | (never replies,      |
#   | hedger (T 10 ms)     |                  |  counts every id)    |
#   +----------------------+                  +----------------------+
#
# Pass when the server got every request exactly twice (the original and
# its hedge), for the 4000-byte and the 200-byte requests alike, and the
# hedger released one hedge per request.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
GSO=$BUILD/tests/udp_gso
N=8
labenv_require_lab
[ -x "$GSO" ] || skip "udp_gso not built"
labenv_pair
ip -n "$CLIENT_NS" link set "$CLIENT_IF" mtu 9000 && ip -n "$SERVER_NS" link set "$SERVER_IF" mtu 9000 ||
	fail "cannot set the lab veth's MTU"

ip netns exec "$SERVER_NS" "$GSO" serve --bind "$SERVER_ADDR:9999" --reply none --duration 60s \
	>"$WORK/srv.out" 2>&1 &
SPID=$!; track $SPID
wait_line "$WORK/srv.out" "listening" 10 || { cat "$WORK/srv.out"; fail "server did not start"; }
labenv_hedger jumbo --service "$SERVER_ADDR:9999" --delay 10ms

ip netns exec "$CLIENT_NS" "$GSO" send --to "$SERVER_ADDR:9999" --count $N --size 4000 \
	--interval 5ms --wait 100ms >/dev/null || fail "large sends failed"
ip netns exec "$CLIENT_NS" "$GSO" send --to "$SERVER_ADDR:9999" --count $N --first-id 1000 \
	--size 200 --interval 5ms --wait 100ms >/dev/null || fail "small sends failed"
stats=$(labenv_stats) || fail "stats failed"
labenv_hedger_stop
kill -TERM $SPID; wait $SPID
srv=$(tail -1 "$WORK/srv.out")
get() { statget "$stats" "$1"; }
echo "server: $srv"
echo "hedger: requests $(get requests) clones $(get clones) hedges $(get hedges_released)" \
	"clone_failed $(get clone_failed)"
[ "$(get requests)" = $((2 * N)) ] || fail "$(get requests) requests tracked, want $((2 * N))"
[ "$(get hedges_released)" = $((2 * N)) ] ||
	fail "$(get hedges_released) hedges released, want $((2 * N)) (a large clone lost in the line?)"
[ "$(word "$srv" ids)" = $((2 * N)) ] || fail "server saw $(word "$srv" ids) ids, want $((2 * N))"
[ "$(word "$srv" received)" = $((4 * N)) ] ||
	fail "server received $(word "$srv" received) requests, want $((4 * N)): each and its hedge"
pass
