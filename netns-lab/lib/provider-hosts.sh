# shellcheck shell=bash
# provider-hosts.sh - topology "hosts": the lab's nodes are real machines
# named by an Ansible inventory (groups client, replica, optional router;
# per host kh_if, kh_addr, kh_dir), and "exec" runs over OpenSSH.
#
# One ssh master connection per host (ControlMaster, ControlPersist) lives in
# a per-lab control directory, so each exec costs one round trip. "up" checks
# every host (ssh, interface and its address, the deployed hedger and its
# probe, i.e. BPF) and records what it found (kernel, NIC driver and
# offloads, hedger probe, clock offset) under P.facts/. On each host a run
# directory HOSTS_RUN_DIR holds: procs/ (one file per exec'd session, so
# cleanup ends exactly what the lab started), cleanup.sh, and the lease
# that a local keeper touches every few seconds; a guard on the host runs
# cleanup.sh when the lease is not renewed (the controller died or the
# connection was lost). "down" runs cleanup.sh on every host, then closes
# the masters.

LAB_HOSTS_INVENTORY=""
LAB_HOSTS_LEASE=${KH_HOSTS_LEASE:-30}           # seconds without renewal before a host cleans up
LAB_HOSTS_MAX_OFFSET_MS=${KH_HOSTS_MAX_OFFSET_MS:-100}

lab_hosts_table() { echo "$LAB_STATE_DIR/$1.hosts"; }
lab_hosts_ctl() { echo "$LAB_STATE_DIR/$1.ssh"; }
lab_hosts_facts() { echo "$LAB_STATE_DIR/$1.facts"; }
lab_hosts_rundir() { echo "/run/kernel-hedge-lab-$1"; }

# lab_hosts_opt --inventory FILE
lab_hosts_opt() {
	[ -f "$2" ] || { lab_err "--inventory '$2': no such file"; exit 2; }
	LAB_HOSTS_INVENTORY=$(readlink -f "$2")
}

# lab_hosts_flatten FILE - one tab-separated line per host of the inventory:
# role index name address port user key interface test-address kh_dir
# ssh-args. The inventory is read by ansible-inventory itself (INI or YAML,
# group vars applied), never parsed here.
lab_hosts_flatten() {
	local json
	command -v ansible-inventory >/dev/null ||
		lab_die "ansible-inventory is not installed (Debian package ansible-core)"
	json=$(ANSIBLE_HOME=${TMPDIR:-/tmp} ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp} \
		ansible-inventory -i "$1" --list 2>&1) ||
		lab_die "inventory $1: ansible-inventory failed: $(printf '%s\n' "$json" | grep -m1 -iE 'error|warn' || echo "$json" | head -n1)"
	python3 - "$1" "$json" <<-'PY'
		import json, sys
		name, inv = sys.argv[1], json.loads(sys.argv[2])
		hv = inv.get("_meta", {}).get("hostvars", {})
		def die(msg):
		    print(f"lab.sh: error: inventory {name}: {msg}", file=sys.stderr)
		    sys.exit(1)
		def members(group, seen=None):
		    seen = [] if seen is None else seen
		    g = inv.get(group, {})
		    for h in g.get("hosts", []):
		        if h not in seen:
		            seen.append(h)
		    for c in g.get("children", []):
		        members(c, seen)
		    return seen
		role_of, lines = {}, []
		for role in ("client", "replica", "router"):
		    for i, h in enumerate(members(role), 1):
		        if h in role_of:
		            die(f"host {h} is in groups {role_of[h]} and {role}: one role per host")
		        role_of[h] = role
		        v = hv.get(h, {})
		        for key in ("kh_if", "kh_addr"):
		            if not v.get(key):
		                die(f"host {h}: {key} is not set (the interface to test on and its address)")
		        f = [role, str(i), h, v.get("ansible_host", h), v.get("ansible_port", 22),
		             v.get("ansible_user", ""), v.get("ansible_ssh_private_key_file", ""),
		             v["kh_if"], v["kh_addr"], v.get("kh_dir", "/opt/kernel-hedge"),
		             v.get("ansible_ssh_common_args", "")]
		        f = [str(x) for x in f]
		        if any("\t" in x or "\n" in x for x in f):
		            die(f"host {h}: a value contains a tab or newline")
		        lines.append("\t".join(f))
		if not members("client"):
		    die("no host in group 'client'")
		if not members("replica"):
		    die("no host in group 'replica'")
		if len(members("router")) > 1:
		    die("at most one host in group 'router'")
		print("\n".join(lines))
	PY
}

