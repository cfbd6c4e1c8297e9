# shellcheck shell=bash
# e7.sh - E7: hedging memcached gets (UDP) with real memcached on two
# replicas holding the same keys; replica 1's memcached is paused with
# SIGSTOP/SIGCONT. Keys "s<N>" hold 100-byte values (one datagram); keys
# "m<N>" mixed sizes: N % 10 == 3 2000 bytes (2 datagrams), N % 10 == 7
# 3500 bytes (3 datagrams), else 100 (servers.sh: srv_mc_populate).
# Arm lines for realproto.sh: "name|mode|hedged|client_extra|via".

E7_KEYS=1000
E7_PORT=11211

# rp_e7_arms - baseline, kernel, app on the keys the kernel arm can hedge:
# the multi-datagram keys when the hedger has its memcached profile (it
# passes each datagram of a response once), else the one-datagram keys
# (the generic id profile takes the first datagram as the whole reply and
# drops the rest). The multi-datagram keys are measured in any case
# (baseline-multi, app-multi), so the client's reassembly runs under pauses.
rp_e7_arms() {
  local kp=s
  [ "$RP_HEDGER_PROTO" != 1 ] || kp=m
  echo "baseline|baseline|0|--key-prefix $kp|"
  echo "kernel|baseline|1|--key-prefix $kp|"
  echo "app|app|0|--key-prefix $kp|"
  if [ "$kp" = s ]; then
    echo "baseline-multi|baseline|0|--key-prefix m|"
    echo "app-multi|app|0|--key-prefix m|"
  fi
}

rp_e7_hedger_args() {
  if [ "$RP_HEDGER_PROTO" = 1 ]; then echo "--proto memcached"; else echo "--id-offset 0 --id-width 2 --id-endian be"; fi
}

rp_e7_prepare() { return 0; }

# The counters of commands that change data: none may move during an arm.
E7_WRITE_STATS="cmd_set cmd_flush cmd_touch incr_hits incr_misses decr_hits decr_misses cas_hits cas_misses cas_badval delete_hits delete_misses"

# rp_e7_start TDIR - memcached on both replicas, both key sets stored over
# TCP, then the counters before the arm (TDIR/memcached-stats-before-K.txt).
rp_e7_start() {
  local tdir=$1 k ns addr
  for k in 1 2; do
    ns=$(rp_replica_ns "$k")
    addr=$(rp_replica_addr "$k")
    srv_mc_start "$ns" "$addr" "$E7_PORT" "$tdir/server$k.log" || return 1
    RP_PIDS+=("$SRV_PID")
    eval "RP_SRV_PID_$k=$SRV_PID"
    srv_mc_populate "$ns" "$addr" "$E7_PORT" s "$E7_KEYS" small || return 1
    srv_mc_populate "$ns" "$addr" "$E7_PORT" m "$E7_KEYS" mixed || return 1
    srv_mc_stats "$ns" "$addr" "$E7_PORT" > "$tdir/memcached-stats-before-$k.txt"
    [ -s "$tdir/memcached-stats-before-$k.txt" ] || { echo "memcached on $addr gave no stats" >&2; return 1; }
  done
}

rp_e7_client_args() { echo "--proto memcached --keys $E7_KEYS"; }

# rp_e7_check TDIR - counters after the arm; TDIR/memcached-writes.csv has,
# per replica, gets served and the change of every write counter; any write
# during the arm (a non-idempotent command sent, or sent twice) fails it.
rp_e7_check() {
  local tdir=$1 k bad=""
  echo "replica,cmd_get_delta,get_hits_delta,get_misses_delta,writes_delta" > "$tdir/memcached-writes.csv"
  for k in 1 2; do
    srv_mc_stats_settled "$(rp_replica_ns "$k")" "$(rp_replica_addr "$k")" "$E7_PORT" > "$tdir/memcached-stats-after-$k.txt"
    awk -v k="$k" -v w="$E7_WRITE_STATS" '
      BEGIN { n = split(w, names, " "); for (i = 1; i <= n; i++) write[names[i]] = 1 }
      NR == FNR { before[$1] = $2; next }
      { d = $2 - before[$1]; if ($1 in write) wd += d; delta[$1] = d }
      END { printf "%d,%d,%d,%d,%d\n", k, delta["cmd_get"], delta["get_hits"], delta["get_misses"], wd }
    ' "$tdir/memcached-stats-before-$k.txt" "$tdir/memcached-stats-after-$k.txt" >> "$tdir/memcached-writes.csv"
  done
  bad=$(awk -F, 'NR > 1 && $5 != 0 { print "replica " $1 ": " $5 " writes" }' "$tdir/memcached-writes.csv")
  [ -z "$bad" ] || { echo "data-changing commands reached memcached during the arm: $bad" >&2; return 1; }
}
