#!/usr/bin/env bash
# lab.sh - create, use and remove kernel-hedge's network-namespace labs.
# The topologies are drawn at the top of lib/topo-*.sh. Addresses come only
# from 198.18.0.0/15 (RFC 2544) and 2001:2::/48 (RFC 5180); every name carries
# the lab's prefix; the host's own interfaces and sysctls are never touched.
set -euo pipefail

LAB_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
LAB_SELF="$LAB_ROOT/netns-lab/lab.sh"
for f in common build topo-pair topo-replicas topo-loopback topo-ssh-hosts provider-hosts shaping emulate keepawake; do
	# shellcheck source=/dev/null
	. "$LAB_ROOT/netns-lab/lib/$f.sh"
done

usage() {
	cat <<'USAGE'
Usage: lab.sh up pair              [OPTIONS]
       lab.sh up replicas N        [OPTIONS]    (N from 1 to 64)
       lab.sh up loopback          [OPTIONS]
       lab.sh up hosts --inventory FILE         (real hosts over ssh; see deploy/README.md)
       lab.sh up ssh-hosts N [--clients C]      (N namespaces running sshd, for tests)
       lab.sh exec [--prefix P] NODE -- CMD...  (NODE: client server router replicaK)
       lab.sh env [--prefix P]      print a lab's KEY=VALUE lines again
       lab.sh status [--prefix P]   a lab (default: every lab of this user)
       lab.sh down [--prefix P]     remove a lab (default: the newest); idempotent
       lab.sh list                  prefixes of this user's labs, oldest first

"up" prints KEY=VALUE lines (LAB_PREFIX, CLIENT_NS, SERVER_ADDR, ...) on
stdout, ready for eval, and remembers the lab in /run/kernel-hedge-lab/P.env.

Options of up:
  --prefix P       name prefix of the lab (a-z0-9, at most 8, starting with a
                   letter; default: random "kh" + 4 hex digits)
  --delay D        delay on each direction (e.g. 5ms)
  --jitter J       jitter around --delay (e.g. 1ms; uniform: +-J)
  --distribution uniform|normal   of the jitter (normal: sigma J)
  --loss L         Bernoulli loss on each direction (e.g. 0.5%)
  --loss-model gemodel P R 1-H 1-K   Gilbert-Elliott loss (netem's words)
  --duplicate P    duplicate a packet with probability P
  --reorder P      send a packet at once, skipping --delay, with probability P
  --up-OPT V, --down-OPT V   any of the above for one direction only
                   (up: client -> server, down: back), e.g. --down-loss 1%
  --emulator bpf|netem  who emulates: default netem where the kernel has
                   it, else the BPF link emulator (netns-lab/emu)
  --emu-seed N     the emulator's random seed (up: N, down: N+1; default 1)
  --emu-calib D|auto  bpf emulator: shorten every hold by D, the release's
                   typical lateness (auto: measured at attach), so the mean
                   delay is the configured one; default none: never early,
                   as netem
  --rate R         rate limit on each direction (tc units, e.g. 100mbit; tbf)
  --keep-awake     one SCHED_IDLE spinner per CPU until down (KEEP_AWAKE=1)
  --owner-pid PID  remove the lab by itself when process PID exits
  -q, --quiet      no progress notes on stderr

Examples:
  eval "$(netns-lab/lab.sh up pair --keep-awake)"
  trap 'netns-lab/lab.sh down --prefix "$LAB_PREFIX"' EXIT
  netns-lab/lab.sh exec --prefix "$LAB_PREFIX" server -- chaos-server ... &
  netns-lab/lab.sh exec --prefix "$LAB_PREFIX" client -- hedge-client ...

  eval "$(netns-lab/lab.sh up replicas 3 --rate 1gbit --owner-pid $$)"
  netns-lab/lab.sh up pair --delay 5ms --jitter 1ms --loss 1%   # bpf emulator here (no netem)
  netns-lab/lab.sh up pair --down-loss-model gemodel 1% 30% 100% 0% --emulator bpf
  netns-lab/lab.sh down                  # the newest lab
USAGE
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		lab_err "root is needed to create network namespaces"
		exit 1
	fi
}

# check_prefix P - validate --prefix.
check_prefix() {
	if ! [[ $1 =~ $LAB_PREFIX_RE ]]; then
		lab_err "--prefix '$1': expected 1-8 of a-z0-9 starting with a letter (no '-')"
		exit 2
	fi
}

# lab_opts CMD ARGS... - the options down, env, status and exec share:
# --prefix P (checked) into OPT_PREFIX, -q/--quiet, -h/--help. Stops at the
# first argument that is not one of them ("--" included), leaving it and the
# rest in OPT_ARGS; an unknown option exits 2.
lab_opts() {
	local cmd=$1
	shift
	OPT_PREFIX=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--prefix) [ $# -ge 2 ] || { lab_err "--prefix needs a value"; exit 2; }
			check_prefix "$2"; OPT_PREFIX=$2; shift 2 ;;
		-q | --quiet) LAB_QUIET=1; shift ;;
		-h | --help) usage; exit 0 ;;
		--) break ;;
		-*) lab_err "$cmd: unexpected option '$1' (try --help)"; exit 2 ;;
		*) break ;;
		esac
	done
	OPT_ARGS=("$@")
}

