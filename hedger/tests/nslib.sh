# nslib.sh: sourced by test_vm_backends.sh inside its VM, where netns-lab's
# lab.sh is not run (the other namespace tests use it through labenv.sh).
# Two namespaces joined by a veth pair, lab addresses from 198.18.0.0/15:
#   $NS_C (client, dev $DEV_C = 198.18.100.1/24) <-> $NS_S (server, $DEV_S = 198.18.100.2/24)
# Names carry a random suffix; nslib_cleanup (run from the caller's trap)
# removes everything, including a hedger that is still running.

NSLIB_PIDS=""
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

nslib_require() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ip >/dev/null || skip "needs iproute2"
	ip netns add "khtest-probe-$$" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "khtest-probe-$$"
}

nslib_setup() {
	SUF=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	NS_C="khc-$SUF"; NS_S="khs-$SUF"; DEV_C="khc$SUF"; DEV_S="khs$SUF"
	ADDR_C=198.18.100.1; ADDR_S=198.18.100.2
	ip netns add "$NS_C" && ip netns add "$NS_S" || fail "netns add"
	ip link add "$DEV_C" netns "$NS_C" type veth peer name "$DEV_S" netns "$NS_S" || fail "veth"
	ip -n "$NS_C" addr add "$ADDR_C/24" dev "$DEV_C"
	ip -n "$NS_S" addr add "$ADDR_S/24" dev "$DEV_S"
	ip -n "$NS_C" link set lo up; ip -n "$NS_S" link set lo up
	ip -n "$NS_C" link set "$DEV_C" up; ip -n "$NS_S" link set "$DEV_S" up
	# A static neighbour, so the first request is not held by ARP.
	local mac
	mac=$(ip -n "$NS_S" -o link show "$DEV_S" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$mac" ] && ip -n "$NS_C" neigh replace "$ADDR_S" lladdr "$mac" dev "$DEV_C" nud permanent
}

# nslib_cleanup - stop background jobs we started, remove the namespaces
# (which removes the veths, qdiscs and the hedger's line in them).
nslib_cleanup() {
	for p in $NSLIB_PIDS; do kill "$p" 2>/dev/null; done
	for p in $NSLIB_PIDS; do wait "$p" 2>/dev/null; done
	[ -n "${NS_C:-}" ] && ip netns del "$NS_C" 2>/dev/null
	[ -n "${NS_S:-}" ] && ip netns del "$NS_S" 2>/dev/null
	# State files of instances in the deleted namespace.
	[ -n "${NS_C_INO:-}" ] && rm -f /run/kernel-hedge/net"$NS_C_INO"-*.state
	return 0
}

nslib_track() { NSLIB_PIDS="$NSLIB_PIDS $1"; }

# nslib_wait_line FILE PATTERN SECONDS - wait until FILE contains PATTERN.
nslib_wait_line() {
	local i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
