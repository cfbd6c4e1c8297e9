#!/usr/bin/env bash
# test_gate_check: the regression gate's verdict (regression/check.sh) on
# hand-made runs: a good one passes, and each rule, broken alone, fails it.
set -euo pipefail
check=$(cd "$(dirname "$0")/../regression" && pwd)/check.sh
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK

# good RUN: T 10 + fast 2 = 12 ms; P99 12.1, MAX 13.0 are inside the default
# margins; baseline P99 400.1 >= 400; every stalled id hedged once (replay
# hits = stalled); trial 2 has one extra hedge, covered by 42 slow replies;
# no duplicates. E3 (no faults): kernel 11/41/58 us over the baseline at
# P99/P99.9/MAX (3 us at P50), inside the do-no-harm margins.
good() {
  mkdir -p "$1"
  cat > "$1/summary.csv" <<S
experiment,arm,param,trials,failed,requests,answered,p50_ms,p95_ms,p99_ms,p999_ms,max_ms,p99_ci_lo_ms,p99_ci_hi_ms,max_ci_lo_ms,max_ci_hi_ms,p99_reduction_pct,timeouts,hedges_sent,extra_pct,duplicates
gate,baseline,,2,0,4000,4000,2.05,2.15,400.100,400.2,400.3,400.1,400.1,400.2,400.3,,0,0,0.00,0
gate,kernel,,2,0,4000,4000,2.05,2.15,12.100,12.3,13.000,12.1,12.1,12.9,13.0,97.0,0,84,2.00,0
E3,baseline,,2,0,4000,4000,0.015,0.017,0.019,0.109,0.142,0.018,0.020,0.120,0.142,,0,0,0.00,0
E3,kernel,,2,0,4000,4000,0.018,0.020,0.030,0.150,0.200,0.029,0.031,0.180,0.200,,0,0,0.00,0
S
  cat > "$1/manifest.csv" <<M
experiment,arm,trial,status,requests_csv,param,hedges_sent,duplicates,total_requests,stalled,backend,cpu_busy_pct,cpu_kernel_pct,replay_hits,slow_requests
gate,baseline,1,ok,raw/a.csv,,0,0,2000,40,,50.0,5.0,0,40
gate,kernel,1,ok,raw/b.csv,,40,0,2000,40,htb,50.0,5.0,40,40
gate,kernel,2,ok,raw/c.csv,,41,0,2000,40,htb,50.0,5.0,40,42
gate,baseline,2,ok,raw/d.csv,,0,0,2000,40,,50.0,5.0,0,40
E3,baseline,1,ok,raw/e.csv,,0,0,2000,0,,50.0,5.0,0,0
E3,kernel,1,ok,raw/f.csv,,0,0,2000,0,htb,50.0,5.0,0,0
M
}

# expect_fail NAME FILE SED_EXPR PATTERN: break one rule, expect exit 1 and
# a GATE FAIL line matching PATTERN.
expect_fail() {
  local d="$tmp/$1"
  good "$d"
  sed -i "$3" "$d/$2"
  if "$check" "$d" > "$d/out" 2>&1; then fail "$1: the gate passed: $(cat "$d/out")"; fi
  grep -q "GATE FAIL: .*$4" "$d/out" || fail "$1: no '$4' in: $(cat "$d/out")"
}

good "$tmp/good"
"$check" "$tmp/good" > "$tmp/good/out" || fail "good run failed the gate: $(cat "$tmp/good/out")"
[ "$(grep -c '^gate ok' "$tmp/good/out")" = 10 ] || fail "good run: $(cat "$tmp/good/out")"

