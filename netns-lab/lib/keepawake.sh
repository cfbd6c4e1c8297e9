# shellcheck shell=bash
# keepawake.sh - --keep-awake: one SCHED_IDLE spinner per CPU so no vCPU
# idles (an idle vCPU here wakes from timers with millisecond tails). Uses
# the cpu-keepawake helper when built, else a bash loop under chrt --idle.

# lab_keepawake_bin - the cpu-keepawake helper, or nothing.
lab_keepawake_bin() {
	local b
	if [ -n "${KH_KEEPAWAKE_BIN:-}" ]; then
		[ -x "$KH_KEEPAWAKE_BIN" ] && echo "$KH_KEEPAWAKE_BIN"
		return 0
	fi
	# The newest build directory's helper, then one on PATH (the VM).
	b=$(ls -t "$LAB_ROOT"/build*/netns-lab/cpu-keepawake 2>/dev/null | head -n 1)
	[ -z "$b" ] && b=$(command -v cpu-keepawake 2>/dev/null)
	[ -n "$b" ] && [ -x "$b" ] && echo "$b"
	return 0
}

# lab_keepawake_start OWNER_PID - start the spinners; emits KEEP_AWAKE*,
# records "PID:START" entries in LAB_KEEPAWAKE_PIDS for down.
LAB_KEEPAWAKE_PIDS=""
lab_keepawake_start() {
	local owner=$1 bin pid cpu args=()
	bin=$(lab_keepawake_bin)
	if [ -n "$bin" ]; then
		[ -n "$owner" ] && args=(--owner-pid "$owner")
		# setsid: the caller's Ctrl-C must not reach it; stdout closed so
		# eval "$(lab.sh up ...)" does not wait for it.
		setsid "$bin" "${args[@]}" </dev/null >/dev/null 2>&1 &
		pid=$!
		LAB_KEEPAWAKE_PIDS="$pid:$(lab_pid_start "$pid")"
		lab_emit KEEP_AWAKE_KIND cpu-keepawake
	else
		command -v chrt >/dev/null || lab_die "--keep-awake: neither cpu-keepawake (build netns-lab) nor chrt (util-linux) found"
		for cpu in $(lab_cpus); do
			setsid chrt --idle 0 taskset -c "$cpu" bash -c 'while :; do :; done' \
				</dev/null >/dev/null 2>&1 &
			pid=$!
			LAB_KEEPAWAKE_PIDS+="${LAB_KEEPAWAKE_PIDS:+ }$pid:$(lab_pid_start "$pid")"
		done
		lab_emit KEEP_AWAKE_KIND bash
	fi
	sleep 0.1
	for pid in $LAB_KEEPAWAKE_PIDS; do
		lab_pid_is "${pid%%:*}" "${pid#*:}" || lab_die "--keep-awake: the spinner exited at once"
	done
	lab_checkpoint keep-awake
}

# lab_cpus - the CPUs this process may run on, one per line.
lab_cpus() {
	local list part a b
	list=$(taskset -pc $$ | sed 's/.*: //')
	for part in ${list//,/ }; do
		a=${part%-*} b=${part#*-}
		seq "$a" "$b"
	done
}

# lab_keepawake_running "PID:START ..." - 1 when every spinner is alive.
lab_keepawake_running() {
	local e
	[ -n "$1" ] || { echo 0; return; }
	for e in $1; do
		lab_pid_is "${e%%:*}" "${e#*:}" || { echo 0; return; }
	done
	echo 1
}
