# shellcheck shell=bash
# emulate.sh - link emulation (delay, jitter, loss, duplication, reordering)
# per direction, through netem where the kernel has it, else (or with
# --emulator bpf) through the BPF link emulator netns-lab/emu (HTB token-debt
# holding, loss decided in BPF). Options keep netem's words.
#
# Directions: "up" is every shaped link's client->server side, "down" the
# server->client side. The topologies add their LAB_SHAPE_TARGETS in such
# pairs (towards the server first); loopback has one target for both.

declare -gA LAB_EMU_BOTH=() LAB_EMU_UP=() LAB_EMU_DOWN=()
LAB_EMULATOR="" LAB_EMU_KIND="" LAB_EMU_SEED=1 LAB_EMU_SHIFT=0 LAB_EMU_CALIB=""

# lab_emu_opt ARGS... - parse one emulation option at $1; sets LAB_EMU_SHIFT
# to the words it used. Usage errors exit 2.
lab_emu_opt() {
	local opt=$1 key dir=both n=2
	case "$opt" in
	--emulator)
		[ $# -ge 2 ] && [[ $2 =~ ^(bpf|netem)$ ]] ||
			{ lab_err "--emulator '${2:-}': expected bpf or netem"; exit 2; }
		LAB_EMULATOR=$2; LAB_EMU_SHIFT=2; return 0 ;;
	--emu-seed)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]{1,18}$ ]] ||
			{ lab_err "--emu-seed '${2:-}': expected a number"; exit 2; }
		LAB_EMU_SEED=$((10#$2)); LAB_EMU_SHIFT=2; return 0 ;;
	--emu-calib)
		# emu check validates the value (a duration or auto).
		[ $# -ge 2 ] && [ -n "$2" ] && [[ $2 != -* ]] ||
			{ lab_err "--emu-calib '${2:-}': expected a duration (e.g. 40us) or auto"; exit 2; }
		LAB_EMU_CALIB=$2; LAB_EMU_SHIFT=2; return 0 ;;
	--up-*) dir=up; key=${opt#--up-} ;;
	--down-*) dir=down; key=${opt#--down-} ;;
	*) key=${opt#--} ;;
	esac
	case "$key" in
	delay | jitter | loss | distribution | duplicate | reorder) ;;
	loss-model)
		# netem's "loss gemodel P R 1-H 1-K": all four, as percentages.
		if [ "${2:-}" != gemodel ]; then
			lab_err "$opt '${2:-}': expected 'gemodel P R 1-H 1-K' (netem's Gilbert-Elliott parameters)"; exit 2
		fi
		if [ $# -lt 6 ] || [[ ${3:-} == -* || ${4:-} == -* || ${5:-} == -* || ${6:-} == -* ]]; then
			lab_err "$opt gemodel: expected four parameters P R 1-H 1-K (e.g. 1% 30% 100% 0%)"; exit 2
		fi
		n=6 ;;
	*) lab_err "up: unexpected argument '$opt' (try --help)"; exit 2 ;;
	esac
	[ $# -ge 2 ] && [ -n "$2" ] || { lab_err "$opt needs a value"; exit 2; }
	local val=$2
	[ "$n" = 6 ] && val="$3,$4,$5,$6"
	case "$dir" in
	both) LAB_EMU_BOTH[$key]=$val ;;
	up) LAB_EMU_UP[$key]=$val ;;
	down) LAB_EMU_DOWN[$key]=$val ;;
	esac
	LAB_EMU_SHIFT=$n
}

