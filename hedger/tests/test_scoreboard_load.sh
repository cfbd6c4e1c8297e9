#!/usr/bin/env bash
# test_scoreboard_load.sh - short functional run of bench/scoreboard_load.sh:
# open loop 5000 req/s, 10000 requests through a pair lab, default board.
# Pass when every stalled id was hedged (the server saw a hedge of each), no
# clone was orphaned and the client saw no duplicate.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labenv.sh"
labenv_require
BUILD_DIR=$(cd "${HEDGER_BUILD:?set by meson}/.." && pwd) "$here/../bench/scoreboard_load.sh" 5000 10000 ||
	fail "a stalled id was not hedged, a clone was orphaned or the client saw a duplicate"
echo PASS
