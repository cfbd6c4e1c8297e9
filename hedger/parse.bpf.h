/* parse.bpf.h: find (5-tuple, request id) in a UDP datagram at TC.
 * Headers and the id are read straight from the skb's linear data when they
 * lie in it (no helper call), else copied with bpf_skb_load_bytes, which also
 * reads paged data: both give the same bytes. A datagram whose port is no
 * service's (the service_ports bitmap) is left before its id is read and
 * before any hash lookup. IPv6 extension headers that only
 * carry options (hop-by-hop, routing, destination) are walked; a first
 * fragment (IPv4 MF with offset 0, IPv6 fragment header with offset 0) is
 * parsed when the caller allows it: the UDP header and the id are in it.
 * Include after vmlinux.h, bpf_helpers.h and bpf_endian.h (as every BPF
 * header here). */
#pragma once

#include "maps.bpf.h"

#define ETH_P_IP_BE   0x0008	/* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86	/* htons(0x86DD) */
#define IPPROTO_UDP_NUM 17
#define IP_MF_OFFSET_MASK 0xFF3F	/* htons(0x3FFF): MF bit + fragment offset */

#define HEDGER_IPV6_EXT_MAX 4	/* option headers walked before giving up */

/* Offsets up to this are read straight from the linear data when they fit
 * in it; the bound only lets the verifier size the pointer. */
#define HEDGER_DIRECT_MAX 1024

/* hedger_parse's result for a datagram of no service's port: not counted
 * (every other datagram on the device is such), unlike the HC_SKIP_* reasons. */
#define HEDGER_PARSE_NOT_SERVICE (-1)

/* Which port names the service: a request's destination, a reply's source. */
enum hedger_port_check {
	HEDGER_PORT_DST,
	HEDGER_PORT_SRC,
	HEDGER_PORT_ANY,	/* no check (the rescuer: its packets are our clones) */
};

/* PKT_READ - 0 and the sizeof(dst) bytes at @off in @dst, or -errno. */
#define PKT_READ(skb, off, dst)								\
	({										\
		void *_data = (void *)(long)(skb)->data;				\
		void *_end = (void *)(long)(skb)->data_end;				\
		__u32 _off = (off);							\
		int _err = 0;								\
											\
		if (_off <= HEDGER_DIRECT_MAX && _data + _off + sizeof(dst) <= _end)	\
			(dst) = *(typeof(dst) *)(_data + _off);				\
		else									\
			_err = bpf_skb_load_bytes((skb), _off, &(dst), sizeof(dst));	\
		_err;									\
	})

/* service_port - is @port_net (network order) some service's or replica's? */
static __always_inline bool service_port(__u16 port_net)
{
	__u32 port = bpf_ntohs(port_net), word = port >> 6;
	__u64 *bits = bpf_map_lookup_elem(&service_ports, &word);

	return bits && ((*bits >> (port & 63)) & 1);
}

struct hedger_pkt {
	struct hedger_sb_key key;	/* as seen on the wire (src -> dst) */
	__u32 ip_end;			/* l2 + IP total length: bytes a real packet has */
	__u32 l4_off;			/* UDP header */
	__u32 payload_off;		/* UDP payload */
	__u32 payload_len;		/* UDP payload bytes in this skb */
	__u32 l4_len;			/* UDP length field: header + the whole payload */
	__u16 udp_check;		/* UDP checksum field as on the wire */
	__u8 first_fragment;		/* 1: a first fragment; the payload is incomplete */
	__u8 pad;
};

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;			/* 8-byte units, not counting the first 8 */
};

struct ipv6_frag_hdr_min {
	__u8 nexthdr;
	__u8 reserved;
	__u16 frag_off;			/* offset << 3 | M, network order */
	__u32 identification;
};

