/* nat.bpf.h: rewrite the destination (request to a replica) or the source
 * (reply back to the address the application sent to) of an IPv4/IPv6 UDP
 * datagram at TC, with incremental checksum updates:
 *   IPv4 header: bpf_l3_csum_replace over the 4-byte address.
 *   UDP: bpf_l4_csum_replace with BPF_F_PSEUDO_HDR for the address (it is in
 *   the pseudo-header) and without for the port. BPF_F_MARK_MANGLED_0 turns a
 *   result of 0 into 0xffff, since 0 means "no checksum". An IPv4 datagram
 *   sent without checksum (0) keeps 0; IPv6 forbids 0, so such a datagram is
 *   refused, and updates use BPF_F_MARK_ENFORCE | BPF_F_IPV6 (BPF_F_IPV6 keeps
 *   skb->csum right for CHECKSUM_COMPLETE; kernels before 6.16 reject it, so
 *   the update is retried without it).
 * The packet is only read and written with bpf_skb_load_bytes/store_bytes:
 * no packet pointer is held across a helper, so none needs re-validating.
 * Everything is checked before the first write: an error from validation
 * (-EINVAL, -EAFNOSUPPORT, -EOPNOTSUPP) leaves the packet untouched. A helper
 * failing midway (-EFAULT and the like; not seen on linear skbs) may leave it
 * half rewritten: drop it. */
#pragma once

#include <asm-generic/errno.h>

#include "nat.h"

#define NAT_IPPROTO_UDP 17
#define NAT_F_IPV6 (1ULL << 7)	/* BPF_F_IPV6, spelled out for older vmlinux.h */

/* Where the fields of one datagram are, found by nat_locate. */
struct nat_loc {
	__u32 addr_off;		/* the address nat_rewrite changes */
	__u32 port_off;		/* the port it changes */
	__u32 csum_off;		/* UDP checksum */
	__u32 l3_csum_off;	/* IPv4 header checksum, 0 for IPv6 */
	__u16 udp_csum;		/* its value before the rewrite */
	__u8 family;
};

/* nat_locate - find the fields of @side in the UDP datagram whose IP header
 * starts at @l3_off. 0, or -errno when it is no rewritable UDP datagram. */
static __always_inline int nat_locate(struct __sk_buff *skb, __u32 l3_off, int side,
				      struct nat_loc *loc)
{
	__u8 vihl;
	__u32 l4_off;

	if (bpf_skb_load_bytes(skb, l3_off, &vihl, 1))
		return -EINVAL;
	if ((vihl >> 4) == 4) {
		struct { __u8 vihl, tos; __u16 tot_len, id, frag_off; __u8 ttl, proto; } ip;

		if (bpf_skb_load_bytes(skb, l3_off, &ip, sizeof(ip)) || (vihl & 0x0f) < 5)
			return -EINVAL;
		if (ip.proto != NAT_IPPROTO_UDP)
			return -EOPNOTSUPP;
		if (ip.frag_off & bpf_htons(0x3fff))	/* fragments: MF or an offset */
			return -EOPNOTSUPP;
		l4_off = l3_off + (vihl & 0x0f) * 4;	/* options skipped by IHL */
		loc->family = 4;
		loc->addr_off = l3_off + (side == NAT_DST ? 16 : 12);
		loc->l3_csum_off = l3_off + 10;
	} else if ((vihl >> 4) == 6) {
		__u8 nexthdr;

		if (bpf_skb_load_bytes(skb, l3_off + 6, &nexthdr, 1))
			return -EINVAL;
		if (nexthdr != NAT_IPPROTO_UDP)	/* extension headers: not ours */
			return -EOPNOTSUPP;
		l4_off = l3_off + 40;
		loc->family = 6;
		loc->addr_off = l3_off + (side == NAT_DST ? 24 : 8);
		loc->l3_csum_off = 0;
	} else {
		return -EAFNOSUPPORT;
	}
	loc->port_off = l4_off + (side == NAT_DST ? 2 : 0);
	loc->csum_off = l4_off + 6;
	if (bpf_skb_load_bytes(skb, loc->csum_off, &loc->udp_csum, 2))
		return -EINVAL;	/* truncated UDP header */
	if (loc->family == 6 && !loc->udp_csum)
		return -EINVAL;	/* illegal in IPv6: nothing to update */
	return 0;
}

/* nat_l4_v6 - bpf_l4_csum_replace for IPv6, with BPF_F_IPV6 when the kernel
 * knows it (it checks flags before touching anything). */
