#!/usr/bin/env bash
# make_figures.sh - regenerate every figure of a results directory from its
# summary.csv and plotdata/ (both committed for the reference results), as
# PNG and PDF into RESULTS_DIR/figures/.
#
# Usage: plots/make_figures.sh RESULTS_DIR
# Example: plots/make_figures.sh results/reference
#
# Per experiment: CDF (log latency axis), tail zoom P95..P100, percentile
# spectrum, latency over request index, P99/MAX bars with CIs; experiments
# named E5* (hedge-delay sweep) also get P99 versus extra requests.
set -euo pipefail
plots=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$plots/../experiments/lib/csv.sh"
die() { echo "make_figures.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "make_figures.sh: expected one RESULTS_DIR argument (see the top of $0)" >&2; exit 2; }
[ "$1" != -h ] && [ "$1" != --help ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
res=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"
[ -f "$res/summary.csv" ] || die "$res has no summary.csv (run experiments/summarize first)"
[ -d "$res/plotdata" ] || die "$res has no plotdata/"
command -v gnuplot >/dev/null || die "gnuplot is not installed (scripts/bootstrap.sh installs it)"

# Build into a temporary directory and swap it in at the end, so a failure
# never leaves a half-made figures/ behind.
tmp=$(mktemp -d "$res/.figures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

gp() {  # gp SCRIPT VAR=VALUE...: run one gnuplot script from plots/
  local script=$1 assign="" kv
  shift
  for kv in "$@"; do assign+="${kv%%=*}='${kv#*=}'; "; done
  (cd "$plots" && gnuplot -e "$assign" "$script") 2> "$tmp/.gnuplot.err" \
    || die "gnuplot $script failed: $(head -n3 "$tmp/.gnuplot.err")"
  # gnuplot reports missing data files and unknown column names as
  # warnings and still exits 0.
  if grep -qiE 'cannot (find|open)|no (valid )?data|skipping|no column with header' "$tmp/.gnuplot.err"; then
    die "gnuplot $script: $(grep -iE 'cannot|data|skipping|column' "$tmp/.gnuplot.err" | head -n1)"
  fi
}

# The scripts read every column by its name (set datafile columnheaders).
# plotdata files name theirs in a first comment line ("# latency_ms ..."),
# which gnuplot does not take as a header: plot copies without the "# ".
mkdir "$tmp/.plotdata"
for f in "$res"/plotdata/*; do
  sed '1s/^# //' "$f" > "$tmp/.plotdata/${f##*/}"
done

count=0
for exp in $(ra_csv '{ print $col("experiment") }' "$res/summary.csv" | awk '!seen[$0]++'); do
  arms=""
  for arm in $(ra_csv -v e="$exp" '$col("experiment") == e { print $col("arm") }' "$res/summary.csv"); do
    [ -f "$res/plotdata/$exp.$arm.cdf" ] && arms+="${arms:+ }$arm"
  done
  [ -n "$arms" ] || { echo "make_figures.sh: $exp: no arm with data, skipped" >&2; continue; }
  rows="$tmp/.$exp.rows.csv"
  # This experiment's rows with a P99, under summary.csv's header (bars.gp
  # and sweep.gp read the columns by name).
  { head -n 1 "$res/summary.csv"
    ra_csv -v e="$exp" '$col("experiment") == e && $col("p99_ms") != ""' "$res/summary.csv"; } > "$rows"
  for kind in cdf tail spectrum series; do
    gp "$kind.gp" dir="$tmp/.plotdata" exp="$exp" arms="$arms" out="$tmp/$exp-$kind"
    count=$((count + 1))
  done
  gp bars.gp csv="$rows" exp="$exp" out="$tmp/$exp-bars"
  count=$((count + 1))
  case $exp in
    E5*)
      { head -n 1 "$rows"; ra_csv '$col("param") != "" && $col("extra_pct") != ""' "$rows"; } \
        > "$rows.sweep"
      if [ "$(wc -l < "$rows.sweep")" -gt 1 ]; then
        gp sweep.gp csv="$rows.sweep" exp="$exp" out="$tmp/$exp-sweep"
        count=$((count + 1))
      fi ;;
    E8) . "$plots/e8_figures.sh"; e8_figures "$exp" ;;  # loss: per-configuration bars and tails
  esac
  rm -f "$rows" "$rows.sweep"
done
rm -rf "$tmp/.gnuplot.err" "$tmp/.plotdata"
[ "$count" -gt 0 ] || die "no figure drawn: summary.csv has no arm with data"
rm -rf "$res/figures"
mv "$tmp" "$res/figures"
chmod 755 "$res/figures"
trap - EXIT
echo "make_figures.sh: $count figures (PNG + PDF) in $res/figures"
