/* udp_pkt.h: the one packet builder of the BPF tests (hedger harness, NAT
 * and policy tests): Ethernet + IPv4/IPv6 + UDP frames with their checksums
 * computed here, by an implementation of RFC 768/1071 independent of the
 * kernel's, and the checks the NAT tests apply to rewritten frames. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define UP_L3_OFF 14

/* What the UDP checksum field holds. */
enum {
	UP_CSUM_GOOD = 0,	/* correct */
	UP_CSUM_BAD,		/* correct + 1: a corrupt or forged datagram */
	UP_CSUM_PARTIAL,	/* the pseudo-header sum, as checksum offload leaves it */
};

struct up_spec {
	int family;		/* 4 or 6 */
	const char *src, *dst;	/* addresses as text */
	uint16_t sport, dport;	/* host order */
	uint32_t payload_len;	/* payload bytes: a pattern derived from @seed */
	uint32_t seed;
	const uint8_t *payload;	/* if set: these bytes instead of the pattern */
	uint32_t ip_opts;	/* IPv4 options bytes (multiple of 4) */
	uint16_t frag;		/* IPv4 flags + fragment offset, host order; 0: DF */
	uint8_t proto;		/* L4 protocol number; 0: UDP */
	uint8_t v6_nexthdr;	/* IPv6: !0 puts one 8-byte extension header of this
				 * type in front of UDP */
	uint16_t ethertype;	/* !0: overrides the EtherType */
	int csum;		/* UP_CSUM_* */
	bool no_csum;		/* UDP checksum 0 ("none", legal in IPv4 only) */
};

/* up_build - the frame into @buf (>= 14 + 60 + 8 + 8 + payload); its length. */
uint32_t up_build(uint8_t *buf, const struct up_spec *s);
/* up_sum16 - one's-complement sum of @len bytes (big-endian words) onto @sum,
 * folded to 16 bits. */
uint16_t up_sum16(const uint8_t *p, uint32_t len, uint16_t sum);
/* up_ip4_csum_ok - the IPv4 header checksum of @frame verifies. */
bool up_ip4_csum_ok(const uint8_t *frame);
/* up_udp_csum - 1: the UDP checksum verifies; 0: it is 0 ("none");
 * -1: it is wrong. */
int up_udp_csum(const uint8_t *frame);
/* up_pseudo_sum - one's-complement sum of the UDP pseudo-header: what a
 * CHECKSUM_PARTIAL datagram carries in its checksum field. */
uint16_t up_pseudo_sum(const uint8_t *frame);
/* up_udp_sum - one's-complement sum of pseudo-header and UDP datagram,
 * checksum field included (0xffff when the checksum verifies). */
uint16_t up_udp_sum(const uint8_t *frame);
/* up_l4_off - offset of the UDP header in @frame. */
uint32_t up_l4_off(const uint8_t *frame);
