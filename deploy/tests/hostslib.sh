# shellcheck shell=bash
# hostslib.sh - shared by the "hosts" suite: skip rules, a stand-in cluster
# (lab.sh up ssh-hosts: namespaces running real sshds), installing the built
# binaries on it, and the checks that nothing is left anywhere.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_SH=$ROOT/netns-lab/lab.sh
BUILD=${KH_BUILD_DIR:-$ROOT/build}
T_NAME=$(basename "$0" .sh)
# A private state directory: "the newest lab" and the labs listed are ours.
export KH_LAB_STATE_DIR
KH_LAB_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kh-hosts-test.XXXXXX")
T_PREFIXES=()

skip() { echo "SKIP $T_NAME: $*"; exit 77; }
fail() { echo "FAIL $T_NAME: $*" >&2; exit 1; }
pass() { echo "PASS $T_NAME${1:+: $1}"; exit 0; }
note() { echo "$T_NAME: $*"; }

t_require() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
	local probe="khtest$$"
	ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace"
	ip netns del "$probe"
	[ -x /usr/sbin/sshd ] || skip "sshd is not installed (Debian package openssh-server)"
	command -v ssh >/dev/null || skip "ssh is not installed (openssh-client)"
	command -v ansible-inventory >/dev/null || skip "ansible is not installed (Debian package ansible-core)"
	command -v unshare >/dev/null || skip "unshare (util-linux) is missing"
	local b
	for b in hedger/hedger chaos-server/chaos-server clients/hedge-client tools/hdr-tool; do
		[ -x "$BUILD/$b" ] || skip "$BUILD/$b is not built (run under meson test)"
	done
}

t_cleanup() {
	local p j
	for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
	# Hosts labs first (their down talks to the sshds), then the stand-ins.
	for p in "${T_PREFIXES[@]}"; do
		"$LAB_SH" down --quiet --prefix "$p" >/dev/null 2>&1 || true
	done
	rm -rf "$KH_LAB_STATE_DIR"
}
trap t_cleanup EXIT

# t_prefix - a fresh lab prefix ("h" + 5 hex), removed on exit.
t_prefix() {
	od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5 | sed 's/^/h/'
}

# t_cluster N C [OPTIONS] - the stand-in cluster: N hosts, C of them clients;
# sets CLUSTER (its prefix), SSH_HOSTS_DIR, SSH_HOSTS_INVENTORY, CONTROLLER_NS.
t_cluster() {
	local p env
	p=$(t_prefix)
	T_PREFIXES=("$p" "${T_PREFIXES[@]}")
	env=$("$LAB_SH" up ssh-hosts "$1" --clients "$2" --prefix "$p" -q "${@:3}") ||
		fail "lab.sh up ssh-hosts $* failed"
	eval "$env"
	CLUSTER=$p
}

# t_install K... - what deploy/site.yml (kh_install=copy) puts on host K,
# done with cp for the tests that are not about the playbook.
t_install() {
	local k d
	for k in "$@"; do
		d=$SSH_HOSTS_DIR/host$k/kernel-hedge
		mkdir -p "$d/bin"
		cp "$BUILD/hedger/hedger" "$BUILD/chaos-server/chaos-server" "$BUILD/clients/hedge-client" \
			"$BUILD/tools/hdr-tool" "$d/bin/"
		echo "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown) test-copy" >"$d/COMMIT"
	done
}

# ctl CMD... - CMD in the controller namespace (where ssh reaches the hosts).
ctl() { ip netns exec "$CONTROLLER_NS" "$@"; }

# t_hosts_up PREFIX INVENTORY - lab.sh up hosts from the controller; the
# KEY=VALUE lines are evaluated; stderr in $T_ERR.
T_ERR=""
t_hosts_up() {
	local out
	T_PREFIXES=("$1" "${T_PREFIXES[@]}")
	T_ERR=$(mktemp "$KH_LAB_STATE_DIR/err.XXXXXX")
	out=$(ctl "$LAB_SH" up hosts --inventory "$2" --prefix "$1" -q 2>"$T_ERR") || return 1
	eval "$out"
}

# t_remote K CMD - a shell command on stand-in host K, past the lab (plain ssh).
t_remote() {
	ctl ssh -o BatchMode=yes -o LogLevel=ERROR -i "$SSH_HOSTS_DIR/id_ed25519" \
		-o UserKnownHostsFile="$SSH_HOSTS_DIR/known_hosts" "root@198.18.0.$1" "$2"
}

# t_assert_nothing_left PREFIX N - hosts lab PREFIX left nothing: no local
# state, keeper or ssh master, and on each of hosts 1..N no run directory,
# guard or process of an exec'd session.
t_assert_nothing_left() {
	local p=$1 n=$2 k left
	for f in "$p.env" "$p.hosts" "$p.ssh" "$p.facts"; do
		[ ! -e "$KH_LAB_STATE_DIR/$f" ] || fail "lab $p: $KH_LAB_STATE_DIR/$f left behind"
	done
	left=$(ps -eo pid=,args= | grep -E "kh-lab-keeper .* $p |ControlPath=$KH_LAB_STATE_DIR/$p\.ssh|kernel-hedge-lab-$p\b" | grep -v grep || true)
	[ -z "$left" ] || fail "lab $p: processes left: $left"
	for k in $(seq "$n"); do
		left=$(t_remote "$k" "ls -d /run/kernel-hedge-lab-$p 2>/dev/null || true")
		[ -z "$left" ] || fail "lab $p: host$k still has $left"
	done
}
