#!/usr/bin/env bash
# vm_compare.sh - in Debian's stock kernel (netns-lab/vm.sh, qemu TCG), the
# same loss parameters through netem and through the BPF link emulator:
# loss rate and burst statistics side by side (functional only: the VM's
# clock is emulated, so no delay is compared).
# Usage: vm_compare.sh [BUILD_DIR] [--kernel 6.1|6.12] -> results/bench/linkemu-vm-<UTC>.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
KERNEL=6.12
[ "${2:-}" = --kernel ] && KERNEL=${3:?--kernel needs 6.1 or 6.12}
for b in netns-lab/emu/emu netns-lab/emu/owd-probe; do
	[ -x "$BUILD/$b" ] || { echo "vm_compare.sh: $BUILD/$b is not built" >&2; exit 1; }
done
OUT=$ROOT/results/bench/linkemu-vm-$(date -u +%Y%m%d-%H%M).txt
mkdir -p "$ROOT/results/bench"
N=${VM_COMPARE_N:-20000}

# shellcheck disable=SC2016
out=$("$ROOT/netns-lab/vm.sh" run -q --kernel "$KERNEL" --share "$BUILD" --timeout 1500 -- bash -c '
root=$1 build=$2 n=$3
export KH_EMU_BIN=$build/netns-lab/emu/emu
owd=$build/netns-lab/emu/owd-probe
echo "VM kernel $(uname -r)"
for model in "--up-loss 5%" "--up-loss-model gemodel 2% 25% 100% 0%" "--up-loss-model gemodel 1% 10% 100% 0%"; do
	for em in netem bpf; do
		# shellcheck disable=SC2086
		env=$("$root/netns-lab/lab.sh" up pair -q --emulator $em --emu-seed 5 $model) || { echo "RESULT $em $model: lab up failed"; continue; }
		eval "$env"
		ip netns exec "$SERVER_NS" "$owd" recv --count "$n" --idle 5s --timeout 600s "$SERVER_ADDR:7100" >/tmp/owd.out &
		r=$!
		sleep 1
		ip netns exec "$CLIENT_NS" "$owd" send --count "$n" --rate 2000 "$SERVER_ADDR:7100" >/dev/null
		wait $r
		echo "RESULT $em | $model | $(grep -E "^(lost|bursts|burst_mean)=" /tmp/owd.out | tr "\n" " ") | $(sed -n "s/^burst_hist=//p" /tmp/owd.out | cut -d, -f1-8)"
		"$root/netns-lab/lab.sh" down -q --prefix "$LAB_PREFIX"
	done
done' kh "$ROOT" "$BUILD" "$N" 2>&1) || { printf '%s\n' "$out" | tail -n 20 >&2; exit 1; }
{
	echo "# linkemu VM comparison $(date -u +%Y-%m-%dT%H:%M:%SZ): netem vs the BPF link emulator"
	echo "host: $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); VM: Debian $KERNEL under qemu TCG"
	echo "method: pair lab inside the VM, $N datagrams client->server at 2000/s (owd-probe), loss on the up"
	echo "direction only; lost = datagrams missing at the receiver; bursts = runs of consecutive losses."
	echo "Model expectations: Bernoulli 5%: rate 5%, mean burst 1/(1-p) = 1.053; gemodel p r 100% 0%:"
	echo "rate p/(p+r), mean burst 1/r (2% 25%: 7.41%, 4.00; 1% 10%: 9.09%, 10.0)."
	printf '%s\n' "$out" | grep -E '^(VM kernel|RESULT)'
} | tee "$OUT"
echo "vm_compare.sh: wrote $OUT" >&2
