#!/usr/bin/env bash
# On the stock 6.1 kernel, netem and fq work, and so does the lab's shaping
# (lab.sh up pair --delay/--loss), which this host's kernel refuses.
. "$(dirname "$0")/vmlib.sh"
out="" rc=0
t_vm_ready 6.1
root=$(cd "$(dirname "$0")/../.." && pwd)

t_vm_run out rc --kernel 6.1 -- tc qdisc add dev lo root netem delay 10ms
[ "$rc" = 0 ] || fail "tc qdisc add ... netem failed in the VM ($rc): $out"

# One boot for the rest: the script stops at the first failure.
t_vm_run out rc --kernel 6.1 -- bash -c '
set -e
tc qdisc add dev lo root netem delay 10ms
tc qdisc show dev lo | grep -q "netem .*delay 10ms"
tc qdisc replace dev lo root fq
tc qdisc show dev lo | grep -q "^qdisc fq "
eval "$("$1" up pair --delay 5ms --jitter 1ms --loss 0.1% --quiet)"
ip netns exec "$CLIENT_NS" tc qdisc show dev "$CLIENT_IF" | grep -q "netem .*delay 5ms"
ip netns exec "$SERVER_NS" tc qdisc show dev "$SERVER_IF" | grep -q "loss 0.1%"
ip netns exec "$CLIENT_NS" busybox ping -c 2 -W 5 "$SERVER_ADDR" >/dev/null
"$1" down --quiet --prefix "$LAB_PREFIX"
[ -z "$(ip netns list)" ]
echo VM_CHECKS_OK' kh "$root/netns-lab/lab.sh"
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx VM_CHECKS_OK ||
	fail "netem/fq/lab shaping checks failed in the VM ($rc): $out"
pass "netem, fq and lab shaping work on $T_KERNEL_RELEASE"
