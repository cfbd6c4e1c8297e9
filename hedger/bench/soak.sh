#!/usr/bin/env bash
# soak.sh - a long run through the hedger with faults, then a leak check.
# A pair lab; chaos-server pausing (--pause-every/--pause-for) on the server
# side (restarts drop its ICMP, so requests meanwhile are lost rather than
# refused); hedge-client in back-to-back open-loop segments at RATE through
# `hedger attach`. At a random point of each segment one of: the hedger is
# killed (-9), `hedger detach --dev` cleans up, a new hedger attaches; or
# chaos-server is restarted; or nothing. Checked and written to
# results/bench/soak-<UTC>.txt:
#   - after every detach: no delay-line link, no qdisc or filter of the
#     hedger on the device, no state file; at the end every BPF program and
#     map id any hedger instance had is gone (bpftool prog/map show id)
#   - RSS of every chaos-server and hedger instance (sampled every 5 s):
#     first, last and max
#   - counters: each client segment answered + timeouts = requests; each
#     hedger instance replies <= requests and hedges_sent <= clones <=
#     requests; the last one, after the load stops, requests - replies <=
#     the client's timeouts since it attached (requests never answered)
# Not part of CI: root, namespaces and minutes of CPU.
#
# usage: hedger/bench/soak.sh [-m MINUTES] [-r RATE] [-s SEGMENT_S] [-S SEED] BUILD_DIR
#   -m MINUTES   length of the load (default 30)
#   -r RATE      requests per second (default 5000)
#   -s SECONDS   client segment length (default 30)
#   -S SEED      seed of the fault points (default: the time)
# example: hedger/bench/soak.sh -m 3 build
set -uo pipefail

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
die_usage() { echo "soak.sh: error: $*" >&2; exit 2; }

minutes=30 rate=5000 seg=30 seed=$(date +%s)
while getopts ":m:r:s:S:h" opt; do
	case $opt in
	m) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die_usage "-m '$OPTARG': expected whole minutes > 0"; minutes=$OPTARG ;;
	r) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die_usage "-r '$OPTARG': expected requests/s > 0"; rate=$OPTARG ;;
	s) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die_usage "-s '$OPTARG': expected seconds > 0"; seg=$OPTARG ;;
	S) [[ $OPTARG =~ ^[0-9]+$ ]] || die_usage "-S '$OPTARG': expected a number"; seed=$OPTARG ;;
	h) usage; exit 0 ;;
	:) die_usage "-$OPTARG needs a value (try -h)" ;;
	*) die_usage "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || die_usage "expected BUILD_DIR (try -h)"
BUILD=$(cd "$1" && pwd) || die_usage "no build directory '$1'"
HEDGER_SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HEDGER_SRC/.." && pwd)
HEDGER_BUILD=$BUILD/hedger
CHAOS_SERVER=$BUILD/chaos-server/chaos-server
HEDGE_CLIENT=$BUILD/clients/hedge-client
T_NAME=soak
. "$HEDGER_SRC/tests/labenv.sh"
labenv_require
command -v bpftool >/dev/null || skip "needs bpftool"
RANDOM=$seed

labenv_pair
HEDGER=$HEDGER_BUILD/hedger

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/results/bench"
OUT=$ROOT/results/bench/soak-$stamp.txt
log() { echo "$*" | tee -a "$WORK/events" >&2; }
problems=0
H_REQ=0 H_REP=0
# untrack PID - after waiting for PID: the exit trap must not signal a
# recycled pid.
untrack() {
	local p keep=()
	for p in "${T_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	T_PIDS=("${keep[@]}")
}
problem() { log "PROBLEM: $*"; problems=$((problems + 1)); }
bpf_ids_before_prog=$(bpftool prog list 2>/dev/null | grep -c '^[0-9]*:')
bpf_ids_before_map=$(bpftool map list 2>/dev/null | grep -c '^[0-9]*:')
start_s=$(date +%s)
elapsed() { echo $(($(date +%s) - start_s)); }

