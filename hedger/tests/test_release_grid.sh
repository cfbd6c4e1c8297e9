#!/usr/bin/env bash
# test_release_grid.sh - `--release-grid G` (htb with the size table): while
# requests come densely, their releases are rounded up to a multiple of G,
# so the hedges of one grid step leave together; sparse requests are
# released on time; no hedge ever leaves early.
#
#   client ns                                          server ns
#   udp_probe send (CPU 0) -> DEV_C =================== DEV_S -> udp_probe sink
#        splitter: clone -> khd<if>b ingress             (never answers)
#        rescuer -> khd<if>a, class of tier k (holds T + k x G/31) -> ...
#               -> hedge out DEV_C at the grid point after T
#
# Checked, G = 1 ms, T = 10 ms, a silent server (every request is hedged):
#  - dense, 100 requests 100 us apart: every id arrives exactly twice, the
#    copy not early (>= T - 1 ms), the median gap at most T + G + 1 ms (as
#    test_delayline's T + 1 ms, plus the grid step; under load one hedge in
#    twenty runs was ~5 ms late, so the maximum is not bounded); at least
#    half were rounded (counter htb_releases_on_grid). Which tier a request
#    takes is checked exactly in bpf_htb_stab, the tiers' holds in
#    hedger_line_rates; that releases then share timer expiries is what
#    hedger/bench/release_grid.sh measures (timer irqs per request);
#  - sparse, 40 requests 25 ms apart: every id twice, median gap <= T + 1
#    ms, and none was rounded (the counter did not move);
#  - --release-grid with --htb-dummies: one error line, exit 2, no line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
T_MS=10; G_US=1000

labenv_two_cpu_pair
labenv_expect_usage_error "--release-grid needs" \
	attach --dev "$DEV_C" --service "$SVC" --backend htb --htb-dummies --release-grid 1ms

ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" --delay ${T_MS}ms \
	--backend htb --release-grid ${G_US}us --interval 0 >"$out" 2>&1 &
HPID=$!; track $HPID
wait_line "$out" "^backend: htb" 10 || { cat "$out"; fail "hedger did not start"; }
stat() { H stats --dev "$DEV_C" | awk -v k="$1" '$1 == k { print $2 }'; }
rounded() { stat htb_releases_on_grid; }
r0=$(rounded)
[ "$r0" = 0 ] || fail "htb_releases_on_grid $r0 before any request"

# Dense.
N=100
ip netns exec "$NS_S" "$BUILD/tests/udp_probe" sink --bind "$ADDR_S:9999" --duration 2s >"$WORK/dense" &
spid=$!; track $spid
wait_line "$WORK/dense" ready 5 || fail "sink did not start"
ip netns exec "$NS_C" taskset -c 0 "$BUILD/tests/udp_probe" send --to "$SVC" \
	--count $N --interval 100us --wait 100ms >/dev/null || fail "sender failed"
wait $spid
twice=$(grep -c "copies 2 " "$WORK/dense")
[ "$twice" = $N ] || { cat "$WORK/dense"; fail "dense: $twice of $N ids arrived exactly twice"; }
r1=$(rounded)
read -r min p50 max < <(awk '/copies 2/ { print $6 }' "$WORK/dense" | sort -n |
	awk '{ a[NR] = $1 } END { print a[1], a[int((NR + 1) / 2)], a[NR] }')
echo "dense: rounded $r1 of $N; hold gap over T: min $((min - T_MS * 1000000)) p50 $((p50 - T_MS * 1000000)) max $((max - T_MS * 1000000)) ns"
[ "$min" -ge $(((T_MS - 1) * 1000000)) ] || fail "dense: a hedge left early: gap $min ns"
[ "$p50" -le $(((T_MS + 1) * 1000000 + G_US * 1000)) ] || fail "dense: median gap $p50 ns > T + G + 1 ms"
[ "$r1" -ge $((N / 2)) ] || fail "dense: only $r1 of $N releases rounded to the grid"
# Carriers (on by default): the dense requests of one grid step share one
# packet in the line, which at the step becomes each one's hedge.
carriers=$(stat carriers); riders=$(stat requests_on_carrier); refused=$(stat carrier_frames_refused)
echo "dense: carriers $carriers for $riders requests on them, frames refused $refused"
[ "$riders" -ge $((N / 2)) ] || fail "dense: only $riders of $N requests rode a carrier"
[ "$carriers" -ge 1 ] && [ $((carriers * 3)) -le "$riders" ] ||
	fail "dense: $carriers carriers for $riders requests (G / interval = 10 per step)"
[ "$refused" = 0 ] || fail "dense: $refused carrier frames refused"

# Sparse: released on time, none rounded.
labenv_expect_twice "sparse" 40 $T_MS
r2=$(rounded)
[ "$r2" = "$r1" ] || fail "sparse: $((r2 - r1)) releases rounded, want 0"

kill -INT $HPID; wait $HPID || fail "hedger exited with $?"
echo PASS
