# shellcheck shell=bash
# realproto.sh - E6 (DNS, Knot DNS) and E7 (memcached): hedging real servers
# and protocols, in a `lab.sh up replicas 2` lab of their own. Per trial:
# fresh servers on both replicas (servers.sh), the hedger for kernel arms
# (--service R1=R2, reverse NAT), proc-pauser pausing replica 1's server
# (SIGSTOP/SIGCONT, RP_PAUSE every RP_EVERY at seeded points, the same
# schedule for every arm of a trial number; real times in pauses.csv), then
# hedge-client open loop at RP_RATE. Rows go to run_all.sh's manifest, so
# summarize treats them like E1-E5.
#
# Needs run_all.sh's RUN MANIFEST BIN_DIR BUILD ROOT CLIENT_BIN HEDGER_BIN
# REQUESTS WARMUP TRIALS DELAY TIMEOUT BACKEND KEEP_AWAKE EXPERIMENTS and
# its failures array.
for f in servers e6 e7; do
  # shellcheck source=/dev/null
  . "$ROOT/experiments/lib/$f.sh"
done

RP_RATE=500/s
RP_PAUSE=400ms
RP_EVERY=2s
RP_LAB=""             # prefix of the replicas lab while it exists
RP_PIDS=()            # servers, pauser, hedger, client of the current trial
RP_HEDGER_PID=""
RP_HEDGER_PROTO=0     # 1: the hedger has protocol profiles (attach --proto)
# shellcheck disable=SC2034  # read by e6.sh
RP_VIA=""             # the trial's client goes through: "" (directly) or "unbound"

rp_replica_ns() { local v="RP_REPLICA_NS_$1"; echo "${!v}"; }
rp_replica_addr() { local v="RP_REPLICA$1_ADDR"; echo "${!v}"; }

