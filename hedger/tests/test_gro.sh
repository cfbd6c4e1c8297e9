#!/usr/bin/env bash
# test_gro.sh gso|gro - replies that reach the reply filter as one skb of
# several datagrams pass untouched, complete no request and are never
# dropped as duplicates.
#   gso: the server answers 8 requests at a time with one UDP_SEGMENT send;
#        the veth hands the GSO skb over whole, as a NIC's GRO would merge it;
#   gro: the server answers 8 at a time with one sendmmsg (8 skbs back to
#        back) and the lab's own client veth has `gro on rx-gro-list on`
#        (ethtool -K inside its namespace): veth then receives through NAPI
#        and the kernel's UDP GRO merges them (fraglist, as the client socket
#        has no UDP_GRO). Its NAPI is made threaded: otherwise the poll runs
#        in the sender's softirq right after each packet and finds only that
#        one. Whether a burst lands in one poll is timing: the test runs
#        rounds of 64 requests until the kernel has merged (at most 5; skip
#        if it never did).
#
#   +------ P-client ------+  veth  +------ P-server ------------+
#   | udp_gso send (64)    +--------+ udp_gso serve --batch 8    |
#   | hedger (T 10 ms)     |        | answers each id once       |
#   +----------------------+        +----------------------------+
#
# The server answers each id once (a hedge gets no answer), so a request is
# completed only by a reply that arrived alone. Pass when the client got
# every answer once, merged replies were counted (gso: exactly 8), no merged
# reply completed a request (completions <= 64 - 2 x merged skbs), none was
# dropped, and every request left open was hedged.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
MODE=${1:?gso or gro}
GSO=$BUILD/tests/udp_gso
N=64; BATCH=8; ROUNDS=5
labenv_require_lab
[ -x "$GSO" ] || skip "udp_gso not built"
command -v ethtool >/dev/null || skip "ethtool not installed"
labenv_pair
case $MODE in
gso)	reply=gso
	ip netns exec "$SERVER_NS" ethtool -K "$SERVER_IF" tx-udp-segmentation on >/dev/null 2>&1 ||
		skip "cannot switch tx-udp-segmentation on on the lab's veth" ;;
gro)	reply=burst
	ip netns exec "$CLIENT_NS" ethtool -K "$CLIENT_IF" gro on rx-gro-list on >/dev/null 2>&1 ||
		skip "cannot switch gro and rx-gro-list on on the lab's veth"
	ip netns exec "$CLIENT_NS" sh -c "echo 1 > /sys/class/net/$CLIENT_IF/threaded" 2>/dev/null ||
		skip "cannot make the lab veth's NAPI threaded" ;;
*)	fail "mode: gso or gro" ;;
esac
feat=$(ip netns exec "$CLIENT_NS" ethtool -k "$CLIENT_IF" | grep -E "^(generic-receive-offload|rx-gro-list):" | tr '\n' ' ')

ip netns exec "$SERVER_NS" "$GSO" serve --bind "$SERVER_ADDR:9999" --reply $reply --batch $BATCH \
	--duration 60s >"$WORK/srv.out" 2>&1 &
SPID=$!; track $SPID
wait_line "$WORK/srv.out" "listening" 10 || { cat "$WORK/srv.out"; fail "server did not start"; }
labenv_hedger gro --service "$SERVER_ADDR:9999" --delay 10ms

get() { statget "$stats" "$1"; }
# Rounds of N requests (new ids each round) until the kernel has merged
# replies at least once (gro: up to $ROUNDS rounds; gso: one round).
round=0; answered=0; dups=0
while :; do
	out=$(ip netns exec "$CLIENT_NS" "$GSO" send --to "$SERVER_ADDR:9999" --count $N \
		--first-id $((1 + round * N)) --segments 1 --size 200 --wait 400ms)
	rc=$?
	[ $rc = 2 ] && skip "the kernel refuses UDP_SEGMENT sends"
	[ $rc = 0 ] || fail "udp_gso send failed"
	round=$((round + 1))
	answered=$((answered + $(word "$out" ids_answered))); dups=$((dups + $(word "$out" duplicates)))
	stats=$(labenv_stats) || fail "stats failed"
	[ "$MODE" = gso ] || [ "$(get replies_merged_passed)" -ge 1 ] || [ $round -ge $ROUNDS ] || continue
	break
done
[ -n "${KH_DEBUG:-}" ] && echo "$stats"
labenv_hedger_stop
kill -TERM $SPID; wait $SPID
srv=$(tail -1 "$WORK/srv.out")
total=$((round * N))
merged=$(get replies_merged_passed); done=$(get replies)
echo "$MODE: ${feat}| $round round(s) | client: answered $answered duplicates $dups | server: $srv"
echo "hedger: requests $(get requests) merged replies $merged completed $done" \
	"hedges $(get hedges_sent) duplicates dropped $(get duplicate_replies_dropped)"
[ "$MODE" = gro ] && [ "$merged" = 0 ] &&
	skip "the kernel merged no replies in $ROUNDS rounds (GRO on the veth is timing: a burst must meet one NAPI poll)"
[ "$(get requests)" = $total ] || fail "$(get requests) requests tracked, want $total"
[ "$answered" = $total ] || fail "client: $answered ids answered, want $total"
[ "$dups" = 0 ] || fail "client got $dups duplicates"
[ "$MODE" = gro ] || [ "$merged" = $((N / BATCH)) ] || fail "$merged merged replies counted, want $((N / BATCH))"
[ "$done" -le $((total - 2 * merged)) ] || fail "$done requests completed: a merged reply completed one"
[ "$(get duplicate_replies_dropped)" = 0 ] || fail "$(get duplicate_replies_dropped) replies dropped"
[ "$(get hedges_sent)" -ge $((total - done)) ] || fail "$(get hedges_sent) hedges, want >= $((total - done)) open requests"
pass
