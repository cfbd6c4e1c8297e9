/* endpoints_add.h: filling the "endpoints" map (endpoints.h) from user
 * space: the loader, and the BPF tests. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <bpf/bpf.h>

#include "hedger.h"

/* endpoint_first_slot - where the probe sequence of @e starts. */
static inline uint32_t endpoint_first_slot(const struct hedger_endpoint *e)
{
	uint32_t w[4];

	memcpy(w, e->addr.a, sizeof(w));
	return hedger_ep_hash(w[0], w[1], w[2], w[3], e->port, e->family);
}

static inline int endpoint_same(const struct hedger_endpoint *a, const struct hedger_endpoint *b)
{
	return !memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a)) && a->port == b->port &&
	       a->family == b->family;
}

/* endpoints_add - put @e (kind, service and slot set; pad 0) in the first
 * free slot of its probe sequence. 0, -EEXIST when its address:port is there
 * already (the entry there stays), -ENOSPC when all HEDGER_EP_PROBES slots
 * of its sequence are taken, or another -errno. */
static inline int endpoints_add(int map_fd, const struct hedger_endpoint *e)
{
	uint32_t first = endpoint_first_slot(e);

	for (uint32_t i = 0; i < HEDGER_EP_PROBES; i++) {
		uint32_t k = (first + i) & (HEDGER_EP_SLOTS - 1);
		struct hedger_endpoint cur;

		if (bpf_map_lookup_elem(map_fd, &k, &cur))
			return -errno;
		if (cur.kind == HEDGER_EP_EMPTY)
			return bpf_map_update_elem(map_fd, &k, e, BPF_ANY) ? -errno : 0;
		if (endpoint_same(&cur, e))
			return -EEXIST;
	}
	return -ENOSPC;
}

/* endpoint_make - an endpoint of @kind: @family (4 or 6), address bytes
 * @addr (4 or 16 of them), @port_net in network order. */
static inline struct hedger_endpoint endpoint_make(uint8_t family, const void *addr,
						   uint16_t port_net, uint8_t kind,
						   uint32_t service, uint32_t slot)
{
	struct hedger_endpoint e;

	memset(&e, 0, sizeof(e));
	memcpy(e.addr.a, addr, family == 4 ? 4 : 16);
	e.port = port_net;
	e.family = family;
	e.kind = kind;
	e.service = service;
	e.slot = slot;
	return e;
}
