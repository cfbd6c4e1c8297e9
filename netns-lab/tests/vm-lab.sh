#!/usr/bin/env bash
# The lab works on a stock kernel too: a set of the lab suite's tests runs
# inside the 6.1 VM (busybox userland, netem present), each must pass.
. "$(dirname "$0")/vmlib.sh"
out="" rc=0
t_vm_ready 6.1
build=${KH_BUILD_DIR:-}
[ -n "$build" ] && [ -x "$build/netns-lab/udp-probe" ] || skip "build dir with udp-probe unknown (run under meson test)"
tests=$(cd "$(dirname "$0")" && pwd)

t_vm_run out rc --kernel 6.1 --share "$build" -- bash -c '
tests=$1 build=$2 failed=0
export KH_UDP_PROBE=$build/netns-lab/udp-probe KH_KEEPAWAKE_BIN=$build/netns-lab/cpu-keepawake
for t in pair-updown replicas-updown pair-reach replicas-reach loopback-reach failed-up-cleanup two-labs exec-env owner-pid; do
	if r=$(bash "$tests/$t.sh" 2>&1); then echo "VM_TEST_OK $t"; else echo "VM_TEST_FAIL $t: $r"; failed=1; fi
done
exit $failed' kh "$tests" "$build"
printf '%s\n' "$out" | grep '^VM_TEST_' >&2 || true
[ "$rc" = 0 ] || fail "lab tests failed in the VM ($rc): $(printf '%s\n' "$out" | grep -A3 VM_TEST_FAIL)"
[ "$(printf '%s\n' "$out" | grep -c '^VM_TEST_OK')" = 9 ] || fail "not all 9 lab tests ran in the VM: $out"
pass "9 lab tests pass on $T_KERNEL_RELEASE"
