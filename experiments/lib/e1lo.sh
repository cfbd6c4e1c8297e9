# shellcheck shell=bash
# e1lo.sh - E1lo: E1 on the reference system's own shape, client and server
# on one host talking over lo (netns-lab `up loopback`), with the hedger on
# lo. Same arms, schedule and trials as E1; rows in the manifest as
# experiment E1lo, summarized like E1. Runs after the pair lab is removed,
# in a loopback lab of its own.
#
# Needs run_all.sh's ROOT KEEP_AWAKE EXPERIMENTS and its failures array.

# e1lo_run_experiments - run E1lo when it was asked for.
e1lo_run_experiments() {
  [[ " $EXPERIMENTS " == *" E1lo "* ]] || return 0
  local env arms t k arm ntr args=(up loopback -q --owner-pid $$)
  [ "$KEEP_AWAKE" = 0 ] || args+=(--keep-awake)
  mkdir -p "$RUN/E1lo"
  if ! env=$("$ROOT/netns-lab/lab.sh" "${args[@]}" 2>"$RUN/E1lo/lab.err"); then
    failures+=("E1lo: lab.sh up loopback failed: $(tail -n1 "$RUN/E1lo/lab.err")")
    ra_log "FAILED: E1lo: lab.sh up loopback: $(tail -n1 "$RUN/E1lo/lab.err")"
    return 0
  fi
  printf '%s\n' "$env" > "$RUN/E1lo/lab.env"
  eval "$env"
  mapfile -t arms < <(ra_arms E1lo)
  ntr=$(ra_trials E1lo)
  ra_log "E1lo (over lo): ${#arms[@]} arms x $ntr trial(s)"
  for ((t = 1; t <= ntr; t++)); do
    for ((k = 0; k < ${#arms[@]}; k++)); do
      arm=${arms[$(((k + t - 1) % ${#arms[@]}))]}
      ra_run_trial E1lo "$arm" "$t" || {
        ra_log "FAILED: E1lo/${arm%%|*} trial $t: $RA_FAIL_REASON"
        failures+=("E1lo/${arm%%|*} trial $t: $RA_FAIL_REASON")
      }
    done
  done
  "$ROOT/netns-lab/lab.sh" down --prefix "$LAB_PREFIX" -q >/dev/null 2>&1 || ra_log "warning: lab.sh down failed"
  LAB_PREFIX=""
}
