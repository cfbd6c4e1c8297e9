# shellcheck shell=bash
# matrix.sh - the profiles and the experiment matrix of run_all.sh.
#
# An arm is one line "name|mode|hedged|delay|backend|server|client_extra|param":
#   mode          hedge-client --mode (baseline or app)
#   hedged        1: the hedger is attached underneath (the kernel-hedged arm)
#   delay         hedge delay (app timer or hedger delay line)
#   backend       hedger --backend (auto = the hedger's probe picks)
#   server        server profile: faults (stall + fast path), fast0 (faults,
#                 no fast-path delay), clean (no faults, no fast-path delay)
#   client_extra  more hedge-client options (disturbances)
#   param         numeric parameter of the arm for sweeps (E5: delay in ms)

# ra_profile quick|full - the reference parameters; quick shrinks only the
# request count and trials so that the whole matrix stays under 10 minutes.
ra_profile() {
  FAULT_RATE=2%
  STALL=400ms
  FAST=2ms
  DELAY=10ms
  TIMEOUT=1s
  FIRST_ID=0
  case $1 in
    quick) REQUESTS=2000; WARMUP=100; TRIALS=3; SWEEP_TRIALS=2 ;;
    full)  REQUESTS=5000; WARMUP=200; TRIALS=5; SWEEP_TRIALS=5 ;;
    *) ra_die "unknown profile '$1'" ;;
  esac
  SWEEP_DELAYS="1 2 5 10 20"
  STRESS_OPTS="--stress 1 --pin 1"
  GC_OPTS="--gc-pause 20ms@2/s"
  ALL_EXPERIMENTS="E1 E1lo E2 E3 E3L E4 E5 E6 E7 E8"   # E1lo: lib/e1lo.sh; E6/E7: lib/realproto.sh; E8: lib/e8.sh
  E3L_CPU=0        # E3L: the CPU of client and server
  E3L_LINE_CPU=1   # E3L: the CPU of the hedger's delay line (--line-cpu)
  APART_CLIENT_CPU=0   # gate-apart: the client's CPU
  APART_SERVER_CPU=1   # gate-apart: the server's CPU
}

# ra_arms EXPERIMENT - print the arms of an experiment, one per line.
ra_arms() {
  local b=$BACKEND d
  case $1 in
    E1|E1lo)  # reproduction of the reference table (E1lo: over lo)
      echo "baseline|baseline|0|$DELAY|$b|faults||"
      echo "app|app|0|$DELAY|$b|faults||"
      echo "kernel|baseline|1|$DELAY|$b|faults||" ;;
    E2)  # jitter under disturbance of the client
      echo "app-stress|app|0|$DELAY|$b|faults|$STRESS_OPTS|"
      echo "kernel-stress|baseline|1|$DELAY|$b|faults|$STRESS_OPTS|"
      echo "app-gc|app|0|$DELAY|$b|faults|$GC_OPTS|"
      echo "kernel-gc|baseline|1|$DELAY|$b|faults|$GC_OPTS|" ;;
    E3)  # overhead: no faults, no server delay, with and without the hedger
      echo "baseline|baseline|0|$DELAY|$b|clean||"
      echo "kernel|baseline|1|$DELAY|$b|clean||" ;;
    E3L)  # E3 with the release work off the serving CPU: client and server
      # pinned to one CPU, the hedger's delay line on another (hedger
      # --line-cpu, htb only; ra_trial_body adds it); run_all.sh drops E3L
      # on a machine with one CPU or without htb
      echo "baseline|baseline|0|$DELAY|htb|clean|--pin $E3L_CPU|"
      echo "kernel|baseline|1|$DELAY|htb|clean|--pin $E3L_CPU|" ;;
    E4)  # delay-line backends: hedged latency - T is the hold error; the
      # -awake twins run with the CPUs kept out of idle (lib/donoharm.sh)
      for d in $E4_BACKENDS; do
        echo "kernel-$d|baseline|1|$DELAY|$d|fast0||$d"
        [ "$KEEP_AWAKE" = 1 ] || echo "kernel-$d-awake|baseline|1|$DELAY|$d|fast0||$d-awake"
      done ;;
    gate)  # the CI regression gate (experiments/regression/): no app arm
      echo "baseline|baseline|0|$DELAY|$b|faults||"
      echo "kernel|baseline|1|$DELAY|$b|faults||" ;;
    gate-apart)  # the gate's placement reference for E3's P50: E3's baseline
      # with client and server pinned to different CPUs, the placement the
      # scheduler may also choose unpinned (experiments/regression/README.md);
      # run_all.sh drops it on a machine with one CPU
      echo "baseline|baseline|0|$DELAY|$b|clean|--pin $APART_CLIENT_CPU|" ;;
    gate-kernel)  # the gate's kernel arm alone, to measure its variance
      echo "kernel|baseline|1|$DELAY|$b|faults||" ;;
    E5)  # hedge-delay sweep
      for d in $SWEEP_DELAYS; do echo "kernel-${d}ms|baseline|1|${d}ms|$b|faults||$d"; done ;;
    *) return 1 ;;
  esac
}

# ra_trials EXPERIMENT - trials per arm.
ra_trials() { case $1 in E5) echo "$SWEEP_TRIALS" ;; *) echo "$TRIALS" ;; esac; }

# ra_estimate ARM_LINE - rough seconds of one trial, for the ETA only.
ra_estimate() {
  local IFS='|' name mode hedged delay backend server extra param
  read -r name mode hedged delay backend server extra param <<< "$1"
  awk -v n=$((REQUESTS + WARMUP)) -v h="$hedged" -v m="$mode" -v s="$server" '
    BEGIN { fast = (s == "faults") ? 0.0022 : 0.0002
            stall = (s == "clean") ? 0 : 0.02 * n * ((h == 1 || m == "app") ? 0.012 : 0.4)
            printf "%.1f", n * fast + stall + (h == 1 ? 2.5 : 1) }'
}
