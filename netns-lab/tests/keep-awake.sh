#!/usr/bin/env bash
# --keep-awake: one SCHED_IDLE spinner per CPU while the lab is up (helper and
# bash fallback), reported as KEEP_AWAKE=1; down stops them.
. "$(dirname "$0")/testlib.sh"
t_require_root
[ -n "${KH_KEEPAWAKE_BIN:-}" ] && [ -x "$KH_KEEPAWAKE_BIN" ] || skip "cpu-keepawake not built (run under meson test)"
command -v chrt >/dev/null || skip "needs chrt (util-linux)"
ncpu=$(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')

# spinner_tids STATEFILE - the spinning threads (PID:START entries' tasks).
spinner_tids() {
	local e pid
	for e in $(sed -n 's/^KEEP_AWAKE_PIDS=//p' "$1"); do
		pid=${e%%:*}
		ls "/proc/$pid/task" 2>/dev/null | sed "s|^|$pid/|"
	done
}

check_kind() {
	local kind=$1 p out state n_idle=0 n_spin=0 tid pids e st
	p=$(t_prefix)
	if [ "$kind" = bash ]; then
		out=$(KH_KEEPAWAKE_BIN=/nonexistent "$LAB_SH" up loopback --prefix "$p" --keep-awake --quiet)
	else
		out=$("$LAB_SH" up loopback --prefix "$p" --keep-awake --quiet)
	fi
	[ "$(t_env_get KEEP_AWAKE "$out")" = 1 ] || fail "$kind: KEEP_AWAKE is not 1"
	[ "$(t_env_get KEEP_AWAKE_KIND "$out")" = "$kind" ] || fail "$kind: KEEP_AWAKE_KIND is $(t_env_get KEEP_AWAKE_KIND "$out")"
	[ "$(t_env_get KEEP_AWAKE_RUNNING "$("$LAB_SH" status --prefix "$p")")" = 1 ] || fail "$kind: status does not say running"
	state=/run/kernel-hedge-lab/$p.env
	for tid in $(spinner_tids "$state"); do
		policy=$(chrt -p "${tid#*/}" | sed -n 's/.*scheduling policy: //p')
		[ "$policy" = SCHED_IDLE ] && n_idle=$((n_idle + 1))
	done
	# The helper has a watching main thread besides one spinner per CPU.
	[ "$kind" = cpu-keepawake ] && n_spin=$((ncpu + 1)) || n_spin=$ncpu
	[ "$n_idle" = "$n_spin" ] || fail "$kind: $n_idle SCHED_IDLE threads, expected $n_spin"
	pids=$(sed -n 's/^KEEP_AWAKE_PIDS=//p' "$state")
	"$LAB_SH" down --prefix "$p" --quiet
	# (An exited spinner may stay a zombie until PID 1 reaps it: state Z.)
	for e in $pids; do
		st=$(sed 's/.*) //' "/proc/${e%%:*}/stat" 2>/dev/null || true)
		case "$(echo "$st" | cut -d' ' -f1)" in Z | X | x | "") continue ;; esac
		[ "$(echo "$st" | cut -d' ' -f20)" != "${e#*:}" ] ||
			fail "$kind: spinner ${e%%:*} still runs after down"
	done
	echo "ok $kind: $n_idle SCHED_IDLE threads for $ncpu CPUs, stopped by down"
}

check_kind cpu-keepawake
check_kind bash
p=$(t_prefix)
out=$("$LAB_SH" up loopback --prefix "$p" --quiet)
[ "$(t_env_get KEEP_AWAKE "$out")" = 0 ] || fail "KEEP_AWAKE is not 0 without --keep-awake"
"$LAB_SH" down --prefix "$p" --quiet
pass
