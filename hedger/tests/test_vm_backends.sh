#!/usr/bin/env bash
# test_vm_backends.sh [KERNEL...] - functional proof of every delay-line
# backend (netem, edt, htb, recirc) on Debian stock kernels (default: 6.1 and
# 6.12), booted with netns-lab/vm.sh: this host's kernel has no netem/sch_fq.
# Inside the VM (this same script, "--inside BUILD"):
#   - `hedger probe` reports netem and edt (and htb, recirc) available, and
#     its throw-away veth pair is gone afterwards;
#   - the BPF unit tests of the base data path (parse, reply, rescuer,
#     lru, edt_tstamp, carriers) pass on that kernel's verifier and helpers;
#   - per backend and per IPv4/IPv6, two namespaces (nslib.sh), hedger
#     attached with T = 300 ms:
#     1. server silent: every request arrives exactly twice, the second copy
#        (the hedge) after the first; requests = clones = hedges_sent = N;
#     2. server answers at once: no request is hedged (one copy each, every
#        clone dropped because the reply won, every id answered);
#     3. server answers every copy after T + 1 s: hedged, both copies answered,
#        the client sees one reply per id (duplicates dropped in the kernel);
#     4. SIGINT: exit 0, and no line veth, clsact, filter or state file left.
# The VM's clock is emulated (TCG), so only functional facts are asserted; the
# one ordering check is loose: the hedge reaches the server at least T/2 after
# the original (the line's qdisc holds it T on the same guest clock; a line
# that does not hold shows a gap of microseconds). Gaps are printed, not judged.
# A kernel vm.sh cannot fetch is skipped with the reason; all skipped -> 77.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BACKENDS="netem edt htb recirc"
# T is large for an emulated clock: a reply that comes at once must beat it
# even when TCG stalls the guest for a while (outliers of 80 ms were seen).
T_MS=300; LATE_MS=1300; N=10

# ---------------------------------------------------------------- in the VM
inside_fail() {
	echo "VM_FAIL $B: $*"
	# What the phase saw, for the log: client's view, non-zero counter deltas.
	[ -n "${SEND:-}" ] && [ -s "$SEND" ] && echo "  sender: $(cat "$SEND")"
	[ -n "${SINK:-}" ] && [ -s "$SINK" ] &&
		echo "  sink: $(grep -vc ' copies 2 ' "$SINK") lines without 2 copies: $(grep -v ' copies 2 ' "$SINK" | head -n 3 | tr '\n' ';')"
	[ -n "${STATS_NOW:-}" ] && [ -s "$STATS_NOW" ] && [ -s "$STATS_WAS" ] &&
		echo "  counters: $(awk 'NR == FNR { was[$1] = $2; next }
			NF == 2 && $2 - was[$1] != 0 { printf "%s +%d ", $1, $2 - was[$1] }' \
			"$STATS_WAS" "$STATS_NOW")"
	[ -n "${NS_C:-}" ] && echo "  drops: client $(ip -n "$NS_C" -s -o link show "$DEV_C" | tr -s ' ' | cut -c1-400)" &&
		echo "  drops: server $(ip -n "$NS_S" -s -o link show "$DEV_S" | tr -s ' ' | cut -c1-400)"
	exit 1
}

# stats_snap FILE - the counters now; stats_delta NAME - NAME's growth
# from STATS_WAS to STATS_NOW; expect NAME VALUE - fail unless equal.
stats_snap() {
	ip netns exec "$NS_C" "$BUILD/hedger" stats --dev "$DEV_C" >"$1" ||
		inside_fail "hedger stats failed"
}
stats_delta() {
	local now was
	now=$(awk -v k="$1" '$1 == k { print $2 }' "$STATS_NOW")
	was=$(awk -v k="$1" '$1 == k { print $2 }' "$STATS_WAS")
	echo $(( ${now:-0} - ${was:-0} ))
}
expect() {
	local v
	v=$(stats_delta "$1")
	[ "$v" = "$2" ] || inside_fail "phase $PHASE: $1 $v, want $2"
}

