# labenv.sh: sourced by the hedger's replica/adaptive/budget tests. Uses
# netns-lab's `lab.sh up replicas N` (client -> router -> replica k at
# 198.18.k.1) with a private state directory, and removes the lab, the
# processes started here and the work directory from the caller's EXIT trap.
# Needs: HEDGER_BUILD, CHAOS_SERVER, HEDGE_CLIENT (meson env).

# skip, fail, nslib_require and nslib_wait_line come from nslib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/nslib.sh"

LABENV_PIDS=""

labenv_require() {
	nslib_require
	[ -x "${CHAOS_SERVER:-}" ] || skip "chaos-server not built"
	[ -x "${HEDGE_CLIENT:-}" ] || skip "hedge-client not built"
	[ -x "${HEDGER_SRC:?}/../netns-lab/lab.sh" ] || skip "netns-lab not present"
}

# labenv_up N - replicas lab with N replicas, CPUs kept awake when the
# spinner is built (KEPT_AWAKE=1).
labenv_up() {
	local out ka=""
	WORK=$(mktemp -d)
	export KH_LAB_STATE_DIR="$WORK/labstate"
	mkdir -p "$KH_LAB_STATE_DIR"
	KEPT_AWAKE=0
	if [ -n "${KEEPAWAKE:-}" ] && [ -x "$KEEPAWAKE" ]; then
		export KH_KEEPAWAKE_BIN="$KEEPAWAKE"
		ka=--keep-awake
		KEPT_AWAKE=1
	fi
	LAB_SH="$HEDGER_SRC/../netns-lab/lab.sh"
	out=$("$LAB_SH" up replicas "$1" $ka --owner-pid $$ -q) || fail "lab.sh up replicas $1"
	eval "$out"
	LAB_UP=1
}

labenv_cleanup() {
	for p in $LABENV_PIDS; do kill "$p" 2>/dev/null; done
	for p in $LABENV_PIDS; do wait "$p" 2>/dev/null; done
	[ "${LAB_UP:-0}" = 1 ] && "$LAB_SH" down --quiet --prefix "$LAB_PREFIX" >/dev/null 2>&1
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	return 0
}

labenv_track() { LABENV_PIDS="$LABENV_PIDS $1"; }

# labenv_server K NAME [ARGS] - chaos-server on replica K, port 9999.
labenv_server() {
	local k=$1 name=$2 ns addr try
	shift 2
	ns=$(eval echo "\$REPLICA_NS_$k"); addr=$(eval echo "\$REPLICA${k}_ADDR")
	# A previous server's socket can outlive its process for a moment
	# (io_uring tears its ring down in a kernel worker): retry while taken.
	for try in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$ns" "$CHAOS_SERVER" --port 9999 --bind "$addr" "$@" >"$WORK/cs-$name.out" 2>&1 &
		labenv_track $!
		eval "SRV_$name=$!"
		nslib_wait_line "$WORK/cs-$name.out" "listening on\|already in use" 10 ||
			{ cat "$WORK/cs-$name.out"; fail "chaos-server $name did not start"; }
		grep -q "listening on" "$WORK/cs-$name.out" && return 0
		labenv_server_stop "$name"; sleep 0.5
	done
	cat "$WORK/cs-$name.out"; fail "chaos-server $name did not start: port still in use"
}

# labenv_server_stop NAME - stop it and wait, so the port is free again.
labenv_server_stop() {
	local pid
	pid=$(eval echo "\$SRV_$1")
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# labenv_stall_pair N - two replicas, each running a chaos-server (r1, r2) with
# its own stall schedule (--replica 1 / --replica 2) and the replay trick off.
# Sets R1 and R2 (their addresses), raises MARGIN_MS to 20 when the CPUs are
# not kept awake, and sets stalled = how many of ids 0..N-1 stall on replica 1
# (id % 100 in {2,3}).
labenv_stall_pair() {
	local id r
	labenv_up 2
	[ "$KEPT_AWAKE" = 1 ] || MARGIN_MS=20
	R1=$REPLICA1_ADDR; R2=$REPLICA2_ADDR
	labenv_server 1 r1 --replica 1 --replay-ttl 0
	labenv_server 2 r2 --replica 2 --replay-ttl 0
	stalled=0
	for ((id = 0; id < $1; id++)); do r=$((id % 100)); [ $r -ge 2 ] && [ $r -lt 4 ] && stalled=$((stalled + 1)); done
}

# labenv_hedger NAME ARGS... - hedger attach on the client's interface.
labenv_hedger() {
	local name=$1
	shift
	ip netns exec "$CLIENT_NS" "$HEDGER_BUILD/hedger" attach --dev "$CLIENT_IF" --interval 0 "$@" \
		>"$WORK/hedger-$name.out" 2>&1 &
	HPID=$!
	labenv_track $HPID
	nslib_wait_line "$WORK/hedger-$name.out" "^backend: " 10 ||
		{ cat "$WORK/hedger-$name.out"; fail "hedger $name did not start"; }
}

labenv_hedger_stop() {
	kill -INT "$HPID"
	wait "$HPID" || fail "hedger exit status $?"
}

labenv_stats() { ip netns exec "$CLIENT_NS" "$HEDGER_BUILD/hedger" stats --dev "$CLIENT_IF" "$@"; }

# labenv_client NAME ARGS... - hedge-client (closed loop by default) in the client.
labenv_client() {
	local name=$1
	shift
	ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --out "$WORK/$name" -q "$@" >/dev/null ||
		fail "hedge-client $name failed"
}

# summary columns: label,count,min,p50,p90,p95,p99,p99.9,max,mean (ns)
pct_ms() { awk -F, -v c="$2" '$1 == "latency" { printf "%.3f", $c / 1e6 }' "$WORK/$1/summary.csv"; }
p99_ms() { pct_ms "$1" 7; }
p999_ms() { pct_ms "$1" 8; }
client_dups() { grep -o 'duplicates seen [0-9]*' "$WORK/$1/summary.txt" | awk '{ print $3 }'; }
statget() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