expect_fail p99 summary.csv 's/^gate,kernel,,2,0,4000,4000,2.05,2.15,12.100/gate,kernel,,2,0,4000,4000,2.05,2.15,13.600/' 'kernel P99 13.600'
expect_fail max summary.csv 's/12.3,13.000,/12.3,400.500,/' 'kernel MAX 400.500'
expect_fail nofaults summary.csv 's/2.15,400.100,/2.15,2.300,/' 'baseline P99 2.300'
expect_fail dups summary.csv '/^gate,kernel/s/,0$/,3/' '3 duplicate'
expect_fail fewhedges manifest.csv 's/^gate,kernel,1,ok,raw\/b.csv,,40/gate,kernel,1,ok,raw\/b.csv,,39/' '39 hedges sent for 40 stalled'
expect_fail manyhedges manifest.csv 's/^gate,kernel,2,ok,raw\/c.csv,,41/gate,kernel,2,ok,raw\/c.csv,,43/' '43 hedges sent for 40 stalled ids and 42'
expect_fail unhedged manifest.csv 's/^\(gate,kernel,1,.*\),40,40$/\1,39,40/' 'server saw 39 hedges of its 40'
expect_fail nostall manifest.csv 's/^gate,kernel,1,ok,raw\/b.csv,,40,0,2000,40,htb,50.0,5.0,40,40/gate,kernel,1,ok,raw\/b.csv,,0,0,2000,0,htb,50.0,5.0,0,0/' 'no stalled ids'
expect_fail failed manifest.csv 's/^gate,kernel,2,ok/gate,kernel,2,failed/' 'kernel trial 2 failed'
expect_fail nokernel summary.csv '/^gate,kernel/d' 'no kernel arm'
# Do-no-harm (E3): each percentile alone over its margin; E3 missing.
expect_fail e3p50 summary.csv 's/^E3,kernel,,2,0,4000,4000,0.018,/E3,kernel,,2,0,4000,4000,0.400,/' 'E3 do-no-harm P50: kernel 0.400'
expect_fail e3p99 summary.csv 's/^\(E3,kernel,,2,0,4000,4000,0.018,0.020\),0.030,/\1,500.000,/' 'E3 do-no-harm P99: kernel 500.000'
expect_fail e3p999 summary.csv 's/^\(E3,kernel,.*,0.030\),0.150,/\1,500.000,/' 'E3 do-no-harm P99.9: kernel 500.000'
expect_fail e3max summary.csv 's/^\(E3,kernel,.*,0.150\),0.200,/\1,900.000,/' 'E3 do-no-harm MAX: kernel 900.000'
expect_fail noe3 summary.csv '/^E3,/d' 'no E3 baseline and kernel'
# E3L (the delay line on its own CPU): judged only when the run has E3L
# trials, then on its own margins; 1 us over each margin fails, at the margin passes.
e3l_run() {
  good "$1"
  printf 'E3L,baseline,1,ok,raw/g.csv,,0,0,2000,0,,50.0,5.0,0,0\nE3L,kernel,1,ok,raw/h.csv,,0,0,2000,0,htb,50.0,5.0,0,0\n' >> "$1/manifest.csv"
  awk -v b="$2" -v k="$3" 'BEGIN {
    split(b, x, " "); split(k, y, " ")
    printf "E3L,baseline,,1,0,2000,2000,%s,0.020,%s,%s,%s,,,,,,0,0,0.00,0\n", x[1], x[2], x[3], x[4]
    printf "E3L,kernel,,1,0,2000,2000,%s,0.020,%s,%s,%s,,,,,,0,0,0.00,0\n", y[1], y[2], y[3], y[4] }' >> "$1/summary.csv"
}
export GATE_E3L_P50_MARGIN_US=10 GATE_E3L_P99_MARGIN_US=20 GATE_E3L_P999_MARGIN_US=50 GATE_E3L_MAX_MARGIN_US=200
e3l_run "$tmp/e3l-good" "0.015 0.019 0.109 0.142" "0.025 0.039 0.159 0.342"
"$check" "$tmp/e3l-good" > "$tmp/e3l-good/out" || fail "E3L at its margins failed: $(cat "$tmp/e3l-good/out")"
[ "$(grep -c '^gate ok:   E3L do-no-harm' "$tmp/e3l-good/out")" = 4 ] || fail "E3L not judged: $(cat "$tmp/e3l-good/out")"
i=0
for k in "0.026 0.039 0.159 0.342" "0.025 0.040 0.159 0.342" "0.025 0.039 0.160 0.342" "0.025 0.039 0.159 0.343"; do
  i=$((i + 1)); d=$tmp/e3l-bad$i
  e3l_run "$d" "0.015 0.019 0.109 0.142" "$k"
  if "$check" "$d" > "$d/out" 2>&1; then fail "E3L $k passed: $(cat "$d/out")"; fi
  [ "$(grep -c 'GATE FAIL: E3L do-no-harm' "$d/out")" = 1 ] || fail "E3L $k: $(cat "$d/out")"
