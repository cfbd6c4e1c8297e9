#!/usr/bin/env bash
# test_tied.sh - tied mode (--tied 2): every request goes to replica 1 (the
# VIP, unchanged) and at once to replica 2 (copy rewritten in the kernel, sent
# with redirect_neigh); the first reply wins. Independent 2 % stall
# schedules (--replica 1 / --replica 2, 400 ms, replay off), so for every id
# one of the two is fast. Pass when:
#   P99 (which the 2 % stalls would set) within fast + margin: no hedge
#   delay at all
#   (margin 8 ms with the CPUs kept awake, 20 ms without, as test_e2e.sh;
#   measured P99 3.1-5.8 ms); P99.9 (the single worst of 500) <= 300 ms,
#   below the 400 ms stall (measured 8.3-17.4 ms: tied doubles the load on
#   2 shared vCPUs; the bound as test_replicas.sh's, which saw 152 ms under
#   heavy load), and so is every stalled id of replica 1 (answered by
#   replica 2, not the stall);
#   one copy per request (tied_copies = requests), no delay-line clones;
#   the stalled ids of replica 1 were answered by replica 2 through reverse
#   NAT, the connected client socket saw 0 duplicates, and the kernel
#   dropped the second reply of (nearly) every request.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
N=500; FAST_MS=2; MARGIN_MS=8

labenv_require
labenv_stall_pair "$N"

labenv_hedger tied --service "$R1:9999=$R2:9999" --tied 2 --backend htb
grep -q "^replicas: tied, each request to 2 replicas" "$WORK/hedger-tied.out" || fail "attach did not report tied mode"
labenv_client tied --mode baseline --requests $N --warmup 0 "$R1:9999"
sleep 0.6	# replica 1's stalled replies (400 ms) arrive and are dropped
s=$(labenv_stats) || fail "stats failed"
labenv_hedger_stop

p999=$(p999_ms tied); reqs=$(statget "$s" requests); copies=$(statget "$s" tied_copies)
rnat=$(statget "$s" replies_reverse_nat); dd=$(statget "$s" duplicate_replies_dropped)
echo "tied 2: p50 $(pct_ms tied p50) ms p99 $(p99_ms tied) ms p99.9 $p999 ms; requests $reqs, copies $copies," \
     "clones $(statget "$s" clones), reverse-NATed $rnat (stalled ids $stalled), kernel dups dropped $dd," \
     "client dups $(client_dups tied)"
echo "$s" | sed -n '/^replicas/,$p'
p99=$(p99_ms tied)
awk -v v="$p99" -v lim=$((FAST_MS + MARGIN_MS)) 'BEGIN { exit !(v <= lim) }' ||
	fail "p99 $p99 ms > $((FAST_MS + MARGIN_MS)) ms"
awk -v v="$p999" 'BEGIN { exit !(v <= 300) }' || fail "p99.9 $p999 ms > 300 ms"
# Each stalled id of replica 1 was answered by replica 2's copy: within the
# P99.9 bound (300 ms), below the 400 ms stall. Not fast + margin per id:
# the worst of them is the P99.9 request (test_replicas.sh failed that way
# under load: one stalled id at 22.4 ms).
fastst=$(stalled_within tied $((300 * 1000000)))
[ "$fastst" = "$stalled" ] || fail "only $fastst of $stalled stalled ids answered within 300 ms (the stall is 400 ms)"
[ "$reqs" = $N ] || fail "hedger saw $reqs requests, client sent $N"
[ "$copies" = "$reqs" ] || fail "$copies copies for $reqs requests"
[ "$(statget "$s" clones)" = 0 ] || fail "delay-line clones in tied mode"
[ "$rnat" -ge "$stalled" ] || fail "only $rnat reverse-NATed replies for $stalled stalled ids"
[ "$(client_dups tied)" = 0 ] || fail "client saw duplicates"
[ "$dd" -ge $((N - 2)) ] || fail "only $dd second replies dropped for $N requests"
[ "$(statget "$s" nat_failed)" = 0 ] || fail "NAT failures"
echo PASS
