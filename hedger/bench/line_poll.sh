#!/usr/bin/env bash
# hedger/bench/line_poll.sh [BUILD_DIR] - E3L's shape: client and server on
# CPU 0, the delay line on CPU 1; baseline, --line-cpu 1, and --line-cpu 1
# --line-poll, alternated (arms.sh does the work; ROUNDS, N, KEEPAWAKE as
# there). Writes results/bench/line-poll-<date>-keepawake<0/1>.txt.
NAME=line-poll PIN=0 ARMS="line=--backend htb --line-cpu 1;poll=--backend htb --line-cpu 1 --line-poll" \
	exec "$(dirname "$0")/arms.sh" "$@"
