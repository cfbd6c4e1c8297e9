#!/usr/bin/env bash
# test_post_e3: ra_post_e3 (lib/post.sh) on hand-made trials: E3/bpf_stats.csv
# sums each program over the successful kernel trials only, derives ns/run
# and per-request figures from the sums, and summary.md gets the same rows;
# with no measured trial it writes nothing.
set -euo pipefail
lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK
ra_log() { echo "$*" >&2; }
# shellcheck source=/dev/null
. "$lib/post.sh"

RUN=$tmp/run MANIFEST=$tmp/run/manifest.csv
mkdir -p "$RUN"/E3/kernel/trial-{1,2,3}
cat > "$MANIFEST" <<M
experiment,arm,trial,status,requests_csv,param,hedges_sent,duplicates,total_requests,stalled,backend,cpu_busy_pct,cpu_kernel_pct,replay_hits,slow_requests
E3,baseline,1,ok,raw/a.csv,,0,0,1000,0,,50.0,5.0,0,0
E3,kernel,1,ok,raw/b.csv,,0,0,1100,0,htb,50.0,5.0,0,0
E3,kernel,2,ok,raw/c.csv,,0,0,1100,0,htb,50.0,5.0,0,0
E3,kernel,3,failed,raw/d.csv,,,,1100,,htb,50.0,5.0,,
M
trial() { printf 'program,id,run_cnt,run_time_ns,ns_per_run\n%s\n' "$2" > "$RUN/E3/kernel/trial-$1/bpf_stats.csv"; }
trial 1 "splitter,11,1100,3300000,3000.0
reply_filter,13,1100,550000,500.0"
trial 2 "splitter,21,1100,1100000,1000.0
reply_filter,23,1102,551000,500.0"
# a failed trial's numbers must not count
trial 3 "splitter,31,5,999999999,199999999.8"
echo "# Summary" > "$RUN/summary.md"

ra_post_e3
want="program,run_cnt,run_time_ns,ns_per_run,requests,runs_per_request,ns_per_request,trials
splitter,2200,4400000,2000.0,2200,1.000,2000.0,2
reply_filter,2202,1101000,500.0,2200,1.001,500.5,2"
[ "$(cat "$RUN/E3/bpf_stats.csv")" = "$want" ] || fail "bpf_stats.csv:
$(cat "$RUN/E3/bpf_stats.csv")
expected:
$want"
grep -qF '| splitter | 2200 | 4400000 | 2000.0 | 2200 | 1.000 | 2000.0 | 2 |' "$RUN/summary.md" \
  || fail "summary.md: $(cat "$RUN/summary.md")"
grep -qF 'BPF time per request, all programs: 2500.5 ns' "$RUN/summary.md" || fail "summary.md total: $(tail -n1 "$RUN/summary.md")"

# No measured trial (bpf_stats unavailable): no csv, summary.md untouched.
rm -f "$RUN"/E3/kernel/trial-*/bpf_stats.csv "$RUN/E3/bpf_stats.csv"
echo "# Summary" > "$RUN/summary.md"
ra_post_e3
[ ! -e "$RUN/E3/bpf_stats.csv" ] || fail "bpf_stats.csv written without measurements"
[ "$(cat "$RUN/summary.md")" = "# Summary" ] || fail "summary.md changed without measurements"
echo "post_e3: all checks passed"
