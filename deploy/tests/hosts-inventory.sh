#!/usr/bin/env bash
# hosts-inventory.sh - the hosts provider reads inventories with
# ansible-inventory: the INI and YAML examples give the same host table;
# a host without kh_if, a host in two roles, no client and a missing file
# are refused with one line naming the problem; secrets are redacted from
# the recorded inventory. No root, no network.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T_NAME=hosts-inventory
skip() { echo "SKIP $T_NAME: $*"; exit 77; }
fail() { echo "FAIL $T_NAME: $*" >&2; exit 1; }
command -v ansible-inventory >/dev/null || skip "ansible is not installed (Debian package ansible-core)"
command -v python3 >/dev/null || skip "python3 is missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kh-inv-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp   # ansible-inventory's own files go here
# shellcheck source=/dev/null
. "$ROOT/netns-lab/lib/common.sh"
# shellcheck source=/dev/null
. "$ROOT/netns-lab/lib/provider-hosts.sh"

ini=$(lab_hosts_flatten "$ROOT/deploy/inventory.example.ini") || fail "the INI example was refused"
yml=$(lab_hosts_flatten "$ROOT/deploy/inventory.example.yml") || fail "the YAML example was refused"
[ "$ini" = "$yml" ] || fail "INI and YAML differ:"$'\n'"$ini"$'\n'"$yml"
[ "$(printf '%s\n' "$ini" | wc -l)" = 4 ] || fail "expected 4 hosts: $ini"
line=$(printf '%s\n' "$ini" | awk -F'\t' '$1 == "replica" && $2 == 2')
IFS=$'\t' read -r role idx name addr port user key ifc taddr kdir args <<<"$line"
[ "$name $addr $port $user $ifc $taddr $kdir" = "srv2 198.19.0.22 22 root enp65s0f0 198.18.0.12 /opt/kernel-hedge" ] ||
	fail "replica 2: $line"

# expect_refusal INVENTORY-TEXT REGEX WHAT
expect_refusal() {
	local f=$tmp/inv.ini err
	printf '%s\n' "$1" >"$f"
	if err=$( (lab_hosts_flatten "$f" >/dev/null) 2>&1); then fail "$3: accepted"; fi
	[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "$3: not one line: $err"
	[[ $err =~ $2 ]] || fail "$3: '$err' does not match '$2'"
	echo "$T_NAME: $3: $err"
}
expect_refusal $'[client]\nc1 kh_addr=198.18.0.1\n[replica]\nr1 kh_if=eth0 kh_addr=198.18.0.2' \
	'host c1: kh_if is not set' "a host without kh_if"
expect_refusal $'[client]\nc1 kh_if=eth0 kh_addr=198.18.0.1\n[replica]\nc1' \
	'host c1 is in groups client and replica' "a host in two roles"
expect_refusal $'[replica]\nr1 kh_if=eth0 kh_addr=198.18.0.2' "no host in group 'client'" "no client"
expect_refusal $'[client]\nc1 kh_if=eth0 kh_addr=198.18.0.1' "no host in group 'replica'" "no replica"

printf '%s\n' '[all:vars]' 'ansible_password=hunter2' 'ansible_become_pass: s3cret' 'kh_if=eth0' >"$tmp/secret.ini"
red=$(lab_hosts_redact "$tmp/secret.ini")
[[ $red != *hunter2* && $red != *s3cret* ]] || fail "a secret is left in: $red"
[[ $red == *kh_if=eth0* ]] || fail "redaction removed too much: $red"
echo "PASS $T_NAME"
