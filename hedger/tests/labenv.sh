# labenv.sh: sourced by the hedger's replica/adaptive/budget tests. Uses
# netns-lab's `lab.sh up replicas N` (client -> router -> replica k at
# 198.18.k.1) with a private state directory, and removes the lab, the
# processes started here and the work directory from the caller's EXIT trap.
# Needs: HEDGER_BUILD, CHAOS_SERVER, HEDGE_CLIENT (meson env).

LABENV_PIDS=""
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

labenv_require() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ip >/dev/null || skip "needs iproute2"
	[ -x "${CHAOS_SERVER:-}" ] || skip "chaos-server not built"
	[ -x "${HEDGE_CLIENT:-}" ] || skip "hedge-client not built"
	[ -x "${HEDGER_SRC:?}/../netns-lab/lab.sh" ] || skip "netns-lab not present"
	ip netns add "khtest-probe-$$" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "khtest-probe-$$"
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

labenv_wait_line() {
	local i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}

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
		labenv_wait_line "$WORK/cs-$name.out" "listening on\|already in use" 10 ||
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

# labenv_hedger NAME ARGS... - hedger attach on the client's interface.
labenv_hedger() {
	local name=$1
	shift
	ip netns exec "$CLIENT_NS" "$HEDGER_BUILD/hedger" attach --dev "$CLIENT_IF" --interval 0 "$@" \
		>"$WORK/hedger-$name.out" 2>&1 &
	HPID=$!
	labenv_track $HPID
	labenv_wait_line "$WORK/hedger-$name.out" "^backend: " 10 ||
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