# ---- chaos-server ----------------------------------------------------------
server_start() {
	local try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$NS_S" "$CHAOS_SERVER" --port 9999 --bind "$ADDR_S" \
			--pause-every 4s --pause-for 150ms >"$WORK/server.out" 2>&1 &
		SRV=$!
		track $SRV
		wait_line "$WORK/server.out" "listening on\|already in use\|error" 10
		if grep -q "listening on" "$WORK/server.out"; then
			echo "$SRV chaos-server" >"$WORK/pid.server"
			log "t=$(elapsed)s chaos-server $SRV started"
			return 0
		fi
		kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; untrack $SRV; sleep 0.5
	done
	cat "$WORK/server.out" >&2
	fail "chaos-server did not start"
}
# While chaos-server restarts, requests must be lost (client timeouts), not
# refused: hedge-client ends on ICMP port unreachable. A blackhole route to
# the client in the server's namespace drops that ICMP meanwhile.
server_restart() {
	ip -n "$NS_S" route add blackhole "$ADDR_C/32" || problem "cannot add the blackhole route"
	kill -TERM "$SRV"; wait "$SRV"; untrack "$SRV"
	log "t=$(elapsed)s chaos-server $SRV stopped: $(grep 'stats (exit)' "$WORK/server.out" | tail -1)"
	server_start
	ip -n "$NS_S" route del blackhole "$ADDR_C/32" || problem "cannot remove the blackhole route"
}

# ---- hedger ----------------------------------------------------------------
HSEQ=0
hedger_start() {
	local st i
	HSEQ=$((HSEQ + 1))
	ip netns exec "$NS_C" "$HEDGER" attach --dev "$DEV_C" --service "$ADDR_S:9999" \
		--delay 10ms --interval 0 >"$WORK/hedger-$HSEQ.out" 2>&1 &
	HPID=$!
	track $HPID
	wait_line "$WORK/hedger-$HSEQ.out" "^backend: " 15 ||
		{ cat "$WORK/hedger-$HSEQ.out" >&2; fail "hedger did not start"; }
	st=/run/kernel-hedge/net$NS_C_INO-$(ip netns exec "$NS_C" cat /sys/class/net/"$DEV_C"/ifindex).state
	for i in $(seq 50); do [ -s "$st" ] && break; sleep 0.1; done
	[ -s "$st" ] || problem "hedger $HPID: no state file $st"
	STATE=$st
	# every program and map id this instance holds, to check they go away
	grep -E '^(prog|map)_[a-z_]*=[1-9]' "$st" | sed "s/^/$HPID /" >>"$WORK/bpf-ids"
	echo "$HPID hedger" >"$WORK/pid.hedger"
	HSTART_TIMEOUTS=$TIMEOUTS_TOTAL
	log "t=$(elapsed)s hedger $HPID attached ($(grep '^backend: ' "$WORK/hedger-$HSEQ.out"))"
}
hedger_snapshot() {  # hedger_snapshot LABEL - counters of the running instance
	ip netns exec "$NS_C" "$HEDGER" stats --dev "$DEV_C" >"$WORK/stats-$HSEQ.txt" 2>&1 ||
		problem "hedger stats failed: $(head -1 "$WORK/stats-$HSEQ.txt")"
	local s=$WORK/stats-$HSEQ.txt req rep clo hs unk
	req=$(awk '$1 == "requests" {print $2}' "$s"); rep=$(awk '$1 == "replies" {print $2}' "$s")
	clo=$(awk '$1 == "clones" {print $2}' "$s"); hs=$(awk '$1 == "hedges_sent" {print $2}' "$s")
	unk=$(awk '$1 == "replies_unknown_request" {print $2}' "$s")
	echo "hedger $HPID $1: requests=$req replies=$rep clones=$clo hedges_sent=$hs replies_unknown=$unk" >>"$WORK/counters"
	[ -n "$req" ] && [ -n "$rep" ] && [ -n "$clo" ] && [ -n "$hs" ] || { problem "hedger $HPID: counters missing"; return; }
	[ "$rep" -le "$req" ] || problem "hedger $HPID: replies $rep > requests $req"
	[ "$hs" -le "$clo" ] && [ "$clo" -le "$req" ] || problem "hedger $HPID: hedges_sent $hs, clones $clo, requests $req"
	H_REQ=$req H_REP=$rep
}
# no_leftovers WHEN - nothing of a hedger on the client side
no_leftovers() {
	local links qd filt
	links=$(ip -n "$NS_C" -o link show | grep -Eo 'kh[dp][0-9]+[ab]' || true)
	qd=$(tc -n "$NS_C" qdisc show dev "$DEV_C" | grep -Ev 'qdisc (noqueue|pfifo_fast|fq_codel|mq) ' || true)
	filt=$( (tc -n "$NS_C" filter show dev "$DEV_C" ingress; tc -n "$NS_C" filter show dev "$DEV_C" egress) 2>/dev/null || true)
	[ -z "$links" ] || problem "$1: links left: $links"
	[ -z "$qd" ] || problem "$1: qdiscs left: $qd"
	[ -z "$filt" ] || problem "$1: filters left: $filt"
	[ ! -e "$STATE" ] || problem "$1: state file left: $STATE"
}
hedger_kill() {
	hedger_snapshot "before kill -9"
	kill -9 "$HPID"; wait "$HPID" 2>/dev/null; untrack "$HPID"
	ip netns exec "$NS_C" "$HEDGER" detach --dev "$DEV_C" >"$WORK/detach.out" 2>&1 ||
		problem "detach after kill -9 failed: $(cat "$WORK/detach.out")"
	no_leftovers "after kill -9 of $HPID + detach"
	log "t=$(elapsed)s hedger $HPID killed (-9) and detached"
	hedger_start
}

