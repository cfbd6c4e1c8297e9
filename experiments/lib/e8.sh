# shellcheck shell=bash
# e8.sh - E8: packet loss, the most common fault of UDP. A pair lab of its
# own per loss configuration, the loss emulated on both directions (request
# and reply) by netns-lab's link emulation (netem where the kernel has it,
# else the BPF link emulator); chaos-server without stalls (fast path FAST);
# client timeout TIMEOUT, open loop at E8_RATE. Arms per configuration:
# baseline (a lost request or reply costs the timeout), app-hedged,
# kernel-hedged (the hedger on the client's veth, above the emulator: the
# hedge can be lost too), and kernel-hedged to another replica (a replicas
# lab, e8_replica_arm). Trials run through trial.sh, so E8 rows are in
# the manifest and summarized like E1-E5; the lab's emulator and counters
# go to E8/<config>/.
#
# Needs run_all.sh's RUN MANIFEST ROOT *_BIN REQUESTS WARMUP TRIALS DELAY
# BACKEND TIMEOUT KEEP_AWAKE PROFILE EXPERIMENTS and its failures array.

E8_RATE=500/s
HEDGE_REPLICA=""   # trial.sh: where the kernel arm's hedges go (the replica arm)
# name|lab.sh options. Bursty = Gilbert (1-h = 100%, 1-k = 0) with mean burst
# 1/r = 3.3 packets and the same mean loss: p = r L / (1 - L).
E8_CONFIGS=(
  "bern1|--loss 1%"
  "bern5|--loss 5%"
  "burst1|--loss-model gemodel 0.303% 30% 100% 0%"
  "burst5|--loss-model gemodel 1.579% 30% 100% 0%"
)

