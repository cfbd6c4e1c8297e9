# shellcheck shell=bash
# trial.sh - run one trial of one arm: a fresh chaos-server in the server
# namespace, the hedger in the client namespace for kernel-hedged arms, then
# hedge-client; collect their outputs and append one manifest row.
#
# Needs: CLIENT_NS SERVER_NS CLIENT_IF SERVER_ADDR PORT, the *_BIN paths, the
# profile variables (matrix.sh), RUN (results dir) and MANIFEST. Optional:
# HEDGE_REPLICA, an address whose server takes the kernel arm's hedges (E8).

RA_PIDS=()        # background processes of the current trial, for the trap
RA_HEDGER_PID=""  # the trial's hedger, while it runs

# ra_kill_trial - stop whatever the current trial still runs (trap and
# failure path): the hedger gets SIGINT so it removes what it created; if it
# had to be killed, `hedger detach` removes what it left (veths, qdiscs).
ra_kill_trial() {
  local pid killed=0
  for pid in "${RA_PIDS[@]}"; do
    kill -INT "$pid" 2>/dev/null || true
  done
  for pid in "${RA_PIDS[@]}"; do
    if ! ra_wait_pid "$pid" 10; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      [ "$pid" != "$RA_HEDGER_PID" ] || killed=1
    fi
  done
  if [ "$killed" = 1 ]; then
    ip netns exec "$CLIENT_NS" "$HEDGER_BIN" detach --dev "$CLIENT_IF" >/dev/null 2>&1 || true
  fi
  RA_PIDS=()
  RA_HEDGER_PID=""
}

# ra_wait_pid PID SECS - wait for a background child up to SECS; 1 on timeout.
ra_wait_pid() {
  local pid=$1 i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  return 1
}

# ra_wait_line FILE REGEX PID SECS - wait until FILE has a line matching
# REGEX; 1 if PID died first or time ran out.
ra_wait_line() {
  local i
  for ((i = 0; i < $4 * 20; i++)); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# ra_cpu_sample - "busy total kernel" jiffies of all CPUs from /proc/stat
# (kernel = system + irq + softirq: where a delay line spends its time).
ra_cpu_sample() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t, $4 + $7 + $8 }' /proc/stat
}

