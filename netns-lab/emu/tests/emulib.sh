# shellcheck shell=bash
# emulib.sh - shared by the emu namespace tests: the lab tests' helpers
# (netns-lab/tests/testlib.sh) plus the emulator's binaries and a one-way
# delay/loss measurement across a lab.
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/testlib.sh"

EMU=${KH_EMU_BIN:-}
OWD=${KH_OWD_PROBE:-}

e_require() {
	t_require_root
	[ -n "$EMU" ] && [ -x "$EMU" ] || skip "emu not built (run under meson test)"
	[ -n "$OWD" ] && [ -x "$OWD" ] || skip "owd-probe not built (run under meson test)"
}

# e_measure FROM_NS TO_NS ADDR COUNT RATE [PORT] - send COUNT datagrams,
# print the receiver's KEY=VALUE summary.
e_measure() {
	local from=$1 to=$2 addr=$3 count=$4 rate=$5 port=${6:-7100} out rpid
	out=$(mktemp)
	ip netns exec "$to" "$OWD" recv --count "$count" --idle 1s --timeout 120s "$addr:$port" >"$out" &
	rpid=$!
	for _ in $(seq 50); do t_has -x ready=1 "$out" && break; sleep 0.05; done
	ip netns exec "$from" "$OWD" send --count "$count" --rate "$rate" "$addr:$port" >/dev/null
	wait "$rpid"
	cat "$out"
	rm -f "$out"
}

# e_get KEY TEXT
e_get() { t_env_get "$@"; }
