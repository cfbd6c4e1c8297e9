#!/usr/bin/env bash
# test_forged_reply.sh good|bad - a forged reply during a stall never costs
# the application the real one.
#
#   +------ P-client ------+        +------ P-server ------+
#   | forged_reply client   |  veth  | chaos-server (id 1    |
#   | hedger, T = 2 s       +--------+ stalls 5 s)           |
#   +-----------------------+        | forger (raw socket)   |
#                                    +-----------------------+
#
# At ~0.3 s a datagram from the server's address:port with the request's id
# but other bytes reaches the client:
#   bad  checksum: the hedger does not trust it (counted), the clone leaves
#        at T as the hedge, the server answers the repeat at once: the real
#        reply arrives at about T. The client's stack discards the forgery.
#   good checksum: it completes the request (no hedge), but the real reply
#        at 5 s has other bytes, so it passes: the client sees both and can
#        reject the forgery, as it would without the hedger.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
KIND=${1:?good or bad}
CS=${CHAOS_SERVER:-}
command -v python3 >/dev/null || skip "python3 not installed"

labenv_require_lab
[ -x "$CS" ] || skip "chaos-server not built"
labenv_lab pair

ip netns exec "$SERVER_NS" "$CS" --port 9999 --bind "$SERVER_ADDR" --stall 5s \
	--replay-ttl 10s >"$WORK/cs.out" 2>&1 &
track $!
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
ip netns exec "$CLIENT_NS" "$BUILD/hedger" attach --dev "$CLIENT_IF" --service "$SERVER_ADDR:9999" \
	--delay 2s --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }

# The forger is ready (python started, raw socket open) before the request
# leaves, so the forgery lands well before T even on a loaded machine.
CPORT=40999
ip netns exec "$SERVER_NS" python3 "$here/forged_reply.py" forge "$SERVER_ADDR" 9999 \
	"$CLIENT_ADDR" $CPORT 1 "$KIND" 2>"$WORK/forger" &
FPID=$!; track $FPID
wait_line "$WORK/forger" "ready" 20 || fail "forger did not start"
ip netns exec "$CLIENT_NS" python3 "$here/forged_reply.py" client "$SERVER_ADDR" 9999 $CPORT 1 6.5 \
	>"$WORK/got" 2>"$WORK/client" &
CPID=$!; track $CPID
wait_line "$WORK/client" "sent" 20 || fail "client did not start"
sleep 0.3
kill -USR1 $FPID
wait $FPID || fail "forger failed"
wait $CPID
stats=$(ip netns exec "$CLIENT_NS" "$BUILD/hedger" stats --dev "$CLIENT_IF") || fail "stats failed"
get() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
real=$(printf '\001\000\000\000REAL-REQUEST' | od -An -tx1 | tr -d ' \n')
forged=$(printf '\001\000\000\000FORGED-REPLY' | od -An -tx1 | tr -d ' \n')
real_ms=$(awk -v h="$real" '$2 == h { print $1; exit }' "$WORK/got")
echo "$KIND checksum: client got:"; sed 's/^/  /' "$WORK/got"
echo "$stats" | sed "s/^/    /" | grep -v " 0$"
echo "  hedges_sent $(get hedges_sent) untrusted $(get replies_untrusted_passed)" \
	"different $(get replies_different_passed) dups dropped $(get duplicate_replies_dropped)"
[ -n "$real_ms" ] || fail "the real reply never reached the client"
if [ "$KIND" = bad ]; then
	[ "$(get replies_untrusted_passed)" = 1 ] || fail "forgery not counted as untrusted"
	[ "$(get hedges_sent)" = 1 ] || fail "no hedge sent"
	awk -v t="$real_ms" 'BEGIN { exit !(t < 4500) }' || fail "real reply at $real_ms ms, want the hedge's (< 4.5 s)"
	! grep -q "$forged" "$WORK/got" || fail "the client's stack accepted a datagram with a bad checksum"
else
	grep -q "$forged" "$WORK/got" || fail "the valid forgery did not reach the client"
	[ "$(get replies_different_passed)" -ge 1 ] || fail "real reply not counted as different"
fi
echo PASS
