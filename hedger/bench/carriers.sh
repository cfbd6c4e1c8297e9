#!/usr/bin/env bash
# hedger/bench/carriers.sh [BUILD_DIR] - a clone per request (--carriers
# off) against carriers (the default), on the default release grid,
# alternated (arms.sh does the work; ROUNDS, N, KEEPAWAKE as there).
#   default: E3's shape (client, server and the delay line on any CPU);
#   LINE=1:  E3L's shape (client and server on CPU 0, the line on CPU 1,
#            with and without --line-poll).
# The rescuer's runs per request and the splitter's ns/run show the work each
# design leaves on the serving CPU. Writes
# results/bench/carriers[-line]-<date>-keepawake<0/1>.txt.
if [ "${LINE:-0}" = 1 ]; then
	NAME=carriers-line PIN=0 ARMS="clones=--backend htb --line-cpu 1 --carriers off;carriers=--backend htb --line-cpu 1;pollclones=--backend htb --line-cpu 1 --line-poll --carriers off;pollcarriers=--backend htb --line-cpu 1 --line-poll" \
		exec "$(dirname "$0")/arms.sh" "$@"
fi
NAME=carriers ARMS="clones=--backend htb --carriers off;carriers=--backend htb" \
	exec "$(dirname "$0")/arms.sh" "$@"