# e8_arms CONFIG - arm lines (trial.sh format) for one loss configuration.
e8_arms() {
  local loss=${1//[!0-9]/}
  echo "baseline-$1|baseline|0|$DELAY|$BACKEND|nofaults|--rate $E8_RATE|$loss"
  echo "app-$1|app|0|$DELAY|$BACKEND|nofaults|--rate $E8_RATE|$loss"
  echo "kernel-$1|baseline|1|$DELAY|$BACKEND|nofaults|--rate $E8_RATE|$loss"
}

# e8_run_experiments - run E8 when it was asked for.
e8_run_experiments() {
  [[ " $EXPERIMENTS " == *" E8 "* ]] || return 0
  local cfg name opts env arms t k arm ntr=1 requests=1000 warmup=100 seed=1 dir
  local saved_req=$REQUESTS saved_warm=$WARMUP configs=("${E8_CONFIGS[@]}")
  # Quick: the two extremes (1% Bernoulli, 5% bursty), to add about a
  # minute; full: all four, 3 trials of 5000.
  [ "$PROFILE" = full ] || configs=("${E8_CONFIGS[0]}" "${E8_CONFIGS[3]}")
  [ "$PROFILE" = full ] && { ntr=3; requests=5000; warmup=200; }
  [ -n "${KH_EMU_BIN:-}" ] || [ ! -x "$BUILD/netns-lab/emu/emu" ] || export KH_EMU_BIN=$BUILD/netns-lab/emu/emu
  [ -z "${o_trials:-}" ] || ntr=$o_trials
  [ -z "${o_requests:-}" ] || requests=$o_requests
  REQUESTS=$requests WARMUP=$warmup
  ra_log "E8 (loss): ${#configs[@]} configurations x 3 arms x $ntr trial(s), $requests requests at $E8_RATE"
  mkdir -p "$RUN/E8"
  { echo "requests=$requests"; echo "warmup=$warmup"; echo "trials=$ntr"; echo "rate=$E8_RATE"
    echo "timeout=$TIMEOUT"; echo "hedge_delay=$DELAY"; echo "server=--fault-rate 0 --fast $FAST"
    printf 'config=%s\n' "${configs[@]}"; } > "$RUN/E8/params.txt"
  for cfg in "${configs[@]}"; do
    name=${cfg%%|*} opts=${cfg#*|}
    dir=$RUN/E8/$name
    mkdir -p "$dir"
    local args=(up pair -q --owner-pid $$ --emu-seed "$seed")
    [ "$KEEP_AWAKE" = 0 ] || args+=(--keep-awake)
    # shellcheck disable=SC2206
    args+=($opts)
    seed=$((seed + 2))
    if ! env=$("$ROOT/netns-lab/lab.sh" "${args[@]}" 2>"$dir/lab.err"); then
      failures+=("E8/$name: lab.sh up pair $opts failed: $(tail -n1 "$dir/lab.err")")
      ra_log "FAILED: E8/$name: lab.sh up pair $opts: $(tail -n1 "$dir/lab.err")"
      continue
    fi
    printf '%s\n' "$env" > "$dir/lab.env"
    eval "$env"
    mapfile -t arms < <(e8_arms "$name")
    for ((t = 1; t <= ntr; t++)); do
      for ((k = 0; k < ${#arms[@]}; k++)); do
        arm=${arms[$(((k + t - 1) % ${#arms[@]}))]}
        ra_run_trial E8 "$arm" "$t" || {
          ra_log "FAILED: E8/${arm%%|*} trial $t: $RA_FAIL_REASON"
          failures+=("E8/${arm%%|*} trial $t: $RA_FAIL_REASON")
        }
      done
    done
    e8_emu_stats "$dir"
    "$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || ra_log "warning: lab.sh down failed"
    LAB_PREFIX=""
    # Kernel-hedged to another replica: quick runs it for the first
    # configuration only (time), full for all.
    if [ "$PROFILE" = full ] || [ "$cfg" = "${configs[0]}" ]; then
      e8_replica_arm "$name" "$opts" "$seed" "$ntr"
    fi
  done
  REQUESTS=$saved_req WARMUP=$saved_warm
  e8_table || ra_log "warning: the E8 table failed"
}

# e8_emu_stats DIR - the emulator's counters per direction (bpf only).
e8_emu_stats() {
  local emu
  [ "$(sed -n 's/^LAB_EMULATOR=//p' "$1/lab.env")" = bpf ] || return 0
  emu=$(ls -t "$ROOT"/build*/netns-lab/emu/emu 2>/dev/null | head -n 1)
  [ -n "${KH_EMU_BIN:-}" ] && emu=$KH_EMU_BIN
  [ -x "$emu" ] || return 0
  ip netns exec "$CLIENT_NS" "$emu" stats --dev "$CLIENT_IF" > "$1/emu-up.txt" 2>&1 || true
  ip netns exec "$SERVER_NS" "$emu" stats --dev "$SERVER_IF" > "$1/emu-down.txt" 2>&1 || true
}

# e8_table - E8/table.csv: per arm, pooled over trials, with every timed-out
# request counted at the timeout (summary.csv leaves timeouts out of the
# latencies; here they are the point): requests, timeouts, P50, P99, P99.9,
# max in ms, and the bar for the hedged arms, T + fast + 2 ms.
e8_table() {
  local out=$RUN/E8/table.csv arm files tmo_ms bar
  [ -d "$RUN/raw/E8" ] || return 0
  tmo_ms=$(awk -v t="$TIMEOUT" 'BEGIN { if (sub(/ms$/, "", t)) print t; else if (sub(/s$/, "", t)) print t * 1000 }')
  bar=$(awk -v d="$DELAY" -v f="$FAST" 'BEGIN { sub(/ms$/, "", d); sub(/ms$/, "", f); print d + f + 2 }')
  echo "arm,loss_pct,requests,timeouts,p50_ms,p99_ms,p999_ms,max_ms,bar_ms" > "$out"
  for arm in "$RUN"/raw/E8/*/; do
    arm=$(basename "$arm")
    files=$(ls "$RUN/raw/E8/$arm"/trial-*/requests.csv 2>/dev/null) || continue
    [ -n "$files" ] || continue
    # shellcheck disable=SC2086
    ra_csv -v tmo="$tmo_ms" '$col("outcome") == "timeout" { printf "%.6f T\n", tmo; next }
      $col("outcome") != "unsent" { printf "%.6f\n", ($col("reply_ns") - $col("intended_send_ns")) / 1e6 }' $files | sort -n | awk -v arm="$arm" -v bar="$bar" '
      { v[NR] = $1; if ($2 == "T") t++ }
      function q(p,  i) { i = int(p * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] }
      END { l = ""; if (match(arm, /[0-9]+$/)) l = substr(arm, RSTART)
        printf "%s,%s,%d,%d,%.3f,%.3f,%.3f,%.3f,%s\n", arm, l, NR, t + 0, q(0.5), q(0.99), q(0.999), v[NR], bar }' >> "$out"
  done
  echo
  echo "## E8 loss: latency with timeouts counted at $TIMEOUT (E8/table.csv)"
  column -s, -t "$out" 2>/dev/null || cat "$out"
}

# e8_replica_arm CONFIG OPTS SEED TRIALS - the kernel-hedged arm whose hedge
# goes to another replica: a `replicas 2` lab with the same loss on every
# replica link (router -> replica: requests; replica -> router: replies),
# chaos-server on both, the hedger with --service R1=R2 (reverse NAT).
e8_replica_arm() {
  local name=$1 opts=$2 seed=$3 ntr=$4 dir=$RUN/E8/$1-replicas env t spid2 rc
  local args=(up replicas 2 -q --owner-pid $$ --emu-seed "$seed")
  [ "$KEEP_AWAKE" = 0 ] || args+=(--keep-awake)
  # shellcheck disable=SC2206
  args+=($opts)
  mkdir -p "$dir"
  if ! env=$("$ROOT/netns-lab/lab.sh" "${args[@]}" 2>"$dir/lab.err"); then
    failures+=("E8/kernel-replica-$name: lab.sh up replicas 2 failed: $(tail -n1 "$dir/lab.err")")
    return 0
  fi
  printf '%s\n' "$env" > "$dir/lab.env"
  eval "$env"
  SERVER_NS=$REPLICA_NS_1 SERVER_ADDR=$REPLICA1_ADDR
  # shellcheck disable=SC2046
  ip netns exec "$REPLICA_NS_2" "$SERVER_BIN" -b "$REPLICA2_ADDR" -p "$PORT" $(ra_server_opts nofaults) \
    > "$dir/server2.log" 2>&1 &
  spid2=$!
  if ra_wait_line "$dir/server2.log" 'listening on' "$spid2" 10; then
    HEDGE_REPLICA=$REPLICA2_ADDR
    for ((t = 1; t <= ntr; t++)); do
      ra_run_trial E8 "kernel-replica-$name|baseline|1|$DELAY|$BACKEND|nofaults|--rate $E8_RATE|${name//[!0-9]/}" "$t" || {
        ra_log "FAILED: E8/kernel-replica-$name trial $t: $RA_FAIL_REASON"
        failures+=("E8/kernel-replica-$name trial $t: $RA_FAIL_REASON")
      }
    done
    HEDGE_REPLICA=""
  else
    failures+=("E8/kernel-replica-$name: chaos-server on replica 2 did not start")
  fi
  kill -TERM "$spid2" 2>/dev/null || true
  ra_wait_pid "$spid2" 10 || kill -KILL "$spid2" 2>/dev/null || true
  rc=0
  "$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || rc=1
  [ "$rc" = 0 ] || ra_log "warning: lab.sh down failed"
  LAB_PREFIX=""
}
