# shellcheck shell=bash
# donoharm.sh - what the hedger costs the requests it does not rescue, and
# how close the hedged arms get to the physical limit:
#   ra_timerprobe_start/stop  the machine's own timer-wake lateness, measured
#                             beside the arms (experiments/timerprobe.c) -> meta
#   ra_post_e3_tail [EXP]     E3/tail.csv (or E3L's): kernel / baseline per percentile
#   ra_post_e1_limit          E1/limit.csv: MAX - (T + fast) per hedged arm vs
#                             the probe's lateness
#   ra_awake_arm              E4's "-awake" twins keep the CPUs out of idle

RA_PROBE_PID=""
RA_PROBE_OUT=""

# ra_timerprobe_start - a SCHED_FIFO clock_nanosleep probe with the hedge
# delay as its period, for the whole matrix (bounded by --max-time and this
# shell's pid). Nothing when it is not built: meta then says so.
ra_timerprobe_start() {
  [ -x "${TIMERPROBE_BIN:-}" ] || { ra_meta_set timer_lateness_note "timerprobe not built"; return 0; }
  RA_PROBE_OUT=$RUN/timerprobe.txt
  "$TIMERPROBE_BIN" --period "$DELAY" --max-time 4h --owner-pid $$ > "$RA_PROBE_OUT" 2> "$RUN/timerprobe.err" &
  RA_PROBE_PID=$!
}

# ra_timerprobe_stop - stop the probe and copy its key=value lines to meta.
ra_timerprobe_stop() {
  local line i
  [ -n "$RA_PROBE_PID" ] || return 0
  kill -TERM "$RA_PROBE_PID" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$RA_PROBE_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$RA_PROBE_PID" 2>/dev/null || true
  RA_PROBE_PID=""
  while IFS= read -r line; do
    [[ $line == timer_lateness_*=* ]] && ra_meta_set "${line%%=*}" "${line#*=}"
  done < "$RA_PROBE_OUT"
  [ -s "$RUN/timerprobe.err" ] || rm -f "$RUN/timerprobe.err"
}

# ra_md_table CSV TITLE TEXT HEADING... - append to summary.md (when there
# is one) a section TITLE, the paragraph TEXT and CSV's data rows as a table
# under the column headings HEADING...
ra_md_table() {
  local csv=$1 title=$2 text=$3
  shift 3
  [ -f "$RUN/summary.md" ] || return 0
  { printf '\n## %s\n\n%s\n\n|' "$title" "$text"
    printf ' %s |' "$@"
    printf '\n|'
    printf -- '---|%.0s' "$@"
    printf '\n'
    awk -F, 'NR > 1 { s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"; print s }' "$csv"
  } >> "$RUN/summary.md"
}

# ra_summary_col EXP ARM COLUMN - one cell of summary.csv (empty if absent).
ra_summary_col() {
  awk -F, -v e="$1" -v a="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
    $1 == e && $2 == a && k { print $k; exit }' "$RUN/summary.csv"
}

# ra_post_e3_tail [EXP] - EXP/tail.csv and a summary.md section: per
# percentile (P50, P99, P99.9, MAX), baseline and kernel-hedged latency,
# their ratio and the kernel's excess in us, pooled over the trials of the
# same run. EXP: E3 (default) or E3L (the line on a CPU of its own).
ra_post_e3_tail() {
  local exp=${1:-E3} out title
  out="$RUN/$exp/tail.csv"
  [ -d "$RUN/$exp" ] && [ -f "$RUN/summary.csv" ] || return 0
  awk -F, -v e="$exp" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == e && ($2 == "baseline" || $2 == "kernel") {
      v[$2, "P50"] = $c["p50_ms"]; v[$2, "P99"] = $c["p99_ms"]; v[$2, "P99.9"] = $c["p999_ms"]; v[$2, "MAX"] = $c["max_ms"]; seen[$2] = 1 }
    END {
      if (!seen["baseline"] || !seen["kernel"]) exit 1
      print "percentile,baseline_ms,kernel_ms,ratio,excess_us"
      split("P50 P99 P99.9 MAX", p, " ")
      for (i = 1; i <= 4; i++) { b = v["baseline", p[i]]; k = v["kernel", p[i]]
        printf "%s,%s,%s,%s,%.1f\n", p[i], b, k, (b > 0 ? sprintf("%.2f", k / b) : ""), (k - b) * 1000 }
    }' "$RUN/summary.csv" > "$out.tmp" || { rm -f "$out.tmp"; return 0; }
  mv "$out.tmp" "$out"
  title="E3 do-no-harm (no faults: no request needs a hedge)"
  local poll=
  [ "${E3L_LINE_POLL:-0}" = 0 ] || poll=", polling its receive queue"
  [ "$exp" = E3 ] || title="$exp do-no-harm (E3 with client and server on CPU ${E3L_CPU:-0}, the delay line on CPU ${E3L_LINE_CPU:-1}$poll)"
  ra_md_table "$out" "$title" \
    "Kernel-hedged against baseline, same run, pooled over trials: ratio kernel/baseline and the kernel arm's excess." \
    percentile "baseline (ms)" "kernel (ms)" ratio "excess (us)"
}

