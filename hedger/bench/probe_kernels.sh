#!/usr/bin/env bash
# probe_kernels.sh [BUILD] [KERNEL...] - `hedger probe` on this kernel and in
# the stock-kernel VM (netns-lab/vm.sh; default kernels 6.1 and 6.12), one
# file per kernel: results/bench/hedger-probe-<uname -r>.txt. Functional
# output (hooks, helpers, backends and why missing), no timings.
# A VM kernel vm.sh cannot fetch is reported and skipped.
# Example: sudo hedger/bench/probe_kernels.sh build 6.1
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
usage() { echo "Usage: $0 [BUILD_DIR] [KERNEL...]   (e.g. $0 build 6.1 6.12)"; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
build=${1:-$(ls -td "$root"/build*/ 2>/dev/null | head -n 1)}
[ -n "$build" ] && [ -x "$build/hedger/hedger" ] ||
	{ echo "probe_kernels.sh: error: no hedger in build dir '${build:-}'" >&2; usage >&2; exit 2; }
build=$(cd "$build" && pwd)
shift $(($# > 0 ? 1 : 0))
kernels=${*:-6.1 6.12}
[ "$(id -u)" = 0 ] || { echo "probe_kernels.sh: error: needs root (hedger probe)" >&2; exit 1; }
out_dir=$root/results/bench
mkdir -p "$out_dir"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

# write_result RELEASE WHERE OUTPUT RC - one result file, written whole.
write_result() {
	local f="$out_dir/hedger-probe-$1.txt"
	{
		echo "# hedger probe on kernel $1 ($2)"
		echo "# date $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit, exit status $4"
		echo "$3"
	} >"$f.tmp" && mv "$f.tmp" "$f"
	echo "$f"
}

failed=0
rc=0
out=$("$build/hedger/hedger" probe 2>&1) || rc=$?
write_result "$(uname -r)" "this host" "$out" $rc
[ $rc = 0 ] || failed=1

for k in $kernels; do
	rc=0
	fetch=$("$root/netns-lab/vm.sh" fetch --kernel "$k" 2>&1) || rc=$?
	if [ $rc = 77 ]; then
		echo "skipped kernel $k: $(echo "$fetch" | grep -m1 error)"
		continue
	fi
	[ $rc = 0 ] || { echo "vm.sh fetch --kernel $k failed: $fetch" >&2; failed=1; continue; }
	release=$(echo "$fetch" | sed -n 's/^KERNEL_RELEASE=//p')
	rc=0
	out=$("$root/netns-lab/vm.sh" run -q --kernel "$k" --share "$build" -- hedger probe 2>&1) || rc=$?
	write_result "${release:-$k}" "Debian stock kernel in the netns-lab VM (qemu TCG)" "$out" $rc
	[ $rc = 0 ] || failed=1
done
exit $failed
