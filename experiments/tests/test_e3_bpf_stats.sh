#!/usr/bin/env bash
# test_e3_bpf_stats: E3's per-program BPF cost is really measured. A one-trial
# E3 run (run_all.sh, a namespaced lab of its own) must write E3/bpf_stats.csv
# with every hedger program, non-zero run counts and a plausible ns/run, the
# splitter seen once per request at least, the same numbers in summary.md,
# progstats' lines kept out of client.txt, and kernel.bpf_stats_enabled as it
# was (only the fd-scoped BPF_ENABLE_STATS is used).
# Usage: test_e3_bpf_stats.sh BUILD_DIR   (root; skips with 77 otherwise)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_e3_bpf_stats.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"

require_netns "network namespaces, BPF"
for b in hedger/hedger hedger/progstats chaos-server/chaos-server clients/hedge-client experiments/summarize; do
  [ -x "$build/$b" ] || fail "$build/$b is not built"
done
requests=300 warmup=30
work_dir
tmp=$T_WORK
sysctl_before=$(cat /proc/sys/kernel/bpf_stats_enabled)

"$root/experiments/run_all.sh" --experiments E3 --trials 1 --requests $requests --warmup $warmup \
  --build-dir "$build" --no-bootstrap --no-build --no-figures --out "$tmp/run" > "$tmp/out" 2>&1 \
  || fail "run_all.sh failed: $(tail -n5 "$tmp/out")"
run=$tmp/run
[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = "$sysctl_before" ] || fail "kernel.bpf_stats_enabled changed"
if [ ! -f "$run/E3/bpf_stats.csv" ]; then
  note=$(cat "$run/E3/bpf_stats.note" 2>/dev/null || echo "no note")
  case $note in *BPF_ENABLE_STATS*) skip "this kernel has no BPF_ENABLE_STATS: $note" ;; esac
  fail "no E3/bpf_stats.csv: $note"
fi

csv=$run/E3/bpf_stats.csv
cat "$csv"
head -n1 "$csv" | grep -q '^program,run_cnt,run_time_ns,ns_per_run,' || fail "bpf_stats.csv header: $(head -n1 "$csv")"
# The three programs the hedger loads; the rescuer runs for every clone the
# htb and recirc delay lines hand back (the backends this kernel offers; the
# statistics window stays open T + 100 ms after the client, so the last
# clones come back inside it), so it may stay idle only with another backend.
for p in splitter reply_filter rescuer; do grep -q "^$p," "$csv" || fail "no row for $p"; done
backend=$(awk -F, '$1 == "E3" && $2 == "kernel" { print $11 }' "$run/manifest.csv")
# A clone of its own comes back to the rescuer once at least, a carrier three
# times (handed over, back from each pass); its riders need no run of their own.
min_runs=$(awk '{ v[$1] = $2 } END { print v["clones"] - v["requests_on_carrier"] + 3 * v["carriers"] }' \
  "$run/E3/kernel/trial-1/hedger-stats.txt")
awk -F, -v sent=$((requests + warmup)) -v backend="$backend" -v min="$min_runs" '
  function bad(m) { print "FAIL: " $1 ": " m > "/dev/stderr"; failed = 1 }
  NR == 1 { next }
  $1 == "rescuer" && $2 == 0 && backend != "htb" && backend != "recirc" { next }
  {
    if ($2 <= 0) bad("run_cnt " $2 " (backend " backend ")")
    if ($3 <= 0) bad("run_time_ns " $3)
    # ns per packet: a few hundred ns to some us measured here; 0 or > 1 ms
    # per run would mean the counters are not what we think.
    if ($4 <= 0 || $4 > 1e6) bad("ns_per_run " $4)
    d = $3 - $2 * $4; if (d < 0) d = -d
    if (d > 0.05 * $2 + 1) bad("run_time_ns " $3 " != run_cnt x ns_per_run")
    if ($5 != sent) bad("requests " $5 ", sent " sent)
  }
  # Each request leaves through the splitter once (warm-up included), and
  # each answered one comes back through the reply filter.
  $1 == "splitter" && $2 < sent { bad("splitter ran " $2 " times for " sent " requests") }
  $1 == "reply_filter" && $2 < sent { bad("reply filter ran " $2 " times for " sent " replies") }
  # Every clone and carrier comes back (with clones only: 330-331 runs for
  # 330 requests with htb); 10 % slack for clones the line could not park.
  $1 == "rescuer" && (backend == "htb" || backend == "recirc") && ($2 < 0.9 * min || min < 1) {
    bad("rescuer ran " $2 " times, want >= 0.9 x " min " (own clones + 3 per carrier; backend " backend ")") }
  END { exit failed }' "$csv" || fail "implausible E3/bpf_stats.csv"

grep -q '^## E3 BPF programs' "$run/summary.md" || fail "summary.md has no E3 BPF section"
row=$(awk -F, '$1 == "splitter" { print "| splitter | " $2 " | " $3 " | " $4 " |" }' "$csv")
grep -qF "$row" "$run/summary.md" || fail "summary.md splitter row differs from bpf_stats.csv ($row)"
ct=$run/E3/kernel/trial-1/client.txt
grep -q '^prog ' "$ct" && fail "progstats lines left in client.txt"
grep -q 'latency .*count' "$ct" || fail "client.txt lost the client's own output"
echo "e3 bpf_stats: all checks passed"
