#!/usr/bin/env bash
# Ping and UDP, IPv4 and IPv6, across the "pair" topology.
. "$(dirname "$0")/testlib.sh"
t_require_root
t_require_probe

p=$(t_prefix)
eval "$("$LAB_SH" up pair --prefix "$p" --quiet)"
t_ping "$CLIENT_NS" "$SERVER_ADDR" || fail "client cannot ping $SERVER_ADDR"
t_ping "$SERVER_NS" "$CLIENT_ADDR" || fail "server cannot ping $CLIENT_ADDR"
t_ping "$CLIENT_NS" "$SERVER_ADDR6" || fail "client cannot ping $SERVER_ADDR6"
t_udp "$SERVER_NS" "$SERVER_ADDR" "$CLIENT_NS" || fail "no UDP echo from $SERVER_ADDR"
t_udp "$SERVER_NS" "$SERVER_ADDR6" "$CLIENT_NS" || fail "no UDP echo from $SERVER_ADDR6"
# The check can fail: nothing listens on 198.18.0.3.
if ip netns exec "$CLIENT_NS" "$UDP_PROBE" send --tries 2 --timeout 50ms 198.18.0.3:7777 2>/dev/null; then
	fail "udp-probe reported an echo from an address nobody has"
fi
# The lab is isolated: the host cannot reach it.
if "$UDP_PROBE" send --tries 1 --timeout 50ms "$SERVER_ADDR:7777" 2>/dev/null; then
	fail "the host reached the lab's server"
fi
"$LAB_SH" down --prefix "$p" --quiet
pass
