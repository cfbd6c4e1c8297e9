#!/usr/bin/env bash
# test_gso.sh on|off [4|6] - a UDP_SEGMENT (GSO) send through a hedged device is
# several datagrams in one skb: the splitter lets it pass untouched and
# hedges none of it; single datagrams on the same device are still hedged.
# tx-udp-segmentation of the lab's own client veth is switched with
# ethtool -K inside its namespace (never on a real interface):
#   on:  the GSO skb crosses the veth whole; the server's stack cuts it;
#   off: the client's stack cuts it after TC (validate_xmit_skb).
# Either way the splitter sees one skb with gso_size set.
#
#   +------ P-client ------+  veth  +------ P-server ------+
#   | udp_gso send -g 8    +--------+ udp_gso serve :9999  |
#   | udp_gso send (single)|        | udp_gso serve :9998  |
#   | hedger (T 10 ms)     |        | (count every id)     |
#   +----------------------+        +----------------------+
#
# The single datagrams go to a second service (port 9998) on the same
# device: they show the splitter is live there (tracked and cloned).
# Pass when the GSO server got every segment exactly once (a hedge of a GSO
# skb would resend them), the hedger counted each GSO send and tracked or
# cloned none of it, and tracked and cloned every single datagram.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
MODE=${1:?on or off}
FAM=${2:-4}
GSO=$BUILD/tests/udp_gso
SENDS=8; SEGS=8; SINGLE=8
labenv_require_lab
[ -x "$GSO" ] || skip "udp_gso not built"
command -v ethtool >/dev/null || skip "ethtool not installed"
labenv_pair
if [ "$FAM" = 6 ]; then SRV="[$SERVER_ADDR6]"; else SRV=$SERVER_ADDR; fi
ip netns exec "$CLIENT_NS" ethtool -K "$CLIENT_IF" tx-udp-segmentation "$MODE" >/dev/null 2>&1 ||
	skip "cannot switch tx-udp-segmentation on the lab's veth"
feat=$(ip netns exec "$CLIENT_NS" ethtool -k "$CLIENT_IF" | grep "^tx-udp-segmentation")

for port in 9999 9998; do
	ip netns exec "$SERVER_NS" "$GSO" serve --bind "$SRV:$port" --reply each --duration 60s \
		>"$WORK/srv$port.out" 2>&1 &
	eval "SPID$port=$!"; track $!
	wait_line "$WORK/srv$port.out" "listening" 10 || { cat "$WORK/srv$port.out"; fail "server did not start"; }
done
labenv_hedger gso --service "$SRV:9999" --service "$SRV:9998" --delay 10ms

gso_out=$(ip netns exec "$CLIENT_NS" "$GSO" send --to "$SRV:9999" --count $((SENDS * SEGS)) \
	--segments $SEGS --size 200 --interval 2ms --wait 300ms)
rc=$?
[ $rc = 2 ] && skip "the kernel refuses UDP_SEGMENT sends"
[ $rc = 0 ] || fail "udp_gso send failed"
one_out=$(ip netns exec "$CLIENT_NS" "$GSO" send --to "$SRV:9998" --count $SINGLE \
	--segments 1 --size 200 --interval 2ms --wait 300ms) || fail "single sends failed"
stats=$(labenv_stats) || fail "stats failed"
[ -n "${KH_DEBUG:-}" ] && echo "$stats"
labenv_hedger_stop
kill -TERM $SPID9999; wait $SPID9999
srv=$(tail -1 "$WORK/srv9999.out")
get() { statget "$stats" "$1"; }
echo "$feat | gso client: $gso_out | single client: $one_out | server: $srv"
echo "hedger: requests $(get requests) gso $(get requests_gso_not_hedged) clones $(get clones)" \
	"hedges $(get hedges_sent) duplicates dropped $(get duplicate_replies_dropped)"
total=$((SENDS * SEGS))
[ "$(word "$gso_out" sends)" = $SENDS ] || fail "client made $(word "$gso_out" sends) GSO sends, want $SENDS"
[ "$(word "$srv" received)" = $total ] || fail "server received $(word "$srv" received) datagrams, want $total"
[ "$(word "$srv" ids)" = $total ] || fail "server saw $(word "$srv" ids) ids, want $total"
[ "$(word "$srv" duplicates)" = 0 ] || fail "server got $(word "$srv" duplicates) copies twice"
[ "$(get requests_gso_not_hedged)" = $SENDS ] || fail "$(get requests_gso_not_hedged) GSO sends counted, want $SENDS"
[ "$(get requests)" = $SINGLE ] || fail "$(get requests) requests tracked, want the $SINGLE single datagrams"
[ "$(get clones)" = $SINGLE ] || fail "$(get clones) clones, want $SINGLE (none of a GSO send)"
[ "$(word "$gso_out" ids_answered)" = $((SENDS * SEGS)) ] || fail "GSO client: $(word "$gso_out" ids_answered) ids answered"
[ "$(word "$one_out" ids_answered)" = $SINGLE ] || fail "single client: $(word "$one_out" ids_answered) ids answered"
pass
