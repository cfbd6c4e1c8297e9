#!/usr/bin/env bash
# test_offload.sh on|off - replies are trusted whatever the checksum offload
# of the lab's own veths (switched with ethtool -K inside their namespaces;
# never on a real interface).
#
#   +---- P-client ----+  veth  +---- P-server ----+
#   | hedge-client      +--------+ chaos-server      |
#   | hedger (T 10 ms)  |        | tx-checksumming X |
#   +-------------------+        +-------------------+
#
#   on:  the server's replies carry the pseudo-header sum checksum offload
#        leaves (CHECKSUM_PARTIAL across the veth): trusted as local;
#   off: the server's stack computes full checksums (tx off) and the client
#        veth does not vouch for them (rx off): the reply filter verifies
#        them itself.
# Pass when no reply was taken as untrusted, every stalled id was hedged,
# the late originals were dropped as duplicates and the client saw none.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
MODE=${1:?on or off}
N=300
labenv_require
command -v ethtool >/dev/null || skip "ethtool not installed"
labenv_pair
ip netns exec "$SERVER_NS" ethtool -K "$SERVER_IF" tx "$MODE" >/dev/null 2>&1 ||
	skip "cannot switch tx checksumming on the lab's veth"
ip netns exec "$CLIENT_NS" ethtool -K "$CLIENT_IF" rx "$MODE" >/dev/null 2>&1 ||
	skip "cannot switch rx checksumming on the lab's veth"
ip netns exec "$SERVER_NS" ethtool -k "$SERVER_IF" | grep "^tx-checksumming" > "$WORK/offload"

ip netns exec "$SERVER_NS" "$CHAOS_SERVER" --port 9999 --bind "$SERVER_ADDR" >"$WORK/cs.out" 2>&1 &
track $!
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$CLIENT_NS" "$BUILD/hedger" attach --dev "$CLIENT_IF" --service "$SERVER_ADDR:9999" \
	--delay 10ms --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --out "$WORK/c" -q \
	"$SERVER_ADDR:9999" >/dev/null || fail "client failed"
sleep 0.6	# the stalled originals' late replies arrive
stats=$(ip netns exec "$CLIENT_NS" "$BUILD/hedger" stats --dev "$CLIENT_IF") || fail "stats failed"
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
dups=$(grep -o 'duplicates seen [0-9]*' "$WORK/c/summary.txt" | awk '{ print $3 }')
echo "offload $MODE ($(cat "$WORK/offload")): replies $(get replies), untrusted $(get replies_untrusted_passed)," \
	"hedges $(get hedges_sent), duplicates dropped $(get duplicate_replies_dropped), client duplicates $dups"
[ "$(get replies_untrusted_passed)" = 0 ] || fail "replies taken as untrusted"
[ "$(get replies)" = $N ] || fail "$(get replies) first replies, want $N"
[ "$(get hedges_sent)" -ge 6 ] || fail "stalled ids not hedged ($(get hedges_sent) < 6)"
[ "$(get duplicate_replies_dropped)" -ge 6 ] || fail "late originals not dropped as duplicates"
[ "$dups" = 0 ] || fail "client saw $dups duplicates"
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
pass