struct ipv4_hdr_min {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct ipv6_hdr_min {
	__u32 ver_tc_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct udp_hdr_min {
	__u16 source;
	__u16 dest;
	__u16 len;
	__u16 check;
};

static __always_inline bool ipv6_is_opt_hdr(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60;	/* hop-by-hop, routing, destination */
}

/* ipv6_udp_offset - walk option headers and at most one fragment header
 * behind the fixed header at @off. 0 with *l4_off and *first_frag set, or
 * the counter naming why the packet is skipped. */
static __always_inline int ipv6_udp_offset(struct __sk_buff *skb, __u32 off, __u8 nexthdr,
					   bool allow_first_frag, __u32 *l4_off, __u8 *first_frag)
{
	__u32 i;

	off += 40;
#pragma clang loop unroll(full)
	for (i = 0; i < HEDGER_IPV6_EXT_MAX; i++) {
		if (nexthdr == IPPROTO_UDP_NUM) {
			*l4_off = off;
			return 0;
		}
		if (ipv6_is_opt_hdr(nexthdr)) {
			struct ipv6_opt_hdr_min h;

			if (PKT_READ(skb, off, h))
				return HC_SKIP_NOT_IP;
			nexthdr = h.nexthdr;
			off += ((__u32)h.hdrlen + 1) * 8;
		} else if (nexthdr == 44) {
			struct ipv6_frag_hdr_min f;

			if (PKT_READ(skb, off, f))
				return HC_SKIP_NOT_IP;
			/* Offset 0 with M set: the first fragment. */
			if ((f.frag_off & bpf_htons(0xfff8)) || !allow_first_frag)
				return HC_SKIP_FRAGMENT;
			*first_frag = 1;
			nexthdr = f.nexthdr;
			off += 8;
		} else if (nexthdr == 6 || nexthdr == 1 || nexthdr == 58) {
			return HC_SKIP_NOT_UDP;
		} else {
			return HC_SKIP_IPV6_EXTHDR;	/* ESP, AH, mobility, unknown */
		}
	}
	if (nexthdr == IPPROTO_UDP_NUM) {
		*l4_off = off;
		return 0;
	}
	return HC_SKIP_IPV6_EXTHDR;
}

/* hedger_parse - 0 and @p filled for a UDP datagram of a service port (as
 * @ports says) whose payload holds a full id window; otherwise the
 * hedger_counter naming why it was skipped, or HEDGER_PARSE_NOT_SERVICE. */
static __always_inline int hedger_parse(struct __sk_buff *skb, struct hedger_pkt *p,
					 __u32 l2_len, __u32 id_off, __u32 id_width, bool id_be,
					 bool allow_first_frag, enum hedger_port_check ports)
{
	struct udp_hdr_min udp;
	__u32 l4_off, payload_len, udp_len;
	__u64 id = 0;

	__builtin_memset(p, 0, sizeof(*p));
	if (skb->protocol == ETH_P_IP_BE) {
		struct ipv4_hdr_min ip;
		__u32 ihl;

		if (PKT_READ(skb, l2_len, ip))
			return HC_SKIP_NOT_IP;
		ihl = (ip.ver_ihl & 0x0F) * 4;
		if ((ip.ver_ihl >> 4) != 4 || ihl < 20)
			return HC_SKIP_NOT_IP;
		if (ip.protocol != IPPROTO_UDP_NUM)
			return HC_SKIP_NOT_UDP;
		if (ip.frag_off & IP_MF_OFFSET_MASK) {
			/* Only a first fragment (offset 0, MF) holds UDP. */
			if (!allow_first_frag || (ip.frag_off & bpf_htons(0x1fff)))
				return HC_SKIP_FRAGMENT;
			p->first_fragment = 1;
		}
		__builtin_memcpy(p->key.saddr.a, &ip.saddr, 4);
		__builtin_memcpy(p->key.daddr.a, &ip.daddr, 4);
		p->key.family = 4;
		p->ip_end = l2_len + bpf_ntohs(ip.tot_len);
		l4_off = l2_len + ihl;	/* IP options are skipped by ihl */
	} else if (skb->protocol == ETH_P_IPV6_BE) {
		struct ipv6_hdr_min ip6;

		if (PKT_READ(skb, l2_len, ip6))
			return HC_SKIP_NOT_IP;
		int why;

		if ((bpf_ntohl(ip6.ver_tc_flow) >> 28) != 6)
			return HC_SKIP_NOT_IP;
		why = ipv6_udp_offset(skb, l2_len, ip6.nexthdr, allow_first_frag, &l4_off,
				      &p->first_fragment);
		if (why)
			return why;
		__builtin_memcpy(p->key.saddr.a, ip6.saddr, 16);
		__builtin_memcpy(p->key.daddr.a, ip6.daddr, 16);
		p->key.family = 6;
		p->ip_end = l2_len + 40 + bpf_ntohs(ip6.payload_len);
	} else {
		return HC_SKIP_NOT_IP;
	}

	if (PKT_READ(skb, l4_off, udp))
		return HC_SKIP_SHORT_PAYLOAD;
	if ((ports == HEDGER_PORT_DST && !service_port(udp.dest)) ||
	    (ports == HEDGER_PORT_SRC && !service_port(udp.source)))
		return HEDGER_PARSE_NOT_SERVICE;
	p->key.sport = udp.source;
	p->key.dport = udp.dest;
	udp_len = bpf_ntohs(udp.len);
	if (udp_len < sizeof(udp))
		return HC_SKIP_SHORT_PAYLOAD;
	payload_len = udp_len - sizeof(udp);
	/* Trust the smaller of what UDP claims and what the skb holds. */
	if (l4_off + sizeof(udp) + payload_len > skb->len)
		payload_len = skb->len > l4_off + sizeof(udp) ? skb->len - l4_off - sizeof(udp) : 0;
	if (payload_len < id_off + id_width)
		return HC_SKIP_SHORT_PAYLOAD;
	p->l4_off = l4_off;
	p->payload_off = l4_off + sizeof(udp);
	p->payload_len = payload_len;
	p->l4_len = udp_len;
	p->udp_check = udp.check;

	l4_off += sizeof(udp) + id_off;
	if (id_width == 2) {
		__u16 v;

		if (PKT_READ(skb, l4_off, v))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? bpf_ntohs(v) : v;
	} else if (id_width == 4) {
		__u32 v;

		if (PKT_READ(skb, l4_off, v))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? bpf_ntohl(v) : v;
	} else {
		__u64 v;

		if (PKT_READ(skb, l4_off, v))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? __builtin_bswap64(v) : v;
	}
	p->key.id = id;
	return 0;
}
