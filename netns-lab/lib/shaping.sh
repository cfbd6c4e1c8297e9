# shellcheck shell=bash
# shaping.sh - link shaping for --delay/--jitter/--loss (netem) and --rate
# (tbf, or netem's own rate when netem shapes the link anyway). A kernel
# without netem gets one error naming sch_netem, never a silent no-op.

LAB_DELAY="" LAB_JITTER="" LAB_LOSS="" LAB_RATE=""

# lab_shape_validate - check the shaping options before anything is made;
# dies (exit 2) with one line on bad input.
lab_shape_validate() {
	local t='^[0-9]+(\.[0-9]+)?(us|ms|s)$'
	if [ -n "$LAB_DELAY" ] && ! [[ $LAB_DELAY =~ $t ]]; then
		lab_err "--delay '$LAB_DELAY': expected a time like 5ms, 500us or 0.1s"; exit 2
	fi
	if [ -n "$LAB_JITTER" ] && ! [[ $LAB_JITTER =~ $t ]]; then
		lab_err "--jitter '$LAB_JITTER': expected a time like 1ms or 200us"; exit 2
	fi
	if [ -n "$LAB_JITTER" ] && [ -z "$LAB_DELAY" ]; then
		lab_err "--jitter needs --delay"; exit 2
	fi
	if [ -n "$LAB_LOSS" ]; then
		if ! [[ $LAB_LOSS =~ ^[0-9]+(\.[0-9]+)?%$ ]] ||
			awk -v l="${LAB_LOSS%\%}" 'BEGIN { exit !(l > 100) }'; then
			lab_err "--loss '$LAB_LOSS': expected a percentage from 0% to 100%, e.g. 0.5%"; exit 2
		fi
	fi
	if [ -n "$LAB_RATE" ] && [ -z "$(lab_rate_bytes "$LAB_RATE")" ]; then
		lab_err "--rate '$LAB_RATE': expected a rate like 100mbit, 1gbit or 500kbps (tc units)"; exit 2
	fi
	lab_emu_validate	# emulate.sh: picks netem or bpf, checks each direction
	return 0
}

# lab_rate_bytes RATE - bytes per second of a tc rate ("100mbit"), or nothing.
lab_rate_bytes() {
	[[ $1 =~ ^([0-9]+(\.[0-9]+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$ ]] || return 0
	awk -v n="${BASH_REMATCH[1]}" -v u="${BASH_REMATCH[3]}" 'BEGIN {
		m["bit"] = 1 / 8; m["kbit"] = 1e3 / 8; m["mbit"] = 1e6 / 8; m["gbit"] = 1e9 / 8
		m["bps"] = 1; m["kbps"] = 1e3; m["mbps"] = 1e6; m["gbps"] = 1e9
		b = n * m[u]
		if (b >= 1) printf "%.0f\n", b
	}'
}

lab_shape_needs_netem() { lab_emu_requested; }

# lab_shape_kind - none, tbf, netem or bpf (the link emulator, emulate.sh).
lab_shape_kind() {
	if lab_shape_needs_netem; then echo "${LAB_EMU_KIND:-netem}"
	elif [ -n "$LAB_RATE" ]; then echo tbf
	else echo none
	fi
}

# lab_tc_add NS IF QDISC ARGS... - add a root qdisc; one clear line when the
# kernel lacks the qdisc.
lab_tc_add() {
	local ns=$1 dev=$2 kind=$3 out
	shift 2
	if ! out=$(ip netns exec "$ns" tc qdisc add dev "$dev" root "$@" 2>&1 >/dev/null); then
		case "$out" in
		*"kind is unknown"* | *"qdisc not found"* | *"No such file"*)
			lab_die "the $kind qdisc (sch_$kind) is not available in this kernel ($(uname -r)); it is needed for $(lab_shape_opts_text) (netns-lab/vm.sh boots a stock kernel that has it)" ;;
		*)
			lab_die "tc qdisc add dev $dev root $* in $ns failed: $(printf '%s\n' "$out" | grep -v '^$' | head -n 1)" ;;
		esac
	fi
}

lab_shape_opts_text() {
	local o=()
	[ -n "$LAB_DELAY" ] && o+=(--delay)
	[ -n "$LAB_JITTER" ] && o+=(--jitter)
	[ -n "$LAB_LOSS" ] && o+=(--loss)
	[ -n "$LAB_RATE" ] && o+=(--rate)
	echo "${o[*]}"
}

# lab_shape_apply - shape every LAB_SHAPE_TARGETS link's egress.
lab_shape_apply() {
	local target ns dev burst i
	local kind
	kind=$(lab_shape_kind)
	for i in "${!LAB_SHAPE_TARGETS[@]}"; do
		target=${LAB_SHAPE_TARGETS[$i]}
		ns=${target% *} dev=${target#* }
		case "$kind" in
		netem | bpf)
			# emulate.sh: per direction; netem with a large limit (its
			# default of 1000 packets would drop under load and look
			# like --loss).
			lab_emu_apply_target "$ns" "$dev" "$i"
			;;
		tbf)
			# Burst: 1 ms worth of bytes, at least 16 KB (a few GSO-free
			# MTUs) so the bucket is never smaller than one packet.
			burst=$(awk -v b="$(lab_rate_bytes "$LAB_RATE")" \
				'BEGIN { x = b / 1000; if (x < 16384) x = 16384; printf "%.0f", x }')
			lab_tc_add "$ns" "$dev" tbf rate "$LAB_RATE" burst "$burst" latency 100ms
			;;
		esac
		lab_checkpoint shaping
	done
	lab_emit LAB_SHAPING "$kind"
	lab_emit LAB_DELAY "$LAB_DELAY"
	lab_emit LAB_JITTER "$LAB_JITTER"
	lab_emit LAB_LOSS "$LAB_LOSS"
	lab_emit LAB_RATE "$LAB_RATE"
	lab_emu_emit
}
