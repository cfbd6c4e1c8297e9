# shellcheck shell=bash
# topo-ssh-hosts.sh - topology "ssh-hosts N": N namespaces that stand in for
# separate machines, each running a real OpenSSH sshd, plus a controller
# namespace to run ansible-playbook and run_all.sh --inventory from. It exists
# to test the hosts provider (provider-hosts.sh) and deploy/ on one machine.
#
#   +-- P-ctl ------------+      +-- P-sw ---------+      +-- P-h1 -----------------+
#   | lan0 198.18.0.254/24+------+ P-s0            |  +---+ lan0 198.18.0.1/24      |
#   +---------------------+      |     br0         |  |   | sshd 198.18.0.1:22      |
#                                | P-s1 .. P-sN  --+--+   +-------------------------+
#                                +-----------------+ ...  +-- P-hN ... 198.18.0.N --+
#
# Every sshd runs in a private mount namespace with its own tmpfs on /run (a
# host's /run is its own; sshd needs /run/sshd), with a throw-away host key,
# and accepts only a throw-away client key; keys, configs, known_hosts and
# the inventory live in one temporary directory that down removes. Hosts
# 1..C are clients, the rest replicas. Nothing outside the lab's namespaces
# and that directory is touched (the host's own sshd is never configured).

# shellcheck disable=SC2034  # used by lab.sh's argument check
LAB_SSH_HOSTS_MAX=64
LAB_SSH_CLIENTS=1
LAB_SSH_NO_BPF=""   # host numbers whose sshd runs without CAP_BPF/CAP_SYS_ADMIN

# lab_ssh_hosts_opt OPTION VALUE - the topology's options of "up".
lab_ssh_hosts_opt() {
	case "$1" in
	--clients)
		[[ $2 =~ ^[1-9][0-9]?$ ]] || { lab_err "--clients '$2': expected a count from 1 to 63"; exit 2; }
		LAB_SSH_CLIENTS=$((10#$2)) ;;
	--no-bpf)
		[[ $2 =~ ^[1-9][0-9]?$ ]] || { lab_err "--no-bpf '$2': expected a host number"; exit 2; }
		LAB_SSH_NO_BPF+=" $2" ;;
	esac
}

# lab_ssh_hosts_sshd NS DIR K - start host K's sshd inside NS.
lab_ssh_hosts_sshd() {
	local ns=$1 dir=$2 k=$3 hd="$2/host$3" drop="" i
	for i in $LAB_SSH_NO_BPF; do
		[ "$i" = "$k" ] && drop=cap_bpf,cap_sys_admin,cap_perfmon
	done
	cat >"$hd/sshd_config" <<-EOF
		ListenAddress 198.18.0.$k
		Port 22
		HostKey $dir/host_ed25519
		AuthorizedKeysFile $dir/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		PidFile none
		MaxStartups 64
		MaxSessions 64
		AcceptEnv LANG
		Subsystem sftp internal-sftp
	EOF
	# shellcheck disable=SC2016
	setsid ip netns exec "$ns" unshare --mount --propagation private bash -c '
		mount -t tmpfs -o mode=0755 kh-run /run && mkdir -m 0755 /run/sshd || exit 1
		# sshd sessions source ~/.bashrc; this machine'\''s is slow (seconds), a
		# stand-in host gets an empty one, seen only in its mount namespace.
		h=~root; [ ! -f "$h/.bashrc" ] || mount --bind "$4" "$h/.bashrc" || exit 1
		if [ -n "$3" ]; then
			exec capsh --drop="$3" -- -c "exec /usr/sbin/sshd -D -e -f \"\$0\"" "$1"
		fi
		exec /usr/sbin/sshd -D -e -f "$1"' kh-sshd "$hd/sshd_config" "$k" "$drop" "$dir/empty" \
		</dev/null >"$hd/sshd.log" 2>&1 &
}

