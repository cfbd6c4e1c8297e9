#!/usr/bin/env bash
# gate.sh - the CI latency regression gate (meson suite "regression"): a
# short baseline + kernel-hedged run in a fresh namespaced lab on the default
# backend, judged by check.sh. Exit 0 pass, 1 fail, 77 skip (no root, no
# network namespaces, or no delay-line backend on this kernel).
#
# Usage: experiments/regression/gate.sh BUILD_DIR
# Knobs (environment): GATE_REQUESTS (2000), GATE_TRIALS (2), and the margins
# of check.sh. About 70 s here: 2 trials x (baseline 21 s + kernel 5 s) + setup.
# No warm-up: every request is in the raw CSV, so each hedge can be accounted
# for (check.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: gate.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, BPF)"
probe_ns="khgate$RANDOM"
ip netns add "$probe_ns" 2>/dev/null || skip "cannot create a network namespace"
ip netns del "$probe_ns"
for b in chaos-server/chaos-server clients/hedge-client hedger/hedger experiments/summarize; do
  [ -x "$build/$b" ] || skip "$b is not built in $build"
done
avail=$("$build/hedger/hedger" probe 2>/dev/null | awk -F': ' '$1 == "available" { print $2 }')
[ -n "$avail" ] || skip "hedger probe finds no delay-line backend on this kernel"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "gate: backends available: $avail (running on the default: auto)"
rc=0
"$root/experiments/run_all.sh" --no-bootstrap --no-build --no-figures --build-dir "$build" \
  --experiments gate --requests "${GATE_REQUESTS:-2000}" --warmup 0 --trials "${GATE_TRIALS:-2}" \
  --out "$tmp/run" > "$tmp/run_all.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
  echo "GATE FAIL: run_all.sh exited $rc:"; tail -n 15 "$tmp/run_all.log"; exit 1
fi
grep -E '^\| (baseline|kernel) ' "$tmp/run/summary.md" || true
"$here/check.sh" "$tmp/run"