# ra_hedger_progs PID - "name id" per BPF program of the hedger PID (from its
# state file in /run/kernel-hedge: prog_splitter, prog_reply_filter,
# prog_rescuer; id 0 = not loaded); nothing when there is no state file.
ra_hedger_progs() {
  local state
  state=$(grep -lx "pid=$1" /run/kernel-hedge/*.state 2>/dev/null | head -n1)
  [ -n "$state" ] || return 0
  awk -F= '$1 ~ /^prog_/ && $2 > 0 { print substr($1, 6), $2 }' "$state"
}

# ra_bpf_stats_cmd PID NOTE - set RA_STATS_CMD to the command prefix that runs
# the client with BPF run-time statistics on for the hedger PID's programs:
# progstats turns them on with BPF_ENABLE_STATS for as long as it runs (the
# fd-scoped switch; the host-wide kernel.bpf_stats_enabled is never changed)
# and prints each program's run count and ns/run over the client's run only.
# The window stays open for DELAY + 100 ms after the client exits, so the
# clones of its last requests, handed back by the delay line after DELAY,
# reach the rescuer inside it (one rescuer run per clone, as for the others).
# When that cannot work here RA_STATS_CMD stays empty, the reason goes to
# NOTE and the trial runs unwrapped (the latencies do not depend on it).
RA_STATS_CMD=()
ra_bpf_stats_cmd() {
  local pid=$1 note=$2 delay=$3 ids err linger
  RA_STATS_CMD=()
  [ -x "$PROGSTATS_BIN" ] || { echo "progstats is not built ($PROGSTATS_BIN)" > "$note"; return 0; }
  ids=$(ra_hedger_progs "$pid" | awk '{ printf "%s%s", sep, $2; sep = "," }')
  [ -n "$ids" ] || { echo "no state file with program ids of hedger pid $pid" > "$note"; return 0; }
  # A dry run first: a kernel without BPF_ENABLE_STATS must not cost the trial.
  if ! err=$("$PROGSTATS_BIN" --ids "$ids" -- true 2>&1 >/dev/null); then
    echo "progstats failed: ${err:-no message}" > "$note"; return 0
  fi
  linger=$(awk -v d="$delay" 'BEGIN { if (sub(/ms$/, "", d)) printf "%.3f", d / 1000 + 0.1; else print 1 }')
  # shellcheck disable=SC2016
  RA_STATS_CMD=("$PROGSTATS_BIN" --ids "$ids" -- bash -c 'l=$1; shift; "$@"; rc=$?; sleep "$l"; exit $rc' linger "$linger")
}

# ra_bpf_stats_split PID TDIR - move progstats' lines ("prog NAME id ID runs N
# ns_per_run X", printed after the client's own output) from client.txt to
# TDIR/bpf_stats.csv: program,id,run_cnt,run_time_ns,ns_per_run, named as in
# the hedger's state file (the kernel's names are cut at 15 characters).
ra_bpf_stats_split() {
  local tdir=$2
  grep '^prog ' "$tdir/client.txt" > "$tdir/progstats.txt" || true
  sed -i '/^prog /d' "$tdir/client.txt"
  ra_hedger_progs "$1" | awk 'NR == FNR { name[$2] = $1; next }
    FNR == 1 { print "program,id,run_cnt,run_time_ns,ns_per_run" }
    $1 == "prog" && ($4 in name) { printf "%s,%s,%s,%.0f,%s\n", name[$4], $4, $6, $6 * $8, $8 }
  ' - "$tdir/progstats.txt" > "$tdir/bpf_stats.csv"
  rm -f "$tdir/progstats.txt"
  [ "$(wc -l < "$tdir/bpf_stats.csv")" -ge 2 ] || rm -f "$tdir/bpf_stats.csv"
}

ra_server_opts() {
  case $1 in
    faults) echo "--fault-rate $FAULT_RATE --stall $STALL --fast $FAST --replay-ttl 1s" ;;
    fast0)  echo "--fault-rate $FAULT_RATE --stall $STALL --fast 0 --replay-ttl 1s" ;;
    clean)  echo "--fault-rate 0 --fast 0" ;;
    nofaults) echo "--fault-rate 0 --fast $FAST" ;;   # E8: no stalls, the fast path only
  esac
}

# ra_fail DIR MSG - record why a trial failed.
ra_fail() { echo "$2" > "$1/error.txt"; RA_FAIL_REASON=$2; return 1; }

# ra_run_trial EXPERIMENT ARM_LINE TRIAL - 0 on success; on failure 1 with
# RA_FAIL_REASON set. Always appends the manifest row.
ra_run_trial() {
  local exp=$1 armline=$2 t=$3 IFS_save=$IFS name mode hedged delay backend server extra param
  IFS='|' read -r name mode hedged delay backend server extra param <<< "$2"
  IFS=$IFS_save
  local tdir="$RUN/$exp/$name/trial-$t" rawdir="$RUN/raw/$exp/$name/trial-$t"
  local status=ok hedges="" dups="" stalled="" replay="" slow="" used_backend="" cpu="," rc=0
  # The requests the hedge count covers: the hedger counts warm-up too, the
  # client (app mode) only measured requests.
  local counted_over=$REQUESTS
  [ "$hedged" != 1 ] || counted_over=$((REQUESTS + WARMUP))
  RA_FAIL_REASON=""
  mkdir -p "$tdir" "$rawdir"
  if ! ra_trial_body; then status=failed; ra_kill_trial; fi
  echo "$exp,$name,$t,$status,raw/$exp/$name/trial-$t/requests.csv,$param,$hedges,$dups,$counted_over,$stalled,$used_backend,$cpu,$replay,$slow" >> "$MANIFEST"
  [ "$status" = ok ]
}

# ra_trial_body - the steps of ra_run_trial (its locals are visible here).
ra_trial_body() {
  local spid hpid cpid limit c0 c1
  [ -x "$SERVER_BIN" ] || ra_fail "$tdir" "chaos-server not built ($SERVER_BIN)" || return 1
  [ -x "$CLIENT_BIN" ] || ra_fail "$tdir" "hedge-client not built ($CLIENT_BIN)" || return 1
  if [ "$hedged" = 1 ] && [ ! -x "$HEDGER_BIN" ]; then
    ra_fail "$tdir" "hedger not built ($HEDGER_BIN)"; return 1
  fi

  # E3L: the server on the client's CPU, the hedger's delay line on its own.
  local pin_server=() line_opts=()
  if [ "$exp" = E3L ]; then
    pin_server=(taskset -c "$E3L_CPU")
    line_opts=(--line-cpu "$E3L_LINE_CPU")
    [ "${E3L_LINE_POLL:-0}" = 0 ] || line_opts+=(--line-poll)
  elif [ "$exp" = gate-apart ]; then
    pin_server=(taskset -c "$APART_SERVER_CPU")   # the client has --pin APART_CLIENT_CPU
  fi
  # shellcheck disable=SC2046
  ip netns exec "$SERVER_NS" "${pin_server[@]}" "$SERVER_BIN" -b "$SERVER_ADDR" -p "$PORT" $(ra_server_opts "$server") \
    --stats-file "$tdir/server.stats" > "$tdir/server.log" 2>&1 &
  spid=$!
  RA_PIDS+=("$spid")
  ra_wait_line "$tdir/server.log" 'listening on' "$spid" 10 \
    || { ra_fail "$tdir" "chaos-server did not start: $(tail -n1 "$tdir/server.log")"; return 1; }

  if [ "$hedged" = 1 ]; then
    # The hold options are htb's (E4's recirc arm takes none of them).
    local hold_opts=()
    case $backend in htb|auto) read -r -a hold_opts <<< "${HEDGER_HOLD_OPTS:-}" ;; esac
    ip netns exec "$CLIENT_NS" "$HEDGER_BIN" attach --dev "$CLIENT_IF" \
      --service "$SERVER_ADDR:$PORT${HEDGE_REPLICA:+=$HEDGE_REPLICA:$PORT}" --delay "$delay" --backend "$backend" "${hold_opts[@]}" "${line_opts[@]}" > "$tdir/hedger.log" 2>&1 &
    hpid=$!
    RA_PIDS+=("$hpid")
    RA_HEDGER_PID=$hpid
    ra_wait_line "$tdir/hedger.log" '^(hedger: )?backend: ' "$hpid" 20 \
      || { ra_fail "$tdir" "hedger did not attach: $(grep -v '^$' "$tdir/hedger.log" | tail -n1)"; return 1; }
    used_backend=$(grep -m1 -oE 'backend: [a-z0-9_-]+' "$tdir/hedger.log" | cut -d' ' -f2)
  fi

  # E3L: where it all runs, for the record (cpus.txt): the server's CPUs
  # and the RPS mask of the delay line's receive queue.
  if [ "$exp" = E3L ]; then
    { echo "server_cpus=$(taskset -pc "$spid" 2>/dev/null | sed 's/.*: //')"
      [ "$hedged" != 1 ] || echo "line_rps_cpus=$(ip netns exec "$CLIENT_NS" sh -c 'cat /sys/class/net/khd*b/queues/rx-0/rps_cpus' 2>/dev/null)"
    } > "$tdir/cpus.txt"
  fi

  # E3's (and E3L's) kernel arm: per-program BPF cost over the client's run.
  local stats_cmd=()
  if [ "$hedged" = 1 ] && { [ "$exp" = E3 ] || [ "$exp" = E3L ]; }; then
    ra_bpf_stats_cmd "$hpid" "$RUN/$exp/bpf_stats.note" "$delay"
    stats_cmd=("${RA_STATS_CMD[@]}")
  fi

  # Bounded: the estimate is generous already; three times it plus a minute.
  limit=$(awk -v e="$(ra_estimate "$armline")" 'BEGIN { printf "%d", 3 * e + 60 }')
  ! ra_awake_arm "$name" || ra_awake_start   # E4's -awake twins (lib/donoharm.sh)
  c0=$(ra_cpu_sample)
  # baseline never hedges: the delay goes to the client only in app mode.
  local hedge_opt=""
  [ "$mode" != app ] || hedge_opt="--hedge-delay $delay"
  # shellcheck disable=SC2086
  timeout --signal=INT --kill-after=10 "$limit" "${stats_cmd[@]}" ip netns exec "$CLIENT_NS" "$CLIENT_BIN" \
    --mode "$mode" --requests "$REQUESTS" --warmup "$WARMUP" --first-id "$FIRST_ID" \
    --timeout "$TIMEOUT" $hedge_opt --quiet --out "$tdir" $extra \
    "$SERVER_ADDR:$PORT" > "$tdir/client.txt" 2> "$tdir/client.err" &
  cpid=$!
  RA_PIDS+=("$cpid")
  wait "$cpid" || rc=$?
  ra_awake_stop
  c1=$(ra_cpu_sample)
  [ ${#stats_cmd[@]} = 0 ] || ra_bpf_stats_split "$hpid" "$tdir"
  cpu=$(echo "$c0 $c1" | awk '{ d = $5 - $2; if (d <= 0) d = 1; printf "%.1f,%.1f", 100 * ($4 - $1) / d, 100 * ($6 - $3) / d }')
  if [ "$rc" != 0 ]; then
    ra_fail "$tdir" "hedge-client exited $rc: $(tail -n1 "$tdir/client.err")"; return 1
  fi
  [ -f "$tdir/requests.csv" ] || { ra_fail "$tdir" "hedge-client wrote no requests.csv"; return 1; }
  mv "$tdir/requests.csv" "$rawdir/requests.csv"
  # Requests that could rightly have been hedged: timed out, or answered no
  # sooner than T - 1 ms (the hedger's clock starts after the client's).
  slow=$(ra_csv -v lim="$(awk -v d="$delay" 'BEGIN { sub(/ms$/, "", d); print (d - 1) * 1e6 }')" '
    $col("outcome") == "timeout" || $col("reply_ns") - $col("actual_send_ns") >= lim { n++ }
    END { print n + 0 }' "$rawdir/requests.csv")
  # The client's counters (params.txt): a late reply to an earlier request
  # is a duplicate that reached the client too.
  hedges=$(ra_keyval hedges_sent "$tdir/params.txt")
  dups=$(awk -F= '$1 == "duplicates" { d = $2 } $1 == "late" { l = $2 } END { if (d != "") print d + l }' \
    "$tdir/params.txt")

  if [ "$hedged" = 1 ]; then
    ip netns exec "$CLIENT_NS" "$HEDGER_BIN" stats --dev "$CLIENT_IF" > "$tdir/hedger-stats.txt" 2>&1 \
      || { ra_fail "$tdir" "hedger stats failed: $(tail -n1 "$tdir/hedger-stats.txt")"; return 1; }
    ip netns exec "$CLIENT_NS" "$HEDGER_BIN" stats --dev "$CLIENT_IF" --prometheus > "$tdir/hedger-stats.prom" 2>&1 \
      || { ra_fail "$tdir" "hedger stats --prometheus failed: $(tail -n1 "$tdir/hedger-stats.prom")"; return 1; }
    ip netns exec "$CLIENT_NS" "$HEDGER_BIN" stats --dev "$CLIENT_IF" --json > "$tdir/hedger-stats.json" 2>&1 \
      || { ra_fail "$tdir" "hedger stats --json failed: $(tail -n1 "$tdir/hedger-stats.json")"; return 1; }
    hedges=$(awk '$1 ~ /^hedger_hedges_sent_total[{ ]/ || $1 == "hedger_hedges_sent_total" { print $2 }' \
      "$tdir/hedger-stats.prom")
    [ -n "$hedges" ] || { ra_fail "$tdir" "no hedger_hedges_sent_total in hedger stats --prometheus"; return 1; }
    kill -INT "$hpid"
    ra_wait_pid "$hpid" 15 || { ra_fail "$tdir" "hedger did not stop on SIGINT"; return 1; }
    RA_HEDGER_PID=""
  fi
  kill -TERM "$spid"
  ra_wait_pid "$spid" 10 || { ra_fail "$tdir" "chaos-server did not stop on SIGTERM"; return 1; }
  RA_PIDS=()
  [ "$(ra_keyval when "$tdir/server.stats")" = exit ] \
    || { ra_fail "$tdir" "no final counters from chaos-server ($tdir/server.stats)"; return 1; }
  stalled=$(ra_keyval stalled "$tdir/server.stats")
  replay=$(ra_keyval replay_hits "$tdir/server.stats")
  return 0
}
