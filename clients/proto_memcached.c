/* proto_memcached: hedge-client's memcached UDP side - "get" of known keys,
 * responses reassembled from their datagrams by request id, sequence number
 * and count, then matched by request id and key. */
#include "proto_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proto_mc_init(struct proto *p)
{
	char key[MCW_MAX_KEY + 32];

	/* The longest key of the run must be valid. */
	if (!p->p.key_prefix)
		return -EINVAL;
	snprintf(key, sizeof(key), "%s%llu", p->p.key_prefix, (unsigned long long)(p->p.keys - 1));
	if (!mcw_key_valid(key))
		return -EINVAL;
	p->reasm = calloc(2 * PROTO_MC_SLOTS, sizeof(*p->reasm));
	return p->reasm ? 0 : -ENOMEM;
}

static void reasm_reset(struct mc_reasm *m)
{
	for (unsigned int i = 0; i < MCW_MAX_DGRAMS; i++)
		free(m->frag[i]);
	memset(m, 0, sizeof(*m));
}

void proto_mc_free(struct proto *p)
{
	if (!p->reasm)
		return;
	for (unsigned int i = 0; i < 2 * PROTO_MC_SLOTS; i++)
		reasm_reset(&p->reasm[i]);
	free(p->reasm);
	p->reasm = NULL;
}

void proto_mc_key(const struct proto *p, uint64_t index, char *out)
{
	snprintf(out, MCW_MAX_KEY + 1, "%s%llu", p->p.key_prefix,
		 (unsigned long long)(index % p->p.keys));
}

int proto_mc_encode(struct proto *p, uint64_t index, uint8_t *buf, size_t cap)
{
	char key[MCW_MAX_KEY + 1];

	/* Request ids count up, as memcached clients number their requests. */
	p->wire_id[index] = (uint16_t)(p->p.first_id + index);
	proto_mc_key(p, index, key);
	return mcw_encode_get(buf, cap, p->wire_id[index], key);
}

static enum proto_rx check_text(struct proto *p, uint64_t index, const uint8_t *text, size_t len,
				struct proto_reply *rx)
{
	char key[MCW_MAX_KEY + 1];
	bool hit;

	proto_mc_key(p, index, key);
	if (mcw_check_get_response(text, len, key, &hit)) {
		p->c.mismatched++;
		return PROTO_RX_FOREIGN;
	}
	rx->index = index;
	rx->error = !hit;
	return PROTO_RX_REPLY;
}

/* All datagrams are in: the text in sequence order, checked. */
static enum proto_rx reasm_complete(struct proto *p, struct mc_reasm *m, struct proto_reply *rx)
{
	size_t total = 0, pos = 0;
	enum proto_rx r;
	uint8_t *text;

	for (unsigned int i = 0; i < m->count; i++)
		total += m->frag_len[i];
	text = malloc(total ? total : 1);
	if (!text) {
		reasm_reset(m);
		p->c.dropped_partials++;
		return PROTO_RX_FOREIGN;
	}
	for (unsigned int i = 0; i < m->count; i++) {
		memcpy(text + pos, m->frag[i], m->frag_len[i]);
		pos += m->frag_len[i];
	}
	r = check_text(p, m->index, text, total, rx);
	if (r == PROTO_RX_REPLY)
		p->c.multi_replies++;
	free(text);
	reasm_reset(m);
	return r;
}

enum proto_rx proto_mc_receive(struct proto *p, const uint8_t *buf, size_t len, unsigned int sock,
			       struct proto_reply *rx)
{
	struct mcw_frame f;
	struct mc_reasm *m;
	uint64_t index;
	size_t plen;

	if (mcw_parse_frame(buf, len, &f) || !p->owner[f.request_id])
		return PROTO_RX_FOREIGN;
	index = p->owner[f.request_id] - 1;
	buf += MCW_FRAME_SIZE;
	plen = len - MCW_FRAME_SIZE;
	if (f.count == 1)
		return check_text(p, index, buf, plen, rx);

	m = &p->reasm[(sock ? PROTO_MC_SLOTS : 0) + f.request_id % PROTO_MC_SLOTS];
	if (m->used && (m->request_id != f.request_id || m->index != index || m->count != f.count)) {
		/* Another response needs the slot: this one is given up. */
		reasm_reset(m);
		p->c.dropped_partials++;
	}
	if (!m->used) {
		m->used = true;
		m->request_id = f.request_id;
		m->index = index;
		m->count = f.count;
	}
	if (m->seen & (1ULL << f.seq)) {
		p->c.dup_datagrams++;
		return PROTO_RX_PARTIAL;
	}
	m->frag[f.seq] = malloc(plen ? plen : 1);
	if (!m->frag[f.seq]) {
		reasm_reset(m);
		p->c.dropped_partials++;
		return PROTO_RX_FOREIGN;
	}
	memcpy(m->frag[f.seq], buf, plen);
	m->frag_len[f.seq] = (uint16_t)plen;
	m->seen |= 1ULL << f.seq;
	if (m->seen != (f.count == 64 ? ~0ULL : (1ULL << f.count) - 1))
		return PROTO_RX_PARTIAL;
	return reasm_complete(p, m, rx);
}
