/* engine: hedge-client's single-threaded event loop (epoll + one timerfd).
 *
 * Requests are sent in index order, so their hedge deadlines (send + hedge
 * delay) and timeouts (send + timeout) are monotone: two cursors over the
 * request array replace a timer heap. The one timerfd is armed (absolute,
 * CLOCK_MONOTONIC) at the earliest of: the next send (open-loop schedule or
 * closed-loop think end), the oldest pending hedge, the oldest timeout.
 * Closed loop is the same loop with one request in flight.
 * Public functions are prefixed eng_. */
#pragma once
#include <stdint.h>

#include "client_opts.h"
#include "ivlog.h"
#include "proto.h"
#include "request.h"

struct eng_stats {
	/* about measured requests only */
	uint64_t answered;
	uint64_t timeouts;
	uint64_t hedges_sent;
	uint64_t hedge_wins;        /* answered by the hedge copy */
	uint64_t error_answers;     /* answered with a protocol error (DNS rcode, memcached miss) */
	uint64_t duplicates;        /* extra valid replies to answered requests */
	/* about every reply, warm-up included */
	uint64_t late;              /* valid reply to a request that had timed out */
	uint64_t foreign;           /* wrong tag or id, unsent request, short datagram */
	uint64_t max_sender_lag_ns; /* open loop: worst lateness for lack of CPU */
	uint64_t rx_drops;          /* replies the kernel dropped: receive buffer full */
	uint64_t start_ns;          /* first send (CLOCK_MONOTONIC) */
	uint64_t measure_start_ns;  /* first measured send */
	uint64_t end_ns;            /* last request finished */
};

struct eng_result {
	struct req *reqs;           /* copts_total() records, index order */
	uint64_t total;
	struct eng_stats stats;
	struct ivlog latency;       /* closed: from actual send; open: from intended */
	struct ivlog uncorrected;   /* open loop only: from actual send */
	struct hist *sched_error;   /* actual - intended send */
	struct proto_counters proto;/* the protocol's own counts (proto.h) */
};

/* eng_run - run the whole load against o->target. Fatal conditions (target
 * unreachable, rate not sustainable) are logged in one line and returned as
 * -errno; the result must be released with eng_result_free either way. */
int eng_run(const struct copts *o, uint32_t tag, struct eng_result *res);
void eng_result_free(struct eng_result *res);
