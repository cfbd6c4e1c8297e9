#!/usr/bin/env bash
# test_delayline.sh BACKEND [4|6] - the delay line holds each clone for T, then the
# rescuer sends it as the hedge (netns-lab pair: a veth between two namespaces).
# The server never answers, so every request must arrive exactly twice, the
# second copy T later (kernel receive timestamps at the server); htb's clones
# pass their class twice (no dummies at a fixed T).
# Margins (measured on this 2-vCPU VM, T = 10 ms, kernel rx timestamps):
#   htb    gap p50 +34 us, max +82 us idle; recirc p50 +2 us, p90 +0.5 ms.
#   The VM's idle CPUs wake from timers late by up to several ms (measured
#   hold p99 +5.2 ms, max +8.2 ms on an idle VM), so the CPUs are kept awake
#   (cpu-keepawake) when available. Asserted: p50 <= T + 1 ms and p90 <= T +
#   3 ms (the mechanism), max <= T + 30 ms (one outlier of +17.7 ms was seen
#   while another job created 4096 HTB classes: the environment, not the
#   line); never earlier than T - 1 ms: the gap is measured from the
#   original's arrival, and the original's own path, a few us when quiet,
#   can wait in the same per-CPU backlog that recirc's spinning clones fill
#   (seen: a gap of T - 145 us under load); a line that does not hold at all
#   gives gaps near 0.
#   recirc is held by a loop, not a timer: once a clone has gone round for
#   ~2 ms of softirq time, the kernel hands NET_RX to ksoftirqd (traced: 85 %
#   of NET_RX runs in ksoftirqd during this test), and the clone leaves when
#   ksoftirqd next runs. ksoftirqd waited 0.8 ms (p50) to 4-8 ms (p90) for the
#   CPU after its wake-ups (bpftrace, sched_wakeup -> sched_switch), behind
#   udp_probe, or the SCHED_IDLE keep-awake spinner, or a build: a late
#   recirc hedge is that latency (a fresh machine once saw p50 = p90 = T +
#   1.03 ms), a property of the backend, not a fault of the line. Measured
#   gap over 8 runs here (other jobs loading the CPUs): p50 +0.14 to +0.53
#   ms, p90 +0.8 to +2.1 ms, max +1.2 to +3.8 ms, min -76 us. Asserted for
#   recirc: p50 <= T + 5 ms, p90 <= T + 10 ms (above one 4 ms tick of
#   HZ=250 plus a scheduler slice), max <= T + 50 ms, and that it went round.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
BACKEND=${1:?backend}
FAMILY=${2:-4}
T_MS=10; N=50

labenv_require_lab
labenv_pair --keep-awake
SVC="$ADDR_S:9999"
# The lab's IPv6 twin of 198.18.0.0/15: the benchmarking prefix 2001:2::/48 (RFC 5180).
[ "$FAMILY" = 6 ] && SVC="[$SERVER_ADDR6]:9999"
out=$WORK/hedger.out; sink=$WORK/sink

ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" \
	--delay ${T_MS}ms --backend "$BACKEND" --interval 0 >"$out" 2>&1 &
HPID=$!; track $HPID
wait_line "$out" "^backend: $BACKEND" 10 || { cat "$out"; fail "hedger did not start"; }

ip netns exec "$NS_S" "$BUILD/tests/udp_probe" sink --bind "$SVC" --duration 2500ms >"$sink" &
SPID=$!; track $SPID
wait_line "$sink" ready 5 || fail "sink did not start"
ip netns exec "$NS_C" "$BUILD/tests/udp_probe" send --to "$SVC" --count $N \
	--interval 25ms --wait 100ms >/dev/null || fail "sender failed"
wait $SPID

stats=$(ip netns exec "$NS_C" "$BUILD/hedger" stats --dev "$DEV_C") || fail "stats failed"
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
[ "$(get requests)" = $N ] || fail "requests $(get requests), want $N"
[ "$(get clones)" = $N ] || fail "clones $(get clones), want $N"
[ "$(get hedges_sent)" = $N ] || fail "hedges_sent $(get hedges_sent), want $N"

copies2=$(grep -c "copies 2 " "$sink")
[ "$copies2" = $N ] || { cat "$sink"; fail "$copies2 of $N ids arrived exactly twice"; }

if [ "$BACKEND" = htb ]; then
	# A fixed T uses the line's size table: no dummies; every clone went
	# through its class twice (the first pass makes the debt it then waits).
	[ "$(get htb_first_passes)" = $N ] || fail "htb_first_passes $(get htb_first_passes), want $N"
	[ "$(get htb_dummies_dropped)" = 0 ] || fail "htb_dummies_dropped $(get htb_dummies_dropped), want 0"
fi

T_NS=$((T_MS * 1000000))
read -r p50 p90 max min < <(awk '/copies 2/ { print $6 }' "$sink" | sort -n |
	awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[int(NR * 0.9)], a[NR], a[1] }')
echo "backend $BACKEND IPv$FAMILY T ${T_MS}ms: hold gap min $((min - T_NS)) ns p50 $((p50 - T_NS)) ns" \
     "p90 $((p90 - T_NS)) ns max $((max - T_NS)) ns (relative to T; cpus kept awake: $KEPT_AWAKE)"
# Early is judged from the send (udp_probe stamps it into the payload; one
# host, one clock): the original's arrival can be late itself (it waits
# behind recirc's clones under load: a gap of T - 1.26 ms was seen in CI),
# the send cannot. 100 us for the order of the sender's clock read and the
# splitter's.
hold_min=$(awk '/copies 2/ && $10 > 0 { h = $8 - $10; if (m == "" || h < m) m = h } END { print m }' "$sink")
[ -n "$hold_min" ] || fail "no send time in the sink's lines"
echo "shortest hold from the send: $((hold_min - T_NS)) ns relative to T"
[ "$hold_min" -ge $((T_NS - 100000)) ] || fail "a hedge left early: $hold_min ns after its request was sent"
if [ "$BACKEND" = recirc ]; then
	# recirc has no timer: the clone goes round until its deadline, and past
	# the first ~2 ms of softirq time the loop runs in ksoftirqd, a normal
	# thread. A clone is released when ksoftirqd next gets the CPU, so its
	# lateness is ksoftirqd's scheduling latency (see the margins above).
	# Checked: it really went round, never left early, and left within that
	# latency (p50 T + 5 ms, p90 T + 10 ms, max T + 50 ms).
	[ "$(get recirc_rounds)" -gt $N ] || fail "recirc_rounds $(get recirc_rounds): the clones did not go round"
	p50_lim=5; p90_lim=10; max_lim=50
else
	p50_lim=1; p90_lim=3; max_lim=30
fi
[ "$p50" -le $((T_NS + p50_lim * 1000000)) ] || fail "median gap $p50 ns > T + $p50_lim ms"
[ "$p90" -le $((T_NS + p90_lim * 1000000)) ] || fail "p90 gap $p90 ns > T + $p90_lim ms"
[ "$max" -le $((T_NS + max_lim * 1000000)) ] || fail "max gap $max ns > T + $max_lim ms"

kill -INT $HPID; wait $HPID || fail "hedger exited with $?"
echo PASS
