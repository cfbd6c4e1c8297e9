#!/usr/bin/env bash
# emu-delay: through lab.sh with the bpf emulator, one-way delays measured
# from the receiver's kernel timestamps are never below the configured
# delay, and stay near it: fixed 2 ms, then uniform 2 ms +- 1 ms (spread at
# least the jitter). CPUs kept awake (an idle CPU wakes up ms late here).
# Margins: see the measured trials in netns-lab/emu/README.md.
. "$(dirname "$0")/emulib.sh"
e_require
export KH_EMU_BIN="$EMU"
MARGIN_US=${EMU_DELAY_MARGIN_US:-1500}

run() {
	local p out
	p=$(t_prefix)
	eval "$("$LAB_SH" up pair --quiet --prefix "$p" --emulator bpf --keep-awake "$@")"
	out=$(e_measure "$CLIENT_NS" "$SERVER_NS" "$SERVER_ADDR" 4000 2000)
	"$LAB_SH" down --quiet --prefix "$p"
	printf '%s\n' "$out"
}

out=$(run --delay 2ms)
min=$(e_get delay_min_ns "$out") p50=$(e_get delay_p50_ns "$out") lost=$(e_get lost "$out")
info "fixed 2ms: min $min p50 $p50 p99 $(e_get delay_p99_ns "$out") max $(e_get delay_max_ns "$out") ns, lost $lost"
[ "$lost" = 0 ] || fail "fixed delay lost $lost datagrams"
[ "$min" -ge 2000000 ] || fail "fixed 2ms: a datagram arrived after $min ns"
[ "$p50" -le $((2000000 + MARGIN_US * 1000)) ] || fail "fixed 2ms: median $p50 ns"
fixed="min $min p50 $p50"

out=$(run --delay 2ms --jitter 1ms)
min=$(e_get delay_min_ns "$out") p50=$(e_get delay_p50_ns "$out") p99=$(e_get delay_p99_ns "$out")
info "uniform 2ms +- 1ms: min $min p50 $p50 p99 $p99 ns, reordered $(e_get reordered "$out")"
[ "$min" -ge 1000000 ] || fail "jitter: a datagram arrived after $min ns (< 1 ms)"
[ "$p50" -ge 1500000 ] && [ "$p50" -le $((2500000 + MARGIN_US * 1000)) ] || fail "jitter: median $p50 ns"
[ $((p99 - min)) -ge 1000000 ] || fail "jitter: spread min..p99 only $((p99 - min)) ns"
pass "fixed 2ms: $fixed ns; 2ms +- 1ms: min $min p50 $p50 spread $((p99 - min)) ns"
