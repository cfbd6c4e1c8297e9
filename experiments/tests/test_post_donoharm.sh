#!/usr/bin/env bash
# test_post_donoharm: lib/donoharm.sh on a hand-made run: E3/tail.csv has the
# kernel/baseline ratio and excess per percentile, E1/limit.csv has MAX - (T +
# fast) per hedged arm next to the timer probe's lateness from meta, both
# become summary.md sections (E3L's title says when the line's CPU polls);
# missing arms or probe keys leave gaps, never
# wrong numbers; and the probe's key=value output reaches meta.
set -euo pipefail
lib=$(cd "$(dirname "$0")/../lib" && pwd)
probe=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ra_log() { echo "$*" >&2; }
# shellcheck source=/dev/null
. "$lib/meta.sh"
# shellcheck source=/dev/null
. "$lib/donoharm.sh"

# shellcheck disable=SC2034  # read by the sourced functions
RUN=$tmp/run DELAY=10ms FAST=2ms
mkdir -p "$RUN/E1" "$RUN/E3"
cat > "$RUN/summary.csv" <<S
experiment,arm,param,trials,failed,requests,answered,p50_ms,p95_ms,p99_ms,p999_ms,max_ms,p99_ci_lo_ms,p99_ci_hi_ms,max_ci_lo_ms,max_ci_hi_ms,p99_reduction_pct,timeouts,hedges_sent,extra_pct,duplicates
E1,baseline,,3,0,6000,6000,2.05,2.2,400.5,400.9,401.0,,,,,,0,0,0.00,0
E1,app,,3,0,6000,6000,2.05,2.2,12.2,12.3,12.320,,,,,97.0,0,120,2.00,0
E1,kernel,,3,0,6000,6000,2.05,2.2,12.1,12.9,13.160,,,,,97.0,0,120,2.00,0
E3,baseline,,3,0,6000,6000,0.015,0.017,0.019,0.109,0.142,,,,,,0,0,0.00,0
E3,kernel,,3,0,6000,6000,0.018,0.020,0.211,3.756,4.848,,,,,,0,0,0.00,0
S
printf 'run_id=x\ntimer_lateness_p99.9_us=900.0\ntimer_lateness_max_us=1200.0\n' > "$RUN/meta"
echo "# Summary" > "$RUN/summary.md"

ra_post_e3_tail
want="percentile,baseline_ms,kernel_ms,ratio,excess_us
P50,0.015,0.018,1.20,3.0
P99,0.019,0.211,11.11,192.0
P99.9,0.109,3.756,34.46,3647.0
MAX,0.142,4.848,34.14,4706.0"
[ "$(cat "$RUN/E3/tail.csv")" = "$want" ] || fail "tail.csv: $(cat "$RUN/E3/tail.csv")"
grep -qF '| P99.9 | 0.109 | 3.756 | 34.46 | 3647.0 |' "$RUN/summary.md" || fail "summary.md: $(cat "$RUN/summary.md")"

# E3L (the line on a CPU of its own): its own rows only, its own file and section.
mkdir -p "$RUN/E3L"
cat >> "$RUN/summary.csv" <<S
E3L,baseline,,3,0,6000,6000,0.020,0.022,0.030,0.120,0.150,,,,,,0,0,0.00,0
E3L,kernel,,3,0,6000,6000,0.021,0.023,0.034,0.140,0.250,,,,,,0,0,0.00,0
S
ra_post_e3_tail E3L
want="percentile,baseline_ms,kernel_ms,ratio,excess_us
P50,0.020,0.021,1.05,1.0
P99,0.030,0.034,1.13,4.0
P99.9,0.120,0.140,1.17,20.0
MAX,0.150,0.250,1.67,100.0"
[ "$(cat "$RUN/E3L/tail.csv")" = "$want" ] || fail "E3L tail.csv: $(cat "$RUN/E3L/tail.csv")"
grep -qF '## E3L do-no-harm' "$RUN/summary.md" || fail "summary.md has no E3L section"
[ "$(sed -n 2p "$RUN/E3/tail.csv")" = "P50,0.015,0.018,1.20,3.0" ] || fail "E3L rows changed E3's tail.csv"
# run_all --line-poll: the E3L title says the line's CPU polls (under set -e).
E3L_LINE_POLL=1 ra_post_e3_tail E3L
grep -qF '## E3L do-no-harm (E3 with client and server on CPU 0, the delay line on CPU 1, polling its receive queue)' \
  "$RUN/summary.md" || fail "summary.md: no polling E3L title"

ra_post_e1_limit
want="arm,max_ms,limit_ms,excess_us,timer_lateness_p999_us,timer_lateness_max_us,excess_over_probe_max
kernel,13.160,12,1160.0,900.0,1200.0,0.97
app,12.320,12,320.0,900.0,1200.0,0.27"
[ "$(cat "$RUN/E1/limit.csv")" = "$want" ] || fail "limit.csv: $(cat "$RUN/E1/limit.csv")"
grep -qF '| kernel | 13.160 | 12 | 1160.0 | 900.0 | 1200.0 | 0.97 |' "$RUN/summary.md" || fail "summary.md E1: $(cat "$RUN/summary.md")"

# Without the probe's keys: the lateness columns stay empty, no ratio.
printf 'run_id=x\n' > "$RUN/meta"
ra_post_e1_limit
grep -q '^kernel,13.160,12,1160.0,,,$' "$RUN/E1/limit.csv" || fail "no probe: $(cat "$RUN/E1/limit.csv")"

# No kernel arm in E3: no tail.csv (and no stale one).
rm -f "$RUN/E3/tail.csv"
sed -i '/^E3,kernel/d' "$RUN/summary.csv"
ra_post_e3_tail
[ ! -e "$RUN/E3/tail.csv" ] || fail "tail.csv written without a kernel arm"

# The probe itself (when built): a short run, its keys land in meta.
if [ -n "$probe" ]; then
  # shellcheck disable=SC2034  # read by ra_timerprobe_start
  TIMERPROBE_BIN=$probe DELAY=1ms
  ra_timerprobe_start
  sleep 0.3
  ra_timerprobe_stop
  n=$(awk -F= '$1 == "timer_lateness_samples" { print $2 }' "$RUN/meta")
  if [ -z "$n" ] || [ "$n" -lt 50 ]; then fail "probe samples '$n' in meta: $(cat "$RUN/meta")"; fi
  grep -q '^timer_lateness_max_us=[0-9.]*$' "$RUN/meta" || fail "no probe max in meta"
  rc=0; "$probe" --period 10us > /dev/null 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "timerprobe --period 10us: exit $rc, want 2 (usage)"
fi
echo "post_donoharm: all checks passed"