done
d=$tmp/e3l-missing
e3l_run "$d" "0.015 0.019 0.109 0.142" "0.025 0.039 0.159 0.342"
sed -i '/^E3L,kernel/d' "$d/summary.csv"
if "$check" "$d" > "$d/out" 2>&1; then fail "E3L trials without E3L rows passed"; fi
grep -q 'GATE FAIL: no E3L baseline and kernel' "$d/out" || fail "E3L missing: $(cat "$d/out")"
unset GATE_E3L_P50_MARGIN_US GATE_E3L_P99_MARGIN_US GATE_E3L_P999_MARGIN_US GATE_E3L_MAX_MARGIN_US

# E3's P50 against the gate-apart baseline (client and server on different
# CPUs): the slower of the two baselines is the reference. Kernel P50 0.250 ms
# is 235 us over the baseline, which fails alone; with an apart baseline of
# 0.140 ms it is 110 us over the reference and passes; 0.261 ms (121 us) fails.
# apart_run DIR KERNEL_P50 [APART_P50 [BASELINE_P50]]
apart_run() {
  good "$1"
  sed -i "s/^E3,kernel,,2,0,4000,4000,0.018,/E3,kernel,,2,0,4000,4000,$2,/; s/^E3,baseline,,2,0,4000,4000,0.015,/E3,baseline,,2,0,4000,4000,${4:-0.015},/" "$1/summary.csv"
  echo 'gate-apart,baseline,1,ok,raw/i.csv,,0,0,2000,0,,50.0,5.0,0,0' >> "$1/manifest.csv"
  echo "gate-apart,baseline,,2,0,4000,4000,${3:-0.140},0.200,0.400,1.000,2.000,,,,,,0,0,0.00,0" >> "$1/summary.csv"
}
d=$tmp/apart-good; apart_run "$d" 0.250
"$check" "$d" > "$d/out" || fail "E3 P50 within the apart reference failed: $(cat "$d/out")"
grep -q 'gate ok:   E3 do-no-harm P50: kernel 0.250 ms - reference 0.140 ms (the slower of baseline 0.015 and baseline apart 0.140) = +110 us' "$d/out" \
  || fail "apart reference not used: $(cat "$d/out")"
d=$tmp/apart-alone; good "$d"; sed -i 's/^E3,kernel,,2,0,4000,4000,0.018,/E3,kernel,,2,0,4000,4000,0.250,/' "$d/summary.csv"
if "$check" "$d" > "$d/out" 2>&1; then fail "E3 P50 +235 us without an apart baseline passed"; fi
d=$tmp/apart-bad; apart_run "$d" 0.261
if "$check" "$d" > "$d/out" 2>&1; then fail "E3 P50 121 us over the apart reference passed: $(cat "$d/out")"; fi
grep -q 'GATE FAIL: E3 do-no-harm P50: .* = +121 us > 120 us' "$d/out" || fail "apart-bad: $(cat "$d/out")"
# An apart baseline faster than the unpinned one is not the reference.
d=$tmp/apart-faster; apart_run "$d" 0.250 0.010 0.140
"$check" "$d" > "$d/out" || fail "apart faster than baseline: $(cat "$d/out")"
grep -q 'E3 do-no-harm P50: .* = +110 us' "$d/out" || fail "apart-faster: $(cat "$d/out")"
d=$tmp/apart-missing; apart_run "$d" 0.018; sed -i '/^gate-apart,/d' "$d/summary.csv"
if "$check" "$d" > "$d/out" 2>&1; then fail "gate-apart trials without a summary row passed"; fi
grep -q 'GATE FAIL: gate-apart trials but no gate-apart baseline' "$d/out" || fail "apart-missing: $(cat "$d/out")"
# The apart baseline is no reference for P99 and above: 500 ms at P99 still fails.
d=$tmp/apart-p99; apart_run "$d" 0.018; sed -i 's/^\(E3,kernel,,2,0,4000,4000,0.018,0.020\),0.030,/\1,500.000,/' "$d/summary.csv"
if "$check" "$d" > "$d/out" 2>&1; then fail "E3 P99 500 ms passed with an apart baseline"; fi

# Margins come from the environment too (the CI may widen them knowingly).
if GATE_P99_MARGIN_MS=0.05 "$check" "$tmp/good" > /dev/null; then fail "a 0.05 ms P99 margin passed 12.1 ms"; fi
if GATE_E3_P99_MARGIN_US=5 "$check" "$tmp/good" > /dev/null; then fail "a 5 us E3 P99 margin passed 11 us"; fi
echo "gate check: all checks passed"