# lab_hosts_ssh_cmd P ROW - set LAB_SSH to the ssh command line for host ROW
# (a line of the table), ending with the target.
declare -ga LAB_SSH=()
lab_hosts_ssh_cmd() {
	local p=$1 role idx name addr port user key ifc taddr kdir args
	IFS=$'\t' read -r role idx name addr port user key ifc taddr kdir args <<<"$2"
	LAB_SSH=(ssh -o BatchMode=yes -o ConnectTimeout="${KH_HOSTS_CONNECT_TIMEOUT:-5}"
		-o ServerAliveInterval=2 -o ServerAliveCountMax=3 -o LogLevel=ERROR
		-o ControlMaster=auto -o ControlPersist=yes -o ControlPath="$(lab_hosts_ctl "$p")/%C"
		-p "$port")
	[ -z "$key" ] || LAB_SSH+=(-i "$key" -o IdentitiesOnly=yes)
	[ -z "$user" ] || LAB_SSH+=(-l "$user")
	# Shell-like words without quotes, as Ansible's ssh connection splits them.
	# shellcheck disable=SC2206
	[ -z "$args" ] || LAB_SSH+=($args)
	LAB_SSH+=("$addr")
	LAB_SSH_SUDO=""
	[ -z "$user" ] || [ "$user" = root ] || LAB_SSH_SUDO="sudo -n "
}

# lab_hosts_row P NODE - the table line of NODE: client (= client1), clientK,
# server (= replica1), replicaK, router, or an inventory host name.
lab_hosts_row() {
	local t role idx
	t=$(lab_hosts_table "$1")
	case "$2" in
	client) role=client idx=1 ;;
	server) role=replica idx=1 ;;
	router) role=router idx=1 ;;
	client[0-9]*) role=client idx=${2#client} ;;
	replica[0-9]*) role=replica idx=${2#replica} ;;
	*) role="" idx="" ;;
	esac
	awk -F'\t' -v r="$role" -v i="$idx" -v n="$2" \
		'(r != "" && $1 == r && $2 == i) || (r == "" && $3 == n) { print; f = 1; exit } END { exit !f }' "$t" ||
		{ lab_err "hosts lab '$1' has no node '$2' (clientK, replicaK, router or an inventory host)"; return 1; }
}

# lab_hosts_quote ARGS... - the words as one remote shell command line.
lab_hosts_quote() {
	local a out=""
	for a in "$@"; do out+=" $(printf '%q' "$a")"; done
	echo "${out# }"
}

# lab_hosts_exec P NODE CMD... - run CMD on NODE's host (foreground; status
# passed through). The session is registered in the run directory, so down
# (or the guard) ends it and whatever it started, if still running.
lab_hosts_exec() {
	local p=$1 row dir
	row=$(lab_hosts_row "$p" "$2") || exit 2
	shift 2
	lab_hosts_ssh_cmd "$p" "$row"
	dir=$(lab_hosts_rundir "$p")
	# Registered as "procs/SID" holding this shell's start time: cleanup ends
	# the processes of that session started since.
	# shellcheck disable=SC2016
	exec "${LAB_SSH[@]}" "${LAB_SSH_SUDO}bash -c $(printf '%q' 'd=$1; shift; if [ -d "$d/procs" ]; then read -r -a f </proc/$$/stat; echo "${f[21]}" >"$d/procs/${f[5]}"; fi; exec "$@"') kh-exec $dir $(lab_hosts_quote "$@")"
}

