# shellcheck shell=bash
# lab-source.sh - for scripts: ". netns-lab/lab-source.sh" then
#
#   kh_lab_up pair --delay 5ms      # exports CLIENT_NS, SERVER_ADDR, ...
#   kh_lab_exec server -- my-server &
#   kh_lab_exec client -- my-client
#
# Every lab made this way is removed when the script exits (an EXIT trap),
# and also when it dies without running traps (SIGKILL): kh_lab_up passes
# --owner-pid $$ so a watcher removes the lab once this shell is gone.
# Set KH_LAB_NO_TRAP=1 to keep your own EXIT trap (then call kh_lab_down_all).

KH_LAB_SH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh"
KH_LAB_PREFIXES=()

# kh_lab_up TOPO [OPTIONS] - lab.sh up; its KEY=VALUE lines become exported
# variables of this shell. Returns lab.sh's status.
kh_lab_up() {
	local out
	out=$("$KH_LAB_SH" up "$@" --owner-pid $$) || return
	eval "$out"
	# shellcheck disable=SC2046
	export $(printf '%s\n' "$out" | sed 's/=.*//')
	KH_LAB_PREFIXES+=("$LAB_PREFIX")
	if [ "${KH_LAB_NO_TRAP:-0}" != 1 ]; then
		trap kh_lab_down_all EXIT
	fi
}

# kh_lab_exec NODE -- CMD... - CMD in NODE of the newest lab made here.
kh_lab_exec() { "$KH_LAB_SH" exec --prefix "$LAB_PREFIX" "$@"; }

# kh_lab_down_all - remove every lab this shell made (idempotent).
kh_lab_down_all() {
	local p
	for p in "${KH_LAB_PREFIXES[@]}"; do
		"$KH_LAB_SH" down --quiet --prefix "$p" || true
	done
	KH_LAB_PREFIXES=()
}
