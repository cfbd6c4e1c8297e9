#!/usr/bin/env bash
# The client reaches every replica (ping and UDP, IPv4 and IPv6) via the router.
. "$(dirname "$0")/testlib.sh"
t_require_root
t_require_probe

p=$(t_prefix)
eval "$("$LAB_SH" up replicas 3 --prefix "$p" --quiet)"
for k in 1 2 3; do
	ns_var=REPLICA_NS_$k addr_var=REPLICA${k}_ADDR addr6_var=REPLICA${k}_ADDR6
	ns=${!ns_var} addr=${!addr_var} addr6=${!addr6_var}
	t_ping "$CLIENT_NS" "$addr" || fail "client cannot ping replica $k ($addr)"
	t_ping "$CLIENT_NS" "$addr6" || fail "client cannot ping replica $k ($addr6)"
	t_udp "$ns" "$addr" "$CLIENT_NS" || fail "no UDP echo from replica $k ($addr)"
	t_udp "$ns" "$addr6" "$CLIENT_NS" || fail "no UDP echo from replica $k ($addr6)"
done
# Replicas reach each other too (the router forwards between all subnets).
t_ping "$REPLICA_NS_1" "$REPLICA3_ADDR" || fail "replica 1 cannot ping replica 3"
"$LAB_SH" down --prefix "$p" --quiet
pass
