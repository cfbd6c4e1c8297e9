#!/usr/bin/env bash
# Bad arguments: one clear error line, exit 2, and no --out directory made.
. "$(dirname "$0")/lib.sh"

expect_usage_error() {
	local err=$T_DIR/err rc=0
	"$HEDGE_CLIENT" --out "$T_DIR/made" "$@" >/dev/null 2>"$err" || rc=$?
	[ "$rc" = 2 ] || fail "hedge-client $* exited $rc, expected 2"
	[ "$(wc -l <"$err")" = 1 ] || { cat "$err" >&2; fail "hedge-client $*: not exactly one error line"; }
	grep -q '^hedge-client: error: ' "$err" || fail "hedge-client $*: message lacks the prefix"
	[ ! -e "$T_DIR/made" ] || fail "hedge-client $* left $T_DIR/made behind"
	info "ok: $* -> $(cat "$err")"
}

expect_usage_error
expect_usage_error --mode turbo 127.0.0.1:9
expect_usage_error 127.0.0.1
expect_usage_error --requests 0 127.0.0.1:9
expect_usage_error --timeout 5 127.0.0.1:9
expect_usage_error --hedge-delay 5ms 127.0.0.1:9
expect_usage_error --mode app --hedge-delay 2s --timeout 1s 127.0.0.1:9
expect_usage_error --rate 100/s --think 1ms 127.0.0.1:9
expect_usage_error --gc-pause 20ms 127.0.0.1:9
expect_usage_error --gc-pause 400ms@2/s 127.0.0.1:9
expect_usage_error --size 3 127.0.0.1:9
expect_usage_error --pin 99999 127.0.0.1:9
expect_usage_error --sched realtime 127.0.0.1:9
expect_usage_error --no-such-option 127.0.0.1:9
expect_usage_error no-such-host.invalid:9
expect_usage_error 127.0.0.1:0
expect_usage_error --rate 100/s --max-lag 0 127.0.0.1:9

# --out whose parent does not exist is refused before anything is sent.
rc=0
"$HEDGE_CLIENT" --out "$T_DIR/missing/dir" 127.0.0.1:9 >/dev/null 2>"$T_DIR/err" || rc=$?
[ "$rc" = 2 ] && grep -q "does not exist" "$T_DIR/err" || fail "--out in a missing parent: rc $rc"
[ ! -e "$T_DIR/missing" ] || fail "--out created its parent"

"$HEDGE_CLIENT" --help >"$T_DIR/help" || fail "--help exited non-zero"
grep -q '^Examples:' "$T_DIR/help" && grep -q -- '--gc-pause' "$T_DIR/help" ||
	fail "--help lacks examples or options"
echo "PASS"
