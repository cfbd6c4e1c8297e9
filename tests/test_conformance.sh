#!/usr/bin/env bash
# test_conformance.sh - interval logs written by our C histogram library are
# read by the reference implementation hdr-histogram-js (same counts, min,
# max, p50/p99/p99.9 within one bucket, same .hgrm), and logs written by
# hdr-histogram-js are read by the C library.
# usage: test_conformance.sh CONFORMANCE_PEER CONFORMANCE_JS NODE_MODULES_DIR
set -euo pipefail
peer=$1 script=$2 modules=$3
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null 2>&1 || skip "node is not installed (scripts/bootstrap.sh installs nodejs)"
[ -f "$modules/hdr-histogram-js/package.json" ] ||
  fail "hdr-histogram-js is missing from $modules: run scripts/bootstrap.sh"
work_dir
work=$T_WORK

"$peer" write "$work/c.hlog" "$work/c-expected.json" "$work/c.hgrm"
node "$script" "$modules" "$work/c.hlog" "$work/c-expected.json" "$work/c.hgrm" \
  "$work/js.hlog" "$work/js-expected.txt"
"$peer" check "$work/js.hlog" "$work/js-expected.txt"