static __always_inline long nat_l4_v6(struct __sk_buff *skb, __u32 off, __u64 from, __u64 to,
				      __u64 flags)
{
	long err;

	flags |= BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE;
	err = bpf_l4_csum_replace(skb, off, from, to, flags | NAT_F_IPV6);
	if (err == -EINVAL)
		err = bpf_l4_csum_replace(skb, off, from, to, flags);
	return err;
}

/* nat_read - the endpoint at @loc into @ep. 0 or -EINVAL. */
static __always_inline int nat_read(struct __sk_buff *skb, const struct nat_loc *loc,
				    struct nat_endpoint *ep)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->family = loc->family;
	if (bpf_skb_load_bytes(skb, loc->addr_off, ep->addr, loc->family == 4 ? 4 : 16) ||
	    bpf_skb_load_bytes(skb, loc->port_off, &ep->port, 2))
		return -EINVAL;
	return 0;
}

/* nat_endpoint_of - the @side endpoint of the UDP datagram at @l3_off, e.g.
 * a reply's source to look up its reverse NAT. 0 or -errno as nat_locate. */
static __always_inline int nat_endpoint_of(struct __sk_buff *skb, __u32 l3_off, int side,
					   struct nat_endpoint *ep)
{
	struct nat_loc loc = {};
	int err = nat_locate(skb, l3_off, side, &loc);

	return err ? err : nat_read(skb, &loc, ep);
}

/* nat_endpoint_eq - same family, address and port. */
static __always_inline bool nat_endpoint_eq(const struct nat_endpoint *a,
					    const struct nat_endpoint *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	return a->family == b->family && a->port == b->port && x[0] == y[0] &&
	       x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* nat_rewrite - set the @side (NAT_DST or NAT_SRC) address:port of the UDP
 * datagram whose IP header starts at @l3_off (14 at TC on Ethernet) to @to;
 * the previous one goes to @was (may be NULL) for the reverse rewrite.
 * 0 or -errno (see the top of this file). */
static __always_inline int nat_rewrite(struct __sk_buff *skb, __u32 l3_off, int side,
				       const struct nat_endpoint *to, struct nat_endpoint *was)
{
	struct nat_loc loc = {};
	struct nat_endpoint old = {};
	bool has_csum;
	long err;

	err = nat_locate(skb, l3_off, side, &loc);
	if (err)
		return (int)err;
	if (to->family != loc.family)
		return -EAFNOSUPPORT;
	err = nat_read(skb, &loc, &old);
	if (err)
		return (int)err;
	has_csum = loc.udp_csum != 0;	/* IPv4 without checksum stays without */

	if (loc.family == 4) {
		__u32 from, dst;

		__builtin_memcpy(&from, old.addr, 4);
		__builtin_memcpy(&dst, to->addr, 4);
		if (has_csum) {
			err = bpf_l4_csum_replace(skb, loc.csum_off, from, dst,
						  BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4);
			if (!err)
				err = bpf_l4_csum_replace(skb, loc.csum_off, old.port, to->port,
							  BPF_F_MARK_MANGLED_0 | 2);
		}
		if (!err)
			err = bpf_l3_csum_replace(skb, loc.l3_csum_off, from, dst, 4);
		if (!err)
			err = bpf_skb_store_bytes(skb, loc.addr_off, &dst, 4, 0);
	} else {
		__s64 diff = bpf_csum_diff((__be32 *)old.addr, 16, (__be32 *)to->addr, 16, 0);

		if (diff < 0)
			return (int)diff;	/* nothing written yet */
		err = nat_l4_v6(skb, loc.csum_off, 0, (__u64)diff, BPF_F_PSEUDO_HDR);
		if (!err)
			err = nat_l4_v6(skb, loc.csum_off, old.port, to->port, 2);
		if (!err)
			err = bpf_skb_store_bytes(skb, loc.addr_off, to->addr, 16, 0);
	}
	if (!err)
		err = bpf_skb_store_bytes(skb, loc.port_off, &to->port, 2, 0);
	if (!err && was)
		*was = old;
	return (int)err;
}

/* nat_to_replica - the hedge: request's destination -> @replica. */
static __always_inline int nat_to_replica(struct __sk_buff *skb, __u32 l3_off,
					  const struct nat_endpoint *replica,
					  struct nat_endpoint *service)
{
	return nat_rewrite(skb, l3_off, NAT_DST, replica, service);
}

/* nat_from_replica - reverse NAT: reply's source -> the @service the
 * application sent to, so a connected UDP socket accepts it. */
static __always_inline int nat_from_replica(struct __sk_buff *skb, __u32 l3_off,
					    const struct nat_endpoint *service)
{
	return nat_rewrite(skb, l3_off, NAT_SRC, service, NULL);
}
