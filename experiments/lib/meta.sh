# shellcheck shell=bash
# meta.sh - the run's meta file: one key=value per line, everything needed to
# know what ran where (machine, kernel, commit, every parameter).

# ra_meta_set KEY VALUE - add or replace one line.
ra_meta_set() {
  local f="$RUN/meta" v=${2//$'\n'/ }
  if grep -q "^$1=" "$f" 2>/dev/null; then
    awk -v k="$1" -v v="$v" 'BEGIN { FS = OFS = "=" } $1 == k { print k "=" v; next } { print }' \
      "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  else
    echo "$1=$v" >> "$f"
  fi
}

# ra_meta_write - the initial meta (status=running).
ra_meta_write() {
  local commit dirty
  commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -qv '^??' && echo yes || echo no)
  {
    echo "run_id=$(basename "$RUN")"
    echo "status=running"
    echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host=$(hostname -s)"
    echo "kernel=$(uname -r)"
    echo "kernel_build=$(uname -v)"
    echo "cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "cpus=$(nproc)"
    echo "git_commit=$commit"
    echo "git_dirty=$dirty"
    echo "profile=$PROFILE"
    echo "experiments=$EXPERIMENTS"
    echo "keep_awake=$([ "$KEEP_AWAKE" = 1 ] && echo yes || echo no)"
    echo "e3l_line_poll=$([ "${E3L_LINE_POLL:-0}" = 1 ] && echo yes || echo no)"
    echo "hedger_backend_requested=$BACKEND"
    echo "hedger_backend=pending"
    echo "htb_hold=${HTB_HOLD:-size-table}"
    echo "release_grid=${RELEASE_GRID:-default}"
    echo "carriers=${CARRIERS:-default}"
    echo "htb_finish=${HTB_FINISH:-0}"
    echo "line_shape=${LINE_SHAPE:-veth}"
    echo "e4_backends=$E4_BACKENDS"
    echo "lab_topology=pair"
    echo "server_addr=$SERVER_ADDR:$PORT"
    echo "requests=$REQUESTS"
    echo "warmup=$WARMUP"
    echo "trials=$TRIALS"
    echo "sweep_trials=$SWEEP_TRIALS"
    echo "sweep_delays_ms=$SWEEP_DELAYS"
    echo "fault_rate=$FAULT_RATE"
    echo "fault_pattern=modulo"
    echo "stall=$STALL"
    echo "fast=$FAST"
    echo "hedge_delay=$DELAY"
    echo "timeout=$TIMEOUT"
    echo "first_id=$FIRST_ID"
    echo "stress_opts=$STRESS_OPTS"
    echo "gc_opts=$GC_OPTS"
    echo "arm_order=interleaved, rotated by one each trial"
    echo "bootstrap_resamples=$RESAMPLES"
    echo "bootstrap_seed=1"
    echo "build_dir=$BUILD"
  } > "$RUN/meta"
}
