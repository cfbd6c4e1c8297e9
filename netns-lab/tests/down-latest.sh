#!/usr/bin/env bash
# The plain pattern: eval "$(lab.sh up pair)" then "lab.sh down" (no options)
# removes that lab, the newest one of this user.
. "$(dirname "$0")/testlib.sh"
t_require_root

# A private state directory: "the newest lab" must not be another user's
# lab made meanwhile on this shared machine (down would remove it).
KH_LAB_STATE_DIR=$(mktemp -d)
export KH_LAB_STATE_DIR
on_exit 'rm -rf "$KH_LAB_STATE_DIR"'
before=$(t_snapshot)
eval "$("$LAB_SH" up pair 2>/dev/null)"
T_PREFIXES+=("$LAB_PREFIX")
[[ $LAB_PREFIX =~ ^kh[0-9a-f]{4}$ ]] || fail "random prefix '$LAB_PREFIX' is not kh + 4 hex digits"
t_netns_hold inodes "$LAB_PREFIX"
[ "$(echo $inodes | wc -w)" = 2 ] || fail "expected 2 namespaces"
"$LAB_SH" down 2>/dev/null || fail "down failed"
t_assert_gone "$LAB_PREFIX" "$before" "$inodes"
"$LAB_SH" down 2>/dev/null || fail "down with no lab is not idempotent"
pass
