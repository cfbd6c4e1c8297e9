/* dgram: classification of one received datagram and the reply decision.
 * Wire format: a request is a UDP datagram of at least 4 bytes whose first 4
 * bytes are the request id, a little-endian u32; the reply is the payload
 * echoed unchanged. No io_uring here, so it is unit-tested and fuzzed.
 * Public functions are prefixed dgram_. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault.h"
#include "replay.h"

#define DGRAM_ID_LEN     4
#define DGRAM_MAX_SIZE   65535U

enum dgram_verdict {
	DGRAM_REPLY = 0,        /* echo after decision.delay_ns */
	DGRAM_DROP_SHORT,       /* fewer than 4 bytes (includes empty) */
	DGRAM_DROP_OVERSIZE,    /* longer than the configured maximum (or truncated) */
};

struct dgram_decision {
	enum dgram_verdict verdict;
	uint32_t id;
	uint64_t delay_ns;
	bool stalled;           /* first sight of a bad id */
	bool replay_hit;        /* a bad id seen again within the TTL */
};

/* dgram_classify - check @len (the datagram's full length; @truncated when the
 * receive buffer cut it) against [4, @max_size] and read the id. */
enum dgram_verdict dgram_classify(const void *buf, size_t len, bool truncated,
				  size_t max_size, uint32_t *id);

/* dgram_decide - classify, then apply the fault schedule and replay memory at
 * @now_ns: stall (first sight of a bad id), fast path otherwise. */
void dgram_decide(const struct fault_cfg *cfg, struct replay *replay, const void *buf,
		  size_t len, bool truncated, size_t max_size, uint64_t now_ns,
		  struct dgram_decision *out);

const char *dgram_verdict_name(enum dgram_verdict v);
