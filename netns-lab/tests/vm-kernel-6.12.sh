#!/usr/bin/env bash
# The 6.12 kernel from the Debian security archive boots too (skip when apt
# cannot see it), with netem available.
. "$(dirname "$0")/vmlib.sh"
out="" rc=0
t_vm_ready 6.12
case "$T_KERNEL_RELEASE" in 6.12.*) ;; *) fail "the 6.12 package holds kernel $T_KERNEL_RELEASE" ;; esac
t_vm_run out rc --kernel 6.12 -- sh -c 'uname -r; tc qdisc add dev lo root netem delay 10ms && echo NETEM_OK'
[ "$rc" = 0 ] || fail "vm.sh run --kernel 6.12 exited $rc: $out"
[ "$(printf '%s\n' "$out" | head -n 1)" = "$T_KERNEL_RELEASE" ] || fail "uname -r printed '$out', expected $T_KERNEL_RELEASE"
printf '%s\n' "$out" | grep -qx NETEM_OK || fail "netem failed on 6.12: $out"
pass "$T_KERNEL_RELEASE"
