#!/usr/bin/env bash
# run.sh - validation benchmark of the BPF link emulator, on a pair lab with
# CPUs kept awake: one-way delay (receiver kernel timestamps) against the
# configured delay and jitter, Bernoulli and Gilbert-Elliott loss against the
# model (99% binomial interval, burst lengths), CPU per packet (the program's
# own run time with fd-scoped BPF statistics) and CPU while packets wait.
# Fixed delays run raw, with --calib set from the raw run's median, and
# with --calib auto; with bpftrace, the HTB watchdog's lateness is split
# into timer and softirq parts. Each block records the machine's load.
# Usage: run.sh [BUILD_DIR] [--quick]   -> results/bench/linkemu-<UTC>.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${1:-$ROOT/build}
QUICK=0
[ "${2:-}" = --quick ] && QUICK=1
EMU=$BUILD/netns-lab/emu/emu
OWD=$BUILD/netns-lab/emu/owd-probe
PROGSTATS=$BUILD/hedger/progstats
LAB=$ROOT/netns-lab/lab.sh
for b in "$EMU" "$OWD" "$PROGSTATS"; do
	[ -x "$b" ] || { echo "run.sh: $b is not built (meson compile -C $BUILD)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run.sh: root is needed (namespaces, BPF)" >&2; exit 1; }
export KH_EMU_BIN=$EMU KH_KEEPAWAKE_BIN=$BUILD/netns-lab/cpu-keepawake

N_DELAY=100000 N_LOSS=200000 N_GE=300000 RATE=10000
[ "$QUICK" = 1 ] && { N_DELAY=20000; N_LOSS=50000; N_GE=50000; }
STAMP=$(date -u +%Y%m%d-%H%M)
OUT=$ROOT/results/bench/linkemu-$STAMP.txt
mkdir -p "$ROOT/results/bench"
TMP=$(mktemp -d)
PREFIX=""
cleanup() {
	[ -n "$PREFIX" ] && "$LAB" down --quiet --prefix "$PREFIX" || true
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" | tee -a "$OUT"; }
# machine_note - load average, and busy and steal shares of all CPUs since
# the previous call (/proc/stat): what else the machine was doing.
STAT_PREV=""
machine_note() {
	local now
	now=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	if [ -n "$STAT_PREV" ]; then
		awk -v a="$STAT_PREV" -v b="$now" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
			split(a, x, " "); split(b, y, " "); t = y[3] - x[3]
			printf "load %s, CPUs busy %.0f%% (keep-awake spinners included), steal %.1f%%", l, 100 * (y[1] - x[1]) / t, 100 * (y[2] - x[2]) / t }'
	else
		printf 'load %s' "$(cut -d' ' -f1-3 /proc/loadavg)"
	fi
	STAT_PREV=$now
}
get() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# measure FILE COUNT [RATE] - client -> server, the receiver's summary in FILE.
measure() {
	local rpid
	ip netns exec "$SERVER_NS" "$OWD" recv --count "$2" --idle 2s --timeout 300s \
		"$SERVER_ADDR:7100" >"$1" &
	rpid=$!
	for _ in $(seq 50); do grep -qx ready=1 "$1" 2>/dev/null && break; sleep 0.05; done
	ip netns exec "$CLIENT_NS" "$OWD" send --count "$2" --rate "${3:-$RATE}" "$SERVER_ADDR:7100" >/dev/null
	wait "$rpid"
}

attach() { ip netns exec "$CLIENT_NS" "$EMU" attach --dev "$CLIENT_IF" "$@" >/dev/null; }
detach() { ip netns exec "$CLIENT_NS" "$EMU" detach --dev "$CLIENT_IF"; }
prog_id() {
	ip netns exec "$CLIENT_NS" tc filter show dev "$CLIENT_IF" egress |
		sed -n 's/.*emu_egress.* id \([0-9]*\) .*/\1/p' | head -n 1
}
stat_of() { ip netns exec "$CLIENT_NS" "$EMU" stats --dev "$CLIENT_IF" | awk -v k="$1" '$1 == k { print $2 }'; }

