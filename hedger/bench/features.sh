#!/usr/bin/env bash
# hedger/bench/features.sh [BUILD_DIR] - numbers for replicas, adaptive delay and budget,
# written to results/bench/hedger-features-<date>.txt (kernel, commit, CPU,
# load average in the header). Runs in a netns-lab replicas lab it creates
# and removes (addresses 198.18.0.0/15 only); needs root. Closed loop
# hedge-client baseline (one connected socket), htb backend, CPUs kept awake.
#   1. replicas: 2 % stalls (400 ms) on independent schedules, replay off;
#      hedge to the same replica vs to the other one (round-robin, fastest),
#      and tied mode (--tied 2: a copy to the other replica at once);
#   2. adaptive delay on the reference schedule (one server, 2 ms fast path,
#      2 % stall 400 ms, replay on): fixed 10 ms vs p90 / p95 / p99;
#   3. budget in a meltdown (every request stalls 50 ms, open loop 200/s):
#      no budget vs 5 % + burst 10.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$root/build}
export HEDGER_BUILD=$BUILD/hedger HEDGER_SRC=$root/hedger
export CHAOS_SERVER=$BUILD/chaos-server/chaos-server HEDGE_CLIENT=$BUILD/clients/hedge-client
export KEEPAWAKE=$BUILD/netns-lab/cpu-keepawake
for f in "$HEDGER_BUILD/hedger" "$CHAOS_SERVER" "$HEDGE_CLIENT"; do
	[ -x "$f" ] || { echo "features.sh: missing $f (build first)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "features.sh: needs root" >&2; exit 1; }
. "$root/hedger/tests/labenv.sh"
N_REP=${N_REP:-1000}; N_AD=${N_AD:-3000}

trap labenv_cleanup EXIT
labenv_up 3
out=$root/results/bench/hedger-features-$(date -u +%Y%m%d-%H%M).txt
mkdir -p "$(dirname "$out")"
exec > >(tee "$out")
echo "# hedger features benchmark $(date -u +%FT%TZ)"
echo "# kernel $(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null) (+ working tree), CPUs kept awake: $KEPT_AWAKE"

row() {	# LABEL RUN STATS
	local s=$3
	printf '%-34s p50 %7s  p99 %8s  p99.9 %8s ms  requests %5s  hedges %4s (%5s %%)  denied %4s\n' "$1" \
		"$(pct_ms "$2" 4)" "$(p99_ms "$2")" "$(p999_ms "$2")" "$(statget "$s" requests)" \
		"$(statget "$s" hedges_sent)" \
		"$(awk -v h="$(statget "$s" hedges_sent)" -v n="$(statget "$s" requests)" 'BEGIN { printf "%.2f", n ? 100 * h / n : 0 }')" \
		"$(statget "$s" hedges_denied_budget)"
}
run_arm() {	# NAME CLIENT_ARGS -- HEDGER_ARGS...
	local name=$1 cargs=$2
	shift 2
	labenv_hedger "$name" "$@" --backend htb
	labenv_client "$name" $cargs
	sleep 0.5
	S=$(labenv_stats) || fail "stats $name"
	labenv_hedger_stop
}

R1=$REPLICA1_ADDR; R2=$REPLICA2_ADDR; R3=$REPLICA3_ADDR
echo
echo "## 1. replicas: independent 2 % stalls (400 ms) per replica, replay off, T = 10 ms, $N_REP requests"
labenv_server 1 r1 --replica 1 --replay-ttl 0
labenv_server 2 r2 --replica 2 --replay-ttl 0
labenv_server 3 r3 --replica 3 --replay-ttl 0
labenv_client rep-none --mode baseline --requests $N_REP --warmup 0 "$R1:9999"
printf '%-34s p50 %7s  p99 %8s  p99.9 %8s ms\n' "no hedger" "$(pct_ms rep-none 4)" "$(p99_ms rep-none)" "$(p999_ms rep-none)"
run_arm rep-same "--mode baseline --requests $N_REP --warmup 0 $R1:9999" --service "$R1:9999" --delay 10ms
row "hedge to the same replica" rep-same "$S"
run_arm rep-other "--mode baseline --requests $N_REP --warmup 0 $R1:9999" --service "$R1:9999=$R2:9999" --delay 10ms
row "hedge to the other replica" rep-other "$S"
echo "  reverse-NATed replies $(statget "$S" replies_reverse_nat), client duplicates $(client_dups rep-other)"
run_arm rep-rr3 "--mode baseline --requests $N_REP --warmup 0 $R1:9999" --service "$R1:9999=$R2:9999,$R3:9999" --delay 10ms
row "3 replicas, round-robin" rep-rr3 "$S"
run_arm rep-fast3 "--mode baseline --requests $N_REP --warmup 0 $R1:9999" --service "$R1:9999=$R2:9999,$R3:9999" --delay 10ms --replica-policy fastest
row "3 replicas, fastest" rep-fast3 "$S"
echo "$S" | sed -n '/^replicas/,$p'
run_arm rep-tied2 "--mode baseline --requests $N_REP --warmup 0 $R1:9999" --service "$R1:9999=$R2:9999" --tied 2
row "tied 2 (copy at once, no delay)" rep-tied2 "$S"
echo "  tied copies $(statget "$S" tied_copies), second replies dropped $(statget "$S" duplicate_replies_dropped), client duplicates $(client_dups rep-tied2)"
for k in r1 r2 r3; do labenv_server_stop $k; done

echo
echo "## 2. adaptive delay: reference schedule (2 ms fast, 2 % stall 400 ms, replay on), $N_AD requests"
for arm in fixed10:--delay=10ms p90:--delay=p90 p95:--delay=p95 p99:--delay=p99; do
	name=${arm%%:*}; opt=${arm#*:}
	labenv_server 1 "ad$name"
	extra=""
	[ "$name" != fixed10 ] && extra="--delay-min 1ms --delay-max 50ms"
	run_arm "ad-$name" "--mode baseline --requests $N_AD --warmup 0 $R1:9999" --service "$R1:9999" ${opt/=/ } $extra
	row "delay $name" "ad-$name" "$S"
	echo "$S" | grep '^adaptive delay' | sed 's/^/  /'
	labenv_server_stop "ad$name"
done

echo
echo "## 3. budget in a meltdown: every request stalls 50 ms (replay off), open loop 200/s, 600 requests, T = 5 ms"
labenv_server 1 melt --fault-rate 100% --stall 50ms --replay-ttl 0
run_arm melt-none "--mode baseline --rate 200/s --requests 600 --warmup 0 $R1:9999" --service "$R1:9999" --delay 5ms
row "no budget" melt-none "$S"
run_arm melt-b5 "--mode baseline --rate 200/s --requests 600 --warmup 0 $R1:9999" --service "$R1:9999" --delay 5ms --budget 5% --budget-burst 10
row "budget 5 % + burst 10" melt-b5 "$S"
echo "$S" | grep '^budget:' | sed 's/^/  /'
echo
echo "# written to $out"
