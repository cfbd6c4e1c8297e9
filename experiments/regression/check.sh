#!/usr/bin/env bash
# check.sh - the CI latency regression gate's verdict on a run of
# `run_all.sh --experiments gate` (arms baseline and kernel).
#
# Usage: experiments/regression/check.sh RUN_DIR
#
# Fails (exit 1, one line per violated rule) when:
#   - a trial failed;
#   - kernel-hedged P99 > T + fast + P99_MARGIN, or MAX > T + fast + MAX_MARGIN;
#   - baseline P99 < the stall (the faults did not happen: the gate would be
#     testing nothing);
#   - any duplicate reply reached the client in the kernel-hedged arm;
#   - in a kernel-hedged trial, a stalled id was not hedged exactly once
#     (server: replay hits != stalled ids), or the hedges sent are not
#     accounted for: fewer than the stalled ids, or more than the requests
#     whose reply came no sooner than T - 1 ms (a reply slower than T is
#     rightly hedged; on this shared VM 11 of 20 runs had 1-2 such hedges);
#   - do-no-harm (E3: no faults, baseline and kernel-hedged in the same run):
#     kernel P50, P99, P99.9 or MAX above the baseline's by more than its
#     margin; the same for E3L (client and server on one CPU, the delay line
#     on another) with its own, tighter margins, when the run has E3L trials.
#     E3's P50 is judged against the slower of the baseline and, when the run
#     has it, the gate-apart baseline (client and server pinned to different
#     CPUs): on two shared CPUs the scheduler runs an unpinned client and
#     server together or apart, and the P50 of a trial is that placement's.
# The margins and why they are what they are: experiments/regression/README.md.
set -euo pipefail

# Reference parameters the gate runs with (run_all.sh's profile).
T_MS=${GATE_T_MS:-10}
FAST_MS=${GATE_FAST_MS:-2}
STALL_MS=${GATE_STALL_MS:-400}
# Margins above T + fast, from measured run-to-run variance (README.md).
P99_MARGIN_MS=${GATE_P99_MARGIN_MS:-1.0}
MAX_MARGIN_MS=${GATE_MAX_MARGIN_MS:-200}
# Do-no-harm margins (E3, kernel minus baseline, us), from measure_e3.sh.
E3_P50_MARGIN_US=${GATE_E3_P50_MARGIN_US:-120}
E3_P99_MARGIN_US=${GATE_E3_P99_MARGIN_US:-10000}
E3_P999_MARGIN_US=${GATE_E3_P999_MARGIN_US:-20000}
E3_MAX_MARGIN_US=${GATE_E3_MAX_MARGIN_US:-100000}
# E3L (hedger --line-cpu), from E3_EXP=E3L measure_e3.sh.
E3L_P50_MARGIN_US=${GATE_E3L_P50_MARGIN_US:-100}
E3L_P99_MARGIN_US=${GATE_E3L_P99_MARGIN_US:-3000}
E3L_P999_MARGIN_US=${GATE_E3L_P999_MARGIN_US:-10000}
E3L_MAX_MARGIN_US=${GATE_E3L_MAX_MARGIN_US:-25000}