# phase NAME SINK_SECONDS SEND_WAIT SINK_ARGS... - one sink run against N
# requests (50 ms apart), counters around it.
phase() {
	PHASE=$1; local dur=$2 wait=$3; shift 3
	rm -f "$STATS_NOW"
	stats_snap "$STATS_WAS"
	ip netns exec "$NS_S" "$BUILD/tests/udp_probe" sink --bind "$SVC" --duration "$dur" "$@" \
		>"$SINK" 2>&1 &
	local spid=$!
	nslib_track $spid
	nslib_wait_line "$SINK" ready 20 || inside_fail "phase $PHASE: sink did not start"
	ip netns exec "$NS_C" "$BUILD/tests/udp_probe" send --to "$SVC" --count $N \
		--interval 50ms --wait "$wait" >"$SEND" 2>&1 || inside_fail "phase $PHASE: sender failed"
	wait $spid
	stats_snap "$STATS_NOW"
}

copies() { grep -c "^id [0-9]* copies $1 " "$SINK"; }

run_backend() {
	B="$1 IPv$2"
	nslib_setup
	NS_C_INO=$(ip netns exec "$NS_C" stat -L -c %i /proc/self/ns/net)
	SVC="$ADDR_S:9999"
	# Static neighbours both ways (nslib sets the client's): no ARP/ND in
	# the counted phases, which slow emulated runs would otherwise see.
	mac_c=$(ip -n "$NS_C" -o link show "$DEV_C" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n "$NS_S" neigh replace "$ADDR_C" lladdr "$mac_c" dev "$DEV_S" nud permanent
	if [ "$2" = 6 ]; then
		# The benchmarking prefix 2001:2::/48 (RFC 5180), static neighbour.
		ip -n "$NS_C" addr add 2001:2::1/64 dev "$DEV_C" nodad &&
			ip -n "$NS_S" addr add 2001:2::2/64 dev "$DEV_S" nodad ||
			inside_fail "cannot add IPv6 addresses"
		mac=$(ip -n "$NS_S" -o link show "$DEV_S" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
		ip -n "$NS_C" -6 neigh replace 2001:2::2 lladdr "$mac" dev "$DEV_C" nud permanent
		ip -n "$NS_S" -6 neigh replace 2001:2::1 lladdr "$mac_c" dev "$DEV_S" nud permanent
		SVC="[2001:2::2]:9999"
	fi
	tmp=$(mktemp -d)
	trap 'nslib_cleanup; rm -rf "$tmp"' EXIT
	OUT=$tmp/hedger.out SINK=$tmp/sink SEND=$tmp/send STATS_WAS=$tmp/was STATS_NOW=$tmp/now

	ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" \
		--delay ${T_MS}ms --backend "$1" --classes 64 --interval 0 >"$OUT" 2>&1 &
	HPID=$!; nslib_track $HPID
	nslib_wait_line "$OUT" "^hook:" 30 || inside_fail "hedger did not start: $(cat "$OUT")"
	grep -qx "backend: $1" "$OUT" || inside_fail "no 'backend: $1' line: $(cat "$OUT")"
	line=$(grep -o 'khd[0-9]*a' "$OUT" | head -n 1)
	[ -n "$line" ] || inside_fail "no line name in: $(cat "$OUT")"
	case $1 in
	netem) ip -n "$NS_C" link show "$line" >/dev/null &&
		ip netns exec "$NS_C" tc qdisc show dev "$line" | grep -q "^qdisc netem .*delay" ||
		inside_fail "no netem qdisc on $line" ;;
	edt) ip netns exec "$NS_C" tc qdisc show dev "$line" | grep -q "^qdisc fq .*horizon 60s" ||
		inside_fail "no fq qdisc (horizon 60s) on $line" ;;
	esac

	# Last hedge at about 0.5 s + T: the sink listens 2 s.
	phase silent 2s 0ms
	expect requests $N; expect clones $N; expect hedges_sent $N; expect clone_failed 0
	[ "$(copies 2)" = $N ] || inside_fail "silent: $(copies 2) of $N ids arrived twice: $(cat "$SINK")"
	gaps=$(awk '/copies 2/ { print $6 }' "$SINK" | sort -n | tr '\n' ' ')
	min=${gaps%% *}
	[ "$min" -ge $((T_MS * 500000)) ] ||
		inside_fail "silent: a hedge reached the server ${min} ns after its original (< T/2)"

	phase answered 2s 1s --reply
	expect requests $N; expect clones $N; expect hedges_sent 0
	expect clones_dropped_reply_won $N; expect replies $N
	[ "$(copies 1)" = $N ] || inside_fail "answered: $(copies 1) of $N ids seen once: $(cat "$SINK")"
	grep -q "^sent $N replies $N duplicates 0 ids_answered $N\$" "$SEND" ||
		inside_fail "answered: client saw $(cat "$SEND")"

	# The hedge must leave before the original's reply is back (T + 1 s of
	# slack for TCG hiccups); last reply at about 0.5 s + T + LATE.
	phase late 5s 2500ms --reply --reply-delay ${LATE_MS}ms
	expect requests $N; expect hedges_sent $N
	[ "$(copies 2)" = $N ] || inside_fail "late: $(copies 2) of $N ids arrived twice"
	expect replies $N; expect duplicate_replies_dropped $N
	grep -q "^sent $N replies $N duplicates 0 ids_answered $N\$" "$SEND" ||
		inside_fail "late: client saw $(cat "$SEND")"

	kill -INT $HPID
	wait $HPID; rc=$?
	[ $rc = 0 ] || inside_fail "hedger exited with $rc after SIGINT: $(tail -n 3 "$OUT")"
	left=$(ip -n "$NS_C" -o link show | grep -o 'khd[0-9]*[ab]' || true)
	[ -z "$left" ] || inside_fail "left behind after SIGINT: links $left"
	ip netns exec "$NS_C" tc qdisc show dev "$DEV_C" | grep -q clsact &&
		inside_fail "left behind after SIGINT: clsact on $DEV_C"
	for dir in ingress egress; do
		[ -z "$(ip netns exec "$NS_C" tc filter show dev "$DEV_C" $dir 2>/dev/null)" ] ||
			inside_fail "left behind after SIGINT: $dir filter on $DEV_C"
	done
	ls /run/kernel-hedge/net"$NS_C_INO"-*.state >/dev/null 2>&1 &&
		inside_fail "left behind after SIGINT: state file"
	echo "VM_OK $B: $(sed -n 's/^hook: \([a-z]*\),.*/hook \1/p' "$OUT"), hedge-original gaps (ns, guest clock) $gaps"
	exit 0
}

