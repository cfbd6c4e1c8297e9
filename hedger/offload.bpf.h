/* offload.bpf.h: packets that are several datagrams in one skb.
 *   egress:  an application's UDP_SEGMENT (GSO) send is one skb that the
 *            device or the stack cuts into gso_segs datagrams after TC. It
 *            is not one request: a clone would resend every segment as the
 *            "hedge" of the first one's id. It passes untouched, unhedged.
 *   ingress: UDP GRO (a UDP_GRO socket, rx-gro-list) or a GSO skb handed
 *            over by a veth merges several replies into one skb. It must
 *            neither complete the first segment's request (the others would
 *            stay unanswered on the scoreboard, their digests unknown) nor be
 *            dropped as a duplicate (that would drop every segment). It
 *            passes untouched and completes nothing.
 * Both show as gso_size != 0 (a GRO skb of one packet has it cleared; a GRO
 * fraglist skb has it set too). A reassembled datagram with a frag_list but
 * no gso_size is one datagram and is handled as such.
 * Include after maps.bpf.h (count()). */
#pragma once

#include "maps.bpf.h"

/* hedger_skb_multi - true when @skb carries several datagrams (GSO/GRO);
 * counted as @why. */
static __always_inline bool hedger_skb_multi(struct __sk_buff *skb, enum hedger_counter why)
{
	if (!skb->gso_size && skb->gso_segs <= 1)
		return false;
	count(why);
	return true;
}