[ $# -eq 1 ] || { echo "usage: check.sh RUN_DIR" >&2; exit 2; }
run=$1
for f in summary.csv manifest.csv; do
  [ -f "$run/$f" ] || { echo "check.sh: $run/$f is missing" >&2; exit 1; }
done

awk -F, -v t="$T_MS" -v fast="$FAST_MS" -v stall="$STALL_MS" -v m99="$P99_MARGIN_MS" -v mmax="$MAX_MARGIN_MS" \
  -v e50="$E3_P50_MARGIN_US" -v e99="$E3_P99_MARGIN_US" -v e999="$E3_P999_MARGIN_US" -v emax="$E3_MAX_MARGIN_US" \
  -v l50="$E3L_P50_MARGIN_US" -v l99="$E3L_P99_MARGIN_US" -v l999="$E3L_P999_MARGIN_US" -v lmax="$E3L_MAX_MARGIN_US" '
  function bad(msg) { print "GATE FAIL: " msg; failed = 1 }
  function ok(msg) { print "gate ok:   " msg }
  # donoharm(EXP, margins...) - kernel minus baseline per percentile of EXP.
  # APART: the P50 (ms) of the gate-apart baseline, or "": the P50 reference of E3.
  function donoharm(x, m50, m99, m999, mmax, apart,   pn, lim, i, p, ref, what, d, msg) {
    if (!seen_e3[x, "baseline"] || !seen_e3[x, "kernel"]) { bad("no " x " baseline and kernel arms in summary.csv (do-no-harm)"); return }
    split("P50 P99 P99.9 MAX", pn, " "); lim["P50"] = m50; lim["P99"] = m99; lim["P99.9"] = m999; lim["MAX"] = mmax
    for (i = 1; i <= 4; i++) {
      p = pn[i]; ref = e3[x, "baseline", p]; what = "baseline " ref " ms"
      if (p == "P50" && apart != "") {
        if (apart + 0 > ref + 0) ref = apart
        what = "reference " ref " ms (the slower of baseline " e3[x, "baseline", p] " and baseline apart " apart ")"
      }
      # (to 0.1 us: the inputs have 1 us resolution, binary fractions do not)
      d = sprintf("%.1f", (e3[x, "kernel", p] - ref) * 1000) + 0
      msg = sprintf("%s do-no-harm %s: kernel %s ms - %s = %+.0f us", x, p, e3[x, "kernel", p], what, d)
      if (d > lim[p] + 0) bad(msg " > " lim[p] " us"); else ok(msg " <= " lim[p] " us")
    }
  }
  FILENAME ~ /manifest.csv$/ {
    if (FNR == 1) { for (i = 1; i <= NF; i++) m[$i] = i; next }
    if ($m["experiment"] == "E3L") ran_e3l = 1
    if ($m["experiment"] == "gate-apart") ran_apart = 1
    if ($m["status"] != "ok") { bad($m["arm"] " trial " $m["trial"] " failed"); next }
    if ($m["experiment"] == "gate" && $m["arm"] == "kernel") {
      ktrials++
      h = $m["hedges_sent"]; st = $m["stalled"]; rh = $m["replay_hits"]; slow = $m["slow_requests"]
      if (rh != st)
        bad("kernel trial " $m["trial"] ": the server saw " rh " hedges of its " st " stalled ids")
      else if (h < st || h > slow)
        bad("kernel trial " $m["trial"] ": " h " hedges sent for " st " stalled ids and " slow " replies slower than T - 1 ms")
      else
        ok("kernel trial " $m["trial"] ": every stalled id hedged once (" st "), " h " hedges <= " slow " slow replies")
      if ($m["stalled"] == 0) bad("kernel trial " $m["trial"] ": no stalled ids, nothing was tested")
    }
    next
  }
  FNR == 1 { for (i = 1; i <= NF; i++) s[$i] = i; next }
  $s["experiment"] == "gate-apart" { if ($s["arm"] == "baseline") apart_p50 = $s["p50_ms"]; next }
  $s["experiment"] == "E3" || $s["experiment"] == "E3L" {
    x = $s["experiment"]; a = $s["arm"]
    e3[x, a, "P50"] = $s["p50_ms"]; e3[x, a, "P99"] = $s["p99_ms"]; e3[x, a, "P99.9"] = $s["p999_ms"]; e3[x, a, "MAX"] = $s["max_ms"]
    seen_e3[x, a] = 1
    next
  }
  $s["arm"] == "baseline" {
    seen_base = 1
    if ($s["p99_ms"] == "" || $s["p99_ms"] + 0 < stall) bad("baseline P99 " $s["p99_ms"] " ms < stall " stall " ms: the faults did not happen")
    else ok("baseline P99 " $s["p99_ms"] " ms >= stall " stall " ms")
  }
  $s["arm"] == "kernel" {
    seen_kern = 1
    lim99 = t + fast + m99; limmax = t + fast + mmax
    if ($s["p99_ms"] == "" || $s["p99_ms"] + 0 > lim99) bad("kernel P99 " $s["p99_ms"] " ms > T + fast + " m99 " = " lim99 " ms")
    else ok("kernel P99 " $s["p99_ms"] " ms <= " lim99 " ms")
    if ($s["max_ms"] == "" || $s["max_ms"] + 0 > limmax) bad("kernel MAX " $s["max_ms"] " ms > T + fast + " mmax " = " limmax " ms")
    else ok("kernel MAX " $s["max_ms"] " ms <= " limmax " ms")
    if ($s["duplicates"] != 0) bad("kernel arm: " $s["duplicates"] " duplicate replies reached the client")
    else ok("kernel arm: no duplicate reached the client")
    if ($s["timeouts"] != 0) bad("kernel arm: " $s["timeouts"] " timeouts")
  }
  END {
    if (ran_apart && apart_p50 == "") bad("gate-apart trials but no gate-apart baseline in summary.csv")
    donoharm("E3", e50, e99, e999, emax, apart_p50)
    if (ran_e3l) donoharm("E3L", l50, l99, l999, lmax, "")
    if (!seen_base) bad("no baseline arm in summary.csv")
    if (!seen_kern || !ktrials) bad("no kernel arm in summary.csv or manifest.csv")
    exit failed
  }' "$run/manifest.csv" "$run/summary.csv"
