#!/usr/bin/env bash
# gate.sh - the CI latency regression gate (meson suite "regression"): a
# short baseline + kernel-hedged run in a fresh namespaced lab on the default
# backend, with faults (gate) and without (E3 and E3L, do-no-harm; run_all.sh
# leaves E3L out on a machine with one CPU or no htb; gate-apart, E3's
# baseline with client and server on different CPUs, is the placement
# reference for E3's P50), judged by check.sh.
# Exit 0 pass, 1 fail, 77 skip (no root, no network namespaces, or no
# delay-line backend on this kernel).
#
# Usage: experiments/regression/gate.sh BUILD_DIR
# Knobs (environment): GATE_REQUESTS (2000), GATE_TRIALS (2), and the margins
# of check.sh. About 65-90 s here: 2 trials x (baseline 21 s + kernel 5 s + E3
# and E3L 4 x 2 s + gate-apart 1 s) + setup.
# No warm-up: every request is in the raw CSV, so each hedge can be accounted
# for (check.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: gate.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)

. "$root/tests/lib.sh"
require_netns "network namespaces, BPF"
for b in chaos-server/chaos-server clients/hedge-client hedger/hedger experiments/summarize; do
  [ -x "$build/$b" ] || skip "$b is not built in $build"
done
avail=$("$build/hedger/hedger" probe 2>/dev/null | awk -F': ' '$1 == "available" { print $2 }')
[ -n "$avail" ] || skip "hedger probe finds no delay-line backend on this kernel"

work_dir
tmp=$T_WORK
echo "gate: backends available: $avail (running on the default: auto)"
rc=0
"$root/experiments/run_all.sh" --no-bootstrap --no-build --no-figures --build-dir "$build" \
  --experiments gate,gate-apart,E3,E3L --requests "${GATE_REQUESTS:-2000}" --warmup 0 --trials "${GATE_TRIALS:-2}" \
  --out "$tmp/run" > "$tmp/run_all.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
  echo "GATE FAIL: run_all.sh exited $rc:"; tail -n 15 "$tmp/run_all.log"; exit 1
fi
grep -E '^## |^\| (baseline|kernel) ' "$tmp/run/summary.md" | grep -B1 '^| ' | grep -v '^--' || true
sed -n '/^## E3L\{0,1\} do-no-harm/,/^## [^E]/p' "$tmp/run/summary.md" | grep '^| [PM]\|^## E3' || true
"$here/check.sh" "$tmp/run"
