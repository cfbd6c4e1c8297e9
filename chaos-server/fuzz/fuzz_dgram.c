/* libFuzzer target for the datagram handling path: classification, fault
 * schedule and replay memory fed arbitrary bytes and arbitrary clock steps.
 * Input: byte 0 picks the configuration, bytes 1-2 the clock step (us), the
 * rest is the datagram. Invariants violated -> abort(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"
#include "timeutil.h"

#define REPLAY_CAP 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replay *replay;
	static uint64_t now;
	struct fault_cfg cfg;
	struct dgram_decision d;
	size_t max_size;
	uint8_t sel;

	if (size < 3)
		return 0;
	if (!replay && replay_new(REPLAY_CAP, 50 * NSEC_PER_MSEC, false, &replay))
		abort();
	sel = data[0];
	now += ((uint64_t)data[1] | (uint64_t)data[2] << 8) * NSEC_PER_USEC;
	data += 3;
	size -= 3;

	fault_cfg_default(&cfg);
	cfg.pattern = sel & 1 ? FAULT_PATTERN_HASH : FAULT_PATTERN_MODULO;
	cfg.dist = (enum fault_stall_dist)((sel >> 1) % 3);
	cfg.rate = sel & 8 ? 0.5 : 0.02;
	cfg.replica = (sel >> 4) & 3;
	cfg.fast_ns = sel & 0x40 ? 0 : 2 * NSEC_PER_MSEC;
	max_size = sel & 0x80 ? 16 : DGRAM_MAX_SIZE;

	dgram_decide(&cfg, replay, size ? data : NULL, size, false, max_size, now, &d);
	switch (d.verdict) {
	case DGRAM_REPLY:
		if (size < DGRAM_ID_LEN || size > max_size)
			abort();
		if (d.id != ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
			     (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24))
			abort();
		if (d.stalled ? d.delay_ns > cfg.stall_max_ns : d.delay_ns != cfg.fast_ns)
			abort();
		if (d.stalled && d.replay_hit)
			abort();
		if ((d.stalled || d.replay_hit) && !fault_is_bad(&cfg, d.id))
			abort();
		break;
	case DGRAM_DROP_SHORT:
		if (size >= DGRAM_ID_LEN)
			abort();
		break;
	case DGRAM_DROP_OVERSIZE:
		if (size <= max_size)
			abort();
		break;
	default:
		abort();
	}
	if (replay_count(replay, now) > REPLAY_CAP)
		abort();
	return 0;
}
