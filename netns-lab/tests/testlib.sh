# shellcheck shell=bash
# testlib.sh - shared by the lab tests, on top of tests/lib.sh: skip rules,
# a unique prefix per test, its removal on exit, and the before/after
# snapshot proving nothing is left.
set -euo pipefail

LAB_SH=${KH_LAB_SH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lab.sh}
UDP_PROBE=${KH_UDP_PROBE:-}
T_PREFIXES=()
# t_prefix runs in $(...), a subshell: it records its prefixes in this file
# so the EXIT trap of the test itself finds them.
T_PREFIX_LIST=$(mktemp "${TMPDIR:-/tmp}/kh-lab-test.XXXXXX")

. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib.sh"

# t_has ARGS... - grep that reads all its input: with pipefail, "grep -q"
# exiting early would fail the pipeline through the writer's SIGPIPE.
t_has() { grep "$@" >/dev/null; }

t_require_root() {
	require_netns
	command -v tc >/dev/null || skip "needs iproute2 (ip, tc)"
}

t_require_probe() {
	[ -n "$UDP_PROBE" ] && [ -x "$UDP_PROBE" ] || skip "udp-probe not built (run under meson test)"
}

# t_prefix - a fresh prefix for this test ("t" + 5 hex); removed on exit.
t_prefix() {
	local p
	p=t$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
	echo "$p" >>"$T_PREFIX_LIST"
	echo "$p"
}

# The documented pattern: whatever happens, the test's labs go away.
t_cleanup() {
	local p j
	# Background helpers of the test itself (servers, fake owners).
	for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
	for p in "${T_PREFIXES[@]}" $(cat "$T_PREFIX_LIST" 2>/dev/null); do
		"$LAB_SH" down --quiet --prefix "$p" >/dev/null 2>&1 || true
	done
	rm -f "$T_PREFIX_LIST"
}
on_exit t_cleanup

# t_snapshot - what a lab may never leave behind on the host: the host's
# links and their qdiscs (lab links live only inside lab namespaces).
t_snapshot() {
	{
		ip -o link show | awk -F': ' '{ print "link", $2 }' | sed 's/@.*//' | sort
		tc qdisc show | sed 's/ refcnt [0-9]*//' | sort
	}
}

# t_netns_hold VAR P - set VAR to the inode numbers of lab P's namespaces,
# and hold each namespace open (a file descriptor of this shell, closed when
# the test exits). The kernel hands a freed namespace's inode number to the
# next namespace made (seen: the same number three times in a row), so
# without the hold a namespace another test creates after P's are gone
# would look like one of P's still in use.
t_netns_hold() {
	local ns fd list=""
	for ns in $(ip netns list | awk -v p="$2-" 'index($1, p) == 1 { print $1 }'); do
		exec {fd}<"/run/netns/$ns" || fail "cannot open /run/netns/$ns"
		list+="$(stat -L -c %i "/proc/$$/fd/$fd") "
	done
	printf -v "$1" '%s' "${list% }"
}

# t_assert_gone P BEFORE INODES - lab P left nothing: no namespace named
# P-*, no state file, host links/qdiscs as BEFORE, and no process still
# inside one of its namespaces (which would keep it alive unnamed).
t_assert_gone() {
	local p=$1 before=$2 inodes=$3 after left busy
	left=$(ip netns list | awk -v p="$p-" 'index($1, p) == 1 { print $1 }')
	[ -z "$left" ] || fail "namespaces left behind: $left"
	[ ! -e "${KH_LAB_STATE_DIR:-/run/kernel-hedge-lab}/$p.env" ] || fail "state file left behind"
	after=$(t_snapshot)
	if [ "$before" != "$after" ]; then
		diff <(echo "$before") <(echo "$after") >&2 || true
		fail "host links or qdiscs changed"
	fi
	busy=$(t_netns_busy "$inodes")
	[ -z "$busy" ] || fail "a process still lives in a removed namespace of $p (net:[${busy%% *}])"
}

# t_netns_busy INODES - print those of these network namespaces (held by
# t_netns_hold) that some process is still inside; processes being torn down
# leave them a moment later than the namespace's name goes.
t_netns_busy() {
	local nets ino busy=""
	# (Some /proc entries vanish while readlink runs: its status means nothing.)
	nets=$(readlink /proc/[0-9]*/ns/net 2>/dev/null || true)
	for ino in $1; do
		printf '%s\n' "$nets" | t_has -x "net:\[$ino\]" && busy+="$ino "
	done
	printf '%s' "${busy% }"
}

# t_netns_unused INODES - true when no process is inside any of these.
t_netns_unused() { [ -z "$(t_netns_busy "$1")" ]; }

# t_env_get KEY TEXT - the value of KEY in KEY=VALUE lines.
t_env_get() { printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1; }

# t_ping NS ADDR - one ICMP echo (busybox ping: no iputils on this host).
t_ping() {
	local cmd=ping
	case "$2" in *:*) cmd=ping6 ;; esac
	ip netns exec "$1" busybox "$cmd" -c 1 -W 2 "$2" >/dev/null 2>&1
}

# t_udp NS_SERVER ADDR NS_CLIENT [PORT] - a UDP echo across the lab.
t_udp() {
	local sns=$1 addr=$2 cns=$3 port=${4:-7777} ep spid rc=0
	case "$addr" in *:*) ep="[$addr]:$port" ;; *) ep="$addr:$port" ;; esac
	ip netns exec "$sns" "$UDP_PROBE" serve --timeout 5s "$ep" &
	spid=$!
	ip netns exec "$cns" "$UDP_PROBE" send --tries 20 --timeout 100ms "$ep" || rc=1
	wait "$spid" || rc=1
	return $rc
}
