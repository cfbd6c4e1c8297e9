#!/usr/bin/env bash
# The tests' "no process left in a removed lab namespace" check (t_netns_hold
# + t_assert_gone) must not be fooled by a namespace made after the lab's are
# gone: the kernel hands a freed namespace's inode number to the next one,
# and a process there used to fail two-labs under load (another test's lab
# took the number). Here a new namespace with a process in it is made right
# after `down`; the check must still pass, and must fail while a process
# really is left in a held namespace.
. "$(dirname "$0")/testlib.sh"
t_require_root

before=$(t_snapshot)
p=$(t_prefix)
"$LAB_SH" up pair --prefix "$p" --quiet >/dev/null || fail "up failed"
t_netns_hold inodes "$p"
[ "$(echo "$inodes" | wc -w)" = 2 ] || fail "held '$inodes', want the pair's 2 namespaces"
# A process of the test inside the client namespace (not the lab's: down must end it).
cns=$(ip netns list | awk -v p="$p-" 'index($1, p) == 1 { print $1 }' | grep client)
ip netns exec "$cns" sleep 30 &
inner=$!
sleep 0.2
t_netns_unused "$inodes" && fail "a process inside a held namespace was not seen"
"$LAB_SH" down --prefix "$p" --quiet || fail "down failed"
wait "$inner" 2>/dev/null || true
# Namespaces made now would take the freed numbers if nothing held them
# (the kernel frees a namespace from a work queue: give it a moment).
sleep 1
other="kh-hold-$$"
ip netns add "$other" || fail "cannot add $other"
on_exit "ip netns del '$other' 2>/dev/null || true"
ip netns exec "$other" sleep 30 &   # ended by t_cleanup (the test's jobs)
sleep 0.2
new=$(stat -L -c %i "/run/netns/$other")
for i in $inodes; do [ "$i" != "$new" ] || fail "the new namespace took held inode $i"; done
t_assert_gone "$p" "$before" "$inodes"
pass
