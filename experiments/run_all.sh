#!/usr/bin/env bash
# run_all.sh - the testbed's main job: bootstrap, build, run the experiment
# matrix in a namespaced lab, write results/, figures and the summary.
#
# Usage: experiments/run_all.sh [OPTIONS]
#   --full              the paper profile: 5000 requests, 200 warm-up, 5 trials
#                       per arm (default: quick, 2000/100/3, about 5 minutes)
#   --experiments LIST  comma-separated subset of E1,...,E8, E1lo, E3L (default: all;
#                       "gate" is the CI regression gate's baseline + kernel,
#                       "gate-kernel" its kernel arm alone, "gate-apart" E3's
#                       baseline with client and server on different CPUs)
#   --trials N          trials per arm (overrides the profile)
#   --requests N        measured requests per trial (overrides the profile)
#   --warmup N          warm-up requests per trial (overrides the profile)
#   --backend B         hedger delay-line backend for E1-E3, E5 (default: auto)
#   --htb-hold H        how htb holds a clone at a fixed delay: size-table
#                       (default) or dummies (hedger attach --htb-dummies)
#   --release-grid D    hedger --release-grid D (0: off; default: the hedger's,
#                       T/20 for htb: dense requests' releases on a grid; meta)
#   --carriers on|off   hedger --carriers (default: the hedger's, on wherever
#                       the release grid is; meta)
#   --htb-finish D      hedger --htb-finish D (htb releases D early, BPF holds
#                       a hedge still due until its planned release; meta)
#   --line-shape S      hedger --line-shape S (veth or macvlan: where htb's
#                       releases meet the rescuer; meta)
#   --keep-awake        keep CPUs out of idle during the run (lab.sh
#                       --keep-awake; recorded in meta)
#   --line-poll         E3L's kernel arm with hedger --line-poll (the line's
#                       CPU polls its receive queue: no IPI per clone, that
#                       CPU busy; recorded in meta)
#   --inventory FILE    run on the hosts of an Ansible inventory over ssh
#                       instead of namespaces (deploy/README.md)
#   --out DIR           results directory (must not exist; default
#                       results/<UTC time>-<short host>)
#   --build-dir DIR     meson build directory (default: $BUILD_DIR or build)
#   --no-bootstrap      do not run scripts/bootstrap.sh
#   --no-build          do not run meson (binaries must be in the build dir)
#   --no-figures        do not draw the figures
#   -h, --help          this text
#
# Experiments: E1 reproduction (baseline, app-hedged, kernel-hedged); E1lo the
# same over lo (client and server on one host, the reference's shape); E2 the
# hedged arms under client CPU stress and GC pauses; E3 overhead without
# faults; E3L the same with client and server on CPU 0 and the hedger's
# delay line on CPU 1 (hedger --line-cpu; needs 2 CPUs and htb); E4 the
# delay-line backends this kernel offers; E5 hedge delay sweep;
# E6 DNS (Knot DNS) and E7 memcached, real servers paused with SIGSTOP;
# E8 packet loss (1% and 5%, Bernoulli and bursty, on requests and replies).
# Exit status: 0, 2 on bad usage, 1 on a setup failure, 3 when some trials failed
# (each is listed; the others ran), 130 when interrupted.
#
# Examples:
#   experiments/run_all.sh
#   experiments/run_all.sh --full --keep-awake
#   experiments/run_all.sh --experiments E1 --trials 2 --requests 500
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CALLER_PWD=$PWD
cd "$ROOT"
for f in common csv matrix meta trial post donoharm realproto e8 e1lo; do
  # shellcheck source=/dev/null
  . "$ROOT/experiments/lib/$f.sh"
done

PROFILE=quick
EXPERIMENTS=""
BACKEND=auto
HTB_HOLD=size-table   # --htb-hold; the hedger's option for it: HEDGER_HOLD_OPTS
KEEP_AWAKE=0
E3L_LINE_POLL=0
RELEASE_GRID=""      # --release-grid: added to HEDGER_HOLD_OPTS
CARRIERS=""          # --carriers: added to HEDGER_HOLD_OPTS
HTB_FINISH=""        # --htb-finish: added to HEDGER_HOLD_OPTS
LINE_SHAPE=""        # --line-shape: added to HEDGER_HOLD_OPTS
OUT=""
BUILD=${BUILD_DIR:-build}
DO_BOOTSTRAP=1
DO_BUILD=1
DO_FIGURES=1
RESAMPLES=2000
PORT=9999
o_trials="" o_requests="" o_warmup=""
INVENTORY=""   # --inventory: the hosts of an Ansible inventory instead of namespaces (lib/hosts.sh)