# ---- RSS sampler -----------------------------------------------------------
rss_sampler() {
	local f pid name rss
	while :; do
		for f in "$WORK"/pid.*; do
			[ -e "$f" ] || continue
			read -r pid name <"$f" 2>/dev/null || continue
			rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null) || continue
			[ -n "$rss" ] && echo "$(elapsed) $name $pid $rss" >>"$WORK/rss"
		done
		sleep 5
	done
}

# ---- the run -----------------------------------------------------------------
TIMEOUTS_TOTAL=0
server_start
hedger_start
rss_sampler &
track $!
per_seg=$((rate * seg))
nseg=$(((minutes * 60 + seg - 1) / seg))
first_id=0
for ((k = 1; k <= nseg; k++)); do
	ip netns exec "$NS_C" "$HEDGE_CLIENT" --rate "$rate/s" --requests "$per_seg" --warmup 0 \
		--first-id "$first_id" --timeout 1s --max-lag 30s -q --out "$WORK/client-$k" \
		"$ADDR_S:9999" >"$WORK/client-$k.log" 2>&1 &
	CPID=$!
	track $CPID
	sleep $((2 + RANDOM % (seg > 4 ? seg - 4 : 1)))
	r=$((RANDOM % 10))
	if [ $r -lt 5 ]; then hedger_kill
	elif [ $r -lt 8 ]; then server_restart
	else log "t=$(elapsed)s no fault in segment $k"; fi
	wait $CPID; rc=$?; untrack $CPID
	p=$WORK/client-$k/params.txt
	if [ $rc != 0 ] || [ ! -e "$p" ]; then
		problem "client segment $k: exit $rc: $(tail -1 "$WORK/client-$k.log")"
	else
		req=$(ra_keyval requests "$p"); ans=$(ra_keyval answered "$p"); to=$(ra_keyval timeouts "$p")
		TIMEOUTS_TOTAL=$((TIMEOUTS_TOTAL + to))
		echo "client segment $k: requests=$req answered=$ans timeouts=$to duplicates=$(ra_keyval duplicates "$p") p50_ms=$(pct_ms "client-$k" p50) p99_ms=$(pct_ms "client-$k" p99) p99.9_ms=$(pct_ms "client-$k" p99.9) max_lag_ms=$(( $(ra_keyval max_sender_lag_ns "$p") / 1000000 ))" >>"$WORK/counters"
		[ $((ans + to)) = "$req" ] || problem "client segment $k: answered $ans + timeouts $to != requests $req"
	fi
	first_id=$(((first_id + per_seg) % 4000000000))
