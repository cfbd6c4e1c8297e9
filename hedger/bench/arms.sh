#!/usr/bin/env bash
# hedger/bench/arms.sh [BUILD_DIR] - hedger arms against a baseline, no
# faults, closed loop (E3's shape), alternated round by round. Per arm and
# round: P50/P99/P99.9/MAX, the programs' ns/run and runs per request
# (BPF_ENABLE_STATS via progstats), local timer interrupts (all CPUs) and function-call IPIs into
# CPU 1 per request, CPU 1's share in the kernel (/proc/stat), timer programs
# (TSC-deadline writes, perf) per CPU and request; then the median excess over the baseline. Writes results/bench/NAME-<date>-keepawake<0/1>.txt.
#   NAME (arms), ARMS: "arm=[/path/to/hedger] hedger options;..." (the
#   baseline, no hedger, is always the first arm; default: htb=--backend htb), PIN (CPU list for
#   client and server, e.g. 0; default: not pinned), ROUNDS (5), N requests
#   per run (30000), KEEPAWAKE (1: CPUs kept out of idle by netns-lab's
#   cpu-keepawake, as run_all --keep-awake; 0: not).
# Wrappers: line_poll.sh, release_grid.sh.
# Everything runs in two namespaces this script creates (198.18.100.0/24)
# and removes on exit. Needs root.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$root/build}
H=$BUILD/hedger/hedger; PS=$BUILD/hedger/progstats
CS=$BUILD/chaos-server/chaos-server; HC=$BUILD/clients/hedge-client
KA=$BUILD/netns-lab/cpu-keepawake
. "$root/hedger/tests/nslib.sh"
for f in "$H" "$PS" "$CS" "$HC"; do [ -x "$f" ] || { echo "arms.sh: missing $f (build first)" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "arms.sh: needs root" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "arms.sh: needs 2 CPUs" >&2; exit 1; }
ROUNDS=${ROUNDS:-5}; N=${N:-30000}; KEEPAWAKE=${KEEPAWAKE:-1}
NAME=${NAME:-arms}; ARMS=${ARMS:-htb=--backend htb}; PIN=${PIN:-}
[[ $NAME =~ ^[a-z0-9-]+$ ]] || { echo "arms.sh: NAME must be [a-z0-9-]+" >&2; exit 2; }
[[ -z $PIN || $PIN =~ ^[0-9,-]+$ ]] || { echo "arms.sh: PIN must be a CPU list" >&2; exit 2; }
arm_names=(base); declare -A arm_opts=([base]=)
IFS=';' read -r -a specs <<< "$ARMS"
for spec in "${specs[@]}"; do
	a=${spec%%=*}
	[[ $spec == *=* && $a =~ ^[a-z0-9-]+$ && $a != base ]] || { echo "arms.sh: bad arm '$spec' (NAME=OPTIONS)" >&2; exit 2; }
	arm_names+=("$a"); arm_opts[$a]=${spec#*=}
done
pin=(); [ -z "$PIN" ] || pin=(taskset -c "$PIN")
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || { echo "arms.sh: ROUNDS must be 1..99" >&2; exit 2; }
[[ $N =~ ^[1-9][0-9]{2,5}$ ]] || { echo "arms.sh: N must be 100..999999" >&2; exit 2; }

work=$(mktemp -d)
# Timer programs: each write of the TSC-deadline MSR (0x6e0) arms the CPU's
# next timer interrupt, and in a VM it is an exit (~11 us on the VM of
# results/bench/hrtimer-lateness-e4-20261203.txt). Counted per CPU with perf
# when perf and the msr tracepoint are there; perf mounts tracefs for it,
# which is undone on exit.
tracefs_mounted=0; mountpoint -q /sys/kernel/tracing && tracefs_mounted=1
msr_stat=(perf stat -a -A -x ',' -e msr:write_msr --filter 'msr == 0x6e0')
"${msr_stat[@]}" -o /dev/null -- true >/dev/null 2>&1 || msr_stat=()
trap 'nslib_cleanup; rm -rf "$work"; [ "$tracefs_mounted" = 1 ] || ! mountpoint -q /sys/kernel/tracing || umount /sys/kernel/tracing' EXIT
nslib_setup
out=$root/results/bench/$NAME-$(date -u +%Y%m%d-%H%M%S)-keepawake$KEEPAWAKE.txt
mkdir -p "$(dirname "$out")"
exec > >(tee "$out")

echo "# $NAME benchmark $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null) (+ working tree); $ROUNDS rounds x $N requests per arm, closed loop,"
echo "# client and server on CPUs ${PIN:-any}, keep-awake $KEEPAWAKE; arms:"
for a in "${arm_names[@]}"; do echo "#   $a: ${arm_opts[$a]:-no hedger}"; done

if [ "$KEEPAWAKE" = 1 ] && [ -x "$KA" ]; then
	"$KA" --owner-pid $$ --max-time 30m & KAPID=$!; NSLIB_PIDS="$NSLIB_PIDS $KAPID"
fi
ip netns exec "$NS_S" "${pin[@]}" "$CS" --port 9999 --bind "$ADDR_S" --fault-rate 0 --fast 0 \
	>"$work/cs.out" 2>&1 &
NSLIB_PIDS="$NSLIB_PIDS $!"
nslib_wait_line "$work/cs.out" "listening on" 10 || exit 1
NS_C_INO=$(ip netns exec "$NS_C" stat -L -c %i /proc/self/ns/net)

# kernel_busy CPU -> system + irq + softirq jiffies of that CPU (the
# keep-awake spinner's user time left out); calls_into CPU -> function-call
# IPIs that CPU received (the RPS kick is one)
kernel_busy() { awk -v c="cpu$1" '$1 == c { print $4 + $7 + $8 }' /proc/stat; }
calls_into() { awk -v col=$(($1 + 2)) '$1 == "CAL:" { print $col }' /proc/interrupts; }
timer_irqs() { awk '$1 == "LOC:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts; }

one() {	# ARM ROUND
	local arm=$1 r=$2 hpid= ids= b0 b1 i0 i1 l0 l1 t0 t1 pre=() hbin=$H opts=${arm_opts[$1]} msr=()
	# An arm may name another hedger binary first (an A/B against a build
	# of another commit).
	if [[ $opts == /* ]]; then hbin=${opts%% *}; opts=${opts#"$hbin"}; fi
	if [ "$arm" != base ]; then
		# shellcheck disable=SC2086 # the arm's options are words
		ip netns exec "$NS_C" "$hbin" attach --dev "$DEV_C" --service "$ADDR_S:9999" \
			--delay 10ms $opts --interval 0 >"$work/h.out" 2>&1 &
		hpid=$!
		nslib_wait_line "$work/h.out" "^backend:" 10 || { cat "$work/h.out"; exit 1; }
		[[ ${arm_opts[$arm]} != *--line-poll* ]] || { nslib_wait_line "$work/h.out" "^line poll:" 5 || exit 1; }
		ids=$(awk -F= '/^prog_/ { printf "%s%s", sep, $2; sep = "," }' /run/kernel-hedge/net"$NS_C_INO"-*.state)
		pre=("$PS" --ids "$ids" --)
	fi
	[ ${#msr_stat[@]} = 0 ] || msr=("${msr_stat[@]}" -o "$work/msr" --)
	b0=$(kernel_busy 1); i0=$(calls_into 1); l0=$(timer_irqs); t0=$(date +%s%N)
	"${msr[@]}" ip netns exec "$NS_C" "${pin[@]}" "${pre[@]}" "$HC" --mode baseline --requests "$N" --warmup 500 \
		--out "$work/o-$arm-$r" -q "$ADDR_S:9999" >"$work/ps" 2>&1 || { cat "$work/ps"; exit 1; }
	b1=$(kernel_busy 1); i1=$(calls_into 1); l1=$(timer_irqs); t1=$(date +%s%N)
	[ -n "$hpid" ] && { kill -INT "$hpid"; wait "$hpid"; }
	awk -F, -v arm="$arm" -v r="$r" -v ipi=$((i1 - i0)) -v loc=$((l1 - l0)) -v n="$N" -v busy=$((b1 - b0)) \
		-v hz="$(getconf CLK_TCK)" -v ns=$((t1 - t0)) '
		$1 == "latency" { printf "%-8s round %d: P50 %6.1f P99 %6.1f P99.9 %7.1f MAX %8.1f us; timer irqs per request %.3f; IPIs into CPU 1 per request %.3f; CPU 1 in the kernel %3.0f%%",
			arm, r, $4 / 1e3, $7 / 1e3, $8 / 1e3, $9 / 1e3, loc / n, ipi / n, 100 * busy / hz / (ns / 1e9) }' "$work/o-$arm-$r/summary.csv"
	# runs per request: the client's requests, its 500 warm-up ones included
	awk -v n=$((N + 500)) '/^prog/ { printf "; %s %s ns/run x %.2f runs/request", $2, $8, $6 / n }' "$work/ps"
	[ ${#msr[@]} = 0 ] || awk -F, -v n="$N" '$1 ~ /^CPU[0-9]+$/ { printf "%s%s %.2f", sep, $1, $2 / n; sep = ", " }
		BEGIN { printf "; timer programs per request (TSC deadline): " }' "$work/msr"
	echo
}

for r in $(seq 1 "$ROUNDS"); do
	for arm in "${arm_names[@]}"; do one "$arm" "$r"; done
done | tee "$work/rows"

echo
echo "## median over rounds, and the median of each round's excess over its baseline (us)"
awk -v arms="${arm_names[*]}" '
	function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	{ arm = $1; r = $3 + 0; p50[arm, r] = $5; p99[arm, r] = $7; p999[arm, r] = $9; mx[arm, r] = $11; R = r > R ? r : R }
	END {
		na = split(arms, names, " ")
		for (k = 1; k <= na; k++) {
			arm = names[k]
			s1 = s2 = s3 = s4 = e1 = e2 = e3 = e4 = ""
			for (r = 1; r <= R; r++) {
				s1 = s1 " " p50[arm, r]; s2 = s2 " " p99[arm, r]; s3 = s3 " " p999[arm, r]; s4 = s4 " " mx[arm, r]
				e1 = e1 " " p50[arm, r] - p50["base", r]; e2 = e2 " " p99[arm, r] - p99["base", r]
				e3 = e3 " " p999[arm, r] - p999["base", r]; e4 = e4 " " mx[arm, r] - mx["base", r]
			}
			printf "%-8s P50 %6.1f P99 %6.1f P99.9 %7.1f MAX %8.1f", arm, med(s1), med(s2), med(s3), med(s4)
			if (arm != "base") printf "   excess: P50 %+5.1f P99 %+6.1f P99.9 %+7.1f MAX %+8.1f", med(e1), med(e2), med(e3), med(e4)
			printf "\n"
		}
	}' "$work/rows"