# lab_hosts_remote_setup - the script "up" runs on each host (bash -s; args:
# IF ADDR KH_DIR RUNDIR LEASE ROLE NAME). Checks, then creates the run
# directory, cleanup.sh and the guard, then prints the facts. A failed check
# prints "kh-error: MESSAGE" and exits 1 before creating anything.
lab_hosts_remote_setup() {
	cat <<-'SH'
		set -u
		ifc=$1 addr=$2 kdir=$3 dir=$4 lease=$5 role=$6 name=$7
		err() { echo "kh-error: $*"; exit 1; }
		ip -o link show dev "$ifc" >/dev/null 2>&1 || err "interface $ifc does not exist"
		ip -o link show dev "$ifc" | grep -q 'state DOWN' && err "interface $ifc is down"
		ip -o addr show dev "$ifc" | awk '{ sub(/\/.*/, "", $4); print $4 }' | grep -qxF "$addr" ||
			err "interface $ifc does not have address $addr"
		[ -x "$kdir/bin/hedger" ] || err "$kdir/bin/hedger is missing (run deploy/site.yml first)"
		# BPF: a kernel with BTF, and a session allowed to load programs
		# (CAP_BPF with CAP_NET_ADMIN, or CAP_SYS_ADMIN); hedger probe reads
		# what the kernel offers but loads nothing.
		[ -e /sys/kernel/btf/vmlinux ] || err "no BPF: the kernel has no BTF (/sys/kernel/btf/vmlinux)"
		cap=$((16#$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)))
		(( (cap >> 21) & 1 || ((cap >> 39) & 1 && (cap >> 12) & 1) )) ||
			err "no BPF: the session lacks CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN) to load programs"
		probe=$("$kdir/bin/hedger" probe 2>&1) ||
			err "hedger probe failed (no BPF?): $(printf '%s\n' "$probe" | grep -v '^$' | tail -n1)"
		[ ! -e "$dir" ] || err "$dir exists (another lab with this prefix?)"
		# The lease starts 30 s ahead: the keeper starts once every host is up.
		mkdir -p "$dir/procs" && touch -d "@$(( $(date +%s) + 30 ))" "$dir/lease" || err "cannot create $dir"
		cat >"$dir/cleanup.sh" <<-EOF
			# Ends what the lab started on this host, then removes $dir.
			dir=$dir ifc=$ifc hedger=$kdir/bin/hedger
		EOF
		cat >>"$dir/cleanup.sh" <<-'EOF'
			[ -d "$dir" ] || exit 0
			# victims - the processes of the registered sessions ("procs/SID"
			# holds the start time of the exec'd shell), started since then.
			victims() {
				local f reg=""
				for f in "$dir"/procs/*; do
					[ -f "$f" ] && reg+="${f##*/}:$(cat "$f") "
				done
				[ -n "$reg" ] || return 0
				# stat after the command name: $4 session id, $20 start time. A
				# process may end between the glob and the read: getline, which
				# fails softly, not awk's file arguments (mawk stops on those).
				printf '%s\n' /proc/[0-9]*/stat | awk -v reg="$reg" -v self=$$ '
					BEGIN { n = split(reg, r, " ")
						for (i = 1; i <= n; i++) { split(r[i], x, ":"); st[x[1]] = x[2] } }
					{ f = $0; if ((getline l < f) <= 0) next; close(f)
						pid = f; sub(/^\/proc\//, "", pid); sub(/\/stat$/, "", pid)
						sub(/^.*\) /, "", l); split(l, v, " ")
						if ((v[4] in st) && v[20] + 0 >= st[v[4]] + 0 && pid != self) print pid }'
			}
			pids=$(victims)
			if [ -n "$pids" ]; then
				kill -INT $pids 2>/dev/null
				for _ in $(seq 30); do pids=$(victims); [ -z "$pids" ] && break; sleep 0.1; done
				[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
			fi
			# A hedger killed on the way leaves its links and qdiscs: detach removes them.
			[ -x "$hedger" ] && "$hedger" detach --dev "$ifc" >/dev/null 2>&1
			g=$(cat "$dir/guard.pid" 2>/dev/null)
			rm -rf "$dir"
			[ -n "$g" ] && [ "$g" != $$ ] && [ "$g" != "$PPID" ] && kill "$g" 2>/dev/null
			exit 0
		EOF
		setsid bash -c 'd=$1 l=$2
			while [ -d "$d" ]; do
				if [ $(( $(date +%s) - $(stat -c %Y "$d/lease" 2>/dev/null || echo 0) )) -gt "$l" ]; then
					exec bash "$d/cleanup.sh"
				fi
				sleep 1
			done' kh-lab-guard "$dir" "$lease" </dev/null >/dev/null 2>&1 &
		echo $! >"$dir/guard.pid"
		echo "kh-ok"
		echo "host: $name"
		echo "role: $role"
		echo "interface: $ifc"
		echo "test_address: $addr"
		echo "kh_dir: $kdir"
		echo "commit: $(cat "$kdir/COMMIT" 2>/dev/null || echo unknown)"
		echo "kernel: $(uname -r)"
		echo "kernel_build: $(uname -v)"
		echo "os: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
		echo "cpus: $(nproc)"
		echo "cpu_model: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
		echo "link: $(ip -d -o link show dev "$ifc" | sed 's/\\ */ /g')"
		if command -v ethtool >/dev/null; then
			echo "== ethtool -i $ifc"; ethtool -i "$ifc" 2>&1
			echo "== ethtool -k $ifc"; ethtool -k "$ifc" 2>&1
			echo "== ethtool -l $ifc"; ethtool -l "$ifc" 2>&1
		else
			echo "== ethtool: not installed"
		fi
		echo "== queues (rps_cpus, xps_cpus)"
		for q in /sys/class/net/"$ifc"/queues/*/; do
			for f in rps_cpus xps_cpus; do
				[ -r "$q$f" ] && echo "${q#/sys/class/net/}$f $(cat "$q$f" 2>/dev/null || echo n/a)"
			done
		done
		echo "== clock sync"
		if command -v chronyc >/dev/null; then chronyc tracking 2>&1
		elif command -v timedatectl >/dev/null; then timedatectl show 2>&1 | grep -i ntp
		else echo "no chronyc or timedatectl"; fi
		echo "== hedger probe"
		printf '%s\n' "$probe"
	SH
}

# lab_hosts_ssh_error NAME ADDR MSG - why ssh to a host failed, in one line.
lab_hosts_ssh_error() {
	local why
	case "$3" in
	*"Permission denied"*) why="authentication failed (wrong key or user): " ;;
	*"Host key verification failed"* | *"REMOTE HOST IDENTIFICATION"*) why="host key not known or changed: " ;;
	*"timed out"* | *"No route to host"* | *"Connection refused"* | *"unreachable"*) why="unreachable: " ;;
	*) why="" ;;
	esac
	echo "host $1 ($2): ssh failed: $why$(printf '%s\n' "$3" | grep -v '^$' | tail -n1)"
}

# lab_hosts_clock_offset P ROW - "offset_ms rtt_ms": the host's clock minus
# ours at the midpoint of a round trip, NTP-style: one session answers five
# requests with its clock, the sample with the shortest round trip counts.
lab_hosts_clock_offset() {
	local t0 t1 r best="" fd
	lab_hosts_ssh_cmd "$1" "$2"
	# bash's EPOCHREALTIME on both sides: no process start inside a sample.
	coproc KH_CLOCK { "${LAB_SSH[@]}" "bash -c 'while read -r _; do echo \$EPOCHREALTIME; done'" 2>/dev/null; }
	for _ in 1 2 3 4 5; do
		t0=$EPOCHREALTIME
		echo >&"${KH_CLOCK[1]}" || break
		read -r -t 10 r <&"${KH_CLOCK[0]}" || break
		t1=$EPOCHREALTIME
		best=$(awk -v a="$t0" -v b="$t1" -v r="$r" -v best="$best" 'BEGIN {
			if (best != "") { split(best, x, " "); if (x[2] <= (b - a) * 1e3) { print best; exit } }
			printf "%.3f %.3f\n", (r - (a + b) / 2) * 1e3, (b - a) * 1e3 }')
	done
	fd=${KH_CLOCK[1]}
	exec {fd}>&-
	wait "$KH_CLOCK_PID" 2>/dev/null
	[ -n "$best" ] || return 1
	echo "$best"
}

# lab_hosts_redact FILE - the inventory without secrets (passwords, vault).
lab_hosts_redact() {
	sed -E 's/((pass|password|passphrase|secret|token|vault)[a-z_]*[[:space:]]*[=:][[:space:]]*)[^[:space:]]+/\1<redacted>/Ig' "$1"
}

# lab_hosts_check_one P ROW - the checks of one host (ssh, clock, then the
# remote setup: interface, address, hedger, BPF), its facts into P.facts/,
# "OFFSET RTT" into P.ssh/clock-NAME; a failure's one line into
# P.ssh/err-NAME instead. P.ssh/set-up-NAME marks a host whose run
# directory exists (what down must clean).
lab_hosts_check_one() {
	local p=$1 row=$2 role idx name addr port user key ifc taddr kdir args out off rtt ctl
	IFS=$'\t' read -r role idx name addr port user key ifc taddr kdir args <<<"$row"
	ctl=$(lab_hosts_ctl "$p")
	lab_hosts_ssh_cmd "$p" "$row"
	if ! out=$("${LAB_SSH[@]}" true 2>&1 </dev/null); then
		lab_hosts_ssh_error "$name" "$addr" "$out" >"$ctl/err-$name"
		return 1
	fi
	if ! read -r off rtt < <(lab_hosts_clock_offset "$p" "$row"); then
		echo "host $name ($addr): the connection broke while reading its clock" >"$ctl/err-$name"
		return 1
	fi
	if awk -v o="$off" -v r="$rtt" -v m="$LAB_HOSTS_MAX_OFFSET_MS" \
		'BEGIN { o = o < 0 ? -o : o; exit !(o - r / 2 > m) }'; then
		echo "host $name ($addr): clock off by $off ms (more than $LAB_HOSTS_MAX_OFFSET_MS ms; sync it with chrony or ptp4l)" >"$ctl/err-$name"
		return 1
	fi
	lab_hosts_ssh_cmd "$p" "$row"
	out=$("${LAB_SSH[@]}" "${LAB_SSH_SUDO}bash -s -- $(lab_hosts_quote "$ifc" "$taddr" "$kdir" "$(lab_hosts_rundir "$p")" "$LAB_HOSTS_LEASE" "$role" "$name")" \
		< <(lab_hosts_remote_setup) 2>&1) || true
	case "$out" in
	kh-ok*) ;;
	*kh-error:*)
		echo "host $name ($addr): $(printf '%s\n' "$out" | sed -n 's/^kh-error: //p' | head -n1)" >"$ctl/err-$name"
		return 1 ;;
	*)
		echo "host $name ($addr): the checks failed: $(printf '%s\n' "$out" | grep -v '^$' | tail -n1)" >"$ctl/err-$name"
		return 1 ;;
	esac
	: >"$ctl/set-up-$name"
	{
		printf '%s\n' "$out" | sed '1d'
		echo "== clock"
		echo "clock_offset_ms: $off (host minus controller at the midpoint of the shortest of 5 round trips, $rtt ms)"
	} >"$(lab_hosts_facts "$p")/$name.txt"
	echo "$off $rtt" >"$ctl/clock-$name"
}

lab_topo_hosts() {
	local p=$1 table ctl facts row role idx name addr port user key ifc taddr kdir args
	local out off rtt c=0 r=0 addrs="" rundir
	[ -n "$LAB_HOSTS_INVENTORY" ] || { lab_err "up hosts: --inventory FILE is required"; exit 2; }
	[ -z "${LAB_DELAY}${LAB_JITTER}${LAB_LOSS}${LAB_RATE}" ] ||
		lab_die "up hosts: link shaping is not applied to real hosts (shape with tc on the hosts)"
	command -v ssh >/dev/null || lab_die "ssh is not installed (Debian package openssh-client)"
	table=$(lab_hosts_table "$p") ctl=$(lab_hosts_ctl "$p") facts=$(lab_hosts_facts "$p")
	rundir=$(lab_hosts_rundir "$p")
	lab_hosts_flatten "$LAB_HOSTS_INVENTORY" >"$table.tmp" || exit 1
	mv "$table.tmp" "$table"
	mkdir -m 0700 "$ctl" "$facts"
	lab_hosts_redact "$LAB_HOSTS_INVENTORY" >"$facts/inventory"

	# Every host is checked at once (a background job each); the verdicts
	# are then read in the inventory's order, the first failure reported.
	while IFS= read -r row <&3; do
		lab_hosts_check_one "$p" "$row" </dev/null &
	done 3<"$table"
	wait
	while IFS= read -r row <&3; do
		IFS=$'\t' read -r role idx name addr port user key ifc taddr kdir args <<<"$row"
		[ ! -s "$ctl/err-$name" ] || lab_die "$(cat "$ctl/err-$name")"
		[ -s "$ctl/clock-$name" ] || lab_die "host $name ($addr): its check did not finish"
		read -r off rtt <"$ctl/clock-$name"
		case "$role" in
		client)
			c=$((c + 1))
			lab_emit "CLIENT${idx}_HOST" "$name"
			lab_emit "CLIENT${idx}_ADDR" "$taddr"
			lab_emit "CLIENT${idx}_IF" "$ifc"
			lab_emit "CLIENT${idx}_DIR" "$kdir"
			lab_emit "CLIENT${idx}_CLOCK_OFFSET_MS" "$off" ;;
		replica)
			r=$((r + 1))
			lab_emit "REPLICA${idx}_HOST" "$name"
			lab_emit "REPLICA${idx}_ADDR" "$taddr"
			lab_emit "REPLICA${idx}_IF" "$ifc"
			lab_emit "REPLICA${idx}_DIR" "$kdir"
			lab_emit "REPLICA${idx}_CLOCK_OFFSET_MS" "$off"
			addrs+=${addrs:+,}$taddr ;;
		router)
			lab_emit ROUTER_HOST "$name"
			lab_emit ROUTER_ADDR "$taddr" ;;
		esac
		lab_note "host $name ($role$idx, $addr): ok, $ifc $taddr, clock offset $off ms"
	done 3<"$table"
	lab_emit CLIENTS "$c"
	lab_emit REPLICAS "$r"
	lab_emit REPLICA_ADDRS "$addrs"
	lab_emit CLIENT_ADDR "$(awk -F'\t' '$1 == "client" && $2 == 1 { print $9 }' "$table")"
	lab_emit CLIENT_IF "$(awk -F'\t' '$1 == "client" && $2 == 1 { print $8 }' "$table")"
	lab_emit SERVER_ADDR "$(awk -F'\t' '$1 == "replica" && $2 == 1 { print $9 }' "$table")"
	lab_emit SERVER_IF "$(awk -F'\t' '$1 == "replica" && $2 == 1 { print $8 }' "$table")"
	lab_emit HOSTS_INVENTORY "$LAB_HOSTS_INVENTORY"
	lab_emit HOSTS_RUN_DIR "$rundir"
	lab_emit HOSTS_FACTS_DIR "$facts"
	lab_hosts_keeper_start "$p"
}

# lab_hosts_keeper_start P - a detached local process renewing every host's
# lease every few seconds while the lab's state file exists.
LAB_HOSTS_KEEPER=""
lab_hosts_keeper_start() {
	local p=$1 pid
	# shellcheck disable=SC2016
	setsid bash -c 'self=$1 p=$2 st=$3 every=$4
		while [ -e "$st" ]; do
			"$self" hosts-renew --prefix "$p" >/dev/null 2>&1
			sleep "$every"
		done' kh-lab-keeper "$LAB_SELF" "$p" "$(lab_state_file "$p")" \
		$((LAB_HOSTS_LEASE / 4 > 0 ? LAB_HOSTS_LEASE / 4 : 1)) </dev/null >/dev/null 2>&1 &
	pid=$!
	LAB_HOSTS_KEEPER="$pid:$(lab_pid_start "$pid")"
	echo "$LAB_HOSTS_KEEPER" >"$(lab_hosts_ctl "$p")/keeper"
}

# lab_hosts_renew P - touch the lease on every host (the keeper's job).
lab_hosts_renew() {
	local p=$1 row
	[ -f "$(lab_hosts_table "$p")" ] || return 1
	while IFS= read -r row <&3; do
		lab_hosts_ssh_cmd "$p" "$row"
		"${LAB_SSH[@]}" "${LAB_SSH_SUDO}touch $(lab_hosts_rundir "$p")/lease" </dev/null >/dev/null 2>&1 || true
	done 3<"$(lab_hosts_table "$p")"
}

# lab_hosts_teardown P - for a hosts lab: stop the keeper, run cleanup.sh on
# every host (a host out of reach is named; its guard cleans up once the
# lease runs out), close the masters, remove the local state.
lab_hosts_teardown() {
	local p=$1 table ctl row name addr out rc=0
	table=$(lab_hosts_table "$p") ctl=$(lab_hosts_ctl "$p")
	[ -f "$table" ] || return 0
	[ ! -f "$ctl/keeper" ] || lab_stop_pids "$(cat "$ctl/keeper")"
	while IFS= read -r row <&3; do
		IFS=$'\t' read -r _ _ name addr _ <<<"$row"
		KH_HOSTS_CONNECT_TIMEOUT=3 lab_hosts_ssh_cmd "$p" "$row"
		# Only hosts whose run directory up created.
		if [ -e "$ctl/set-up-$name" ] && ! out=$("${LAB_SSH[@]}" \
			"${LAB_SSH_SUDO}bash -c $(printf '%q' '[ ! -f "$1/cleanup.sh" ] || bash "$1/cleanup.sh"') kh-down $(lab_hosts_rundir "$p")" \
			</dev/null 2>&1); then
			lab_err "host $name ($addr): cleanup failed (${out##*$'\n'}); its guard ends the lab's processes once the lease ($LAB_HOSTS_LEASE s) runs out"
			rc=1
		fi
		"${LAB_SSH[@]:0:${#LAB_SSH[@]}-1}" -O exit "${LAB_SSH[-1]}" >/dev/null 2>&1 || true
	done 3<"$table"
	rm -rf "$ctl" "$(lab_hosts_facts "$p")" "$table"
	return $rc
}
