#!/usr/bin/env bash
# run_all.sh - the testbed's main job: bootstrap, build, run the experiment
# matrix in a namespaced lab, write results/, figures and the paper tables.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/bootstrap.sh
build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
meson compile -C "$build"
echo "run_all.sh: the experiment matrix is not built yet"
