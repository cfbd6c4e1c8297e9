#!/usr/bin/env bash
# Baseline against chaos-server with the REFERENCE parameters (2 % bad ids,
# 400 ms stall, 2 ms fast path), fewer requests: the P99 reflects the 400 ms
# stalls, exactly the bad ids stall, and baseline never hedges.
. "$(dirname "$0")/lib.sh"
t_need_chaos

port=$(t_free_port)
t_chaos "$port"
# Measured ids 100..399: bad ids 100,101,200,201,300,301 = 6 of 300 (2 %), so
# the P99 (rank 297) is a stalled request. ~4 s with the warm-up.
t_client base --mode baseline -n 300 -w 100 "127.0.0.1:$port"

t_check "300 answered, no timeouts" "$(t_param base answered) == 300 && $(t_param base timeouts) == 0"
t_check "baseline sent no hedge" "$(t_param base hedges_sent) == 0"
t_check "no duplicates, no stale replies" \
	"$(t_param base duplicates) == 0 && $(t_param base foreign) == 0 && $(t_param base late) == 0"
p99=$(t_summary base latency p99)
p95=$(t_summary base latency p95)
t_check "P99 $(t_ms "$p99") ms reflects the 400 ms stall" "$p99 >= 399e6 && $p99 < 600e6"
# Fast path 2 ms; 50 ms leaves room for a shared, noisy VM (measured P95 ~2.2 ms).
t_check "P95 $(t_ms "$p95") ms is the fast path" "$p95 < 50e6"
# Exactly the bad ids (id % 100 < 2) took >= 400 ms, and all of them did.
awk -F, 'NR > 1 {
		lat = $4 - $3; bad = ($1 % 100) < 2
		if (bad && lat < 400e6) { print "bad id " $1 " took only " lat " ns"; err = 1 }
		if (!bad && lat >= 400e6) { print "good id " $1 " took " lat " ns"; err = 1 }
		n += bad
	}
	END { if (n != 6) { print n " bad ids, expected 6"; err = 1 } exit err }' \
	"$T_DIR/base/requests.csv" >&2 || fail "stalls are not on exactly the bad ids"
info "ok: the 6 bad ids and only they stalled"
# The output files exist and are non-empty.
for f in latency.hlog latency.hgrm summary.csv requests.csv params.txt summary.txt; do
	[ -s "$T_DIR/base/$f" ] || fail "missing $f"
done
grep -q '^#\[Histogram log format version 1.3\]' "$T_DIR/base/latency.hlog" || fail "hlog header"
[ "$(grep -c '^[0-9]' "$T_DIR/base/latency.hlog")" -ge 3 ] || fail "hlog has < 3 intervals"
echo "PASS"