usage() { sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; }
usage_error() { echo "run_all.sh: error: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value (try --help)"; }
is_count() { [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || usage_error "invalid $1 '$2': expected a positive integer"; }
while [ $# -gt 0 ]; do
  case $1 in
    --full) PROFILE=full ;;
    --experiments) need "$@"; EXPERIMENTS=${2//,/ }; shift ;;
    --trials) need "$@"; is_count "$1" "$2"; o_trials=$2; shift ;;
    --requests) need "$@"; is_count "$1" "$2"; o_requests=$2; shift ;;
    --warmup) need "$@"; [[ $2 =~ ^[0-9]{1,7}$ ]] || usage_error "invalid --warmup '$2'"; o_warmup=$2; shift ;;
    --backend) need "$@"; [[ $2 =~ ^(auto|netem|edt|htb|recirc)$ ]] || usage_error "invalid --backend '$2': auto, netem, edt, htb or recirc"; BACKEND=$2; shift ;;
    --htb-hold) need "$@"; [[ $2 =~ ^(size-table|dummies)$ ]] || usage_error "invalid --htb-hold '$2': size-table or dummies"; HTB_HOLD=$2; shift ;;
    --carriers) need "$@"; [[ $2 =~ ^(on|off)$ ]] || usage_error "invalid --carriers '$2': on or off"; CARRIERS=$2; shift ;;
    --line-shape) need "$@"; [[ $2 =~ ^(veth|macvlan)$ ]] || usage_error "invalid --line-shape '$2': veth or macvlan"; LINE_SHAPE=$2; shift ;;
    --htb-finish) need "$@"; [[ $2 =~ ^[0-9]+(us|ms)$ ]] || usage_error "invalid --htb-finish '$2': a duration, e.g. 200us"; HTB_FINISH=$2; shift ;;
    --release-grid) need "$@"; [[ $2 =~ ^(0|[0-9]+(us|ms))$ ]] || usage_error "invalid --release-grid '$2': 0 (off) or a duration, e.g. 100us"; RELEASE_GRID=$2; shift ;;
    --keep-awake) KEEP_AWAKE=1 ;;
    --line-poll) E3L_LINE_POLL=1 ;;
    --inventory) need "$@"; [ -f "$2" ] || usage_error "--inventory $2: no such file"; INVENTORY=$(readlink -f "$2"); shift ;;
    --out) need "$@"; OUT=$2; [[ $OUT == /* ]] || OUT=$CALLER_PWD/$OUT; shift ;;
    --build-dir) need "$@"; BUILD=$2; [[ $BUILD == /* ]] || BUILD=$CALLER_PWD/$BUILD; shift ;;
    --no-bootstrap) DO_BOOTSTRAP=0 ;;
    --no-build) DO_BUILD=0 ;;
    --no-figures) DO_FIGURES=0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

ra_profile "$PROFILE"
HEDGER_HOLD_OPTS=""
[ "$HTB_HOLD" = dummies ] && HEDGER_HOLD_OPTS=--htb-dummies
[ -z "$RELEASE_GRID" ] || HEDGER_HOLD_OPTS="$HEDGER_HOLD_OPTS --release-grid $RELEASE_GRID"
[ -z "$CARRIERS" ] || HEDGER_HOLD_OPTS="$HEDGER_HOLD_OPTS --carriers $CARRIERS"
[ -z "$HTB_FINISH" ] || HEDGER_HOLD_OPTS="$HEDGER_HOLD_OPTS --htb-finish $HTB_FINISH"
[ -z "$LINE_SHAPE" ] || HEDGER_HOLD_OPTS="$HEDGER_HOLD_OPTS --line-shape $LINE_SHAPE"
[ -z "$o_trials" ] || { TRIALS=$o_trials; SWEEP_TRIALS=$o_trials; }
[ -z "$o_requests" ] || REQUESTS=$o_requests
[ -z "$o_warmup" ] || WARMUP=$o_warmup
EXPERIMENTS=${EXPERIMENTS:-$ALL_EXPERIMENTS}
for e in $EXPERIMENTS; do
  [[ " $ALL_EXPERIMENTS gate gate-kernel gate-apart " == *" $e "* ]] || usage_error "unknown experiment '$e' (E1, E1lo, E2, E3, E3L, E4 to E8, gate, gate-kernel, gate-apart)"
done
[ "$(id -u)" = 0 ] || ra_die "root is needed for the network-namespace lab"
if [ -n "$OUT" ] && [ -e "$OUT" ]; then
  usage_error "--out $OUT already exists (an earlier run is never overwritten)"
fi

if [ "$DO_BOOTSTRAP" = 1 ]; then ./scripts/bootstrap.sh; fi
if [ "$DO_BUILD" = 1 ]; then
  [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
  meson compile -C "$BUILD" >/dev/null || ra_die "the build failed (meson compile -C $BUILD)"
fi
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || ra_die "no build directory $BUILD"
SUMMARIZE_BIN=$BUILD/experiments/summarize
[ -x "$SUMMARIZE_BIN" ] || ra_die "summarize is not built ($SUMMARIZE_BIN)"
# Everything the run creates (binary copies, the lab) goes on every way out.
LAB_PREFIX=""
INTERRUPTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ra_kill_trial
  rp_cleanup
  ra_timerprobe_stop 2>/dev/null || true
  ra_awake_stop
  [ -z "${BIN_DIR:-}" ] || rm -rf "$BIN_DIR"
  if [ -n "$LAB_PREFIX" ]; then "$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || true; fi
  if [ "$INTERRUPTED" = 1 ]; then
    ra_progress_end
    [ -z "${RUN:-}" ] || ra_meta_set status interrupted
    ra_log "interrupted${RUN:+; partial results in $RUN}"
    exit 130
  fi
  exit "$rc"
}
on_signal() { INTERRUPTED=1; exit 130; }
trap cleanup EXIT
trap on_signal INT TERM

# Run private copies of the binaries, so a rebuild during the run (another
# shell, another developer) cannot pull one away between two trials.
BIN_DIR=$(mktemp -d /tmp/kh-run-bin.XXXXXX)
SERVER_BIN=$BIN_DIR/chaos-server
CLIENT_BIN=$BIN_DIR/hedge-client
HEDGER_BIN=$BIN_DIR/hedger
PROGSTATS_BIN=$BIN_DIR/progstats   # E3's per-program BPF cost (hedger/bench/progstats.c)
TIMERPROBE_BIN=$BIN_DIR/timerprobe  # timer-wake lateness beside the arms (lib/donoharm.sh)
KEEPAWAKE_BIN=$BIN_DIR/cpu-keepawake  # E4's -awake twins
for b in chaos-server/chaos-server clients/hedge-client hedger/hedger hedger/progstats \
    experiments/timerprobe netns-lab/cpu-keepawake; do
  if [ -x "$BUILD/$b" ]; then
    cp "$BUILD/$b" "$BIN_DIR/"
  else
    ra_log "warning: $BUILD/$b is not built; the arms that need it will fail"
  fi
done

# The results directory: a new one, never an earlier run's.
if [ -z "$OUT" ]; then
  base="results/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)"
  OUT=$base
  n=2
  while [ -e "$OUT" ]; do OUT="$base-$n"; n=$((n + 1)); done
fi
mkdir -p "$(dirname "$OUT")"
mkdir "$OUT" || ra_die "cannot create $OUT"
RUN=$(cd "$OUT" && pwd)
MANIFEST=$RUN/manifest.csv
echo "experiment,arm,trial,status,requests_csv,param,hedges_sent,duplicates,total_requests,stalled,backend,cpu_busy_pct,cpu_kernel_pct,replay_hits,slow_requests" > "$MANIFEST"

# Which delay lines this kernel offers (E4), from the hedger's probe.
E4_BACKENDS="htb recirc"
if [ -x "$HEDGER_BIN" ] && "$HEDGER_BIN" probe > "$RUN/hedger-probe.txt" 2>&1; then
  found=$(awk -F': ' '$1 == "available" { gsub(/, */, " ", $2); print $2 }' "$RUN/hedger-probe.txt")
  [ -z "${found// /}" ] || E4_BACKENDS=${found% }