lab_emu_requested() {
	[ -n "$LAB_DELAY$LAB_JITTER$LAB_LOSS$LAB_EMULATOR" ] || [ ${#LAB_EMU_BOTH[@]} -gt 0 ] ||
		[ ${#LAB_EMU_UP[@]} -gt 0 ] || [ ${#LAB_EMU_DOWN[@]} -gt 0 ]
}

# lab_emu_get DIR KEY - the value for one direction: its own, else both's.
lab_emu_get() {
	local -n d=LAB_EMU_${1^^}
	local v=${d[$2]:-${LAB_EMU_BOTH[$2]:-}}
	if [ -z "$v" ]; then
		case "$2" in
		delay) v=$LAB_DELAY ;;
		jitter) v=$LAB_JITTER ;;
		loss) v=$LAB_LOSS ;;
		esac
	fi
	echo "$v"
}

# lab_emu_text DIR - "delay=5ms loss=1%" (what env reports).
lab_emu_text() {
	local k v out=()
	for k in delay jitter distribution loss loss-model duplicate reorder; do
		v=$(lab_emu_get "$1" "$k")
		[ -n "$v" ] && [ "$k" = loss-model ] && v="gemodel:$v"
		[ -n "$v" ] && out+=("$k=$v")
	done
	[ -n "$LAB_EMU_CALIB" ] && [ -n "$(lab_emu_get "$1" delay)" ] && out+=("calib=$LAB_EMU_CALIB")
	echo "${out[*]:-none}"
}

# lab_emu_args DIR - the emu attach options of one direction.
lab_emu_args() {
	local v d a=() seed=$LAB_EMU_SEED
	[ "$1" = down ] && seed=$((seed + 1))
	d=$(lab_emu_get "$1" delay); [ -n "$d" ] && a+=(--delay "$d")
	v=$(lab_emu_get "$1" jitter); [ -n "$v" ] && a+=(--jitter "$v")
	v=$(lab_emu_get "$1" distribution); [ -n "$v" ] && a+=(--distribution "$v")
	v=$(lab_emu_get "$1" loss); [ -n "$v" ] && a+=(--loss "$v")
	v=$(lab_emu_get "$1" loss-model); [ -n "$v" ] && a+=(--gemodel "$v")
	v=$(lab_emu_get "$1" duplicate); [ -n "$v" ] && a+=(--duplicate "$v")
	v=$(lab_emu_get "$1" reorder); [ -n "$v" ] && a+=(--reorder "$v")
	# --emu-calib: every hold shortened by the release's typical lateness
	# (emu --calib), so the mean delay is D rather than D + that lateness.
	[ -n "$LAB_EMU_CALIB" ] && [ -n "$d" ] && a+=(--calib "$LAB_EMU_CALIB")
	printf '%s\n' "${a[@]}" --seed "$seed"
}

# lab_emu_netem_args DIR - the same as netem parameters.
lab_emu_netem_args() {
	local v j a=(limit 100000) g
	v=$(lab_emu_get "$1" delay)
	if [ -n "$v" ]; then
		a+=(delay "$v")
		j=$(lab_emu_get "$1" jitter)
		[ -n "$j" ] && a+=("$j")
		v=$(lab_emu_get "$1" distribution)
		[ -n "$j" ] && [ -n "$v" ] && a+=(distribution "$v")
	fi
	v=$(lab_emu_get "$1" loss); [ -n "$v" ] && a+=(loss "$v")
	g=$(lab_emu_get "$1" loss-model)
	# shellcheck disable=SC2206 # P,R,1-H,1-K into four words
	[ -n "$g" ] && a+=(loss gemodel ${g//,/ })
	v=$(lab_emu_get "$1" duplicate); [ -n "$v" ] && a+=(duplicate "$v")
	v=$(lab_emu_get "$1" reorder); [ -n "$v" ] && a+=(reorder "$v")
	[ -n "$LAB_RATE" ] && a+=(rate "$LAB_RATE")
	printf '%s\n' "${a[@]}"
}

lab_emu_bin() {
	local b
	if [ -n "${KH_EMU_BIN:-}" ]; then
		[ -x "$KH_EMU_BIN" ] && echo "$KH_EMU_BIN"
		return 0
	fi
	# shellcheck disable=SC2012
	b=$(ls -t "$LAB_ROOT"/build*/netns-lab/emu/emu 2>/dev/null | head -n 1)
	[ -n "$b" ] && { echo "$b"; return 0; }
	command -v emu || true
}

lab_kernel_has_netem() {
	[ -d /sys/module/sch_netem ] && return 0
	modinfo sch_netem >/dev/null 2>&1 && return 0
	grep -qs 'sch_netem' "/lib/modules/$(uname -r)/modules.builtin"
}

# lab_emu_validate - choose the emulator and check every direction's
# parameters before anything is made (exit 2 with one line on bad input).
lab_emu_validate() {
	local dir bin out args
	if [ -n "$LAB_EMU_CALIB" ] && [ -z "$(lab_emu_get up delay)$(lab_emu_get down delay)" ]; then
		lab_err "--emu-calib shortens delays: it needs --delay (or --up-delay/--down-delay)"
		exit 2
	fi
	lab_emu_requested || return 0
	if [ -n "$LAB_EMULATOR" ]; then
		LAB_EMU_KIND=$LAB_EMULATOR
	elif lab_kernel_has_netem; then
		LAB_EMU_KIND=netem
	else
		LAB_EMU_KIND=bpf
	fi
	if [ "$LAB_EMU_KIND" = netem ] && [ -n "$LAB_EMU_CALIB" ]; then
		lab_err "--emu-calib needs the bpf emulator (netem has no calibration): add --emulator bpf"
		exit 2
	fi
	if [ "$LAB_EMU_KIND" = bpf ] && [ -n "$LAB_RATE" ]; then
		lab_err "--rate cannot be combined with the bpf emulator (both need the root qdisc; use --emulator netem where the kernel has it)"
		exit 2
	fi
	bin=$(lab_emu_bin)
	if [ -z "$bin" ]; then
		[ "$LAB_EMU_KIND" = netem ] && return 0	# netem checks its own
		lab_err "the bpf link emulator (emu) is not built: meson compile -C build (or set KH_EMU_BIN)"
		exit 1
	fi
	for dir in up down; do
		mapfile -t args <<<"$(lab_emu_args "$dir")"
		if ! out=$("$bin" check "${args[@]}" 2>&1); then
			out=${out#emu: }
			out=${out#error: }
			out=${out//--gemodel/--loss-model gemodel}
			lab_err "$dir direction: $(printf '%s\n' "$out" | head -n 1)"
			exit 2
		fi
	done
	return 0
}

# lab_emu_apply_target NS IF INDEX - emulate on IF's egress; INDEX is the
# target's position (even: up, odd: down; loopback's only target: both).
lab_emu_apply_target() {
	local ns=$1 dev=$2 i=$3 dir=up args out bin
	[ $((i % 2)) = 1 ] && dir=down
	if [ "${#LAB_SHAPE_TARGETS[@]}" = 1 ] && [ "$(lab_emu_text up)" != "$(lab_emu_text down)" ]; then
		lab_die "the loopback lab has one link for both directions: --up-*/--down-* options need a pair or replicas lab"
	fi
	if [ "$LAB_EMU_KIND" = netem ]; then
		mapfile -t args <<<"$(lab_emu_netem_args "$dir")"
		lab_tc_add "$ns" "$dev" netem "${args[@]}"
		return 0
	fi
	bin=$(lab_emu_bin)
	mapfile -t args <<<"$(lab_emu_args "$dir")"
	if ! out=$(ip netns exec "$ns" "$bin" attach --dev "$dev" "${args[@]}" 2>&1); then
		lab_die "bpf emulator on $dev ($ns): $(printf '%s\n' "$out" | grep -v '^$' | tail -n 1)"
	fi
}

# lab_emu_emit - what env reports.
lab_emu_emit() {
	if lab_emu_requested; then
		lab_emit LAB_EMULATOR "$LAB_EMU_KIND"
		lab_emit LAB_EMU_UP "$(lab_emu_text up)"
		lab_emit LAB_EMU_DOWN "$(lab_emu_text down)"
	else
		lab_emit LAB_EMULATOR none
	fi
}
