#!/usr/bin/env bash
# hedge-client --proto memcached against a real memcached (UDP on) on
# 127.0.0.1: gets of stored keys, responses of 1, 2 and 3 datagrams
# reassembled, every one answered and checked; misses counted as errors;
# the server's own counters agree (one get per request, no write); and
# memcaslap (libmemcached-tools), the field's load generator, in its UDP
# mode on the same server: the server counts its gets, and its mean get
# latency agrees roughly with hedge-client's in the same closed loop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../experiments/lib/servers.sh"

srv_require memcached memcached >/dev/null 2>&1 || skip "memcached not found: install the Debian package 'memcached'"
port=$(t_free_port)
srv_mc_start "" 127.0.0.1 "$port" "$T_DIR/memcached.log" || fail "memcached did not start"
track "$SRV_PID"
srv_mc_populate "" 127.0.0.1 "$port" m 1000 mixed || fail "could not store the keys"
srv_mc_stats "" 127.0.0.1 "$port" > "$T_DIR/before.txt"
[ "$(awk '$1 == "curr_items" { print $2 }' "$T_DIR/before.txt")" = 1000 ] || fail "1000 keys not stored"

# 2000 gets (100 warm-up) at 1000/s: keys m0..m999 twice; N % 10 in {3, 7}
# are 2- and 3-datagram responses, so exactly 2100 / 5 = 420 are reassembled.
"$HEDGE_CLIENT" --proto memcached --key-prefix m --keys 1000 --rate 1000/s --requests 2000 --warmup 100 \
	--quiet --out "$T_DIR/hc" "127.0.0.1:$port" > "$T_DIR/hc.txt" || fail "hedge-client failed"
cat "$T_DIR/hc.txt" >&2
p() { awk -F= -v k="$1" '$1 == k { print $2 }' "$2/params.txt"; }
[ "$(p answered "$T_DIR/hc")" = 2000 ] && [ "$(p timeouts "$T_DIR/hc")" = 0 ] ||
	fail "answered $(p answered "$T_DIR/hc"), timeouts $(p timeouts "$T_DIR/hc")"
[ "$(p multi_replies "$T_DIR/hc")" = 420 ] || fail "multi-datagram replies $(p multi_replies "$T_DIR/hc"), expected 420"
for k in error_answers mismatched dup_datagrams dropped_partials foreign duplicates; do
	[ "$(p $k "$T_DIR/hc")" = 0 ] || fail "$k = $(p $k "$T_DIR/hc"), expected 0"
done
srv_mc_stats "" 127.0.0.1 "$port" > "$T_DIR/after.txt"
delta() { awk -v k="$1" 'NR == FNR { if ($1 == k) b = $2; next } $1 == k { print $2 - b }' "$T_DIR/before.txt" "$T_DIR/after.txt"; }
[ "$(delta cmd_get)" = 2100 ] && [ "$(delta get_hits)" = 2100 ] ||
	fail "server counted $(delta cmd_get) gets ($(delta get_hits) hits), expected 2100"
[ "$(delta cmd_set)" = 0 ] || fail "the server saw $(delta cmd_set) sets during the run"

# Keys never stored: every response is a miss ("END"), counted as an error answer.
"$HEDGE_CLIENT" --proto memcached --key-prefix nothere --requests 50 --warmup 0 --quiet --out "$T_DIR/miss" \
	"127.0.0.1:$port" > /dev/null || fail "hedge-client failed (misses)"
[ "$(p error_answers "$T_DIR/miss")" = 50 ] && [ "$(p answered "$T_DIR/miss")" = 50 ] ||
	fail "50 misses must be 50 error answers"

# memcaslap -U (memcslap's --udp cannot get: libmemcached 1.1.4 asserts that
# a UDP instance never writes a get; see experiments/README.md).
t_cross_check_needs memcaslap libmemcached-tools
"$HEDGE_CLIENT" --proto memcached --key-prefix m --requests 3000 --warmup 100 --quiet --out "$T_DIR/closed" \
	"127.0.0.1:$port" > /dev/null || fail "hedge-client failed (closed loop)"
hc_avg_us=$(awk -F, '$1 == "latency" { printf "%.1f", $10 / 1e3 }' "$T_DIR/closed/summary.csv")
srv_mc_stats "" 127.0.0.1 "$port" > "$T_DIR/before2.txt"
# One thread, one connection, one request in flight: the same closed loop.
timeout 30 memcaslap -s "127.0.0.1:$port" -U -t 2s -c 1 -T 1 -S 2s > "$T_DIR/memcaslap.txt" 2>&1 ||
	fail "memcaslap -U failed: $(tail -n2 "$T_DIR/memcaslap.txt")"
srv_mc_stats "" 127.0.0.1 "$port" > "$T_DIR/after2.txt"
gets=$(awk '/^Get Statistics \(/ { gsub(/\(/, "", $3); print $3 }' "$T_DIR/memcaslap.txt")
ms_avg_us=$(awk '/^Get Statistics \(/ { f = 1 } f && $1 == "Avg:" { print $2; exit }' "$T_DIR/memcaslap.txt")
srv_gets=$(awk 'NR == FNR { if ($1 == "cmd_get") b = $2; next } $1 == "cmd_get" { print $2 - b }' \
	"$T_DIR/before2.txt" "$T_DIR/after2.txt")
info "memcaslap: $gets gets (server counted $srv_gets), mean $ms_avg_us us; hedge-client closed loop: mean $hc_avg_us us"
# Margins: memcaslap counts a get it sent when its reply came; the server
# may have served one more at the stop (seen: 1 of 18001): 1 % agreement.
# Latency: both ~50-150 us on loopback on a quiet machine; the tools run one
# after the other and load from other work moves one mean by ms (seen:
# 1923 vs 44 us), so within 5 ms or a factor of 10: rough, yet a unit or
# clock error (x1000) fails.
[ -n "$gets" ] && [ "$gets" -gt 100 ] || fail "memcaslap reported no gets: $(tail -n3 "$T_DIR/memcaslap.txt")"
awk -v a="$gets" -v b="$srv_gets" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.01 * a + 1) }' ||
	fail "memcaslap reports $gets gets, the server counted $srv_gets"
t_means_agree "$ms_avg_us" "$hc_avg_us" 5000 ||
	fail "mean get latencies disagree: memcaslap $ms_avg_us us, hedge-client $hc_avg_us us"
pass
