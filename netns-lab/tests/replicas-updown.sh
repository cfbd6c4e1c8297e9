#!/usr/bin/env bash
# "up replicas 4": client + router + 4 replica namespaces; down removes all.
. "$(dirname "$0")/testlib.sh"
t_require_root

p=$(t_prefix)
before=$(t_snapshot)
out=$("$LAB_SH" up replicas 4 --prefix "$p" --quiet) || fail "up replicas 4 failed"
[ "$(t_env_get REPLICAS "$out")" = 4 ] || fail "REPLICAS is not 4"
for k in 1 2 3 4; do
	[ "$(t_env_get "REPLICA${k}_ADDR" "$out")" = "198.18.$k.1" ] || fail "REPLICA${k}_ADDR wrong"
	[ "$(t_env_get "REPLICA_NS_$k" "$out")" = "$p-replica$k" ] || fail "REPLICA_NS_$k wrong"
	ip netns list | t_has "^$p-replica$k\b" || fail "no namespace $p-replica$k"
done
[ "$(t_env_get REPLICA_ADDRS "$out")" = 198.18.1.1,198.18.2.1,198.18.3.1,198.18.4.1 ] || fail "REPLICA_ADDRS wrong"
[ "$(ip netns exec "$p-router" cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "router does not forward"
[ "$(t_snapshot)" = "$before" ] || fail "up changed host links or qdiscs"
t_netns_hold inodes "$p"
[ "$(echo $inodes | wc -w)" = 6 ] || fail "expected 6 namespaces, found $(echo $inodes | wc -w)"
"$LAB_SH" down --prefix "$p" --quiet || fail "down failed"
t_assert_gone "$p" "$before" "$inodes"
"$LAB_SH" down --prefix "$p" --quiet || fail "second down is not idempotent"
pass
