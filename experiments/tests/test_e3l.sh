#!/usr/bin/env bash
# test_e3l: E3L really runs E3 with the delay line on a CPU of its own. A
# one-trial E3L run (run_all.sh, a namespaced lab of its own) must have both
# arms ok on htb, client and server on CPU 0 in both arms, the line's
# receive queue steered to CPU 1 (RPS mask 2) in the kernel arm, every clone
# accounted at the line's CPU (first pass or reply-won drop), E3L/tail.csv and
# the E3L sections of summary.md; and E3 rows untouched (none run). With
# --line-poll the kernel arm's hedger polls CPU 1 (its banner says so), meta
# records it, the summary's title says it, and both arms are still ok.
# Usage: test_e3l.sh BUILD_DIR   (root, 2 CPUs, htb; skips with 77 otherwise)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_e3l.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"

require_netns "network namespaces, BPF"
taskset -c 0,1 true 2>/dev/null || skip "E3L needs CPUs 0 and 1"
for b in hedger/hedger hedger/progstats chaos-server/chaos-server clients/hedge-client experiments/summarize; do
  [ -x "$build/$b" ] || fail "$build/$b is not built"
done
"$build/hedger/hedger" probe 2>/dev/null | grep -q '^available: .*htb' || skip "no htb delay line on this kernel"
requests=300 warmup=30
work_dir
tmp=$T_WORK

"$root/experiments/run_all.sh" --experiments E3L --trials 1 --requests $requests --warmup $warmup \
  --build-dir "$build" --no-bootstrap --no-build --no-figures --out "$tmp/run" > "$tmp/out" 2>&1 \
  || fail "run_all.sh failed: $(tail -n5 "$tmp/out")"
run=$tmp/run

for arm in baseline kernel; do
  grep -q "^E3L,$arm,1,ok," "$run/manifest.csv" || fail "E3L $arm trial not ok: $(cat "$run/manifest.csv")"
  d=$run/E3L/$arm/trial-1
  grep -qx 'pin_cpu=0' "$d/params.txt" || fail "$arm: client not pinned to CPU 0: $(grep pin_cpu "$d/params.txt")"
  grep -qx 'server_cpus=0' "$d/cpus.txt" || fail "$arm: server not on CPU 0: $(cat "$d/cpus.txt")"
done
[ "$(awk -F, '$1 == "E3L" && $2 == "kernel" { print $11 }' "$run/manifest.csv")" = htb ] || fail "kernel arm not on htb"
grep -qx 'line_rps_cpus=0*2' "$run/E3L/kernel/trial-1/cpus.txt" \
  || fail "the line's receive queue is not steered to CPU 1: $(cat "$run/E3L/kernel/trial-1/cpus.txt")"
grep -q '^E3,' "$run/summary.csv" && fail "E3 rows in an E3L-only run"

# Every clone is handed to the line's CPU and passes the rescuer there first;
# a carrier passes it three times at least (handed over, back from each
# pass), its riders none of their own (hedger counters).
csv=$run/E3L/bpf_stats.csv
st=$run/E3L/kernel/trial-1/hedger-stats.txt
[ -f "$csv" ] || { note=$(cat "$run/E3L/bpf_stats.note" 2>/dev/null || echo "no note")
  case $note in *BPF_ENABLE_STATS*) skip "this kernel has no BPF_ENABLE_STATS: $note" ;; esac
  fail "no E3L/bpf_stats.csv: $note"; }
min_runs=$(awk '{ v[$1] = $2 } END { print v["clones"] - v["requests_on_carrier"] + 3 * v["carriers"] }' "$st")
awk -F, -v sent=$((requests + warmup)) -v min="$min_runs" '
  $1 == "splitter" && $2 < sent { print "FAIL: splitter ran " $2 " times for " sent " requests" > "/dev/stderr"; bad = 1 }
  $1 == "rescuer" && ($2 < min || min < 1) { print "FAIL: rescuer ran " $2 " times, want >= " min " (own clones + 3 per carrier)" > "/dev/stderr"; bad = 1 }
  $1 == "rescuer" { seen = 1 }
  END { exit bad || !seen }' "$csv" || fail "implausible E3L/bpf_stats.csv: $(cat "$csv")"
# Hedger counters: every request cloned (on a carrier or not); at the line's
# CPU each clone or carrier either starts its hold (first pass of the
# size-table hold) or is dropped because its reply already came; no dummies
# (that is the other hold).
awk -v sent=$((requests + warmup)) '{ v[$1] = $2 }
  END {
    if (v["clones"] < sent) { print "FAIL: clones " v["clones"] " < " sent " requests" > "/dev/stderr"; exit 1 }
    if (v["htb_first_passes"] + v["clones_dropped_reply_won"] < v["clones"]) {
      print "FAIL: first passes " v["htb_first_passes"] " + reply-won drops " v["clones_dropped_reply_won"] " < clones " v["clones"] > "/dev/stderr"; exit 1 }
    if (v["htb_first_passes"] == "" || v["htb_dummies_dropped"] != 0) { print "FAIL: not the size-table hold" > "/dev/stderr"; exit 1 }
  }' "$st" || fail "hedger counters: $(head -n 25 "$st")"

[ "$(wc -l < "$run/E3L/tail.csv")" = 5 ] || fail "E3L/tail.csv: $(cat "$run/E3L/tail.csv")"
grep -q '^## E3L do-no-harm' "$run/summary.md" || fail "summary.md has no E3L do-no-harm section"
grep -q '^## E3L BPF programs' "$run/summary.md" || fail "summary.md has no E3L BPF section"
grep -qx 'e3l_line_poll=no' "$run/meta" || fail "meta: $(grep e3l_line_poll "$run/meta")"

"$root/experiments/run_all.sh" --experiments E3L --line-poll --trials 1 --requests $requests \
  --warmup $warmup --build-dir "$build" --no-bootstrap --no-build --no-figures --out "$tmp/poll" \
  > "$tmp/out-poll" 2>&1 || fail "run_all.sh --line-poll failed: $(tail -n5 "$tmp/out-poll")"
for arm in baseline kernel; do
  grep -q "^E3L,$arm,1,ok," "$tmp/poll/manifest.csv" || fail "--line-poll: E3L $arm trial not ok"
done
grep -q '^line poll: CPU 1' "$tmp/poll/E3L/kernel/trial-1/hedger.log" \
  || fail "--line-poll: the hedger does not poll: $(head -n5 "$tmp/poll/E3L/kernel/trial-1/hedger.log")"
grep -qx 'e3l_line_poll=yes' "$tmp/poll/meta" || fail "--line-poll: meta does not record it"
grep -q '^## E3L do-no-harm .*polling its receive queue' "$tmp/poll/summary.md" \
  || fail "--line-poll: the E3L do-no-harm title does not say it"
echo "e3l: all checks passed"
