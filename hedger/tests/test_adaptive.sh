#!/usr/bin/env bash
# test_adaptive.sh - adaptive hedge delay on the reference fault schedule
# (chaos-server defaults: 2 ms fast path, ids with id % 100 < 2 stall 400 ms,
# a repeat within 1 s is fast), one server, closed loop, fresh server per arm.
#   fixed:    --delay 10ms
#   adaptive: --delay p95 --delay-min 1ms --delay-max 50ms
#   adaptive: --delay p95 --delay-min 1ms --delay-max 50ms, with the budget
#             --budget 5% --budget-burst 10 as the guard on extra load
# Pass when, for the adaptive arm:
#   the kernel's delay converges: within 3 s of the first request it is at
#   most max(1.5 x, + 0.5 ms) the client-measured p95 (it starts at 10 ms);
#   it tracks the target: >= 80 % of the later samples (every 100 ms) lie in
#   [0.5 x p95, 2 x p95 + 0.5 ms] of the client's p95, the lower bound from
#   the kernel's p95 when that is lower (the hedger's first-reply histogram,
#   log2 rows): under load the client reads replies late, its p95 6.1 ms
#   where the kernel's delay followed the 2-4 ms it saw (26 of 33 samples in
#   the client-only band). The kernel reports a bucket's upper edge
#   (<= 12.5 % over) of a window that halves every 100 ms (~100 samples at
#   this rate), so single samples move by a bucket or two; measured here:
#   final delay 2.3 ms for a client p95 of 2.1-3.0 ms, converged at the
#   first recompute with enough samples (~0.1-0.2 s);
#   the stalled requests it hedges are rescued sooner than with the fixed
#   10 ms: the median latency of the stalled ids (id % 100 < 2) answered
#   within 200 ms (by a hedge; the stall is 400 ms) is below the fixed arm's
#   (measured 4.9-5.3 ms vs 12.2-12.6 ms), the fixed arm rescues >= 90 % of
#   its stalled ids and the adaptive arm at least 5. Not the median of all
#   stalled ids, nor the P99 of all requests: the budget caps hedges at 5 %
#   while p95 hedging asks for ~5 % + the 2 % stalls, so it denies 30-40 %
#   of the hedges, stalled ids among them (measured: 12, 16 and 24 of 40
#   denied), and each denied one waits out its stall. With 15 of 40 denied,
#   the median of all stalled ids was the rescued ones' 80th percentile
#   (a clean CI run: 13.0 ms vs 12.4 ms, a failure of the old check), and
#   the denied ones decide P99 (up to 400 ms);
#   extra requests (hedges) <= 5 % of requests + burst 10 (the budget's
#   exact bound). Without the budget p95 alone gives 3-5.5 % here (a hedge
#   goes out when a reply is slower than the recent p95, plus the 2 % stalls
#   and the lag of the estimate on this noisy VM); numbers in
#   results/bench/hedger-features-*.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
N=2000

labenv_require
labenv_up 1
R1=$REPLICA1_ADDR

labenv_server 1 fixed
labenv_hedger fixed --service "$R1:9999" --delay 10ms --backend htb
labenv_client fixed --mode baseline --requests $N --warmup 0 "$R1:9999"
s_fixed=$(labenv_stats) || fail "stats (fixed) failed"
labenv_hedger_stop
labenv_server_stop fixed

labenv_server 1 adapt
labenv_hedger adapt --service "$R1:9999" --delay p95 --delay-min 1ms --delay-max 50ms --backend htb \
	--budget 5% --budget-burst 10
grep -q "^adaptive delay: p95.0" "$WORK/hedger-adapt.out" || fail "attach did not report the adaptive delay"
# Sample the kernel's delay every 100 ms while the client runs.
( t0=$(date +%s%N)
  while :; do
	d=$(labenv_stats --prometheus 2>/dev/null | awk '/^hedger_adaptive_delay_seconds/ { print $2 }')
	[ -n "$d" ] && echo "$(( ($(date +%s%N) - t0) / 1000000 )) $d"
	sleep 0.1
  done ) >"$WORK/delay.log" &
