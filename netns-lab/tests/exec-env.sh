#!/usr/bin/env bash
# exec runs in the right node's namespace and returns its status; env
# reprints up's lines; unknown nodes are refused.
. "$(dirname "$0")/testlib.sh"
t_require_root

p=$(t_prefix)
out=$("$LAB_SH" up replicas 2 --prefix "$p" --quiet)
[ "$("$LAB_SH" env --prefix "$p")" = "$out" ] || fail "env differs from up's output"
has_addr() {
	local a
	a=$("$LAB_SH" exec --prefix "$p" "$1" -- ip -o addr show)
	printf "%s\n" "$a" | t_has " $2/"
}
has_addr client 198.18.0.1 || fail "exec client is not in the client namespace"
has_addr router 198.18.0.254 || fail "exec router is not in the router namespace"
has_addr replica2 198.18.2.1 || fail "exec replica2 is not in replica 2's namespace"
has_addr server 198.18.1.1 || fail "exec server is not replica 1"
rc=0
"$LAB_SH" exec --prefix "$p" client -- sh -c 'exit 3' || rc=$?
[ "$rc" = 3 ] || fail "exec returned $rc, not the command's 3"
if "$LAB_SH" exec --prefix "$p" replica3 -- true 2>/dev/null; then fail "exec replica3 of 2 replicas succeeded"; fi
if "$LAB_SH" exec --prefix "$p" dragon -- true 2>/dev/null; then fail "exec on an unknown node succeeded"; fi
"$LAB_SH" down --prefix "$p" --quiet
q=$(t_prefix)
"$LAB_SH" up pair --prefix "$q" --quiet >/dev/null
if "$LAB_SH" exec --prefix "$q" router -- true 2>/dev/null; then fail "exec router on a pair succeeded"; fi
"$LAB_SH" down --prefix "$q" --quiet
pass
