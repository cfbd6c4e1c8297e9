# shellcheck shell=bash
# initramfs.sh - the VM's initramfs, in two gzip'd cpio parts that the
# kernel unpacks one over the other:
#   base    (cached per kernel): busybox, iproute2's ip/tc, bash, their
#           libraries, tc's netem tables, the kernel's modules;
#   overlay (every run): the project's built ELF files and their libraries,
#           the repository's scripts, /init and the command to run.
# Files keep their host paths, so host paths (a meson build dir, lab.sh)
# work unchanged inside the VM.

# vm_copy_file ROOT PATH - PATH (symlinks followed) to ROOT/PATH.
vm_copy_file() {
	local root=$1 path=$2
	[ -e "$root$path" ] && return 0
	mkdir -p "$root$(dirname "$path")"
	cp -L "$path" "$root$path"
}

# vm_is_elf PATH - true for ELF files.
vm_is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# vm_copy_elf ROOT PATH [DEST] - an ELF file and every shared library it
# needs (ldd), at their host paths (or PATH at DEST).
vm_copy_elf() {
	local root=$1 path=$2 dest=${3:-$2} lib
	mkdir -p "$root$(dirname "$dest")"
	[ -e "$root$dest" ] || cp -L "$path" "$root$dest"
	# ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)".
	for lib in $(ldd "$path" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		vm_copy_file "$root" "$lib"
	done
}

# vm_cpio ROOT OUT - ROOT as a gzip'd newc cpio owned by root.
vm_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"
}

# vm_base_build KDIR OUT - the cached part for the kernel in KDIR.
vm_base_build() {
	local kdir=$1 out=$2 root applet bin dist kver
	kver=$(cat "$kdir/KERNEL_RELEASE")
	root=$(mktemp -d "$VM_CACHE/base.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$root'" RETURN
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,root,var}
	ln -s ../run "$root/var/run"
	cp "$(command -v busybox)" "$root/bin/busybox"
	# Applets in /bin and at their usual paths (#!/usr/bin/env needs it).
	for applet in $(busybox --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	for applet in $(busybox --list-full); do
		[ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	# Real iproute2 (busybox's ip/tc lack netns, clsact, bpf) and bash (lab.sh).
	for bin in /usr/sbin/ip /usr/sbin/tc /bin/bash; do
		bin=$(readlink -f "$(command -v "$(basename "$bin")")")
		vm_copy_elf "$root" "$bin" "/usr/sbin/$(basename "$bin")"
	done
	ln -sf /usr/sbin/bash "$root/usr/bin/bash"
	ln -sf /usr/sbin/bash "$root/bin/bash"
	# busybox sh runs its own applets (its ip, tc) before PATH: sh is bash.
	ln -sf /usr/sbin/bash "$root/bin/sh"
	# tc's delay distribution tables (netem --jitter with "distribution").
	for dist in /usr/lib/tc /usr/lib/x86_64-linux-gnu/tc /usr/lib64/tc; do
		[ -d "$dist" ] && mkdir -p "$root$dist" && cp "$dist"/*.dist "$root$dist/" 2>/dev/null
	done
	mkdir -p "$root/lib/modules/$kver"
	cp "$kdir"/modules/*.ko "$root/lib/modules/$kver/" 2>/dev/null || true
	cp "$kdir/modules.load" "$root/lib/modules/$kver/modules.load"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	vm_cpio "$root" "$out.tmp"
	mv -f "$out.tmp" "$out"
}

# vm_overlay_build OUT SHARE_DIR NONCE CMD... - the per-run part.
vm_overlay_build() {
	local out=$1 share=$2 nonce=$3 root f
	shift 3
	root=$(mktemp -d "$VM_RUN_DIR/overlay.XXXXXX")
	mkdir -p "$root/kh"
	# The project's built programs (and libbpf, libelf, liburing, ...).
	if [ -n "$share" ]; then
		while IFS= read -r f; do
			if vm_is_elf "$f"; then
				vm_copy_elf "$root" "$f"
			else
				vm_copy_file "$root" "$f"
			fi
		done < <(find "$share" \( -name '*.p' -o -name meson-private -o -name meson-logs \
			-o -name meson-info -o -name '.*' \) -prune -o -type f \
			\( -perm -u+x -o -name '*.bpf.o' -o -name '*.so*' \) -print)
	fi
	# The repository's scripts (lab.sh and its lib, tests, experiments).
	while IFS= read -r f; do
		vm_copy_file "$root" "$f"
	done < <(find "$VM_ROOT" -mindepth 1 -type d \( -name '.*' -o -name 'build*' -o -name results \
		-o -name paper -o -name node_modules \) -prune -o -type f \( -name '*.sh' -o -path '*/netns-lab/*' \) -print)
	cp "$VM_ROOT/netns-lab/vm/init" "$root/init"
	chmod +x "$root/init"
	# The command, quoted for bash; run from the caller's directory.
	{
		echo "cd $(printf '%q' "$PWD") 2>/dev/null || cd /"
		printf 'exec'
		printf ' %q' "$@"
		echo
	} >"$root/kh/cmd.sh"
	echo "$nonce" >"$root/kh/nonce"
	echo "${share:+$share}" >"$root/kh/share"
	mkdir -p "$root/kh/bin"
	# Built executables on PATH by name (cpu-keepawake, udp-probe, hedger...).
	if [ -n "$share" ]; then
		while IFS= read -r f; do
			[ -e "$root/kh/bin/$(basename "$f")" ] || ln -s "$f" "$root/kh/bin/$(basename "$f")"
		done < <(find "$root$share" -type f -perm -u+x ! -name '*.so*' | sed "s|^$root||")
	fi
	vm_cpio "$root" "$out"
	rm -rf "$root"
}
