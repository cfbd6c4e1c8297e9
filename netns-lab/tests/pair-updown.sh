#!/usr/bin/env bash
# "up pair" makes two namespaces joined by a veth; "down" removes all of it
# (even with a process still inside) and is idempotent.
. "$(dirname "$0")/testlib.sh"
t_require_root

p=$(t_prefix)
before=$(t_snapshot)
out=$("$LAB_SH" up pair --prefix "$p" --quiet) || fail "up pair failed"
for key in LAB_PREFIX CLIENT_NS SERVER_NS CLIENT_IF SERVER_IF CLIENT_ADDR SERVER_ADDR CLIENT_ADDR6 SERVER_ADDR6 KEEP_AWAKE; do
	[ -n "$(t_env_get "$key" "$out")" ] || fail "up printed no $key"
done
[ "$(t_env_get LAB_PREFIX "$out")" = "$p" ] || fail "LAB_PREFIX is not $p"
[ "$(t_env_get SERVER_ADDR "$out")" = 198.18.0.2 ] || fail "SERVER_ADDR not 198.18.0.2"
case "$(t_env_get SERVER_ADDR6 "$out")" in 2001:2:*) ;; *) fail "SERVER_ADDR6 not in 2001:2::/48" ;; esac
cns=$(t_env_get CLIENT_NS "$out") sns=$(t_env_get SERVER_NS "$out")
ip netns list | t_has "^$cns\b" || fail "no namespace $cns"
ip netns list | t_has "^$sns\b" || fail "no namespace $sns"
ip -n "$cns" link show "$(t_env_get CLIENT_IF "$out")" | t_has 'state UP' || fail "client link not up"
[ "$(ip netns exec "$cns" cat /proc/sys/net/ipv6/conf/default/accept_dad)" = 0 ] || fail "DAD still on in $cns"
[ "$(t_snapshot)" = "$before" ] || fail "up changed host links or qdiscs"
# A second up with the same prefix must fail and leave the first lab alone.
if "$LAB_SH" up pair --prefix "$p" --quiet >/dev/null 2>&1; then fail "second up with prefix $p succeeded"; fi
ip netns list | t_has "^$sns\b" || fail "second up removed the first lab"

t_netns_hold inodes "$p"
[ "$(echo $inodes | wc -w)" = 2 ] || fail "expected 2 namespaces, found: $inodes"
# A process left in the lab would keep its namespace alive after ip netns del.
ip netns exec "$sns" sleep 60 &
for _ in $(seq 50); do [ -n "$(ip netns pids "$sns")" ] && break; sleep 0.1; done
[ -n "$(ip netns pids "$sns")" ] || fail "could not start a process in $sns"
"$LAB_SH" down --prefix "$p" --quiet || fail "down failed"
t_assert_gone "$p" "$before" "$inodes"
"$LAB_SH" down --prefix "$p" --quiet || fail "second down is not idempotent"
pass
