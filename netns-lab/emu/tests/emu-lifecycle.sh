#!/usr/bin/env bash
# emu-lifecycle: a pair lab with the bpf emulator in both directions is
# reachable, env reports the emulator and each direction's parameters, and
# down leaves nothing (no namespace, state file, host link or qdisc, process).
. "$(dirname "$0")/emulib.sh"
e_require
t_require_probe
export KH_EMU_BIN="$EMU"
before=$(t_snapshot)
p=$(t_prefix)
out=$("$LAB_SH" up pair --quiet --prefix "$p" --emulator bpf --delay 1ms --up-loss 1% \
	--down-loss-model gemodel 1% 30% 100% 0% --duplicate 0.5%)
eval "$out"
t_netns_hold inodes "$p"
env=$("$LAB_SH" env --prefix "$p")
[ "$(e_get LAB_EMULATOR "$env")" = bpf ] || fail "env: LAB_EMULATOR is not bpf"
eval "$(printf '%s\n' "$env" | grep '^LAB_EMU_')"
[[ $LAB_EMU_UP == *"loss=1%"* && $LAB_EMU_UP == *"delay=1ms"* ]] || fail "env: up is '$LAB_EMU_UP'"
[[ $LAB_EMU_DOWN == *"loss-model=gemodel:1%,30%,100%,0%"* ]] || fail "env: down is '$LAB_EMU_DOWN'"
for ns_if in "$CLIENT_NS $CLIENT_IF" "$SERVER_NS $SERVER_IF"; do
	set -- $ns_if
	ip netns exec "$1" tc filter show dev "$2" egress | t_has emu_egress || fail "no emulator on $2"
	ip netns exec "$1" tc qdisc show dev "$2" | t_has "qdisc htb" || fail "no HTB on $2"
done
t_udp "$SERVER_NS" "$SERVER_ADDR" "$CLIENT_NS" || fail "no UDP echo across the emulated link"
"$LAB_SH" down --quiet --prefix "$p"
t_assert_gone "$p" "$before" "$inodes"
pass "reachable, env reports bpf and both directions, down leaves nothing"
