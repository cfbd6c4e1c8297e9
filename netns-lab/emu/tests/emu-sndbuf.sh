#!/usr/bin/env bash
# emu-sndbuf: a packet the emulator holds is not charged to the socket that
# sent it (netem orphans a delayed skb; emu holds a clone and consumes the
# sender's). A sender with a 4 KiB send buffer and non-blocking sends puts
# 300 datagrams through a 50 ms delay at 2000/s: ~100 are held at any time,
# ten times what that buffer holds, and no send may find it full; all 300
# arrive, delayed. (Before the fix 270 of 300 would have blocked.)
#
#   client ns ──veth (emu: delay 50ms, egress)── server ns
#   owd-probe send --sndbuf 4096 --nonblock        owd-probe recv
. "$(dirname "$0")/emulib.sh"
e_require
export KH_EMU_BIN="$EMU"
N=300

p=$(t_prefix)
eval "$("$LAB_SH" up pair --quiet --prefix "$p" --emulator bpf --up-delay 50ms)"
rx=$(mktemp)
ip netns exec "$SERVER_NS" "$OWD" recv --count "$N" --idle 1s --timeout 60s "$SERVER_ADDR:7100" >"$rx" &
rpid=$!
for _ in $(seq 50); do t_has -x ready=1 "$rx" && break; sleep 0.05; done
tx=$(ip netns exec "$CLIENT_NS" "$OWD" send --count "$N" --rate 2000 --sndbuf 4096 --nonblock \
	"$SERVER_ADDR:7100") || fail "owd-probe send failed"
wait "$rpid" || fail "owd-probe recv failed"
stats=$(ip netns exec "$CLIENT_NS" "$EMU" stats --dev "$CLIENT_IF")
held=$(awk '$1 == "held" { print $2 }' <<<"$stats") owned=$(awk '$1 == "held_owned" { print $2 }' <<<"$stats")
sent=$(e_get sent "$tx") blocked=$(e_get would_block "$tx")
got=$(e_get received "$(cat "$rx")") min=$(e_get delay_min_ns "$(cat "$rx")")
rm -f "$rx"
info "sent $sent, would block $blocked; received $got, min delay $min ns; emulator held $held (owned $owned)"
[ "$blocked" = 0 ] || fail "$blocked of $N sends found the 4 KiB send buffer full: held packets are charged to the sender"
[ "$sent" = "$N" ] && [ "$got" = "$N" ] || fail "sent $sent, received $got of $N"
[ "$min" -ge 50000000 ] || fail "a datagram arrived after $min ns, under the 50 ms delay"
[ "${held:-0}" -ge "$N" ] && [ "$owned" = 0 ] || fail "emulator held $held (want >= $N), owned $owned (want 0)"
pass "$N datagrams through 50 ms with a 4 KiB send buffer: none blocked, all arrived (min $min ns)"
