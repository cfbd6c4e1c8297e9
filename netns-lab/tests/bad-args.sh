#!/usr/bin/env bash
# Bad input to lab.sh: ONE error line, a non-zero exit, and nothing created.
. "$(dirname "$0")/testlib.sh"
t_require_root

before=$(t_snapshot)

check() {
	local err rc=0
	err=$("$LAB_SH" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" != 0 ] || fail "'lab.sh $*' succeeded"
	[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] ||
		fail "'lab.sh $*' printed $(printf '%s\n' "$err" | grep -c .) error lines, not 1: $err"
	case "$err" in "lab.sh: error: "*) ;; *) fail "'lab.sh $*': unexpected message: $err" ;; esac
	last_rc=$rc
}

# check_usage ARGS... - as check, and the exit status is 2 (a usage error).
check_usage() {
	check "$@"
	[ "$last_rc" = 2 ] || fail "'lab.sh $*' exited $last_rc, expected 2"
}

p=$(t_prefix)
check up
check up ring
check up replicas
check up replicas 0
check up replicas 65
check up replicas x3
check up pair --prefix Bad-1
check up pair --prefix abcdefghi
check up pair --prefix "$p" --delay 5
check up pair --prefix "$p" --jitter 1ms
check up pair --prefix "$p" --loss 150%
check up pair --prefix "$p" --loss 1
check up pair --prefix "$p" --rate fast
check up pair --prefix "$p" --rate 100
check up pair --prefix "$p" --owner-pid 0
check up pair --prefix "$p" --owner-pid 2147483646
check up pair --prefix "$p" --bogus
check up pair --prefix
check exec --prefix "$p" client -- true
check exec --prefix "$p" client
check_usage exec --prefix "$p" client true
check_usage exec client true
check_usage list extra
check_usage list --bogus
check_usage list --prefix "$p"
check env --prefix "$p"
check status --prefix "$p"
check down --prefix 9bad
check frobnicate

# Other tests may run at the same time: look only at what this test could make.
[ -z "$(ip netns list | awk -v p="$p-" 'index($1, p) == 1')" ] || fail "a $p-* namespace appeared"
[ ! -e "/run/kernel-hedge-lab/$p.env" ] || fail "a state file for $p appeared"
[ "$(t_snapshot)" = "$before" ] || fail "host links or qdiscs changed"
pass "29 bad inputs rejected with one line each"
