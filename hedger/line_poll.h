/* line_poll.h: --line-poll, the loader's side. The poll packet goes round
 * the line's receive queue on the line CPU (hedger.bpf.c, line_poll_round)
 * while the heartbeat this side writes is fresh. */
#pragma once

#include <stdint.h>

#include "hedger.h"

struct line_poll {
	volatile struct hedger_line_poll *shared;	/* the "line_poll" map, mmapped */
	size_t shared_len;	/* the mapping's length */
	int a_ifindex;		/* the line's a end: the packet is sent there */
	uint64_t last_rounds;	/* rounds seen at the last check */
	uint64_t next_check_ns;
	unsigned restarts;	/* packets sent after the first (one was lost) */
};

/* line_poll_start - beat, then send the poll packet into the line's a end
 * (it crosses to b, whose receive queue RPS steers to the line CPU). 0 or
 * -errno after one error line; line_poll_stop undoes a partial start. */
int line_poll_start(struct line_poll *lp, int map_fd, int a_ifindex);
/* line_poll_beat - renew the heartbeat; every HEDGER_LINE_POLL_STALE_NS / 2
 * check that the packet still goes round and send a new one if it was lost
 * (a full backlog drops it too). 1 when it sent a new one (lp->restarts
 * counts them), 0, or -errno. */
int line_poll_beat(struct line_poll *lp);
/* line_poll_stop - end the loop at its next round and unmap. */
void line_poll_stop(struct line_poll *lp);