# lab_no_args CMD - exit 2 when lab_opts left an argument CMD does not take.
lab_no_args() {
	[ ${#OPT_ARGS[@]} = 0 ] || { lab_err "$1: unexpected argument '${OPT_ARGS[0]}' (try --help)"; exit 2; }
}

# resolve_prefix [P] - P, or the newest lab; dies when there is none.
resolve_prefix() {
	if [ -n "$1" ]; then echo "$1"; return 0; fi
	lab_latest_prefix || { lab_err "no lab found (lab.sh up ... first)"; return 1; }
}

# ---- down -------------------------------------------------------------------

# lab_teardown P - remove everything of lab P: its helpers, every namespace
# named "P-*" (with the processes left in them), the state file. Works from
# the state file or without it (a partial up), and when nothing is left.
lab_teardown() {
	local p=$1 ns pids left
	if lab_state_load "$p"; then
		lab_hosts_teardown "$p" || true
		lab_ssh_hosts_teardown "$p"
		lab_keepawake_unidle "${LAB_STATE[KEEP_AWAKE_PIDS]:-}"
		lab_stop_pids "${LAB_STATE[WATCHER_PIDS]:-} ${LAB_STATE[KEEP_AWAKE_PIDS]:-}"
	fi
	for ns in $(lab_namespaces "$p"); do
		# A process left inside keeps the namespace (and its links and
		# qdiscs) alive after "ip netns del": end the lab's processes.
		pids=$(ip netns pids "$ns" 2>/dev/null | grep -vx "$$" || true)
		if [ -n "$pids" ]; then
			kill -TERM $pids 2>/dev/null || true
			for _ in $(seq 20); do
				pids=$(ip netns pids "$ns" 2>/dev/null || true)
				[ -z "$pids" ] && break
				sleep 0.1
			done
			[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -f "$(lab_state_file "$p")"
	left=$(lab_namespaces "$p")
	if [ -n "$left" ]; then
		lab_err "could not remove namespace(s) of lab $p: $(echo $left)"
		return 1
	fi
	return 0
}

cmd_down() {
	local prefix p
	lab_opts down "$@"
	lab_no_args down
	prefix=$OPT_PREFIX
	need_root
	if [ -z "$prefix" ]; then
		if ! p=$(lab_latest_prefix); then
			lab_note "no lab to remove"
			return 0
		fi
	else
		p=$prefix
	fi
	if [ ! -e "$(lab_state_file "$p")" ] && [ -z "$(lab_namespaces "$p")" ]; then
		lab_note "lab $p: nothing to remove"
		return 0
	fi
	lab_teardown "$p"
	lab_note "lab $p removed"
}

# ---- up ---------------------------------------------------------------------

LAB_UP_PREFIX="" LAB_UP_DONE=0 LAB_WATCHER_PIDS=""
# up_abort - EXIT trap of up: a failed up leaves nothing behind.
up_abort() {
	local rc=$?
	if [ "$LAB_UP_DONE" != 1 ] && [ -n "$LAB_UP_PREFIX" ]; then
		lab_keepawake_unidle "$LAB_KEEPAWAKE_PIDS"
		lab_stop_pids "$LAB_WATCHER_PIDS $LAB_KEEPAWAKE_PIDS"
		LAB_QUIET=1 lab_teardown "$LAB_UP_PREFIX" || true
		[ "$rc" = 0 ] && rc=1
	fi
	exit "$rc"
}

# start_watcher OWNER P - a detached process that removes lab P when OWNER
# exits (so a calling script that dies, even by SIGKILL, still cleans up).
start_watcher() {
	local owner=$1 p=$2 pid
	setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
		exec "$2" down --quiet --prefix "$3"' kh-lab-watcher "$owner" "$LAB_SELF" "$p" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	LAB_WATCHER_PIDS="$pid:$(lab_pid_start "$pid")"
}

cmd_up() {
	local topo="" n="" prefix="" keep_awake=0 owner="" kind line
	[ $# -ge 1 ] || { lab_err "up: which topology? pair, replicas N or loopback (try --help)"; exit 2; }
	case "$1" in
	-h | --help) usage; exit 0 ;;
	pair | loopback | hosts) topo=$1; shift ;;
	ssh-hosts)
		topo=$1
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 2 ] && [ "$2" -le "$LAB_SSH_HOSTS_MAX" ] ||
			{ lab_err "up ssh-hosts: expected a count from 2 to $LAB_SSH_HOSTS_MAX, got '${2:-}'"; exit 2; }
		n=$((10#$2))
		shift 2 ;;
	replicas)
		topo=$1
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ] || [ "$2" -gt "$LAB_REPLICAS_MAX" ]; then
			lab_err "up replicas: expected a count from 1 to $LAB_REPLICAS_MAX, got '${2:-}'"
			exit 2
		fi
		n=$((10#$2))
		shift 2 ;;
	*) lab_err "up: unknown topology '$1' (pair, replicas N or loopback)"; exit 2 ;;
	esac
	while [ $# -gt 0 ]; do
		case "$1" in
		--prefix | --delay | --jitter | --loss | --rate | --owner-pid)
			[ $# -ge 2 ] && [ -n "$2" ] || { lab_err "$1 needs a value"; exit 2; }
			case "$1" in
			--prefix) check_prefix "$2"; prefix=$2 ;;
			--delay) LAB_DELAY=$2 ;;
			--jitter) LAB_JITTER=$2 ;;
			--loss) LAB_LOSS=$2 ;;
			--rate) LAB_RATE=$2 ;;
			--owner-pid)
				if ! [[ $2 =~ ^[1-9][0-9]*$ ]] || ! kill -0 "$2" 2>/dev/null; then
					lab_err "--owner-pid '$2': not a running process"
					exit 2
				fi
				owner=$2 ;;
			esac
			shift 2 ;;
		--emulator | --emu-seed | --emu-calib | --distribution | --loss-model | --duplicate | --reorder | --up-* | --down-*)
			lab_emu_opt "$@"	# lib/emulate.sh
			shift "$LAB_EMU_SHIFT" ;;
		--keep-awake) keep_awake=1; shift ;;
		--inventory) [ $# -ge 2 ] || { lab_err "$1 needs a value"; exit 2; }
			lab_hosts_opt "$1" "$2"; shift 2 ;;
		--clients | --no-bpf) [ $# -ge 2 ] || { lab_err "$1 needs a value"; exit 2; }
			lab_ssh_hosts_opt "$1" "$2"; shift 2 ;;
		-q | --quiet) LAB_QUIET=1; shift ;;
		-h | --help) usage; exit 0 ;;
		*) lab_err "up: unexpected argument '$1' (try --help)"; exit 2 ;;
		esac
	done
	lab_shape_validate
	need_root
	command -v ip >/dev/null && command -v tc >/dev/null ||
		{ lab_err "ip and tc (iproute2) are needed"; exit 1; }

	mkdir -p "$LAB_STATE_DIR"
	[ -n "$prefix" ] || prefix=$(lab_random_prefix)
	if [ -n "$(lab_namespaces "$prefix")" ]; then
		lab_err "namespaces named '$prefix-*' exist already (lab.sh down --prefix $prefix)"
		exit 1
	fi
	# Claim the prefix atomically; from here on the EXIT trap undoes a failure.
	if ! (set -o noclobber; echo "LAB_PREFIX=$prefix" >"$(lab_state_file "$prefix")") 2>/dev/null; then
		lab_err "lab '$prefix' exists already (lab.sh down --prefix $prefix)"
		exit 1
	fi
	LAB_UP_PREFIX=$prefix
	trap up_abort EXIT
	trap 'exit 130' INT TERM HUP

	lab_emit LAB_PREFIX "$prefix"
	lab_emit LAB_TOPO "$topo${n:+ $n}"
	lab_emit LAB_STATE "$(lab_state_file "$prefix")"
	case "$topo" in
	pair) lab_topo_pair "$prefix" ;;
	replicas) lab_topo_replicas "$prefix" "$n" ;;
	ssh-hosts) lab_topo_ssh_hosts "$prefix" "$n" ;;
	hosts) lab_topo_hosts "$prefix" ;;
	loopback) lab_topo_loopback "$prefix" ;;
	esac
	lab_checkpoint after-topology
	lab_shape_apply
	if [ "$keep_awake" = 1 ]; then
		lab_keepawake_start "$owner"
		lab_emit KEEP_AWAKE 1
	else
		lab_emit KEEP_AWAKE 0
	fi
	if [ -n "$owner" ]; then
		start_watcher "$owner" "$prefix"
		lab_emit LAB_OWNER_PID "$owner"
	fi
	lab_checkpoint before-state

	# The state file: the printed lines, then what down needs.
	{
		printf '%s\n' "${LAB_OUT[@]}"
		echo "LAB_UID=$(id -u)"
		echo "LAB_CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "KEEP_AWAKE_PIDS=$LAB_KEEPAWAKE_PIDS"
		echo "WATCHER_PIDS=$LAB_WATCHER_PIDS"
	} >"$(lab_state_file "$prefix").tmp"
	mv -f "$(lab_state_file "$prefix").tmp" "$(lab_state_file "$prefix")"
	LAB_UP_DONE=1
	for line in "${LAB_OUT[@]}"; do
		lab_print_line "$line"
	done
	kind=$(lab_shape_kind)
	lab_note "lab $prefix ($topo${n:+ $n}) is up; shaping: $kind; keep-awake: $keep_awake; remove with: lab.sh down --prefix $prefix"
}

