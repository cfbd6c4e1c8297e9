# lib.sh - shared helpers of hedge-client's integration tests (bash), on top
# of tests/lib.sh (skip, fail, info, track, the EXIT trap). Sourced by each
# test; it makes a scratch directory, T_DIR, removed on exit.
# Traffic stays on loopback; ports are random free ones.
set -u

: "${HEDGE_CLIENT:?HEDGE_CLIENT must point at the hedge-client binary}"
: "${UDP_MISBEHAVE:=}"
: "${CHAOS_SERVER:=}"

. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib.sh"
work_dir
T_DIR=$T_WORK

# t_free_port - a random UDP port nobody listens on.
t_free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	fail "no free UDP port found"
}

# t_wait_port PORT - until something is bound to UDP PORT (5 s at most).
t_wait_port() {
	local i
	for i in $(seq 1 100); do
		ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on UDP port $1 after 5 s"
}

# t_cross_check_needs CMD PACKAGE - the cross-check against the field's tool
# CMD runs only when it is installed; without it the test passes on what it
# has checked so far.
t_cross_check_needs() {
	command -v "$1" >/dev/null 2>&1 && return 0
	info "$1 not found (Debian package '$2'): cross-check skipped"
	pass "(without the $1 cross-check)"
}

# t_means_agree A B TOL - 0 when the means A and B (one unit) differ by at
# most TOL or by less than a factor of 10: rough (the two tools run one
# after the other on a shared machine), yet a unit or clock error (x1000)
# fails.
t_means_agree() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d
		exit !(d <= t || (a <= 10 * b && b <= 10 * a)) }'
}

t_need_chaos() {
	[ -n "$CHAOS_SERVER" ] && [ -x "$CHAOS_SERVER" ] || skip "chaos-server is not built"
}

# t_chaos PORT [OPTIONS...] - start chaos-server on 127.0.0.1:PORT.
t_chaos() {
	local port=$1
	shift
	"$CHAOS_SERVER" --bind 127.0.0.1 --port "$port" "$@" >"$T_DIR/chaos-$port.log" 2>&1 &
	track $!
	t_wait_port "$port"
}

# t_misbehave PORT MODE [OPTIONS...] - start the udp-misbehave helper.
t_misbehave() {
	local port=$1 mode=$2
	shift 2
	"$UDP_MISBEHAVE" --port "$port" --mode "$mode" --lifetime 60s "$@" \
		>"$T_DIR/misbehave-$port.log" 2>&1 &
	track $!
	t_wait_port "$port"
}

# t_client NAME [OPTIONS...] - run hedge-client with --out $T_DIR/NAME; its
# stdout goes to $T_DIR/NAME.out, stderr to $T_DIR/NAME.err; fails the test
# when it exits non-zero.
t_client() {
	local name=$1
	shift
	if ! "$HEDGE_CLIENT" --quiet --out "$T_DIR/$name" "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err"; then
		cat "$T_DIR/$name.err" >&2
		fail "hedge-client $* exited non-zero"
	fi
	cat "$T_DIR/$name.out" >&2
}

# t_param NAME KEY - a value from NAME/params.txt.
t_param() { sed -n "s/^$2=//p" "$T_DIR/$1/params.txt"; }

# t_summary NAME LABEL COLUMN - a column (count,min,p50,p90,p95,p99,p99.9,
# max,mean; ns) of row LABEL of NAME/summary.csv.
t_summary() {
	awk -F, -v label="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
		$1 == label { print $(idx[col]); exit }' "$T_DIR/$1/summary.csv"
}

# t_ms NS - nanoseconds as milliseconds (3 decimals).
t_ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1e6 }'; }

# t_check DESCRIPTION AWK-EXPRESSION - fail unless the expression is true.
t_check() {
	if awk "BEGIN { exit !($2) }"; then
		info "ok: $1"
	else
		fail "$1 ($2)"
	fi
}