: >"$OUT"
say "# linkemu benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "kernel: $(uname -r); cpus: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?); profile: $([ "$QUICK" = 1 ] && echo quick || echo full)"
say "method: pair lab (veth), --keep-awake; owd-probe sends 64-byte UDP at $RATE/s with its"
say "CLOCK_REALTIME send time; the receiver takes the kernel receive timestamp (SO_TIMESTAMPNS)."
say "The emulator sits on the client's veth egress (emu attach, HTB pool 1024)."
say ""

eval "$("$LAB" up pair --quiet --keep-awake)"
PREFIX=$LAB_PREFIX

# ---- baseline path ---------------------------------------------------------
measure "$TMP/base" "$N_DELAY"
BASE_MEAN=$(get delay_mean_ns "$TMP/base") BASE_P50=$(get delay_p50_ns "$TMP/base")
say "## baseline (no emulator), $N_DELAY datagrams"
say "one-way delay ns: mean $BASE_MEAN p50 $BASE_P50 p99 $(get delay_p99_ns "$TMP/base") p99.9 $(get delay_p999_ns "$TMP/base") max $(get delay_max_ns "$TMP/base"); lost $(get lost "$TMP/base")"
say ""

# ---- fixed delay: raw, then calibrated by the measured median lateness ------
delay_row() {	# LABEL D_NS FILE
	awk -v label="$1" -v d="$2" -v b="$BASE_MEAN" -v bp="$BASE_P50" \
		-v mean="$(get delay_mean_ns "$3")" -v p50="$(get delay_p50_ns "$3")" \
		-v p99="$(get delay_p99_ns "$3")" -v p999="$(get delay_p999_ns "$3")" \
		-v mx="$(get delay_max_ns "$3")" -v mn="$(get delay_min_ns "$3")" -v lost="$(get lost "$3")" \
		-v reo="$(get reordered "$3")" 'BEGIN {
		printf "%-22s err mean %+8.1f us (path-corrected %+8.1f) | err p50 %+8.1f p99 %+8.1f p99.9 %+9.1f max %+9.1f min %+8.1f us | lost %d reordered %d\n",
			label, (mean - d) / 1e3, (mean - d - b) / 1e3, (p50 - d) / 1e3, (p99 - d) / 1e3,
			(p999 - d) / 1e3, (mx - d) / 1e3, (mn - d) / 1e3, lost, reo }' | tee -a "$OUT"
}
say "## fixed delay D, $N_DELAY datagrams each (error = measured one-way - D; path = baseline mean)"
machine_note >/dev/null
for d in 1ms 5ms 20ms; do
	dn=$(awk -v d="${d%ms}" 'BEGIN { printf "%d", d * 1e6 }')
	attach --delay "$d"
	measure "$TMP/d$d" "$N_DELAY"
	[ "$(stat_of no_free_class)" = 0 ] || say "(no_free_class $(stat_of no_free_class))"
	detach
	delay_row "D=$d calib 0" "$dn" "$TMP/d$d"
	# The hold is late by the HTB watchdog's typical lateness: take the
	# median error (minus the path) as --calib and measure again.
	calib=$(awk -v p="$(get delay_p50_ns "$TMP/d$d")" -v d="$dn" -v b="$BASE_P50" \
		'BEGIN { c = p - d - b; if (c < 0) c = 0; printf "%dus", c / 1000 }')
	attach --delay "$d" --calib "$calib"
	measure "$TMP/c$d" "$N_DELAY"
	detach
	delay_row "D=$d calib $calib" "$dn" "$TMP/c$d"
	# --calib auto: emu measures the lateness itself at attach (mean,
	# winsorized at P99, of 500 holds on this device).
	ip netns exec "$CLIENT_NS" "$EMU" attach --dev "$CLIENT_IF" --delay "$d" --calib auto >"$TMP/auto"
	measure "$TMP/a$d" "$N_DELAY"
	detach
	delay_row "D=$d calib auto $(sed -n 's/.*-> calib \([0-9]*\)ns$/\1/p' "$TMP/auto" | awk '{ printf "%dus", $1 / 1000 }')" "$dn" "$TMP/a$d"
	say "  (attach: $(sed -n 's/.*calib auto: //p' "$TMP/auto"))"
	say "  (machine during the D=$d rows: $(machine_note))"
