#!/usr/bin/env bash
# emu-calib: "emu attach --calib auto" measures HTB's release lateness on the
# device and shortens every hold by it: on a real veth with CPUs kept awake,
# a fixed 2 ms delay raw, then calibrated. A release is never early, so the
# calibrated minimum is at least D - calib (less: more than calib was taken
# off) and at most the raw minimum - calib / 2 (more: the calibration was
# not applied). Bad --calib input: one line, nothing left. The same through
# lab.sh --emu-calib.
. "$(dirname "$0")/emulib.sh"
e_require
work_dir
D=2000000
SLACK_NS=${EMU_CALIB_SLACK_US:-20}000

p=$(t_prefix)
eval "$("$LAB_SH" up pair --quiet --prefix "$p" --keep-awake)"
in_client() { ip netns exec "$CLIENT_NS" "$@"; }

in_client "$EMU" attach --dev "$CLIENT_IF" --delay 2ms >/dev/null || fail "attach without calibration"
raw=$(e_measure "$CLIENT_NS" "$SERVER_NS" "$SERVER_ADDR" 4000 2000)
in_client "$EMU" detach --dev "$CLIENT_IF"
raw_min=$(e_get delay_min_ns "$raw") raw_p50=$(e_get delay_p50_ns "$raw")
info "raw: min $raw_min p50 $raw_p50 ns"

line=$(in_client "$EMU" attach --dev "$CLIENT_IF" --delay 2ms --calib auto | grep 'calib auto') \
	|| fail "attach --calib auto printed no calibration"
info "$line"
holds=$(sed -n 's/.*calib auto: \([0-9]*\) holds.*/\1/p' <<<"$line")
late_p50=$(sed -n 's/.*lateness p50 \(-\{0,1\}[0-9]*\)ns.*/\1/p' <<<"$line")
calib=$(sed -n 's/.*-> calib \([0-9]*\)ns$/\1/p' <<<"$line")
[ "$holds" = 500 ] || fail "calibration measured $holds holds of 500"
[ "$late_p50" -ge 0 ] || fail "calibration saw releases before their time (median $late_p50 ns): broken clock pairing"
[ "$calib" -le $((D / 2)) ] || fail "calib $calib ns exceeds half the delay"
cal=$(e_measure "$CLIENT_NS" "$SERVER_NS" "$SERVER_ADDR" 4000 2000)
in_client "$EMU" detach --dev "$CLIENT_IF"
cal_min=$(e_get delay_min_ns "$cal") cal_p50=$(e_get delay_p50_ns "$cal")
info "calibrated: min $cal_min p50 $cal_p50 ns (calib $calib)"
[ "$(e_get lost "$cal")" = 0 ] || fail "calibrated run lost datagrams"
[ "$cal_min" -ge $((D - calib - SLACK_NS)) ] || fail "min $cal_min ns: more than calib $calib ns was taken off"
if [ "$calib" -ge $((2 * SLACK_NS)) ]; then
	[ "$cal_min" -le $((raw_min - calib / 2)) ] \
		|| fail "min $cal_min ns (raw $raw_min): the calibration ($calib ns) was not applied"
fi
# The medians are reported, not compared: two runs' medians differ by tens
# of us on this VM whatever the calibration (a clean CI run saw raw +60 us,
# calibrated +86 us with calib 49 us while the minimum moved by -36 us); how
# close the mean gets to D is the benchmark's number (bench/run.sh).

# Bad input: one error line naming --calib, exit 2, no root qdisc made.
for bad in "--calib autox" "--calib -1ms" "--calib auto --classes 65535"; do
	# shellcheck disable=SC2086
	if in_client "$EMU" attach --dev "$CLIENT_IF" --delay 2ms $bad 2>"$T_WORK/err" >/dev/null; then
		fail "accepted $bad"
	else rc=$?; fi
	[ "$rc" = 2 ] || fail "$bad: exit $rc, expected 2"
	[ "$(wc -l <"$T_WORK/err")" = 1 ] && grep -q -- '--calib' "$T_WORK/err" || fail "$bad: $(cat "$T_WORK/err")"
	in_client tc qdisc show dev "$CLIENT_IF" | grep -q htb && fail "$bad left an HTB root"
done
"$LAB_SH" down --quiet --prefix "$p"

# Through lab.sh: --emu-calib 500us reaches every delayed direction (env
# says so) and is applied: the minimum one-way delay is at least
# D - 500 us - slack and below D - 250 us (a release is never early, so
# without the calibration the minimum is at least D).
p=$(t_prefix)
env=$("$LAB_SH" up pair --quiet --prefix "$p" --keep-awake --emulator bpf --delay 2ms --emu-calib 500us)
eval "$env"
[[ $LAB_EMU_UP == *calib=500us* && $LAB_EMU_DOWN == *calib=500us* ]] \
	|| fail "env does not report the calibration: up '$LAB_EMU_UP' down '$LAB_EMU_DOWN'"
lab=$(e_measure "$CLIENT_NS" "$SERVER_NS" "$SERVER_ADDR" 2000 2000)
lab_min=$(e_get delay_min_ns "$lab")
info "lab.sh --delay 2ms --emu-calib 500us: min $lab_min ns"
[ "$lab_min" -ge $((D - 500000 - SLACK_NS)) ] || fail "lab --emu-calib 500us: min $lab_min ns, more than 500 us taken off"
[ "$lab_min" -le $((D - 250000)) ] || fail "lab --emu-calib 500us: min $lab_min ns, the calibration was not applied"
"$LAB_SH" down --quiet --prefix "$p"

# lab.sh's bad input: one line, exit 2, no lab made.
for bad in "--emu-calib 1ms" "--delay 2ms --emu-calib 5parsecs" "--delay 2ms --emu-calib"; do
	p=$(t_prefix)
	# shellcheck disable=SC2086
	if "$LAB_SH" up pair --quiet --prefix "$p" --emulator bpf $bad >/dev/null 2>"$T_WORK/err"; then
		fail "lab.sh accepted $bad"
	else rc=$?; fi
	[ "$rc" = 2 ] || fail "lab.sh $bad: exit $rc, expected 2"
	[ "$(wc -l <"$T_WORK/err")" = 1 ] && grep -q -- 'calib' "$T_WORK/err" || fail "lab.sh $bad: $(cat "$T_WORK/err")"
	[ -z "$(ip netns list | awk -v p="$p-" 'index($1, p) == 1')" ] || fail "lab.sh $bad left namespaces"
done
pass "calib $calib ns: min $raw_min -> $cal_min, p50 $raw_p50 -> $cal_p50 ns; lab.sh --emu-calib 500us: min $lab_min ns"
