#!/usr/bin/env bash
# hosts-lab.sh - netns-lab's hosts provider against stand-in hosts (real
# sshds in namespaces): up checks and records every host, exec runs on the
# right host and passes the status through, down ends what exec started on
# every host, a lost connection makes the hosts clean up by themselves,
# Ctrl-C of run_all.sh --inventory mid-trial leaves nothing, and
# a host without BPF, a wrong key, a host that is down and a missing
# interface each give one error line naming the host and leave nothing.
. "$(dirname "$0")/hostslib.sh"
t_require
command -v capsh >/dev/null || skip "capsh (libcap2-bin) is needed to make a host without BPF"

t_cluster 3 1 --no-bpf 3
t_install 1 2 3
inv_full=$SSH_HOSTS_INVENTORY
inv=$SSH_HOSTS_DIR/inv-good.ini
sed '/^host3 /d' "$inv_full" >"$inv"

# ---- up, exec, down ----------------------------------------------------------
pa=$(t_prefix)
t_hosts_up "$pa" "$inv" || fail "up hosts failed: $(cat "$T_ERR")"
[ "$CLIENTS" = 1 ] && [ "$REPLICAS" = 1 ] || fail "CLIENTS=$CLIENTS REPLICAS=$REPLICAS, expected 1 and 1"
[ "$CLIENT1_ADDR" = 198.18.0.1 ] && [ "$SERVER_ADDR" = 198.18.0.2 ] || fail "addresses: $CLIENT1_ADDR $SERVER_ADDR"
for h in host1 host2; do
	f=$HOSTS_FACTS_DIR/$h.txt
	for key in kernel driver available clock_offset_ms commit; do
		grep -q "^$key: ." "$f" || fail "$f has no '$key:' line"
	done
	grep -q '^== ethtool -k lan0' "$f" || fail "$f has no offloads"
done
grep -q 'ansible_ssh_private_key_file' "$HOSTS_FACTS_DIR/inventory" || fail "the recorded inventory is incomplete"

got=$(ctl "$LAB_SH" exec --prefix "$pa" replica1 -- ip -o -4 addr show dev lan0)
[[ $got == *198.18.0.2/24* ]] || fail "exec replica1 ran elsewhere: $got"
got=$(ctl "$LAB_SH" exec --prefix "$pa" client -- ip -o -4 addr show dev lan0)
[[ $got == *198.18.0.1/24* ]] || fail "exec client ran elsewhere: $got"
rc=0; ctl "$LAB_SH" exec --prefix "$pa" host2 -- sh -c 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "exec status: $rc, expected 7"
rc=0; ctl "$LAB_SH" exec --prefix "$pa" replica2 -- true 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "exec on a node that does not exist: $rc, expected 2"

# What an experiment starts, also in the background of a command, ends with down.
ctl "$LAB_SH" exec --prefix "$pa" client -- sleep 311 &
ctl "$LAB_SH" exec --prefix "$pa" replica1 -- bash -c 'sleep 312 & sleep 313' &
for _ in $(seq 100); do
	[ "$(ps -eo args= | grep -cE '^sleep 31[123]$' || true)" = 3 ] && break
	sleep 0.1
done
[ "$(ps -eo args= | grep -cE '^sleep 31[123]$' || true)" = 3 ] || fail "the exec'd sleeps did not start"
ctl "$LAB_SH" down --prefix "$pa" -q || fail "down failed"
wait
left=$(ps -eo args= | grep -E '^sleep 31[123]$' || true)
[ -z "$left" ] || fail "down left: $left"
t_assert_nothing_left "$pa" 2
note "up/exec/down ok"

# ---- a lost connection: the hosts end the lab's processes themselves --------
pb=$(t_prefix)
KH_HOSTS_LEASE=5 t_hosts_up "$pb" "$inv" || fail "up hosts failed: $(cat "$T_ERR")"
ctl "$LAB_SH" exec --prefix "$pb" replica1 -- sleep 314 &
for _ in $(seq 100); do ps -eo args= | grep -qE '^sleep 314$' && break; sleep 0.1; done
ip -n "$CONTROLLER_NS" link set lan0 down
for _ in $(seq 450); do ps -eo args= | grep -qE "^sleep 314$" || break; sleep 0.1; done
ps -eo args= | grep -qE '^sleep 314$' && fail "sleep 314 still runs 45 s after the connection was lost (lease 5 s)"
ip -n "$CONTROLLER_NS" link set lan0 up
ctl "$LAB_SH" down --prefix "$pb" -q 2>/dev/null || true
wait
t_assert_nothing_left "$pb" 2
note "lost connection ok"

