# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # ra_trial_body sets and reads the locals of ra_run_trial (trial.sh)
# hosts.sh - run_all.sh --inventory FILE: the same matrix on real hosts.
# Sourced by run_all.sh after its lab functions; replaces them and the trial
# body. The lab is netns-lab's "hosts" provider: every command runs on an
# inventory host with "lab.sh exec NODE -- CMD" over ssh, with the binaries
# deploy/site.yml put in each host's kh_dir/bin.
#
# Per trial: chaos-server on every replica host (replica k: --replica k-1,
# so replicas stall on different ids); for kernel arms the hedger on every
# client host, hedging to the other replicas (--service R1=R2,...; the same
# server when there is one replica); then every client host runs hedge-client
# in open loop at its share of the rate (KH_HOSTS_RATE requests/s in all,
# default 400), with its share of the requests and a disjoint id range, all at
# once. The trial's result is the pool: requests.csv of all clients (raw),
# latency.hgrm and summary.csv merged from their HDR interval logs by
# hdr-tool; each client's own files stay in clientK/.

HOSTS_RATE=${KH_HOSTS_RATE:-400}
[[ $HOSTS_RATE =~ ^[1-9][0-9]{0,6}$ ]] || ra_die "KH_HOSTS_RATE '$HOSTS_RATE': expected requests per second"
HDR_TOOL_BIN=$BIN_DIR/hdr-tool
[ ! -x "$BUILD/tools/hdr-tool" ] || cp "$BUILD/tools/hdr-tool" "$HDR_TOOL_BIN"

lab_args=(up hosts --inventory "$INVENTORY" -q --owner-pid $$)

# E6-E8 build namespaced labs of their own (real DNS/memcached servers,
# emulated loss) and E3L pins client, server and delay line to the CPUs of
# one machine: they do not run on hosts.
hosts_exps=""
for e in $EXPERIMENTS; do
  case $e in
    E3L|E6|E7|E8) ra_log "$e runs in namespaces only; not run with --inventory" ;;
    *) hosts_exps+=" $e" ;;
  esac
done
EXPERIMENTS=${hosts_exps# }
[ -n "$EXPERIMENTS" ] || ra_die "nothing to run on the hosts (E1-E5, gate, gate-kernel)"
ra_meta_set experiments "$EXPERIMENTS"

# hx NODE -- CMD... - CMD on NODE's host (lab.sh exec over ssh).
hx() { "$ROOT/netns-lab/lab.sh" exec --prefix "$LAB_PREFIX" "$@"; }

lab_up() {
  local env
  env=$("$ROOT/netns-lab/lab.sh" "${lab_args[@]}") || ra_die "lab.sh up hosts failed (the line above names the host)"
  eval "$env"
  hosts_record
}

# The hosts do not vanish like namespaces: the lab is alive while its state is.
lab_alive() { [ -f "$LAB_STATE" ]; }

# hosts_node_var NODE KEY - e.g. CLIENT2 DIR -> $CLIENT2_DIR.
hosts_node_var() { local v="$1_$2"; echo "${!v}"; }

# hosts_record - every host's facts (kernel, NIC driver and offloads, queues,
# clock sync, hedger probe, clock offset) and the inventory without secrets
# into RUN/hosts/, a one-line-per-host table, and the meta keys.
hosts_record() {
  local k n f
  mkdir -p "$RUN/hosts"
  cp "$HOSTS_FACTS_DIR"/* "$RUN/hosts/"
  echo "host,role,test_address,interface,kernel,driver,clock_offset_ms,probe_available" > "$RUN/hosts/hosts.csv"
  for n in $(hosts_nodes); do
    f="$RUN/hosts/$(hosts_node_var "${n^^}" HOST).txt"
    awk -F': ' -v node="$n" '
      $1 == "host" { h = $2 } $1 == "role" { r = $2 } $1 == "test_address" { a = $2 }
      $1 == "interface" { i = $2 } $1 == "kernel" { k = $2 } $1 == "driver" { d = $2 }
      $1 == "clock_offset_ms" { split($2, x, " "); o = x[1] } $1 == "available" { p = $2; gsub(/,/, "", p) }
      END { printf "%s,%s,%s,%s,%s,%s,%s,%s\n", h, node, a, i, k, d, o, p }' "$f" >> "$RUN/hosts/hosts.csv"
  done
  ra_meta_set lab_topology hosts
  ra_meta_set hosts_inventory "$HOSTS_INVENTORY"
  ra_meta_set hosts_clients "$CLIENTS"
  ra_meta_set hosts_replicas "$REPLICAS"
  ra_meta_set hosts_rate_per_s "$HOSTS_RATE"
  ra_meta_set client_load "open loop, $HOSTS_RATE/s in all, split evenly over $CLIENTS client host(s), disjoint id ranges"
  ra_meta_set hosts_kernels "$(for k in $(seq "$CLIENTS"); do printf '%s=%s ' "$(hosts_node_var "CLIENT$k" HOST)" \
    "$(awk -F': ' '$1 == "kernel" { print $2 }' "$RUN/hosts/$(hosts_node_var "CLIENT$k" HOST).txt")"; done)"
  # E4's backends: what the first client host's hedger offers.
  f="$RUN/hosts/$(hosts_node_var CLIENT1 HOST).txt"
  n=$(awk -F': ' '$1 == "available" { gsub(/, */, " ", $2); print $2 }' "$f")
  [ -z "${n// /}" ] || E4_BACKENDS=${n% }
  ra_meta_set e4_backends "$E4_BACKENDS"
  ra_meta_set server_addr "$SERVER_ADDR:$PORT"
}

