#!/usr/bin/env bash
# test_e8_figures: make_figures.sh draws E8's loss figures (E8-loss: P99,
# P99.9 and timeouts per arm and loss configuration; E8-ccdf: the tail with
# timeouts) from a summarized run, and the plotted numbers are the run's:
# summary.csv's without E8/table.csv, the table's (timeouts counted at the
# timeout) with it. Skips (77) when gnuplot is absent.
set -euo pipefail
summarize=$1
plots=$(cd "$(dirname "$0")/../../plots" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
command -v gnuplot >/dev/null || skip "gnuplot is not installed"
work_dir
run=$T_WORK/run

mkdir -p "$run/raw"
printf 'hedge_delay=10ms\nfast=2ms\ntimeout=1s\n' > "$run/meta"
echo "experiment,arm,trial,status,requests_csv,param,hedges_sent,total_requests" > "$run/manifest.csv"
# 200 requests per arm, 2 ms each; every 50th is "lost": a timeout
# (baseline) or answered at 12 ms (hedged). bern1 and burst5, no replica arm.
for arm in baseline-bern1 app-bern1 kernel-bern1 baseline-burst5 kernel-burst5; do
  { echo "id,intended_send_ns,actual_send_ns,reply_ns,outcome"
    for i in $(seq 1 200); do
      s=$((i * 1000000000))
      if [ $((i % 50)) = 0 ]; then
        case $arm in
          baseline-*) echo "$i,$s,$s,0,timeout"; continue ;;
          *) l=12000000 ;;
        esac
      else l=2000000; fi
      echo "$i,$s,$s,$((s + l)),ok"
    done; } > "$run/raw/$arm.csv"
  echo "E8,$arm,1,ok,raw/$arm.csv,${arm//[!0-9]/},4,200" >> "$run/manifest.csv"
done
"$summarize" "$run/manifest.csv" || fail "summarize"
"$plots/make_figures.sh" "$run" > "$T_WORK/out" || fail "make_figures.sh failed"
for k in loss ccdf cdf tail spectrum series bars; do
  head -c 8 "$run/figures/E8-$k.png" | grep -q PNG || fail "E8-$k.png is not a PNG"
  head -c 5 "$run/figures/E8-$k.pdf" | grep -q '%PDF' || fail "E8-$k.pdf is not a PDF"
done
grep -q '^make_figures.sh: 7 figures' "$T_WORK/out" || fail "unexpected report: $(cat "$T_WORK/out")"

# loss.dat: configurations in order; arms present (no kernel-replica column);
# without E8/table.csv the latencies are the answered ones, timeouts 2 %.
dat=$run/figures/E8-loss.dat
[ "$(awk 'NR > 1 { print $1 }' "$dat" | paste -sd' ')" = "bern1 burst5" ] || fail "configurations: $(cat "$dat")"
grep -q '^config baseline_p99 baseline_p999 baseline_timeout_pct app_p99 app_p999 app_timeout_pct kernel_p99 kernel_p999 kernel_timeout_pct$' "$dat" \
  || fail "columns: $(head -n1 "$dat")"
awk '$1 == "bern1" { exit !($2 == 2 && $4 == 2 && $5 == 12 && $7 == 0 && $8 == 12) }' "$dat" \
  || fail "bern1 row: $(grep bern1 "$dat")"
awk '$1 == "burst5" { exit !($5 == "NaN" && $8 == 12 && $10 == 0) }' "$dat" || fail "burst5 row (no app arm): $(grep burst5 "$dat")"
# ccdf: the baseline's tail levels off at its 2 % of timeouts out to the
# timeout (1000 ms); a hedged arm's ends at its slowest answer.
ccdf=$run/figures/E8-ccdf.bern1.dat
awk '/^# baseline/ { b = 1; next } /^# / { b = 0 } b && NF == 2 { x = $1; y = $2 } END { exit !(x == 1000 && y > 0.0199 && y < 0.0201) }' "$ccdf" \
  || fail "baseline tail does not end at the timeout share: $(cat "$ccdf")"
awk '/^# kernel/ { k = 1; next } /^# / { k = 0 } k && NF == 2 { x = $1 } END { exit !(x > 11.9 && x < 12.1) }' "$ccdf" \
  || fail "kernel tail: $(cat "$ccdf")"

# With run_all.sh's E8/table.csv, the bars are the table's numbers.
mkdir "$run/E8"
{ echo "arm,loss_pct,requests,timeouts,p50_ms,p99_ms,p999_ms,max_ms,bar_ms"
  echo "baseline-bern1,1,200,4,2.000,1000.000,1000.000,1000.000,14"
  echo "kernel-bern1,1,200,0,2.000,12.000,12.500,12.500,14"; } > "$run/E8/table.csv"
"$plots/make_figures.sh" "$run" > "$T_WORK/out" || fail "make_figures.sh with table.csv failed"
awk '$1 == "bern1" { exit !($2 == 1000 && $3 == 1000 && $4 == 2 && $5 == 12 && $6 == 12.5) }' "$dat" \
  || fail "bern1 row from table.csv: $(cat "$dat")"
grep -q burst5 "$dat" && fail "burst5 drawn though the table has no row for it"

# E8 arms not named <arm>-<config> get the generic figures only.
sed -i 's/^E8,\([a-z]*\)-\(bern1\|burst5\),/E8,\1\2,/' "$run/manifest.csv"
rm -rf "$run/E8" "$run/plotdata" "$run/summary.csv"
"$summarize" "$run/manifest.csv" || fail "summarize (renamed arms)"
"$plots/make_figures.sh" "$run" > "$T_WORK/out" 2> "$T_WORK/err" || fail "other arm names broke the figures: $(cat "$T_WORK/err")"
[ ! -f "$run/figures/E8-loss.pdf" ] || fail "E8-loss drawn without <arm>-<config> arms"
pass