# ---- errors: one line naming the host, nothing left --------------------------
# expect_error INVENTORY REGEX WHAT
expect_error() {
	local p n
	p=$(t_prefix)
	if t_hosts_up "$p" "$1"; then fail "$3: up succeeded"; fi
	n=$(grep -c 'error:' "$T_ERR" || true)
	[ "$n" = 1 ] || fail "$3: $n error lines, expected 1: $(cat "$T_ERR")"
	grep -qE "$2" "$T_ERR" || fail "$3: the error does not say '$2': $(cat "$T_ERR")"
	t_assert_nothing_left "$p" 3
	note "$3: $(cat "$T_ERR")"
}
expect_error "$inv_full" 'host host3 .*no BPF' "a host without BPF"
ssh-keygen -q -t ed25519 -N '' -f "$SSH_HOSTS_DIR/wrong_key"
sed "s|ansible_ssh_private_key_file=.*|ansible_ssh_private_key_file=$SSH_HOSTS_DIR/wrong_key|" "$inv" >"$SSH_HOSTS_DIR/inv-key.ini"
expect_error "$SSH_HOSTS_DIR/inv-key.ini" 'host host1 .*authentication failed' "a wrong key"
sed 's|^host2 ansible_host=198.18.0.2|host2 ansible_host=198.18.0.9|' "$inv" >"$SSH_HOSTS_DIR/inv-down.ini"
KH_HOSTS_CONNECT_TIMEOUT=3 expect_error "$SSH_HOSTS_DIR/inv-down.ini" 'host host2 \(198.18.0.9\).*unreachable' "a host that is down"
sed 's|^\(host2 .*\)kh_if=lan0|\1kh_if=lan9|' "$inv" >"$SSH_HOSTS_DIR/inv-if.ini"
expect_error "$SSH_HOSTS_DIR/inv-if.ini" 'host host2 .*interface lan9 does not exist' "a missing interface"

# ---- run_all.sh --inventory interrupted (Ctrl-C) mid-trial --------------------
if [ -x "$BUILD/experiments/summarize" ]; then
	run=$SSH_HOSTS_DIR/results-int
	# Job control on: a background job of a script would ignore SIGINT. Not
	# through ctl (a function runs in a subshell): $! is run_all.sh itself.
	set -m
	ip netns exec "$CONTROLLER_NS" env KH_HOSTS_RATE=100 "$ROOT/experiments/run_all.sh" --inventory "$inv" --experiments E1 \
		--trials 1 --requests 3000 --warmup 0 --build-dir "$BUILD" --no-bootstrap --no-build \
		--no-figures --out "$run" >"$SSH_HOSTS_DIR/run_all-int.log" 2>&1 &
	ra=$!
	set +m
	# Interrupt once the client runs on host1 (the server on host2 runs then).
	for _ in $(seq 600); do
		ps -eo args= | grep -q "^$SSH_HOSTS_DIR/host1/kernel-hedge/bin/hedge-client" && break
		kill -0 "$ra" 2>/dev/null || break
		sleep 0.1
	done
	ps -eo args= | grep -q "^$SSH_HOSTS_DIR/host2/kernel-hedge/bin/chaos-server" ||
		fail "run_all.sh did not get to a trial: $(tail -n 3 "$SSH_HOSTS_DIR/run_all-int.log")"
	kill -INT "$ra"
	rc=0; wait "$ra" || rc=$?
	[ "$rc" = 130 ] || fail "interrupted run_all.sh exited $rc, expected 130"
	grep -q '^status=interrupted$' "$run/meta" || fail "meta does not say interrupted"
	left=$(ps -eo args= | grep -E "^$SSH_HOSTS_DIR/host[0-9]/kernel-hedge/bin/|kh-lab-guard|kh-lab-keeper" | grep -v '^grep' || true)
	[ -z "$left" ] || fail "left running after Ctrl-C: $left"
	for k in 1 2; do
		left=$(t_remote "$k" 'ls -d /run/kernel-hedge-lab-* /run/kernel-hedge/*.state 2>/dev/null || true')
		[ -z "$left" ] || fail "host$k still has $left after Ctrl-C"
	done
	left=$(cd "$KH_LAB_STATE_DIR" && find . -maxdepth 1 ! -name . ! -name "$CLUSTER.env" ! -name 'err.*')
	[ -z "$left" ] || fail "local lab state left after Ctrl-C: $left"
	note "Ctrl-C during a trial: exit 130, nothing left on the hosts"
fi
pass
