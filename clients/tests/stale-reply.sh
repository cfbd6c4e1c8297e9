#!/usr/bin/env bash
# Replies are validated by id (and run tag): a peer that answers every
# request first with wrong replies - the previous request's echo, the same id
# under another run's tag, an id never sent - and only 5 ms later with the
# true echo. None of the wrong replies may be taken as the answer: every
# latency is >= 5 ms (a wrong reply arrives within ~0.1 ms), and each one is
# counted (the old id as a duplicate, the others as stale/foreign).
. "$(dirname "$0")/lib.sh"
[ -n "$UDP_MISBEHAVE" ] || skip "udp-misbehave helper not built"

for mode in baseline app; do
	# A fresh peer per run: its "previous request" must be one of this run's.
	port=$(t_free_port)
	t_misbehave "$port" stale --delay 5ms
	extra=()
	[ "$mode" = app ] && extra=(--mode app --hedge-delay 500ms)
	t_client "$mode" "${extra[@]}" -n 50 -w 0 "127.0.0.1:$port"
	t_check "$mode: all 50 answered" "$(t_param "$mode" answered) == 50"
	# The peer answers every datagram it gets, a hedge too (sent only when
	# this loaded VM delays a reply past 500 ms), with 2 foreign replies.
	hedges=$(t_param "$mode" hedges_sent)
	t_check "$mode: 2 foreign replies per datagram counted" \
		"$(t_param "$mode" foreign) == 2 * (50 + $hedges)"
	t_check "$mode: old ids counted as duplicates" "$(t_param "$mode" duplicates) >= 49"
	min=$(t_summary "$mode" latency min)
	# 4.9 ms: the 5 ms delay less the histogram's 3-digit bucket width.
	t_check "$mode: no wrong reply accepted (min latency $(t_ms "$min") ms >= 4.9)" "$min >= 4.9e6"
done
echo "PASS"
