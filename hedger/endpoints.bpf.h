/* endpoints.bpf.h: finding an address:port in the "endpoints" table
 * (endpoints.h). */
#pragma once

#include "maps.bpf.h"

/* endpoint_lookup - the service or replica at @addr:@port (network order),
 * or NULL. At most HEDGER_EP_PROBES inlined array loads; an address that is
 * no endpoint usually ends at the first, empty, slot. */
static __always_inline const struct hedger_endpoint *
endpoint_lookup(const struct hedger_addr *addr, __u16 port, __u8 family)
{
	/* The key is on the stack or in a map value: the 8-byte loads are
	 * allowed unaligned there, and the address is 4 words either way. */
	const __u32 *w = (const __u32 *)addr->a;
	__u64 lo = *(const __u64 *)&addr->a[0], hi = *(const __u64 *)&addr->a[8];
	__u32 first = hedger_ep_hash(w[0], w[1], w[2], w[3], port, family), i;

#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_EP_PROBES; i++) {
		__u32 k = (first + i) & (HEDGER_EP_SLOTS - 1);
		struct hedger_endpoint *e = bpf_map_lookup_elem(&endpoints, &k);

		if (!e || e->kind == HEDGER_EP_EMPTY)
			return NULL;
		if (e->port == port && e->family == family &&
		    *(__u64 *)&e->addr.a[0] == lo && *(__u64 *)&e->addr.a[8] == hi)
			return e;
	}
	return NULL;
}