# rp_kill_trial - stop whatever the trial still runs: servers are continued
# first (never left paused), the hedger detaches on SIGTERM; if it had to be
# killed, `hedger detach` removes what it left.
rp_kill_trial() {
  local i
  # Newest first: client, pauser (it continues its server), hedger, servers.
  for ((i = ${#RP_PIDS[@]} - 1; i >= 0; i--)); do srv_stop "${RP_PIDS[$i]}" 10; done
  if [ -n "$RP_HEDGER_PID" ] && [ -n "$RP_LAB" ]; then
    ip netns exec "$RP_CLIENT_NS" "$HEDGER_BIN" detach --dev "$RP_CLIENT_IF" >/dev/null 2>&1 || true
  fi
  RP_PIDS=()
  RP_HEDGER_PID=""
}

# rp_cleanup - for run_all.sh's exit trap: the trial's processes, then the lab.
rp_cleanup() {
  rp_kill_trial
  if [ -n "$RP_LAB" ]; then "$ROOT/netns-lab/lab.sh" down --prefix "$RP_LAB" -q >/dev/null 2>&1 || true; fi
  RP_LAB=""
}

rp_lab_up() {
  local env args=(up replicas 2 -q --owner-pid $$)
  [ "$KEEP_AWAKE" = 0 ] || args+=(--keep-awake)
  env=$("$ROOT/netns-lab/lab.sh" "${args[@]}") || return 1
  eval "$(sed 's/^/RP_/' <<< "$env")"
  RP_LAB=$RP_LAB_PREFIX
}

# rp_estimate - rough seconds of one trial, for the ETA.
rp_estimate() { awk -v n=$((REQUESTS + WARMUP)) -v r="${RP_RATE%/s}" 'BEGIN { printf "%.1f", n / r + 4 }'; }

# rp_run_trial EXP ARM_LINE T - one trial; appends its manifest row. 0 on
# success, 1 with RA_FAIL_REASON.
rp_run_trial() {
  local exp=$1 t=$3 name mode hedged extra via target
  IFS='|' read -r name mode hedged extra via <<< "$2"
  # shellcheck disable=SC2034  # read by e6.sh
  RP_VIA=$via
  target="$RP_REPLICA1_ADDR:$RP_PORT"
  [ "$via" != unbound ] || target="$E6_UNBOUND_ADDR:$E6_PORT"
  local tdir="$RUN/$exp/$name/trial-$t" rawdir="$RUN/raw/$exp/$name/trial-$t"
  local status=ok hedges="" dups="" pauses="" slow="" used_backend="" cpu="," counted_over=$REQUESTS
  [ "$hedged" != 1 ] || counted_over=$((REQUESTS + WARMUP))
  local lx=${exp,,}
  RA_FAIL_REASON=""
  mkdir -p "$tdir" "$rawdir"
  rp_trial_body || status=failed
  rp_kill_trial
  echo "$exp,$name,$t,$status,raw/$exp/$name/trial-$t/requests.csv,,$hedges,$dups,$counted_over,$pauses,$used_backend,$cpu,,$slow" >> "$MANIFEST"
  [ "$status" = ok ]
}

# rp_fail MSG - record why the trial failed.
rp_fail() { echo "$1" > "$tdir/error.txt"; RA_FAIL_REASON=$1; return 1; }

rp_trial_body() {
  local hpid ppid cpid limit c0 c1 rc=0
  [ -x "$CLIENT_BIN" ] || { rp_fail "hedge-client not built ($CLIENT_BIN)"; return 1; }
  [ -x "$RP_PAUSER_BIN" ] || { rp_fail "proc-pauser not built ($RP_PAUSER_BIN)"; return 1; }
  if [ "$hedged" = 1 ] && [ ! -x "$HEDGER_BIN" ]; then rp_fail "hedger not built ($HEDGER_BIN)"; return 1; fi
  "rp_${lx}_start" "$tdir" 2> "$tdir/start.err" \
    || { rp_fail "$(tail -n1 "$tdir/start.err" 2>/dev/null || echo 'the servers did not start')"; return 1; }

  if [ "$hedged" = 1 ]; then
    # shellcheck disable=SC2046
    ip netns exec "$RP_CLIENT_NS" "$HEDGER_BIN" attach --dev "$RP_CLIENT_IF" \
      --service "$RP_REPLICA1_ADDR:$RP_PORT=$RP_REPLICA2_ADDR:$RP_PORT" $("rp_${lx}_hedger_args") \
      --delay "$DELAY" --backend "$BACKEND" > "$tdir/hedger.log" 2>&1 &
    hpid=$!
    RP_PIDS+=("$hpid")
    RP_HEDGER_PID=$hpid
    ra_wait_line "$tdir/hedger.log" '^(hedger: )?backend: ' "$hpid" 20 \
      || { rp_fail "hedger did not attach: $(grep -v '^$' "$tdir/hedger.log" | tail -n1)"; return 1; }
    used_backend=$(grep -m1 -oE 'backend: [a-z0-9_-]+' "$tdir/hedger.log" | cut -d' ' -f2)
  fi

  limit=$(awk -v e="$(rp_estimate)" 'BEGIN { printf "%d", 3 * e + 60 }')
  local hedge_opt=""
  [ "$mode" != app ] || hedge_opt="--hedge-delay $DELAY --hedge-target $RP_REPLICA2_ADDR:$RP_PORT"
  c0=$(ra_cpu_sample)
  # shellcheck disable=SC2046,SC2086
  timeout --signal=INT --kill-after=10 "$limit" ip netns exec "$RP_CLIENT_NS" "$CLIENT_BIN" \
    $("rp_${lx}_client_args") $extra --mode "$mode" --rate "$RP_RATE" --requests "$REQUESTS" \
    --warmup "$WARMUP" --timeout "$TIMEOUT" $hedge_opt --quiet --out "$tdir" \
    "$target" > "$tdir/client.txt" 2> "$tdir/client.err" &
  cpid=$!
  RP_PIDS+=("$cpid")
  # Started right after the client, its periods from the end of the
  # client's warm-up (+ 100 ms for the client to start) on, so the pauses
  # fall into the measured run; the same seed for a trial number: every arm
  # faces the same pause schedule.
  "$RP_PAUSER_BIN" --pid "$RP_SRV_PID_1" --pause "$RP_PAUSE" --every "$RP_EVERY" --seed "$t" \
    --after "$(awk -v w="$WARMUP" -v r="${RP_RATE%/s}" 'BEGIN { printf "%dms", 1000 * w / r + 100 }')" \
    --out "$tdir/pauses.csv" 2> "$tdir/pauser.log" &
  ppid=$!
  RP_PIDS+=("$ppid")
  wait "$cpid" || rc=$?
  c1=$(ra_cpu_sample)
  cpu=$(echo "$c0 $c1" | awk '{ d = $5 - $2; if (d <= 0) d = 1; printf "%.1f,%.1f", 100 * ($4 - $1) / d, 100 * ($6 - $3) / d }')
  kill -INT "$ppid" 2>/dev/null || true
  ra_wait_pid "$ppid" 5 || { rp_fail "proc-pauser did not stop on SIGINT"; return 1; }
  pauses=$(awk 'NR > 1 { n++ } END { print n + 0 }' "$tdir/pauses.csv" 2>/dev/null)
  [ "$rc" = 0 ] || { rp_fail "hedge-client exited $rc: $(tail -n1 "$tdir/client.err")"; return 1; }
  [ -f "$tdir/requests.csv" ] || { rp_fail "hedge-client wrote no requests.csv"; return 1; }
  mv "$tdir/requests.csv" "$rawdir/requests.csv"
  slow=$(awk -F, -v d="$DELAY" 'BEGIN { sub(/ms$/, "", d); lim = (d - 1) * 1e6 }
    NR > 1 && ($5 == "timeout" || $4 - $3 >= lim) { n++ } END { print n + 0 }' "$rawdir/requests.csv")
  hedges=$(grep -oE 'hedges sent [0-9]+' "$tdir/client.txt" | grep -oE '[0-9]+$' || true)
  dups=$(awk '{ for (i = 1; i < NF; i++) { if ($i == "seen") d = $(i + 1); if ($i == "(late") { l = $(i + 1); sub(/,/, "", l) } } }
              END { if (d != "") print d + l }' "$tdir/client.txt")
  if [ "$hedged" = 1 ]; then
    ip netns exec "$RP_CLIENT_NS" "$HEDGER_BIN" stats --dev "$RP_CLIENT_IF" > "$tdir/hedger-stats.txt" 2>&1 \
      || { rp_fail "hedger stats failed: $(tail -n1 "$tdir/hedger-stats.txt")"; return 1; }
    hedges=$(awk '$1 == "hedges_sent" { print $2 }' "$tdir/hedger-stats.txt")
    [ -n "$hedges" ] || { rp_fail "no hedges_sent counter in hedger stats"; return 1; }
  fi
  "rp_${lx}_check" "$tdir" 2> "$tdir/check.err" || { rp_fail "$(tail -n1 "$tdir/check.err")"; return 1; }
  return 0
}

# rp_run_experiments - E6 and E7 of $EXPERIMENTS, trial by trial, arms
# rotated as in run_all.sh; failures are appended to run_all.sh's list.
rp_run_experiments() {
  local exps=() exp arms t k arm total_est=0 done_est=0
  for exp in $EXPERIMENTS; do case $exp in E6|E7) exps+=("$exp") ;; esac; done
  [ ${#exps[@]} -gt 0 ] || return 0
  RP_PAUSER_BIN=$BIN_DIR/proc-pauser
  [ ! -x "$BUILD/experiments/proc-pauser" ] || cp "$BUILD/experiments/proc-pauser" "$BIN_DIR/"
  if [ -x "$HEDGER_BIN" ] && "$HEDGER_BIN" attach --help 2>&1 | grep -q -- '--proto'; then RP_HEDGER_PROTO=1; fi
  RP_DATA=$RUN/servers
  mkdir -p "$RP_DATA"
  rp_lab_up || { failures+=("E6/E7: lab.sh up replicas 2 failed"); return 0; }
  ra_meta_set realproto_lab "replicas 2 ($RP_LAB)"
  ra_meta_set realproto_rate "$RP_RATE"
  ra_meta_set realproto_pauses "SIGSTOP $RP_PAUSE once every $RP_EVERY of replica 1's server, seeded by trial number, periods from the end of the warm-up + 100 ms"
  ra_meta_set realproto_servers "$(srv_versions)"
  ra_meta_set realproto_hedger_profile "$([ "$RP_HEDGER_PROTO" = 1 ] && echo "attach --proto dns|memcached" || echo "generic id (offset 0, 2 bytes, big endian); E7 kernel arm on one-datagram values")"
  local plan=()
  for exp in "${exps[@]}"; do
    mapfile -t arms < <("rp_${exp,,}_arms")
    for ((t = 1; t <= TRIALS; t++)); do
      for ((k = 0; k < ${#arms[@]}; k++)); do
        plan+=("$exp#$t#${arms[$(((k + t - 1) % ${#arms[@]}))]}")
        total_est=$(awk -v a="$total_est" -v b="$(rp_estimate)" 'BEGIN { print a + b }')
      done
    done
    mkdir -p "$RP_DATA/$exp"
    "rp_${exp,,}_prepare" "$RP_DATA/$exp"
  done
  ra_log "${#plan[@]} real-protocol trials (${exps[*]}), about $(ra_fmt_secs "$total_est")"
  # The progress line's clock starts here; run_all.sh's is kept for its meta.
  local item rest name ra_start_saved=$RA_START
  RA_START=$(date +%s)
  for item in "${plan[@]}"; do
    exp=${item%%#*}; rest=${item#*#}; t=${rest%%#*}; arm=${rest#*#}; name=${arm%%|*}
    case $exp in E6) RP_PORT=$E6_PORT ;; E7) RP_PORT=$E7_PORT ;; esac
    ra_progress "$done_est" "$total_est" "$exp $name trial $t"
    if ! rp_run_trial "$exp" "$arm" "$t"; then
      ra_progress_end
      ra_log "FAILED: $exp/$name trial $t: $RA_FAIL_REASON"
      failures+=("$exp/$name trial $t: $RA_FAIL_REASON")
    fi
    done_est=$(awk -v a="$done_est" -v b="$(rp_estimate)" 'BEGIN { print a + b }')
  done
  ra_progress "$total_est" "$total_est" "done"
  ra_progress_end
  RA_START=$ra_start_saved
  rp_cleanup
}

# rp_post - RUN/realproto.csv, one row per E6/E7 trial: the pauses really
# made (count, mean length), the measured requests sent while replica 1 was
# stopped, duplicates that reached the client, and for E7 the gets each
# replica served and the writes it saw (must be 0); and the same per arm as
# a section of summary.md. Nothing without E6/E7 trials.
rp_post() {
  local out="$RUN/realproto.csv" exp arm t status
  awk -F, '$1 == "E6" || $1 == "E7" { f = 1 } END { exit !f }' "$MANIFEST" || return 0
  echo "experiment,arm,trial,pauses,pause_mean_ms,requests_in_pauses,client_duplicates,gets_replica1,gets_replica2,writes" > "$out.tmp"
  while IFS=, read -r exp arm t status _; do
    [ "$status" = ok ] || continue
    local tdir="$RUN/$exp/$arm/trial-$t" raw="$RUN/raw/$exp/$arm/trial-$t/requests.csv"
    local p inp dup g="" 
    p=$(awk -F, 'NR > 1 { n++; s += $3 - $2 } END { printf "%d,%.1f", n, n ? s / n / 1e6 : 0 }' "$tdir/pauses.csv")
    inp=$(awk -F, 'NR == FNR { if (FNR > 1) { a[++n] = $2; b[n] = $3 } next }
      FNR > 1 { for (i = 1; i <= n; i++) if ($3 >= a[i] && $3 <= b[i]) { c++; break } } END { print c + 0 }' \
      "$tdir/pauses.csv" "$raw" 2>/dev/null || echo "")
    dup=$(awk -F, -v e="$exp" -v a="$arm" -v t="$t" '$1 == e && $2 == a && $3 == t { print $8 }' "$MANIFEST")
    if [ -f "$tdir/memcached-writes.csv" ]; then
      g=$(awk -F, 'NR > 1 { g[$1] = $2; w += $5 } END { printf "%s,%s,%d", g[1], g[2], w }' "$tdir/memcached-writes.csv")
    else
      g=",,"
    fi
    echo "$exp,$arm,$t,$p,$inp,$dup,$g" >> "$out.tmp"
  done < <(awk -F, 'NR > 1 && ($1 == "E6" || $1 == "E7") { print $1 "," $2 "," $3 "," $4 ",x" }' "$MANIFEST")
  mv "$out.tmp" "$out"
  [ -f "$RUN/summary.md" ] || return 0
  awk -F, 'NR == 1 { next }
    !(($1 "," $2) in n) { order[++k] = $1 "," $2 }
    { key = $1 "," $2; n[key]++; pz[key] += $4; pm[key] += $4 * $5; inp[key] += $6; dup[key] += $7
      if ($8 != "") { g1[key] += $8; g2[key] += $9; w[key] += $10; mc[key] = 1 } }
    END {
      print ""
      print "## E6/E7 pauses and server counters"
      print ""
      print "Replica 1'\''s server stopped with SIGSTOP (real times from proc-pauser); requests sent while it was stopped; duplicates reaching the client; E7: gets served per replica and data-changing commands seen (memcached `stats` before/after each trial), summed over trials."
      print ""
      print "| experiment | arm | trials | pauses | mean pause (ms) | requests in pauses | client duplicates | gets replica 1 | gets replica 2 | writes |"
      print "|---|---|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= k; i++) { key = order[i]; split(key, e, ",")
        printf "| %s | %s | %d | %d | %.1f | %d | %d | %s | %s | %s |\n", e[1], e[2], n[key], pz[key],
          pz[key] ? pm[key] / pz[key] : 0, inp[key], dup[key], mc[key] ? g1[key] : "–",
          mc[key] ? g2[key] : "–", mc[key] ? w[key] : "–" } }' "$out" >> "$RUN/summary.md"
}
