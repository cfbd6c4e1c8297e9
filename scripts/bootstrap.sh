#!/usr/bin/env bash
# bootstrap.sh - install every Debian package kernel-hedge needs, and the npm
# reference decoder used by the histogram conformance test. Idempotent: when
# everything is present it changes nothing.
#
# Usage: scripts/bootstrap.sh [--with-tex] [--check]
#   --with-tex  also install LaTeX (latexmk + texlive) to build the paper PDF
#   --check     only report what is missing; exit 1 if anything is
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  # build
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev liburing-dev libmnl-dev
  meson ninja-build pkg-config libclang-rt-14-dev
  # run and measure
  iproute2 ethtool stress-ng gnuplot-nox procps util-linux
  # promtool checks `hedger stats --prometheus` (hedger test "stats"); jq reads --json
  prometheus jq
  # histogram conformance test (hdr-histogram-js); npm is added below if the
  # nodejs package does not bring its own (nodesource's does, Debian's does not)
  nodejs
  # stock-kernel VM (netns-lab/vm.sh)
  qemu-system-x86 busybox-static cpio kmod xz-utils zstd
  # real servers and load generators (E6, E7, suite proto); run only inside
  # lab namespaces, never as host services (see the install below)
  knot unbound memcached dnsperf libmemcached-tools
  # deploy/ and the hosts suite: Ansible, and sshds of stand-in hosts started
  # inside lab namespaces only (the host's own sshd is never enabled); capsh
  # makes a stand-in host without BPF
  openssh-server openssh-client ansible-core libcap2-bin
)
with_tex=0
check_only=0
for arg in "$@"; do
  case "$arg" in
    --with-tex) with_tex=1 ;;
    --check) check_only=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bootstrap.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$with_tex" = 1 ]; then
  packages+=(latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended)
fi

command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

npm_dir="$root/.deps/npm"
need_npm=0
[ -f "$npm_dir/node_modules/hdr-histogram-js/package.json" ] || need_npm=1

if [ "$check_only" = 1 ]; then
  [ ${#missing[@]} -eq 0 ] || echo "missing Debian packages: ${missing[*]}"
  [ "$need_npm" = 0 ] || echo "missing npm package: hdr-histogram-js (in $npm_dir)"
  [ ${#missing[@]} -eq 0 ] && [ "$need_npm" = 0 ]
  exit $?
fi

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap.sh: root is needed to install: ${missing[*]}" >&2
    echo "run: sudo sh -c '$cmd'" >&2
    exit 1
  fi
  echo "bootstrap.sh: installing ${missing[*]}"
  apt-get update -q
  # Packages with daemons must not start (or enable) host services: while
  # they install, a policy-rc.d forbids starting any (exit 101), unless the
  # host has one already; with systemd the units they enable are disabled.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
    trap '[ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  own_policy=0
  if [ -d /run/systemd/system ]; then
    for unit in knot unbound memcached prometheus; do
      [[ " ${missing[*]} " == *" $unit "* ]] && systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
      systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
  fi
fi

if [ "$need_npm" = 1 ]; then
  echo "bootstrap.sh: installing hdr-histogram-js into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --silent --no-audit --no-fund --prefix "$npm_dir" hdr-histogram-js@3 >/dev/null
fi
echo "bootstrap.sh: all dependencies present"
