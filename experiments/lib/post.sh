# shellcheck shell=bash
# post.sh - per-experiment tables that summarize does not make.
# shellcheck source=/dev/null
. "$(dirname "${BASH_SOURCE[0]}")/csv.sh"

# ra_post_e4 - E4/hold.csv: per backend, the hold error of hedged requests
# (latency - hedge delay; the server's fast path is 0 in E4, so what is left
# is the delay line's lateness plus a ~0.1 ms round trip) and the machine's
# CPU share spent in the kernel (system + irq + softirq, all CPUs) during the
# trials, where a spinning delay line shows. Stalled ids follow the modulo
# schedule. The release columns are the delay line's own error, from the
# hedger (hedger-stats.json, release_late: each hedge's release minus the
# release planned for it, grid rounding excluded), pooled over the trials;
# bucket upper edges, so at most 1 us or 12.5 % above the true value. Empty
# when no trial has it.
ra_post_e4() {
  local out="$RUN/E4/hold.csv" rate delay_us b csvs cpu
  [ -d "$RUN/E4" ] || return 0
  rate=${FAULT_RATE%\%}
  delay_us=$(awk -v d="$DELAY" 'BEGIN { sub(/ms$/, "", d); print d * 1000 }')
  echo "backend,hedged,hold_p50_us,hold_p99_us,hold_max_us,cpu_kernel_pct,release_late_p50_us,release_late_p99_us,release_late_max_us" > "$out.tmp"
  local e4ok='$col("experiment") == "E4" && $col("status") == "ok"'
  for b in $(ra_csv "$e4ok"' { print $col("param") }' "$MANIFEST" | awk '!s[$0]++'); do
    csvs=$(ra_csv -v b="$b" -v r="$RUN" "$e4ok"' && $col("param") == b { print r "/" $col("requests_csv") }' "$MANIFEST")
    cpu=$(ra_csv -v b="$b" "$e4ok"' && $col("param") == b { s += $col("cpu_kernel_pct"); n++ }
      END { printf "%.1f", n ? s / n : 0 }' "$MANIFEST")
    rel=$(ra_csv -v b="$b" -v r="$RUN" "$e4ok"' && $col("param") == b {
        print r "/E4/" $col("arm") "/trial-" $col("trial") "/hedger-stats.json" }' "$MANIFEST" |
      ra_release_late_pooled)
    # shellcheck disable=SC2086
    ra_csv -v rate="$rate" -v d="$delay_us" '
      $col("outcome") != "timeout" && $col("reply_ns") != "" && $col("id") % 100 < rate {
        printf "%.1f\n", ($col("reply_ns") - $col("actual_send_ns")) / 1000 - d }
    ' $csvs | sort -g | awk -v b="$b" -v cpu="$cpu" -v rel="$rel" '
      function at(p,   r) { r = int(p * NR / 100); if (r < p * NR / 100) r++; if (r < 1) r = 1; return v[r] }
      { v[NR] = $1 }
      END { if (NR) printf "%s,%d,%.0f,%.0f,%.0f,%s,%s\n", b, NR, at(50), at(99), v[NR], cpu, rel }' >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

# ra_release_late_pooled - "P50,P99,MAX" (us) of the release_late histograms
# of the hedger-stats.json files named on stdin (missing ones skipped),
# summed; ",," when none has a sample. Quantile q: the upper edge of the
# first bucket where the running count reaches q of the total.
ra_release_late_pooled() {
  local f
  while read -r f; do
    [ -f "$f" ] || continue
    grep -o '"release_late":{[^}]*}' "$f" | grep -o '\[[0-9]*,[0-9]*\]' | tr -d '[]' | tr , ' '
  done | awk '{ c[$1] += $2 } END { for (u in c) print u, c[u] }' | sort -n | awk '
    { u[NR] = $1; n[NR] = $2; tot += $2 }
    function q(p,   i, cum) { for (i = 1; i <= NR; i++) { cum += n[i]; if (cum >= p * tot) return u[i] } return u[NR] }
    END { if (tot) printf "%d,%d,%d\n", q(0.5), q(0.99), u[NR]; else print ",," }'
}

# ra_post_e3 - E3/bpf_stats.csv: per BPF program of the hedger, run count and
# run time summed over E3's successful kernel trials (each trial's
# bpf_stats.csv: progstats' BPF_ENABLE_STATS window = the client's run, warm-up
# included, + T + 100 ms), ns per run (= per packet the program saw) and runs per request
# sent (warm-up included); and the same as a section of summary.md. Nothing when no trial
# measured it (E3/bpf_stats.note says why). EXP (default E3): E3L, the same
# for the twin with the delay line on a CPU of its own.
ra_post_e3() {
  local exp=${1:-E3} out list
  out="$RUN/$exp/bpf_stats.csv"
  [ -d "$RUN/$exp" ] || return 0
  list=$(ra_csv -v r="$RUN" -v e="$exp" '$col("experiment") == e && $col("status") == "ok" {
    f = r "/" e "/" $col("arm") "/trial-" $col("trial") "/bpf_stats.csv"
    if ((getline l < f) > 0) print f, $col("total_requests"); close(f) }' "$MANIFEST")
  [ -n "$list" ] || return 0
  # "FILE REQUESTS" per trial -> per program: runs, time, ns/run, runs/request, trials.
  while read -r f n; do
    ra_csv -v n="$n" '{ print $col("program"), $col("run_cnt"), $col("run_time_ns"), n }' "$f"
  done <<< "$list" | awk '
    !($1 in runs) { order[++k] = $1 }
    { runs[$1] += $2; ns[$1] += $3; req[$1] += $4; tr[$1]++ }
    END { print "program,run_cnt,run_time_ns,ns_per_run,requests,runs_per_request,ns_per_request,trials"
      for (i = 1; i <= k; i++) { p = order[i]
        printf "%s,%.0f,%.0f,%.1f,%.0f,%.3f,%.1f,%d\n", p, runs[p], ns[p], runs[p] ? ns[p] / runs[p] : 0,
          req[p], req[p] ? runs[p] / req[p] : 0, req[p] ? ns[p] / req[p] : 0, tr[p] } }' > "$out.tmp"
  mv "$out.tmp" "$out"
  [ -f "$RUN/summary.md" ] || return 0
  awk -F, -v e="$exp" 'NR == 1 {
      print ""
      print "## " e " BPF programs (kernel arm)"
      print ""
      print "Per program of the hedger, from the kernel'\''s BPF run-time statistics, switched on with BPF_ENABLE_STATS (fd-scoped, by progstats) for the client'\''s run (warm-up included) and the hedge delay + 100 ms after it, so the last clones come back; summed over the kernel arm'\''s trials. BPF time per request = the programs'\'' run time over the requests sent."
      print ""
      print "| program | runs | run time (ns) | ns/run | requests | runs/request | ns/request | trials |"
      print "|---|---|---|---|---|---|---|---|"
      next }
    { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8
      t += $3; req = $5 }
    END { if (req > 0) printf "\nBPF time per request, all programs: %.1f ns\n", t / req }' "$out" >> "$RUN/summary.md"
}
