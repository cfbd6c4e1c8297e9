#!/usr/bin/env bash
# run.sh - chaos-server benchmark, on loopback:
#   1. echo throughput with --fast 0 on one core (server pinned to CPU 0,
#      chaos-load to CPU 1), 3 runs; also requests per server CPU-second,
#      which stays meaningful when other work shares the CPUs;
#   2. fast-path latency at a fixed open-loop rate, without stalls
#      (--fault-rate 0) and with the reference 2 % stalls pending, LAT_RUNS
#      (default 5) interleaved runs each, compared by the median of their p99s,
#      twice: "cfs" (normal scheduling, the load tool busy-polls) and "rt"
#      (server and load tool SCHED_FIFO via chrt, the load tool sleeps in
#      ppoll) - rt measures the server, not the neighbours' CPU load.
# Writes results/bench/chaos-server-<UTC date>.txt (report) and .csv (rows).
#
# Usage: chaos-server/bench/run.sh [BUILD_DIR]   (default: build)
#   env: RATE (default 20000/s), TP_DURATION (5s), LAT_DURATION (6s), LAT_RUNS (5)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
server=$build/chaos-server/chaos-server
load=$build/chaos-server/bench/chaos-load
rate=${RATE:-20000}
tp_duration=${TP_DURATION:-5s}
lat_duration=${LAT_DURATION:-6s}
lat_runs=${LAT_RUNS:-5}
for f in "$server" "$load"; do
  [ -x "$f" ] || { echo "run.sh: $f not built (meson compile -C $build)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "run.sh: needs 2 CPUs (server on 0, load on 1)" >&2; exit 1; }

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$root/results/bench"
txt=$root/results/bench/chaos-server-$stamp.txt
csv=$root/results/bench/chaos-server-$stamp.csv
tmp=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

sched=()            # prefix of the server command: empty or chrt -f 20
start_server() {   # start_server ARGS... -> $spid, $port
  rm -f "$tmp/server.err"   # else the previous server's lines could be read
  "${sched[@]}" taskset -c 0 "$server" -b 127.0.0.1 -p 0 "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
  spid=$!
  for _ in $(seq 100); do grep -qs 'faults:' "$tmp/server.err" && break; sleep 0.05; done
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/server.err" | cut -d: -f2)
  [ -n "$port" ] || { echo "run.sh: server did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; }
}
stop_server() { kill -TERM "$spid"; wait "$spid" || true; spid=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain -- chaos-server 2>/dev/null | grep -q . && echo " (chaos-server has uncommitted changes)" || true)
{
  echo "# chaos-server benchmark $stamp"
  echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "kernel: $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) vCPUs"
  echo "commit: $commit$dirty"
  echo "loadavg_before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "busiest processes before:"; ps -eo pcpu,comm --sort=-pcpu | head -4 | sed 's/^/  /'
} >"$txt"
echo "label,mode,duration_s,sent,replies,lost,req_per_s,server_cpu_pct,req_per_server_cpu_s" >"$csv.tp"
echo "label,mode,rate_per_s,duration_s,sent,fast_replies,skipped_stall_ids,p50_us,p90_us,p99_us,p999_us,max_us" >"$csv.lat"

# scheduling modes: cfs = as is, sharing the CPUs with whatever runs; rt =
# server and load tool SCHED_FIFO (chrt), the load tool sleeping in ppoll when
# it has nothing to send, so each gets its CPU when it has work
modes=(cfs)
if chrt -f 20 true 2>/dev/null; then modes+=(rt); else echo "note: chrt -f not permitted, rt mode skipped" >>"$txt"; fi
set_mode() {
  if [ "$1" = rt ]; then sched=(chrt -f 20); wait_mode=sleep; else sched=(); wait_mode=spin; fi
}

# 1. throughput
hz=$(getconf CLK_TCK)
for mode in "${modes[@]}"; do
  set_mode "$mode"
  for run in 1 2 3; do
    start_server --fast 0 --fault-rate 0
    "${sched[@]}" taskset -c 1 "$load" -s "127.0.0.1:$port" --throughput -d "$tp_duration" --warmup 1s \
      --wait "$wait_mode" --label "$mode-echo-run$run" >"$tmp/tp" &
    lpid=$!
    sleep 1   # the warm-up
    t0=$(cpu_ticks "$spid")
    wait $lpid
    t1=$(cpu_ticks "$spid")
    stop_server
    row=$(cat "$tmp/tp")
    secs=$(echo "$row" | cut -d, -f3)
    reps=$(echo "$row" | cut -d, -f5)
    awk -v row="$row" -v t="$((t1 - t0))" -v hz="$hz" -v s="$secs" -v r="$reps" 'BEGIN {
      cpu = t / hz; printf "%s,%.0f,%.0f\n", row, 100 * cpu / s, (cpu > 0 ? r / cpu : 0) }' >>"$csv.tp"
  done
done

# 2. fast-path latency, open loop
for mode in "${modes[@]}"; do
  set_mode "$mode"
  for run in $(seq "$lat_runs"); do
    for cfg in nostalls stalls; do
      if [ $cfg = nostalls ]; then start_server --fault-rate 0; else start_server; fi
      "${sched[@]}" taskset -c 1 "$load" -s "127.0.0.1:$port" --rate "$rate" -d "$lat_duration" \
        --warmup 1s --wait "$wait_mode" --label "$mode-$cfg-run$run" >>"$csv.lat"
      stop_server
    done
  done
done
sched=()

{ cat "$csv.tp"; echo; cat "$csv.lat"; } >"$csv"
rm -f "$csv.tp" "$csv.lat"

awk -F, -v txt="$txt" -v rate="$rate" '
  /-echo-run/ { split($1, m, "-"); i = ++n[m[1]]; tp[m[1], i] = $7; per[m[1], i] = $9; cpu[m[1], i] = $8 }
  /-(nostalls|stalls)-run/ { split($1, m, "-"); j = ++nl[m[1], m[2]]; p99[m[1], m[2], j] = $10; p50[m[1], m[2], j] = $8; modes[m[1]] = 1 }
  function median(a, k, c, cnt,   i, j, t, v) {   # median of a[k, c, 1..cnt]
    for (i = 1; i <= cnt; i++) v[i] = a[k, c, i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
  }
  function median3(a, k,   x, y, z) {   # median of a[k,1..3]
    x = a[k, 1]; y = a[k, 2]; z = a[k, 3]
    return (x <= y) ? ((y <= z) ? y : ((x <= z) ? z : x)) : ((x <= z) ? x : ((y <= z) ? z : y))
  }
  END {
    for (k in n) {
      t = median3(tp, k); c = median3(per, k)
      printf "\nthroughput, %s scheduling (--fast 0, server on CPU 0): median %.0f req/s over %d runs (server CPU %s%%, %s%%, %s%%)\n", k, t, n[k], cpu[k, 1], cpu[k, 2], cpu[k, 3] >> txt
      printf "  per server CPU-second: median %.0f req\n", c >> txt
      printf "  target >= 150000 req/s: %s\n", (t >= 150000 ? "met" : (c >= 150000 ? "met per CPU-second only (the server did not get a whole core)" : "NOT met")) >> txt
    }
    for (k in modes) {
      a0 = median(p99, k, "nostalls", nl[k, "nostalls"]); a1 = median(p99, k, "stalls", nl[k, "stalls"])
      printf "fast-path latency at %s req/s, %s scheduling: median p99 over %d runs %.1f us without stalls, %.1f us with 2%% stalls pending (difference %+.1f us); median p50 %.1f / %.1f us\n", rate, k, nl[k, "stalls"], a0, a1, a1 - a0, median(p50, k, "nostalls", nl[k, "nostalls"]), median(p50, k, "stalls", nl[k, "stalls"]) >> txt
      printf "  target difference <= 200 us: %s\n", (a1 - a0 <= 200 ? "met" : "NOT met") >> txt
    }
  }' "$csv"
{
  echo "loadavg_after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "raw rows ($csv):"
  sed 's/^/  /' "$csv"
} >>"$txt"
cat "$txt"
