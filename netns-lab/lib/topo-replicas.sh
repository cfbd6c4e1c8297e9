# shellcheck shell=bash
# topo-replicas.sh - topology "replicas N": one client reaches N servers
# (replicas) through a router namespace; each replica has its own subnet.
#
#   +-- P-client ---------+    +-- P-router --------------+    +-- P-replica1 ----------+
#   | P-cli 198.18.0.1/24 |    | P-rtc 198.18.0.254/24    |    | P-rep1 198.18.1.1/24   |
#   |   2001:2::1/64      +----+   2001:2::fe/64          | +--+   2001:2:0:1::1/64     |
#   +---------------------+    | P-rt1 198.18.1.254/24  --+-+  +------------------------+
#                              |  ...                     |             ...
#                              | P-rtN 198.18.N.254/24  --+-+  +-- P-replicaN ----------+
#                              +--------------------------+ +--+ P-repN 198.18.N.1/24   |
#                                                              |   2001:2:0:N::1/64     |
#                                                              +------------------------+
#
# Replica k: 198.18.k.1/24 and 2001:2:0:<k in hex>::1/64, gateway .254 / ::fe.
# The router forwards (sysctls set inside the router namespace only).
# Shaping goes on P-rtk egress (towards replica k) and P-repk egress (its
# replies): each direction between the client and a replica is shaped once.

LAB_REPLICAS_MAX=64

lab_topo_replicas() {
	local p=$1 n=$2 k hex cns="$1-client" rns="$1-router" cif="$1-cli" rcif="$1-rtc"
	local ns rif sif addrs=""

	lab_ns_create "$cns"
	lab_checkpoint after-client-ns
	lab_ns_create "$rns"
	lab_nsrun "$rns" sysctl -qw net.ipv4.ip_forward=1
	if [ -d /proc/sys/net/ipv6 ]; then
		lab_nsrun "$rns" sysctl -qw net.ipv6.conf.all.forwarding=1
	fi
	lab_veth "$cns" "$cif" "$rns" "$rcif"
	lab_addr "$cns" "$cif" 198.18.0.1/24
	lab_addr "$rns" "$rcif" 198.18.0.254/24
	lab_addr "$cns" "$cif" 2001:2::1/64
	lab_addr "$rns" "$rcif" 2001:2::fe/64
	lab_route "$cns" default 198.18.0.254
	lab_route "$cns" default 2001:2::fe
	lab_emit CLIENT_NS "$cns"
	lab_emit ROUTER_NS "$rns"
	lab_emit CLIENT_IF "$cif"
	lab_emit CLIENT_ADDR 198.18.0.1
	lab_emit CLIENT_ADDR6 2001:2::1
	lab_emit REPLICAS "$n"

	for k in $(seq "$n"); do
		hex=$(printf '%x' "$k")
		ns="$p-replica$k" rif="$p-rt$k" sif="$p-rep$k"
		lab_ns_create "$ns"
		lab_checkpoint "after-replica$k-ns"
		lab_veth "$rns" "$rif" "$ns" "$sif"
		lab_addr "$rns" "$rif" "198.18.$k.254/24"
		lab_addr "$ns" "$sif" "198.18.$k.1/24"
		lab_addr "$rns" "$rif" "2001:2:0:$hex::fe/64"
		lab_addr "$ns" "$sif" "2001:2:0:$hex::1/64"
		lab_route "$ns" default "198.18.$k.254"
		lab_route "$ns" default "2001:2:0:$hex::fe"
		LAB_SHAPE_TARGETS+=("$rns $rif" "$ns $sif")
		lab_emit "REPLICA_NS_$k" "$ns"
		lab_emit "REPLICA${k}_IF" "$sif"
		lab_emit "REPLICA${k}_ADDR" "198.18.$k.1"
		lab_emit "REPLICA${k}_ADDR6" "2001:2:0:$hex::1"
		addrs+=${addrs:+,}198.18.$k.1
	done
	lab_emit REPLICA_ADDRS "$addrs"
	# "server" is replica 1, so pair-style scripts also run on this topology.
	lab_emit SERVER_NS "$p-replica1"
	lab_emit SERVER_IF "$p-rep1"
	lab_emit SERVER_ADDR 198.18.1.1
	lab_emit SERVER_ADDR6 2001:2:0:1::1
}
