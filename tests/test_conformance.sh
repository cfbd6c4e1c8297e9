#!/usr/bin/env bash
# test_conformance.sh - interval logs written by our C histogram library are
# read by the reference implementation hdr-histogram-js (same counts, min,
# max, p50/p99/p99.9 within one bucket, same .hgrm), and logs written by
# hdr-histogram-js are read by the C library.
# usage: test_conformance.sh CONFORMANCE_PEER CONFORMANCE_JS NODE_MODULES_DIR
set -euo pipefail
peer=$1 script=$2 modules=$3

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (scripts/bootstrap.sh installs nodejs)"
  exit 77
fi
if [ ! -f "$modules/hdr-histogram-js/package.json" ]; then
  echo "FAIL: hdr-histogram-js is missing from $modules: run scripts/bootstrap.sh" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hdr-conformance.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$peer" write "$work/c.hlog" "$work/c-expected.json" "$work/c.hgrm"
node "$script" "$modules" "$work/c.hlog" "$work/c-expected.json" "$work/c.hgrm" \
  "$work/js.hlog" "$work/js-expected.txt"
"$peer" check "$work/js.hlog" "$work/js-expected.txt"