SAMPLER=$!; labenv_track $SAMPLER
labenv_client adapt --mode baseline --requests $N --warmup 0 "$R1:9999"
kill $SAMPLER; wait $SAMPLER 2>/dev/null
s_adapt=$(labenv_stats) || fail "stats (adaptive) failed"
# The kernel's own view of the first-reply latency (cumulative, log2 rows):
# the row holding its p95, in us ("FROM TO").
k95=$(labenv_stats --json | python3 -c '
import json, sys
svc = json.load(sys.stdin)["services"][0]
rows, n = svc["latency_log2_us"], svc["latency_count"]
acc = 0
for r in rows:
    acc += r["count"]
    if n and acc >= 0.95 * n:
        print(r["from_us"], r["to_us"]); break') || fail "stats --json (adaptive) failed"
labenv_hedger_stop

fixed99=$(p99_ms fixed); adapt99=$(p99_ms adapt); fast95=$(pct_ms adapt p95)
# stalled_ms NAME - latencies (ms, sorted) of the stalled ids, answered ones.
stalled_ms() {
	ra_csv '$col("id") % 100 < 2 && $col("outcome") != "timeout" {
		printf "%.3f\n", ($col("reply_ns") - $col("actual_send_ns")) / 1e6 }' "$WORK/$1/requests.csv" | sort -n
}
# rescued_median NAME - "MEDIAN RESCUED ALL" over the stalled ids answered
# before half the 400 ms stall, i.e. by a hedge (the budget's denials: see
# the header).
rescued_median() {
	stalled_ms "$1" | awk '{ n++ } $1 < 200 { v[++r] = $1 } END { printf "%s %d %d\n", r ? v[int((r + 1) / 2)] : "-", r, n }'
}
read -r fixed_st fixed_resc fixed_all <<<"$(rescued_median fixed)"
read -r adapt_st adapt_resc adapt_all <<<"$(rescued_median adapt)"
reqs=$(statget "$s_adapt" requests); hed=$(statget "$s_adapt" hedges_sent)
final=$(echo "$s_adapt" | sed -n 's/^adaptive delay: \([0-9.]*\) ms.*/\1/p')
[ -n "$final" ] || fail "stats shows no adaptive delay"
conv=$(awk -v p="$fast95" '{ ms = $2 * 1000; lim = 1.5 * p; if (p + 0.5 > lim) lim = p + 0.5; if (ms <= lim) { print $1; exit } }' "$WORK/delay.log")
# The band around the target: from half the lower of the client's p95 and
# the kernel's p95 row to twice the client's p95 + 0.5 ms (the client's view
# is the later one). On a loaded machine the client reads its replies late
# (its p95 6 ms where the kernel saw 2-4 ms), and the kernel's delay follows
# what it sees.
[ -n "$k95" ] || fail "no latency in the hedger's histogram"
band_lo=$(awk -v p="$fast95" -v k="${k95% *}" 'BEGIN { k /= 1000; print 0.5 * (p < k ? p : k) }')
band_hi=$(awk -v p="$fast95" 'BEGIN { print 2 * p + 0.5 }')
track=$(awk -v lo="$band_lo" -v hi="$band_hi" -v c="${conv:-999999}" '$1 > c { n++; ms = $2 * 1000; if (ms >= lo && ms <= hi) ok++ } END { printf "%d %d", ok, n }' "$WORK/delay.log")
den=$(statget "$s_adapt" hedges_denied_budget)
echo "fixed 10ms: p99 $fixed99 ms, hedges $(statget "$s_fixed" hedges_sent)/$(statget "$s_fixed" requests);" \
     "adaptive p95: p99 $adapt99 ms, hedges $hed/$reqs (budget denied $den), final delay $final ms," \
     "client p95 $fast95 ms, kernel p95 in [${k95% *}, ${k95#* }) us, converged after ${conv:-never} ms," \
     "samples in [$band_lo, $band_hi] ms after that: ${track% *} of ${track#* };" \
     "rescued stalled ids: fixed $fixed_resc of $fixed_all, median $fixed_st ms;" \
     "adaptive $adapt_resc of $adapt_all, median $adapt_st ms"
echo "stalled ids (ms), fixed: $(stalled_ms fixed | tr '\n' ' ')"
echo "stalled ids (ms), adaptive: $(stalled_ms adapt | tr '\n' ' ')"
echo "$s_adapt" | sed -n '/^adaptive delay/,$p'
[ "$(wc -l <"$WORK/delay.log")" -ge 10 ] || fail "too few delay samples"
[ -n "$conv" ] && [ "$conv" -le 3000 ] || fail "delay did not converge within 3 s (${conv:-never} ms)"
[ "${track#* }" -ge 5 ] && [ $(( ${track% *} * 100 )) -ge $(( ${track#* } * 80 )) ] ||
	fail "delay tracked the target in only ${track% *} of ${track#* } samples"
[ "$fixed_all" -ge 5 ] && [ $((fixed_resc * 10)) -ge $((fixed_all * 9)) ] ||
	fail "fixed 10 ms rescued only $fixed_resc of $fixed_all stalled ids"
[ "$adapt_resc" -ge 5 ] ||
	fail "adaptive rescued only $adapt_resc of $adapt_all stalled ids (budget denied $den)"
awk -v a="$adapt_st" -v f="$fixed_st" 'BEGIN { exit !(a < f) }' ||
	fail "rescued stalled ids' median $adapt_st ms adaptive, not below fixed $fixed_st ms"
[ "$hed" -le $((reqs * 5 / 100 + 10)) ] || fail "$hed hedges > 5 % of $reqs requests + 10"
[ "$(client_dups adapt)" = 0 ] || fail "client saw duplicates"
[ "$(statget "$s_adapt" adaptive_timer_failed)" = 0 ] || fail "timer failures"
echo PASS