fi
# E3L pins client and server to CPU $E3L_CPU and the delay line (htb) to
# CPU $E3L_LINE_CPU: without both CPUs or htb it cannot run; meta says why.
if [[ " $EXPERIMENTS " == *" E3L "* ]]; then
  e3l_why=""
  taskset -c "$E3L_CPU,$E3L_LINE_CPU" true 2>/dev/null || e3l_why="CPUs $E3L_CPU and $E3L_LINE_CPU are not both available"
  [[ " $E4_BACKENDS " == *" htb "* ]] || e3l_why="no htb delay line on this kernel"
  if [ -n "$e3l_why" ]; then
    ra_log "E3L not run: $e3l_why"
    EXPERIMENTS=$(echo " $EXPERIMENTS " | sed 's/ E3L / /; s/^ *//; s/ *$//')
    E3L_NOTE=$e3l_why
  fi
fi
# gate-apart pins client and server to two different CPUs.
if [[ " $EXPERIMENTS " == *" gate-apart "* ]] && ! taskset -c "$APART_CLIENT_CPU,$APART_SERVER_CPU" true 2>/dev/null; then
  ra_log "gate-apart not run: CPUs $APART_CLIENT_CPU and $APART_SERVER_CPU are not both available"
  EXPERIMENTS=$(echo " $EXPERIMENTS " | sed 's/ gate-apart / /; s/^ *//; s/ *$//')