inside() {
	BUILD=$1
	. "$here/nslib.sh"
	nslib_require
	local failed=0 probe
	probe=$("$BUILD/hedger" probe 2>&1) || { echo "VM_FAIL probe: exit $?: $probe"; failed=1; }
	echo "$probe" | sed 's/^/probe: /'
	for b in netem edt htb recirc; do
		echo "$probe" | grep -qx "backend $b: yes" || { echo "VM_FAIL probe: $b not available"; failed=1; }
	done
	ip -o link show | grep -q 'khp[0-9]*[ab]' && { echo "VM_FAIL probe: veth pair left"; failed=1; }
	[ $failed = 0 ] && echo "VM_OK probe"
	# The BPF unit tests of the base data path, on this kernel's verifier
	# and helpers (edt_tstamp fails on < 6.11 without the restore fix;
	# carriers loads the carriers' batch loop, which only a run with
	# carriers on makes the verifier check; htb_finish the rescuer with
	# --htb-finish's rounds, in the clone path and the batch loop).
	# Not bpf_splitter: its htb pool-exhaustion check assumes the class is
	# still in debt at the next test run, which TCG's slow runs break.
	local bad=""
	for t in parse reply rescuer scoreboard trust generation proto edt_tstamp carriers htb_finish; do
		"$BUILD/tests/test_bpf_$t" >"/tmp/bpf_$t.out" 2>&1 || bad="$bad $t: $(tail -n 3 "/tmp/bpf_$t.out")"
	done
	[ -z "$bad" ] && echo "VM_OK bpf unit tests" || { echo "VM_FAIL bpf unit tests:$bad"; failed=1; }
	# One retry per run: in full-suite runs on this shared host, 3 single
	# phases out of ~100 lost or delayed a packet (all 6.1, IPv6; never
	# reproduced alone; the guest stalls when TCG is starved of host CPU).
	# A real bug fails both attempts; the retry is printed (VM_RETRY).
	for b in $BACKENDS; do
		for fam in 4 6; do
			( run_backend "$b" "$fam" ) && continue
			echo "VM_RETRY $b IPv$fam"
			( run_backend "$b" "$fam" ) || failed=1
		done
	done
	[ -z "$(ip netns list)" ] || { echo "VM_FAIL namespaces left: $(ip netns list)"; failed=1; }
	return $failed
}

