# shellcheck shell=bash
# vmlib.sh - shared by the vm suite, on top of tests/lib.sh: where vm.sh is,
# and the skip rule.
set -euo pipefail
VM_SH=${KH_VM_SH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/vm.sh}
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib.sh"

# t_vm_ready SERIES - skip (77) unless qemu runs and SERIES can be fetched.
t_vm_ready() {
	local rc=0 out
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed"
	out=$("$VM_SH" fetch --kernel "$1" 2>&1) || rc=$?
	[ "$rc" = 77 ] && skip "kernel $1 unavailable: $(printf '%s\n' "$out" | grep error | head -n 1)"
	[ "$rc" = 0 ] || fail "vm.sh fetch --kernel $1 failed: $out"
	T_KERNEL_RELEASE=$(printf '%s\n' "$out" | sed -n 's/^KERNEL_RELEASE=//p')
	[ -n "$T_KERNEL_RELEASE" ] || fail "vm.sh fetch printed no KERNEL_RELEASE"
}

# t_vm_run OUTVAR RCVAR ARGS... - vm.sh run ARGS, capturing output and status.
t_vm_run() {
	local __out __rc=0
	__out=$("$VM_SH" run -q "${@:3}" 2>&1) || __rc=$?
	printf -v "$1" '%s' "$__out"
	printf -v "$2" '%s' "$__rc"
	if [ "$__rc" = 124 ]; then
		fail "the VM did not finish: $__out"
	fi
}
