#!/usr/bin/env bash
# test_e6_kernel: E6 end to end, short. One trial of each arm (baseline,
# kernel-hedged, app-hedged, and through Unbound with and without the
# hedger) through run_all.sh: Knot DNS on both replicas of
# a `replicas 2` lab, replica 1's knotd paused 400 ms every 2 s with
# SIGSTOP. The baseline must feel the pauses, the kernel-hedged arm must not:
# every query answered, no duplicate reaching the client, P99 far below the
# pause; the pauses really happened (pauses.csv) and knotd is gone after.
# Usage: test_e6_kernel.sh BUILD_DIR   (root, knotd, unbound; skips with 77 otherwise)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_e6_kernel.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
. "$root/experiments/lib/servers.sh"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, BPF)"
ip netns list >/dev/null 2>&1 || skip "no network namespace support (ip netns)"
srv_require knotd knot >/dev/null 2>&1 || skip "knotd not found: install the Debian package 'knot'"
srv_require unbound unbound >/dev/null 2>&1 || skip "unbound not found (E6's resolver arms): install the Debian package 'unbound'"
for b in hedger/hedger clients/hedge-client experiments/proc-pauser experiments/summarize; do
  [ -x "$build/$b" ] || fail "$build/$b is not built"
done
work_dir
run=$T_WORK/run
# 1500 measured queries at 500/s (3 s) after 100 warm-up: the first 2 s
# period of pauses begins 0.1 s after the warm-up (the client's start-up),
# so one whole 400 ms pause (its start within the period's first 1.6 s)
# falls into each arm's measured queries even if the client starts 0.9 s late.
"$root/experiments/run_all.sh" --experiments E6 --trials 1 --requests 1500 --warmup 100 \
  --build-dir "$build" --no-bootstrap --no-build --no-figures --out "$run" > "$T_WORK/out" 2>&1 \
  || fail "run_all.sh failed: $(tail -n5 "$T_WORK/out")"
grep -E '^\| (baseline|kernel|app) ' "$run/summary.md" >&2 || true
pgrep -x knotd >/dev/null && info "(some knotd runs on this host; checking ours are gone by pid)"
for arm in baseline kernel app unbound unbound-kernel; do
  n=$(awk 'NR > 1' "$run/E6/$arm/trial-1/pauses.csv" | wc -l)
  [ "$n" -ge 1 ] || fail "$arm: no pause recorded"
  awk -F, 'NR > 1 && ($3 - $2 < 390e6 || $3 - $2 > 600e6) { exit 1 }' "$run/E6/$arm/trial-1/pauses.csv" ||
    fail "$arm: a pause far from 400 ms: $(cat "$run/E6/$arm/trial-1/pauses.csv")"
done
col() { awk -F, -v a="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
  $1 == "E6" && $2 == a { print $h[c] }' "$run/summary.csv"; }
base_p99=$(col baseline p99_ms) kern_p99=$(col kernel p99_ms) kern_max=$(col kernel max_ms)
info "baseline P99 $base_p99 ms; kernel P99 $kern_p99 ms, MAX $kern_max ms"
# A pause covers 400 ms of the 3 s measured run: ~13 % of the queries wait
# up to 400 ms, so the baseline P99 is above 200 ms (~370 ms). Kernel-hedged: answered by
# replica 2 after T = 10 ms; P99 < 100 ms leaves room for a loaded machine
# (measured 10.9-12.3 ms, 31.8 ms in a trial whose client itself was 56 ms
# late) while unhedged pauses would put it near 400 ms.
awk -v b="$base_p99" -v k="$kern_p99" 'BEGIN { exit !(b > 200 && k < 100) }' ||
  fail "baseline P99 $base_p99 ms (expected > 200), kernel P99 $kern_p99 ms (expected < 100)"
[ "$(col kernel timeouts)" = 0 ] || fail "kernel arm: $(col kernel timeouts) queries lost"
# Through Unbound: the hedger acts on its upstream queries and nothing is
# lost. (Its P99 is reported, not bounded: one trial of the quick profile
# measured 244 ms, with 3x the usual hedges; see experiments/README.md.)
info "unbound P99 $(col unbound p99_ms) ms, unbound-kernel P99 $(col unbound-kernel p99_ms) ms"
[ "$(col unbound-kernel timeouts)" = 0 ] && [ "$(col unbound timeouts)" = 0 ] ||
  fail "queries lost through Unbound"
h=$(awk -F, '$1 == "E6" && $2 == "unbound-kernel" { print $7 }' "$run/manifest.csv")
[ "${h:-0}" -gt 0 ] || fail "unbound-kernel arm: the hedger sent no hedge for Unbound's queries"
[ "$(awk -F, '$1 == "E6" && $2 == "kernel" { print $8 }' "$run/manifest.csv")" = 0 ] ||
  fail "kernel arm: duplicate answers reached the client"
h=$(awk -F, '$1 == "E6" && $2 == "kernel" { print $7 }' "$run/manifest.csv")
[ "${h:-0}" -gt 0 ] || fail "kernel arm: the hedger sent no hedge"
for f in "$run"/E6/*/trial-1/server*.log; do
  pid=$(grep -oE 'PID [0-9]+' "$f" | awk '{ print $2 }' | head -n1)
  [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null || fail "knotd $pid ($f) still runs"
done
pass
