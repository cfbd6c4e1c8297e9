#include "wire.h"

#include <errno.h>
#include <string.h>

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void wire_encode(void *buf, size_t size, uint32_t id, uint32_t tag, uint8_t copy)
{
	uint8_t *p = buf;

	memset(p, 0, size);
	put_le32(p, id);
	put_le32(p + 4, tag);
	p[8] = copy;
}

int wire_decode(const void *buf, size_t len, uint32_t tag, uint32_t *id, uint8_t *copy)
{
	const uint8_t *p = buf;

	if (len < WIRE_HEADER_SIZE || get_le32(p + 4) != tag || p[8] > REQ_COPY_HEDGE)
		return -EBADMSG;
	*id = get_le32(p);
	*copy = p[8];
	return 0;
}

enum wire_verdict wire_classify(const struct req *r, uint8_t copy)
{
	if (!r || copy > REQ_COPY_HEDGE)
		return WIRE_FOREIGN;
	/* A hedge copy that was never sent cannot have been answered. */
	if (copy == REQ_COPY_HEDGE && !r->hedge_sent)
		return WIRE_FOREIGN;
	switch (r->state) {
	case REQ_INFLIGHT:
		return WIRE_ANSWER;
	case REQ_ANSWERED:
		return WIRE_DUPLICATE;
	case REQ_TIMEDOUT:
		return WIRE_LATE;
	default:
		return WIRE_FOREIGN;
	}
}

const char *wire_verdict_name(enum wire_verdict v)
{
	static const char *const names[] = { "answer", "duplicate", "late", "foreign" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
