#!/usr/bin/env bash
# test_budget.sh - meltdown: every request stalls (chaos-server --fault-rate
# 100%, 50 ms, replay off). Open loop 200 req/s for 3 s (600 requests), T = 5 ms.
#   no budget:        every request is hedged (the load doubles) - shown, and
#                     checked (hedges >= 95 % of requests) so the test can
#                     tell the budget from a hedger that never hedges;
#   --budget 5% --budget-burst 10: hedges <= 5 % x requests + 10 exactly
#                     (the token bucket's bound), hedges >= that - 2 (the
#                     budget is used, not just blocking), every other clone
#                     dropped and counted (hedges + denied = clones that
#                     reached the rescuer before the reply).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
RATE=200; N=600

labenv_require
labenv_up 1
R1=$REPLICA1_ADDR
labenv_server 1 melt --fault-rate 100% --stall 50ms --replay-ttl 0

labenv_hedger nobudget --service "$R1:9999" --delay 5ms --backend htb
labenv_client nobudget --mode baseline --rate ${RATE}/s --requests $N --warmup 0 "$R1:9999"
sleep 0.2
s0=$(labenv_stats) || fail "stats failed"
labenv_hedger_stop

labenv_hedger budget --service "$R1:9999" --delay 5ms --backend htb --budget 5% --budget-burst 10
grep -q "^budget: 5.0% of requests + burst 10" "$WORK/hedger-budget.out" || fail "attach did not report the budget"
labenv_client budget --mode baseline --rate ${RATE}/s --requests $N --warmup 0 "$R1:9999"
sleep 0.2
s1=$(labenv_stats) || fail "stats failed"
labenv_hedger_stop

r0=$(statget "$s0" requests); h0=$(statget "$s0" hedges_sent)
r1=$(statget "$s1" requests); h1=$(statget "$s1" hedges_sent); d1=$(statget "$s1" hedges_denied_budget)
bound=$((r1 * 5 / 100 + 10))
echo "meltdown, no budget: $h0 hedges for $r0 requests; budget 5% + 10: $h1 hedges, $d1 denied," \
     "for $r1 requests (bound $bound)"
echo "$s1" | grep '^budget:'
[ "$r0" -ge $N ] && [ "$r1" -ge $N ] || fail "hedger saw too few requests ($r0, $r1)"
[ "$h0" -ge $((r0 * 95 / 100)) ] || fail "without budget only $h0 of $r0 requests hedged"
[ "$h1" -le "$bound" ] || fail "$h1 hedges > budget $bound"
[ "$h1" -ge $((bound - 2)) ] || fail "$h1 hedges: budget of $bound not used"
[ "$d1" -ge $((r1 * 90 / 100 - bound)) ] || fail "only $d1 clones denied"
echo "$s1" | grep -q "^budget: 5.0% + burst 10; .*granted $h1, denied $d1" || fail "budget line disagrees with counters"
[ "$(client_dups budget)" = 0 ] || fail "client saw duplicates"
echo PASS
