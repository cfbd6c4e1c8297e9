#!/usr/bin/env bash
# Client and server talk over lo (127.0.0.1 and ::1) inside the loopback lab.
. "$(dirname "$0")/testlib.sh"
t_require_root
t_require_probe

p=$(t_prefix)
eval "$("$LAB_SH" up loopback --prefix "$p" --quiet)"
t_ping "$CLIENT_NS" "$SERVER_ADDR" || fail "cannot ping $SERVER_ADDR"
t_ping "$CLIENT_NS" "$SERVER_ADDR6" || fail "cannot ping $SERVER_ADDR6"
t_udp "$SERVER_NS" "$SERVER_ADDR" "$CLIENT_NS" || fail "no UDP echo on $SERVER_ADDR"
t_udp "$SERVER_NS" "$SERVER_ADDR6" "$CLIENT_NS" || fail "no UDP echo on $SERVER_ADDR6"
# It is the lab's own lo: a server in the lab is not visible from the host.
ip netns exec "$SERVER_NS" "$UDP_PROBE" serve --timeout 2s 127.0.0.1:7778 &
spid=$!
if "$UDP_PROBE" send --tries 3 --timeout 50ms 127.0.0.1:7778 2>/dev/null; then
	fail "the host reached the lab's server on 127.0.0.1"
fi
wait "$spid" 2>/dev/null || true
"$LAB_SH" down --prefix "$p" --quiet
pass
