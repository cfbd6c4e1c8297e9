# labenv.sh: sourced by the hedger's namespace tests, on top of tests/lib.sh
# (skip, fail, track, wait_line, the EXIT trap). Builds the topology with
# netns-lab's lab.sh (a private state directory): `pair` (client <-> server
# over one veth) or `replicas N` (client -> router -> replica k at
# 198.18.k.1), and removes the lab, the processes started here and the work
# directory when the test exits. Needs: HEDGER_BUILD (meson env); the
# replicas tests also CHAOS_SERVER and HEDGE_CLIENT.

. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib.sh"

# labenv_require_lab - skip (77) without root, namespaces or netns-lab.
labenv_require_lab() {
	require_netns
	[ -x "${HEDGER_SRC:?}/../netns-lab/lab.sh" ] || skip "netns-lab not present"
}

labenv_require() {
	labenv_require_lab
	[ -x "${CHAOS_SERVER:-}" ] || skip "chaos-server not built"
	[ -x "${HEDGE_CLIENT:-}" ] || skip "hedge-client not built"
}

# labenv_lab [--keep-awake] TOPOLOGY... - lab.sh up TOPOLOGY (its KEY=VALUE
# lines become variables) and a work directory WORK; with --keep-awake the
# CPUs are kept out of idle when the spinner is built (KEPT_AWAKE=1).
labenv_lab() {
	local out ka="" prefix
	WORK=$(mktemp -d)
	on_exit labenv_cleanup
	export KH_LAB_STATE_DIR="$WORK/labstate"
	mkdir -p "$KH_LAB_STATE_DIR"
	KEPT_AWAKE=0
	if [ "$1" = --keep-awake ]; then
		shift
		if [ -n "${KEEPAWAKE:-}" ] && [ -x "$KEEPAWAKE" ]; then
			export KH_KEEPAWAKE_BIN="$KEEPAWAKE"
			ka=--keep-awake
			KEPT_AWAKE=1
		fi
	fi
	LAB_SH="$HEDGER_SRC/../netns-lab/lab.sh"
	# A prefix of our own: lab.sh's default "kh" + hex could begin "khd" or
	# "khp", the names of the hedger's own links that the tests look for.
	prefix=ht$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
	out=$("$LAB_SH" up "$@" $ka --prefix "$prefix" --owner-pid $$ -q) || fail "lab.sh up $*"
	eval "$out"
	LAB_UP=1
}

# labenv_up N - replicas lab with N replicas, CPUs kept awake.
labenv_up() { labenv_lab --keep-awake replicas "$1"; }

# labenv_pair [--keep-awake] - pair lab: NS_C/DEV_C/ADDR_C (client),
# NS_S/DEV_S/ADDR_S (server), NS_C_INO (the client namespace's inode, which
# names the hedger's state files there). The client knows the server's MAC
# (static neighbours), so no first request waits for ARP or ND.
labenv_pair() {
	local mac
	labenv_lab "$@" pair
	NS_C=$CLIENT_NS; DEV_C=$CLIENT_IF; ADDR_C=$CLIENT_ADDR
	NS_S=$SERVER_NS; DEV_S=$SERVER_IF; ADDR_S=$SERVER_ADDR
	NS_C_INO=$(ip netns exec "$NS_C" stat -L -c %i /proc/self/ns/net)
	mac=$(ip -n "$NS_S" -o link show "$DEV_S" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n "$NS_C" neigh replace "$ADDR_S" lladdr "$mac" dev "$DEV_C" nud permanent
	ip -n "$NS_C" -6 neigh replace "$SERVER_ADDR6" lladdr "$mac" dev "$DEV_C" nud permanent
}

# labenv_instance - after labenv_pair, for the tests that end hedgers and
# look at what remains: bpftool on PATH (else skip), IFX (the client dev's
# ifindex), STATE (the hedger's state file for that dev), H ARGS... (the
# hedger in the client namespace) and out (a file for its output).
labenv_instance() {
	command -v bpftool >/dev/null || PATH=$PATH:/usr/sbin
	command -v bpftool >/dev/null || skip "needs bpftool"
	IFX=$(ip netns exec "$NS_C" cat /sys/class/net/"$DEV_C"/ifindex 2>/dev/null ||
	      ip -n "$NS_C" -o link show "$DEV_C" | cut -d: -f1)
	STATE=/run/kernel-hedge/net$NS_C_INO-$IFX.state
	out=$WORK/hedger.out
}
H() { ip netns exec "$NS_C" "$HEDGER_BUILD/hedger" "$@"; }

# labenv_two_cpu_pair - for the tests that pin the sender to CPU 0 and look
# at CPU 1: the pair lab (CPUs kept awake), labenv_instance and SVC (the
# server's address:9999); skips without two CPUs or taskset.
labenv_two_cpu_pair() {
	labenv_require_lab
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 CPUs"
	command -v taskset >/dev/null || skip "needs taskset"
	labenv_pair --keep-awake
	labenv_instance
	SVC="$ADDR_S:9999"
}

# labenv_expect_usage_error TEXT ARGS... - `hedger ARGS...` in the client
# namespace exits 2 with one error line that contains TEXT, and leaves no
# delay line behind.
labenv_expect_usage_error() {
	local want=$1 rc
	shift
	H "$@" >"$WORK/bad" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "hedger $*: exit $rc, want 2"
	grep -q -- "$want" "$WORK/bad" || { cat "$WORK/bad"; fail "hedger $*: no error line with '$want'"; }
	[ "$(wc -l <"$WORK/bad")" = 1 ] || { cat "$WORK/bad"; fail "hedger $*: more than one error line"; }
	! ip -n "$NS_C" link show | grep -q 'khd[0-9]' || fail "hedger $*: bad input left a delay line"
}

# labenv_prog_gone ID - true once BPF program ID is no longer loaded. Its
# release is deferred (RCU, then a workqueue): on a busy machine it can
# outlive the process by a moment, so it gets up to 2 s; one still attached
# somewhere never goes.
labenv_prog_gone() {
	local i
	for i in $(seq 20); do bpftool prog show id "$1" >/dev/null 2>&1 || return 0; sleep 0.1; done
	! bpftool prog show id "$1" >/dev/null 2>&1
}

labenv_cleanup() {
	stop_tracked
	[ "${LAB_UP:-0}" = 1 ] && "$LAB_SH" down --quiet --prefix "$LAB_PREFIX" >/dev/null 2>&1
	LAB_UP=0
	# State files a killed hedger left in the removed client namespace.
	[ -n "${NS_C_INO:-}" ] && rm -f /run/kernel-hedge/net"$NS_C_INO"-*.state
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	return 0
}

labenv_track() { track "$1"; }

# word LINE KEY - the word after KEY in a line of "key value" pairs.
word() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }

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
		wait_line "$WORK/cs-$name.out" "listening on\|already in use" 10 ||
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
	wait_line "$WORK/hedger-$name.out" "^backend: " 10 ||
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

