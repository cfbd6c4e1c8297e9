#!/usr/bin/env bash
# test_devkind.sh bridge-port|bond|team - `hedger attach --dev` on a device
# it cannot serve is refused with one error line naming the kind, exit 1,
# and leaves nothing behind (no delay line, no hook, no state file):
#   bridge-port: a veth enslaved to a bridge (the host's address is on the
#                bridge; a hedge routed out of the port finds no route);
#   bond, team:  an aggregate (skips when the kernel cannot create one).
# The devices are made in a namespace of the test's own.
#
#   +---------------- hk<pid> ----------------+
#   | br0 <- p0 (veth) -- p1     (bridge-port) |
#   | b0 (bond) / t0 (team)      (bond, team)  |
#   +------------------------------------------+
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/lib.sh"
BUILD=${HEDGER_BUILD:?set by meson}
KIND=${1:?bridge-port, bond or team}
require_netns
NS=hk$$
ip netns add "$NS" || fail "ip netns add"
on_exit "ip netns del $NS"
NS_INO=$(ip netns exec "$NS" stat -L -c %i /proc/self/ns/net)
on_exit "rm -f /run/kernel-hedge/net$NS_INO-*.state"
err=$(mktemp); on_exit "rm -f $err"

case $KIND in
bridge-port)
	ip -n "$NS" link add br0 type bridge 2>/dev/null || skip "no bridge support in this kernel"
	ip -n "$NS" link add p0 type veth peer name p1 || fail "veth"
	ip -n "$NS" link set p0 master br0 || fail "enslave p0"
	DEV=p0; PAT="--dev p0 is a bridge port: .*attach to its master" ;;
bond)
	ip -n "$NS" link add b0 type bond 2>/dev/null || skip "this kernel cannot create a bond (no bonding driver)"
	DEV=b0; PAT="--dev b0 is a bond device: link aggregation" ;;
team)
	ip -n "$NS" link add t0 type team 2>/dev/null || skip "this kernel cannot create a team (no team driver)"
	DEV=t0; PAT="--dev t0 is a team device: link aggregation" ;;
*)	fail "kind: bridge-port, bond or team" ;;
esac
ip -n "$NS" addr add 198.18.202.1/24 dev "$DEV" 2>/dev/null
ip -n "$NS" link set "$DEV" up
before=$(ip -n "$NS" -o link show | wc -l)

timeout -s INT 10 ip netns exec "$NS" "$BUILD/hedger" attach --dev "$DEV" --service 198.18.202.2:9999 \
	--interval 0 >/dev/null 2>"$err"
rc=$?
echo "attach --dev $DEV ($KIND): exit $rc: $(cat "$err")"
[ $rc = 1 ] || fail "exit status $rc, want 1"
[ "$(wc -l <"$err")" = 1 ] || { cat "$err"; fail "not exactly one error line"; }
grep -qE -e "$PAT" "$err" || fail "error does not match /$PAT/"
[ "$(ip -n "$NS" -o link show | wc -l)" = "$before" ] || { ip -n "$NS" link show; fail "links were left behind"; }
ip -n "$NS" link show | grep -q 'khd[0-9]' && fail "left a delay line"
tc -n "$NS" qdisc show dev "$DEV" | grep -q clsact && fail "left a clsact qdisc"
ls /run/kernel-hedge/net"$NS_INO"-* >/dev/null 2>&1 && fail "left a state file"
pass
