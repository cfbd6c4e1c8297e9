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
	# What each spinner runs once it has exec'd (the forked copy of lab.sh
	# before that may already share the policy).
	if [ -n "$bin" ]; then
		lab_keepawake_wait "$LAB_KEEPAWAKE_PIDS" "$bin "
	else
		lab_keepawake_wait "$LAB_KEEPAWAKE_PIDS" "bash -c while :; do :; done "
	fi
	lab_checkpoint keep-awake
}

# lab_keepawake_policy PID - the scheduling policy number of PID's main
# thread (field 41 of /proc/PID/stat; 5 = SCHED_IDLE), or nothing.
lab_keepawake_policy() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	set -- $stat
	echo "${39:-}"
}

# lab_keepawake_wait "PID:START ..." CMDLINE - return once every spinner
# runs CMDLINE... and is SCHED_IDLE, so whoever reads KEEP_AWAKE=1 can rely
# on it; die when one exits or is not up within 10 s. A process that was
# just forked still has to exec and set itself up (under load that takes
# longer than any fixed sleep; 0.1 s was not enough in CI):
#  - cpu-keepawake makes its main thread SCHED_IDLE only after every
#    spinner thread is pinned and SCHED_IDLE;
#  - the bash fallback runs its loop only after chrt and taskset are done.
lab_keepawake_wait() {
	local e pid start waiting tries=200 cmd
	while :; do
		waiting=0
		for e in $1; do
			pid=${e%%:*} start=${e#*:}
			lab_pid_is "$pid" "$start" || lab_die "--keep-awake: spinner $pid exited while starting"
			[ "$(lab_keepawake_policy "$pid")" = 5 ] || { waiting=1; continue; }
			cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || cmd=""
			[ "${cmd#"$2"}" != "$cmd" ] || waiting=1
		done
		[ "$waiting" = 0 ] && return 0
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || lab_die "--keep-awake: the spinners did not start within 10 s"
		sleep 0.05
	done
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

# lab_keepawake_unidle "PID:START ..." - make the spinners' threads
# SCHED_OTHER again before stopping them: on CPUs busy with normal tasks a
# SCHED_IDLE thread runs so rarely that acting on SIGTERM (or even dying of
# SIGKILL) can take seconds.
lab_keepawake_unidle() {
	local e pid t
	for e in $1; do
		pid=${e%%:*}
		lab_pid_is "$pid" "${e#*:}" || continue
		for t in /proc/"$pid"/task/*; do
			chrt -o -p 0 "${t##*/}" >/dev/null 2>&1 || true
		done
	done
	return 0
}