if [ "${1:-}" = --inside ]; then
	[ -n "${3:-}" ] && BACKENDS=$3	# a subset, when debugging by hand
	inside "${2:?build dir}"
	exit $?
fi

# -------------------------------------------------------------- on the host
VM_SH=${KH_VM_SH:-$(cd "$here/../.." && pwd)/netns-lab/vm.sh}
BUILD=${HEDGER_BUILD:?set by meson (the build dir of hedger)}
BUILD=$(cd "$BUILD" && pwd)
SHARE=$(cd "$BUILD/.." && pwd)
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 77; }
[ -x "$BUILD/hedger" ] && [ -x "$BUILD/tests/udp_probe" ] ||
	{ echo "FAIL: $BUILD/hedger or tests/udp_probe not built"; exit 1; }

kernels=${*:-6.1 6.12}
ran=0 failed=0 skipped="" retries=""
for k in $kernels; do
	rc=0
	fetch=$("$VM_SH" fetch --kernel "$k" 2>&1) || rc=$?
	if [ $rc = 77 ]; then
		skipped="$skipped $k ($(echo "$fetch" | grep -m1 error))"
		echo "SKIP kernel $k: $(echo "$fetch" | grep -m1 error)"
		continue
	fi
	[ $rc = 0 ] || { echo "FAIL: vm.sh fetch --kernel $k: $fetch"; failed=1; continue; }
	rc=0
	out=$("$VM_SH" run -q --kernel "$k" --share "$SHARE" --timeout 600 -- \
		bash "$here/test_vm_backends.sh" --inside "$BUILD" 2>&1) || rc=$?
	ran=$((ran + 1))
	echo "== kernel $k ($(echo "$fetch" | sed -n 's/^KERNEL_RELEASE=//p')): exit $rc"
	echo "$out" | grep -E '^(VM_OK|VM_FAIL|VM_RETRY|FAIL|SKIP|probe: (hook|backend)|  (sender|sink|counters|drops):)' | sed 's/^/  /'
	retries="$retries$(echo "$out" | sed -n "s/^VM_RETRY / $k:/p" | tr -d '\n')"
	nok=$(echo "$out" | grep -c '^VM_OK ')
	if [ $rc != 0 ] || [ "$nok" != 10 ]; then
		[ $rc = 124 ] && echo "  the VM did not finish in time"
		[ $rc = 0 ] || echo "$out" | tail -n 30 | sed 's/^/  | /'
		echo "FAIL: kernel $k: $nok of 10 checks passed (probe, bpf unit tests, 4 backends x IPv4/IPv6)"
		failed=1
	fi
done
[ $failed = 0 ] || exit 1
[ $ran -gt 0 ] || { echo "SKIP: no kernel could be had:$skipped"; exit 77; }
echo "PASS: probe, bpf unit tests, $BACKENDS (IPv4 and IPv6) on $ran kernel(s)${skipped:+; skipped:$skipped}${retries:+; passed on retry:$retries}"
