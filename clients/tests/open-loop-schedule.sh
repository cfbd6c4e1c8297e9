#!/usr/bin/env bash
# Open loop at a modest rate keeps its schedule: the recorded schedule error
# (actual - intended send) stays small, the run lasts as long as the schedule
# says, and requests overlap (it does not wait for replies).
. "$(dirname "$0")/lib.sh"
t_need_chaos

port=$(t_free_port)
t_chaos "$port" --fault-rate 0 --fast 10ms
# 1000 requests at 500/s = 2 s; a 10 ms fast path keeps ~5 in flight.
t_client open --rate 500/s -n 1000 -w 0 "127.0.0.1:$port"

t_check "1000 answered" "$(t_param open answered) == 1000"
serr50=$(t_summary open schedule_error p50)
serr99=$(t_summary open schedule_error p99)
serrmax=$(t_summary open schedule_error max)
# An idle vCPU here wakes from a timer up to ~2.5 ms late (p99, measured;
# P50 < 0.1 ms). With both vCPUs saturated by other work, the P99 was
# measured at 2-41 ms, so: P50 < 5 ms, P99 < 100 ms. A client that waited for
# replies (10 ms each here) or drifted would be off by seconds (and fail the
# elapsed-time and grid checks below too).
t_check "schedule error P50 $(t_ms "$serr50") ms < 5 ms" "$serr50 < 5e6"
t_check "schedule error P99 $(t_ms "$serr99") ms < 100 ms" "$serr99 < 100e6"
# The max is printed, not checked: other load on the shared VM has
# descheduled the client for ~100 ms at a time (measured).
info "schedule error max $(t_ms "$serrmax") ms"
elapsed=$(( $(t_param open end_mono_ns) - $(t_param open start_mono_ns) ))
t_check "run lasted the schedule's 2 s ($(t_ms "$elapsed") ms)" "$elapsed > 1.99e9 && $elapsed < 2.5e9"
# Intended send times are exactly 2 ms apart (drift-free arithmetic).
awk -F, 'NR == 2 { t0 = $2 } NR > 1 { want = t0 + ($1 - 0) * 2000000
		if ($2 != want) { print "id " $1 " intended " $2 ", expected " want; exit 1 } }' \
	"$T_DIR/open/requests.csv" >&2 || fail "intended send times are off the 500/s grid"
# Most in flight at once (sends before earlier replies): ~5 expected.
inflight=$(awk -F, 'NR > 1 { ev[n++] = $3 " 1"; ev[n++] = $4 " -1" }
	END { for (i = 0; i < n; i++) print ev[i] }' "$T_DIR/open/requests.csv" |
	sort -n -k1,1 -k2,2n | awk '{ c += $2; if (c > m) m = c } END { print m }')
t_check "requests overlap (max $inflight in flight)" "$inflight >= 3"
# Corrected latency is never below the uncorrected one.
t_check "corrected >= uncorrected" \
	"$(t_summary open latency p50) >= $(t_summary open latency_uncorrected p50)"
[ -s "$T_DIR/open/latency-uncorrected.hlog" ] || fail "no uncorrected interval log"
echo "PASS"
