#!/usr/bin/env bash
# test_signals.sh HOOK - every way a hedger ends leaves nothing behind:
#   1. each terminating signal it can catch (HUP, QUIT, USR1, USR2, ALRM,
#      TERM; INT is in test_lifecycle) removes the programs, the line, the
#      filters and the state file;
#   2. a closed stdout (the reader went away: `hedger attach | head -1`)
#      neither kills it (SIGPIPE) nor cuts the cleanup after SIGINT short;
#   3. tc hook, teardown order: the reply filter outlives the delay line
#      (hedges in flight keep their duplicate filtering), the splitter goes
#      first;
#   4. tc hook: a kill -9 with no state file (as if killed between the tc
#      attach and writing it): `detach --dev` still removes exactly the
#      hedger's filters (its own handle/priority);
#   5. SIGTERM at 0..250 ms into the setup leaves nothing either;
#   6. tcx run: a pair khp<pid>a/b left by a killed `hedger probe` is removed
#      by the next `detach` and by the next `probe`.
# HOOK is tcx or tc.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
HOOK=${1:?tcx or tc}

labenv_require_lab
labenv_pair
labenv_instance
ATTACH=(attach --dev "$DEV_C" --service "$ADDR_S:9999" --backend htb --hook "$HOOK" --classes 16
	--interval 0)

