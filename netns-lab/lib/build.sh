# shellcheck shell=bash
# build.sh - the bricks topologies are made of: namespaces, veth pairs,
# addresses, and the KEY=VALUE lines that describe the result.
# Nothing here touches the host's namespace: every link is created directly
# inside a lab namespace ("ip -n NS link add ... peer ... netns NS2").

declare -ga LAB_OUT=()            # KEY=VALUE lines printed by "up"
declare -ga LAB_SHAPE_TARGETS=()  # "NS IF" pairs that --delay/--rate shape

lab_emit() { LAB_OUT+=("$1=$2"); }

# lab_ns_create NS - a namespace with lo up and IPv6 DAD off (inside it
# only), so IPv6 addresses are usable at once.
lab_ns_create() {
	local ns=$1
	lab_run "creating namespace $ns" ip netns add "$ns"
	lab_run "bringing up lo in $ns" ip -n "$ns" link set lo up
	if [ -d /proc/sys/net/ipv6 ]; then
		lab_nsrun "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	fi
}

# lab_veth NS_A IF_A NS_B IF_B - a veth pair with one end in each namespace.
lab_veth() {
	lab_run "creating veth $2 ($1) <-> $4 ($3)" \
		ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	lab_run "bringing up $2 in $1" ip -n "$1" link set "$2" up
	lab_run "bringing up $4 in $3" ip -n "$3" link set "$4" up
}

# lab_addr NS IF ADDR/LEN - an IPv4 or IPv6 address (v6 without DAD).
lab_addr() {
	local extra=()
	case "$3" in *:*) extra=(nodad) ;; esac
	lab_run "adding $3 to $2 in $1" ip -n "$1" addr add "$3" dev "$2" "${extra[@]}"
}

# lab_route NS DEST VIA - a route (DEST may be "default"; -6 when VIA is v6).
lab_route() {
	local fam=-4
	case "$3" in *:*) fam=-6 ;; esac
	lab_run "adding route $2 via $3 in $1" ip -n "$1" "$fam" route add "$2" via "$3"
}