done
say ""
if command -v bpftrace >/dev/null; then
	# Where the lateness is: the watchdog hrtimer's expiry to its callback
	# (timer interrupt), and the callback to HTB's dequeue (NET_TX softirq).
	say "## release lateness of HTB's watchdog, D = 5ms calib 0, $N_DELAY datagrams (bpftrace, the client veth's HTB)"
	attach --delay 5ms
	bpftrace "$ROOT/netns-lab/emu/bench/watchdog.bt" \
		"$(ip netns exec "$CLIENT_NS" cat "/sys/class/net/$CLIENT_IF/ifindex")" \
		"$(stat -L -c %i "/run/netns/$CLIENT_NS")" >"$TMP/bt" 2>"$TMP/bt.err" &
	btpid=$!
	# Its probes are live once it says so (seconds to start here).
	for _ in $(seq 150); do grep -q '^Attaching' "$TMP/bt" && break; sleep 0.2; done
	sleep 1
	measure "$TMP/w" "$N_DELAY"
	kill -TERM "$btpid" 2>/dev/null || true	# SIGINT is ignored by a background job
	wait "$btpid" 2>/dev/null || true
	detach
	delay_row "D=5ms calib 0 (traced)" 5000000 "$TMP/w"
	grep -v -e '^$' -e '^Attaching' "$TMP/bt" | tee -a "$OUT"
	say "  (machine during this row: $(machine_note))"
	say ""
fi

# ---- jitter ----------------------------------------------------------------
say "## jitter, D = 5ms, $N_DELAY datagrams (one-way minus the path's mean)"
for dist in uniform normal; do
	attach --delay 5ms --jitter 1ms --distribution "$dist" --seed 11
	measure "$TMP/j$dist" "$N_DELAY"
	detach
	say "$dist J=1ms: mean $(awk -v m="$(get delay_mean_ns "$TMP/j$dist")" -v b="$BASE_MEAN" 'BEGIN { printf "%.1f", (m - b) / 1e3 }') us (configured 5000), p50 $(get delay_p50_ns "$TMP/j$dist") min $(get delay_min_ns "$TMP/j$dist") p99 $(get delay_p99_ns "$TMP/j$dist") ns; reordered $(get reordered "$TMP/j$dist") (expected with jitter, as netem)"
done
say ""

# ---- Bernoulli loss ----------------------------------------------------------
say "## Bernoulli loss, $N_LOSS datagrams each (99% interval of the configured rate: n p +- 2.576 sqrt(n p (1-p)))"
for l in 1 5; do
	attach --loss "$l%" --seed $((100 + l))
	measure "$TMP/l$l" "$N_LOSS" 20000
	emu_lost=$(stat_of lost)
	detach
	awk -v n="$N_LOSS" -v p="$l" -v lost="$(get lost "$TMP/l$l")" -v el="$emu_lost" 'BEGIN {
		p /= 100; m = n * p; s = sqrt(n * p * (1 - p)); lo = m - 2.576 * s; hi = m + 2.576 * s
		r = lost / n; sr = sqrt(r * (1 - r) / n)
		printf "loss %g%%: lost %d of %d = %.4f%% (99%% CI of the measured rate %.4f..%.4f%%); configured interval %.0f..%.0f -> %s; emulator counted %d\n",
			p * 100, lost, n, 100 * r, 100 * (r - 2.576 * sr), 100 * (r + 2.576 * sr), lo, hi,
			(lost >= lo && lost <= hi) ? "inside" : "OUTSIDE", el }' | tee -a "$OUT"
done
say ""

