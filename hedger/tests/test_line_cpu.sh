#!/usr/bin/env bash
# test_line_cpu.sh - `--line-cpu N` (htb with the size table): the delay
# line's work runs on CPU N, not on the CPU that sends.
#
#   client ns                                         server ns
#   udp_probe send (pinned to CPU 0) -> DEV_C ======== DEV_S -> udp_probe sink
#        splitter: clone -> khd<if>b ingress (RPS -> CPU 1)
#        CPU 1: rescuer -> khd<if>a (HTB, first pass) -> khd<if>b -> rescuer
#               -> khd<if>a (waits T) -> khd<if>b -> rescuer -> hedge out DEV_C
#
# The server never answers, so every request is hedged. Checked: each id
# arrives exactly twice, the copy T later (not early, p50 within T + 1 ms:
# the same bounds as test_delayline's htb); the line's b end has RPS mask
# CPU 1; and, from the per-CPU counters (bpftool), every first pass was
# counted on CPU 1 while the requests were counted on CPU 0. Without the
# steering the first passes run in the sender's softirq, on CPU 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
T_MS=10; N=40

labenv_two_cpu_pair

ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" \
	--delay ${T_MS}ms --backend htb --line-cpu 1 --interval 0 >"$out" 2>&1 &
HPID=$!; track $HPID
wait_line "$out" "^backend: htb" 10 || { cat "$out"; fail "hedger did not start"; }
grep -q "^htb hold: size table" "$out" || { cat "$out"; fail "not the size-table hold"; }

line_b=$(grep -o 'khd[0-9]*b' "$out" | head -1)
mask=$(ip netns exec "$NS_C" cat /sys/class/net/"$line_b"/queues/rx-0/rps_cpus) ||
	fail "cannot read $line_b's rps_cpus"
[ "$((16#${mask//,/}))" = 2 ] || fail "$line_b rps_cpus $mask, want CPU 1 only (2)"

labenv_expect_twice "line-cpu 1" $N $T_MS

# Per-CPU counters: the index of a counter is its place in counters.h.
idx() { sed -nE 's/^[[:space:]]+X\(([A-Z0-9_]+),.*/\1/p' "$HEDGER_SRC/counters.h" |
	awk -v n="$1" '$0 == n { print NR - 1 }'; }
map=$(awk -F= '$1 == "map_counters" { print $2 }' "$STATE")
[ -n "$map" ] || fail "no map_counters in $STATE"
percpu() {	# COUNTER CPU -> its value on that CPU
	bpftool -j map lookup id "$map" key $(printf '0x%02x 0x%02x 0 0' $(($1 & 255)) $(($1 >> 8))) |
		python3 -c 'import json,sys; d=json.load(sys.stdin); v=d.get("values", d.get("formatted", {}).get("values")); print(sum(int.from_bytes(bytes(int(b, 16) for b in x["value"]), "little") for x in v if x["cpu"] == int(sys.argv[1])))' "$2"
}
lp=$(idx LINE_PASSES); rq=$(idx REQUESTS)
[ -n "$lp" ] && [ -n "$rq" ] || fail "counters LINE_PASSES/REQUESTS not found in counters.h"
lp0=$(percpu "$lp" 0); lp1=$(percpu "$lp" 1); rq0=$(percpu "$rq" 0)
echo "first passes: CPU 0 $lp0, CPU 1 $lp1; requests on CPU 0: $rq0"
[ "$rq0" = $N ] || fail "requests on CPU 0: $rq0, want $N (the sender is pinned there)"
[ "$lp1" = $N ] && [ "$lp0" = 0 ] || fail "first passes CPU 0 $lp0 / CPU 1 $lp1: want all $N on CPU 1"

kill -INT $HPID; wait $HPID || fail "hedger exited with $?"
echo PASS