# lab_print_line KEY=VALUE - as is when the value is shell-safe, else quoted,
# so the output can always be eval'd.
lab_print_line() {
	local k=${1%%=*} v=${1#*=}
	if [[ $v =~ ^[A-Za-z0-9_.,:/%+-]*$ ]]; then
		echo "$k=$v"
	else
		printf '%s=%q\n' "$k" "$v"
	fi
}

# ---- env, status, list, exec ------------------------------------------------

cmd_env() {
	local p k line
	lab_opts env "$@"
	lab_no_args env
	p=$(resolve_prefix "$OPT_PREFIX") || exit 1
	[ -f "$(lab_state_file "$p")" ] || { lab_err "no lab with prefix '$p'"; exit 1; }
	# The printed part of the state file: everything before LAB_UID.
	while IFS= read -r line; do
		k=${line%%=*}
		[ "$k" = LAB_UID ] && break
		lab_print_line "$line"
	done <"$(lab_state_file "$p")"
}

lab_status_one() {
	local p=$1 ns missing=0 present="" ka
	if ! lab_state_load "$p"; then
		lab_err "no lab with prefix '$p'"
		return 1
	fi
	echo "lab $p: ${LAB_STATE[LAB_TOPO]:-?}, created ${LAB_STATE[LAB_CREATED]:-?}"
	for ns in $(lab_namespaces "$p"); do present+=" $ns"; done
	echo "  namespaces:${present:- none}"
	for key in CLIENT_NS SERVER_NS ROUTER_NS; do
		ns=${LAB_STATE[$key]:-}
		[ -n "$ns" ] && ! lab_namespaces "${ns%%-*}" | grep -x -- "$ns" >/dev/null && missing=1
	done
	echo "  addresses: client ${LAB_STATE[CLIENT_ADDR]:-} server ${LAB_STATE[SERVER_ADDR]:-}${LAB_STATE[REPLICA_ADDRS]:+ replicas ${LAB_STATE[REPLICA_ADDRS]}}"
	echo "  shaping: ${LAB_STATE[LAB_SHAPING]:-none}${LAB_STATE[LAB_RATE]:+ rate ${LAB_STATE[LAB_RATE]}}${LAB_STATE[LAB_DELAY]:+ delay ${LAB_STATE[LAB_DELAY]}}${LAB_STATE[LAB_JITTER]:+ jitter ${LAB_STATE[LAB_JITTER]}}${LAB_STATE[LAB_LOSS]:+ loss ${LAB_STATE[LAB_LOSS]}}"
	ka=$(lab_keepawake_running "${LAB_STATE[KEEP_AWAKE_PIDS]:-}")
	echo "KEEP_AWAKE=${LAB_STATE[KEEP_AWAKE]:-0}"
	echo "KEEP_AWAKE_RUNNING=$ka"
	echo "LAB_OWNER_PID=${LAB_STATE[LAB_OWNER_PID]:-}"
	if [ "$missing" = 1 ]; then
		echo "LAB_HEALTHY=0"
		return 1
	fi
	if [ "${LAB_STATE[KEEP_AWAKE]:-0}" = 1 ] && [ "$ka" != 1 ]; then
		echo "LAB_HEALTHY=0"
		return 1
	fi
	echo "LAB_HEALTHY=1"
}

cmd_status() {
	local p rc=0 any=0
	lab_opts status "$@"
	lab_no_args status
	if [ -n "$OPT_PREFIX" ]; then
		lab_status_one "$OPT_PREFIX"
		return
	fi
	for p in $(lab_all_prefixes); do
		any=1
		lab_status_one "$p" || rc=1
	done
	[ "$any" = 1 ] || echo "no labs"
	return $rc
}

cmd_list() {
	lab_opts list "$@"
	lab_no_args list
	[ -z "$OPT_PREFIX" ] || { lab_err "list: --prefix does not apply (try --help)"; exit 2; }
	lab_all_prefixes
}

cmd_exec() {
	local p node ns
	lab_opts exec "$@"
	set -- "${OPT_ARGS[@]}"
	[ "${1:-}" != -- ] || { lab_err "exec: NODE is missing before '--'"; exit 2; }
	[ $# -ge 1 ] || { lab_err "exec: expected NODE -- CMD..."; exit 2; }
	node=$1
	shift
	# "--" is required: without it an option of CMD could be taken for ours.
	[ $# -ge 1 ] && [ "$1" = -- ] || { lab_err "exec: expected '--' after NODE ('$node -- CMD...')"; exit 2; }
	shift
	[ $# -ge 1 ] || { lab_err "exec: no command after NODE ('$node -- CMD...')"; exit 2; }
	need_root
	p=$(resolve_prefix "$OPT_PREFIX") || exit 1
	[ ! -f "$(lab_hosts_table "$p")" ] || lab_hosts_exec "$p" "$node" "$@"
	ns=$(lab_node_ns "$p" "$node") || exit 2
	exec ip netns exec "$ns" "$@"
}

main() {
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	local cmd=$1
	shift
	case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	exec) cmd_exec "$@" ;;
	env) cmd_env "$@" ;;
	status) cmd_status "$@" ;;
	list) cmd_list "$@" ;;
	hosts-renew) lab_opts hosts-renew "$@"; lab_hosts_renew "$OPT_PREFIX" ;;
	-h | --help | help) usage ;;
	*) lab_err "unknown command '$cmd' (up, down, exec, env, status, list; try --help)"; exit 2 ;;
	esac
}

main "$@"
