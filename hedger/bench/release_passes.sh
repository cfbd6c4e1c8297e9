#!/usr/bin/env bash
# hedger/bench/release_passes.sh [-o FILE] [-n PACKETS] - how many softirq
# passes an HTB release takes before the released packet reaches a BPF hook,
# for two delay-line shapes, measured with perf on the kernel's tracepoints:
#
#   veth     today's line: HTB on veth vline, the hook at its peer's TC ingress.
#            The watchdog raises NET_TX; NET_TX dequeues and veth hands the
#            packet to b's backlog, raising NET_RX: a second pass, which the
#            kernel gives to ksoftirqd when the CPU must reschedule
#            (results/bench/e3-placement-20261203/NOTE.md).
#   macvlan  HTB on a macvlan (mode private) on top of a veth; its transmit
#            calls dev_queue_xmit on its lower device inline, so a hook at that
#            device's TC egress runs inside the same NET_TX pass.
#
#   ns (khrp-XXXX):  vline (veth, HTB) <==> vpeer     hook: vpeer ingress
#                    mvline (macvlan, HTB) --> lower (veth) <==> lpeer
#                                              hook: lower egress
#
# Each shape: PACKETS UDP datagrams in bursts of 10 into an HTB class of
# 64 kbit (one 100-byte packet per 12.5 ms), so every packet after a burst's
# first leaves on a watchdog expiry; the hook is a one-instruction classic
# BPF filter in direct-action mode returning TC_ACT_SHOT (no action modules
# needed), and clsact's drop counter shows that the packets got there. Per
# watchdog expiry on a CPU: did NET_RX get raised on that CPU before its
# NET_TX pass ended.
# Needs root, perf, iproute2, macvlan and HTB. Everything lives in a
# namespace of its own, removed on exit; tracefs is mounted only if it was
# not, and unmounted again.
set -euo pipefail
out= packets=60
die() { echo "release_passes.sh: $*" >&2; exit 1; }
while getopts o:n: opt; do
	case $opt in
	o) out=$OPTARG ;;
	n) packets=$OPTARG ;;
	*) die "usage: release_passes.sh [-o FILE] [-n PACKETS]" ;;
	esac
done
[[ $packets =~ ^[0-9]+$ ]] && [ "$packets" -ge 10 ] && [ "$packets" -le 1000 ] || die "-n wants 10..1000 packets"
[ "$(id -u)" = 0 ] || die "needs root"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"

ns=khrp-$(printf '%04x' $((RANDOM % 65536)))
tmp=$(mktemp -d)
tracefs_was_mounted=1
mountpoint -q /sys/kernel/tracing || tracefs_was_mounted=0
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
	if [ "$tracefs_was_mounted" = 0 ] && mountpoint -q /sys/kernel/tracing; then
		umount /sys/kernel/tracing
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$ns"
nsx() { ip netns exec "$ns" "$@"; }
nsx ip link set lo up
# No IPv6 in this namespace (its own sysctl): no autoconf packet in the line.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link add name vline type veth peer name vpeer
nsx ip link add name lower type veth peer name lpeer
nsx ip link add link lower name mvline type macvlan mode private \
	|| die "this kernel has no macvlan"
for d in vline vpeer lower lpeer mvline; do nsx ip link set dev "$d" up; done
# 198.18.0.0/15 (benchmarking range): an address per shape and a static
# neighbour, so no ARP packet enters the measurement.
nsx ip addr add 198.18.250.1/30 dev vline
nsx ip addr add 198.18.250.5/30 dev mvline
nsx ip neigh add 198.18.250.2 lladdr 02:00:00:00:00:02 dev vline nud permanent
nsx ip neigh add 198.18.250.6 lladdr 02:00:00:00:00:06 dev mvline nud permanent

htb() {	# htb DEV: every packet into one slow class
	nsx tc qdisc add dev "$1" root handle 1: htb default 1
	nsx tc class add dev "$1" parent 1: classid 1:1 htb quantum 1514 rate 64kbit ceil 64kbit burst 120b cburst 120b
}
htb vline
htb mvline
nsx tc qdisc add dev vpeer clsact
nsx tc filter add dev vpeer ingress bpf da bytecode '1,6 0 0 2,'
nsx tc qdisc add dev lower clsact
nsx tc filter add dev lower egress bpf da bytecode '1,6 0 0 2,'

send() {	# send DST: PACKETS datagrams of 100 bytes in bursts of 10
	nsx python3 - "$1" "$packets" <<'EOF'
import socket, sys, time
dst, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b'x' * 72, (dst, 9))
    if i % 10 == 9:
        time.sleep(0.14)	# the class drains 10 packets in 125 ms
time.sleep(0.3)
EOF
}

# measure SHAPE DST - one line: the watchdog expiries perf saw, how many of
# their NET_TX passes raised NET_RX, and all NET_RX raises of the machine
# during the run (a veth line raises one per released packet; the machine's
# own traffic adds a few).
measure() {
	perf record -q -a -o "$tmp/$1.data" -e timer:hrtimer_expire_entry \
		-e irq:softirq_raise -e irq:softirq_exit -- bash -c "$(declare -f nsx send); ns=$ns packets=$packets; send $2" \
		> "$tmp/$1.log" 2>&1 || die "$1: $(tail -n 3 "$tmp/$1.log")"
	perf script -i "$tmp/$1.data" -F cpu,event,trace 2>/dev/null | awk -v shape="$1" '
		{ cpu = $1 }
		/hrtimer_expire_entry/ && /function=qdisc_watchdog/ { open[cpu] = 1; releases++; next }
		/softirq_raise/ && /NET_RX/ { raises++; if (open[cpu]) rx[cpu] = 1; next }
		/softirq_exit/ && /NET_TX/ && open[cpu] { if (rx[cpu]) second++; open[cpu] = 0; rx[cpu] = 0 }
		END { printf "%-8s %9d %22d %14d\n", shape, releases, second, raises }'
}

clsact_drops() { nsx tc -s qdisc show dev "$1" | awk '/^qdisc clsact/ { c = 1 } c && /dropped/ { sub(/,/, "", $7); print $7; exit }'; }

report() {
	echo "# HTB releases and the softirq passes they take (hedger/bench/release_passes.sh -n $packets)"
	echo "# $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-8s %9s %22s %14s\n' shape releases "NET_RX raised in NET_TX" "NET_RX raises"
	# Three runs of each, alternated: now and then perf sees no watchdog
	# expiry in a run although HTB held the packets (its overlimits grow).
	for _ in 1 2 3; do
		measure veth 198.18.250.2
		measure macvlan 198.18.250.6
	done
	echo "# packets that reached the hook and were dropped there (clsact's drop counter):"
	echo "#   veth (vpeer ingress): $(clsact_drops vpeer) of $((3 * packets))"
	echo "#   macvlan (lower egress): $(clsact_drops lower) of $((3 * packets))"
}
if [ -n "$out" ]; then report > "$out"; cat "$out"; else report; fi
