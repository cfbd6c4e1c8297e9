#!/usr/bin/env bash
# A server that never answers (a socket that swallows requests): every
# request times out, the timeouts are counted and reported, and none of them
# reaches the latency numbers.
. "$(dirname "$0")/lib.sh"
[ -n "$UDP_MISBEHAVE" ] || skip "udp-misbehave helper not built"

port=$(t_free_port)
t_misbehave "$port" drop

t_client base -n 20 -w 2 --timeout 50ms "127.0.0.1:$port"
t_check "20 timeouts counted" "$(t_param base timeouts) == 20"
t_check "nothing answered" "$(t_param base answered) == 0"
t_check "no latency recorded" "$(t_summary base latency count) == 0"
t_check "timeouts on stdout" "$(grep -c 'timeouts 20 ' "$T_DIR/base.out") == 1"
t_check "20 timeout rows" "$(grep -c ',timeout,' "$T_DIR/base/requests.csv") == 20"
# 22 requests x 50 ms: the timeout is honoured (not 1 s, not 0).
elapsed=$(( $(t_param base end_mono_ns) - $(t_param base start_mono_ns) ))
t_check "22 x 50 ms timeouts take ~1.1 s ($(t_ms "$elapsed") ms)" \
	"$elapsed >= 1.1e9 && $elapsed < 2.5e9"

t_client app --mode app --hedge-delay 10ms -n 20 -w 0 --timeout 50ms "127.0.0.1:$port"
t_check "app: 20 timeouts" "$(t_param app timeouts) == 20"
t_check "app: every request hedged before timing out" "$(t_param app hedges_sent) == 20"
t_check "app: no latency recorded" "$(t_summary app latency count) == 0"
echo "PASS"
