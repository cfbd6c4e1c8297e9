#!/usr/bin/env bash
# vm.sh - run a command on a Debian stock kernel (6.1 or 6.12) in qemu.
#
# Why: this machine's kernel has no netem and no sch_fq; Debian's stock
# kernels have both. The VM proves that what needs them (lab shaping, the
# hedger's netem and edt backends) works there. KVM hangs on this machine,
# so qemu emulates (TCG): the VM's clock is emulated and its timings are
# meaningless -- never report a VM timing as a result.
#
#   host: vm.sh run -- CMD ...
#     |  apt-get download linux-image-...  -> .cache/vm/kernel-<series>/
#     |  initramfs = base (busybox, ip, tc, bash, modules; cached)
#     |            + overlay (build dir ELFs + libs, repo scripts, CMD)
#     v
#   qemu-system-x86_64 -accel tcg -cpu max -nographic ... ttyS0 ---> stdout
#     guest /init: mount proc/sys/bpf/debugfs, insmod, run CMD,
#                  print "KH_VM_EXIT=<n> <nonce>", poweroff
#   vm.sh exits with <n>
set -euo pipefail

VM_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
VM_CACHE=${KH_VM_CACHE:-$VM_ROOT/.cache/vm}
VM_QUIET=0
vm_err() { echo "vm.sh: error: $*" >&2; }
vm_note() { [ "$VM_QUIET" = 1 ] || echo "vm.sh: $*" >&2; }
. "$VM_ROOT/netns-lab/vm/kernel.sh"
. "$VM_ROOT/netns-lab/vm/initramfs.sh"

usage() {
	cat <<'USAGE'
Usage: vm.sh run [OPTIONS] -- CMD [ARGS...]
       vm.sh fetch [--kernel 6.1|6.12]    download and cache a kernel only
       vm.sh clean                        remove the cache (.cache/vm)

Boot a Debian stock kernel under qemu (TCG), run CMD as root inside with
the lab available (netns, veth, netem, fq, bpffs, debugfs), print CMD's
output (stdout and stderr, via the serial console), power off and exit with
CMD's status. 77 = this kernel's package cannot be obtained (skip).

Options of run:
  --kernel 6.1|6.12   Debian kernel series (default 6.1: linux-image-amd64)
  --mem M             guest memory for qemu -m (default 1G)
  --smp N             guest CPUs (default 1; TCG, so more is slower)
  --share DIR         build directory whose ELF files (+ their libraries) are
                      copied in at their host paths (default: the newest
                      build*/ of this checkout; --share none for nothing)
  --timeout SECONDS   power the VM off after this long (default 300; exit 124)
  --console-log FILE  also keep the raw console output in FILE
  -q, --quiet         no progress notes on stderr

Inside: the repository's scripts and the build directory sit at their host
paths, built programs are also on PATH by name, and the current directory
is kept when it exists in the VM. VM timings are emulated: not results.

Examples:
  netns-lab/vm.sh run -- uname -r
  netns-lab/vm.sh run -- tc qdisc add dev lo root netem delay 10ms
  netns-lab/vm.sh run --kernel 6.12 -- hedger probe
  netns-lab/vm.sh run -- netns-lab/lab.sh up pair --delay 5ms
  netns-lab/vm.sh run --share build-lab -- build-lab/netns-lab/udp-probe --help
USAGE
}

# vm_default_share - the newest build directory of this checkout.
vm_default_share() {
	local d
	if [ -n "${KH_BUILD_DIR:-}" ] && [ -d "$KH_BUILD_DIR" ]; then
		readlink -f "$KH_BUILD_DIR"
		return 0
	fi
	d=$(ls -td "$VM_ROOT"/build*/ 2>/dev/null | head -n 1)
	[ -n "$d" ] && readlink -f "$d"
	return 0
}