fi
SERVER_ADDR=198.18.0.2   # rewritten from the lab below; for meta only until then
ra_meta_write
[ -z "${E3L_NOTE:-}" ] || ra_meta_set e3l_note "not run: $E3L_NOTE"

lab_args=(up pair -q --owner-pid $$)
[ "$KEEP_AWAKE" = 0 ] || lab_args+=(--keep-awake)
LAB_RECREATED=0
# lab_up - create the lab and load its KEY=VALUE lines.
lab_up() {
  local env
  env=$("$ROOT/netns-lab/lab.sh" "${lab_args[@]}") || ra_die "lab.sh up pair failed"
  eval "$env"
}
# lab_alive - both namespaces of the lab still exist.
lab_alive() {
  local list
  [ -f "$LAB_STATE" ] || return 1
  list=$(ip netns list)
  grep -q "^$CLIENT_NS\b" <<< "$list" && grep -q "^$SERVER_NS\b" <<< "$list"
}
# lab_ensure - recreate the lab when something outside removed it (seen: a
# concurrent `lab.sh down` without --prefix takes the newest lab); counted in
# meta, at most 3 times per run.
lab_ensure() {
  lab_alive && return 0
  [ "$LAB_RECREATED" -lt 3 ] || ra_die "the lab was removed from outside 3 times; stopping, partial results in $RUN"
  LAB_RECREATED=$((LAB_RECREATED + 1))
  ra_progress_end
  ra_log "the lab $LAB_PREFIX was removed from outside; creating a new one"
  "$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || true
  lab_up
  ra_meta_set lab_recreated "$LAB_RECREATED"
  ra_meta_set lab_prefix "$LAB_PREFIX"
}
[ -z "$INVENTORY" ] || . "$ROOT/experiments/lib/hosts.sh"
lab_up
ra_timerprobe_start
ra_meta_set server_addr "$SERVER_ADDR:$PORT"
ra_meta_set lab_prefix "$LAB_PREFIX"

