#!/usr/bin/env bash
# test_forwarded.sh - the hedger hedges only what its own host sends.
#
#   +-- P-client --+      +------ P-router ------+      +-- P-replica1 --+
#   | hedge-client  +------+ forwards; hedger on   +------+ chaos-server   |
#   +---------------+      | P-rt1 (egress), and   |      | 198.18.1.1     |
#                          | a hedge-client of its |      +----------------+
#                          | own                   |
#                          +-----------------------+
#
# Pass when the client's forwarded requests are never hedged or tracked
# (skipped_not_local counts each, requests/clones/hedges stay 0, the server
# receives exactly what the client sent), while the router's own requests
# through the same device are tracked and their stalled ids hedged.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
CS=${CHAOS_SERVER:-}; HC=${HEDGE_CLIENT:-}
N=200

labenv_require
labenv_lab replicas 1
DEV="$LAB_PREFIX-rt1"

ip netns exec "$REPLICA_NS_1" "$CS" --port 9999 --bind "$REPLICA1_ADDR" >"$WORK/cs.out" 2>&1 &
SRV=$!; track $SRV
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$ROUTER_NS" "$BUILD/hedger" attach --dev "$DEV" --service "$REPLICA1_ADDR:9999" \
	--delay 10ms --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
stat_of() { ip netns exec "$ROUTER_NS" "$BUILD/hedger" stats --dev "$DEV" | awk -v k="$1" '$1 == k { print $2 }'; }

ip netns exec "$CLIENT_NS" "$HC" --mode baseline --requests $N --warmup 0 --out "$WORK/fwd" -q \
	"$REPLICA1_ADDR:9999" >/dev/null || fail "client through the router failed"
sleep 0.5
fwd_skip=$(stat_of skipped_not_local); fwd_req=$(stat_of requests); fwd_hed=$(stat_of hedges_sent)
echo "forwarded: skipped_not_local $fwd_skip, requests $fwd_req, clones $(stat_of clones), hedges $fwd_hed"
[ "$fwd_skip" -ge $N ] || fail "forwarded requests not counted as not local ($fwd_skip < $N)"
[ "$fwd_req" = 0 ] || fail "forwarded requests tracked ($fwd_req)"
[ "$(stat_of clones)" = 0 ] || fail "forwarded requests cloned"
[ "$fwd_hed" = 0 ] || fail "forwarded requests hedged"

# The router's own requests: ids 1000.. (4 of them stall), new to the server.
ip netns exec "$ROUTER_NS" "$HC" --mode baseline --requests $N --warmup 0 --first-id 1000 \
	--out "$WORK/own" -q "$REPLICA1_ADDR:9999" >/dev/null || fail "router's own client failed"
sleep 0.5
own_req=$(stat_of requests); own_hed=$(stat_of hedges_sent)
echo "router's own: requests $own_req, hedges $own_hed"
[ "$own_req" = $N ] || fail "router's own requests: $own_req tracked, want $N"
[ "$own_hed" -ge 1 ] || fail "router's own stalled requests not hedged"
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
kill -INT $SRV; wait $SRV 2>/dev/null
recv=$(grep -o "received=[0-9]*" "$WORK/cs.out" | tail -1 | cut -d= -f2)
[ "$recv" = $((2 * N + own_hed)) ] || fail "server received $recv, want $((2 * N)) requests + $own_hed hedges"
echo PASS
