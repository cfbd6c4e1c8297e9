/* endpoints.h: the "endpoints" map, every address:port the hedger knows (a
 * service's own address and each of its hedge replicas) in one table with
 * open addressing: an endpoint sits in the first free one of the
 * HEDGER_EP_PROBES slots after its hash. The data path reads it with array
 * loads the JIT inlines; a hash map costs a helper call, ~50-70 ns a lookup
 * in splitter_cost. The loader fills it before attach (endpoints_add.h) and
 * never changes it after. Shared by BPF and user space: fixed-width types. */
#pragma once

/* 512 endpoints at most (HEDGER_MAX_SERVICES x HEDGER_MAX_REPLICAS) in 4096
 * slots: runs of taken slots stay short, and a lookup of an address that is
 * no endpoint stops at the first empty slot. */
#define HEDGER_EP_BITS 12
#define HEDGER_EP_SLOTS (1U << HEDGER_EP_BITS)
#define HEDGER_EP_PROBES 8

enum hedger_ep_kind {
	HEDGER_EP_EMPTY = 0,
	HEDGER_EP_SERVICE = 1,	/* requests go to it: the key of a service */
	HEDGER_EP_REPLICA = 2,	/* a hedge replica of service @service */
};

struct hedger_endpoint {
	struct hedger_addr addr;
	__u16 port;		/* network byte order */
	__u8 family;		/* 4 or 6 */
	__u8 kind;		/* enum hedger_ep_kind */
	__u32 service;		/* index in the per-service maps */
	__u32 slot;		/* replica slot (1..); 0 for a service */
	__u32 pad;
};

/* hedger_ep_hash - the first slot of an endpoint whose address is the four
 * native-order words @w0..@w3 (IPv4: @w0, the others 0). The same arithmetic
 * in BPF and in the loader, which run on one host. */
static inline __u32 hedger_ep_hash(__u32 w0, __u32 w1, __u32 w2, __u32 w3, __u16 port,
				   __u8 family)
{
	__u32 h = w0 ^ (w1 * 0x85ebca6bU) ^ (w2 * 0xc2b2ae35U) ^ (w3 * 0x27d4eb2fU);

	h ^= ((__u32)port << 8) | family;
	h *= 0x9e3779b1U;
	return h >> (32 - HEDGER_EP_BITS);
}
