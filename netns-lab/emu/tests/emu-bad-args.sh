#!/usr/bin/env bash
# emu-bad-args: bad emulation parameters, through lab.sh and through emu
# itself: one error line naming the option, exit 2, nothing made. emu
# refuses a device that already has an emulator or another root qdisc,
# and leaves it as it was.
. "$(dirname "$0")/emulib.sh"
e_require
export KH_EMU_BIN="$EMU"

check_lab() {
	local want=$1 p err rc=0
	shift
	p=$(t_prefix)
	err=$("$LAB_SH" up pair --prefix "$p" --emulator bpf "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || fail "lab.sh up pair $*: exit $rc, expected 2 ($err)"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "lab.sh up pair $*: not one line: $err"
	printf '%s\n' "$err" | t_has -F -- "$want" || fail "lab.sh up pair $*: '$err' does not name $want"
	[ -z "$(ip netns list | awk -v p="$p-" 'index($1, p) == 1')" ] || fail "$*: namespaces left"
	[ ! -e "/run/kernel-hedge-lab/$p.env" ] || fail "$*: state file left"
}

check_lab --loss --loss 101%
check_lab --loss --up-loss -1%
check_lab --delay --delay -5ms
check_lab --jitter --delay 5ms --jitter 6ms
check_lab --jitter --delay 5ms --jitter 2ms --distribution normal
check_lab --jitter --jitter 1ms
check_lab --distribution --distribution pareto --delay 5ms --jitter 1ms
check_lab "--loss-model" --loss-model gemodel 1% 30%
check_lab "loss-model" --down-loss-model bernoulli 1%
check_lab "1-k" --loss-model gemodel 1% 30% 100% 120%
check_lab --duplicate --duplicate lots
check_lab --reorder --reorder 10%
check_lab --emulator --emulator qfq
check_lab --delay --up-delay 5s
check_lab --rate --delay 1ms --rate 100mbit

before=$(t_snapshot)
for args in "--delay" "--loss 2" "--gemodel 1%,2%" "--jitter 1ms" "--classes 0" "--bogus"; do
	rc=0
	# shellcheck disable=SC2086
	err=$("$EMU" attach --dev lo $args 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "emu attach $args: exit $rc, expected 2"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "emu attach $args: not one line: $err"
done
[ "$before" = "$(t_snapshot)" ] || fail "emu attach with bad options changed the host"

# A device with an emulator, and one with another root qdisc.
p=$(t_prefix)
eval "$("$LAB_SH" up pair --quiet --prefix "$p")"
ip netns exec "$CLIENT_NS" "$EMU" attach --dev "$CLIENT_IF" --loss 1% >/dev/null ||
	fail "first attach failed"
rc=0
err=$(ip netns exec "$CLIENT_NS" "$EMU" attach --dev "$CLIENT_IF" --loss 2% 2>&1) || rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$err" | t_has "emulator already" || fail "second attach: rc $rc: $err"
ip netns exec "$CLIENT_NS" "$EMU" stats --dev "$CLIENT_IF" | t_has '^lost ' || fail "stats lost the emulator"
ip netns exec "$SERVER_NS" tc qdisc add dev "$SERVER_IF" root tbf rate 100mbit burst 16k latency 100ms
rc=0
err=$(ip netns exec "$SERVER_NS" "$EMU" attach --dev "$SERVER_IF" --delay 1ms 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "attach over a tbf root: rc $rc"
ip netns exec "$SERVER_NS" tc qdisc show dev "$SERVER_IF" | t_has "qdisc tbf" || fail "tbf root gone"
if ip netns exec "$SERVER_NS" tc filter show dev "$SERVER_IF" egress | t_has emu_egress; then
	fail "a failed attach left its filter"
fi
ip netns exec "$CLIENT_NS" "$EMU" detach --dev "$CLIENT_IF"
ip netns exec "$CLIENT_NS" "$EMU" detach --dev "$CLIENT_IF" || fail "detach is not idempotent"
if ip netns exec "$CLIENT_NS" tc qdisc show dev "$CLIENT_IF" | t_has htb; then fail "detach left HTB"; fi
pass "15 bad lab options, 6 bad emu options, busy devices refused"