# vm_kernel_dir SERIES - the cached kernel of SERIES, fetching it once.
# Several vm.sh may run at once (other engineers, CI): one fetch at a time.
vm_kernel_ready() {
	local series=$1 dir="$VM_CACHE/kernel-$1" rc=0
	mkdir -p "$VM_CACHE"
	exec 9>"$VM_CACHE/.lock"
	flock 9
	if [ ! -f "$dir/KERNEL_RELEASE" ]; then
		vm_kernel_fetch "$series" "$dir" || rc=$?
	fi
	if [ "$rc" = 0 ]; then
		vm_base_ready "$dir" || rc=$?
	fi
	# A run's own link to the base: a rebuild by another vm.sh cannot pull
	# it away once the lock is released.
	if [ "$rc" = 0 ] && [ -n "$VM_RUN_DIR" ]; then
		ln -f "$VM_BASE" "$VM_RUN_DIR/base.cpio.gz" || rc=1
	fi
	flock -u 9
	exec 9>&-
	return $rc
}

# vm_base_ready KDIR - build the cached base initramfs if it is missing or
# the host tools in it changed.
vm_base_ready() {
	local kdir=$1 key
	key=$( {
		cat "$kdir/KERNEL_RELEASE" "$kdir/modules.load"
		for b in busybox ip tc bash; do
			stat -L -c '%n %s %Y' "$(command -v "$b")"
		done
		sha256sum "$VM_ROOT/netns-lab/vm/initramfs.sh" | cut -d' ' -f1
	} | sha256sum | cut -c1-16)
	if [ ! -f "$kdir/base-$key.cpio.gz" ]; then
		vm_note "building the base initramfs for $(cat "$kdir/KERNEL_RELEASE")"
		rm -f "$kdir"/base-*.cpio.gz
		vm_base_build "$kdir" "$kdir/base-$key.cpio.gz" ||
			{ vm_err "building the base initramfs failed"; return 1; }
	fi
	VM_BASE="$kdir/base-$key.cpio.gz"
}

vm_check_tools() {
	local t missing=()
	for t in qemu-system-x86_64 busybox cpio gzip apt-get apt-cache dpkg-deb depmod modprobe ldd flock ip tc; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		vm_err "missing tools: ${missing[*]} (scripts/bootstrap.sh installs them)"
		return 77
	fi
}

VM_RUN_DIR=""
vm_run_cleanup() { [ -n "$VM_RUN_DIR" ] && rm -rf "$VM_RUN_DIR"; return 0; }