# pct_ms NAME COLUMN - a latency percentile (summary.csv column p50, p95,
# p99, p99.9, ...) of hedge-client run NAME, in ms.
pct_ms() {
	ra_csv -v c="$2" '$col("label") == "latency" { printf "%.3f", $col(c) / 1e6 }' "$WORK/$1/summary.csv"
}
p99_ms() { pct_ms "$1" p99; }
p999_ms() { pct_ms "$1" p99.9; }
client_dups() { ra_keyval duplicates "$WORK/$1/params.txt"; }
# stalled_within NAME LIMIT_NS - how many ids with id % 100 in {2, 3} (the ones
# replica 1 stalls) run NAME answered within LIMIT_NS (requests.csv).
stalled_within() {
	ra_csv -v lim="$2" '$col("id") % 100 >= 2 && $col("id") % 100 < 4 &&
		$col("reply_ns") - $col("actual_send_ns") <= lim { n++ } END { print n + 0 }' "$WORK/$1/requests.csv"
}
statget() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

# labenv_expect_twice LABEL N T_MS [SLACK_MS] - with a hedger on the client
# and a sink that never answers on $ADDR_S:9999: N requests from CPU 0, 25 ms
# apart; every id must arrive exactly twice, the copy not early (>= T - 1 ms)
# and with a median gap <= T + SLACK_MS (default 1). Prints LABEL's gaps.
labenv_expect_twice() {
	local label=$1 n=$2 t_ns=$(($3 * 1000000)) slack_ns=$((${4:-1} * 1000000)) spid copies2 p50 min
	ip netns exec "$NS_S" "$HEDGER_BUILD/tests/udp_probe" sink --bind "$ADDR_S:9999" \
		--duration 4s >"$WORK/sink" &
	spid=$!; track $spid
	wait_line "$WORK/sink" ready 5 || fail "sink did not start"
	ip netns exec "$NS_C" taskset -c 0 "$HEDGER_BUILD/tests/udp_probe" send --to "$ADDR_S:9999" \
		--count "$n" --interval 25ms --wait 100ms >/dev/null || fail "sender failed"
	wait $spid
	copies2=$(grep -c "copies 2 " "$WORK/sink")
	[ "$copies2" = "$n" ] || { cat "$WORK/sink"; fail "$label: $copies2 of $n ids arrived exactly twice"; }
	read -r p50 min < <(awk '/copies 2/ { print $6 }' "$WORK/sink" | sort -n |
		awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1] }')
	echo "$label: hold gap min $((min - t_ns)) ns p50 $((p50 - t_ns)) ns (cpus kept awake: ${KEPT_AWAKE:-0})"
	[ "$min" -ge $((t_ns - 1000000)) ] || fail "$label: a hedge left early: gap $min ns"
	[ "$p50" -le $((t_ns + slack_ns)) ] || fail "$label: median gap $p50 ns > T + ${4:-1} ms"
}
