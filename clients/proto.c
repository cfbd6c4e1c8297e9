#include "proto_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loadsched.h"
#include "request.h"
#include "wire.h"

static const char *const kind_names[] = { "id", "dns", "memcached" };

const char *proto_kind_name(enum proto_kind kind)
{
	return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "?";
}

int proto_kind_parse(const char *text, enum proto_kind *kind)
{
	for (unsigned int i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!strcmp(text, kind_names[i])) {
			*kind = (enum proto_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

size_t proto_request_bytes(const struct proto_params *p)
{
	switch (p->kind) {
	case PROTO_DNS:
		return DNSW_HEADER_SIZE + DNSW_MAX_NAME + 4;
	case PROTO_MEMCACHED:
		return MCW_FRAME_SIZE + 4 + MCW_MAX_KEY + 2;
	default:
		return p->size;
	}
}

void proto_free(struct proto *p)
{
	if (!p)
		return;
	if (p->p.kind == PROTO_MEMCACHED)
		proto_mc_free(p);
	free(p->wire_id);
	free(p->owner);
	free(p->id_busy);
	free(p->id_ring);
	free(p);
}

int proto_new(const struct proto_params *params, struct proto **out)
{
	struct proto *p;
	int err = 0;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->p = *params;
	if (p->p.kind != PROTO_ID) {
		if (p->p.keys == 0) {
			free(p);
			return -EINVAL;
		}
		p->wire_id = calloc(p->p.total ? p->p.total : 1, sizeof(*p->wire_id));
		p->owner = calloc(PROTO_IDS, sizeof(*p->owner));
		if (!p->wire_id || !p->owner)
			err = -ENOMEM;
	}
	if (!err && p->p.kind == PROTO_DNS)
		err = proto_dns_init(p);
	if (!err && p->p.kind == PROTO_MEMCACHED)
		err = proto_mc_init(p);
	if (err) {
		proto_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int proto_encode(struct proto *p, uint64_t index, uint8_t copy, uint8_t *buf, size_t cap)
{
	int n;

	switch (p->p.kind) {
	case PROTO_DNS:
		n = proto_dns_encode(p, index, copy == REQ_COPY_PRIMARY, buf, cap);
		break;
	case PROTO_MEMCACHED:
		n = proto_mc_encode(p, index, buf, cap);
		break;
	default:
		if (cap < p->p.size || p->p.size < WIRE_HEADER_SIZE)
			return -ENOSPC;
		wire_encode(buf, p->p.size, lsched_id(p->p.first_id, index), p->p.tag, copy);
		return (int)p->p.size;
	}
	/* The primary copy picks the wire id; the hedge repeats it. */
	if (n > 0 && copy == REQ_COPY_PRIMARY)
		p->owner[p->wire_id[index]] = (uint32_t)(index + 1);
	return n;
}

static enum proto_rx id_receive(struct proto *p, const uint8_t *buf, size_t len,
				struct proto_reply *rx)
{
	uint32_t id;
	uint8_t copy;

	if (wire_decode(buf, len, p->p.tag, &id, &copy) ||
	    lsched_index(p->p.first_id, p->p.total, id, &rx->index))
		return PROTO_RX_FOREIGN;
	rx->copy = copy;
	rx->error = false;
	return PROTO_RX_REPLY;
}

enum proto_rx proto_receive(struct proto *p, const uint8_t *buf, size_t len, unsigned int sock,
			    struct proto_reply *rx)
{
	enum proto_rx r;

	memset(rx, 0, sizeof(*rx));
	switch (p->p.kind) {
	case PROTO_DNS:
		r = proto_dns_receive(p, buf, len, rx);
		break;
	case PROTO_MEMCACHED:
		r = proto_mc_receive(p, buf, len, sock, rx);
		break;
	default:
		return id_receive(p, buf, len, rx);
	}
	/* Same request on both sockets: the socket tells the copies apart. */
	if (r == PROTO_RX_REPLY) {
		rx->copy = sock ? REQ_COPY_HEDGE : REQ_COPY_PRIMARY;
		if (rx->error)
			p->c.error_replies++;
	}
	return r;
}

void proto_get_counters(const struct proto *p, struct proto_counters *c)
{
	*c = p->c;
	/* Reassemblies still open at the end were never finished either. */
	for (unsigned int i = 0; p->reasm && i < 2 * PROTO_MC_SLOTS; i++)
		c->dropped_partials += p->reasm[i].used;
}