# hosts_nodes - client1.. clientC replica1.. replicaR
hosts_nodes() {
  local k
  for k in $(seq "$CLIENTS"); do echo "client$k"; done
  for k in $(seq "$REPLICAS"); do echo "replica$k"; done
}

RA_REMOTE=()   # "NODE NAME" of the remote processes of the current trial

# hosts_start NODE NAME LOG CMD... - start CMD on NODE in the background; its
# pid goes to HOSTS_RUN_DIR/NAME.pid there, its output (over ssh) to LOG.
hosts_start() {
  local node=$1 name=$2 log=$3
  shift 3
  # shellcheck disable=SC2016
  hx "$node" -- bash -c 'echo $$ > "$0"; exec "$@"' "$HOSTS_RUN_DIR/$name.pid" "$@" > "$log" 2>&1 &
  RA_PIDS+=("$!")
  RA_REMOTE+=("$node $name")
  HOSTS_LAST_PID=$!
}

# hosts_signal NODE NAME SIG - signal a process started by hosts_start.
hosts_signal() {
  # shellcheck disable=SC2016
  hx "$1" -- bash -c 'p=$(cat "$0" 2>/dev/null) && kill -"$1" "$p" 2>/dev/null' "$HOSTS_RUN_DIR/$2.pid" "$3"
}

