#!/usr/bin/env bash
# hedger/bench/release_grid.sh [BUILD_DIR] - E3's shape (client and server
# on any CPU, the delay line too): baseline, htb, and htb with
# --release-grid 50us, 100us and 250us, alternated (arms.sh does the work;
# ROUNDS, N, KEEPAWAKE as there). Timer interrupts per request show how many
# releases share a watchdog expiry. Writes results/bench/release-grid-<date>-keepawake<0/1>.txt.
NAME=release-grid ARMS="htb=--backend htb;grid50=--backend htb --release-grid 50us;grid100=--backend htb --release-grid 100us;grid250=--backend htb --release-grid 250us" \
	exec "$(dirname "$0")/arms.sh" "$@"
