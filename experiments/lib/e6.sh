# shellcheck shell=bash
# e6.sh - E6: hedging DNS with a real authoritative server (Knot DNS) on two
# replicas; replica 1's knotd is paused with SIGSTOP/SIGCONT. Arm lines for
# realproto.sh: "name|mode|hedged|client_extra|via" (via "unbound": the
# client queries a local Unbound that forwards to both replicas).

E6_ZONE=hedge.test
E6_NAMES=1000
E6_PORT=53

# rp_e6_arms - baseline; kernel-hedged to the other replica (the hedger on
# the client's interface); app-hedged to the other replica; and through a
# real recursive resolver, Unbound in the client's namespace forwarding the
# zone to both replicas: its own server selection and retries alone
# (unbound), and with the hedger on its upstream queries (unbound-kernel:
# those to replica 1 are hedged to replica 2).
rp_e6_arms() {
  echo "baseline|baseline|0||"
  echo "kernel|baseline|1||"
  echo "app|app|0||"
  echo "unbound|baseline|0||unbound"
  echo "unbound-kernel|baseline|1||unbound"
}

E6_UNBOUND_ADDR=127.0.0.1   # in the client's namespace

# rp_e6_hedger_args - how the hedger finds a DNS request's key: its DNS
# profile when this hedger has one, else the generic id profile, which fits
# DNS exactly (the 16-bit transaction id, big endian, at offset 0).
rp_e6_hedger_args() {
  if [ "$RP_HEDGER_PROTO" = 1 ]; then echo "--proto dns"; else echo "--id-offset 0 --id-width 2 --id-endian be"; fi
}

# rp_e6_prepare DIR - the zone (shared read-only by both servers) and one
# knot.conf per replica, all under DIR.
rp_e6_prepare() {
  local dir=$1 k
  srv_dns_zone "$dir/zone" "$E6_ZONE" "$E6_NAMES"
  for k in 1 2; do
    srv_knot_conf "$dir/replica$k" "$dir/zone" "$E6_ZONE" "$(rp_replica_addr "$k")" "$E6_PORT"
  done
  srv_unbound_conf "$dir/unbound" "$E6_UNBOUND_ADDR" "$E6_PORT" "$E6_ZONE" "$(rp_replica_addr 1)" "$(rp_replica_addr 2)"
}

# rp_e6_start TDIR - knotd on both replicas (fresh state per trial: its
# databases are emptied first); sets RP_SRV_PID_1/2. With RP_VIA=unbound
# also a fresh Unbound in the client's namespace (its RTT knowledge starts
# empty each trial).
rp_e6_start() {
  local tdir=$1 k dir
  for k in 1 2; do
    dir="$RP_DATA/E6/replica$k"
    rm -rf "$dir/db" && mkdir -p "$dir/db"
    srv_knot_start "$(rp_replica_ns "$k")" "$dir" "$(rp_replica_addr "$k")" "$E6_PORT" "$E6_ZONE" \
      "$CLIENT_BIN" "$tdir/server$k.log" || return 1
    RP_PIDS+=("$SRV_PID")
    eval "RP_SRV_PID_$k=$SRV_PID"
  done
  if [ "$RP_VIA" = unbound ]; then
    srv_unbound_start "$RP_CLIENT_NS" "$RP_DATA/E6/unbound" "$E6_UNBOUND_ADDR" "$E6_PORT" "$E6_ZONE" \
      "$CLIENT_BIN" "$tdir/unbound.log" || return 1
    RP_PIDS+=("$SRV_PID")
  fi
}

# rp_e6_client_args - hedge-client's protocol options.
rp_e6_client_args() { echo "--proto dns --zone $E6_ZONE --keys $E6_NAMES"; }

# rp_e6_check TDIR - nothing to count at a DNS server: every query is idempotent.
rp_e6_check() { return 0; }
