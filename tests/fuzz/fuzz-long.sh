#!/usr/bin/env bash
# fuzz-long.sh - run every libFuzzer target for N executions (default 1e6)
# with ASan+UBSan and write, per target, the executions, the coverage
# (edges reached of those instrumented), the corpus size and the crashes to
# results/bench/fuzz-<UTC>.txt. Not part of CI (the "fuzz" suite runs each
# target for a few seconds).
#
# usage: tests/fuzz/fuzz-long.sh [-n RUNS] [-t TARGET]... BUILD_DIR
#   -n RUNS     executions per target (default 1000000)
#   -t TARGET   only this target (histlog, hist-codec, parse, dgram,
#               attach-opts); repeatable
# example: tests/fuzz/fuzz-long.sh -n 2000000 build-fuzz
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
die_usage() { echo "fuzz-long.sh: error: $*" >&2; exit 2; }

runs=1000000
only=()
while getopts ":n:t:h" opt; do
	case $opt in
	n) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die_usage "-n '$OPTARG': expected a positive integer"
	   runs=$OPTARG ;;
	t) only+=("$OPTARG") ;;
	h) usage; exit 0 ;;
	:) die_usage "-$OPTARG needs a value (try -h)" ;;
	*) die_usage "unknown option -$OPTARG (try -h)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || die_usage "expected BUILD_DIR (try -h)"
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$root/tests/fuzz/seeds

# name|executable|extra libFuzzer arguments
targets=(
	"histlog|$build/tests/fuzz/fuzz-histlog|-dict=$root/tests/fuzz/histlog.dict -seed_inputs=$seeds/histlog-small.hlog,$seeds/histlog-overflow.hlog"
	"hist-codec|$build/tests/fuzz/fuzz-hist-codec|-seed_inputs=$seeds/codec-b64.bin,$seeds/codec-raw.bin,$seeds/codec-deflate.bin"
	"parse|$build/tests/fuzz/fuzz-parse|-dict=$root/tests/fuzz/parse.dict -seed_inputs=$(ls "$seeds"/parse-*.txt | paste -sd,)"
	"dgram|$build/chaos-server/fuzz/fuzz-dgram|"
	"attach-opts|$build/hedger/fuzz/fuzz-attach-opts|-close_fd_mask=3 -dict=$root/hedger/fuzz/attach_opts.dict -seed_inputs=$(ls "$root"/hedger/fuzz/seeds/* | paste -sd,)"
)

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-long.XXXXXX")
trap 'rm -rf "$work"' EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/results/bench"
out=$root/results/bench/fuzz-$stamp.txt
{
	echo "# fuzz-long.sh: libFuzzer, -fsanitize=fuzzer,address,undefined (-fno-sanitize-recover=undefined)"
	echo "# started $stamp, $runs executions per target, -seed=1, fresh corpus from the seed inputs"
	echo "# machine: $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at start"
	echo "# $(clang --version | head -1); tree $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') + working changes"
	echo "# coverage: edges reached / edges instrumented (libFuzzer's cov and inline 8-bit counters)"
	printf '%-12s %12s %8s %10s %9s %8s %7s %s\n' target executions seconds exec/s coverage corpus crashes verdict
} >"$out"

fail=0
for t in "${targets[@]}"; do
	IFS='|' read -r name exe extra <<<"$t"
	if [ ${#only[@]} -gt 0 ] && ! printf '%s\n' "${only[@]}" | grep -qx "$name"; then
		continue
	fi
	if [ ! -x "$exe" ]; then
		printf '%-12s %s\n' "$name" "not built ($exe)" >>"$out"
		continue
	fi
	mkdir -p "$work/$name/corpus" "$work/$name/crash"
	start=$(date +%s)
	rc=0
	# shellcheck disable=SC2086
	ASAN_OPTIONS=quarantine_size_mb=64:malloc_context_size=10 \
		"$exe" -runs="$runs" -seed=1 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix="$work/$name/crash/" $extra "$work/$name/corpus" \
		>"$work/$name/log" 2>&1 || rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$name/log")
	edges=$(grep -o 'Loaded 1 modules *([0-9]* inline' "$work/$name/log" | grep -o '[0-9]*' | tail -1)
	cov=$(grep -Eo '(DONE|pulse|NEW|REDUCE) +cov: [0-9]+' "$work/$name/log" | awk '{print $3}' | sort -n | tail -1)
	corpus=$(find "$work/$name/corpus" -type f | wc -l)
	# crash-, leak-, oom-, timeout- files are failures; slow-unit- files are
	# inputs slower than 10 s (reported, not failures)
	crashes=$(find "$work/$name/crash" -type f ! -name 'slow-unit-*' | wc -l)
	slow=$(find "$work/$name/crash" -type f -name 'slow-unit-*' | wc -l)
	verdict=ok
	[ "$slow" = 0 ] || verdict="ok ($slow slow inputs > 10 s)"
	if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
		verdict="FAILED (exit $rc)"
		fail=1
		mkdir -p "$root/results/bench/fuzz-$stamp-crashes"
		cp "$work/$name/crash/"* "$root/results/bench/fuzz-$stamp-crashes/" 2>/dev/null || true
		grep -m3 -E 'ERROR|runtime error|SUMMARY' "$work/$name/log" | sed "s/^/# $name: /" >>"$out.notes" || true
	fi
	printf '%-12s %12s %8s %10s %9s %8s %7s %s\n' "$name" "${execs:-?}" "$secs" \
		"$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}/${edges:-?}" "$corpus" "$crashes" \
		"$verdict" >>"$out"
done
if [ -e "$out.notes" ]; then
	cat "$out.notes" >>"$out"
	rm -f "$out.notes"
fi
echo "# finished $(date -u +%Y%m%dT%H%M%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
cat "$out"
echo "fuzz-long.sh: wrote $out" >&2
exit $fail
