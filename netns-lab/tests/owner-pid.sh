#!/usr/bin/env bash
# --owner-pid: the lab (and its spinner) go away by themselves when the owner
# dies, even by SIGKILL, so a crashed experiment leaves nothing behind.
. "$(dirname "$0")/testlib.sh"
t_require_root

before=$(t_snapshot)
p=$(t_prefix)
sleep 120 &
owner=$!
out=$("$LAB_SH" up pair --prefix "$p" --owner-pid "$owner" --keep-awake --quiet) || fail "up failed"
[ "$(t_env_get LAB_OWNER_PID "$out")" = "$owner" ] || fail "LAB_OWNER_PID not printed"
t_netns_hold inodes "$p"
sleep 1
[ -n "$(ip netns list | awk -v p="$p-" 'index($1, p) == 1')" ] || fail "lab vanished while its owner lives"
kill -KILL "$owner"
wait "$owner" 2>/dev/null || true
for _ in $(seq 100); do
	[ -z "$(ip netns list | awk -v p="$p-" 'index($1, p) == 1')" ] && [ ! -e "/run/kernel-hedge-lab/$p.env" ] &&
		t_netns_unused "$inodes" && break
	sleep 0.1
done
t_assert_gone "$p" "$before" "$inodes"
pass "lab removed after its owner was killed"
