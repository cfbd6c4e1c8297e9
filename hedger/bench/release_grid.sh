#!/usr/bin/env bash
# hedger/bench/release_grid.sh [BUILD_DIR] - E3's shape (client and server
# on any CPU, the delay line too): baseline, htb without the release grid
# (--release-grid 0), with 100us and 250us, and the default (T/20 = 500us at
# T = 10ms), alternated (arms.sh does the work; ROUNDS, N, KEEPAWAKE as
# there). Timer interrupts per request show how many releases share a
# watchdog expiry. Writes results/bench/release-grid-<date>-keepawake<0/1>.txt.
NAME=release-grid ARMS="nogrid=--backend htb --release-grid 0;grid100=--backend htb --release-grid 100us;grid250=--backend htb --release-grid 250us;default=--backend htb" \
	exec "$(dirname "$0")/arms.sh" "$@"