lab_topo_ssh_hosts() {
	local p=$1 n=$2 dir k ns sw="$1-sw" ctl="$1-ctl" c=$LAB_SSH_CLIENTS up
	[ "$c" -lt "$n" ] || lab_die "ssh-hosts $n: --clients $c leaves no replica"
	[ -x /usr/sbin/sshd ] || lab_die "sshd is not installed (Debian package openssh-server)"
	command -v ssh-keygen >/dev/null || lab_die "ssh-keygen is not installed (openssh-client)"
	[ -z "$LAB_SSH_NO_BPF" ] || command -v capsh >/dev/null || lab_die "--no-bpf needs capsh (libcap2-bin)"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/kh-ssh-hosts-$p.XXXXXX") || lab_die "cannot create a temporary directory"
	# Recorded first, so a failing up removes it too.
	echo "SSH_HOSTS_DIR=$dir" >>"$(lab_state_file "$p")"
	lab_emit SSH_HOSTS_DIR "$dir"
	chmod 0700 "$dir"
	lab_run "ssh-keygen (host key)" ssh-keygen -q -t ed25519 -N '' -C kh-lab-host -f "$dir/host_ed25519"
	lab_run "ssh-keygen (client key)" ssh-keygen -q -t ed25519 -N '' -C kh-lab-client -f "$dir/id_ed25519"
	cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
	: >"$dir/empty"

	lab_ns_create "$sw"
	lab_run "creating bridge br0 in $sw" ip -n "$sw" link add br0 type bridge
	lab_run "bringing up br0 in $sw" ip -n "$sw" link set br0 up
	lab_ns_create "$ctl"
	lab_veth "$sw" "$p-s0" "$ctl" lan0
	lab_run "enslaving $p-s0" ip -n "$sw" link set "$p-s0" master br0
	lab_addr "$ctl" lan0 198.18.0.254/24
	lab_emit CONTROLLER_NS "$ctl"
	: >"$dir/known_hosts"
	for k in $(seq "$n"); do
		ns="$p-h$k"
		mkdir -m 0700 "$dir/host$k"
		lab_ns_create "$ns"
		lab_veth "$sw" "$p-s$k" "$ns" lan0
		lab_run "enslaving $p-s$k" ip -n "$sw" link set "$p-s$k" master br0
		lab_addr "$ns" lan0 "198.18.0.$k/24"
		lab_emit "HOST_NS_$k" "$ns"
		echo "198.18.0.$k $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >>"$dir/known_hosts"
		lab_ssh_hosts_sshd "$ns" "$dir" "$k"
	done
	lab_checkpoint after-topology
	# Every sshd listens before up returns (at most 10 s).
	for _ in $(seq 100); do
		up=0
		for k in $(seq "$n"); do
			ip netns exec "$p-h$k" ss -Hltn "src 198.18.0.$k:22" 2>/dev/null | grep -q . && up=$((up + 1))
		done
		[ "$up" = "$n" ] && break
		sleep 0.1
	done
	for k in $(seq "$n"); do
		ip netns exec "$p-h$k" ss -Hltn "src 198.18.0.$k:22" 2>/dev/null | grep -q . ||
			lab_die "sshd of host$k did not start: $(tail -n 1 "$dir/host$k/sshd.log" 2>/dev/null)"
	done
	lab_ssh_hosts_inventory "$dir" "$n" "$c" >"$dir/inventory.ini"
	lab_emit SSH_HOSTS "$n"
	lab_emit SSH_HOSTS_INVENTORY "$dir/inventory.ini"
	lab_emit SSH_HOSTS_KEY "$dir/id_ed25519"
}

# lab_ssh_hosts_inventory DIR N C - the Ansible inventory of the lab: hosts
# 1..C clients, the others replicas; each host's project directory is its own
# (the stand-in hosts share one file system).
lab_ssh_hosts_inventory() {
	local dir=$1 n=$2 c=$3 k
	echo "# Written by lab.sh up ssh-hosts: throw-away hosts in namespaces."
	echo "[client]"
	for k in $(seq "$c"); do lab_ssh_hosts_line "$dir" "$k"; done
	echo
	echo "[replica]"
	for k in $(seq $((c + 1)) "$n"); do lab_ssh_hosts_line "$dir" "$k"; done
	echo
	echo "[all:vars]"
	echo "ansible_user=root"
	echo "ansible_ssh_private_key_file=$dir/id_ed25519"
	echo "ansible_ssh_common_args='-o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes'"
	echo "ansible_python_interpreter=/usr/bin/python3"
}

lab_ssh_hosts_line() {
	echo "host$2 ansible_host=198.18.0.$2 kh_if=lan0 kh_addr=198.18.0.$2 kh_dir=$1/host$2/kernel-hedge ansible_remote_tmp=$1/host$2/ansible-tmp"
}

# lab_ssh_hosts_teardown P - remove the temporary directory of lab P (its
# sshds are processes inside P's namespaces: lab_teardown ends them).
lab_ssh_hosts_teardown() {
	local d=${LAB_STATE[SSH_HOSTS_DIR]:-}
	case "$d" in
	"${TMPDIR:-/tmp}"/kh-ssh-hosts-"$1".*) rm -rf "$d" ;;
	esac
}
