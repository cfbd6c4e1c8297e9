#!/usr/bin/env bash
# "up loopback": one namespace with lo up; down removes it.
. "$(dirname "$0")/testlib.sh"
t_require_root

p=$(t_prefix)
before=$(t_snapshot)
out=$("$LAB_SH" up loopback --prefix "$p" --quiet) || fail "up loopback failed"
ns=$(t_env_get CLIENT_NS "$out")
[ "$ns" = "$(t_env_get SERVER_NS "$out")" ] || fail "client and server namespaces differ"
[ "$(t_env_get SERVER_ADDR "$out")" = 127.0.0.1 ] || fail "SERVER_ADDR is not 127.0.0.1"
ip -n "$ns" link show lo | t_has 'UP' || fail "lo is not up in $ns"
[ "$(ip -n "$ns" -o link show | wc -l)" = 1 ] || fail "$ns has links besides lo"
t_netns_hold inodes "$p"
[ "$(echo $inodes | wc -w)" = 1 ] || fail "expected 1 namespace"
"$LAB_SH" down --prefix "$p" --quiet || fail "down failed"
t_assert_gone "$p" "$before" "$inodes"
"$LAB_SH" down --prefix "$p" --quiet || fail "second down is not idempotent"
pass
