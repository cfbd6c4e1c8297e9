#!/usr/bin/env bash
# hedger/bench/run.sh [BUILD_DIR] - measure the hedger per backend and write
# results/bench/hedger-<date>.txt:
#   0. splitter cost breakdown with BPF_PROG_TEST_RUN (decide / +clone / +htb);
#   1. cost: ns per run of each program (BPF_ENABLE_STATS for the run only),
#      with every request answered at once (the common path: clone parked,
#      reply wins, clone dropped);
#   2. P50 overhead: closed-loop P50 with the hedger vs without (same server,
#      no faults, no server delay), and each run's P99, P99.9 and MAX;
#   3. hold precision: release - intended (T = 10 ms) from the server's
#      kernel receive timestamps of original and hedge (server never answers);
#   4. CPU while parked: busy CPU time (all CPUs, /proc/stat) while clones are
#      continuously parked (T = 50 ms, 1 request/ms, ~50 parked), minus the
#      same load without the hedger.
# Everything runs in two namespaces this script creates (198.18.100.0/24)
# and removes on exit. Needs root. Other jobs on the machine add noise: the
# file records the load average.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$root/build}
H=$BUILD/hedger/hedger; P=$BUILD/hedger/tests/udp_probe; PS=$BUILD/hedger/progstats
CS=$BUILD/chaos-server/chaos-server; HC=$BUILD/clients/hedge-client
. "$root/hedger/tests/nslib.sh"
for f in "$H" "$P" "$PS" "$CS" "$HC"; do [ -x "$f" ] || { echo "run.sh: missing $f (build first)" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
BACKENDS=${BACKENDS:-htb htb-dummies htb-linecpu recirc}
# The closed-loop clients of section 1+2 run on CPU $CLIENT_CPU and
# htb-linecpu steers the line to CPU $LINE_CPU (the last one).
CLIENT_CPU=${CLIENT_CPU:-0}
LINE_CPU=${LINE_CPU:-$(( $(nproc) - 1 ))}
N=${N:-20000}

work=$(mktemp -d)
trap 'nslib_cleanup; rm -rf "$work"' EXIT
nslib_setup
out=$root/results/bench/hedger-$(date -u +%Y%m%d-%H%M).txt
mkdir -p "$(dirname "$out")"
exec > >(tee "$out")

echo "# hedger benchmark $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null) (+ working tree)"

# BACKEND DELAY (htb-dummies: htb holding with a grown dummy per request;
# htb-linecpu: the size table with --line-cpu $LINE_CPU)
start_hedger() {
	local b=$1 extra=
	[ "$b" = htb-dummies ] && { b=htb; extra=--htb-dummies; }
	[ "$b" = htb-linecpu ] && { b=htb; extra="--line-cpu $LINE_CPU"; }
	ip netns exec "$NS_C" "$H" attach --dev "$DEV_C" --service "$ADDR_S:9999" --backend "$b" \
		$extra --delay "$2" --interval 0 >"$work/h.out" 2>&1 &
	HPID=$!; nslib_track $HPID
	nslib_wait_line "$work/h.out" "^backend:" 10 || { cat "$work/h.out"; exit 1; }
	IDS=$(awk -F= '/^prog_/ { printf "%s%s", sep, $2; sep = "," }' /run/kernel-hedge/net"$NS_C_INO"-*.state)
}
stop_hedger() { kill -INT $HPID; wait $HPID; }
p50_us() { awk -F, '$1 == "latency" { printf "%.1f", $4 / 1e3 }' "$1/summary.csv"; }
tail_us() { awk -F, '$1 == "latency" { printf "P99 %.0f P99.9 %.0f MAX %.0f", $7 / 1e3, $8 / 1e3, $9 / 1e3 }' "$1/summary.csv"; }
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
kernel_jiffies() { awk '/^cpu / { print $4 + $7 }' /proc/stat; }	# system + softirq
NS_C_INO=$(ip netns exec "$NS_C" stat -L -c %i /proc/self/ns/net)

ip netns exec "$NS_S" "$CS" --port 9999 --bind "$ADDR_S" --fault-rate 0 --fast 0 >"$work/cs.out" 2>&1 &
CSPID=$!; nslib_track $CSPID
nslib_wait_line "$work/cs.out" "listening on" 10 || exit 1

client() {	# OUTDIR [progstats ids]
	local ids=${2:-}
	if [ -n "$ids" ]; then
		ip netns exec "$NS_C" taskset -c "$CLIENT_CPU" "$PS" --ids "$ids" -- "$HC" --mode baseline --requests $N \
			--warmup 500 --out "$1" -q "$ADDR_S:9999" | grep '^prog'
	else
		ip netns exec "$NS_C" taskset -c "$CLIENT_CPU" "$HC" --mode baseline --requests $N --warmup 500 --out "$1" -q \
			"$ADDR_S:9999" >/dev/null
	fi
}

echo
echo "## 0. splitter cost breakdown (BPF_PROG_TEST_RUN, fresh id per run, private netns)"
"$BUILD/hedger/splitter_cost"

echo
echo "## 1+2. per-program cost and P50 overhead (N=$N closed loop, server answers at once)"
# An idle CPU here wakes late by tens of us to ms, which would swamp a few us
# of overhead (and recirc's spinning would even "help"): keep every CPU awake
# with SCHED_IDLE spinners (netns-lab's cpu-keepawake) during this section,
# and alternate the arms (base, hedged, base, hedged).
KA=$BUILD/netns-lab/cpu-keepawake
if [ -x "$KA" ]; then
	"$KA" --owner-pid $$ --max-time 10m & KAPID=$!
	echo "(CPUs kept awake with cpu-keepawake)"
else
	KAPID=; echo "(cpu-keepawake not built: CPUs may idle, P50s are noisier)"
fi
for b in $BACKENDS; do
	echo "[$b]"
	for r in 1 2; do
		client "$work/base-$b-$r"
		start_hedger "$b" 10ms
		if [ $r = 1 ]; then client "$work/h-$b-$r" "$IDS"; else client "$work/h-$b-$r"; fi
		stop_hedger
	done
	bp=$(for r in 1 2; do p50_us "$work/base-$b-$r"; echo; done | awk '{ s += $1 } END { printf "%.1f", s / NR }')
	hp=$(for r in 1 2; do p50_us "$work/h-$b-$r"; echo; done | awk '{ s += $1 } END { printf "%.1f", s / NR }')
	echo "$b: p50 baseline $(p50_us "$work/base-$b-1")/$(p50_us "$work/base-$b-2") us, hedged $(p50_us "$work/h-$b-1")/$(p50_us "$work/h-$b-2") us; mean overhead $(awk -v a="$hp" -v b="$bp" 'BEGIN { printf "%+.1f", a - b }') us"
	for r in 1 2; do
		echo "    run $r tail (us): baseline $(tail_us "$work/base-$b-$r"); hedged $(tail_us "$work/h-$b-$r")"
	done
done
[ -n "$KAPID" ] && { kill $KAPID; wait $KAPID 2>/dev/null; }
kill $CSPID; wait $CSPID 2>/dev/null

gaps() {	# SINKFILE T_NS -> percentiles of (gap - T)
	awk '/copies 2/ { print $6 }' "$1" | sort -n | awk -v t="$2" '
		function q(f,   i) { i = int(NR * f) + 1; if (i > NR) i = NR; return a[i] }
		{ a[NR] = $1 - t }
		END { if (!NR) { print "no hedges"; exit }
		      printf "n %d min %d p50 %d p90 %d p99 %d max %d\n", NR, a[1], q(0.5), q(0.9), q(0.99), a[NR] }'
}

echo
echo "## 3. hold precision, T = 10 ms: release - intended in ns (200 requests 20 ms apart, no replies)"
for b in $BACKENDS; do
	start_hedger "$b" 10ms
	ip netns exec "$NS_S" "$P" sink --bind "$ADDR_S:9999" --duration 5s >"$work/sink" &
	SP=$!; nslib_wait_line "$work/sink" ready 5
	ip netns exec "$NS_C" "$P" send --to "$ADDR_S:9999" --count 200 --interval 20ms --wait 50ms >/dev/null
	wait $SP
	stop_hedger
	echo "$b: $(gaps "$work/sink" 10000000)"
done

echo
echo "## 4. CPU while parked: T = 50 ms, 1000 requests 1 ms apart (~50 clones parked), no replies"
cpu_run() {	# label [progstats ids]
	local j0 j1 k0 k1 t0 t1 hz
	hz=$(getconf CLK_TCK)
	ip netns exec "$NS_S" "$P" sink --bind "$ADDR_S:9999" --duration 2500ms >"$work/sink" &
	SP=$!; nslib_wait_line "$work/sink" ready 5
	j0=$(busy_jiffies); k0=$(kernel_jiffies); t0=$(date +%s%N)
	if [ -n "${2:-}" ]; then
		ip netns exec "$NS_C" "$PS" --ids "$2" -- "$P" send --to "$ADDR_S:9999" --count 1000 \
			--interval 1ms --wait 100ms | grep '^prog' >"$work/ps"
	else
		ip netns exec "$NS_C" "$P" send --to "$ADDR_S:9999" --count 1000 --interval 1ms --wait 100ms >/dev/null
		: >"$work/ps"
	fi
	j1=$(busy_jiffies); k1=$(kernel_jiffies); t1=$(date +%s%N)
	wait $SP
	awk -v j=$((j1 - j0)) -v k=$((k1 - k0)) -v hz="$hz" -v ns=$((t1 - t0)) -v l="$1" \
		'BEGIN { printf "%s: over %.0f ms wall: CPU busy (all) %.0f ms = %.0f%% of one CPU, system+softirq %.0f ms = %.0f%%\n",
			 l, ns / 1e6, j * 1000 / hz, 100 * (j / hz) / (ns / 1e9), k * 1000 / hz, 100 * (k / hz) / (ns / 1e9) }'
	# BPF time in the programs themselves (exact, unaffected by other jobs).
	awk -v ns=$((t1 - t0)) '{ printf "    %s: %d runs x %.0f ns = %.1f%% of one CPU\n", $2, $6, $8, 100 * $6 * $8 / ns }' "$work/ps"
}
cpu_run "no hedger"
for b in $BACKENDS; do
	start_hedger "$b" 50ms
	cpu_run "$b" "$IDS"
	stop_hedger
done
