#!/usr/bin/env bash
# run_tests.sh - the README's test command: bootstrap, configure, build, and run
# every meson test suite (unit, bpf, server, fuzz, client, hedger, lab, vm, hosts,
# experiments, paper, regression).
# Extra arguments go to `meson test` (e.g. --suite unit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/bootstrap.sh
build=${BUILD_DIR:-build}
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" -Dwerror=true
else
  meson setup "$build" -Dwerror=true
fi
meson compile -C "$build"
# A test that failed while the machine stalled runs again (tests/stall_retry.c).
build_abs=$(cd "$build" && pwd)
# meson names its logs after the wrapper: meson-logs/testlog-stall-retry.*
meson test -C "$build" --print-errorlogs --wrapper "$build_abs/tests/stall-retry" "$@"
