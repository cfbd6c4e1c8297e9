#!/usr/bin/env bash
# test_cli_errors.sh - bad input gets one clear error line, a non-zero exit,
# and leaves nothing behind (no delay line, no state file, no program):
# no privilege, unknown interface, backend unavailable (names the available
# ones), bad service address, id window out of range, bad id width/endian,
# unknown backend, missing --service; adaptive delay with netem,
# bad percentile/clamps, bad budget, bad replica lists, policies and --tied, stats
# --watch/--count misuse; --htb-calib not below the delay, names and the
# unspecified address as --service, getopt errors (one line, exit 2), the
# hedger's own khd/khp devices as --dev.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
BUILD=${HEDGER_BUILD:?set by meson}

labenv_require_lab
labenv_pair
err=$WORK/err

# expect_error PATTERN ARGS... - hedger ARGS fails with one stderr line matching PATTERN.
expect_error() {
	local pat=$1; shift
	# timeout: an attach that wrongly succeeds must not run forever
	timeout -s INT 10 ip netns exec "$NS_C" "$BUILD/hedger" "$@" >/dev/null 2>"$err" && fail "succeeded: hedger $*"
	[ "$(wc -l <"$err")" = 1 ] || { cat "$err"; fail "not exactly one error line: hedger $*"; }
	grep -qE -e "$pat" "$err" || { cat "$err"; fail "error does not match /$pat/: hedger $*"; }
	ip -n "$NS_C" link show | grep -q 'khd[0-9]' && fail "left a delay line: hedger $*"
	ls /run/kernel-hedge/net"$NS_C_INO"-* >/dev/null 2>&1 && fail "left a state file: hedger $*"
	echo "ok: $(cat "$err")"
}

S="--service $ADDR_S:9999"
expect_error "unknown interface 'nosuchdev0'" attach --dev nosuchdev0 $S
expect_error "(invalid|bad) --service" attach --dev "$DEV_C" --service 198.18.100.2:99999
expect_error "(invalid|bad) --service" attach --dev "$DEV_C" --service 198.18.100.2
expect_error "id window out of range" attach --dev "$DEV_C" $S --id-offset 65500 --id-width 8
expect_error "--id-width" attach --dev "$DEV_C" $S --id-width 3
expect_error "--id-endian" attach --dev "$DEV_C" $S --id-endian middle
expect_error "unknown --backend" attach --dev "$DEV_C" $S --backend carrier-pigeon
expect_error "at least one --service" attach --dev "$DEV_C"
expect_error "--delay" attach --dev "$DEV_C" $S --delay 10
if ! ip netns exec "$NS_C" "$BUILD/hedger" probe | grep -q "^backend netem: yes"; then
	expect_error "backend netem unavailable: .*; available: .*htb" attach --dev "$DEV_C" $S --backend netem
fi
if ! ip netns exec "$NS_C" "$BUILD/hedger" probe | grep -q "^backend edt: yes"; then
	expect_error "backend edt unavailable: .*sch_fq" attach --dev "$DEV_C" $S --backend edt
