#!/usr/bin/env bash
# measure.sh - measure the run-to-run spread of the gate's kernel-hedged P99
# and MAX on this machine, the data the gate's margins come from
# (regression/README.md). Writes a normal results directory and prints
# per-trial statistics.
#
# Usage: experiments/regression/measure.sh BUILD_DIR [TRIALS] [run_all options]
# Example: experiments/regression/measure.sh build 20
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: measure.sh BUILD_DIR [TRIALS] [run_all options]" >&2; exit 2; }
build=$1
trials=${2:-20}
shift $(($# >= 2 ? 2 : 1))
out="$root/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-gate-variance"
"$root/experiments/run_all.sh" --no-bootstrap --no-build --no-figures --build-dir "$build" \
  --experiments gate-kernel --requests 2000 --warmup 100 --trials "$trials" --out "$out" "$@" >/dev/null || true
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["status"] == "ok" {
    n++; p = $c["p99_ms"]; m = $c["max_ms"]; sp += p; sp2 += p * p; sm += m; sm2 += m * m
    if (n == 1 || p > pmax) pmax = p; if (n == 1 || p < pmin) pmin = p
    if (n == 1 || m > mmax) mmax = m; if (n == 1 || m < mmin) mmin = m
  }
  END {
    if (!n) { print "no successful trial"; exit 1 }
    mp = sp / n; mm = sm / n
    sdp = sqrt((sp2 - n * mp * mp) / (n > 1 ? n - 1 : 1)); sdm = sqrt((sm2 - n * mm * mm) / (n > 1 ? n - 1 : 1))
    printf "trials %d\nP99 ms: mean %.3f sd %.3f min %.3f max %.3f\nMAX ms: mean %.3f sd %.3f min %.3f max %.3f\n",
      n, mp, sdp, pmin, pmax, mm, sdm, mmin, mmax
  }' "$out/trials.csv" | tee "$out/variance.txt"
echo "results: $out"
