# shellcheck shell=bash
# post.sh - per-experiment tables that summarize does not make.

# ra_post_e4 - E4/hold.csv: per backend, the hold error of hedged requests
# (latency - hedge delay; the server's fast path is 0 in E4, so what is left
# is the delay line's lateness plus a ~0.1 ms round trip) and the machine's
# CPU share spent in the kernel (system + irq + softirq, all CPUs) during the
# trials, where a spinning delay line shows. Stalled ids follow the modulo
# schedule.
ra_post_e4() {
  local out="$RUN/E4/hold.csv" rate delay_us b csvs cpu
  [ -d "$RUN/E4" ] || return 0
  rate=${FAULT_RATE%\%}
  delay_us=$(awk -v d="$DELAY" 'BEGIN { sub(/ms$/, "", d); print d * 1000 }')
  echo "backend,hedged,hold_p50_us,hold_p99_us,hold_max_us,cpu_kernel_pct" > "$out.tmp"
  for b in $(awk -F, '$1 == "E4" && $4 == "ok" { print $6 }' "$MANIFEST" | awk '!s[$0]++'); do
    csvs=$(awk -F, -v b="$b" -v r="$RUN" '$1 == "E4" && $4 == "ok" && $6 == b { print r "/" $5 }' "$MANIFEST")
    cpu=$(awk -F, -v b="$b" '$1 == "E4" && $4 == "ok" && $6 == b { s += $13; n++ } END { printf "%.1f", n ? s / n : 0 }' "$MANIFEST")
    # shellcheck disable=SC2086
    awk -F, -v rate="$rate" -v d="$delay_us" '
      FNR > 1 && $5 != "timeout" && $4 != "" && $1 % 100 < rate { printf "%.1f\n", ($4 - $3) / 1000 - d }
    ' $csvs | sort -g | awk -v b="$b" -v cpu="$cpu" '
      function at(p,   r) { r = int(p * NR / 100); if (r < p * NR / 100) r++; if (r < 1) r = 1; return v[r] }
      { v[NR] = $1 }
      END { if (NR) printf "%s,%d,%.0f,%.0f,%.0f,%s\n", b, NR, at(50), at(99), v[NR], cpu }' >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}
