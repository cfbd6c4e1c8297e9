#!/usr/bin/env bash
# test_summarize: the summarize CLI on hand-made trials whose percentiles,
# CIs and counts are worked out below by hand, plus its bad-input handling.
set -euo pipefail
summarize=$1
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK

mkdir -p "$tmp/run/raw"
# baseline trial 1: request i takes i ms (1..100); trial 2: 2i ms (2..200).
for t in 1 2; do
  { echo "id,intended_ns,send_ns,reply_ns,outcome"
    for i in $(seq 1 100); do
      s=$((i * 1000000000)); echo "$i,$s,$s,$((s + t * i * 1000000)),ok"
    done; } > "$tmp/run/raw/b$t.csv"
done
# kernel trials 1 and 2 alike: i ms for i=1..98, ids 99 and 100 time out;
# in trial 1 request 5 also saw a duplicate.
for t in 1 2; do
  { echo "id,intended_ns,send_ns,reply_ns,outcome"
    for i in $(seq 1 98); do
      s=$((i * 1000000000)); o=ok; [ "$t$i" = 15 ] && o=duplicate-seen
      echo "$i,$s,$s,$((s + i * 1000000)),$o"
    done
    echo "99,99000000000,99000000000,0,timeout"
    echo "100,100000000000,100000000000,0,timeout"; } > "$tmp/run/raw/k$t.csv"
done
cat > "$tmp/run/manifest.csv" <<M
experiment,arm,trial,status,requests_csv,hedges_sent,total_requests
E1,baseline,1,ok,raw/b1.csv,,
E1,kernel,1,ok,raw/k1.csv,3,250
E1,baseline,2,ok,raw/b2.csv,,
E1,kernel,2,ok,raw/k2.csv,4,250
E1,kernel,3,failed,raw/missing.csv,,
M
"$summarize" "$tmp/run/manifest.csv" || fail "summarize exited $?"

# Baseline pooled (200 values: 1..100 and 2,4..200). #values <= v is v+v/2
# for v <= 100, so P50 (rank 100) = 67; above 100 only 102..200 remain:
# P95 rank 190 = 11th from the top = 180, P99 rank 198 = 196, P99.9 rank 200
# = 200. Bootstrap over 2 trials: P99 of (1,1)=99, (2,2)=198, (1,2)=196, so
# the CI is [99,198]; MAX (1,1)=100 else 200: [100,200].
# Kernel: two identical trials of 1..98 ms: P50 rank 98 -> 49, P95 rank 187
# -> 94, P99 rank 195 -> 98, P99.9 rank 196 -> 98; every resample is alike,
# so the CIs collapse to 98. Reduction 1-98/196 = 50 %. 4 timeouts, hedges
# 3+4 from the manifest, counted over 2 x 250 requests sent = 1.40 %, one duplicate.
expect_base="E1,baseline,,2,0,200,200,67.000,180.000,196.000,200.000,200.000,99.000,198.000,100.000,200.000,,0,0,0.00,0"
expect_kern="E1,kernel,,2,1,200,196,49.000,94.000,98.000,98.000,98.000,98.000,98.000,98.000,98.000,50.0,4,7,1.40,1"
got_base=$(grep '^E1,baseline,' "$tmp/run/summary.csv")
got_kern=$(grep '^E1,kernel,' "$tmp/run/summary.csv")
[ "$got_base" = "$expect_base" ] || fail "baseline row: $got_base, expected $expect_base"
[ "$got_kern" = "$expect_kern" ] || fail "kernel row: $got_kern, expected $expect_kern"

# Per-trial rows: baseline trial 2 alone is 2..200: P99 rank 99 = 198.
grep -q '^E1,baseline,,2,ok,100,100,100.000,190.000,198.000,200.000,200.000,0,0,0$' "$tmp/run/trials.csv" \
  || fail "trials.csv baseline trial 2: $(grep '^E1,baseline,,2,' "$tmp/run/trials.csv")"
grep -q '^E1,kernel,,3,failed,' "$tmp/run/trials.csv" || fail "failed trial not listed"

# summary.md carries the same numbers.
grep -q '| kernel |  | 2 (+failed) | 49.000 | 94.000 | 98.000 | \[98.000, 98.000\] |' "$tmp/run/summary.md" \
  || fail "summary.md kernel row: $(grep '| kernel' "$tmp/run/summary.md")"

# Plot data: series in request order with the two timeouts as NaN.
series=$tmp/run/plotdata/E1.kernel.series
[ "$(grep -vc '^#' "$series")" = 100 ] || fail "series length"
[ "$(grep -c ' NaN$' "$series")" = 2 ] || fail "series timeouts"
[ "$(sed -n '2p' "$series")" = "0 1.000000" ] || fail "series first row: $(sed -n 2p "$series")"
[ "$(tail -n1 "$tmp/run/plotdata/E1.baseline.cdf")" = "200.000000 1.000000" ] || fail "cdf last row"
tail -n1 "$tmp/run/plotdata/E1.baseline.spectrum" | grep -q '^200.000000 100.000000 ' || fail "spectrum max row"

# Bad input: one error line, non-zero exit, no summary written.
mkdir "$tmp/bad"
echo "experiment,arm,trial" > "$tmp/bad/manifest.csv"
if "$summarize" "$tmp/bad/manifest.csv" 2> "$tmp/err"; then fail "accepted a bad header"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "expected one error line, got: $(cat "$tmp/err")"
[ ! -e "$tmp/bad/summary.csv" ] || fail "summary.csv written for bad input"
if "$summarize" "$tmp/nonexistent.csv" 2> "$tmp/err"; then fail "accepted a missing manifest"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "missing manifest: $(cat "$tmp/err")"
printf 'experiment,arm,trial,status,requests_csv\nE1,a,1,ok,raw/nope.csv\n' > "$tmp/bad/manifest.csv"
if "$summarize" "$tmp/bad/manifest.csv" 2> "$tmp/err"; then fail "accepted a missing trial CSV"; fi
[ ! -e "$tmp/bad/summary.csv" ] || fail "summary.csv written for a missing trial CSV"
printf 'experiment,arm,trial,status,requests_csv,hedges_sent\nE1,a,1,ok,raw/b1.csv,x\n' > "$tmp/run/bad.csv"
if "$summarize" -o "$tmp/bad" "$tmp/run/bad.csv" 2> "$tmp/err"; then fail "accepted hedges_sent x"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "bad count: $(cat "$tmp/err")"
# A row shorter than the header, in the manifest and in a trial's CSV.
printf 'experiment,arm,trial,status,requests_csv\nE1,a,1\n' > "$tmp/run/short.csv"
if "$summarize" -o "$tmp/bad" "$tmp/run/short.csv" 2> "$tmp/err"; then fail "accepted a short manifest row"; fi
grep -q 'short.csv:2: 3 columns, the header has 5' "$tmp/err" || fail "short manifest row: $(cat "$tmp/err")"
head -n 2 "$tmp/run/raw/b1.csv" > "$tmp/run/raw/short-trial.csv"
echo 7 >> "$tmp/run/raw/short-trial.csv"
printf 'experiment,arm,trial,status,requests_csv\nE1,a,1,ok,raw/short-trial.csv\n' > "$tmp/run/short2.csv"
if "$summarize" -o "$tmp/bad" "$tmp/run/short2.csv" 2> "$tmp/err"; then fail "accepted a short trial row"; fi
grep -q 'short-trial.csv:3: 1 columns, the header has' "$tmp/err" || fail "short trial row: $(cat "$tmp/err")"
"$summarize" --help | grep -q '^Usage: summarize' || fail "--help"
echo "summarize: all checks passed"
