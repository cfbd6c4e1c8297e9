#!/usr/bin/env bash
# test_htb_finish.sh - `--htb-finish D` (htb with the size table): HTB lets
# every clone and carrier out D before its planned release; the rescuer
# holds what is still due in BPF, round the line, until the plan, so no
# hedge leaves before it; an answered request costs no round.
#
#   client ns                                          server ns
#   udp_probe send (CPU 0) -> DEV_C =================== DEV_S -> udp_probe sink
#        splitter: clone (or carrier) -> khd<if>b ingress
#        rescuer -> khd<if>a, its class (holds T - D, or to the grid step - D)
#               -> rescuer: before the plan, round via b's ingress again
#               -> hedge out DEV_C at send + T (or the grid step after it)
#
# Checked, T = 10 ms, D = 1 ms, grid 1 ms, a silent server (every request
# is hedged), holds measured from each request's send stamp (udp_probe):
#  - sparse, 40 requests 25 ms apart, and dense, 100 requests 100 us apart
#    (carriers): every id arrives exactly twice and no hedge arrives before
#    send + T (a clone let out D early and sent at once would arrive about
#    D - 0.1 ms early: HTB's release is ~0.1 ms late on this VM); the median
#    hold is at most T + 1 ms (+ G dense); the line went round
#    (recirc_rounds grew);
#  - answered, 40 requests the sink answers at once: no round (unless a
#    reply came later than T - D, then that request was rightly held);
#  - --htb-finish with --htb-calib: one error line, exit 2, no line.
# Argument: the line's shape, veth (default) or macvlan (--line-shape: the
# releases meet the rescuer at khd<if>a's egress, and a round goes to b's
# ingress from there).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
T_MS=10; G_US=1000; D_US=1000
SHAPE=${1:-veth}

labenv_two_cpu_pair
labenv_expect_usage_error "--htb-finish needs" \
	attach --dev "$DEV_C" --service "$SVC" --htb-calib 100us --htb-finish ${D_US}us

ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" --delay ${T_MS}ms \
	--backend htb --release-grid ${G_US}us --htb-finish ${D_US}us --line-shape "$SHAPE" --interval 0 >"$out" 2>&1 &
HPID=$!; track $HPID
wait_line "$out" "^backend: htb" 10 || { cat "$out"; fail "hedger did not start"; }
stat() { H stats --dev "$DEV_C" | awk -v k="$1" '$1 == k { print $2 }'; }
line=$(sed -n 's/.*delay line \(khd[0-9]*\)a\/.*/\1/p' "$out")
[ -n "$line" ] || { cat "$out"; fail "no delay line named in the hedger's output"; }
if [ "$SHAPE" = macvlan ]; then
	# The HTB on the macvlan, none on the veth end, and the rescuer also at
	# a's egress (where the macvlan's releases arrive).
	ip -n "$NS_C" -d link show "${line}m" | grep -q macvlan || fail "no macvlan ${line}m"
	tc -n "$NS_C" qdisc show dev "${line}m" | grep -q "qdisc htb" || fail "no HTB on ${line}m"
	tc -n "$NS_C" qdisc show dev "${line}a" | grep -q "qdisc htb" && fail "HTB on ${line}a too"
	# With TCX, the rescuer has two links (b's ingress, a's egress): this
	# test runs alone (is_parallel: false), so its hedger's rescuer is the
	# only one; bpftool 7.1 lists links without their device.
	if grep -q "^hook: tcx" "$out"; then
		links=$(for rid in $(bpftool prog show | awk '/^[0-9]+: .*name hedger_rescuer / { sub(/:/, "", $1); print $1 }'); do
			bpftool link show | grep -c "prog $rid\b"; done)
		[ "$links" = 2 ] || fail "rescuer links per program: '$(echo $links)', want one program with 2 (b ingress, a egress)"
	fi
else
	ip -n "$NS_C" link show "${line}m" >/dev/null 2>&1 && fail "a macvlan ${line}m with the veth shape"
fi

# run LABEL N INTERVAL [--reply] - N requests from CPU 0 to a sink; the
# sink's lines in $WORK/LABEL.
run() {
	local label=$1 n=$2 interval=$3 reply=${4:-} spid
	ip netns exec "$NS_S" "$BUILD/tests/udp_probe" sink --bind "$ADDR_S:9999" --duration 3s \
		${reply:+"$reply"} >"$WORK/$label" &
	spid=$!; track $spid
	wait_line "$WORK/$label" ready 5 || fail "$label: sink did not start"
	ip netns exec "$NS_C" taskset -c 0 "$BUILD/tests/udp_probe" send --to "$SVC" \
		--count "$n" --interval "$interval" --wait 100ms >/dev/null || fail "$label: sender failed"
	wait $spid
}

# never_early LABEL N SLACK_US - every id twice, none before send + T, the
# median hold <= T + SLACK.
never_early() {
	local label=$1 n=$2 slack_ns=$(($3 * 1000)) t_ns=$((T_MS * 1000000)) twice min p50
	twice=$(grep -c "copies 2 " "$WORK/$label")
	[ "$twice" = "$n" ] || { cat "$WORK/$label"; fail "$label: $twice of $n ids arrived exactly twice"; }
	read -r min p50 < <(awk '/copies 2/ { print $8 - $10 }' "$WORK/$label" | sort -n |
		awk '{ a[NR] = $1 } END { print a[1], a[int((NR + 1) / 2)] }')
	echo "$label: hold from the send over T: min $((min - t_ns)) p50 $((p50 - t_ns)) ns"
	[ "$min" -ge "$t_ns" ] || fail "$label: a hedge arrived $((t_ns - min)) ns before send + T"
	[ "$p50" -le $((t_ns + slack_ns)) ] || fail "$label: median hold $p50 ns > T + $3 us"
}

rounds0=$(stat recirc_rounds)
run sparse 40 25ms
never_early sparse 40 1000
rounds1=$(stat recirc_rounds)
[ "$rounds1" -gt "$rounds0" ] || fail "sparse: the line never went round (recirc_rounds $rounds1)"

run dense 100 100us
never_early dense 100 $((1000 + G_US))
rounds2=$(stat recirc_rounds); riders=$(stat requests_on_carrier)
echo "rounds: sparse $((rounds1 - rounds0)), dense $((rounds2 - rounds1)); requests on carriers $riders"
[ "$rounds2" -gt "$rounds1" ] || fail "dense: the line never went round"
[ "$riders" -ge 50 ] || fail "dense: only $riders of 100 requests rode a carrier"

# Answered at once: nothing is due when the clones come out. (A reply
# later than T - D, which only a starved machine makes, leaves a request
# pending: then it was rightly held, and the check does not apply.)
run answered 40 25ms --reply
rounds3=$(stat recirc_rounds); hedged=$(grep -c "copies 2 " "$WORK/answered")
echo "answered: rounds $((rounds3 - rounds2)), ids hedged $hedged"
if [ "$hedged" = 0 ]; then
	[ "$rounds3" = "$rounds2" ] || fail "answered: $((rounds3 - rounds2)) rounds for requests already answered"
fi

kill -INT $HPID; wait $HPID || fail "hedger exited with $?"
echo PASS
