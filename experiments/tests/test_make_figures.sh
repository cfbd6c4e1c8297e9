#!/usr/bin/env bash
# test_make_figures: plots/make_figures.sh draws every figure, as real PNG and
# PDF files, from a summarized run; bad input fails cleanly. Skips (77) when
# gnuplot is absent.
set -euo pipefail
summarize=$1
plots=$(cd "$(dirname "$0")/../../plots" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
command -v gnuplot >/dev/null || skip "gnuplot is not installed"
work_dir
tmp=$T_WORK

mkdir -p "$tmp/run/raw"
echo "experiment,arm,trial,status,requests_csv,param,hedges_sent,total_requests" > "$tmp/run/manifest.csv"
# Two arms of E1 and a two-point E5 sweep; request i takes 2 ms, every 50th
# stalls 400 ms (baseline) or 12 ms (hedged), one trial each.
for arm in baseline kernel; do
  { echo "id,intended_send_ns,actual_send_ns,reply_ns,outcome"
    for i in $(seq 1 200); do
      l=2000000
      if [ $((i % 50)) = 0 ]; then if [ $arm = baseline ]; then l=400000000; else l=12000000; fi; fi
      s=$((i * 1000000000)); echo "$i,$s,$s,$((s + l)),ok"
    done; } > "$tmp/run/raw/$arm.csv"
  echo "E1,$arm,1,ok,raw/$arm.csv,,,200" >> "$tmp/run/manifest.csv"
done
echo "E5,kernel-5ms,1,ok,raw/kernel.csv,5,10,200" >> "$tmp/run/manifest.csv"
echo "E5,kernel-10ms,1,ok,raw/kernel.csv,10,4,200" >> "$tmp/run/manifest.csv"
"$summarize" "$tmp/run/manifest.csv" || fail "summarize"
"$plots/make_figures.sh" "$tmp/run" > "$tmp/out" || fail "make_figures.sh failed"

for e in E1 E5; do
  for k in cdf tail spectrum series bars; do
    head -c 8 "$tmp/run/figures/$e-$k.png" | grep -q PNG || fail "$e-$k.png is not a PNG"
    head -c 5 "$tmp/run/figures/$e-$k.pdf" | grep -q '%PDF' || fail "$e-$k.pdf is not a PDF"
  done
done
[ -f "$tmp/run/figures/E5-sweep.pdf" ] || fail "no E5 sweep figure"
[ ! -f "$tmp/run/figures/E1-sweep.pdf" ] || fail "E1 got a sweep figure"
grep -q '^make_figures.sh: 11 figures' "$tmp/out" || fail "unexpected report: $(cat "$tmp/out")"

# Columns are read by name: summary.csv with its columns in another order
# draws the same pixels; a plot data file whose column is renamed fails.
mkdir "$tmp/reord"
cp -r "$tmp/run/plotdata" "$tmp/reord/"
awk -F, -v OFS=, '{ for (i = NF; i > 1; i--) printf "%s,", $i; print $1 }' "$tmp/run/summary.csv" \
  > "$tmp/reord/summary.csv"
"$plots/make_figures.sh" "$tmp/reord" > /dev/null || fail "reordered summary.csv not drawn"
for k in E1-bars E5-sweep; do
  cmp -s "$tmp/run/figures/$k.png" "$tmp/reord/figures/$k.png" || fail "$k differs with reordered columns"
done
sed -i '1s/latency_ms/lat_ms/' "$tmp/reord/plotdata/E1.kernel.cdf"
if "$plots/make_figures.sh" "$tmp/reord" 2> "$tmp/err"; then fail "drew a cdf without a latency_ms column"; fi
grep -q 'no column with header "latency_ms"' "$tmp/err" || fail "unexpected error: $(cat "$tmp/err")"

# Bad input: one error line, non-zero exit, nothing half-made.
mkdir "$tmp/empty"
if "$plots/make_figures.sh" "$tmp/empty" 2> "$tmp/err"; then fail "accepted a dir without summary.csv"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "expected one error line: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/empty")" ] || fail "left files in a bad results dir"
# A summary naming an arm whose plot data are missing is skipped, not drawn empty.
rm "$tmp/run/plotdata/E1.kernel.cdf"
"$plots/make_figures.sh" "$tmp/run" > "$tmp/out" 2>&1 || fail "an arm without plot data broke the figures: $(cat "$tmp/out")"
if "$plots/make_figures.sh" "$tmp/nonexistent" 2> "$tmp/err"; then fail "accepted a missing dir"; fi
echo "make_figures: all checks passed"
