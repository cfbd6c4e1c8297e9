#!/usr/bin/env bash
# test_loopback.sh BACKEND FAMILY - hedging over lo, the reference system's
# single-host shape (netns-lab `up loopback`: client and server share one
# namespace and its lo).
#
#   +---------------------- P-host ----------------------+
#   | hedge-client -> lo (127.0.0.1 / ::1) -> chaos-server |
#   |        hedger: splitter + reply filter on lo         |
#   +------------------------------------------------------+
#
# A hedge passes the delay line's veth, which marks it PACKET_OTHERHOST;
# looped back by lo, IP would drop it unless the rescuer makes it HOST again.
# Pass when, with T = 10 ms and chaos-server's default schedule:
#   the server received every request and every hedge the hedger counted
#   as sent (received = requests + hedges_sent), and answered a repeat of
#   every stalled id (replay hits = stalled ids);
#   hedged P99 <= T + fast + margin (margin as in test_e2e.sh);
#   the client saw no duplicate.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
BACKEND=${1:?backend}; FAMILY=${2:-4}
CS=${CHAOS_SERVER:-}; HC=${HEDGE_CLIENT:-}
N=500; T_MS=10; FAST_MS=2; MARGIN_MS=8

labenv_require
labenv_lab --keep-awake loopback
[ "$KEPT_AWAKE" = 1 ] || MARGIN_MS=20
NS=$CLIENT_NS
if [ "$FAMILY" = 6 ]; then ADDR=::1; EP="[::1]:9999"; else ADDR=127.0.0.1; EP="127.0.0.1:9999"; fi

stalled=0
for ((id = 0; id < N; id++)); do [ $((id % 100)) -lt 2 ] && stalled=$((stalled + 1)); done

ip netns exec "$NS" "$CS" --port 9999 --bind "$ADDR" >"$WORK/cs.out" 2>&1 &
SRV=$!; track $SRV
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$NS" "$BUILD/hedger" attach --dev lo --service "$EP" \
	--delay ${T_MS}ms --backend "$BACKEND" --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: $BACKEND" 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
ip netns exec "$NS" "$HC" --mode baseline --requests $N --warmup 0 --out "$WORK/hedged" -q "$EP" >/dev/null ||
	fail "hedged client failed"
sleep 0.5	# late originals arrive and are dropped
stats=$(ip netns exec "$NS" "$BUILD/hedger" stats --dev lo) || fail "stats failed"
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
kill -INT $SRV; wait $SRV 2>/dev/null
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
srv() { grep -o "$1=[0-9]*" "$WORK/cs.out" | tail -1 | cut -d= -f2; }

h99=$(awk -F, '$1 == "latency" { printf "%.3f", $7 / 1e6 }' "$WORK/hedged/summary.csv")
dups=$(grep -o 'duplicates seen [0-9]*' "$WORK/hedged/summary.txt" | awk '{ print $3 }')
reqs=$(get requests); sent=$(get hedges_sent); rel=$(get hedges_released)
recv=$(srv received); hits=$(srv replay_hits)
echo "lo/$BACKEND/v$FAMILY: p99 $h99 ms; requests $reqs, hedges released $rel, sent $sent;" \
	"server received $recv, replay hits $hits; stalled ids $stalled; client dups $dups"
[ -n "$recv" ] || { cat "$WORK/cs.out"; fail "no server stats"; }
[ "$reqs" = $N ] || fail "hedger saw $reqs requests, client sent $N"
[ "$sent" = "$rel" ] || fail "hedges sent $sent != released $rel"
[ "$recv" = $((N + sent)) ] || fail "server received $recv, want requests + hedges = $((N + sent))"
[ "$hits" = "$stalled" ] || fail "replay hits $hits, want one per stalled id ($stalled)"
awk -v v="$h99" -v lim=$((T_MS + FAST_MS + MARGIN_MS)) 'BEGIN { exit !(v <= lim) }' ||
	fail "hedged p99 $h99 ms > $((T_MS + FAST_MS + MARGIN_MS)) ms"
[ "$dups" = 0 ] || fail "client saw $dups duplicates"
echo PASS
