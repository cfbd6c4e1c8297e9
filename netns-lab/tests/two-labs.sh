#!/usr/bin/env bash
# Two labs with the same topology coexist; removing one leaves the other working.
. "$(dirname "$0")/testlib.sh"
t_require_root
t_require_probe

before=$(t_snapshot)
a=$(t_prefix) b=$(t_prefix)
out_a=$("$LAB_SH" up pair --prefix "$a" --quiet) || fail "up $a failed"
out_b=$("$LAB_SH" up pair --prefix "$b" --quiet) || fail "up $b failed"
[ "$(t_env_get CLIENT_NS "$out_a")" != "$(t_env_get CLIENT_NS "$out_b")" ] || fail "labs share a namespace"
for out in "$out_a" "$out_b"; do
	cns=$(t_env_get CLIENT_NS "$out") sns=$(t_env_get SERVER_NS "$out") addr=$(t_env_get SERVER_ADDR "$out")
	t_ping "$cns" "$addr" || fail "$cns cannot ping $addr"
	t_udp "$sns" "$addr" "$cns" || fail "no UDP echo in $sns"
done
[ "$(t_env_get LAB_HEALTHY "$("$LAB_SH" status --prefix "$a")")" = 1 ] || fail "status of $a not healthy"
t_netns_hold inodes_a "$a"
"$LAB_SH" down --prefix "$a" --quiet || fail "down $a failed"
[ -z "$(ip netns list | awk -v p="$a-" 'index($1, p) == 1')" ] || fail "$a not removed"
cns=$(t_env_get CLIENT_NS "$out_b") sns=$(t_env_get SERVER_NS "$out_b")
t_ping "$cns" 198.18.0.2 || fail "$b broke when $a went down"
t_udp "$sns" 198.18.0.2 "$cns" || fail "no UDP echo in $b after $a went down"
[ "$(t_env_get LAB_HEALTHY "$("$LAB_SH" status --prefix "$b")")" = 1 ] || fail "status of $b not healthy"
t_netns_hold inodes_b "$b"
"$LAB_SH" down --prefix "$b" --quiet || fail "down $b failed"
t_assert_gone "$a" "$before" "$inodes_a"
t_assert_gone "$b" "$before" "$inodes_b"
pass
