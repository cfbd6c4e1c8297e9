#!/usr/bin/env bash
# lab-source.sh: kh_lab_up exports the lab's variables, kh_lab_exec runs in
# it, and the lab is gone after the sourcing script exits (EXIT trap) or is
# killed with SIGKILL (owner watcher).
. "$(dirname "$0")/testlib.sh"
t_require_root
src=$(cd "$(dirname "$0")/.." && pwd)/lab-source.sh

# A child script that makes a lab, reports it, then exits normally or is killed.
child() {
	bash -c '. "$1"; kh_lab_up pair --prefix "$2" --quiet >/dev/null || exit 1
		[ "$(bash -c "echo \$SERVER_NS")" = "$2-server" ] || { echo "not exported"; exit 1; }
		kh_lab_exec client -- ip -o addr show | grep -q " $CLIENT_ADDR/" || { echo "exec wrong"; exit 1; }
		echo UP
		[ "$3" = kill ] && sleep 60
		exit 0' child "$src" "$1" "$2"
}

before=$(t_snapshot)
p=$(t_prefix)
[ "$(child "$p" exit)" = UP ] || fail "the child script failed"
t_assert_gone "$p" "$before" ""

q=$(t_prefix)
flag=$(mktemp)
child "$q" kill >"$flag" &
cpid=$!
for _ in $(seq 100); do [ "$(cat "$flag")" = UP ] && break; sleep 0.1; done
rm -f "$flag"
[ -n "$(ip netns list | awk -v p="$q-" 'index($1, p) == 1')" ] || fail "the killed child's lab never came up"
# SIGKILL the child's bash (not only the job's subshell) so no trap runs;
# then end its sleep, which this test started.
inner=$(ps -o pid= --ppid "$cpid" | tr -d ' ' | head -n 1)
inner_kids=$(ps -o pid= --ppid "${inner:-0}" 2>/dev/null | tr -d ' ' || true)
kill -KILL "${inner:-$cpid}" "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
[ -n "$inner_kids" ] && kill $inner_kids 2>/dev/null || true
for _ in $(seq 100); do
	[ -z "$(ip netns list | awk -v p="$q-" 'index($1, p) == 1')" ] && break
	sleep 0.1
done
t_assert_gone "$q" "$before" ""
pass
