# shellcheck shell=bash
# topo-loopback.sh - topology "loopback": the reference system's single-host
# shape. Client and server share one namespace and talk over its lo.
#
#   +------------------- P-host -------------------+
#   |   client  --->  lo 127.0.0.1, ::1  --->  server |
#   |           <---                     <---         |
#   +-------------------------------------------------+
#
# Shaping goes on lo's egress, which every packet crosses once: a request
# and its reply are each shaped once, as on the other topologies.

lab_topo_loopback() {
	local ns="$1-host"

	lab_ns_create "$ns"
	lab_checkpoint after-client-ns
	LAB_SHAPE_TARGETS+=("$ns lo")
	lab_emit CLIENT_NS "$ns"
	lab_emit SERVER_NS "$ns"
	lab_emit CLIENT_IF lo
	lab_emit SERVER_IF lo
	lab_emit CLIENT_ADDR 127.0.0.1
	lab_emit SERVER_ADDR 127.0.0.1
	lab_emit CLIENT_ADDR6 ::1
	lab_emit SERVER_ADDR6 ::1
}
