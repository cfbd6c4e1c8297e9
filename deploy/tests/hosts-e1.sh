#!/usr/bin/env bash
# hosts-e1.sh - the whole path on four stand-in hosts (real sshds in
# namespaces; two clients, two replicas): the real ansible-playbook deploys
# the built binaries (kh_install=copy) and collects every host's hedger
# probe, then run_all.sh --inventory runs E1 (one short trial per arm) over
# ssh. Checked as for a local run: baseline P99 is the stall, kernel-hedged
# P99 <= T + fast + 2 ms, every host is recorded, the two clients' HDR logs
# merged by hdr-tool give the percentiles of their pooled raw samples, and
# nothing is left running on any host.
. "$(dirname "$0")/hostslib.sh"
t_require
command -v ansible-playbook >/dev/null || skip "ansible-playbook is not installed (ansible-core)"
[ -x "$BUILD/experiments/summarize" ] || skip "summarize is not built (run under meson test)"

t_cluster 4 2

# ---- ansible-playbook -----------------------------------------------------------
# Ansible's own files (control sockets, temporary files) stay in the test's
# directory; nothing goes to ~/.ansible.
a=$SSH_HOSTS_DIR/ansible
mkdir -p "$a"
probes=$SSH_HOSTS_DIR/probes
if ! ctl env ANSIBLE_HOME="$a" ANSIBLE_LOCAL_TEMP="$a/tmp" ANSIBLE_SSH_CONTROL_PATH_DIR="$a/cp" \
	ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ansible-playbook -i "$SSH_HOSTS_INVENTORY" "$ROOT/deploy/site.yml" \
	-e kh_install=copy -e "kh_local_build=$BUILD" -e "kh_results=$probes" >"$SSH_HOSTS_DIR/ansible.log" 2>&1; then
	tail -n 20 "$SSH_HOSTS_DIR/ansible.log" >&2
	fail "ansible-playbook failed"
fi
grep -qE 'host4 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$SSH_HOSTS_DIR/ansible.log" ||
	fail "the play recap does not show host4 done: $(grep -A5 'PLAY RECAP' "$SSH_HOSTS_DIR/ansible.log")"
commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo "")
for k in 1 2 3 4; do
	f=$probes/host$k.probe.txt
	[ -f "$f" ] || fail "no probe output of host$k"
	grep -q '^exit_status: 0$' "$f" && grep -q '^available: ' "$f" || fail "host$k's probe: $(cat "$f")"
	d=$SSH_HOSTS_DIR/host$k/kernel-hedge
	for b in hedger/hedger chaos-server/chaos-server clients/hedge-client tools/hdr-tool; do
		cmp -s "$d/bin/${b#*/}" "$BUILD/$b" || fail "host$k: bin/${b#*/} is not the built one"
	done
	[ -z "$commit" ] || grep -q "^$commit copy" "$d/COMMIT" || fail "host$k: COMMIT is $(cat "$d/COMMIT")"
	[ -f "$d/src/meson.build" ] || fail "host$k: the commit's files are not in $d/src"
done
note "ansible-playbook deployed and probed 4 hosts"

# ---- run_all.sh --inventory E1 ------------------------------------------------
run=$SSH_HOSTS_DIR/results
rc=0
ctl env KH_HOSTS_RATE=200 "$ROOT/experiments/run_all.sh" --inventory "$SSH_HOSTS_INVENTORY" \
	--experiments E1 --trials 1 --requests 600 --warmup 100 --build-dir "$BUILD" \
	--no-bootstrap --no-build --no-figures --out "$run" >"$SSH_HOSTS_DIR/run_all.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$SSH_HOSTS_DIR/run_all.log" >&2; fail "run_all.sh --inventory exited $rc"; }
grep -q '^status=complete$' "$run/meta" || fail "meta: $(grep '^status=' "$run/meta")"
grep -q '^lab_topology=hosts$' "$run/meta" && grep -q '^hosts_clients=2$' "$run/meta" &&
	grep -q '^hosts_replicas=2$' "$run/meta" || fail "meta does not describe the hosts"

# Every host recorded: kernel, NIC driver and offloads, probe, clock offset.
for k in 1 2 3 4; do
	f=$run/hosts/host$k.txt
	[ -f "$f" ] || fail "no $f"
	for key in kernel driver available clock_offset_ms; do
		grep -q "^$key: ." "$f" || fail "$f has no '$key:'"
	done
	grep -q '^tx-checksumming: ' "$f" || fail "$f has no offloads"
