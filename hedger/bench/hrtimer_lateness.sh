#!/usr/bin/env bash
# hedger/bench/hrtimer_lateness.sh [-o FILE] -- COMMAND... - how late every
# one-shot hrtimer of the machine expired while COMMAND ran, per timer
# function: HTB's watchdog (qdisc_watchdog, the htb delay line's release)
# beside the machine's other timers (sleepers' hrtimer_wakeup, io_uring's
# io_timeout_fn, ...), so the delay line's lateness can be told from the
# platform's. Lateness = the expiry's `now` minus the `expires` of the
# timer's last hrtimer_start (timer:hrtimer_start / hrtimer_expire_entry,
# recorded system-wide with perf). Periodic timers that are forwarded
# without a new start (the tick, the watchdogs) are left out: their last
# start is not their expiry's.
# Example: hedger/bench/hrtimer_lateness.sh -o results/bench/x.txt -- \
#   ./experiments/run_all.sh --no-bootstrap --no-build --no-figures --experiments E4
# Needs root and perf (linux-perf). Mounts tracefs only if it was not, and
# unmounts it again.
set -euo pipefail
out=
die() { echo "hrtimer_lateness.sh: $*" >&2; exit 1; }
if [ "${1:-}" = -o ]; then [ $# -ge 2 ] || die "-o needs a file"; out=$2; shift 2; fi
[ "${1:-}" = -- ] && shift
[ $# -ge 1 ] || die "usage: hrtimer_lateness.sh [-o FILE] -- COMMAND..."
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
[ "$(id -u)" = 0 ] || die "needs root"

tmp=$(mktemp -d)
tracefs_was_mounted=1
mountpoint -q /sys/kernel/tracing || tracefs_was_mounted=0
cleanup() {
	rm -rf "$tmp"
	if [ "$tracefs_was_mounted" = 0 ] && mountpoint -q /sys/kernel/tracing; then
		umount /sys/kernel/tracing
	fi
}
trap cleanup EXIT

perf record -q -a -e timer:hrtimer_start -e timer:hrtimer_expire_entry \
	-o "$tmp/perf.data" -- "$@" > "$tmp/command.log" 2>&1 || die "COMMAND failed: $(tail -n 3 "$tmp/command.log")"
perf script -i "$tmp/perf.data" -F trace 2>/dev/null | awk '
	{ delete f; for (i = 1; i <= NF; i++) { n = index($i, "="); if (n) f[substr($i, 1, n - 1)] = substr($i, n + 1) } }
	"expires" in f { start[f["hrtimer"]] = f["expires"]; next }
	"now" in f && (f["hrtimer"] in start) {
		if (f["function"] !~ /^(tick_nohz_handler|tick_sched_timer|watchdog_timer_fn|sched_rt_period_timer)$/)
			print f["function"], (f["now"] - start[f["hrtimer"]]) / 1000.0
		delete start[f["hrtimer"]]
	}' | sort -k1,1 -k2,2g > "$tmp/late.txt"

report() {
	echo "# hrtimer lateness (us) per timer function, system-wide, while: $*"
	echo "# $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-24s %7s %9s %9s %9s %9s\n' function expiries p50 p90 p99 max
	awk '
		function flush() { if (n) printf "%-24s %7d %9.1f %9.1f %9.1f %9.1f\n", fn, n,
			v[int(0.50 * (n - 1)) + 1], v[int(0.90 * (n - 1)) + 1], v[int(0.99 * (n - 1)) + 1], v[n] }
		$1 != fn { flush(); fn = $1; n = 0 }
		{ v[++n] = $2 }
		END { flush() }' "$tmp/late.txt" | sort -k2,2nr
}
if [ -n "$out" ]; then report "$@" > "$out"; else report "$@"; fi
