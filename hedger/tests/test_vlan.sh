#!/usr/bin/env bash
# test_vlan.sh - the hedger on a VLAN sub-interface (802.1Q over the lab's
# veth): the tag travels as skb metadata, so the frame the programs see
# still has a 14-byte Ethernet header; hedges leave tagged.
#
#   +------- P-client -------+  veth, VLAN 100  +------- P-server -------+
#   | vl100 198.18.200.1/24  +------------------+ vl100 198.18.200.2/24  |
#   | hedger on vl100        |                  | chaos-server           |
#   +------------------------+                  +------------------------+
#
# Pass when every stalled id was hedged through the VLAN, no reply was taken
# as untrusted and the client saw no duplicate.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
N=300
labenv_require
labenv_pair
C=198.18.200.1; S=198.18.200.2
ip -n "$CLIENT_NS" link add link "$CLIENT_IF" name vl100 type vlan id 100 2>/dev/null ||
	skip "no 802.1Q support (vlan link type)"
ip -n "$SERVER_NS" link add link "$SERVER_IF" name vl100 type vlan id 100 || fail "server vlan"
ip -n "$CLIENT_NS" addr add "$C/24" dev vl100 && ip -n "$SERVER_NS" addr add "$S/24" dev vl100 || fail "addresses"
ip -n "$CLIENT_NS" link set vl100 up && ip -n "$SERVER_NS" link set vl100 up || fail "link up"

ip netns exec "$SERVER_NS" "$CHAOS_SERVER" --port 9999 --bind "$S" >"$WORK/cs.out" 2>&1 &
track $!
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$CLIENT_NS" "$BUILD/hedger" attach --dev vl100 --service "$S:9999" \
	--delay 10ms --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --out "$WORK/c" -q \
	"$S:9999" >/dev/null || fail "client failed"
sleep 0.6
stats=$(ip netns exec "$CLIENT_NS" "$BUILD/hedger" stats --dev vl100) || fail "stats failed"
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
dups=$(grep -o 'duplicates seen [0-9]*' "$WORK/c/summary.txt" | awk '{ print $3 }')
hits=$(grep -o "replay_hits=[0-9]*" "$WORK/cs.out" | tail -1 | cut -d= -f2)
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
echo "vlan: requests $(get requests), hedges $(get hedges_sent), untrusted $(get replies_untrusted_passed)," \
	"duplicates dropped $(get duplicate_replies_dropped), client duplicates $dups"
[ "$(get requests)" = $N ] || fail "$(get requests) requests seen on the VLAN, want $N"
[ "$(get hedges_sent)" -ge 6 ] || fail "stalled ids not hedged ($(get hedges_sent) < 6)"
[ "$(get replies_untrusted_passed)" = 0 ] || fail "replies taken as untrusted"
[ "$dups" = 0 ] || fail "client saw $dups duplicates"
pass