done
[ "$(wc -l <"$run/hosts/hosts.csv")" = 5 ] || fail "hosts.csv: $(cat "$run/hosts/hosts.csv")"
grep -q '^\[client\]' "$run/hosts/inventory" || fail "no inventory in the results"

# The numbers, as for a local run (summary.csv: ms).
p99() { awk -F, -v e=E1 -v a="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["experiment"] == e && $c["arm"] == a { print $c["p99_ms"] }' "$run/summary.csv"; }
base=$(p99 baseline) kern=$(p99 kernel)
[ -n "$base" ] && [ -n "$kern" ] || fail "no P99 in summary.csv: $(head -n 4 "$run/summary.csv")"
awk -v b="$base" 'BEGIN { exit !(b >= 380 && b <= 480) }' || fail "baseline P99 $base ms is not the 400 ms stall"
# 2 % of the ids stall on replica 1, so P99 falls among the rescued requests:
# T + fast + the machine's scheduling noise. The bound is T + fast + 2 ms, as
# for a local run (measured 12.5 ms at load 5 on 2 vCPUs); on a machine
# loaded beyond its CPUs 5 ms (measured 13.8, 14.8 and 16.0 ms at load 16-17),
# still far below the 400 ms an unrescued stall costs.
load=$(cut -d' ' -f1 /proc/loadavg) margin=2
awk -v l="$load" -v c="$(nproc)" 'BEGIN { exit !(l > c) }' && margin=5
awk -v k="$kern" -v m="$margin" 'BEGIN { exit !(k <= 10 + 2 + m) }' ||
	fail "kernel-hedged P99 $kern ms > T + fast + $margin ms (load average $load)"
note "E1 P99: baseline $base ms, kernel-hedged $kern ms (bound T + fast + $margin ms, load average $load)"

# Both clients took part, with disjoint ids, and the merged logs are the pool.
tdir=$run/E1/kernel/trial-1 raw=$run/raw/E1/kernel/trial-1
for k in 1 2; do [ -s "$tdir/client$k/latency.hlog" ] || fail "no latency.hlog of client$k"; done
n1=$(($(wc -l <"$raw/client1-requests.csv") - 1)) n2=$(($(wc -l <"$raw/client2-requests.csv") - 1))
[ "$n1" = 300 ] && [ "$n2" = 300 ] || fail "requests per client: $n1 and $n2, expected 300 each"
dup=$(tail -q -n +2 "$raw/client1-requests.csv" "$raw/client2-requests.csv" | cut -d, -f1 | sort | uniq -d | head -n1)
[ -z "$dup" ] || fail "id $dup was sent by both clients"
for p in 50 90 99 99.9 100; do
	h=$("$BUILD/tools/hdr-tool" percentile "$p" "$tdir"/client*/latency.hlog)
	# Nearest rank over the pooled raw latencies (from the intended send
	# time, as the logs record them); the histogram keeps 3 significant
	# digits, so it may read up to 1/1024 of the value higher.
	e=$(awk -F, 'NR > 1 && $5 != "timeout" && $4 != "" { print $4 - $2 }' "$raw/requests.csv" | sort -n |
		awk -v p="$p" '{ v[NR] = $1 } END { r = int(p * NR / 100); if (r < p * NR / 100) r++; if (r < 1) r = 1; print v[r] }')
	awk -v h="$h" -v e="$e" 'BEGIN { exit !(h >= e && h - e <= e / 1024 + 1) }' ||
		fail "P$p of the merged logs $h ns != pooled raw $e ns"
done
grep -q "^latency,600," "$tdir/summary.csv" || fail "merged summary: $(cat "$tdir/summary.csv")"
note "merged client logs = pooled raw samples at P50..P100"

# Nothing left on any host.
for k in 1 2 3 4; do
	left=$(t_remote "$k" 'ls -d /run/kernel-hedge-lab-* /run/kernel-hedge/*.state 2>/dev/null || true')
	[ -z "$left" ] || fail "host$k still has $left"
done
left=$(ps -eo args= | grep -E "$SSH_HOSTS_DIR/host[0-9]/kernel-hedge/bin/|kh-lab-guard|kh-lab-keeper" | grep -v grep || true)
[ -z "$left" ] || fail "processes left: $left"
left=$(cd "$KH_LAB_STATE_DIR" && ls | grep -v "^$CLUSTER\.env\$" || true)
[ -z "$left" ] || fail "local lab state left: $left"
pass
