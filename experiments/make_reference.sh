#!/usr/bin/env bash
# make_reference.sh - make a finished run the committed reference: copy it
# without its raw per-request data to results/reference/, redraw its figures
# and regenerate the paper's numbers (paper/generated/) from it.
#
# Usage: experiments/make_reference.sh RESULTS_DIR
# Example: experiments/make_reference.sh results/20261122T001813Z-vm
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "make_reference.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: make_reference.sh RESULTS_DIR"
run=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"
[ -f "$run/summary.csv" ] && [ -f "$run/meta" ] || die "$run is not a summarized run"
grep -q '^status=complete' "$run/meta" || die "$run did not complete ($(grep '^status=' "$run/meta"))"
[ "$run" != "$root/results/reference" ] || die "$run is the reference already"

tmp=$(mktemp -d "$root/results/.reference.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -a "$run/." "$tmp/"
rm -rf "$tmp/raw"
echo "source_run=$(basename "$run")" >> "$tmp/meta"
"$root/plots/make_figures.sh" "$tmp" >/dev/null
rm -rf "$root/results/reference"
mv "$tmp" "$root/results/reference"
chmod 755 "$root/results/reference"
trap - EXIT
"$root/paper/generate.sh" "$root/results/reference"
echo "make_reference.sh: results/reference is $(basename "$run") ($(du -sh "$root/results/reference" | cut -f1)), paper/generated updated"
