#!/usr/bin/env bash
# test_stats_formats.sh - the machine-readable outputs of `hedger stats`, on
# an instance with adaptive delay, budget and a replica, after traffic whose
# replies come 20 ms late (so requests are hedged and duplicates dropped):
#   --prometheus: passes the real `promtool check metrics` (# HELP and # TYPE
#       for every family, gauges typed as gauges, the histogram with _sum and
#       _count); every counter of the list is there;
#   --json: one JSON object per line (jq parses it); its counters equal the
#       text output's, every counter name appears, the service's latency
#       counts sum to `replies`; --watch --count 2 gives two lines;
#   release lateness: one sample per hedge released, in --json (count, and
#       the buckets add up to it), --prometheus (_count) and the text.
# Needs promtool (Debian package prometheus) and jq: skips (77) without.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}
command -v promtool >/dev/null || skip "needs promtool (Debian package prometheus)"
command -v jq >/dev/null || skip "needs jq"

labenv_require_lab
labenv_pair
SVC=$ADDR_S:9999

ip netns exec "$NS_S" "$BUILD/tests/udp_probe" sink --bind "$SVC" --duration 20s --reply \
	--reply-delay 20ms >"$WORK/sink" &
track $!
wait_line "$WORK/sink" ready 5 || fail "sink did not start"
# The replica (another port, no one there) only fills the replica maps.
REP=$ADDR_S:9998
ip netns exec "$NS_C" "$BUILD/hedger" attach --dev "$DEV_C" --service "$SVC=$REP" \
	--delay p95 --delay-min 5ms --delay-max 10ms --budget 50% --backend htb --classes 64 \
	--interval 0 >"$WORK/hedger.out" 2>&1 &
track $!
wait_line "$WORK/hedger.out" "^backend: " 10 || { cat "$WORK/hedger.out"; fail "hedger did not start"; }
ip netns exec "$NS_C" "$BUILD/tests/udp_probe" send --to "$SVC" --count 40 --interval 2ms \
	--wait 300ms >"$WORK/send" || fail "udp_probe send failed"

H stats --dev "$DEV_C" >"$WORK/text" || fail "stats failed"
H stats --dev "$DEV_C" --prometheus >"$WORK/prom" || fail "stats --prometheus failed"
H stats --dev "$DEV_C" --json >"$WORK/json" || fail "stats --json failed"
val() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/text"; }
reqs=$(val requests); reps=$(val replies); hed=$(val hedges_sent)
[ "$reqs" -ge 40 ] || fail "requests $reqs, sent 40"
[ "$hed" -ge 1 ] || fail "no hedges: the test would not cover them"

# Prometheus, by the real parser and linter.
promtool check metrics <"$WORK/prom" >"$WORK/promtool" 2>&1 ||
	{ cat "$WORK/promtool"; fail "promtool check metrics failed"; }
echo "ok: promtool check metrics"
for fam in $(awk '$1 ~ /^[a-z]/ { n = $1; sub(/\{.*/, "", n); sub(/_(bucket|sum|count)$/, "", n); print n }' "$WORK/prom" | sort -u); do
	grep -q "^# HELP $fam " "$WORK/prom" || fail "no # HELP for $fam"
	grep -q "^# TYPE $fam " "$WORK/prom" || fail "no # TYPE for $fam"
done
grep -q '^# TYPE hedger_latency_seconds histogram$' "$WORK/prom" || fail "latency not a histogram"
grep -q "^hedger_latency_seconds_sum{service=\"$SVC\"} [0-9.]*$" "$WORK/prom" || fail "no histogram _sum"
grep -q "^hedger_latency_seconds_count{service=\"$SVC\"} $reps$" "$WORK/prom" || fail "histogram _count != replies"
for g in hedger_adaptive_delay_seconds hedger_adaptive_percentile_seconds hedger_budget_credits \
	 hedger_replica_latency_seconds; do
	grep -q "^# TYPE $g gauge$" "$WORK/prom" || fail "$g not typed as a gauge"
done
counters() { sed -n '2,/^$/p' "$WORK/text" | awk 'NF == 2'; }	# after the dev line
ncnt=$(counters | wc -l)
nprom=$(grep -c '^# TYPE hedger_[a-z0-9_]*_total counter$' "$WORK/prom")
[ "$nprom" -ge "$ncnt" ] || fail "$nprom counter families, text has $ncnt counters"
echo "ok: every family has HELP and TYPE; gauges, histogram _sum/_count"

# JSON.
[ "$(wc -l <"$WORK/json")" = 1 ] || fail "--json is not one line"
jq -e . "$WORK/json" >/dev/null || fail "--json does not parse"
[ "$(jq -r .counters.requests "$WORK/json")" = "$reqs" ] || fail "json requests differ"
[ "$(jq -r .counters.hedges_sent "$WORK/json")" = "$hed" ] || fail "json hedges_sent differ"
[ "$(jq -r .counters.replies "$WORK/json")" = "$reps" ] || fail "json replies differ"
# Every counter of the text output, by name, with its value (the skipped_*
# ones count background packets - ICMP, neighbour discovery - and may move
# between the two snapshots).
while read -r name value; do
	got=$(jq -r --arg k "$name" '.counters[$k]' "$WORK/json")
	case $name in
	skipped_*) [[ $got =~ ^[0-9]+$ ]] || fail "json counter $name: '$got'" ;;
	*) [ "$got" = "$value" ] || fail "json counter $name: $got, text $value" ;;
	esac
done < <(counters)
[ "$(jq -r '.services[0].service' "$WORK/json")" = "$SVC" ] || fail "json service name"
[ "$(jq '[.services[0].latency_log2_us[].count] | add' "$WORK/json")" = "$reps" ] ||
	fail "json latency counts do not sum to replies"
[ "$(jq -r '.services[0].adaptive.percentile_permille' "$WORK/json")" = 950 ] || fail "json adaptive"
[ "$(jq -r '.services[0].budget.ratio_milli' "$WORK/json")" = 500 ] || fail "json budget"
[ "$(jq -r '.services[0].replicas.endpoints[1].endpoint' "$WORK/json")" = "$REP" ] ||
	fail "json replicas"
rel=$(val hedges_released)
[ "$(jq -r .release_late.count "$WORK/json")" = "$rel" ] ||
	fail "json release_late.count $(jq -r .release_late.count "$WORK/json"), hedges_released $rel"
[ "$(jq '[.release_late.buckets[][1]] | add' "$WORK/json")" = "$rel" ] ||
	fail "json release_late buckets do not sum to hedges_released"
grep -q "^hedger_release_lateness_seconds_count{dev=\"$DEV_C\"} $rel$" "$WORK/prom" ||
	fail "prometheus release lateness _count != hedges_released ($rel)"
grep -q "^hedge release lateness (release - planned release; $rel hedges," "$WORK/text" ||
	fail "text: no release lateness line for $rel hedges"
n=$(H stats --dev "$DEV_C" --json --watch 100ms --count 2 | jq -c .counters.requests | wc -l)
[ "$n" = 2 ] || fail "--json --watch --count 2 gave $n lines"
echo "ok: --json"
echo PASS
