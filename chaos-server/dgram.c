#include "dgram.h"

#include <string.h>

enum dgram_verdict dgram_classify(const void *buf, size_t len, bool truncated,
				  size_t max_size, uint32_t *id)
{
	const uint8_t *p = buf;

	if (truncated || len > max_size)
		return DGRAM_DROP_OVERSIZE;
	if (len < DGRAM_ID_LEN)
		return DGRAM_DROP_SHORT;
	/* little-endian by definition of the wire format, whatever the host */
	*id = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return DGRAM_REPLY;
}

void dgram_decide(const struct fault_cfg *cfg, struct replay *replay, const void *buf,
		  size_t len, bool truncated, size_t max_size, uint64_t now_ns,
		  struct dgram_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->verdict = dgram_classify(buf, len, truncated, max_size, &out->id);
	if (out->verdict != DGRAM_REPLY)
		return;
	out->delay_ns = cfg->fast_ns;
	if (!fault_is_bad(cfg, out->id))
		return;
	if (replay_seen(replay, out->id, now_ns)) {
		out->replay_hit = true;
		return;
	}
	out->stalled = true;
	out->delay_ns = fault_stall_ns(cfg, out->id);
}

const char *dgram_verdict_name(enum dgram_verdict v)
{
	switch (v) {
	case DGRAM_REPLY: return "reply";
	case DGRAM_DROP_SHORT: return "short";
	case DGRAM_DROP_OVERSIZE: return "oversize";
	}
	return "?";
}
