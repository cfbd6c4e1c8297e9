#!/usr/bin/env bash
# test_cgroup.sh - --cgroup PATH: only requests of sockets in that cgroup v2
# subtree are hedged.
#
#   +------------- P-client -------------+        +---- P-server ----+
#   | hedge-client in kh-cg-XXXX (scope) +--------+ chaos-server      |
#   | hedge-client in its own cgroup     |  veth  |                   |
#   | hedger --cgroup .../kh-cg-XXXX     |        +-------------------+
#   +------------------------------------+
#
# The test makes a child cgroup of its own (removed at exit) for the client
# in scope. Pass when the client inside is tracked and its stalled ids are
# hedged, and every request of the client outside is counted as out of scope
# and neither tracked nor hedged.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
N=200
labenv_require
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || skip "no cgroup v2 hierarchy mounted"
mine=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
scope="$cg2${mine%/}/kh-cg-$$"
mkdir "$scope" 2>/dev/null || skip "cannot create a cgroup under $cg2$mine"
on_exit "rmdir '$scope' 2>/dev/null"
labenv_lab pair

ip netns exec "$SERVER_NS" "$CHAOS_SERVER" --port 9999 --bind "$SERVER_ADDR" >"$WORK/cs.out" 2>&1 &
track $!
wait_line "$WORK/cs.out" "listening on" 10 || { cat "$WORK/cs.out"; fail "chaos-server did not start"; }
# nsenter, not `ip netns exec`: that mounts a fresh /sys, which hides the
# cgroup hierarchy mounted below /sys/fs/cgroup.
nsenter --net="/run/netns/$CLIENT_NS" "$BUILD/hedger" attach --dev "$CLIENT_IF" \
	--service "$SERVER_ADDR:9999" --delay 10ms --cgroup "$scope" --interval 0 >"$WORK/hedger.out" 2>&1 &
HPID=$!; track $HPID
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
stat_of() { ip netns exec "$CLIENT_NS" "$BUILD/hedger" stats --dev "$CLIENT_IF" | awk -v k="$1" '$1 == k { print $2 }'; }

# Outside the scope: ids 0..N-1.
ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --out "$WORK/out" -q \
	"$SERVER_ADDR:9999" >/dev/null || fail "client outside the scope failed"
sleep 0.5
out_skip=$(stat_of skipped_other_cgroup); out_req=$(stat_of requests)
echo "outside: skipped_other_cgroup $out_skip, requests $out_req, hedges $(stat_of hedges_sent)"
[ "$out_skip" -ge $N ] || fail "requests outside the scope not counted ($out_skip < $N)"
[ "$out_req" = 0 ] || fail "requests outside the scope tracked ($out_req)"
[ "$(stat_of hedges_sent)" = 0 ] || fail "requests outside the scope hedged"

# Inside: ids 1000.. (4 stall), new to the server.
bash -c 'echo $$ > "$1/cgroup.procs" && exec "${@:2}"' _ "$scope" \
	ip netns exec "$CLIENT_NS" "$HEDGE_CLIENT" --mode baseline --requests $N --warmup 0 --first-id 1000 \
	--out "$WORK/in" -q "$SERVER_ADDR:9999" >/dev/null || fail "client inside the scope failed"
sleep 0.5
in_req=$(stat_of requests); in_hed=$(stat_of hedges_sent)
echo "inside: requests $in_req, hedges $in_hed"
[ "$in_req" = $N ] || fail "requests inside the scope: $in_req tracked, want $N"
[ "$in_hed" -ge 4 ] || fail "stalled requests inside the scope not hedged ($in_hed < 4)"
kill -INT $HPID; wait $HPID || fail "hedger exit status $?"
pass
