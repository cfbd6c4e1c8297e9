#!/usr/bin/env bash
# emu-loss: through lab.sh with the bpf emulator, measured loss across real
# veths matches the configuration: Bernoulli 5% client->server within 5
# binomial sigmas over 20000 datagrams, and equal to the emulator's own
# count; Gilbert-Elliott server->client: loss rate and mean burst length
# within 25% of p/(p+r) and 1/r.
. "$(dirname "$0")/emulib.sh"
e_require
export KH_EMU_BIN="$EMU"
p=$(t_prefix)
eval "$("$LAB_SH" up pair --quiet --prefix "$p" --emulator bpf --emu-seed "$RANDOM" \
	--up-loss 5% --down-loss-model gemodel 2% 25% 100% 0%)"
n=20000
up=$(e_measure "$CLIENT_NS" "$SERVER_NS" "$SERVER_ADDR" "$n" 20000)
lost=$(e_get lost "$up")
emu_lost=$(ip netns exec "$CLIENT_NS" "$EMU" stats --dev "$CLIENT_IF" | awk '$1 == "lost" { print $2 }')
info "bernoulli 5%: lost $lost of $n (emulator: $emu_lost)"
awk -v l="$lost" -v n="$n" 'BEGIN { m = n * 0.05; s = sqrt(n * 0.05 * 0.95); exit !(l >= m - 5 * s && l <= m + 5 * s) }' ||
	fail "Bernoulli 5%: $lost of $n lost, outside 5 sigma of $((n / 20))"
# The probe may miss a few more (receive buffer): never fewer, at most 0.1%.
[ "$lost" -ge "$emu_lost" ] && [ $((lost - emu_lost)) -le $((n / 1000)) ] ||
	fail "probe lost $lost, emulator dropped $emu_lost"

n=40000
down=$(e_measure "$SERVER_NS" "$CLIENT_NS" "$CLIENT_ADDR" "$n" 20000)
lost=$(e_get lost "$down") mean=$(e_get burst_mean "$down")
info "gemodel 2% 25%: lost $lost of $n, mean burst $mean, bursts $(e_get burst_hist "$down")"
awk -v l="$lost" -v n="$n" -v b="$mean" 'BEGIN {
	rate = 0.02 / 0.27; exit !(l / n > 0.75 * rate && l / n < 1.25 * rate && b > 0.75 * 4 && b < 1.25 * 4) }' ||
	fail "Gilbert-Elliott: loss $lost/$n (model 7.4%), mean burst $mean (model 4)"
pass "Bernoulli $(e_get lost "$up")/20000, Gilbert-Elliott $lost/$n with mean burst $mean"