# ra_kill_trial - stop what the current trial still runs, on every host: the
# hedgers first (SIGINT: they remove what they created; a hedger that had to
# be killed is cleaned up by "hedger detach"), then the servers, then the
# local ssh processes that carried their output.
ra_kill_trial() {
  local entry node name pid
  for entry in "${RA_REMOTE[@]}"; do
    node=${entry% *} name=${entry#* }
    # shellcheck disable=SC2016
    hx "$node" -- bash -c 'f=$1/$2.pid; h=$3; ifc=$4
      p=$(cat "$f" 2>/dev/null) || exit 0
      kill -INT "$p" 2>/dev/null
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$p" 2>/dev/null; then
        kill -KILL "$p"
        case "$2" in hedger*) sleep 0.2; "$h" detach --dev "$ifc" ;; esac
      fi
      rm -f "$f"' kh-stop "$HOSTS_RUN_DIR" "$name" "$(hosts_node_var "${node^^}" DIR)/bin/hedger" \
      "$(hosts_node_var "${node^^}" IF)" >/dev/null 2>&1 || true
  done
  for pid in "${RA_PIDS[@]}"; do
    ra_wait_pid "$pid" 5 || { kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  done
  RA_PIDS=()
  RA_REMOTE=()
}

# hosts_share TOTAL K - client K's share of TOTAL (the first ones take the rest).
hosts_share() {
  echo $(( $1 / CLIENTS + ($2 <= $1 % CLIENTS ? 1 : 0) ))
}

# hosts_wait_started LOG NODE NAME FAILED PATTERN SECS PID... - until the
# k-th PID (NAME, started on node NODE<k>) printed PATTERN in LOG<k>.log,
# SECS at most; else the trial fails naming the host and the log's last
# line ("NAME on HOST FAILED: ..."). Uses ra_run_trial's tdir.
hosts_wait_started() {
  local log=$1 node=$2 name=$3 failed=$4 pat=$5 secs=$6 k=0 pid
  shift 6
  for pid in "$@"; do
    k=$((k + 1))
    ra_wait_line "$log$k.log" "$pat" "$pid" "$secs" ||
      { ra_fail "$tdir" "$name on $(hosts_node_var "$node$k" HOST) $failed: $(grep -v '^$' "$log$k.log" | tail -n1)"; return 1; }
  done
}

# ra_trial_body - one trial on the hosts (the locals of ra_run_trial are
# visible here: exp name mode hedged delay backend server extra tdir rawdir,
# and it sets status fields hedges dups stalled replay slow used_backend cpu).
ra_trial_body() {
  local k dir ifc services="" replicas_list="" target="" pids=() rc=0 limit stride req warm rate
  local csv first=1 h s r pid
  [ "$exp" != E3 ] || [ "$hedged" != 1 ] || echo "not measured on hosts: progstats runs beside the client on the controller's machine only" > "$RUN/E3/bpf_stats.note"
  for k in $(seq 2 "$REPLICAS"); do replicas_list+=${replicas_list:+,}$(hosts_node_var "REPLICA$k" ADDR):$PORT; done
  services="$SERVER_ADDR:$PORT${replicas_list:+=$replicas_list}"
  [ "$REPLICAS" -lt 2 ] || target="--hedge-target $REPLICA2_ADDR:$PORT"

  for k in $(seq "$REPLICAS"); do
    dir=$(hosts_node_var "REPLICA$k" DIR)
    # shellcheck disable=SC2046
    hosts_start "replica$k" "server" "$tdir/server-r$k.log" "$dir/bin/chaos-server" \
      -b "$(hosts_node_var "REPLICA$k" ADDR)" -p "$PORT" --replica $((k - 1)) $(ra_server_opts "$server")
    pids+=("$HOSTS_LAST_PID")
  done
  hosts_wait_started "$tdir/server-r" REPLICA "chaos-server" "did not start" 'listening on' 20 "${pids[@]}" ||
    return 1

  if [ "$hedged" = 1 ]; then
    pids=()
    for k in $(seq "$CLIENTS"); do
      dir=$(hosts_node_var "CLIENT$k" DIR) ifc=$(hosts_node_var "CLIENT$k" IF)
      hosts_start "client$k" "hedger" "$tdir/hedger-c$k.log" "$dir/bin/hedger" attach --dev "$ifc" \
        --service "$services" --delay "$delay" --backend "$backend" ${HEDGER_HOLD_OPTS:-}
      pids+=("$HOSTS_LAST_PID")
    done
    hosts_wait_started "$tdir/hedger-c" CLIENT "hedger" "did not attach" '^(hedger: )?backend: ' 30 "${pids[@]}" ||
      return 1
    used_backend=$(grep -m1 -ohE 'backend: [a-z0-9_-]+' "$tdir/hedger-c1.log" | cut -d' ' -f2)
  fi

  # Disjoint id ranges: client K starts at FIRST_ID + (K-1) * stride, the
  # stride a multiple of 100 so every range meets the same fault pattern.
  stride=$(( ((REQUESTS + WARMUP + CLIENTS - 1) / CLIENTS + 99) / 100 * 100 ))
  limit=$(awk -v n=$((REQUESTS + WARMUP)) -v r="$HOSTS_RATE" 'BEGIN { printf "%d", 3 * n / r + 60 }')
  local hedge_opt=""
  [ "$mode" != app ] || hedge_opt="--hedge-delay $delay $target"
  pids=()
  for k in $(seq "$CLIENTS"); do
    dir=$(hosts_node_var "CLIENT$k" DIR)
    req=$(hosts_share "$REQUESTS" "$k") warm=$(hosts_share "$WARMUP" "$k")
    rate=$(awk -v r="$HOSTS_RATE" -v c="$CLIENTS" 'BEGIN { printf "%g", r / c }')
    mkdir -p "$tdir/client$k"
    # shellcheck disable=SC2086
    timeout --signal=INT --kill-after=10 "$limit" "$ROOT/netns-lab/lab.sh" exec --prefix "$LAB_PREFIX" "client$k" -- \
      "$dir/bin/hedge-client" --mode "$mode" --requests "$req" --warmup "$warm" \
      --first-id $((FIRST_ID + (k - 1) * stride)) --rate "$rate/s" --timeout "$TIMEOUT" $hedge_opt --quiet \
      --out "$HOSTS_RUN_DIR/out-client$k" $extra "$SERVER_ADDR:$PORT" \
      > "$tdir/client$k/client.txt" 2> "$tdir/client$k/client.err" &
    pids+=("$!")
    RA_PIDS+=("$!")
  done
  for k in $(seq "$CLIENTS"); do
    wait "${pids[$((k - 1))]}" || rc=$?
    [ "$rc" = 0 ] || { ra_fail "$tdir" "hedge-client on $(hosts_node_var "CLIENT$k" HOST) exited $rc: $(tail -n1 "$tdir/client$k/client.err")"; return 1; }
  done
  # Fetch each client's files, then pool them.
  for k in $(seq "$CLIENTS"); do
    # shellcheck disable=SC2016
    hx "client$k" -- bash -c 'tar -C "$0" -cf - . && rm -rf "$0"' "$HOSTS_RUN_DIR/out-client$k" \
      | tar -C "$tdir/client$k" -xf - ||
      { ra_fail "$tdir" "could not fetch the results of $(hosts_node_var "CLIENT$k" HOST)"; return 1; }
    [ -f "$tdir/client$k/requests.csv" ] ||
      { ra_fail "$tdir" "hedge-client on $(hosts_node_var "CLIENT$k" HOST) wrote no requests.csv"; return 1; }
  done
  for k in $(seq "$CLIENTS"); do
    csv="$tdir/client$k/requests.csv"
    if [ "$first" = 1 ]; then cat "$csv"; first=0; else tail -n +2 "$csv"; fi
    mv "$csv" "$rawdir/client$k-requests.csv"
  done > "$rawdir/requests.csv"
  "$HDR_TOOL_BIN" hgrm "$tdir"/client*/latency.hlog > "$tdir/latency.hgrm" &&
    "$HDR_TOOL_BIN" summary --label latency "$tdir"/client*/latency.hlog > "$tdir/summary.csv" ||
    { ra_fail "$tdir" "hdr-tool could not merge the client logs"; return 1; }
  for k in $(seq "$CLIENTS"); do
    echo "== client$k ($(hosts_node_var "CLIENT$k" HOST))"
    cat "$tdir/client$k/client.txt"
  done > "$tdir/client.txt"
  slow=$(awk -F, -v d="$delay" 'BEGIN { sub(/ms$/, "", d); lim = (d - 1) * 1e6 }
    NR > 1 && ($5 == "timeout" || $4 - $3 >= lim) { n++ } END { print n + 0 }' "$rawdir/requests.csv")
  hedges=$(grep -ohE 'hedges sent [0-9]+' "$tdir"/client*/client.txt | awk '{ s += $3; n++ } END { if (n) print s }')
  dups=$(cat "$tdir"/client*/client.txt | awk '{ for (i = 1; i < NF; i++) { if ($i == "seen") d += $(i + 1)
      if ($i == "(late") { l = $(i + 1); sub(/,/, "", l); s += l } } } END { print d + s }')

  if [ "$hedged" = 1 ]; then
    hedges=0
    for k in $(seq "$CLIENTS"); do
      dir=$(hosts_node_var "CLIENT$k" DIR) ifc=$(hosts_node_var "CLIENT$k" IF)
      hx "client$k" -- "$dir/bin/hedger" stats --dev "$ifc" > "$tdir/hedger-stats-c$k.txt" 2>&1 ||
        { ra_fail "$tdir" "hedger stats on $(hosts_node_var "CLIENT$k" HOST) failed: $(tail -n1 "$tdir/hedger-stats-c$k.txt")"; return 1; }
      h=$(awk '$1 == "hedges_sent" { print $2 }' "$tdir/hedger-stats-c$k.txt")
      [ -n "$h" ] || { ra_fail "$tdir" "no hedges_sent counter in hedger stats of $(hosts_node_var "CLIENT$k" HOST)"; return 1; }
      hedges=$((hedges + h))
      hosts_signal "client$k" hedger INT || true
    done
  fi
  for k in $(seq "$REPLICAS"); do hosts_signal "replica$k" server TERM || true; done
  for pid in "${RA_PIDS[@]}"; do
    ra_wait_pid "$pid" 15 || { ra_fail "$tdir" "a server or hedger did not stop (local ssh pid $pid)"; return 1; }
  done
  RA_PIDS=()
  RA_REMOTE=()
  stalled=0 replay=0
  for k in $(seq "$REPLICAS"); do
    s=$(grep 'stats (exit)' "$tdir/server-r$k.log" | grep -oE ' stalled=[0-9]+' | cut -d= -f2)
    r=$(grep 'stats (exit)' "$tdir/server-r$k.log" | grep -oE ' replay_hits=[0-9]+' | cut -d= -f2)
    [ -n "$s" ] || { ra_fail "$tdir" "no final stats line from chaos-server on $(hosts_node_var "REPLICA$k" HOST)"; return 1; }
    stalled=$((stalled + s)) replay=$((replay + ${r:-0}))
  done
  cpu=","   # the client hosts' CPU is not sampled from here
  return 0
}
