#!/usr/bin/env bash
# test_multiqueue.sh - hedging on a multiqueue device whose requests and
# replies spread over queues and CPUs, as on a NIC with XPS and RPS. The
# lab's own veth pair mq0/mq1 has 4 tx and 4 rx queues; inside the lab's
# namespaces XPS maps tx queues 0, 2 to CPU 0 and 1, 3 to CPU 1, RPS spreads
# every rx queue over all CPUs, GRO is on (veth then receives through NAPI,
# one per rx queue) and an mq root qdisc counts packets per tx queue.
#
#   +------------- P-client -------------+  mq0 ═ mq1  +---- P-server ----+
#   | hedge-client pinned to CPU 0, ids 0-  +==========+ chaos-server     |
#   | hedge-client pinned to CPU 1, ids 1e5-|  4 queues | (2 % stall 400 ms)|
#   | hedger on mq0 (T 10 ms)               |           |                  |
#   +---------------------------------------+           +------------------+
#
# Pass when requests left by at least two tx queues, every request was
# completed once (replies = requests), every stalled id was hedged and its
# late original dropped, no reply was untrusted, and neither client saw a
# duplicate or waited for a stall (P99 far below the 400 ms stall).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
N=300
labenv_require
command -v ethtool >/dev/null || skip "ethtool not installed"
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || skip "needs 2 CPUs to spread over"
labenv_pair
C=198.18.201.1; S=198.18.201.2
ip -n "$CLIENT_NS" link add mq0 numtxqueues 4 numrxqueues 4 type veth peer name mq1 \
	netns "$SERVER_NS" numtxqueues 4 numrxqueues 4 2>/dev/null || skip "cannot create a multiqueue veth"
ip -n "$CLIENT_NS" addr add "$C/24" dev mq0 && ip -n "$SERVER_NS" addr add "$S/24" dev mq1 || fail "addresses"
ip -n "$CLIENT_NS" link set mq0 up && ip -n "$SERVER_NS" link set mq1 up || fail "link up"
mac=$(ip -n "$SERVER_NS" -o link show mq1 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
ip -n "$CLIENT_NS" neigh replace "$S" lladdr "$mac" dev mq0 nud permanent || fail "neighbour"
all=$(printf '%x' $(((1 << ncpu) - 1)))
for side in "$CLIENT_NS mq0" "$SERVER_NS mq1"; do
	set -- $side
	ip netns exec "$1" ethtool -K "$2" gro on >/dev/null 2>&1 || skip "cannot switch gro on on the lab's veth"
	ip netns exec "$1" sh -c "
		for q in 0 1 2 3; do
			echo \$(( q % 2 ? 2 : 1 )) > /sys/class/net/$2/queues/tx-\$q/xps_cpus &&
			echo $all > /sys/class/net/$2/queues/rx-\$q/rps_cpus || exit 1
		done" 2>/dev/null || skip "cannot set XPS/RPS on the lab's veth"
done
tc -n "$CLIENT_NS" qdisc add dev mq0 root handle 1: mq || skip "no mq qdisc"

ip netns exec "$SERVER_NS" "$CHAOS_SERVER" --port 9999 --bind "$S" >"$WORK/cs.out" 2>&1 &
track $!
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$CLIENT_NS" "$BUILD/hedger" attach --dev mq0 --service "$S:9999" --delay 10ms \
	--interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --pin 0 \
	--first-id 0 --out "$WORK/c0" -q "$S:9999" >/dev/null &
c0=$!
ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --pin 1 \
	--first-id 100000 --out "$WORK/c1" -q "$S:9999" >/dev/null &
c1=$!
wait $c0 || fail "client 0 failed"
wait $c1 || fail "client 1 failed"
sleep 0.6	# the stalled originals' late replies arrive
stats=$(ip netns exec "$CLIENT_NS" "$BUILD/hedger" stats --dev mq0) || fail "stats failed"
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
get() { statget "$stats" "$1"; }
# Packets per tx queue (mq's classes 1:1 .. 1:4).
queues=$(tc -n "$CLIENT_NS" -s class show dev mq0 | awk '/^class mq/ { q = $3 } /Sent/ { print q "=" $4 }' | tr '\n' ' ')
used=$(echo "$queues" | tr ' ' '\n' | awk -F= '$2 > 50 { n++ } END { print n + 0 }')
stalled=12	# ids with id % 100 < 2 among 0..299 and 100000..100299
d0=$(client_dups c0); d1=$(client_dups c1)
echo "packets per tx queue: $queues"
echo "requests $(get requests) replies $(get replies) hedges $(get hedges_sent) duplicates dropped" \
	"$(get duplicate_replies_dropped) untrusted $(get replies_untrusted_passed);" \
	"P99 $(p99_ms c0) / $(p99_ms c1) ms; client duplicates $d0 / $d1"
[ "$used" -ge 2 ] || fail "requests left by $used tx queue(s), want >= 2"
[ "$(get requests)" = $((2 * N)) ] || fail "$(get requests) requests, want $((2 * N))"
[ "$(get replies)" = $((2 * N)) ] || fail "$(get replies) requests completed, want $((2 * N))"
[ "$(get hedges_sent)" -ge $stalled ] || fail "$(get hedges_sent) hedges, want >= $stalled stalled ids"
[ "$(get duplicate_replies_dropped)" -ge $stalled ] || fail "late originals not dropped as duplicates"
[ "$(get replies_untrusted_passed)" = 0 ] || fail "replies taken as untrusted"
[ "$d0" = 0 ] && [ "$d1" = 0 ] || fail "clients saw duplicates ($d0 / $d1)"
awk -v a="$(p99_ms c0)" -v b="$(p99_ms c1)" 'BEGIN { exit !(a < 200 && b < 200) }' ||
	fail "a client waited for a stall (P99 $(p99_ms c0) / $(p99_ms c1) ms)"
pass
