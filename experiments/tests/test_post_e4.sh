#!/usr/bin/env bash
# test_post_e4: ra_post_e4 (lib/post.sh) on hand-made trials: E4/hold.csv
# has, per backend, the hold error of the stalled (hedged) requests from the
# client's CSVs and the delay line's release lateness pooled from the
# hedger's release_late histograms (hedger-stats.json) of the successful
# trials only; a backend whose trials have no histogram gets empty columns.
set -euo pipefail
lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK
ra_log() { echo "$*" >&2; }
# shellcheck source=/dev/null
. "$lib/post.sh"

RUN=$tmp/run MANIFEST=$tmp/run/manifest.csv FAULT_RATE=2% DELAY=10ms
mkdir -p "$RUN"/raw "$RUN"/E4/kernel-htb/trial-{1,2,3} "$RUN"/E4/kernel-recirc/trial-1
cat > "$MANIFEST" <<M
experiment,arm,trial,status,requests_csv,param,cpu_kernel_pct
E4,kernel-htb,1,ok,raw/h1.csv,htb,4.0
E4,kernel-htb,2,ok,raw/h2.csv,htb,6.0
E4,kernel-htb,3,failed,raw/h3.csv,htb,90.0
E4,kernel-recirc,1,ok,raw/r1.csv,recirc,50.0
M
# requests CSV: ids 0 and 1 stall (2 %) and are hedged at T + HOLD us;
# id 5 is fast and must not count.
reqs() {
  echo "id,outcome,actual_send_ns,reply_ns"
  echo "0,ok,1000000,$((1000000 + 10000000 + $2 * 1000))"
  echo "1,ok,2000000,$((2000000 + 10000000 + $3 * 1000))"
  echo "5,ok,3000000,3100000"
} 
reqs h1 100 200 > "$RUN/raw/h1.csv"
reqs h2 300 400 > "$RUN/raw/h2.csv"
reqs h3 9000 9000 > "$RUN/raw/h3.csv"
reqs r1 50 60 > "$RUN/raw/r1.csv"
stats() { printf '{"dev":"v","counters":{"hedges_sent":2},"release_late":{"count":%s,"p50_us":0,"buckets":[%s]},"services":[]}\n' "$1" "$2"; }
stats 11 "[5,10],[40,1]" > "$RUN/E4/kernel-htb/trial-1/hedger-stats.json"
stats 9 "[5,8],[100,1]" > "$RUN/E4/kernel-htb/trial-2/hedger-stats.json"
# a failed trial's histogram must not count
stats 50 "[9999,50]" > "$RUN/E4/kernel-htb/trial-3/hedger-stats.json"

ra_post_e4
want="backend,hedged,hold_p50_us,hold_p99_us,hold_max_us,cpu_kernel_pct,release_late_p50_us,release_late_p99_us,release_late_max_us
htb,4,200,400,400,5.0,5,100,100
recirc,2,50,60,60,50.0,,,"
[ "$(cat "$RUN/E4/hold.csv")" = "$want" ] || fail "hold.csv:
$(cat "$RUN/E4/hold.csv")
expected:
$want"

# The pooled quantile alone: 100 samples, P50 and P99 where the running
# count reaches 50 and 99.
printf '{"release_late":{"count":100,"buckets":[[1,49],[2,1],[3,48],[7,1],[12,1]]}}\n' > "$tmp/one.json"
got=$(echo "$tmp/one.json" | ra_release_late_pooled)
[ "$got" = "2,7,12" ] || fail "pooled quantiles: got $got, want 2,7,12"
got=$(echo "$tmp/missing.json" | ra_release_late_pooled)
[ "$got" = ",," ] || fail "no histogram: got '$got', want ',,'"
echo "post_e4: all checks passed"