fi
# Adaptive delay, budget, replicas, policies, --tied, stats.
expect_error "needs a per-packet delay backend.*netem" attach --dev "$DEV_C" $S --delay p95 --backend netem
expect_error "--delay" attach --dev "$DEV_C" $S --delay p101
expect_error "--delay" attach --dev "$DEV_C" $S --delay p95.55
expect_error "--delay-min/--delay-max/--delay-period need an adaptive" attach --dev "$DEV_C" $S --delay-max 20ms
expect_error "--delay-period out of range" attach --dev "$DEV_C" $S --delay p95 --delay-period 1ms
expect_error "--delay-min/--delay-max out of range" attach --dev "$DEV_C" $S --delay p95 --delay-min 30ms --delay-max 20ms
expect_error "--budget" attach --dev "$DEV_C" $S --budget 150%
expect_error "--budget-burst" attach --dev "$DEV_C" $S --budget 5% --budget-burst 0
expect_error "--replica-policy" attach --dev "$DEV_C" $S --replica-policy slowest
expect_error "--replica-policy needs a --service with replicas" attach --dev "$DEV_C" $S --replica-policy fastest
expect_error "no replica after '='" attach --dev "$DEV_C" --service "$ADDR_S:9999="
expect_error "not of the service's address family" attach --dev "$DEV_C" --service "$ADDR_S:9999=[2001:2::5]:9999"
expect_error "(invalid|bad) --service" attach --dev "$DEV_C" --service "$ADDR_S:9999=198.18.100.3"
expect_error "more than 8 replicas" attach --dev "$DEV_C" --service "$ADDR_S:9999=198.18.100.3:1,198.18.100.3:2,198.18.100.3:3,198.18.100.3:4,198.18.100.3:5,198.18.100.3:6,198.18.100.3:7,198.18.100.3:8"
expect_error "--tied needs a --service with replicas" attach --dev "$DEV_C" $S --tied 2
expect_error "--tied 3: a service has only 2 replicas" attach --dev "$DEV_C" --service "$ADDR_S:9999=198.18.100.3:9999" --tied 3
expect_error "--tied sends the copies at once" attach --dev "$DEV_C" --service "$ADDR_S:9999=198.18.100.3:9999" --tied 2 --delay p95
expect_error "--tied" attach --dev "$DEV_C" --service "$ADDR_S:9999=198.18.100.3:9999" --tied 1
expect_error "--count needs --watch" stats --dev "$DEV_C" --count 3
expect_error "--watch" stats --dev "$DEV_C" --watch 1ms
expect_error "unknown command" frobnicate
# A calibration as long as the hold would hedge every request at once.
expect_error "--htb-calib must be shorter than --delay \\(10000us\\)" attach --dev "$DEV_C" $S --delay 10ms --htb-calib 20ms
expect_error "--htb-calib must be shorter than --delay-min" attach --dev "$DEV_C" $S --delay p95 --delay-min 2ms --htb-calib 2ms
# Services are numeric addresses: no name lookup, no unspecified address.
expect_error "bad --service 'localhost:9999': not a numeric IPv4" attach --dev "$DEV_C" --service localhost:9999
expect_error "bad --service '300.1.1.1:9999': not a numeric IPv4" attach --dev "$DEV_C" --service 300.1.1.1:9999
expect_error "bad --service '0.0.0.0:9999': the unspecified address" attach --dev "$DEV_C" --service 0.0.0.0:9999
expect_error "bad --service '\\[::\\]:9999': the unspecified address" attach --dev "$DEV_C" --service "[::]:9999"
# getopt errors: one line and where to look, exit 2.
expect_error "unknown option '--frobnicate' \\(try hedger attach --help\\)" attach --dev "$DEV_C" $S --frobnicate
expect_error "option '--delay' needs an argument \\(try hedger attach --help\\)" attach --dev "$DEV_C" $S --delay
expect_error "unknown option '-x' \\(try hedger attach --help\\)" attach -x
expect_error "unknown option '--frobnicate' \\(try hedger stats --help\\)" stats --frobnicate
expect_error "unknown option '--frobnicate' \\(try hedger detach --help\\)" detach --frobnicate
expect_error "--prometheus and --json exclude each other" stats --dev "$DEV_C" --prometheus --json
for a in "attach --dev $DEV_C $S --frobnicate" "stats --dev $DEV_C --frob" "detach --frob"; do
	ip netns exec "$NS_C" "$BUILD/hedger" $a >/dev/null 2>&1
	rc=$?; [ $rc = 2 ] || fail "hedger $a: exit $rc, want 2 (usage error)"
done
echo "ok: getopt errors exit 2"
# The hedger's own devices are no client interface.
expect_error "--dev khd77a is one of the hedger's own devices" attach --dev khd77a $S
expect_error "--line-cpu needs --backend htb" attach --dev "$DEV_C" $S --line-cpu 1
# A CPU this machine does not have: refused after the line exists, which
# must then be gone again.
expect_error "--line-cpu 1023: this machine has CPUs" attach --dev "$DEV_C" $S --backend htb --line-cpu 1023
expect_error "--dev khp4242b is one of the hedger's own devices" attach --dev khp4242b $S
# No privilege: run as nobody.
if command -v setpriv >/dev/null; then
	ip netns exec "$NS_C" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BUILD/hedger" attach --dev "$DEV_C" $S >/dev/null 2>"$err" && fail "unprivileged attach succeeded"
	[ "$(wc -l <"$err")" = 1 ] && grep -q "needs root" "$err" || { cat "$err"; fail "unprivileged: no clear error"; }
	echo "ok: $(cat "$err")"
fi
echo PASS