done
sleep 2   # every reply or timeout is in
hedger_snapshot "at the end"
[ $((H_REQ - H_REP)) -le $((TIMEOUTS_TOTAL - HSTART_TIMEOUTS)) ] ||
	problem "last hedger: requests - replies = $((H_REQ - H_REP)) > the client's timeouts since it attached ($((TIMEOUTS_TOTAL - HSTART_TIMEOUTS)))"
kill -INT "$HPID"; wait "$HPID"; rc=$?; untrack "$HPID"
[ $rc = 0 ] || problem "hedger $HPID: exit $rc after SIGINT"
no_leftovers "after SIGINT of $HPID"
rm -f "$WORK/pid.hedger"
kill -TERM "$SRV"; wait "$SRV"; untrack "$SRV"
log "t=$(elapsed)s chaos-server $SRV stopped: $(grep 'stats (exit)' "$WORK/server.out" | tail -1)"
rm -f "$WORK/pid.server"
# Programs and maps are freed after the last reference goes (RCU): allow 10 s.
leaked=""
for i in $(seq 20); do
	leaked=""
	while read -r pid key id; do
		kind=${key%%_*}
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && leaked="$leaked $key=$id(pid $pid)"
	done < <(sed 's/=/ /' "$WORK/bpf-ids")
	[ -z "$leaked" ] && break
	sleep 0.5
done
[ -z "$leaked" ] || problem "BPF objects still loaded:$leaked"
bpf_ids_after_prog=$(bpftool prog list 2>/dev/null | grep -c '^[0-9]*:')
bpf_ids_after_map=$(bpftool map list 2>/dev/null | grep -c '^[0-9]*:')

{
	echo "# soak.sh: $minutes min at $rate req/s (segments of ${seg}s), pair lab, chaos-server --pause-every 4s --pause-for 150ms (2% stalls of 400 ms)"
	echo "# hedger attach --delay 10ms; per segment at a random point: kill -9 + detach + attach (p 0.5), chaos-server restart (p 0.3), nothing (p 0.2); seed $seed"
	echo "# started $stamp, ran $(elapsed) s; machine: $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "# tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') + working changes; build $BUILD"
	echo "# verdict: $([ $problems = 0 ] && echo "PASS (0 problems)" || echo "FAIL ($problems problems)")"
	echo
	echo "## leak check"
	echo "hedger instances: $HSEQ; BPF program/map ids they held: $(wc -l <"$WORK/bpf-ids"); still loaded at the end: ${leaked:-none}"
	echo "bpftool prog list: $bpf_ids_before_prog before, $bpf_ids_after_prog after; map list: $bpf_ids_before_map before, $bpf_ids_after_map after (host-wide: other work on this machine counts too)"
	echo
	echo "## RSS per process instance (kB): first, last, max, samples"
	awk '{ k = $2 " " $3; if (!(k in first)) { first[k] = $4; order[n++] = k } last[k] = $4
	       if ($4 > max[k]) max[k] = $4; cnt[k]++ }
	     END { for (i = 0; i < n; i++) { k = order[i]; printf "%-24s first %6d last %6d max %6d  (%d samples)\n", k, first[k], last[k], max[k], cnt[k] } }' "$WORK/rss"
	echo
	echo "## counters"
	cat "$WORK/counters"
	echo
	echo "## events"
	cat "$WORK/events"
} >"$OUT"
cat "$OUT"
echo "soak.sh: wrote $OUT" >&2
[ $problems = 0 ]
