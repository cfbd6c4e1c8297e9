/* proto.bpf.h: protocol profiles (--proto). Which datagrams are requests the
 * hedger may copy, which are replies, and how a reply is split in datagrams.
 *   id        any datagram to a service is a request (the id window says
 *             which), any datagram from it a reply of one datagram;
 *   dns       id = transaction id (offset 0, 16 bits, big endian, set by the
 *             loader); a request is a QUERY with QR = 0, a reply has QR = 1
 *             (a truncated one, TC = 1, completes too: the application
 *             retries over TCP, which is not hedged);
 *   memcached UDP frame header (request id, sequence number, datagram count,
 *             reserved; 16 bits each, big endian); only idempotent reads
 *             are requests: ASCII "get "/"gets ", binary GET/GETQ/GETK/GETKQ.
 *             A response of N datagrams: sequence numbers 0 .. N-1. */
#pragma once

#include "knobs.bpf.h"
#include "parse.bpf.h"

#define MC_HDR_LEN 8
#define MC_MAX_SEQ 32		/* sequence numbers tracked in a slot's bitmap */
#define MC_BIN_MAGIC_REQ 0x80

/* proto_request - may this datagram to a service be hedged? */
static __always_inline bool proto_request(struct __sk_buff *skb, const struct hedger_pkt *p)
{
	__u8 b[MC_HDR_LEN + 5];

	if (cfg_proto == HEDGER_PROTO_DNS) {
		__u8 flags;

		if (p->payload_len < 12 || bpf_skb_load_bytes(skb, p->payload_off + 2, &flags, 1))
			return false;
		return (flags & 0xf8) == 0;	/* QR = 0, opcode QUERY */
	}
	if (cfg_proto != HEDGER_PROTO_MEMCACHED)
		return true;
	if (p->payload_len < MC_HDR_LEN + 4 ||
	    bpf_skb_load_bytes(skb, p->payload_off, b, MC_HDR_LEN + 4))
		return false;
	if (b[2] || b[3] || b[4] || b[5] != 1)
		return false;	/* a request is datagram 0 of 1 */
	if (b[8] == MC_BIN_MAGIC_REQ)	/* binary: opcode GET, GETQ, GETK, GETKQ */
		return b[9] == 0x00 || b[9] == 0x09 || b[9] == 0x0c || b[9] == 0x0d;
	if (b[8] != 'g' || b[9] != 'e' || b[10] != 't')
		return false;
	if (b[11] == ' ')
		return true;
	if (b[11] != 's' || p->payload_len < MC_HDR_LEN + 5 ||
	    bpf_skb_load_bytes(skb, p->payload_off + MC_HDR_LEN + 4, &b[12], 1))
		return false;
	return b[12] == ' ';
}

/* proto_reply - is this datagram from a service a reply? *seq and *count:
 * its place in a multi-datagram response (0 and 1 for one datagram). */
static __always_inline bool proto_reply(struct __sk_buff *skb, const struct hedger_pkt *p,
					__u32 *seq, __u32 *count)
{
	*seq = 0;
	*count = 1;
	if (cfg_proto == HEDGER_PROTO_DNS) {
		__u8 flags;

		if (p->payload_len < 12 || bpf_skb_load_bytes(skb, p->payload_off + 2, &flags, 1))
			return false;
		return flags & 0x80;	/* QR = 1 */
	}
	if (cfg_proto == HEDGER_PROTO_MEMCACHED) {
		__u16 h[3];

		if (p->payload_len < MC_HDR_LEN || bpf_skb_load_bytes(skb, p->payload_off, h, 6))
			return false;
		*seq = bpf_ntohs(h[1]);
		*count = bpf_ntohs(h[2]);
		return *count >= 1 && *seq < *count;
	}
	return true;
}
