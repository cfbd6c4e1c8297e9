# shellcheck shell=bash
# kernel.sh - a Debian stock kernel for the VM: find its package with apt,
# "apt-get download" it, and keep only vmlinuz and the modules the lab needs
# (with their dependencies, in load order) in the cache.

# Modules loaded at boot: netem and fq (what this host's kernel lacks), veth
# for the lab, and what the hedger's backends and tests use.
VM_MODULES_DEFAULT="veth sch_netem sch_fq sch_htb sch_tbf sch_prio sch_ingress sch_etf cls_bpf act_bpf act_mirred ifb tun"

# vm_kernel_package SERIES - the Debian package holding kernel SERIES (6.1,
# 6.12), or nothing when apt cannot see one.
vm_kernel_package() {
	local series=$1 meta pkg=""
	case "$series" in
	6.1) meta=linux-image-amd64 ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	*) return 0 ;;
	esac
	# The meta package's dependency is the newest image of that series.
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	case "$pkg" in "linux-image-$series."* | "linux-image-$series-"*) ;; *) pkg="" ;; esac
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache pkgnames "linux-image-$series" 2>/dev/null |
			grep -E "^linux-image-${series//./\\.}([.-][0-9]+)*(\+deb[0-9]+)?-amd64$" |
			sort -V | tail -n 1)
	fi
	[ -n "$pkg" ] && apt-cache show "$pkg" >/dev/null 2>&1 && echo "$pkg"
	return 0
}

# vm_kernel_fetch SERIES DIR - fill DIR with vmlinuz, modules/*.ko,
# modules.load (load order), KERNEL_RELEASE and PACKAGE. Returns 77 when
# the package cannot be found or downloaded, 1 on other failures.
vm_kernel_fetch() {
	local series=$1 dir=$2 pkg tmp deb kver mods m line ko word base
	pkg=$(vm_kernel_package "$series")
	if [ -z "$pkg" ]; then
		vm_err "no Debian package for kernel $series is visible to apt (try: apt-get update; for 6.12 the bookworm-security archive must be in the sources)"
		return 77
	fi
	tmp=$(mktemp -d "$VM_CACHE/fetch.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	vm_note "downloading $pkg"
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1); then
		vm_err "apt-get download $pkg failed (no network or no archive access?)"
		return 77
	fi
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { vm_err "apt-get download $pkg gave no .deb"; return 77; }
	mkdir -p "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x" || { vm_err "cannot unpack $deb"; return 1; }
	pkg="$pkg $(dpkg-deb -f "$deb" Version)"
	rm -f "$deb"
	kver=$(ls "$tmp/x/lib/modules" 2>/dev/null | head -n 1)
	[ -n "$kver" ] && [ -f "$tmp/x/boot/vmlinuz-$kver" ] ||
		{ vm_err "$pkg holds no vmlinuz/modules"; return 1; }
	depmod -b "$tmp/x" "$kver" || { vm_err "depmod for $kver failed"; return 1; }

	rm -rf "$dir.new"
	mkdir -p "$dir.new/modules"
	cp "$tmp/x/boot/vmlinuz-$kver" "$dir.new/vmlinuz"
	: >"$dir.new/modules.load"
	mods=${KH_VM_MODULES:-$VM_MODULES_DEFAULT}
	for m in $mods; do
		# --show-depends: "insmod PATH" lines, dependencies first.
		if ! line=$(modprobe -d "$tmp/x" -S "$kver" --show-depends "$m" 2>/dev/null); then
			vm_note "kernel $kver has no module $m (skipped)"
			continue
		fi
		while read -r word ko _; do
			[ "$word" = insmod ] || continue
			base=$(basename "$ko")
			base=${base%.xz} base=${base%.zst} base=${base%.gz}
			grep -qx "$base" "$dir.new/modules.load" && continue
			# Decompress here: busybox insmod loads plain .ko files only.
			case "$ko" in
			*.xz) xz -dc "$ko" >"$dir.new/modules/$base" ;;
			*.zst) zstd -qdc "$ko" >"$dir.new/modules/$base" ;;
			*.gz) gzip -dc "$ko" >"$dir.new/modules/$base" ;;
			*) cp "$ko" "$dir.new/modules/$base" ;;
			esac
			echo "$base" >>"$dir.new/modules.load"
		done <<<"$line"
	done
	echo "$kver" >"$dir.new/KERNEL_RELEASE"
	echo "$pkg" >"$dir.new/PACKAGE"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	vm_note "kernel $kver from $pkg cached in $dir ($(wc -l <"$dir/modules.load") modules)"
}