# ra_post_e1_limit - E1/limit.csv and a summary.md section: T + fast is the
# earliest a rescued request can be answered; per hedged arm, MAX minus that
# limit, next to the machine's own timer-wake lateness (the probe, meta) and
# their ratio.
ra_post_e1_limit() {
  local out="$RUN/E1/limit.csv" t_ms fast_ms lim p999 pmax arm max
  [ -d "$RUN/E1" ] && [ -f "$RUN/summary.csv" ] || return 0
  t_ms=$(awk -v d="$DELAY" 'BEGIN { if (sub(/ms$/, "", d)) print d; else print "" }')
  fast_ms=$(awk -v d="$FAST" 'BEGIN { if (sub(/ms$/, "", d)) print d; else print "" }')
  [ -n "$t_ms" ] && [ -n "$fast_ms" ] || return 0
  lim=$(awk -v a="$t_ms" -v b="$fast_ms" 'BEGIN { print a + b }')
  p999=$(awk -F= '$1 == "timer_lateness_p99.9_us" { print $2 }' "$RUN/meta")
  pmax=$(awk -F= '$1 == "timer_lateness_max_us" { print $2 }' "$RUN/meta")
  echo "arm,max_ms,limit_ms,excess_us,timer_lateness_p999_us,timer_lateness_max_us,excess_over_probe_max" > "$out.tmp"
  for arm in kernel app; do
    max=$(ra_summary_col E1 "$arm" max_ms)
    [ -n "$max" ] || continue
    awk -v a="$arm" -v m="$max" -v l="$lim" -v p="$p999" -v x="$pmax" 'BEGIN {
      e = (m - l) * 1000
      printf "%s,%s,%s,%.1f,%s,%s,%s\n", a, m, l, e, p, x, (x > 0 ? sprintf("%.2f", e / x) : "") }' >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
  ra_md_table "$out" "E1 distance from the limit" \
    "A rescued request cannot be answered before T + fast. Per hedged arm: MAX - (T + fast), against this machine's own timer-wake lateness measured in the same run (SCHED_FIFO clock_nanosleep probe, period T; meta timer_lateness_*)." \
    arm "MAX (ms)" "T + fast (ms)" "MAX - (T + fast) (us)" "probe P99.9 (us)" "probe MAX (us)" "excess / probe MAX"
}

# ra_awake_arm NAME - 0 when the arm is a "-awake" twin (E4): its trial runs
# with cpu-keepawake, so the pair shows what idle CPUs cost a backend.
ra_awake_arm() { [[ $1 == *-awake ]]; }

# ra_awake_start / ra_awake_stop - cpu-keepawake around one trial (only when
# the whole run is not kept awake already).
RA_AWAKE_PID=""
ra_awake_start() {
  [ "$KEEP_AWAKE" = 0 ] && [ -x "${KEEPAWAKE_BIN:-}" ] || return 0
  "$KEEPAWAKE_BIN" --owner-pid $$ --max-time 10m &
  RA_AWAKE_PID=$!
}
ra_awake_stop() {
  [ -n "$RA_AWAKE_PID" ] || return 0
  kill -TERM "$RA_AWAKE_PID" 2>/dev/null || true
  wait "$RA_AWAKE_PID" 2>/dev/null || true
  RA_AWAKE_PID=""
}