cmd_run() {
	local series=6.1 mem=1G smp=1 share="" share_set=0 timeout=300 log="" kdir rc=0
	local nonce initrd kver status
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel | --mem | --smp | --share | --timeout | --console-log)
			[ $# -ge 2 ] && [ -n "$2" ] || { vm_err "$1 needs a value"; exit 2; }
			case "$1" in
			--kernel) series=$2 ;;
			--mem) mem=$2 ;;
			--smp) smp=$2 ;;
			--share) share=$2; share_set=1 ;;
			--timeout) timeout=$2 ;;
			--console-log) log=$2 ;;
			esac
			shift 2 ;;
		-q | --quiet) VM_QUIET=1; shift ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		*) vm_err "run: unexpected argument '$1' (CMD goes after --; try --help)"; exit 2 ;;
		esac
	done
	[ $# -ge 1 ] || { vm_err "run: no command (vm.sh run [OPTIONS] -- CMD...)"; exit 2; }
	case "$series" in 6.1 | 6.12) ;; *) vm_err "--kernel '$series': expected 6.1 or 6.12"; exit 2 ;; esac
	[[ $mem =~ ^[0-9]+[MG]$ ]] || { vm_err "--mem '$mem': expected e.g. 512M or 1G"; exit 2; }
	[[ $smp =~ ^[1-8]$ ]] || { vm_err "--smp '$smp': expected 1 to 8"; exit 2; }
	[[ $timeout =~ ^[1-9][0-9]*$ ]] || { vm_err "--timeout '$timeout': expected whole seconds, e.g. 300"; exit 2; }
	if [ "$share_set" = 1 ]; then
		if [ "$share" = none ]; then
			share=""
		elif [ -d "$share" ]; then
			share=$(readlink -f "$share")
		else
			vm_err "--share '$share': not a directory"
			exit 2
		fi
	else
		share=$(vm_default_share)
	fi
	vm_check_tools || exit $?
	[ "$(id -u)" = 0 ] || vm_note "not root: apt-get download still works, qemu runs unprivileged"

	rc=0
	mkdir -p "$VM_CACHE"
	VM_RUN_DIR=$(mktemp -d "$VM_CACHE/run.XXXXXX")
	trap vm_run_cleanup EXIT
	vm_kernel_ready "$series" || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	kdir="$VM_CACHE/kernel-$series"
	kver=$(cat "$kdir/KERNEL_RELEASE")
	nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	vm_note "kernel $kver; copying ${share:-no build dir} and the scripts into the initramfs"
	vm_overlay_build "$VM_RUN_DIR/overlay.cpio.gz" "$share" "$nonce" "$@"
	initrd="$VM_RUN_DIR/initrd.cpio.gz"
	cat "$VM_RUN_DIR/base.cpio.gz" "$VM_RUN_DIR/overlay.cpio.gz" >"$initrd"

	vm_note "booting $kver (TCG, ${mem}, ${smp} CPU, timeout ${timeout}s)"
	status="$VM_RUN_DIR/status"
	# The console's CMD section goes to stdout live (CR stripped); the
	# sentinel line carries CMD's status. Kernel messages are dropped.
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu max -m "$mem" -smp "$smp" \
		-nographic -no-reboot -nic none \
		-kernel "$kdir/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic" \
		</dev/null 2>&1 |
		tee ${log:+"$log"} |
		awk -v nonce="$nonce" -v status="$status" '
			# Firmware escape codes may share a line with the markers.
			{ sub(/\r$/, "") }
			index($0, "KH_VM_BEGIN " nonce) { on = 1; next }
			on && match($0, "KH_VM_EXIT=[0-9]+ " nonce "$") {
				v = substr($0, RSTART + 11); sub(/ .*/, "", v)
				print v > status; close(status); on = 0; next }
			on { print; fflush() }' || true
	if [ ! -s "$status" ]; then
		vm_err "the VM gave no exit status (timeout after ${timeout}s, or a crash)${log:+; console log: $log}"
		exit 124
	fi
	rc=$(cat "$status")
	vm_note "CMD exited with $rc"
	exit "$rc"
}

cmd_fetch() {
	local series=6.1 rc=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) [ $# -ge 2 ] || { vm_err "--kernel needs a value"; exit 2; }; series=$2; shift 2 ;;
		*) vm_err "fetch: unexpected argument '$1'"; exit 2 ;;
		esac
	done
	case "$series" in 6.1 | 6.12) ;; *) vm_err "--kernel '$series': expected 6.1 or 6.12"; exit 2 ;; esac
	vm_check_tools || exit $?
	vm_kernel_ready "$series" || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	echo "KERNEL_RELEASE=$(cat "$VM_CACHE/kernel-$series/KERNEL_RELEASE")"
	echo "KERNEL_PACKAGE=$(cat "$VM_CACHE/kernel-$series/PACKAGE" | tr ' ' '=')"
	echo "KERNEL_DIR=$VM_CACHE/kernel-$series"
}

main() {
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	local cmd=$1
	shift
	case "$cmd" in
	run) cmd_run "$@" ;;
	fetch) cmd_fetch "$@" ;;
	clean) rm -rf "$VM_CACHE"; vm_note "removed $VM_CACHE" ;;
	-h | --help | help) usage ;;
	*) vm_err "unknown command '$cmd' (run, fetch, clean; try --help)"; exit 2 ;;
	esac
}

main "$@"
