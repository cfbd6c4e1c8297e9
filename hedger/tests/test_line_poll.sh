#!/usr/bin/env bash
# test_line_poll.sh - `--line-cpu 1 --line-poll`: a poll packet goes round
# the line's receive queue on CPU 1, so a clone handed over needs no IPI; it
# must never outlive the loader.
#
#   client ns                                         server ns
#   udp_probe send (pinned to CPU 0) -> DEV_C ======== DEV_S -> udp_probe sink
#        splitter: clone -> khd<if>b ingress (RPS -> CPU 1)
#        CPU 1: rescuer <-> khd<if>b ingress   (the poll packet, round and round)
#               rescuer -> khd<if>a (HTB) -> khd<if>b -> ... -> hedge out DEV_C
#
# Checked: the loop runs while attached (its round count grows), hedging is
# unchanged (every id of a silent server arrives twice, the copy T later);
# SIGINT removes everything; after kill -9 with the tc hook (its filters, and
# so the rescuer, stay attached until detach) the loop stops by itself once
# the heartbeat is stale (0.5 s): the round count no longer grows 1 s later
# while the rescuer is still loaded; --line-poll without --line-cpu is refused.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
T_MS=10; N=40

labenv_two_cpu_pair

# Bad input first: one error line, exit 2, nothing made.
labenv_expect_usage_error "--line-poll needs --line-cpu" attach --dev "$DEV_C" --service "$SVC" --line-poll

start() {	# HOOK
	: >"$out"
	ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC" \
		--delay ${T_MS}ms --backend htb --line-cpu 1 --line-poll --hook "$1" \
		--interval 0 >"$out" 2>&1 &
	HPID=$!; track $HPID
	wait_line "$out" "^line poll: CPU 1" 10 || { cat "$out"; fail "hedger did not start polling"; }
	RESCUER=$(awk -F= '$1 == "prog_rescuer" { print $2 }' "$STATE")
	[ -n "$RESCUER" ] || fail "no prog_rescuer in $STATE"
	POLLMAP=$(bpftool -j prog show id "$RESCUER" | python3 -c '
import json, subprocess, sys
for m in json.load(sys.stdin).get("map_ids", []):
    info = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(m)],
                                     capture_output=True, text=True).stdout)
    if info.get("name") == "line_poll":
        print(m)')
	[ -n "$POLLMAP" ] || fail "the rescuer has no line_poll map"
	r1=$(rounds); sleep 0.3; r2=$(rounds)
	echo "hook $1: rounds $r1 -> $r2 in 0.3 s"
	[ "$r2" -gt "$r1" ] || fail "hook $1: the poll packet does not go round ($r1 -> $r2)"
}
rounds() {	# the poll packet's round count
	bpftool -j map lookup id "$POLLMAP" key 0 0 0 0 | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d.get("value", d.get("formatted", {}).get("value"))
if isinstance(v, dict):
    print(v["rounds"])
else:
    print(int.from_bytes(bytes(int(b, 16) for b in v[8:16]), "little"))'
}

# 1. Attached (TCX or clsact, whichever this kernel has): the loop runs and
# hedging is what --line-cpu alone gives.
start auto

# The poll keeps CPU 1's softirq busy, so the line's work runs in ksoftirqd
# there: other load on CPU 1 delays it by a scheduler slice, hence 5 ms of
# slack for the median (the not-early bound is the same).
labenv_expect_twice line-poll $N $T_MS 5

kill -INT $HPID; wait $HPID || fail "hedger exited with $? after SIGINT"
labenv_prog_gone "$RESCUER" || fail "SIGINT: the rescuer is still loaded"
ip -n "$NS_C" link show | grep -q 'khd[0-9]' && fail "SIGINT: a delay line is left"
[ -e "$STATE" ] && fail "SIGINT: state file left"

# 2. kill -9 with the clsact hook: the rescuer stays attached, so only the
# stale heartbeat can end the loop.
start tc
kill -9 $HPID; wait $HPID 2>/dev/null
k0=$(rounds); sleep 0.1; k1=$(rounds)
echo "after kill -9: rounds $k0 -> $k1 in the first 0.1 s (the heartbeat is not stale yet)"
sleep 1
s1=$(rounds); sleep 0.5; s2=$(rounds)
echo "1.1 s after kill -9: rounds $s1 -> $s2 in 0.5 s"
bpftool prog show id "$RESCUER" >/dev/null 2>&1 || fail "kill -9: rescuer gone, the check proves nothing"
[ "$s2" = "$s1" ] || fail "the poll packet still goes round 1.1 s after kill -9 ($s1 -> $s2)"
H detach --dev "$DEV_C" || fail "detach failed"
labenv_prog_gone "$RESCUER" || fail "after detach: the rescuer is still loaded"
ip -n "$NS_C" link show | grep -q 'khd[0-9]' && fail "after detach: a delay line is left"
echo PASS
