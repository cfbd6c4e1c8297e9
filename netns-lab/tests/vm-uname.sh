#!/usr/bin/env bash
# vm.sh runs a command on Debian's 6.1 kernel, prints its output and returns
# its exit status.
. "$(dirname "$0")/vmlib.sh"
out="" rc=0
t_vm_ready 6.1
case "$T_KERNEL_RELEASE" in 6.1.*) ;; *) fail "the 6.1 package holds kernel $T_KERNEL_RELEASE" ;; esac

t_vm_run out rc --kernel 6.1 -- uname -r
[ "$rc" = 0 ] || fail "vm.sh run -- uname -r exited $rc: $out"
[ "$out" = "$T_KERNEL_RELEASE" ] || fail "uname -r in the VM printed '$out', expected '$T_KERNEL_RELEASE'"
[ "$out" != "$(uname -r)" ] || fail "the command ran on the host kernel"

t_vm_run out rc --kernel 6.1 --share none -- sh -c 'echo "hello from $(hostname)"; exit 7'
[ "$rc" = 7 ] || fail "vm.sh returned $rc, not the command's 7"
[ "$out" = "hello from kh-vm" ] || fail "unexpected output: $out"
pass "$T_KERNEL_RELEASE"
