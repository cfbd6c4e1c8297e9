#!/usr/bin/env bash
# measure_e3.sh - measure the run-to-run spread of E3's do-no-harm figures on
# this machine: per trial, kernel-hedged minus baseline latency at P50, P99,
# P99.9 and MAX (no faults; the arms alternate, so each trial pair shares the
# machine's state). The gate's E3 margins come from this (regression/README.md).
# Writes a normal results directory and prints per-percentile statistics of
# the per-trial excess, in us.
#
# Usage: experiments/regression/measure_e3.sh BUILD_DIR [TRIALS] [run_all options]
# E3_EXP=E3L measures the twin with the delay line on a CPU of its own.
# Example: experiments/regression/measure_e3.sh build 20
#          E3_EXP=E3L experiments/regression/measure_e3.sh build 20
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: measure_e3.sh BUILD_DIR [TRIALS] [run_all options]" >&2; exit 2; }
build=$1
trials=${2:-20}
shift $(($# >= 2 ? 2 : 1))
exp=${E3_EXP:-E3}
[[ $exp =~ ^E3L?$ ]] || { echo "measure_e3.sh: E3_EXP must be E3 or E3L" >&2; exit 2; }
out="$root/results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)-$(echo "$exp" | tr A-Z a-z)-variance"
"$root/experiments/run_all.sh" --no-bootstrap --no-build --no-figures --build-dir "$build" \
  --experiments "$exp" --requests "${GATE_REQUESTS:-2000}" --warmup 0 --trials "$trials" --out "$out" "$@" >/dev/null || true
awk -F, -v e="$exp" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["experiment"] == e && $c["status"] == "ok" {
    v[$c["arm"], $c["trial"], 1] = $c["p50_ms"]; v[$c["arm"], $c["trial"], 2] = $c["p99_ms"]
    v[$c["arm"], $c["trial"], 3] = $c["p999_ms"]; v[$c["arm"], $c["trial"], 4] = $c["max_ms"]
    if ($c["trial"] > nt) nt = $c["trial"]
  }
  END {
    split("P50 P99 P99.9 MAX", name, " ")
    printf "per trial, kernel - baseline (us):\n%-6s %6s %9s %9s %9s %9s   baseline mean (us)\n", "", "trials", "mean", "sd", "min", "max"
    for (p = 1; p <= 4; p++) {
      n = s = s2 = sb = 0
      for (t = 1; t <= nt; t++) {
        if (!(("kernel", t, p) in v) || !(("baseline", t, p) in v)) continue
        d = (v["kernel", t, p] - v["baseline", t, p]) * 1000
        n++; s += d; s2 += d * d; sb += v["baseline", t, p] * 1000
        if (n == 1 || d < lo) lo = d; if (n == 1 || d > hi) hi = d
      }
      if (!n) { print "no trial pair"; exit 1 }
      m = s / n; sd = sqrt((s2 - n * m * m) / (n > 1 ? n - 1 : 1))
      printf "%-6s %6d %9.1f %9.1f %9.1f %9.1f   %.1f\n", name[p], n, m, sd, lo, hi, sb / n
    }
  }' "$out/trials.csv" | tee "$out/variance.txt"
echo "results: $out"
