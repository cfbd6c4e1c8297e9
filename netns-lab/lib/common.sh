# shellcheck shell=bash
# common.sh - shared by lab.sh and its topology files: errors, naming, the
# per-lab state file, and running commands inside a lab namespace.
# Sourced, never executed. Every public function starts with lab_.

LAB_STATE_DIR=${KH_LAB_STATE_DIR:-/run/kernel-hedge-lab}
# A prefix is a short lowercase name without '-', so "P-" never matches a
# longer prefix's names and "P-replica12" stays within IFNAMSIZ-sized limits.
LAB_PREFIX_RE='^[a-z][a-z0-9]{0,7}$'

# lab_err - one clear line on stderr.
lab_err() { echo "lab.sh: error: $*" >&2; }
lab_note() { [ "${LAB_QUIET:-0}" = 1 ] || echo "lab.sh: $*" >&2; }
# lab_die - one clear line, then exit 1 (up's EXIT trap removes what was made).
lab_die() { lab_err "$*"; exit 1; }

# lab_run WHAT CMD... - run CMD; on failure die naming WHAT and CMD's first
# error line, so a failing ip/tc gives one line, not a screenful.
lab_run() {
	local what=$1 out
	shift
	if ! out=$("$@" 2>&1 >/dev/null); then
		out=$(printf '%s\n' "$out" | grep -v '^$' | head -n 1)
		lab_die "$what failed: ${out:-exit status non-zero} (command: $*)"
	fi
}

# lab_nsrun NS CMD... - CMD inside namespace NS (quietly, dies on failure).
lab_nsrun() {
	local ns=$1
	shift
	lab_run "in $ns: $*" ip netns exec "$ns" "$@"
}

# lab_checkpoint NAME - injected failure for tests: KH_LAB_FAIL_AT=NAME.
lab_checkpoint() {
	if [ "${KH_LAB_FAIL_AT:-}" = "$1" ]; then
		lab_die "injected failure at '$1' (KH_LAB_FAIL_AT)"
	fi
}

lab_state_file() { echo "$LAB_STATE_DIR/$1.env"; }

# lab_random_prefix - "kh" + 4 hex digits, not used by a lab or a namespace.
lab_random_prefix() {
	local p
	for _ in 1 2 3 4 5 6 7 8; do
		p=kh$(od -An -N2 -tx2 /dev/urandom | tr -d ' \n')
		if [ ! -e "$(lab_state_file "$p")" ] && [ -z "$(lab_namespaces "$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	lab_die "could not find a free random prefix"
}

# lab_namespaces P - the namespaces named "P-*" (what down removes).
lab_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'
}

# lab_all_prefixes - every lab of the calling user, oldest first. (ls -t and
# [ -O ], not find -printf: the VM has only busybox.)
lab_all_prefixes() {
	local f
	[ -d "$LAB_STATE_DIR" ] || return 0
	ls -tr "$LAB_STATE_DIR" 2>/dev/null | while IFS= read -r f; do
		case "$f" in *.env) ;; *) continue ;; esac
		[ -O "$LAB_STATE_DIR/$f" ] && echo "${f%.env}"
	done
	return 0
}

# lab_latest_prefix - the most recently created lab of the calling user.
lab_latest_prefix() {
	local p
	p=$(lab_all_prefixes | tail -n 1)
	[ -n "$p" ] || return 1
	echo "$p"
}

# lab_state_load P - read P's state file into the associative array LAB_STATE
# (parsed line by line, never eval'd). Returns 1 when there is none.
declare -gA LAB_STATE=()
lab_state_load() {
	local f k v
	LAB_STATE=()
	f=$(lab_state_file "$1")
	[ -f "$f" ] || return 1
	while IFS='=' read -r k v; do
		case "$k" in '' | \#*) continue ;; esac
		LAB_STATE[$k]=$v
	done <"$f"
	return 0
}

# lab_pid_start PID - the process's start time (clock ticks since boot), to
# tell a recorded PID from a later process that reused the number.
lab_pid_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# Field 22; the command name (field 2) may contain spaces, so cut after ')'.
	stat=${stat##*) }
	set -- $stat
	echo "${20}"
}

# lab_pid_is PID START - true if PID is still the process that started at
# START and has not exited. An exited process stays a zombie until its
# parent reaps it; our helpers are orphans, and PID 1 may reap late (here:
# up to 2 s), so a zombie counts as gone.
lab_pid_is() {
	local stat
	[ -n "$1" ] && [ -n "$2" ] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- "$2" $stat
	# $2: state (field 3), ${21}: start time (field 22).
	case "$2" in Z | X | x) return 1 ;; esac
	[ "${21}" = "$1" ]
}

# lab_signal_wait LIST SIG TRIES - send SIG to the processes of LIST
# ("pid:start" entries) still alive, then check every 0.1 s, TRIES times,
# until all are gone: 0 when they are, 1 when some are left.
lab_signal_wait() {
	local entry pid start left
	for entry in $1; do
		pid=${entry%%:*} start=${entry#*:}
		lab_pid_is "$pid" "$start" && kill -"$2" "$pid" 2>/dev/null
	done
	for _ in $(seq "$3"); do
		left=0
		for entry in $1; do
			pid=${entry%%:*} start=${entry#*:}
			lab_pid_is "$pid" "$start" && left=1
		done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# lab_stop_pids "PID:START ..." - TERM, then KILL after 2 s, the recorded
# processes that are still the ones recorded.
lab_stop_pids() {
	local entry list=""
	# Never ourselves: the owner watcher execs "lab.sh down" in its own PID.
	for entry in $1; do
		[ "${entry%%:*}" = "$$" ] || list+=" $entry"
	done
	lab_signal_wait "$list" TERM 20 && return 0
	# A killed process is gone only once it ran its exit and was reaped.
	lab_signal_wait "$list" KILL 50
	return 0
}

# lab_node_ns P NODE - the namespace of NODE (client, server, router,
# replicaK) in lab P, from its state file.
lab_node_ns() {
	local node=$2 key
	lab_state_load "$1" || { lab_err "no lab with prefix '$1' (see: lab.sh status)"; return 1; }
	case "$node" in
	client) key=CLIENT_NS ;;
	server) key=SERVER_NS ;;
	router) key=ROUTER_NS ;;
	replica[0-9]*) key=REPLICA_NS_${node#replica} ;;
	*) lab_err "unknown node '$node' (client, server, router or replicaK)"; return 1 ;;
	esac
	if [ -z "${LAB_STATE[$key]:-}" ]; then
		lab_err "lab '$1' (${LAB_STATE[LAB_TOPO]:-?}) has no node '$node'"
		return 1
	fi
	echo "${LAB_STATE[$key]}"
}
