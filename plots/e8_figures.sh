# shellcheck shell=bash
# e8_figures.sh - E8 (packet loss) figures, sourced by make_figures.sh:
#   E8-loss: P99, P99.9 and timeouts per arm, grouped by loss configuration,
#            with the hedged arms' bar T + fast + 2 ms;
#   E8-ccdf: the fraction of requests slower than x (timeouts included: a
#            curve levels off at its timeout share, out to the timeout), one
#            panel per configuration.
# Arms are named <arm>-<config> (baseline-bern1, kernel-replica-burst5, ...);
# other E8 arms are left to the generic figures.
# With RES/E8/table.csv (run_all.sh's E8 table: timeouts counted at the
# timeout) the percentiles include the timeouts; without it they are
# summary.csv's, of answered requests only, and the figure says so.
#
# The plotted numbers stay beside the figures: EXP-loss.dat (a header line,
# then per configuration, per arm: ARM_p99 ARM_p999 ARM_timeout_pct) and
# EXP-ccdf.CFG.dat (per arm a block: latency_ms fraction_slower).
#
# e8_figures EXP - uses make_figures.sh's res, tmp, plots, gp and count.
# shellcheck disable=SC2154  # res and tmp are make_figures.sh's

e8_arm_order="baseline app kernel kernel-replica"

e8_figures() {
  local exp=$1 data=$tmp/$1-loss.dat src basis bar cfgs cfg arm
  # Per arm: name, config, requests, answered, timeouts, P99, P99.9.
  if [ -f "$res/$exp/table.csv" ]; then
    src=$(ra_csv '{ print $col("arm"), $col("requests"), $col("requests") - $col("timeouts"), $col("timeouts"), $col("p99_ms"), $col("p999_ms") }' \
      "$res/$exp/table.csv")
    basis="timeouts counted at the timeout"
  else
    src=$(ra_csv -v e="$exp" '$col("experiment") == e && $col("requests") > 0 {
        print $col("arm"), $col("requests"), $col("answered"), $col("timeouts"), $col("p99_ms"), $col("p999_ms") }' \
      "$res/summary.csv")
    basis="answered requests only"
  fi
  [ -n "$src" ] || { echo "make_figures.sh: $exp: no arm rows, no loss figures" >&2; return 0; }
  # Configurations in the order of first appearance; an arm is its name less "-<config>".
  cfgs=$(awk '{ c = $1; sub(/.*-/, "", c); if (!seen[c]++) print c }' <<< "$src")
  # One row per configuration; per arm of e8_arm_order: P99, P99.9, timeouts %.
  local present="" lts="" i=0
  for arm in $e8_arm_order; do
    i=$((i + 1))
    awk -v a="$arm" '{ c = $1; sub(/.*-/, "", c) } substr($1, 1, length($1) - length(c) - 1) == a { f = 1 } END { exit !f }' <<< "$src" \
      && present+="${present:+ }$arm" lts+="${lts:+ }$i"
  done
  [ -n "$present" ] || { echo "make_figures.sh: $exp: no arm named baseline/app/kernel/kernel-replica-<config>, no loss figures" >&2; return 0; }
  awk -v order="$present" '
    BEGIN { na = split(order, arms, " ") }
    { c = $1; sub(/.*-/, "", c); a = substr($1, 1, length($1) - length(c) - 1)
      p99[a, c] = $5; p999[a, c] = $6; tmo[a, c] = ($2 > 0 ? 100 * $4 / $2 : "NaN")
      if (!seen[c]++) cfg[++nc] = c }
    END {
      printf "config"; for (i = 1; i <= na; i++) printf " %s_p99 %s_p999 %s_timeout_pct", arms[i], arms[i], arms[i]; print ""
      for (j = 1; j <= nc; j++) {
        printf "%s", cfg[j]
        for (i = 1; i <= na; i++) {
          k = arms[i] SUBSEP cfg[j]
          printf " %s %s %s", ((k in p99) ? p99[k] : "NaN"), ((k in p999) ? p999[k] : "NaN"), ((k in tmo) ? tmo[k] : "NaN")
        }
        print ""
      }
    }' <<< "$src" > "$data"
  bar=$(awk -F= '$1 == "hedge_delay" { d = $2 } $1 == "fast" { f = $2 }
    END { if (d ~ /ms$/ && f ~ /ms$/) print d + f + 2; else print "NaN" }' "$res/meta" 2>/dev/null || echo NaN)
  gp e8loss.gp data="$data" exp="$exp" arms="$present" lts="$lts" basis="$basis" bar="$bar" out="$tmp/$exp-loss"
  count=$((count + 1))

  # Tail panels: per configuration, one block per arm with plot data: the
  # fraction of requests slower than x, the CDF scaled by the answered share,
  # then the timeouts' share held out to the timeout.
  local tmo_ms cfglist="" assigns=() tail_arms
  tmo_ms=$(awk -F= '$1 == "timeout" { t = $2; if (sub(/ms$/, "", t)) print t; else if (sub(/s$/, "", t)) print t * 1000 }' \
    "$res/meta" 2>/dev/null)
  [ -n "$tmo_ms" ] || tmo_ms=1000
  for cfg in $cfgs; do
    tail_arms="" lts="" i=0
    : > "$tmp/$exp-ccdf.$cfg.dat"
    for arm in $e8_arm_order; do
      i=$((i + 1))
      [ -f "$res/plotdata/$exp.$arm-$cfg.cdf" ] || continue
      awk -v n="$arm-$cfg" -v tmo="$tmo_ms" -v first="$([ -n "$tail_arms" ] || echo 1)" '
        FNR == NR { if ($1 == n) { share = ($2 > 0 ? $3 / $2 : 1); tshare = ($2 > 0 ? $4 / $2 : 0) } next }
        FNR == 1 { if (!first) printf "\n\n"; printf "# %s: latency_ms fraction_slower\n", n }
        /^#/ { next }
        { y = 1 - share * $2; if (y > 1e-9) printf "%s %.9f\n", $1, y; last = $1 }
        END { if (tshare > 0) { printf "%s %.9f\n", last, tshare; printf "%s %.9f\n", tmo, tshare } }
      ' <(printf '%s\n' "$src") "$res/plotdata/$exp.$arm-$cfg.cdf" >> "$tmp/$exp-ccdf.$cfg.dat"
      tail_arms+="${tail_arms:+ }$arm" lts+="${lts:+ }$i"
    done
    [ -n "$tail_arms" ] || { rm -f "$tmp/$exp-ccdf.$cfg.dat"; continue; }
    cfglist+="${cfglist:+ }$cfg"
    assigns+=("arms_$cfg=$tail_arms" "lts_$cfg=$lts")
  done
  if [ -n "$cfglist" ]; then
    gp e8ccdf.gp dir="$tmp" exp="$exp" cfgs="$cfglist" "${assigns[@]}" bar="$bar" tmo="$tmo_ms" out="$tmp/$exp-ccdf"
    count=$((count + 1))
  fi
}
