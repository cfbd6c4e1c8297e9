#!/usr/bin/env bash
# hedge-client --proto dns against a real Knot DNS (knotd) on 127.0.0.1,
# checked against dnsperf, the field's DNS load generator, on the same
# server: every query answered, no error, no mismatch; and both tools agree
# on the rate achieved and roughly on the latency.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../experiments/lib/servers.sh"

srv_require knotd knot >/dev/null 2>&1 || skip "knotd not found: install the Debian package 'knot'"
port=$(t_free_port)
srv_dns_zone "$T_DIR/zone" hedge.test 1000
srv_knot_conf "$T_DIR/knot" "$T_DIR/zone" hedge.test 127.0.0.1 "$port"
srv_knot_start "" "$T_DIR/knot" 127.0.0.1 "$port" hedge.test "$HEDGE_CLIENT" "$T_DIR/knot.log" ||
	fail "knotd did not start: $(tail -n2 "$T_DIR/knot.log")"
track "$SRV_PID"
info "knotd $(srv_versions | tr ';' ' ') on 127.0.0.1:$port"

# 3000 A queries at 1000/s over 1000 names.
"$HEDGE_CLIENT" --proto dns --zone hedge.test --keys 1000 --rate 1000/s --requests 3000 --warmup 100 \
	--quiet --out "$T_DIR/hc" "127.0.0.1:$port" > "$T_DIR/hc.txt" || fail "hedge-client failed"
cat "$T_DIR/hc.txt" >&2
p() { awk -F= -v k="$1" '$1 == k { print $2 }' "$T_DIR/hc/params.txt"; }
[ "$(p answered)" = 3000 ] || fail "answered $(p answered) of 3000"
[ "$(p timeouts)" = 0 ] && [ "$(p error_answers)" = 0 ] && [ "$(p mismatched)" = 0 ] &&
	[ "$(p foreign)" = 0 ] && [ "$(p duplicates)" = 0 ] ||
	fail "timeouts $(p timeouts), errors $(p error_answers), mismatched $(p mismatched), foreign $(p foreign), duplicates $(p duplicates)"

# Names outside the zone: Knot refuses them; answers all the same, all counted as errors.
"$HEDGE_CLIENT" --proto dns --zone elsewhere.test --requests 50 --warmup 0 --quiet --out "$T_DIR/refused" \
	"127.0.0.1:$port" > /dev/null || fail "hedge-client failed (other zone)"
[ "$(awk -F= '$1 == "error_answers" { print $2 }' "$T_DIR/refused/params.txt")" = 50 ] ||
	fail "50 queries outside the zone must be 50 error answers"

# dnsperf: the same names, the same rate, 3 s.
t_cross_check_needs dnsperf dnsperf
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "h%d.hedge.test A\n", i }' > "$T_DIR/queries.txt"
timeout 30 dnsperf -s 127.0.0.1 -p "$port" -d "$T_DIR/queries.txt" -Q 1000 -l 3 > "$T_DIR/dnsperf.txt" 2>&1 ||
	fail "dnsperf failed: $(tail -n2 "$T_DIR/dnsperf.txt")"
grep -E 'Queries (sent|completed|lost)|Queries per second|Average Latency' "$T_DIR/dnsperf.txt" >&2
sent=$(awk '/Queries sent:/ { print $3 }' "$T_DIR/dnsperf.txt")
completed=$(awk '/Queries completed:/ { print $3 }' "$T_DIR/dnsperf.txt")
qps=$(awk '/Queries per second:/ { print $4 }' "$T_DIR/dnsperf.txt")
avg_ms=$(awk '/Average Latency \(s\):/ { print $4 * 1000 }' "$T_DIR/dnsperf.txt")
[ -n "$sent" ] && [ "$sent" = "$completed" ] || fail "dnsperf: $completed of $sent completed"
# hedge-client: its achieved rate and mean latency (uncorrected: what dnsperf measures).
hc_qps=$(awk -F= '$1 == "start_mono_ns" { s = $2 } $1 == "end_mono_ns" { e = $2 }
	END { printf "%.1f", 3100 / ((e - s) / 1e9) }' "$T_DIR/hc/params.txt")
hc_avg_ms=$(awk -F, '$1 == "latency_uncorrected" { printf "%.4f", $10 / 1e6 }' "$T_DIR/hc/summary.csv")
info "rate: dnsperf $qps/s, hedge-client $hc_qps/s; mean latency: dnsperf $avg_ms ms, hedge-client $hc_avg_ms ms"
# Margins: both pace at 1000/s, so each achieves it within 10 % (a loaded
# 2-vCPU machine delays a sender by tens of ms at most, < 2 % of 3 s). A
# loopback round trip to knotd is ~0.05-0.3 ms on a quiet machine, but the
# two tools run one after the other and load from other work moves one
# mean by a few ms (seen: 0.30 vs 2.49 ms), so the means must agree within
# 5 ms or a factor of 10: rough, yet a unit or clock error (x1000) fails.
awk -v a="$qps" -v b="$hc_qps" 'BEGIN { exit !(a > 900 && a < 1100 && b > 900 && b < 1100) }' ||
	fail "rates disagree with the 1000/s asked: dnsperf $qps, hedge-client $hc_qps"
t_means_agree "$avg_ms" "$hc_avg_ms" 5 ||
	fail "mean latencies disagree: dnsperf $avg_ms ms, hedge-client $hc_avg_ms ms"
pass
