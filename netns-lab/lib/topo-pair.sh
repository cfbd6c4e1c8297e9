# shellcheck shell=bash
# topo-pair.sh - topology "pair": a client and a server joined by one veth.
#
#   +----------- P-client -----------+        +----------- P-server -----------+
#   |                                |  veth  |                                |
#   |  P-cli  198.18.0.1/24          +--------+  P-srv  198.18.0.2/24          |
#   |         2001:2::1/64           |        |         2001:2::2/64           |
#   +--------------------------------+        +--------------------------------+
#
# Shaping (--delay/--jitter/--loss/--rate) goes on both P-cli and P-srv egress:
# each direction is shaped once, so --delay 5ms adds 10 ms to a round trip.

lab_topo_pair() {
	local cns="$1-client" sns="$1-server" cif="$1-cli" sif="$1-srv"

	lab_ns_create "$cns"
	lab_checkpoint after-client-ns
	lab_ns_create "$sns"
	lab_veth "$cns" "$cif" "$sns" "$sif"
	lab_checkpoint after-veth
	lab_addr "$cns" "$cif" 198.18.0.1/24
	lab_addr "$sns" "$sif" 198.18.0.2/24
	lab_addr "$cns" "$cif" 2001:2::1/64
	lab_addr "$sns" "$sif" 2001:2::2/64

	LAB_SHAPE_TARGETS+=("$cns $cif" "$sns $sif")
	lab_emit CLIENT_NS "$cns"
	lab_emit SERVER_NS "$sns"
	lab_emit CLIENT_IF "$cif"
	lab_emit SERVER_IF "$sif"
	lab_emit CLIENT_ADDR 198.18.0.1
	lab_emit SERVER_ADDR 198.18.0.2
	lab_emit CLIENT_ADDR6 2001:2::1
	lab_emit SERVER_ADDR6 2001:2::2
}
