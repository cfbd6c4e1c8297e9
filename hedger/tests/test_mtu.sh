#!/usr/bin/env bash
# test_mtu.sh - a request larger than the device's MTU leaves as IP
# fragments, which the splitter sees one by one (IP fragments before TC):
# none of them is a whole request, so none is hedged; its reply (fragments
# too) passes. Requests that fit are hedged as usual on the same device.
#
#   +------ P-client ------+  veth, MTU 1500  +------ P-server ------+
#   | udp_gso send 3000 B  +------------------+ udp_gso serve :9999  |
#   | udp_gso send 200 B   |                  | udp_gso serve :9998  |
#   | hedger (T 10 ms)     |                  | (count every id)     |
#   +----------------------+                  +----------------------+
#
# Pass when the server got every large request exactly once (a hedge would
# resend it), the splitter counted their fragments as skipped and tracked
# none of them, every large request was answered once, and the small
# requests were tracked and cloned.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
GSO=$BUILD/tests/udp_gso
BIG=8; SMALL=8
labenv_require_lab
[ -x "$GSO" ] || skip "udp_gso not built"
labenv_pair
ip -n "$CLIENT_NS" link set "$CLIENT_IF" mtu 1500 && ip -n "$SERVER_NS" link set "$SERVER_IF" mtu 1500 ||
	fail "cannot set the lab veth's MTU"

for port in 9999 9998; do
	ip netns exec "$SERVER_NS" "$GSO" serve --bind "$SERVER_ADDR:$port" --reply each --duration 60s \
		>"$WORK/srv$port.out" 2>&1 &
	eval "SPID$port=$!"; track $!
	wait_line "$WORK/srv$port.out" "listening" 10 || { cat "$WORK/srv$port.out"; fail "server did not start"; }
done
labenv_hedger mtu --service "$SERVER_ADDR:9999" --service "$SERVER_ADDR:9998" --delay 10ms

big_out=$(ip netns exec "$CLIENT_NS" "$GSO" send --to "$SERVER_ADDR:9999" --count $BIG --size 3000 \
	--interval 5ms --wait 300ms) || fail "large sends failed"
small_out=$(ip netns exec "$CLIENT_NS" "$GSO" send --to "$SERVER_ADDR:9998" --count $SMALL --size 200 \
	--interval 5ms --wait 300ms) || fail "small sends failed"
stats=$(labenv_stats) || fail "stats failed"
labenv_hedger_stop
kill -TERM $SPID9999; wait $SPID9999
srv=$(tail -1 "$WORK/srv9999.out")
get() { statget "$stats" "$1"; }
echo "large: $big_out | small: $small_out | server: $srv"
echo "hedger: requests $(get requests) clones $(get clones) skipped_fragment $(get skipped_fragment)" \
	"replies_fragment $(get replies_fragment) hedges $(get hedges_sent)"
[ "$(word "$srv" received)" = $BIG ] || fail "server received $(word "$srv" received) large requests, want $BIG"
[ "$(word "$srv" duplicates)" = 0 ] || fail "a large request arrived twice"
# 3000 bytes at MTU 1500: 3 fragments each, all seen (and skipped) at egress.
[ "$(get skipped_fragment)" -ge $((3 * BIG)) ] || fail "$(get skipped_fragment) fragments skipped, want >= $((3 * BIG))"
[ "$(get requests)" = $SMALL ] || fail "$(get requests) requests tracked, want the $SMALL small ones"
[ "$(get clones)" = $SMALL ] || fail "$(get clones) clones, want $SMALL"
[ "$(word "$big_out" ids_answered)" = $BIG ] || fail "large: $(word "$big_out" ids_answered) answered"
[ "$(word "$big_out" duplicates)" = 0 ] || fail "large: duplicates"
[ "$(word "$small_out" ids_answered)" = $SMALL ] || fail "small: $(word "$small_out" ids_answered) answered"
pass
