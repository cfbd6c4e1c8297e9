# shellcheck shell=bash
# lib.sh - sourced by every shell test (bash): the verdicts (skip exits 77
# with the reason, fail 1, pass 0), waiting for a line in a log, and one EXIT
# trap that stops the processes a test started and runs its cleanups.
# A test that needs its own EXIT work registers it with on_exit instead of
# setting a trap of its own, which would replace this one.

T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_PIDS=()
T_AT_EXIT=()

skip() { echo "SKIP $T_NAME: $*"; exit 77; }
fail() { echo "FAIL $T_NAME: $*" >&2; exit 1; }
pass() { echo "PASS $T_NAME${1:+: $1}"; exit 0; }
info() { echo "# $*" >&2; }
# fail_later MSG - report a failure and go on; the test exits 1 at the end.
fail_later() { echo "FAIL $T_NAME: $*" >&2; T_FAILED=1; }
T_FAILED=0

# track PID - stop PID (TERM, then wait for it) when the test exits.
track() { T_PIDS+=("$1"); }

# on_exit CMD - run CMD (eval'd) when the test exits, after the tracked
# processes are stopped, in the order added; its failure does not change the
# test's verdict.
on_exit() { T_AT_EXIT+=("$1"); }

# stop_tracked - stop the tracked processes now (TERM, then wait for each).
stop_tracked() {
	local p
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	T_PIDS=()
	return 0
}

t_exit_trap() {
	local rc=$? c
	set +e
	stop_tracked
	for c in "${T_AT_EXIT[@]}"; do eval "$c"; done
	[ "$rc" = 0 ] && [ "$T_FAILED" = 1 ] && exit 1
	return $rc
}
trap t_exit_trap EXIT
trap 'exit 1' INT TERM

# wait_exit PID SECONDS WHAT [LOG] - wait for the child PID like `wait PID`
# and return its status; if it has not ended within SECONDS, print where it
# is stuck (state, wait channel, signal masks, kernel stacks of its threads)
# and LOG, kill it and fail: a hang becomes a diagnosable failure, not a
# timeout.
wait_exit() {
	local pid=$1 i=0 st t
	while [ $i -lt $(($2 * 10)) ]; do
		st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
		{ [ -z "$st" ] || [ "$st" = Z ]; } && { wait "$pid"; return; }
		sleep 0.1
		i=$((i + 1))
	done
	{
		echo "# $3: pid $pid still running after $2 s"
		ps -o pid,ppid,stat,wchan:32,etime,args -p "$pid" --ppid "$pid"
		grep -E '^(State|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt)' "/proc/$pid/status"
		for t in /proc/"$pid"/task/*; do echo "# task ${t##*/}:"; cat "$t/stack"; done
		[ -n "${4:-}" ] && { echo "# $4:"; cat "$4"; }
	} >&2 2>/dev/null
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	fail "$3: did not end within $2 s"
}

# work_dir - make a scratch directory, removed on exit, into T_WORK. Call it
# in the test's own shell, not in $(...), where the removal would be
# registered in a subshell.
work_dir() {
	T_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-$T_NAME.XXXXXX") || fail "mktemp -d failed"
	on_exit "rm -rf '$T_WORK'"
}

# wait_line FILE PATTERN SECONDS - until FILE has a line matching the grep
# PATTERN: 0, or 1 when SECONDS pass first.
wait_line() {
	local i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# ra_csv (a CSV by header name) and ra_keyval (KEY=VALUE files), shared
# with the experiments harness.
. "$(dirname "${BASH_SOURCE[0]}")/../experiments/lib/csv.sh"

# require_netns [WHAT] - skip unless root can create a network namespace.
require_netns() {
	local probe="khtest$$"
	[ "$(id -u)" = 0 ] || skip "needs root (${1:-network namespaces})"
	command -v ip >/dev/null || skip "needs iproute2 (ip)"
	ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace"
	ip netns del "$probe"
}
