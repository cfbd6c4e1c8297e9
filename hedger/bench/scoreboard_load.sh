#!/usr/bin/env bash
# scoreboard_load.sh [RATE] [REQUESTS] [SB_SIZE] - the scoreboard under open
# loop load through a pair lab: chaos-server's default schedule (2 % of ids
# stall 400 ms), hedger htb with T = 10 ms and --scoreboard-size SB_SIZE
# (default 65536), hedge-client open loop at RATE req/s (20000) for
# REQUESTS (200000). Prints, and with --save writes to
# results/bench/scoreboard-load-<UTC>.txt: stalled ids, hedges, replay hits
# (stalled ids the server saw a hedge of), clones orphaned, bucket-full
# requests, client duplicates and the latency percentiles.
# Also the suite's short functional version (test_scoreboard_load.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
save=0
[ "${1:-}" = --save ] && { save=1; shift; }
RATE=${1:-20000}; N=${2:-200000}; SB=${3:-65536}
BUILD=${BUILD_DIR:-$root/build}
CS=$BUILD/chaos-server/chaos-server; HC=$BUILD/clients/hedge-client; HG=$BUILD/hedger/hedger
LAB_SH=$root/netns-lab/lab.sh
for x in "$CS" "$HC" "$HG"; do [ -x "$x" ] || { echo "scoreboard_load: $x not built" >&2; exit 1; }; done
[ "$(id -u)" = 0 ] || { echo "scoreboard_load: needs root" >&2; exit 1; }

work=$(mktemp -d)
export KH_LAB_STATE_DIR="$work/labstate"
mkdir -p "$KH_LAB_STATE_DIR"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "${LAB_PREFIX:-}" ] && "$LAB_SH" down --quiet --prefix "$LAB_PREFIX" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_line() {	# FILE PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
# A prefix of our own: lab.sh's default "kh" + hex could begin "khd", a name
# the hedger refuses (its own delay line's).
out=$("$LAB_SH" up pair --prefix "sb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)" \
	--owner-pid $$ -q) || exit 1
eval "$out"
ip netns exec "$SERVER_NS" "$CS" --port 9999 --bind "$SERVER_ADDR" >"$work/cs.out" 2>&1 &
SRV=$!; PIDS="$PIDS $SRV"
wait_line "$work/cs.out" "listening on" 10 || { cat "$work/cs.out"; exit 1; }
ip netns exec "$CLIENT_NS" "$HG" attach --dev "$CLIENT_IF" --service "$SERVER_ADDR:9999" \
	--delay 10ms --scoreboard-size "$SB" --interval 0 >"$work/hedger.out" 2>&1 &
HPID=$!; PIDS="$PIDS $HPID"
wait_line "$work/hedger.out" "^backend: " 10 || { cat "$work/hedger.out"; exit 1; }
ip netns exec "$CLIENT_NS" "$HC" --mode baseline --rate "$RATE" --requests "$N" --warmup 0 \
	--max-lag 1s --out "$work/client" -q "$SERVER_ADDR:9999" >/dev/null || { echo "client failed" >&2; exit 1; }
sleep 0.6	# stalled originals come back and are dropped
stats=$(ip netns exec "$CLIENT_NS" "$HG" stats --dev "$CLIENT_IF")
kill -INT $HPID; wait $HPID 2>/dev/null
kill -INT $SRV; wait $SRV 2>/dev/null
PIDS=""
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
stalled=$(awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) if (i % 100 < 2) s++; print s + 0 }')
hits=$(grep -o "replay_hits=[0-9]*" "$work/cs.out" | tail -1 | cut -d= -f2)
dups=$(grep -o 'duplicates seen [0-9]*' "$work/client/summary.txt" | awk '{ print $3 }')
lat=$(awk -F, '$1 == "latency" { printf "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", $4/1e6, $7/1e6, $8/1e6, $9/1e6 }' \
	"$work/client/summary.csv")
report=$(cat <<EOT
scoreboard load: $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r), $(nproc) CPUs, load avg $(cut -d' ' -f1-3 /proc/loadavg)
open loop $RATE req/s, $N requests, --scoreboard-size $SB, htb, T = 10 ms
stalled ids              $stalled
server replay hits       $hits   (stalled ids whose hedge reached the server)
hedges_sent              $(get hedges_sent)
clones_orphaned          $(get clones_orphaned)
clones_stale_generation  $(get clones_stale_generation)
scoreboard_bucket_full   $(get scoreboard_bucket_full)
htb_no_free_class        $(get htb_no_free_class)
client duplicates        $dups
latency                  $lat
EOT
)
echo "$report"
if [ "$save" = 1 ]; then
	mkdir -p "$root/results/bench"
	f="$root/results/bench/scoreboard-load-$(date -u +%Y%m%dT%H%M%SZ).txt"
	echo "$report" >"$f"
	echo "written: $f"
fi
[ "$hits" = "$stalled" ] && [ "$(get clones_orphaned)" = 0 ] && [ "$dups" = 0 ]
