#!/usr/bin/env bash
# test_lifecycle.sh HOOK - after SIGINT, and after kill -9 followed by
# `hedger detach`, nothing of the hedger remains: no program (a program that
# is still attached anywhere - TCX link or cls_bpf filter - stays loaded, so
# "its id is gone" proves it is attached nowhere), no veth pair, no qdisc on
# the client dev, no state file, nothing pinned. HOOK is tcx or tc (the
# clsact fallback, which survives kill -9 until detach).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
HOOK=${1:?tcx or tc}

labenv_require_lab
labenv_pair
labenv_instance

start() {
	# Not through H(): a backgrounded function is a subshell that would get the signals.
	# Emptied here, not by the background job's redirection: that runs in the
	# child, maybe after the wait below already saw the previous run's line.
	: >"$out"
	ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$ADDR_S:9999" \
		--backend htb --hook "$HOOK" --interval 0 >"$out" 2>&1 &
	HPID=$!; track $HPID
	wait_line "$out" "^backend: htb" 10 || { cat "$out"; fail "hedger did not start"; }
	[ -f "$STATE" ] || fail "no state file $STATE"
	PROGS=$(awk -F= '/^prog_/ { print $2 }' "$STATE")
	[ "$(echo $PROGS | wc -w)" = 3 ] || fail "state file lacks program ids"
	for p in $PROGS; do bpftool prog show id "$p" >/dev/null 2>&1 || fail "prog $p not loaded"; done
	ip -n "$NS_C" link show "khd${IFX}a" >/dev/null 2>&1 || fail "no delay line khd${IFX}a"
	tc -n "$NS_C" qdisc show dev "khd${IFX}a" | grep -q "qdisc htb 1:" || fail "no htb on the line"
	# Traffic through it, so the test covers a used instance.
	ip netns exec "$NS_C" "$BUILD/tests/udp_probe" send --to "$ADDR_S:9999" --count 5 \
		--interval 5ms --wait 50ms >/dev/null
}

assert_clean() {
	local what=$1 p
	for p in $PROGS; do
		labenv_prog_gone "$p" || fail "$what: program $p still loaded (attached somewhere)"
	done
	ip -n "$NS_C" link show "khd${IFX}a" >/dev/null 2>&1 && fail "$what: delay line left"
	ip -n "$NS_C" link show | grep -q 'khd[0-9]' && fail "$what: a khd link left"
	tc -n "$NS_C" qdisc show dev "$DEV_C" | grep -q clsact && fail "$what: clsact left on $DEV_C"
	tc -n "$NS_C" filter show dev "$DEV_C" ingress 2>/dev/null | grep -q bpf &&
		fail "$what: tc filter left on $DEV_C"
	[ -e "$STATE" ] && fail "$what: state file left"
	ls /sys/fs/bpf 2>/dev/null | grep -qi hedg && fail "$what: pinned object left"
	echo "$what: clean"
}

# 1. SIGINT: the instance removes exactly what it created.
start
kill -INT $HPID
wait $HPID || fail "exit status $? after SIGINT"
assert_clean "after SIGINT"

# 2. kill -9: links die with the process; the line and state wait for detach.
start
kill -9 $HPID
wait $HPID 2>/dev/null
if [ "$HOOK" = tcx ]; then
	sleep 0.2	# link release is deferred (RCU)
	for p in $PROGS; do
		bpftool prog show id "$p" >/dev/null 2>&1 && fail "kill -9: TCX program $p still attached"
	done
fi
H stats --dev "$DEV_C" >/dev/null 2>&1 && fail "stats claims a running instance after kill -9"
H attach --dev "$DEV_C" --service "$ADDR_S:9999" --backend htb --interval 0 >"$out" 2>&1 &&
	fail "attach over leftovers succeeded"
grep -q "detach" "$out" || fail "attach over leftovers did not say to run detach"
H detach --dev "$DEV_C" || fail "detach failed"
assert_clean "after kill -9 + detach"
H detach --dev "$DEV_C" | grep -q "nothing to detach" || fail "second detach not idempotent"
echo PASS
