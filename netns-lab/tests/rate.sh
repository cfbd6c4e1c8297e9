#!/usr/bin/env bash
# --rate installs tbf on each direction and really slows large packets down.
. "$(dirname "$0")/testlib.sh"
t_require_root

# rtt_ms NS ADDR - median of 5 busybox pings of 30000 bytes, in ms.
rtt_ms() {
	ip netns exec "$1" busybox ping -c 5 -i 0.3 -s 30000 -W 3 "$2" 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n | sed -n 3p
}

p=$(t_prefix) q=$(t_prefix)
eval "$("$LAB_SH" up pair --prefix "$p" --rate 1mbit --quiet)"
[ "$LAB_SHAPING" = tbf ] && [ "$LAB_RATE" = 1mbit ] || fail "LAB_SHAPING/LAB_RATE not tbf/1mbit"
for side in "$CLIENT_NS $CLIENT_IF" "$SERVER_NS $SERVER_IF"; do
	set -- $side
	ip -n "$1" -o link >/dev/null
	ip netns exec "$1" tc qdisc show dev "$2" | t_has 'tbf .*rate 1Mbit' ||
		fail "no tbf rate 1Mbit on $2: $(ip netns exec "$1" tc qdisc show dev "$2")"
done
shaped=$(rtt_ms "$CLIENT_NS" "$SERVER_ADDR")
plain_out=$("$LAB_SH" up pair --prefix "$q" --quiet)
plain=$(rtt_ms "$(t_env_get CLIENT_NS "$plain_out")" 198.18.0.2)
"$LAB_SH" down --prefix "$p" --quiet
"$LAB_SH" down --prefix "$q" --quiet
[ -n "$shaped" ] && [ -n "$plain" ] || fail "no ping result (shaped '$shaped', plain '$plain')"
echo "30000-byte ping RTT: ${plain} ms unshaped, ${shaped} ms at 1mbit"
# 30000 B each way at 125 kB/s with a 16 KiB bucket: ~110 ms queueing per
# direction, so ~220 ms; an unshaped veth takes ~1 ms. 100 ms leaves room
# for the token bucket starting full and for timer slack on this VM.
awk -v s="$shaped" -v u="$plain" 'BEGIN { exit !(s > 100 && u < 50) }' ||
	fail "rate limit not effective: shaped ${shaped} ms vs unshaped ${plain} ms"
pass