# ---- Gilbert-Elliott ---------------------------------------------------------
say "## Gilbert-Elliott (netem gemodel p r 1-h 1-k), $N_GE datagrams each"
ge_row() {	# P R H1 K1 FILE
	awk -v p="$1" -v r="$2" -v h1="$3" -v k1="$4" -v n="$N_GE" -v lost="$(get lost "$5")" \
		-v bursts="$(get bursts "$5")" -v mean="$(get burst_mean "$5")" -v hist="$(get burst_hist "$5")" 'BEGIN {
		p /= 100; r /= 100; h1 /= 100; k1 /= 100
		pb = p / (p + r); rate = pb * h1 + (1 - pb) * k1
		printf "p %g%% r %g%% 1-h %g%% 1-k %g%%: loss %.4f%% (model %.4f%%)", p * 100, r * 100, h1 * 100, k1 * 100, 100 * lost / n, 100 * rate
		if (h1 == 1 && k1 == 0) {
			printf ", mean burst %.3f (model 1/r = %.3f, %+.1f%%), bursts %d\n", mean, 1 / r, 100 * (mean * r - 1), bursts
			printf "  burst length: measured / model (bursts x r (1-r)^(n-1))\n  "
			split(hist, a, ",")
			for (i in a) { split(a[i], kv, ":"); got[kv[1]] = kv[2] }
			for (k = 1; k <= 10; k++)
				printf "%d: %d/%.0f  ", k, got[k] + 0, bursts * r * (1 - r) ^ (k - 1)
			printf "\n"
		} else {
			printf ", mean burst %.3f, bursts %d (burst law not geometric when 1-h < 1 or 1-k > 0)\n", mean, bursts
		}
	}' | tee -a "$OUT"
}
for m in "1 30 100 0" "1 10 100 0" "2 25 70 0.5"; do
	set -- $m
	attach --gemodel "$1%,$2%,$3%,$4%" --seed 7
	measure "$TMP/ge" "$N_GE" 20000
	detach
	ge_row "$1" "$2" "$3" "$4" "$TMP/ge"
done
say ""

# ---- CPU -------------------------------------------------------------------
say "## CPU"
cpu_row() {	# LABEL ARGS...
	local label=$1 id out runs nspr pk
	shift
	attach "$@"
	id=$(prog_id)
	out=$("$PROGSTATS" --ids "$id" -- bash -c "$(declare -f measure get); SERVER_NS=$SERVER_NS CLIENT_NS=$CLIENT_NS SERVER_ADDR=$SERVER_ADDR OWD=$OWD RATE=$RATE measure $TMP/cpu 20000" 2>&1 | grep '^prog ')
	pk=$(stat_of packets)
	detach
	runs=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "runs") print $(i + 1) }' <<<"$out")
	nspr=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "ns_per_run") print $(i + 1) }' <<<"$out")
	awk -v l="$label" -v r="$runs" -v n="$nspr" -v pk="$pk" 'BEGIN {
		printf "%-28s program runs %d for %d packets, %.0f ns per run, %.0f ns per packet (incl. the clones - dummy and held copy - and their trips through HTB and the veth)\n",
			l, r, pk, n, r * n / pk }' | tee -a "$OUT"
}
cpu_row "loss 1% only" --loss 1%
cpu_row "delay 5ms" --delay 5ms
cpu_row "delay 5ms, jitter, loss" --delay 5ms --jitter 1ms --loss 1%

# CPU while packets wait: 500 datagrams parked for 2 s, no spinners.
"$LAB" down --quiet --prefix "$PREFIX"
eval "$("$LAB" up pair --quiet)"
PREFIX=$LAB_PREFIX
attach --delay 2s --classes 1024
id=$(prog_id)
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
idle_a=$(cpu_ticks); sleep 1.5; idle_b=$(cpu_ticks)
ip netns exec "$SERVER_NS" "$OWD" recv --count 500 --idle 4s --timeout 10s "$SERVER_ADDR:7100" >"$TMP/park" &
rpid=$!
sleep 0.3
ip netns exec "$CLIENT_NS" "$OWD" send --count 500 --rate 5000 "$SERVER_ADDR:7100" >/dev/null
sleep 0.1
runs_a=$(bpftool prog show id "$id" 2>/dev/null | sed -n 's/.*run_cnt \([0-9]*\).*/\1/p')
park_a=$(cpu_ticks); sleep 1.5; park_b=$(cpu_ticks)
wait "$rpid"
say "while 500 datagrams wait 2 s (no spinners): busy CPU $(( (park_b - park_a) )) ticks in 1.5 s vs $(( (idle_b - idle_a) )) ticks in 1.5 s before (USER_HZ=$(getconf CLK_TCK), all CPUs, every process on this shared machine); held $(stat_of held), received $(get received "$TMP/park") after p50 $(get delay_p50_ns "$TMP/park") ns"
say "(the program does not run while they wait: a held packet is an skb in an HTB class; its release is HTB's hrtimer)"
detach
say ""
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run.sh: wrote $OUT" >&2
