#!/usr/bin/env bash
# test_stats.sh - `hedger stats` of an instance with replicas, adaptive delay and budget on
# (two replicas, adaptive p95, budget 50 %), after real traffic (replica 1
# stalls 2 % for 100 ms, replay off, so hedges go to replica 2):
#   text: counters, the log2 latency bars (their counts sum to `replies`),
#         the adaptive delay line, the budget line (granted = hedges_sent),
#         one row per replica (hedges to replica 2 = hedges_to_other_replica);
#   --prometheus: every sample line is `name{labels} number`, counters equal
#         the text ones, histogram buckets are cumulative and +Inf = replies;
#   --watch 200ms --count 3: three snapshots, exit 0; --watch ends by itself
#         when the hedger exits.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"

labenv_require
labenv_up 2
R1=$REPLICA1_ADDR; R2=$REPLICA2_ADDR
labenv_server 1 r1 --replica 1 --replay-ttl 0 --stall 100ms
labenv_server 2 r2 --replica 2 --replay-ttl 0 --stall 100ms
labenv_hedger all --service "$R1:9999=$R2:9999" --delay p95 --delay-min 1ms --delay-max 20ms \
	--budget 50% --budget-burst 5 --backend htb
labenv_client run --mode baseline --requests 300 --warmup 0 "$R1:9999"
sleep 0.3
txt=$(labenv_stats) || fail "stats failed"
prom=$(labenv_stats --prometheus) || fail "stats --prometheus failed"
echo "$txt" | sed -n '/^service/,$p'

reqs=$(statget "$txt" requests); reps=$(statget "$txt" replies); hed=$(statget "$txt" hedges_sent)
[ "$reqs" = 300 ] || fail "requests $reqs, sent 300"
[ "$hed" -ge 6 ] || fail "only $hed hedges (6 stalled ids)"
bars=$(echo "$txt" | awk '/latency \(first reply, since attach\)/ { on = 1; next } on && /->/ { s += $5 } on && /^$/ { on = 0 } /^adaptive delay/ { on = 0 } END { print s + 0 }')
[ "$bars" = "$reps" ] || fail "histogram bars sum to $bars, replies $reps"
echo "$txt" | grep -qE '^adaptive delay: [0-9.]+ ms \(target p95.0' || fail "no adaptive delay line"
echo "$txt" | grep -qE "^budget: 50.0% \+ burst 5; .*granted $hed, denied [0-9]+" || fail "budget line wrong"
torep=$(statget "$txt" hedges_to_other_replica)
echo "$txt" | grep -qE "^  $R2:9999 .* hedges $torep\$" || fail "replica row for $R2 wrong"
echo "$txt" | grep -qE "^  $R1:9999 +\(VIP\)" || fail "no VIP row"

bad=$(echo "$prom" | grep -v '^#' | grep -cvE '^[a-z_][a-z0-9_]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')
[ "$bad" = 0 ] || { echo "$prom" | grep -v '^#' | grep -vE '^[a-z_][a-z0-9_]*(\{[^}]*\})? [0-9.e+-]+$' | head -3; fail "$bad malformed Prometheus lines"; }
[ "$(echo "$prom" | awk '/^hedger_requests_total/ { print $2 }')" = "$reqs" ] || fail "prometheus requests differ"
[ "$(echo "$prom" | awk '/^hedger_hedges_sent_total/ { print $2 }')" = "$hed" ] || fail "prometheus hedges differ"
inf=$(echo "$prom" | awk '/^hedger_latency_seconds_bucket.*le="\+Inf"/ { print $2 }')
[ "$inf" = "$reps" ] || fail "+Inf bucket $inf, replies $reps"
echo "$prom" | awk '/^hedger_latency_seconds_bucket/ { if ($2 < prev) exit 1; prev = $2 }' || fail "buckets not cumulative"
echo "$prom" | grep -qE '^hedger_adaptive_delay_seconds\{service="[^"]+"\} 0\.0[0-9]+$' || fail "no adaptive delay gauge"
echo "$prom" | grep -q "^hedger_replica_hedges_total{service=\"$R1:9999\",replica=\"$R2:9999\"} $torep\$" || fail "no replica hedges counter"

n=$(labenv_stats --watch 200ms --count 3 | grep -c '^dev ') || fail "stats --watch failed"
[ "$n" = 3 ] || fail "--watch --count 3 printed $n snapshots"
labenv_stats --watch 100ms >"$WORK/watch.out" 2>&1 &
W=$!; labenv_track $W
sleep 0.5
labenv_hedger_stop
for i in $(seq 50); do kill -0 $W 2>/dev/null || break; sleep 0.1; done
kill -0 $W 2>/dev/null && fail "--watch did not end when the hedger exited"
grep -q "exited" "$WORK/watch.out" || fail "--watch did not say the hedger exited"
echo PASS
