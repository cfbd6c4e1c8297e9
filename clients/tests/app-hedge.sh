#!/usr/bin/env bash
# App-level hedging against chaos-server with the REFERENCE parameters: the
# P99 is close to hedge delay + fast path (not the 400 ms stall), every
# stalled id was hedged and won by its hedge, the stalled originals' late
# replies are discarded and counted as duplicates. Then with --hedge-target
# (a second server): the hedge goes there and wins.
. "$(dirname "$0")/lib.sh"
t_need_chaos

port=$(t_free_port)
t_chaos "$port"
t_client app --mode app --hedge-delay 10ms -n 300 -w 100 "127.0.0.1:$port"

t_check "300 answered, no timeouts" "$(t_param app answered) == 300 && $(t_param app timeouts) == 0"
p99=$(t_summary app latency p99)
max=$(t_summary app latency max)
# The 6 hedged requests take hedge delay (10) + fast path (2) = 12 ms plus the
# timer's wake-up lateness (measured 12.1-12.6 ms here). 30 ms leaves room for
# a noisy shared VM and is still an order of magnitude below the stall.
t_check "P99 $(t_ms "$p99") ms ~ hedge delay + fast path" "$p99 >= 12e6 && $p99 < 30e6"
# Not "< 100 ms": on this shared VM the whole client is sometimes descheduled
# for ~100 ms (measured: a hedge sent 113 ms late); a full stall is 400 ms.
t_check "max $(t_ms "$max") ms: no request waited for a stall" "$max < 390e6"
awk -F, 'NR > 1 && ($1 % 100) < 2 {
		n++
		if ($6 != 1 || $8 != "hedge") { print "bad id " $1 ": hedge_sent " $6 " winner " $8; err = 1 }
	}
	END { if (n != 6) { print n " bad ids, expected 6"; err = 1 } exit err }' \
	"$T_DIR/app/requests.csv" >&2 || fail "a stalled id was not hedged"
info "ok: every stalled id was hedged and its hedge won"
# The stalled originals answer 400 ms later; the run may end before the last
# one or two do.
dups=$(t_param app duplicates)
t_check "stalled originals discarded as duplicates ($dups)" "$dups >= 4 && $dups <= 12"
t_check "no stale replies" "$(t_param app foreign) == 0 && $(t_param app late) == 0"

# --hedge-target: replica 1 on another port; the hedge goes there. Ids from
# 1000: ids seen by the run above within the server's 1 s replay TTL would
# take the fast path and not stall.
port2=$(t_free_port)
t_chaos "$port2" --replica 1
t_client tgt --mode app --hedge-delay 10ms --hedge-target "127.0.0.1:$port2" -n 200 -w 0 \
	--first-id 1000 "127.0.0.1:$port"
t_check "hedge target: all answered" "$(t_param tgt answered) == 200"
t_check "hedge target: the 4 bad ids were hedged" "$(t_param tgt hedges_sent) >= 4"
awk -F, 'NR > 1 && ($1 % 100) < 2 && $8 != "hedge" { err = 1 } END { exit err }' \
	"$T_DIR/tgt/requests.csv" || fail "hedge target: a stalled id was not won by the hedge"
t_check "hedge target: P99 $(t_ms "$(t_summary tgt latency p99)") ms" \
	"$(t_summary tgt latency p99) < 30e6"
echo "PASS"