# ready - the instance is fully attached: the state file has program ids.
ready() {
	local i
	for i in $(seq 200); do
		grep -qE '^prog_splitter=[1-9]' "$STATE" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

start() {
	: >"$out"
	# SIGHUP back to its default: the hedger rightly keeps an inherited
	# SIG_IGN (nohup), and whatever started this test may have ignored it.
	ip netns exec "$NS_C" env --default-signal=HUP "$BUILD/hedger" "${ATTACH[@]}" "$@" >"$out" 2>&1 &
	HPID=$!; track $HPID
	ready || { cat "$out"; fail "hedger did not start"; }
	PROGS=$(awk -F= '/^prog_/ { print $2 }' "$STATE")
}

our_filters() {
	# The hedger's cls_bpf filters carry handle 0x6b68 at priority 0x6b68 (27496).
	tc -n "$NS_C" filter show dev "$DEV_C" "$1" 2>/dev/null | grep -c "pref 27496 bpf.*handle 0x6b68"
}

assert_clean() {
	local what=$1 p
	for p in $PROGS; do
		labenv_prog_gone "$p" || fail "$what: program $p still loaded (attached somewhere)"
	done
	ip -n "$NS_C" link show | grep -q "khd" && fail "$what: a khd link left"
	tc -n "$NS_C" qdisc show dev "$DEV_C" | grep -q clsact && fail "$what: clsact left on $DEV_C"
	[ -e "$STATE" ] && fail "$what: state file left"
	echo "ok: $what: clean"
}

# 1. Every terminating signal.
for sig in HUP QUIT USR1 USR2 ALRM TERM; do
	start
	kill -s "$sig" $HPID
	wait_exit $HPID 60 "hedger after SIG$sig" "$out"; rc=$?
	[ $rc = 0 ] || { cat "$out"; fail "exit status $rc after SIG$sig"; }
	grep -q "^final: " "$out" || fail "no final: line after SIG$sig"
	assert_clean "after SIG$sig"
done

# 2. A closed stdout: the reader takes the first line and goes away.
fifo=$WORK/out.fifo
mkfifo "$fifo"
head -1 <"$fifo" >"$WORK/head.out" &
HEAD=$!
ip netns exec "$NS_C" "$BUILD/hedger" "${ATTACH[@]}" --interval 20ms >"$fifo" 2>"$WORK/err" &
HPID=$!; track $HPID
ready || { cat "$WORK/err"; fail "hedger (stdout to a pipe) did not start"; }
PROGS=$(awk -F= '/^prog_/ { print $2 }' "$STATE")
wait $HEAD
sleep 0.3	# counter lines into the closed pipe
kill -0 $HPID 2>/dev/null || fail "hedger died when its reader went away (SIGPIPE)"
kill -INT $HPID
wait $HPID; rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGINT with a closed stdout"
grep -q "^backend: htb" "$WORK/head.out" || fail "the reader did not get the first line"
assert_clean "closed stdout, then SIGINT"

# 3. Teardown order, watched from outside (tc filters are visible to tc;
# this bpftool cannot list TCX links): requests to a port nobody serves are
# all hedged; after SIGTERM the drain wait (T + RTT, here T = 900ms: room
# for several samples on a loaded machine) keeps the reply filter on while
# the line is already gone.
if [ "$HOOK" = tc ]; then
	start --delay 900ms
	ip netns exec "$NS_C" "$BUILD/tests/udp_probe" send --to "$ADDR_S:9999" --count 5 \
		--interval 1ms --wait 1200ms >/dev/null 2>&1
	grep -q '^hedges_sent  *[1-9]' <(H stats --dev "$DEV_C") || fail "nothing hedged: no drain to see"
	# One sampler process in the namespace (its sysfs shows the line):
	# each sample costs two tc runs, so several fit into the drain.
	ip netns exec "$NS_C" bash -c '
		while kill -0 '"$HPID"' 2>/dev/null; do
			l=0; [ -e /sys/class/net/khd'"$IFX"'a ] && l=1
			i=$(tc filter show dev '"$DEV_C"' ingress | grep -c "pref 27496 bpf")
			e=$(tc filter show dev '"$DEV_C"' egress | grep -c "pref 27496 bpf")
			echo "$l $i $e"
		done' >"$WORK/samples" 2>/dev/null &
	SAMPLER=$!
	sleep 0.2
	kill -TERM $HPID
	wait $HPID
	wait $SAMPLER
	# line gone (0), reply filter still on (1): the drain; the splitter is
	# never on once the line is gone.
	filter_after_line=$(awk '$1 == 0 && $2 >= 1' "$WORK/samples" | wc -l)
	splitter_after_line=$(awk '$1 == 0 && $3 >= 1' "$WORK/samples" | wc -l)
	info "teardown samples (line ingress egress): $(sort "$WORK/samples" | uniq -c | tr '\n' ';')"
	[ "$filter_after_line" -ge 1 ] || fail "teardown: the reply filter was never on after the line was gone"
	[ "$splitter_after_line" = 0 ] || fail "teardown: the splitter outlived the delay line"
	echo "ok: teardown order splitter -> line -> (drain) -> reply filter"
	assert_clean "after the ordered teardown"
fi

# 4. tc: killed before the state file was written.
if [ "$HOOK" = tc ]; then
	start
	[ "$(our_filters ingress)" = 1 ] && [ "$(our_filters egress)" = 1 ] || fail "no hedger filters seen"
	rm -f "$STATE"
	kill -9 $HPID; wait $HPID 2>/dev/null
	H detach --dev "$DEV_C" >"$WORK/detach.out" || fail "detach without a state file failed"
	[ "$(our_filters ingress)" = 0 ] || fail "detach without a state file left the ingress filter"
	[ "$(our_filters egress)" = 0 ] || fail "detach without a state file left the egress filter"
	ip -n "$NS_C" link show | grep -q "khd" && fail "detach without a state file left the line"
	echo "ok: detach --dev removes the hedger's filters without a state file"
	tc -n "$NS_C" qdisc del dev "$DEV_C" clsact 2>/dev/null
fi

# 5. A signal at any moment of the setup (netlink calls in flight, the
# programs half attached): the instance still ends with nothing left.
for ms in 0 5 10 20 40 60 90 130 180 250; do
	ip netns exec "$NS_C" "$BUILD/hedger" "${ATTACH[@]}" >"$out" 2>&1 &
	HPID=$!; track $HPID
	sleep "$(printf '0.%03d' "$ms")"
	# TERM, not INT: a background job of a script starts with SIGINT
	# ignored, and an INT before the hedger installs its handler is lost.
	kill -TERM $HPID 2>/dev/null
	wait_exit $HPID 60 "hedger after SIGTERM ${ms}ms into the setup" "$out"
	ip -n "$NS_C" link show | grep -q "khd" && { cat "$out"; fail "SIGTERM ${ms}ms into the setup left a line"; }
	[ -e "$STATE" ] && fail "SIGTERM ${ms}ms into the setup left the state file"
	[ "$HOOK" = tc ] && [ "$(our_filters ingress)$(our_filters egress)" != 00 ] &&
		fail "SIGTERM ${ms}ms into the setup left a filter"
	tc -n "$NS_C" qdisc show dev "$DEV_C" | grep -q clsact && fail "SIGTERM ${ms}ms into the setup left clsact"
done
echo "ok: SIGTERM at 0..250 ms into the setup leaves nothing"

# 6. A killed probe's pair: removed by the next detach and the next probe.
if [ "$HOOK" = tcx ]; then
	sh -c 'exit 0' & dead=$!; wait $dead	# a pid that no longer runs
	mkpair() { ip -n "$NS_C" link add "khp${1}a" type veth peer name "khp${1}b" || fail "ip link add"; }
	mkpair $dead
	sleep 30 & live=$!; track $live		# alive, but no hedger: its pair is stale too
	mkpair $live
	H detach --dev "$DEV_C" >/dev/null || fail "detach failed"
	ip -n "$NS_C" link show "khp${dead}a" >/dev/null 2>&1 && fail "detach left a dead probe's pair"
	ip -n "$NS_C" link show "khp${live}a" >/dev/null 2>&1 && fail "detach left a non-hedger pid's pair"
	mkpair $dead
	H probe >/dev/null || fail "probe failed"
	ip -n "$NS_C" link show | grep -q "khp" && fail "probe left a probe pair"
	echo "ok: killed probes' pairs removed by detach and by probe"
fi
echo PASS
