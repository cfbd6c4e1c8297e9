/* check: the tiny assertion helper of hedge-client's unit tests. A failed
 * CHECK prints the condition and location and marks the test failed (exit 1)
 * but lets the test go on, so one run shows every failure. */
#pragma once
#include <stdio.h>

static int check_failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			check_failures++;                                       \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
		}                                                               \
	} while (0)

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)
