/* parse.bpf.h: find (5-tuple, request id) in a UDP datagram at TC.
 * Uses bpf_skb_load_bytes so non-linear skbs and variable IPv4 header
 * lengths need no verifier gymnastics. Included by hedger.bpf.c only. */
#pragma once

#define ETH_P_IP_BE   0x0008	/* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86	/* htons(0x86DD) */
#define IPPROTO_UDP_NUM 17
#define IP_MF_OFFSET_MASK 0xFF3F	/* htons(0x3FFF): MF bit + fragment offset */

struct hedger_pkt {
	struct hedger_sb_key key;	/* as seen on the wire (src -> dst) */
	__u32 ip_end;			/* l2 + IP total length: bytes a real packet has */
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

static __always_inline bool ipv6_is_exthdr(__u8 nh)
{
	/* hop-by-hop, routing, fragment, ESP, AH, destination options, mobility,
	 * HIP, shim6, experimental: all push UDP behind another header. */
	return nh == 0 || nh == 43 || nh == 44 || nh == 50 || nh == 51 || nh == 60 ||
	       nh == 135 || nh == 139 || nh == 140 || nh == 253 || nh == 254;
}

/* hedger_parse - 0 and @p filled for a UDP datagram whose payload holds a
 * full id window; otherwise the hedger_counter naming why it was skipped. */
static __always_inline int hedger_parse(struct __sk_buff *skb, struct hedger_pkt *p,
					 __u32 l2_len, __u32 id_off, __u32 id_width, bool id_be)
{
	struct udp_hdr_min udp;
	__u32 l4_off, payload_len, udp_len;
	__u64 id = 0;

	__builtin_memset(p, 0, sizeof(*p));
	if (skb->protocol == ETH_P_IP_BE) {
		struct ipv4_hdr_min ip;
		__u32 ihl;

		if (bpf_skb_load_bytes(skb, l2_len, &ip, sizeof(ip)))
			return HC_SKIP_NOT_IP;
		ihl = (ip.ver_ihl & 0x0F) * 4;
		if ((ip.ver_ihl >> 4) != 4 || ihl < 20)
			return HC_SKIP_NOT_IP;
		if (ip.protocol != IPPROTO_UDP_NUM)
			return HC_SKIP_NOT_UDP;
		if (ip.frag_off & IP_MF_OFFSET_MASK)
			return HC_SKIP_FRAGMENT;
		__builtin_memcpy(p->key.saddr.a, &ip.saddr, 4);
		__builtin_memcpy(p->key.daddr.a, &ip.daddr, 4);
		p->key.family = 4;
		p->ip_end = l2_len + bpf_ntohs(ip.tot_len);
		l4_off = l2_len + ihl;	/* IP options are skipped by ihl */
	} else if (skb->protocol == ETH_P_IPV6_BE) {
		struct ipv6_hdr_min ip6;

		if (bpf_skb_load_bytes(skb, l2_len, &ip6, sizeof(ip6)))
			return HC_SKIP_NOT_IP;
		if (ip6.nexthdr != IPPROTO_UDP_NUM)
			return ipv6_is_exthdr(ip6.nexthdr) ? HC_SKIP_IPV6_EXTHDR : HC_SKIP_NOT_UDP;
		__builtin_memcpy(p->key.saddr.a, ip6.saddr, 16);
		__builtin_memcpy(p->key.daddr.a, ip6.daddr, 16);
		p->key.family = 6;
		p->ip_end = l2_len + 40 + bpf_ntohs(ip6.payload_len);
		l4_off = l2_len + 40;
	} else {
		return HC_SKIP_NOT_IP;
	}

	if (bpf_skb_load_bytes(skb, l4_off, &udp, sizeof(udp)))
		return HC_SKIP_SHORT_PAYLOAD;
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

	l4_off += sizeof(udp) + id_off;
	if (id_width == 2) {
		__u16 v;

		if (bpf_skb_load_bytes(skb, l4_off, &v, 2))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? bpf_ntohs(v) : v;
	} else if (id_width == 4) {
		__u32 v;

		if (bpf_skb_load_bytes(skb, l4_off, &v, 4))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? bpf_ntohl(v) : v;
	} else {
		__u64 v;

		if (bpf_skb_load_bytes(skb, l4_off, &v, 8))
			return HC_SKIP_SHORT_PAYLOAD;
		id = id_be ? __builtin_bswap64(v) : v;
	}
	p->key.id = id;
	return 0;
}