# The plan: per experiment, trial by trial, every arm once, the order
# rotated each trial so no arm always runs first.
plan=()
total_est=0
for exp in $EXPERIMENTS; do
  [ "$exp" != E1lo ] || continue   # its own lab, after this loop (lib/e1lo.sh)
  mapfile -t arms < <(ra_arms "$exp")
  ntr=$(ra_trials "$exp")
  for ((t = 1; t <= ntr; t++)); do
    for ((k = 0; k < ${#arms[@]}; k++)); do
      arm=${arms[$(((k + t - 1) % ${#arms[@]}))]}
      plan+=("$exp#$t#$arm")
      total_est=$(awk -v a="$total_est" -v b="$(ra_estimate "$arm")" 'BEGIN { print a + b }')
    done
  done
done
ra_log "${#plan[@]} trials (${EXPERIMENTS// /,}, profile $PROFILE), about $(ra_fmt_secs "$total_est"); results in $RUN"

RA_START=$(date +%s)
done_est=0
failures=()
for item in "${plan[@]}"; do
  exp=${item%%#*}; rest=${item#*#}; t=${rest%%#*}; arm=${rest#*#}
  name=${arm%%|*}
  ra_progress "$done_est" "$total_est" "$exp $name trial $t"
  for attempt in 1 2; do
    lab_ensure
    ra_run_trial "$exp" "$arm" "$t" && break
    # A trial cut short by the lab vanishing under it is run again, once.
    # (The teardown kills the processes before it removes the namespaces:
    # give it a moment before looking.)
    if [ "$attempt" = 1 ] && { sleep 2; ! lab_alive || [ ! -f "$LAB_STATE" ]; }; then
      sed -i '$d' "$MANIFEST"
      rm -rf "$RUN/$exp/$name/trial-$t" "$RUN/raw/$exp/$name/trial-$t"
      continue
    fi
    ra_progress_end
    ra_log "FAILED: $exp/$name trial $t: $RA_FAIL_REASON"
    failures+=("$exp/$name trial $t: $RA_FAIL_REASON")
    break
  done
  done_est=$(awk -v a="$done_est" -v b="$(ra_estimate "$arm")" 'BEGIN { print a + b }')
done
ra_progress "$total_est" "$total_est" "done"
ra_timerprobe_stop
ra_progress_end

"$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || ra_log "warning: lab.sh down failed"
LAB_PREFIX=""
e1lo_run_experiments # E1lo: E1 over lo, in a loopback lab of its own
rp_run_experiments   # E6/E7: real DNS and memcached servers, in a replicas lab of their own
e8_run_experiments   # E8: packet loss on emulated links, a pair lab per loss configuration

backend_used=$(ra_csv '$col("backend") != "" && $col("experiment") != "E4" { print $col("backend") }' "$MANIFEST" |
  awk '!s[$0]++' | tr '\n' ' ')
ra_meta_set hedger_backend "${backend_used% }"
ra_meta_set failed_trials "${#failures[@]}"
ra_meta_set duration_s "$(($(date +%s) - RA_START))"

if ra_csv '$col("status") == "ok" { ok = 1 } END { exit !ok }' "$MANIFEST"; then
  "$SUMMARIZE_BIN" --resamples "$RESAMPLES" "$MANIFEST" || ra_die "summarize failed"
  ra_post_e4 || ra_log "warning: the E4 hold table failed"
  ra_post_e3 || ra_log "warning: the E3 BPF statistics table failed"
  ra_post_e3 E3L || ra_log "warning: the E3L BPF statistics table failed"
  rp_post || ra_log "warning: the E6/E7 pause table failed"
  ra_post_e3_tail || ra_log "warning: the E3 tail table failed"
  ra_post_e3_tail E3L || ra_log "warning: the E3L tail table failed"
  ra_post_e1_limit || ra_log "warning: the E1 limit table failed"
  if [ "$DO_FIGURES" = 1 ]; then
    "$ROOT/plots/make_figures.sh" "$RUN" >/dev/null || ra_log "warning: drawing the figures failed"
  fi
  cat "$RUN/summary.md"
  [ ! -f "$RUN/E4/hold.csv" ] || { echo; echo "## E4 hold error (us) and CPU"; tr , "\t" < "$RUN/E4/hold.csv"; }
else
  ra_log "no trial succeeded; nothing to summarize"
fi
ra_meta_set status "$([ ${#failures[@]} = 0 ] && echo complete || echo "complete with failures")"
echo
echo "results: $RUN"
if [ ${#failures[@]} -gt 0 ]; then
  ra_log "${#failures[@]} trial(s) failed:"
  printf '  %s\n' "${failures[@]}" >&2
  exit 3
fi
