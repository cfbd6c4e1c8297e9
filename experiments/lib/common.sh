# shellcheck shell=bash
# common.sh - messages and the progress line of run_all.sh.

ra_log() { echo "run_all.sh: $*" >&2; }
ra_die() { echo "run_all.sh: error: $*" >&2; exit 1; }

# ra_fmt_secs S - "1m05s" style.
ra_fmt_secs() {
  local s=${1%.*}
  [ -n "$s" ] || s=0
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# ra_progress DONE_EST TOTAL_EST LABEL - on a terminal one rewritten line with
# the ETA (elapsed scaled by the estimated work left); otherwise one line per
# call so logs show what ran.
ra_progress() {
  local done=$1 total=$2 label=$3 now elapsed eta pct
  now=$(date +%s)
  elapsed=$((now - RA_START))
  pct=$(awk -v d="$done" -v t="$total" 'BEGIN { printf "%d", (t > 0) ? 100 * d / t : 0 }')
  eta=$(awk -v d="$done" -v t="$total" -v e="$elapsed" 'BEGIN { printf "%d", (d > 0) ? e * (t - d) / d : t }')
  if [ -t 2 ]; then
    printf '\r\033[K[%3d%%] %s elapsed, ETA %s  %s' "$pct" "$(ra_fmt_secs "$elapsed")" \
      "$(ra_fmt_secs "$eta")" "$label" >&2
  else
    printf '[%3d%%] %s elapsed, ETA %s  %s\n' "$pct" "$(ra_fmt_secs "$elapsed")" \
      "$(ra_fmt_secs "$eta")" "$label" >&2
  fi
}

# ra_progress_end - finish the terminal line.
ra_progress_end() { [ -t 2 ] && printf '\n' >&2; return 0; }
