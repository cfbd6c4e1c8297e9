/* request: what hedge-client remembers about each request it sends. */
#pragma once
#include <stdint.h>

enum req_state {
	REQ_UNSENT = 0,
	REQ_INFLIGHT,
	REQ_ANSWERED,
	REQ_TIMEDOUT,
};

enum req_copy { REQ_COPY_PRIMARY = 0, REQ_COPY_HEDGE = 1 };

struct req {
	uint64_t intended_ns;    /* CLOCK_MONOTONIC */
	uint64_t actual_ns;      /* primary copy left (send() returned) */
	uint64_t hedge_ns;       /* hedge copy left; 0 if none */
	uint64_t reply_ns;       /* first valid reply read; 0 if none */
	uint8_t state;           /* enum req_state */
	uint8_t hedge_sent;
	uint8_t winner;          /* enum req_copy of the first reply */
	uint8_t duplicate_seen;  /* another valid reply came after the answer */
};
